"""Sweeps: points, paired comparison, atomic resumable results (with a real kill), local pool and Dask."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ccsim
from ccsim import OptionError, ScenarioError
from ccsim.sweep import Sweep, SweepResults, load_sweep

from centers import SCENARIOS

SWEEP = """
name = "tiny"
base = "{base}"
reps = {reps}
seed = 3
chunk = 1
engine = "simpy"
baseline = {{ "design.groups.agents.staffing" = 9 }}
[factors]
"design.groups.agents.staffing" = {{ start = 8, stop = 10, step = 1 }}
"demand.call_types.calls.patience.mean" = [60.0, 180.0]
"""


def small_base(tmp_path: Path, horizon: float = 3600.0) -> Path:
    """An Erlang A scenario small enough for a task to take a fraction of a second."""
    text = (SCENARIOS / "erlang_a.toml").read_text()
    text = text.replace("horizon = 28800", f"horizon = {horizon:g}").replace("warmup = 3600", "warmup = 300")
    text = text.replace("arrival_rate = 0.16666666666666666", "arrival_rate = 0.03").replace("staffing = 55", "staffing = 9")
    p = tmp_path / "base.toml"
    p.write_text(text)
    return p


def sweep_file(tmp_path: Path, reps: int = 3, horizon: float = 3600.0) -> Path:
    f = tmp_path / "tiny.toml"
    f.write_text(SWEEP.format(base=small_base(tmp_path, horizon).as_posix(), reps=reps))
    return f


def test_points_grid_range_and_baseline(tmp_path):
    sw = load_sweep(sweep_file(tmp_path))
    pts = sw.points()
    assert len(pts) == 6
    assert [p["design.groups.agents.staffing"] for p in pts[::2]] == [8, 9, 10]
    # each point is compared with the 9-agent point of the same patience
    assert [sw.baseline_of(i) for i in range(6)] == [2, 3, 2, 3, 2, 3]
    assert sw.scenario_at(pts[0]).design.groups["agents"].staffing == 8


def test_invalid_sweeps_fail_before_running(tmp_path):
    base = ccsim.load_scenario(small_base(tmp_path))
    with pytest.raises(ScenarioError, match="design.groups.agents.stafing"):
        Sweep(name="x", base=base, factors={"design.groups.agents.stafing": [1, 2]})
    with pytest.raises(ScenarioError, match="baseline"):
        Sweep(name="x", base=base, factors={"design.groups.agents.staffing": [8, 9]},
              baseline={"design.groups.agents.staffing": 7})
    with pytest.raises(ScenarioError, match="zero staff"):
        Sweep(name="x", base=base, factors={"design.groups.agents.staffing": [0, 9]})


def test_design_factor_and_paired_results(tmp_path, silo, team):
    short = silo.override({"horizon": 7 * 3600.0})
    sw = Sweep(name="designs", base=short, factors={"design": {"silo": silo.design, "team": team.design}},
               reps=3, seed=5, chunk=3)
    res = sw.run(tmp_path / "out", workers=1)
    pts = res.points.set_index("point")["design"].tolist()
    assert pts == ["silo", "team"]
    # replication r of each point saw the same callers: the team point equals team.toml run alone
    alone = ccsim.simulate(team.override({"horizon": 7 * 3600.0}), reps=3, seed=5, keep_calls=False)
    pd.testing.assert_series_equal(res.kpis(1)["service_level"], alone.kpis["service_level"], check_names=False,
                                   check_index_type=False)
    paired = res.paired()
    base_rows = paired[paired["point"] == 0]
    assert (base_rows["diff"].fillna(0) == 0).all()


def test_pool_and_single_process_give_identical_rows(tmp_path):
    f = sweep_file(tmp_path, reps=2)
    a = load_sweep(f).run(tmp_path / "a", workers=1)
    b = load_sweep(f).run(tmp_path / "b", workers=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert (t["metric"].isin(ccsim.kpis.KPIS) & (t["interval"] == -1)).sum() == 6 * 2 * len(ccsim.kpis.KPIS)
    assert (t["interval"] >= 0).sum() == 6 * 2 * 6 * 2   # 6 interval metrics x 2 intervals per replication
    assert (t["metric"].str.startswith("wait_cdf:")).sum() == 6 * 2 * len(ccsim.metrics.WAIT_GRID)
    assert not a.table.duplicated(["point", "rep", "metric", "interval"]).any()
    loaded = SweepResults.load(tmp_path / "a")
    pd.testing.assert_frame_equal(loaded.table, a.table)


def test_existing_results_need_resume_and_a_matching_sweep(tmp_path):
    f = sweep_file(tmp_path, reps=1)
    load_sweep(f).run(tmp_path / "o", workers=1)
    with pytest.raises(OptionError, match="--resume"):
        load_sweep(f).run(tmp_path / "o", workers=1)
    other = load_sweep(f)
    other.seed = 4
    with pytest.raises(OptionError, match="different sweep"):
        other.run(tmp_path / "o", resume=True, workers=1)


def _ccsim(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ccsim.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **kw)


def test_cli_sweep_refuses_to_overwrite(tmp_path):
    f = sweep_file(tmp_path, reps=1)
    load_sweep(f).run(tmp_path / "o", workers=1)
    p = _ccsim("sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "1")
    _, err = p.communicate(timeout=120)
    assert p.returncode == 2 and "--resume" in err and "Traceback" not in err


def test_dask_local_cluster_gives_identical_rows(tmp_path):
    distributed = pytest.importorskip("distributed")
    f = sweep_file(tmp_path, reps=2)
    local = load_sweep(f).run(tmp_path / "local", workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = load_sweep(f).run(tmp_path / "dask", client=client)
    pd.testing.assert_frame_equal(local.table, on_dask.table)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dask_scheduler_and_worker_processes_give_identical_rows(tmp_path):
    pytest.importorskip("distributed")
    dask_cli = shutil.which("dask", path=os.path.dirname(sys.executable)) or shutil.which("dask")
    if dask_cli is None:
        pytest.fail("the dask command line is not installed beside this Python")
    f = sweep_file(tmp_path, reps=2)
    local = load_sweep(f).run(tmp_path / "local", workers=1)
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    sched = subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    worker = subprocess.Popen([dask_cli, "worker", addr, "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                               "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True, env=env, cwd=tmp_path)
    try:
        from distributed import Client
        with Client(addr, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        p = _ccsim("sweep", str(f), "--out", str(tmp_path / "remote"), "--scheduler", addr)
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        remote = SweepResults.load(tmp_path / "remote")
        pd.testing.assert_frame_equal(local.table, remote.table)
    finally:
        for proc in (worker, sched):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (worker, sched):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- integrity: nothing lost, nothing twice
def test_resume_with_another_batch_size_neither_duplicates_nor_reruns(tmp_path):
    """The batch size of a first run (cold numba cache: 1 replication a task) and of a resume (warm: 5) differ;
    the unit of work is the (point, replication) pair, so the resume adds nothing twice (it used to double
    every row)."""
    f = sweep_file(tmp_path, reps=4)
    clean = load_sweep(f).run(tmp_path / "clean", workers=1)
    first = load_sweep(f)
    first.chunk = 1
    first.run(tmp_path / "o", workers=1)
    parts = sorted(p.name for p in (tmp_path / "o" / "parts").iterdir())
    again = load_sweep(f)
    again.chunk = 5
    calls = []
    res = again.run(tmp_path / "o", resume=True, workers=1, progress=lambda d, n: calls.append((d, n)))
    pd.testing.assert_frame_equal(res.table, clean.table)
    assert sorted(p.name for p in (tmp_path / "o" / "parts").iterdir()) == parts  # nothing re-run
    assert calls == [(24, 24)]
    # half the work gone, then a resume with yet another batch size: exactly the clean rows
    for p in sorted((tmp_path / "o" / "parts").iterdir())[::2]:
        p.unlink()
    (tmp_path / "o" / "results.parquet").unlink()
    again.chunk = 3
    res = again.run(tmp_path / "o", resume=True, workers=1)
    pd.testing.assert_frame_equal(res.table, clean.table)
    pd.testing.assert_frame_equal(SweepResults.load(tmp_path / "o").table, clean.table)


def test_corrupt_parts_and_leftovers_are_recomputed_and_cleaned(tmp_path):
    f = sweep_file(tmp_path, reps=2)
    clean = load_sweep(f).run(tmp_path / "clean", workers=1)
    load_sweep(f).run(tmp_path / "o", workers=1)
    parts = sorted((tmp_path / "o" / "parts").glob("*.parquet"))
    parts[0].write_bytes(parts[0].read_bytes()[:100])                  # truncated
    parts[1].write_bytes(b"not parquet at all")                          # garbage
    shutil.copy(parts[3], parts[2])                                      # readable, but the wrong rows
    (tmp_path / "o" / "parts" / ".p00000-r000000-0001.parquet.x1.tmp").write_bytes(b"half")  # a killed writer's
    while_partial = SweepResults.load(tmp_path / "o")                    # reading never counts a bad part
    assert not while_partial.table.duplicated(["point", "rep", "metric", "interval"]).any()
    res = load_sweep(f).run(tmp_path / "o", resume=True, workers=1)
    pd.testing.assert_frame_equal(res.table, clean.table)
    assert not list((tmp_path / "o").rglob("*.tmp"))


def _children(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("kill_after, whole_group", [(2, True), (9, False)])
def test_killed_sweep_resumes_and_leaves_no_process(tmp_path, kill_after, whole_group):
    """Kill a sweep on the 2-process pool at two points, the whole process group or the parent alone (its
    workers must then notice and exit), and resume: exactly the rows of a clean run."""
    import psutil

    f = sweep_file(tmp_path, reps=4, horizon=3 * 3600.0)   # 24 tasks of a fraction of a second each
    clean = load_sweep(f).run(tmp_path / "clean", workers=1)
    out = tmp_path / "killed"
    proc = _ccsim("sweep", str(f), "--out", str(out), "--workers", "2")
    parts = out / "parts"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("*.parquet"))) < kill_after:
        time.sleep(0.02)
    workers = _children(proc.pid)
    if whole_group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    gone, alive = psutil.wait_procs(workers, timeout=20)
    assert not alive, f"workers outlived the killed sweep: {alive}"
    n_before = len(list(parts.glob("*.parquet")))
    assert kill_after <= n_before < 24, "the kill must land part-way"
    assert not (out / "results.parquet").exists()
    done = _ccsim("sweep", str(f), "--out", str(out), "--resume", "--workers", "2")
    _, stderr = done.communicate(timeout=300)
    assert done.returncode == 0, stderr
    pd.testing.assert_frame_equal(SweepResults.load(out).table, clean.table)
    assert not list(out.rglob("*.tmp"))
    assert not _children(done.pid)


@pytest.mark.parametrize("name", ["..", "../up", "/abs", ""])
def test_sweep_names_cannot_leave_results(tmp_path, name):
    base = ccsim.load_scenario(small_base(tmp_path))
    with pytest.raises(ScenarioError, match="name"):
        Sweep(name=name, base=base, reps=1)


def test_a_sweep_keeps_kpis_by_call_type(tmp_path, silo):
    """With several call types, each point keeps its KPIs by call type: the very values a plain run gives."""
    short = silo.override({"horizon": 7 * 3600.0})
    sw = Sweep(name="types", base=short, factors={"design.staffing_scale": [1.0, 1.2]}, reps=2, seed=5)
    res = sw.run(tmp_path / "out", workers=1)
    for p, scale in enumerate([1.0, 1.2]):
        got = res.call_types(p)
        want = ccsim.simulate(short.override({"design.staffing_scale": scale}), reps=2, seed=5, keep_calls=False).call_types
        assert list(got["call_type"].unique()) == list(short.demand.call_types)
        for k in ("offered", "service_level", "abandon_rate", "asa", "sl_threshold"):
            np.testing.assert_allclose(got[k].to_numpy(float), want[k].to_numpy(float), rtol=1e-12, err_msg=k)
    assert not res.journeys()["metric"].str.startswith("type:").any()
