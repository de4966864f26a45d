"""Attribution of silo -> team to its levers: the Shapley and factorial arithmetic on hand-made corners, the 16
designs (valid, same demand, same headcount), and a small end-to-end run whose contributions add up to the
paired total per replication."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import ccsim
from ccsim.attribution import (COLUMNS, LEVERS, TABLE_FILE, attribute, corner_levels, decompose, effects, plan,
                               shapley, total, warm_cycle)
from ccsim.kpis import paired_difference


def corner_values(k: int, f) -> np.ndarray:
    """One replication's corner values of the function f(levels) (levels: tuple of 0/1)."""
    return np.array([[f(tuple(lv)) for lv in corner_levels(k)]], dtype=float)


def brute_force_shapley(v: np.ndarray, k: int) -> np.ndarray:
    """Each lever's marginal contribution averaged over all k! orders of switching the levers from A to B."""
    out = np.zeros((v.shape[0], k))
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        c = 0
        for i in order:
            out[:, i] += v[:, c | 1 << i] - v[:, c]
            c |= 1 << i
    return out / len(orders)


# --------------------------------------------------------------------------- arithmetic
def test_corners_run_from_all_a_to_all_b():
    lv = corner_levels(4)
    assert lv.shape == (16, 4) and not lv[0].any() and lv[-1].all()
    assert len({tuple(r) for r in lv}) == 16
    assert lv[1].tolist() == [1, 0, 0, 0]  # bit i of the corner index is lever i


def test_additive_case_contributions_equal_main_effects():
    beta = np.array([2.0, -1.5, 0.25, 4.0])
    v = corner_values(4, lambda x: 10 + beta @ np.array(x))
    assert np.allclose(shapley(v), beta)
    terms, eff = effects(v)
    assert np.allclose(eff[0, :4], beta)                  # main effects
    assert np.allclose(eff[0, 4:], 0)                     # no interaction
    assert [len(t) for t in terms] == [1] * 4 + [2] * 6


def test_a_pure_interaction_is_split_evenly():
    v = np.array([[0.0, 0.0, 0.0, 1.0]])                  # only both levers together do anything
    assert np.allclose(shapley(v), [0.5, 0.5])
    v3 = corner_values(3, lambda x: 6.0 * x[0] * x[2])    # levers 0 and 2 interact, lever 1 is inert
    assert np.allclose(shapley(v3), [3.0, 0.0, 3.0])


def test_contributions_add_up_to_the_total_and_match_all_24_orders():
    rng = np.random.default_rng(5)
    v = rng.normal(size=(7, 16)) * rng.uniform(1, 100, size=16)
    phi = shapley(v)
    assert np.allclose(phi.sum(axis=1), total(v))
    assert np.allclose(phi, brute_force_shapley(v, 4))
    v2 = rng.normal(size=(3, 8))
    assert np.allclose(shapley(v2), brute_force_shapley(v2, 3))


def test_factorial_contrasts_on_hand_made_designs():
    # 2^2: y00 = 1, y10 = 3, y01 = 2, y11 = 8 (corner index = x0 + 2 x1)
    terms, eff = effects(np.array([[1.0, 3.0, 2.0, 8.0]]))
    assert terms == [(0,), (1,), (0, 1)]
    assert np.allclose(eff[0], [(3 + 8 - 1 - 2) / 2, (2 + 8 - 1 - 3) / 2, (1 + 8 - 3 - 2) / 2])  # 4, 3, 2
    # 2^4: y = 5 + 2 x0 - x3 + 3 x1 x2 (x in {0, 1}); in +-1 coding 3 x1 x2 = 3/4 (1 + s1 + s2 + s1 s2)
    terms, eff = effects(corner_values(4, lambda x: 5 + 2 * x[0] - x[3] + 3 * x[1] * x[2]))
    want = {(0,): 2.0, (1,): 1.5, (2,): 1.5, (3,): -1.0, (1, 2): 1.5}
    assert np.allclose(eff[0], [want.get(t, 0.0) for t in terms])


def test_bad_corner_counts_are_refused():
    with pytest.raises(ValueError):
        shapley(np.zeros((2, 6)))


def hand_attribution(noise: float = 0.01, reps: int = 12, labels=("silo", "team")):
    """Corner values with known effects: menu -2, organisation +5, ownership +1 with noise, transfer nothing
    beyond noise (its CI must span zero)."""
    rng = np.random.default_rng(3)
    lv = corner_levels(4)
    base = np.array([-2.0, 0.0, 5.0, 1.0]) @ lv.T
    v = 50 + base + rng.normal(0, noise, size=(reps, 16)) + rng.normal(0, 3, size=(reps, 1))  # day effect cancels
    values = {"asa": v, "cost": v * 100}
    corners = [labels[0] if not c else labels[1] if c == 15 else f"{labels[0]}+{c}" for c in range(16)]
    return decompose(values, LEVERS, corners, *labels), v


def test_the_table_is_tidy_and_unclear_levers_are_not_named():
    att, v = hand_attribution()
    assert tuple(att.table.columns) == COLUMNS
    assert set(att.table["kind"]) == {"corner", "total", "shapley", "main", "interaction"}
    c = att.contributions("asa")
    assert np.isclose(c["mean"].sum(), att.total("asa")["mean"])
    assert att.movers("asa") == ["organisation", "menu", "ownership"]
    assert not c.loc["transfer", "clear"]
    s = att.sentence("asa")
    moved, rest = s.split("; transfer mode")
    assert "transfer" not in moved and rest.startswith(": no clear effect")
    per = att.per_rep[(att.per_rep["kpi"] == "asa") & (att.per_rep["kind"] == "shapley")]
    assert np.allclose(per.groupby("rep")["value"].sum().to_numpy(), total(v))


def test_the_page_escapes_labels_and_embeds_plotly_once(tmp_path):
    from plotly.offline import get_plotlyjs

    from ccsim.report.attribution import render, write_page

    att, _ = hand_attribution(labels=("<i>silo</i>", "team & <b>co</b>"))
    html = render(att, ["asa", "cost"])
    assert "<i>silo" not in html and "<b>co" not in html and "&lt;i&gt;silo" in html
    assert html.count(get_plotlyjs()[:300]) == 1 and html.count("Plotly.newPlot(") == 2
    assert "no clear effect" in html
    path = write_page(att, tmp_path / "a.html", ["asa"])
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --------------------------------------------------------------------------- the 16 designs
def headcount(sc: ccsim.Scenario) -> np.ndarray:
    n = sc.n_intervals
    return np.sum([g.staffing_profile(n, sc.design.staffing_scale) for g in sc.design.groups.values()], axis=0)


def routes(d: ccsim.Design) -> dict:
    return {s: d.route(s) for s in d.routes}


def test_the_16_designs_are_valid_with_the_same_demand_and_headcount(silo, team):
    p = plan(silo, team)
    assert len(p.corners) == 16 and len({c.label for c in p.corners}) == 16
    for c in p.corners:
        sc = p.scenario(c)                                   # validated (warm cycles included)
        assert sc.demand == silo.demand and sc.horizon == silo.horizon
        assert np.array_equal(headcount(sc), headcount(silo))
    a, b = p.corners[0].design, p.corners[-1].design
    for built, want in ((a, silo.design), (b, team.design)):  # the ends are the two designs themselves
        assert routes(built) == routes(want)
        skip = {"name", "routes", "transfer_mode"}
        assert built.model_dump(exclude=skip) == want.model_dump(exclude=skip)
    for i, lv in enumerate(p.levers):                          # each lever alone changes what it owns
        one = p.corners[1 << i].design
        changed = {f for f in ccsim.Design.model_fields if getattr(one, f) != getattr(a, f)} - {"name"}
        owns = set(lv.owns) | ({"routes"} if lv.key == "transfer" else set())  # the modes of the routes
        assert changed and changed <= owns, (lv.key, changed)
        if lv.key != "organisation":                          # where routes lead is the organisation's
            assert {s: q[:2] for s, q in routes(one).items()} == {s: q[:2] for s, q in routes(a).items()}


def test_warm_in_the_silo_organisation_is_warm_on_the_tech_route_only_and_said(silo, team):
    p = plan(silo, team)
    d = silo.design.model_dump(mode="python")
    for r in d["routes"].values():
        r["mode"] = "warm"
    assert warm_cycle(d)                                     # all warm: two departments could hold each other
    warm = p.corners[0b0010]                                 # silo + warm transfers
    assert {s: m for s, (_, _, m) in routes(warm.design).items()} == {"billing": "cold", "tech": "warm", "sales": "cold"}
    assert warm.design.cold_transfer_resolution_factor == silo.design.cold_transfer_resolution_factor
    assert warm.notes and "warm cycle" in warm.notes[0]
    assert any("tech route" in n for n in p.notes())
    assert not p.corners[0b0110].notes                       # teams: warm everywhere, no cycle


def test_differences_no_lever_owns_and_different_demand_are_refused(silo, team):
    with pytest.raises(ccsim.ScenarioError, match="no lever owns"):
        plan(silo, team.override({"design.survey.seconds": 90}))
    with pytest.raises(ccsim.ScenarioError, match="same demand"):
        plan(silo, team.override({"demand.busyness_cv": 0.2}))


# --------------------------------------------------------------------------- end to end
def test_a_small_run_adds_up_per_replication(silo, team, tmp_path):
    short = {"horizon": 9 * 3600.0, "max_drain": 3600.0}
    a, b = silo.override(short), team.override(short)
    p = plan(a, b)
    res = p.sweep("attr_small", reps=3, seed=7).run(tmp_path / "sweep", workers=1)
    att = attribute(res, p)
    assert att.reps == 3 and att.seed == 7 and att.notes
    k0 = res.kpis(0)
    assert np.allclose(k0.to_numpy(), ccsim.simulate(a, reps=3, seed=7, keep_calls=False).kpis[k0.columns].to_numpy(),
                       equal_nan=True)                       # corner 0 is the silo scenario itself
    k15 = res.kpis(15)
    paired = paired_difference(k0, k15)
    per = att.per_rep
    for kpi in ("service_level", "fcr", "time_in_system_answered", "cost", "reexplanations_per_call"):
        diff = (k15[kpi] - k0[kpi]).to_numpy()
        phi = per[(per["kpi"] == kpi) & (per["kind"] == "shapley")].groupby("rep")["value"].sum().to_numpy()
        assert np.allclose(phi, diff), kpi                   # contributions add up, replication by replication
        assert math.isclose(att.total(kpi)["mean"], paired.loc[kpi, "diff"], rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(att.total(kpi)["ci_low"], paired.loc[kpi, "ci_low"], rel_tol=1e-9, abs_tol=1e-12)
    assert att.total("reexplanations_per_call")["mean"] < 0   # teams never re-explain
    att.save(tmp_path / "sweep")
    back = pd.read_parquet(tmp_path / "sweep" / TABLE_FILE)
    assert list(back.columns) == list(COLUMNS) and len(back) == len(att.table)
