"""Every experiment script runs end to end (few replications) and writes its results where it says."""
from __future__ import annotations

import subprocess
import sys

import pytest

from centers import ROOT

SCRIPTS = ["silo_vs_team", "staffing_sweep", "storm_surge", "aht_pressure", "erlang_validation", "staffing_plan",
           "attribution", "calibrate_and_compare", "shift_roster"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_experiment_runs(name, tmp_path):
    out = tmp_path / name
    reps = "8" if name in ("staffing_plan", "shift_roster") else "2"
    p = subprocess.run([sys.executable, str(ROOT / "experiments" / f"{name}.py"), "--reps", reps, "--out", str(out)],
                       capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert str(out) in p.stdout.replace("\n", "")
    assert any(out.iterdir())


def test_experiment_reruns_cleanly_in_the_same_folder(tmp_path):
    """A second run (warm numba cache: another batch size) finds the finished sweep and reports it again,
    with exactly the same rows (it used to crash on duplicated rows)."""
    import pandas as pd

    out = tmp_path / "svt"
    cmd = [sys.executable, str(ROOT / "experiments" / "silo_vs_team.py"), "--reps", "2", "--out", str(out)]
    tables = []
    for _ in range(2):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
        assert p.returncode == 0, p.stderr[-2000:]
        tables.append(pd.read_parquet(out / "results.parquet"))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert not tables[1].duplicated(["point", "rep", "metric", "interval"]).any()


def test_the_bundled_call_log_is_what_its_script_makes(tmp_path):
    """experiments/data/call_log.parquet is exactly what make_call_log.py makes from its stated parameters,
    and it is a valid call log (docs/call-log.md)."""
    import pandas as pd

    from ccsim.calllog import read_call_log

    out = tmp_path / "log.parquet"
    p = subprocess.run([sys.executable, str(ROOT / "experiments" / "make_call_log.py"), "--out", str(out)],
                       capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    bundled = ROOT / "experiments" / "data" / "call_log.parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(bundled))
    log = read_call_log(bundled)
    assert log.n_calls > 100_000 and set(log.frame["weekday"]) == set(range(7))
    assert 0.01 < (log.frame["outcome"] == "abandoned").mean() < 0.1
