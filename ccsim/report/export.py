"""Static export: every chart of the report as a PNG, drawn by kaleido driving the system's Chromium."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import OptionError
from .charts import Chart


def browser_path() -> str | None:
    """A Chrome/Chromium binary: $BROWSER_PATH, Debian's chromium, or one on the PATH."""
    for cand in (os.environ.get("BROWSER_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and Path(cand).is_file():
            return cand
    return None


def export_png(charts: list[Chart], out_dir: str | Path, width: int = 1280) -> list[Path]:
    """Write every chart as ``NN-key.png``; one clear error if kaleido or a browser is missing or fails."""
    try:
        import kaleido  # optional: only static export needs it
    except ImportError:
        raise OptionError("--png", "static export needs the kaleido package",
                          "pip install 'kaleido>=1' (it uses the system's Chromium)") from None
    browser = browser_path()
    if browser is None:
        raise OptionError("--png", "static export needs Chromium and none was found",
                          "apt-get install chromium, or set BROWSER_PATH to a Chrome/Chromium binary")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specs, paths = [], []
    for n, ch in enumerate(charts, start=1):
        if ch.fig is None:
            continue
        path = out / f"{n:02d}-{ch.key}.png"
        paths.append(path)
        specs.append({"fig": ch.fig.to_dict(), "path": path,
                      "opts": {"format": "png", "width": width, "height": int(ch.fig.layout.height or 500),
                               "scale": 1}})
    try:
        kaleido.write_fig_from_object_sync(specs, kopts={"mathjax": False, "path": browser})
    except Exception as e:  # kaleido / choreographer raise many kinds; one line for people
        raise OptionError("--png", f"static export with kaleido and {browser} failed: "
                          f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                          "check that Chromium starts headless (chromium --headless --no-sandbox)") from None
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise OptionError("--png", f"kaleido wrote no image for {', '.join(p.name for p in missing)}")
    return paths
