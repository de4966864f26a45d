"""Demand sampling: arrivals, needs, misroutes, and common random numbers (the distributions themselves are
tested in test_distributions.py)."""
from __future__ import annotations

import copy
import hashlib
import subprocess
import sys

import numpy as np
import pytest

from ccsim.demand import expected_arrivals, sample_demand

from centers import ROOT, build, two_skill_center


def test_arrivals_are_poisson_per_interval():
    d = two_skill_center(horizon=4 * 3600.0)
    d["demand"]["call_types"]["mixed"] = {"volume": [30, 90, 10, 60, 0, 120, 45, 5], "needs": ["billing"]}
    sc = build(d)
    counts = np.array([np.histogram(sample_demand(sc, 3, r).arrival, bins=np.arange(9) * 1800.0)[0]
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
    n = np.array([sample_demand(sc, 5, r).n_callers for r in range(300)], dtype=float)
    mean = 0.05 * 86400
    assert n.mean() == pytest.approx(mean, rel=0.05)
    # var = mean + cv^2 mean^2 for a gamma-mixed Poisson count
    assert n.var(ddof=1) == pytest.approx(mean + 0.09 * mean**2, rel=0.25)


def test_surge_multiplies_volume_in_its_window():
    d = two_skill_center(horizon=6 * 3600.0)
    d["demand"]["call_types"]["mixed"] = {"arrival_rate": 0.02, "needs": ["billing"]}
    d["demand"]["surges"] = [{"start": 7200, "end": 12600, "multiplier": 3.0}]
    sc = build(d)
    a = np.concatenate([sample_demand(sc, 9, r).arrival for r in range(100)])
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
    dem = sample_demand(build(d), 4)
    two = dem.n_needs == 2
    assert two.mean() == pytest.approx(0.3, abs=0.01)
    assert (dem.needs[two, 0] == 1).all() and (dem.needs[two, 1] == 0).all()
    assert (dem.needs[~two, 1] == -1).all()
    wrong = dem.option != dem.needs[:, :1]
    assert wrong.mean() == pytest.approx(0.2, abs=0.01)
    # a wrong option is uniform over the other options
    first_billing = np.repeat((dem.needs[:, 0] == 0)[:, None], dem.option.shape[1], axis=1) & wrong
    picks = dem.option[first_billing]
    assert set(np.unique(picks)) == {1, 2}
    assert (picks == 1).mean() == pytest.approx(0.5, abs=0.03)


def test_each_purpose_has_its_own_stream():
    d = two_skill_center()
    a = sample_demand(build(d), 8)
    d2 = copy.deepcopy(d)
    d2["demand"]["call_types"]["mixed"]["patience"] = {"dist": "lognormal", "mean": 50, "cv": 2}
    d2["demand"]["call_types"]["mixed"]["misroute_prob"] = 0.3
    b = sample_demand(build(d2), 8)
    for name in ("arrival", "talk", "acw", "resolve_u", "retry_u", "needs"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.patience, b.patience)


def test_changing_the_design_leaves_demand_identical(silo, team):
    other = silo.override({"design.groups.tech_agents.staffing": 30, "design.transfer_time": 90, "design.ivr.levels": 1})
    for seed, rep in ((1, 0), (1, 3), (99, 0)):
        base = sample_demand(silo, seed, rep)
        assert base.n_callers > 0
        assert base.equals(sample_demand(team, seed, rep)) and base.equals(sample_demand(other, seed, rep))
    assert not sample_demand(silo, 1, 0).equals(sample_demand(silo, 1, 3))


def _digest(sc_path: str, seed: int, rep: int) -> str:
    code = ("import hashlib, ccsim; from ccsim.demand import sample_demand; from dataclasses import fields;"
            f"d = sample_demand(ccsim.load_scenario({sc_path!r}), {seed}, {rep}); h = hashlib.sha256();"
            "[h.update(getattr(d, f.name).tobytes()) for f in fields(d)]; print(h.hexdigest())")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_same_seed_same_callers_in_any_process():
    from dataclasses import fields

    import ccsim
    path = str(ROOT / "experiments" / "scenarios" / "silo.toml")
    d = sample_demand(ccsim.load_scenario(path), 12, 2)
    h = hashlib.sha256()
    for f in fields(d):
        h.update(getattr(d, f.name).tobytes())
    assert _digest(path, 12, 2) == h.hexdigest()
    assert _digest(path, 12, 3) != h.hexdigest()
