"""Results and SweepResults: what save/``ccsim sweep`` wrote, load gives back, table for table."""
from __future__ import annotations

import json

import pandas as pd
import pytest

import ccsim
from ccsim import ResultsError
from ccsim.kpis import KPIS
from ccsim.results import Results, SweepResults
from ccsim.sweep import Sweep

from centers import build, two_skill_center


def _same_results(a: Results, b: Results) -> None:
    assert (a.scenario, a.engine, a.seed, a.reps, a.started, a.finished, a.meta, a.ccsim_version) == \
           (b.scenario, b.engine, b.seed, b.reps, b.started, b.finished, b.meta, b.ccsim_version)
    for name in ("kpis", "intervals", "queues", "groups", "call_types", "journeys", "calls", "legs"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            pd.testing.assert_frame_equal(x, y, obj=name)


def test_run_round_trip(tmp_path):
    sc = build(two_skill_center(horizon=3600.0))
    res = ccsim.simulate(sc, reps=2, seed=1)
    res.meta["overrides"] = {"design.transfer_time": 45}
    out = res.save(tmp_path / "run")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    back = Results.load(out)
    _same_results(res, back)
    pd.testing.assert_frame_equal(back.summary(), res.summary())
    m = json.loads((out / "manifest.json").read_text())
    assert m["kind"] == "run" and m["ccsim_version"] == ccsim.__version__ and m["scenario_definition"]["name"] == sc.name


def test_kpi_only_run_round_trip(tmp_path):
    res = ccsim.simulate(build(two_skill_center(horizon=3600.0)), reps=2, seed=3, keep_calls=False)
    back = Results.load(res.save(tmp_path / "run"))
    assert back.calls is None and back.legs is None
    _same_results(res, back)


def test_kpis_hold_the_registry_in_order():
    res = ccsim.simulate(build(two_skill_center(horizon=3600.0)), reps=1, seed=2, keep_calls=False)
    assert tuple(res.kpis.columns) == KPIS


def test_sweep_round_trip_and_views(tmp_path):
    base = build(two_skill_center(horizon=2 * 3600.0))
    sw = Sweep(name="rt", base=base, factors={"design.transfer_time": [10, 60]}, reps=3, seed=4)
    res = sw.run(tmp_path / "rt", workers=1)
    back = SweepResults.load(tmp_path / "rt")
    pd.testing.assert_frame_equal(back.table, res.table)
    pd.testing.assert_frame_equal(back.points, res.points)
    assert back.manifest == json.loads(json.dumps(res.manifest, default=str))
    # the wide views are derived from the one tidy table
    k1 = back.kpis(1)
    assert list(k1.index) == [0, 1, 2] and tuple(k1.columns) == KPIS
    alone = ccsim.simulate(sw.scenario_at(sw.points()[1]), reps=3, seed=4, keep_calls=False)
    pd.testing.assert_frame_equal(k1, alone.kpis, check_names=False)
    iv = back.intervals(point=1)
    assert (iv["design.transfer_time"] == 60).all()
    want = alone.intervals.groupby("interval")[["offered", "service_level"]].mean()
    assert iv["offered"].tolist() == want["offered"].tolist()
    assert iv["service_level"].to_numpy() == pytest.approx(want["service_level"].to_numpy())
    paired = back.paired().set_index(["point", "kpi"])
    assert paired.loc[(0, "asa"), "diff"] == 0.0  # point 0 is its own baseline
    j = back.journeys(point=1)
    assert set(j.columns) == {"point", "rep", "metric", "value"} and (j["point"] == 1).all()


def test_loading_the_wrong_kind_is_one_clear_error(tmp_path):
    res = ccsim.simulate(build(two_skill_center(horizon=3600.0)), reps=1, seed=1, keep_calls=False)
    res.save(tmp_path / "run")
    with pytest.raises(ResultsError, match="not a sweep"):
        SweepResults.load(tmp_path / "run")
    with pytest.raises(ResultsError, match="no results"):
        Results.load(tmp_path)
