"""README's commands run as written: every ``bash`` block in order (the quick start's experiment included,
its installs left to CI, which runs them), then the Python API block, in a scratch copy of experiments/.
Benchmarks, long on purpose, are checked to exist and take the flags README gives them."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from centers import ROOT

README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def _commands() -> list[str]:
    """Shell commands of the bash blocks: continuations joined, comments dropped, installs skipped."""
    out = []
    for block in _blocks("bash"):
        for cmd in block.replace("\\\n", " ").splitlines():
            cmd = re.sub(r"\s+#.*$", "", cmd).strip()
            if not cmd:
                continue
            if "pip install" in cmd:  # CI runs the installs; run what follows them, but not the suite itself
                cmd = cmd.split("&&", 1)[1].strip()
                if "pytest" in cmd:
                    continue
            out.append(cmd)
    return out


def _env(bin_dir: Path) -> dict:
    env = dict(os.environ)
    # `ccsim` and `python3` as a user has them after `pip install -e .`: this interpreter's
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "experiments", work / "experiments", ignore=shutil.ignore_patterns("__pycache__"))
    bin_dir = work / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ccsim"  # the entry point, whatever environment runs the tests
    shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m ccsim.cli \"$@\"\n")
    shim.chmod(0o755)
    return work


def test_readme_has_the_commands_we_expect():
    cmds = _commands()
    assert cmds[0] == "python3 experiments/silo_vs_team.py"
    assert {c.split()[1] for c in cmds if c.startswith("ccsim ")} == {"run", "validate", "erlang", "sweep", "report",
                                                                        "staff", "calibrate"}


def test_readme_commands_run_as_written(workdir):
    env = _env(workdir / "bin")
    for cmd in _commands():
        p = subprocess.run(cmd, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=1200)
        assert p.returncode == 0, f"{cmd}\n{p.stderr[-3000:]}"
    assert (workdir / "report.html").stat().st_size > 1_000_000 and any((workdir / "slides").glob("*.png"))
    assert (workdir / "results" / "silo_45s" / "manifest.json").is_file()
    assert (workdir / "results" / "calibration.html").is_file() and (workdir / "results" / "calibrated.toml").is_file()


def test_readme_python_runs_as_written(workdir):
    (code,) = _blocks("python")
    p = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert (workdir / "results" / "my_run" / "kpis.parquet").is_file()


def test_readme_benchmarks_exist_and_take_their_flags():
    for script, flags in re.findall(r"`python3? (benchmarks/\w+\.py)([^`]*)`", README):
        p = subprocess.run([sys.executable, str(ROOT / script), *flags.split(), "--help"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"{script}{flags}: {p.stderr[-2000:]}"
