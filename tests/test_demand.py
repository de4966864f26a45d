"""The demand: arrivals, needs, misroutes, and common random numbers (the generator and the distributions'
transforms are tested in test_variates.py)."""
from __future__ import annotations

import copy
import hashlib
import subprocess
import sys

import numpy as np
import pytest

from ccsim.demand import compile_demand, expected_arrivals, first_arrivals

from centers import ROOT, build, two_skill_center


def test_arrivals_are_poisson_per_interval():
    d = two_skill_center(horizon=4 * 3600.0)
    d["demand"]["call_types"]["mixed"] = {"volume": [30, 90, 10, 60, 0, 120, 45, 5], "needs": ["billing"]}
    sc = build(d)
    counts = np.array([np.histogram(first_arrivals(sc, 3, r).time, bins=np.arange(9) * 1800.0)[0]
                       for r in range(400)])
    expected = np.array([30, 90, 10, 60, 0, 120, 45, 5], dtype=float)
    se = np.sqrt(np.maximum(expected, 1) / 400)
    assert (np.abs(counts.mean(axis=0) - expected) <= 5 * se).all()
    var = counts.var(axis=0, ddof=1)
    nz = expected > 20
    assert np.all(np.abs(var[nz] / expected[nz] - 1) < 0.25)   # Poisson: variance = mean
    assert expected_arrivals(sc) == pytest.approx(expected.sum())


def test_busyness_overdisperses_daily_volume():
    d = two_skill_center(horizon=86400.0, interval=3600.0)
    d["design"]["groups"]["billing_agents"]["staffing"] = 1
    d["design"]["groups"]["tech_agents"]["staffing"] = 1
    d["demand"]["call_types"]["mixed"] = {"arrival_rate": 0.05, "needs": ["billing"]}
    d["demand"]["busyness_cv"] = 0.3
    sc = build(d)
    n = np.array([first_arrivals(sc, 5, r).n_callers for r in range(300)], dtype=float)
    mean = 0.05 * 86400
    assert n.mean() == pytest.approx(mean, rel=0.05)
    # var = mean + cv^2 mean^2 for a gamma-mixed Poisson count
    assert n.var(ddof=1) == pytest.approx(mean + 0.09 * mean**2, rel=0.25)


def test_surge_multiplies_volume_in_its_window():
    d = two_skill_center(horizon=6 * 3600.0)
    d["demand"]["call_types"]["mixed"] = {"arrival_rate": 0.02, "needs": ["billing"]}
    d["demand"]["surges"] = [{"start": 7200, "end": 12600, "multiplier": 3.0}]
    sc = build(d)
    a = np.concatenate([first_arrivals(sc, 9, r).time for r in range(100)])
    inside = ((a >= 7200) & (a < 12600)).sum() / 5400
    outside = ((a < 7200) | (a >= 12600)).sum() / (6 * 3600 - 5400)
    assert inside / outside == pytest.approx(3.0, rel=0.06)


def test_needs_table_and_misroutes():
    d = two_skill_center()
    d["demand"]["skills"] = ["billing", "tech", "sales"]
    d["demand"]["work"]["sales"] = {"talk": 100}
    d["design"]["queues"]["sales"] = {}
    d["design"]["groups"]["sales_agents"] = {"skills": ["sales"], "queues": ["sales"], "staffing": 3}
    d["design"]["routes"]["sales"] = "sales"
    d["demand"]["call_types"]["mixed"] = {"arrival_rate": 1.0, "misroute_prob": 0.2,
                                          "needs": [{"p": 0.7, "needs": ["billing"]},
                                                    {"p": 0.3, "needs": ["tech", "billing"]}]}
    sc = build(d)
    dem = compile_demand(sc)
    arr = first_arrivals(sc, 4, dem=dem)
    callers = [arr.caller(i, dem) for i in range(arr.n_callers)]
    assert len(callers) > 10000
    two = np.array([len(c.needs) == 2 for c in callers])
    assert two.mean() == pytest.approx(0.3, abs=0.015)
    assert all(c.needs == [1, 0] for c, t in zip(callers, two) if t)
    assert all(c.needs == [0] for c, t in zip(callers, two) if not t)
    options = np.array([[c.option(k) for k in range(2)] for c in callers])
    first = np.array([c.needs[0] for c in callers])
    wrong = options != first[:, None]
    assert wrong.mean() == pytest.approx(0.2, abs=0.01)
    # a wrong option is uniform over the other options; attempts draw their own
    picks = options[(first == 0)[:, None] & wrong]
    assert set(np.unique(picks)) == {1, 2}
    assert (picks == 1).mean() == pytest.approx(0.5, abs=0.03)
    assert 0.02 < (wrong[:, 0] & wrong[:, 1]).mean() < 0.06   # about 0.2 x 0.2: independent attempts


def _draws(sc, seed, rep, n=300):
    """What the first n callers of a replication would draw: arrival, call type, needs, and per attempt the
    option, patience and talk, ACW and uniforms (as the engines draw them)."""
    dem = compile_demand(sc)
    arr = first_arrivals(sc, seed, rep, dem)
    out = []
    for i in range(min(n, arr.n_callers)):
        c = arr.caller(i, dem)
        out.append((arr.time[i], c.call_type, tuple(c.needs),
                    tuple((c.option(k), c.patience(k, 0), c.talk(k, 0), c.acw(k, 0), c.u(k, 7), c.u(k, 8),
                           c.redial_delay(k), c.callback_delay(k)) for k in range(2))))
    return arr, out


def test_each_purpose_draws_apart():
    """Changing one law changes only the draws of that purpose: the arrivals, needs, talk and decisions stay."""
    d = two_skill_center()
    d2 = copy.deepcopy(d)
    d2["demand"]["call_types"]["mixed"]["patience"] = {"dist": "lognormal", "mean": 50, "cv": 2}
    d2["demand"]["work"]["billing"]["acw"] = {"dist": "gamma", "mean": 20, "cv": 0.5}
    _, a = _draws(build(d), 8, 0)
    _, b = _draws(build(d2), 8, 0)
    assert [x[:3] for x in a] == [x[:3] for x in b]
    for x, y in zip(a, b):
        for ka, kb in zip(x[3], y[3]):
            assert (ka[0], ka[2], ka[4], ka[5], ka[6], ka[7]) == (kb[0], kb[2], kb[4], kb[5], kb[6], kb[7])
    assert [x[3][0][1] for x in a] != [x[3][0][1] for x in b]   # patience
    billing = [i for i, x in enumerate(a) if x[2][0] == 0]
    assert [a[i][3][0][3] for i in billing] != [b[i][3][0][3] for i in billing]   # ACW of billing needs


def test_a_call_type_keeps_its_callers_when_another_changes():
    """Callers are keyed by call type and number within it: adding volume to one call type leaves every
    caller of the other untouched (arrival times and draws)."""
    d = two_skill_center()
    d["demand"]["call_types"]["other"] = {"arrival_rate": 0.01, "needs": ["tech"]}
    d2 = copy.deepcopy(d)
    d2["demand"]["call_types"]["other"]["arrival_rate"] = 0.05
    sa, sb = build(d), build(d2)
    da, db = compile_demand(sa), compile_demand(sb)
    a, b = first_arrivals(sa, 3, 1, da), first_arrivals(sb, 3, 1, db)
    ma, mb = a.call_type == 0, b.call_type == 0
    np.testing.assert_array_equal(a.time[ma], b.time[mb])
    assert (b.call_type == 1).sum() > 3 * (a.call_type == 1).sum()
    ia, ib = np.flatnonzero(ma)[:200], np.flatnonzero(mb)[:200]
    for i, j in zip(ia, ib):
        x, y = a.caller(int(i), da), b.caller(int(j), db)
        assert x.key == y.key and x.needs == y.needs and x.talk(0, 0) == y.talk(0, 0) and x.patience(1, 0) == y.patience(1, 0)


def test_changing_the_design_leaves_demand_identical(silo, team):
    other = silo.override({"design.groups.tech_agents.staffing": 30, "design.transfer_time": 90, "design.ivr.levels": 1})
    for seed, rep in ((1, 0), (1, 3), (99, 0)):
        arr, base = _draws(silo, seed, rep)
        assert arr.n_callers > 0
        assert base == _draws(team, seed, rep)[1] == _draws(other, seed, rep)[1]
    assert _draws(silo, 1, 0)[1] != _draws(silo, 1, 3)[1]


def _digest(sc_path: str, seed: int, rep: int) -> str:
    code = ("import sys; sys.path.insert(0, 'tests'); import hashlib, ccsim; from test_demand import _draws;"
            f"a, d = _draws(ccsim.load_scenario({sc_path!r}), {seed}, {rep});"
            "print(hashlib.sha256((repr(d) + a.time.tobytes().hex()).encode()).hexdigest())")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.strip()


def test_same_seed_same_callers_in_any_process():
    import ccsim
    path = str(ROOT / "experiments" / "scenarios" / "silo.toml")
    a, d = _draws(ccsim.load_scenario(path), 12, 2)
    h = hashlib.sha256((repr(d) + a.time.tobytes().hex()).encode()).hexdigest()
    assert _digest(path, 12, 2) == h
    assert _digest(path, 12, 3) != h
