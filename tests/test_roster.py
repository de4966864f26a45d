"""Rosters: the integer program against brute force, coverage and cost, the infeasible case, and a roster
for a plan of a shortened bundled day (its price against the per-interval plan, and its repair)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import ccsim
from ccsim import OptionError
from ccsim.engines import DEFAULT_ENGINE
from ccsim.roster import (Roster, ShiftType, coverage_matrix, repair_roster, roster_cost, roster_for_plan,
                          roster_pay, roster_plan, roster_scenario, shift_types, solve_roster, standard_breaks,
                          with_roster)
from ccsim.staffing import Target, _Evaluator, simulated_plan

from centers import SCENARIOS

IV = 1800.0
TARGETS = [Target.parse("service_level>=0.8"), Target.parse("abandon_rate<=0.05")]


def _random_case(seed: int) -> tuple[np.ndarray, list[ShiftType]]:
    """6 intervals, 3-4 shift types at random starts, lengths and rates, requirements 0..3 (0 where no shift
    is present, so the case is feasible)."""
    rng = np.random.default_rng(seed)
    shifts = []
    for k in range(int(rng.integers(3, 5))):
        length = int(rng.integers(1, 5))
        start = int(rng.integers(0, 6 - length + 1))
        shifts.append(ShiftType(f"s{k}", start * IV, length * IV, float(rng.choice([20.0, 25.0, 30.0, 41.0]))))
    req = rng.integers(0, 4, size=6)
    req[coverage_matrix(shifts, 6, IV).sum(axis=1) == 0] = 0
    return req, shifts


def _brute_force(req: np.ndarray, shifts: list[ShiftType]) -> float:
    """The least cost over every roster with 0..max(requirement) agents per shift type."""
    a = coverage_matrix(shifts, len(req), IV)
    hours_cost = np.array([s.length / 3600 * s.cost_per_hour for s in shifts])
    best = np.inf
    for counts in itertools.product(range(int(req.max()) + 1), repeat=len(shifts)):
        c = np.array(counts)
        if (a @ c >= req).all():
            best = min(best, float(c @ hours_cost))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_milp_equals_brute_force_on_small_cases(seed):
    req, shifts = _random_case(seed)
    r = solve_roster(req, shifts, IV, cost_per_hour=99.0)  # every shift has its own rate: 99 is never used
    assert r.cost == pytest.approx(_brute_force(req, shifts))
    assert (r.coverage >= req).all() and (r.surplus >= 0).all()


def test_coverage_is_the_sum_of_the_shifts_present_and_cost_is_hours_times_rate():
    shifts = [ShiftType("early", 0, 3 * IV), ShiftType("mid", 2 * IV, 2 * IV, cost_per_hour=40.0),
              ShiftType("late", 3 * IV, 3 * IV)]
    req = np.array([2, 2, 5, 4, 1, 1])
    r = solve_roster(req, shifts, IV, cost_per_hour=30.0)
    expected = np.zeros(6, dtype=int)
    for s, c in zip(shifts, r.counts):
        for i in range(6):
            if s.start <= i * IV and (i + 1) * IV <= s.end:
                expected[i] += c
    assert (r.coverage == expected).all()
    assert (r.surplus == r.coverage - req).all()
    rates = [30.0, 40.0, 30.0]
    assert r.cost == pytest.approx(sum(c * s.length / 3600 * p for c, s, p in zip(r.counts, shifts, rates)))
    assert r.agent_hours() == pytest.approx(r.coverage.sum() * IV / 3600)
    # the optimum: 2 early, 1 late, and the peak filled by the dearer but shorter mid shift
    assert list(r.counts) == [2, 3, 1] and r.cost == pytest.approx(2 * 1.5 * 30 + 3 * 40 + 1 * 1.5 * 30)
    f = r.frame()
    assert list(f["agents"]) == [2, 3, 1] and f["cost"].sum() == pytest.approx(r.cost)
    assert list(r.intervals()["coverage"]) == list(r.coverage)


def test_shift_types_fit_the_day_on_the_interval_grid():
    st = shift_types(86400, IV, lengths=(8 * 3600, 4 * 3600))
    assert len(st) == (48 - 16 + 1) + (48 - 8 + 1)
    assert all(s.start % IV == 0 and s.end <= 86400 for s in st)
    assert {s.name for s in st} >= {"00:00+8h", "16:00+8h", "20:00+4h"}
    with pytest.raises(OptionError, match="multiple of the interval"):
        shift_types(86400, IV, lengths=(5000,))


def test_an_interval_no_shift_covers_gives_one_clear_error_naming_it():
    shifts = [ShiftType("morning", 0, 2 * IV), ShiftType("evening", 4 * IV, 2 * IV)]
    with pytest.raises(OptionError, match=r"no shift covers interval 2 \(01:00-01:30\), which needs 3 agents "
                                          r".*fix: add a shift type present from 01:00 to 01:30"):
        solve_roster(np.array([1, 1, 3, 0, 2, 2]), shifts, IV, 30.0)
    # uncovered intervals needing nobody are fine
    assert solve_roster(np.array([1, 1, 0, 0, 2, 2]), shifts, IV, 30.0).cost == pytest.approx(1 * 30 + 2 * 30)
    with pytest.raises(OptionError, match="shift 'odd'"):
        solve_roster(np.zeros(6), [ShiftType("odd", 600, IV)], IV)


def test_zero_rates_give_the_fewest_agent_hours():
    shifts = [ShiftType("long", 0, 6 * IV), ShiftType("a", 0, 2 * IV), ShiftType("b", 4 * IV, 2 * IV)]
    r = solve_roster(np.array([1, 1, 0, 0, 1, 1]), shifts, IV)
    assert list(r.counts) == [0, 1, 1] and r.cost == 0.0 and r.agent_hours() == 2.0


@pytest.fixture(scope="module")
def morning():
    """The bundled silo day cut to 00:00-12:00 (the night and the morning rise), its simulated plan (5 days)."""
    sc = ccsim.load_scenario(SCENARIOS / "silo.toml").override({"horizon": 12 * 3600, "max_drain": 3600})
    plan = simulated_plan(sc, TARGETS, reps=5, seed=1, engine=DEFAULT_ENGINE)
    return sc, plan


def test_roster_for_a_plan_covers_it_and_costs_at_least_the_plan(morning):
    sc, plan = morning
    rosters = roster_for_plan(sc, plan, shift_types(sc.horizon, sc.interval, lengths=(6 * 3600, 4 * 3600)))
    assert list(rosters) == list(sc.design.groups)
    rates = np.array([g.cost_per_hour for g in sc.design.groups.values()])
    plan_cost = float((plan.agents.sum(axis=1) * sc.interval / 3600 * rates).sum())
    assert roster_cost(rosters) >= plan_cost - 1e-9
    assert roster_cost(rosters) > plan_cost  # 4-6 h shifts cannot follow the morning rise exactly
    covered = roster_plan(sc, rosters).agents
    assert (covered >= plan.agents).all()
    for i, g in enumerate(sc.design.groups):
        assert isinstance(rosters[g], Roster) and (rosters[g].requirement == plan.agents[i]).all()
    staffed = with_roster(sc, rosters)
    assert [staffed.design.groups[g].staffing_profile(sc.n_intervals) for g in sc.design.groups] == covered.tolist()
    # simulated, the rostered day pays the roster's agent-hours (plus calls finished after the horizon)
    paid = ccsim.simulate(staffed, reps=2, seed=3).summary().loc["cost", "mean"]
    assert paid == pytest.approx(roster_cost(rosters), rel=1e-3) and paid >= roster_cost(rosters)


def test_repair_meets_every_target_where_the_roster_missed(morning):
    sc, plan = morning
    st = shift_types(sc.horizon, sc.interval, lengths=(6 * 3600, 4 * 3600))
    rosters = roster_for_plan(sc, plan, st)
    # take agents away from billing's morning so the roster misses, then repair
    short = dict(rosters)
    b = rosters["billing_agents"]
    short["billing_agents"] = solve_roster(np.maximum(b.requirement - 8, 1), st, sc.interval, b.cost_per_hour)
    ev = _Evaluator(sc, TARGETS, 5, 1, DEFAULT_ENGINE, 10.0)
    assert (ev.stats(roster_plan(sc, short).agents, True)[0] < 0).any()
    repaired, rounds = repair_roster(sc, short, TARGETS, reps=5, seed=1)
    assert rounds >= 1
    assert (ev.stats(roster_plan(sc, repaired).agents, True)[0] >= 0).all()
    missed = ev.stats(roster_plan(sc, short).agents, True)[0] < 0
    assert (roster_plan(sc, repaired).agents.sum(axis=0)[missed] > roster_plan(sc, short).agents.sum(axis=0)[missed]).all()
    assert roster_cost(repaired) > roster_cost(short)
    with pytest.raises(OptionError, match="after 0 rounds"):
        repair_roster(sc, short, TARGETS, reps=5, seed=1, max_rounds=0)


def test_a_roster_worked_as_shifts_has_its_coverage_and_loses_its_breaks_time(morning):
    """roster_scenario: the scenario staffed by the rosters' shifts; without breaks it is the per-interval coverage
    run for run (the same records), with standard breaks each agent is off the phones for the breaks' total."""
    sc, plan = morning
    rosters = roster_for_plan(sc, plan, shift_types(sc.horizon, sc.interval, lengths=(6 * 3600, 4 * 3600)))
    bare = roster_scenario(sc, rosters, breaks=lambda _: [])
    assert [bare.design.groups[g].staffing_profile(sc.n_intervals) for g in sc.design.groups] == \
        roster_plan(sc, rosters).agents.tolist()
    per_interval = ccsim.simulate(with_roster(sc, rosters), reps=2, seed=4, keep_calls=False).summary()
    as_shifts = ccsim.simulate(bare, reps=2, seed=4, keep_calls=False).summary()
    assert per_interval.loc["service_level", "mean"] == as_shifts.loc["service_level", "mean"]
    worked = roster_scenario(sc, rosters)
    res = ccsim.simulate(worked, reps=1, seed=4, keep_calls=False)
    off = sum(n * sum(b["duration"] for b in standard_breaks(st.length))
              for r in rosters.values() for st, n in zip(r.shift_types, r.counts))
    # cost counts time on the phones: the breaks' time is gone (at least half of it: the last breaks may fall
    # after the morning's horizon, outside the window)
    on_phones = float(res.summary().loc["cost", "mean"])
    assert on_phones < roster_cost(rosters) - 0.5 * off / 3600 * min(g.cost_per_hour for g in sc.design.groups.values())
    with pytest.raises(OptionError, match="unknown group"):
        roster_scenario(sc, {"nobody": rosters["billing_agents"]})


def test_a_worked_rosters_pay_is_its_cost_less_the_unpaid_lunches(morning):
    sc, plan = morning
    rosters = roster_for_plan(sc, plan, shift_types(sc.horizon, sc.interval, lengths=(6 * 3600, 4 * 3600)))
    assert roster_pay(roster_scenario(sc, rosters, breaks=lambda _: [])) == pytest.approx(roster_cost(rosters))
    lunches = sum(n * 0.5 * rosters[g].cost_per_hour for g in rosters
                  for st, n in zip(rosters[g].shift_types, rosters[g].counts) if st.length >= 6 * 3600)
    assert lunches > 0
    assert roster_pay(roster_scenario(sc, rosters)) == pytest.approx(roster_cost(rosters) - lunches)
