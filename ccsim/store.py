"""The results store: how runs and sweeps live on disk. One folder per run or sweep, Parquet tables and a
JSON manifest, every file written atomically (a temporary file renamed into place), so a reader never
sees half a result and a killed writer leaves nothing half-written under a real name.

:class:`ccsim.results.Results` and :class:`ccsim.results.SweepResults` save and load through here; the
report reads only through them.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import pandas as pd

from .errors import ResultsError
from .version import __version__

MANIFEST = "manifest.json"
RESULTS_TABLE = "results.parquet"   # a sweep's tidy table
PARTS = "parts"                     # a sweep's finished tasks, one Parquet file each

Kind = Literal["run", "sweep"]


def now_iso() -> str:
    """The current UTC time, to the second, as manifests record it."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stamp() -> dict:
    """What every manifest records about the software that wrote it."""
    return {"ccsim_version": __version__}


# --------------------------------------------------------------------------- atomic writes
_UMASK = os.umask(0o022)  # read once (setting it is the only way to read it), then put back
os.umask(_UMASK)

def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # a temporary file is private (0600); a result is as any file written here
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_json(path: str | Path, data: dict) -> Path:
    """Write a JSON document atomically (NaN and other non-JSON values as strings)."""
    return atomic_write(path, lambda p: Path(p).write_text(json.dumps(data, indent=2, default=str)))


def write_table(path: str | Path, df: pd.DataFrame) -> Path:
    """Write a table as Parquet, atomically, without the index."""
    return atomic_write(path, lambda p: df.to_parquet(p, index=False))


# --------------------------------------------------------------------------- reading
def read_manifest(folder: str | Path) -> dict:
    """The manifest of a results folder; a clear error if it is missing or not JSON."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ResultsError("RESULTS_DIR", f"{folder} has no {MANIFEST}",
                            "give a folder written by ccsim run, Results.save or ccsim sweep")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise ResultsError("RESULTS_DIR", f"{path} is not valid JSON", "re-run the command that wrote it") from None
    if not isinstance(data, dict):
        raise ResultsError("RESULTS_DIR", f"{path} is not a ccsim manifest", "re-run the command that wrote it")
    return data


def read_table(path: str | Path) -> pd.DataFrame:
    """A Parquet table written by :func:`write_table`."""
    return pd.read_parquet(path)


# --------------------------------------------------------------------------- a sweep's parts
_PART = re.compile(r"^p(\d{5,})-r(\d{6,})-(\d{4,})\.parquet$")


def part_name(point: int, first_rep: int, reps: int) -> str:
    """The file of a finished task: point ``point``, replications ``first_rep .. first_rep + reps - 1``."""
    return f"p{point:05d}-r{first_rep:06d}-{reps:04d}.parquet"


def scan_parts(parts: str | Path, n_points: int, reps: int, repair: bool) -> tuple[set[tuple[int, int]], list]:
    """The (point, replication) pairs the parts of a sweep hold, and those parts' tables, each pair once.

    A part counts only if its name parses, its replications are in range, it overlaps no part already
    counted, it reads, and it holds exactly the pairs its name says; ``repair`` deletes every other part
    (and temporary files a killed writer left), so that the work is done again.
    """
    parts = Path(parts)
    done: set[tuple[int, int]] = set()
    tables = []
    if not parts.is_dir():
        return done, tables
    for f in sorted(parts.iterdir()):
        if f.name.startswith(".") and f.name.endswith(".tmp"):
            if repair:
                f.unlink(missing_ok=True)
            continue
        m = _PART.match(f.name)
        if not m:
            continue  # not ours: left alone, never read
        point, first, n = (int(g) for g in m.groups())
        want = {(point, r) for r in range(first, first + n)}
        ok = point < n_points and first + n <= reps and n > 0 and not (want & done)
        if ok:
            try:
                df = read_table(f)
                ok = set(zip(df["point"].astype(int), df["rep"].astype(int))) == want
            except Exception:  # noqa: BLE001  (truncated, corrupt or foreign: recompute it)
                ok = False
        if not ok:
            if repair:
                f.unlink(missing_ok=True)
            continue
        done |= want
        tables.append(df)
    return done, tables


def kind_of(folder: str | Path) -> Kind | None:
    """``"run"``, ``"sweep"`` or None (not a results folder) for a folder."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        return None
    man = read_manifest(folder)
    kind = man.get("kind")
    if kind in ("run", "sweep"):
        return kind
    if "points" in man:           # written before manifests recorded their kind
        return "sweep"
    return "run" if (folder / "kpis.parquet").exists() else None


def run_folders(folder: str | Path) -> list[Path]:
    """The run folders directly inside ``folder`` (a folder of saved runs), in name order."""
    folder = Path(folder)
    return [d for d in sorted(folder.iterdir()) if d.is_dir() and kind_of(d) == "run"]
