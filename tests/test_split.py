"""The best split of a headcount across groups (ccsim.split): rounding and grid without simulation, then a
small search that must move heads to an obviously understaffed group and prove the gain."""
from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from centers import build, two_skill_center
from ccsim.split import (apportion, best_split, choose, restaffed, shares_of, simplex_grid, split_staffing,
                         staffing_matrix)


# --------------------------------------------------------------------------- rounding
def test_apportion_is_largest_remainder():
    assert apportion(10, [0.5, 0.3, 0.2]).tolist() == [5, 3, 2]
    assert apportion(10, [1, 1, 1]).tolist() == [4, 3, 3]          # a tie goes to the first group
    assert apportion(7, [0.64, 0.36]).tolist() == [4, 3]           # quotas 4.48 / 2.52: the larger remainder
    assert apportion(5, [0.98, 0.01, 0.01], [1, 1, 1]).tolist() == [3, 1, 1]  # minimums bind
    assert apportion(0, [0.5, 0.5]).tolist() == [0, 0]
    with pytest.raises(ValueError):
        apportion(2, [0.5, 0.3, 0.2], [1, 1, 1])                    # cannot keep three groups open with two


def test_apportion_keeps_the_total_and_the_minimums():
    rng = np.random.default_rng(7)
    for _ in range(3000):
        n = int(rng.integers(1, 6))
        w = rng.dirichlet(np.full(n, 0.4)) * (rng.random(n) > 0.15)
        if w.sum() == 0:
            w[0] = 1.0
        m = (rng.random(n) < 0.7).astype(int)
        total = int(m.sum() + rng.integers(0, 200))
        a = apportion(total, w, m)
        assert a.sum() == total and (a >= m).all()
        quota = total * w / w.sum()
        if (np.floor(quota) >= m).all():                           # minimums not binding: quota rule
            assert (np.abs(a - quota) < 1).all()


def test_split_staffing_keeps_every_interval_total_and_the_open_groups():
    rng = np.random.default_rng(3)
    for _ in range(200):
        s = rng.integers(0, 40, size=(int(rng.integers(2, 5)), 12)) * (rng.random((1, 12)) > 0.1)
        w = rng.dirichlet(np.ones(s.shape[0]))
        new = split_staffing(s, w)
        assert (new.sum(axis=0) == s.sum(axis=0)).all()             # the headcount of every interval, exactly
        assert ((new >= 1) | (s == 0)).all()                        # every group open today keeps an agent
        assert (new[s == 0] == 0).all()                             # and closed groups stay closed


def test_restaffed_bundled_scenarios_keep_the_headcount(silo, team):
    for sc in (silo, team):
        today = staffing_matrix(sc)
        assert np.abs(shares_of(split_staffing(today, shares_of(today))) - shares_of(today)).max() < 0.005
        w = shares_of(today) + np.array([0.1, -0.1] + [0.0] * (today.shape[0] - 2))
        new = staffing_matrix(restaffed(sc, w))
        assert (new.sum(axis=0) == today.sum(axis=0)).all() and (new >= 1).all()
        assert abs(shares_of(new)[0] - w[0]) < 0.01


# --------------------------------------------------------------------------- the grid
def test_grid_covers_the_simplex_and_starts_at_today():
    # a center on the lattice of sixths: the grid is every split of 6 sixths among 3 groups
    g = simplex_grid([1 / 3, 1 / 3, 1 / 3], 1 / 6)
    want = {k for k in product(range(7), repeat=3) if sum(k) == 6}
    assert {tuple(round(6 * x) for x in row) for row in g} == want and len(g) == len(want) == 28
    # any center: every point on the grid, the center first, and no point of the simplex a step away from it
    rng = np.random.default_rng(0)
    for center in ([0.369, 0.415, 0.216], [0.5846, 0.4154], [0.1, 0.2, 0.3, 0.4]):
        g = simplex_grid(center, 0.05)
        assert np.allclose(g[0], center) and np.allclose(g.sum(axis=1), 1) and (g >= 0).all()
        x = rng.dirichlet(np.ones(len(center)), 2000)
        assert np.abs(x[:, None, :] - g[None]).max(axis=2).min(axis=1).max() < 0.05


def test_grid_around_today_within_a_radius():
    today = [0.6, 0.4]
    g = simplex_grid(today, 0.05, radius=0.2)
    assert np.allclose(g[0], today) and len(g) == 9 and np.allclose(sorted(g[:, 0]), np.arange(0.4, 0.81, 0.05))
    g = simplex_grid([0.37, 0.41, 0.22], 0.05, radius=0.1, floor=0.2)
    assert np.allclose(g[0], [0.37, 0.41, 0.22]) and (np.abs(g - g[0]).max(axis=1) <= 0.1 + 1e-9).all()
    assert (g >= 0.2 - 1e-9).all() and len(g) == 12  # the hexagon of radius 2 steps, 3rd share never down
    assert len(simplex_grid([0.3, 0.3, 0.4], 0.025, radius=0.1)) == 61  # 3K(K+1)+1 for K = 4


def test_choose_prefers_fewer_abandons_among_near_ties():
    t = pd.DataFrame({"service_level_caller": [0.900, 0.920, 0.918, 0.850],
                      "abandon_rate": [0.010, 0.030, 0.020, 0.001]}, index=[5, 6, 7, 8])
    assert choose(t, tie=0.0025) == 7      # within a quarter point of the best, and fewer callers lost
    assert choose(t, tie=0.0) == 6


# --------------------------------------------------------------------------- the search
def test_search_moves_heads_to_the_understaffed_group(tmp_path):
    """Every caller needs billing then tech; 20 billing agents and 8 tech agents is lopsided: the search must
    move heads to tech, beat today's staffing with a paired CI on fresh days, and keep every interval's total."""
    d = two_skill_center("cold")
    d["design"]["groups"]["billing_agents"]["staffing"] = 20
    d["design"]["groups"]["tech_agents"]["staffing"] = 8
    sc = build(d)
    sp = best_split(sc, step=0.1, radius=0.3, fine=2, reps=6, seed=3, workers=2, out=tmp_path)
    (bill_today, bill_best), (tech_today, tech_best) = sp.shares().values()
    assert tech_best > tech_today + 0.15 and bill_best < bill_today
    assert sp.adopted, sp.notes
    diff, lo, _ = sp.gain()
    assert lo > 0 and diff > 0.1
    assert (staffing_matrix(sp.scenario).sum(axis=0) == staffing_matrix(sc).sum(axis=0)).all()
    assert sp.evidence["chosen"].sum() == 1 and (sp.evidence["stage"] == "today").sum() == 1
    # a second call re-reads the search sweeps from disk and finds the same split
    again = best_split(sc, step=0.1, radius=0.3, fine=2, reps=6, seed=3, workers=2, out=tmp_path)
    assert np.allclose(again.best, sp.best) and again.adopted
