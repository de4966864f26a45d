"""Every experiment script runs end to end (few replications) and writes its results where it says."""
from __future__ import annotations

import subprocess
import sys

import pytest

from centers import ROOT

SCRIPTS = ["silo_vs_team", "staffing_sweep", "storm_surge", "aht_pressure", "erlang_validation", "staffing_plan"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_experiment_runs(name, tmp_path):
    out = tmp_path / name
    reps = "8" if name == "staffing_plan" else "2"
    p = subprocess.run([sys.executable, str(ROOT / "experiments" / f"{name}.py"), "--reps", reps, "--out", str(out)],
                       capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert str(out) in p.stdout.replace("\n", "")
    assert any(out.iterdir())
