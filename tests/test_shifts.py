"""Shifts, breaks and absenteeism (ccsim/shifts.py, docs/model.md §2 "Shifts and breaks"): what a roster schedules,
when breaks start and end on both engines, and absent agents paired across designs."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.engines.compiled import compile_scenario, workforce
from ccsim.engines.numba_engine import run_numba
from ccsim.engines.simpy_engine import run_simpy
from ccsim.errors import ScenarioError
from test_engine_equality import assert_same_output

BREAK = {"earliest": 1000.0, "latest": 1200.0, "duration": 300.0}


def center(volume: float, talk: float, agents: int, breaks: list[dict], shift: tuple[float, float] = (0.0, 3600.0),
           **extra) -> dict:
    """One queue, one group on one rostered shift, callers who never hang up, deterministic talk."""
    d = {
        "name": "shifts", "horizon": 3600.0, "interval": 900.0, "max_drain": 3600.0,
        "demand": {"skills": ["a"], "work": {"a": {"talk": talk}},
                   "call_types": {"c": {"volume": [volume] * 4, "needs": ["a"]}}},
        "design": {"queues": {"q": {}}, "routes": {"a": "q"},
                   "shift_types": {"s": {"start": shift[0], "length": shift[1], "breaks": breaks}},
                   "groups": {"g": {"skills": ["a"], "queues": ["q"], "roster": {"s": agents}}}},
    }
    for path, v in extra.items():
        node = d
        *head, last = path.split(".")
        for k in head:
            node = node[k]
        node[last] = v
    return d


def both(d: dict, seed: int = 3):
    comp = compile_scenario(ccsim.scenario_from_dict(d))
    a, b = run_simpy(comp, seed, 0), run_numba(comp, seed, 0)
    assert_same_output(a, b)
    return comp, a


def test_roster_schedules_its_shifts_agents():
    d = center(10, 60.0, 3, [], shift=(900.0, 1800.0))
    d["design"]["shift_types"]["t"] = {"start": 0.0, "length": 3600.0}
    d["design"]["groups"]["g"]["roster"] = {"s": 3, "t": 2}
    assert compile_scenario(ccsim.scenario_from_dict(d)).staffing.tolist() == [[2, 5, 5, 2]]
    d["design"]["staffing_scale"] = 2.0
    assert compile_scenario(ccsim.scenario_from_dict(d)).staffing.tolist() == [[4, 10, 10, 4]]


def test_idle_agents_take_their_break_when_the_window_opens():
    """No caller at all: both agents go on break at `earliest` for `duration`, off the phones (staffed time)."""
    comp, out = both(center(0.0, 60.0, 2, [BREAK]))
    assert out.staffed[0, :4].tolist() == [1800.0, 1800.0 - 2 * 300.0, 1800.0, 1800.0]


def test_a_busy_agent_keeps_answering_until_the_latest_start_then_breaks_after_the_call():
    """One agent, a queue that never empties: calls back to back, except one gap of exactly the break's duration,
    right after the call that spans the latest start (or ends on it)."""
    _, out = both(center(200.0, 100.0, 1, [BREAK]))
    legs = out.legs
    served = np.flatnonzero(legs["agent"] >= 0)
    start = np.sort(out.contacts["answered_at"][~np.isnan(out.contacts["answered_at"])])
    ends = np.sort(legs["agent_end"][served])
    gaps = start[1:] - ends[:-1]
    assert np.count_nonzero(gaps > 1e-9) == 1
    k = int(np.flatnonzero(gaps > 1e-9)[0])
    assert gaps[k] == pytest.approx(300.0)
    assert ends[k] >= 1200.0 and (k == 0 or ends[k - 1] < 1200.0)


def test_a_break_is_taken_in_a_lull_before_the_latest_start():
    """Light load: the agent finishes a call inside the window with nobody waiting and goes on break at once, so
    the break starts between earliest and latest and the agent is off the phones for exactly its duration."""
    comp, out = both(center(1.0, 100.0, 1, [{"earliest": 1000.0, "latest": 2400.0, "duration": 300.0}]), seed=5)
    assert out.staffed[0, :4].sum() == pytest.approx(3600.0 - 300.0)


def test_breaks_not_started_when_their_shift_ends_are_not_taken():
    """A break owed by a shift that ended (its agents busy past the end) is not taken by the agents of another
    shift: the run is the same as without that break."""
    def two_shifts(breaks):
        d = center(200.0, 700.0, 1, breaks, shift=(0.0, 1800.0))
        d["design"]["shift_types"]["t"] = {"start": 0.0, "length": 3600.0}
        d["design"]["groups"]["g"]["roster"] = {"s": 1, "t": 1}
        return d
    _, with_break = both(two_shifts([{"earliest": 1400.0, "latest": 1500.0, "duration": 300.0}]))
    _, without = both(two_shifts([]))
    assert_same_output(with_break, without)


def test_roster_with_breaks_and_absence_identical_on_both_engines():
    d = center(40.0, 90.0, 6, [BREAK, {"earliest": 2000.0, "latest": 2600.0, "duration": 600.0, "paid": False}])
    d["design"]["groups"]["g"]["absenteeism"] = 0.3
    for seed in range(4):
        both(d, seed)


def test_absence_is_paired_across_designs_and_has_its_probability():
    """The same agents are absent whatever else the design changes (another group, another routing rule, another
    shift type beside it); across days and replications the share absent is the probability (binomial test)."""
    d = center(10.0, 60.0, 40, [], **{"design.groups.g.absenteeism": 0.25})
    d["horizon"] = 20 * 86400.0
    d["interval"] = 3600.0
    d["demand"]["call_types"]["c"] = {"arrival_rate": 0.001, "needs": ["a"]}
    other = copy.deepcopy(d)
    other["design"]["agent_selection"] = "random"
    other["design"]["shift_types"]["u"] = {"start": 7200.0, "length": 3600.0}
    other["design"]["groups"]["h"] = {"skills": ["a"], "queues": ["q"], "roster": {"u": 5}, "absenteeism": 0.5}
    a, b = compile_scenario(ccsim.scenario_from_dict(d)), compile_scenario(ccsim.scenario_from_dict(other))
    absent = 0
    for rep in range(5):
        sa, _ = workforce(a, 11, rep)
        sb, _ = workforce(b, 11, rep)
        assert (sa[0] == sb[0]).all()
        absent += int((40 - sa[0, ::24]).sum())
    n = 40 * 20 * 5
    assert stats.binomtest(absent, n, 0.25).pvalue > 0.001
    assert not (workforce(a, 11, 0)[0] == workforce(a, 12, 0)[0]).all()


@pytest.mark.parametrize("change, field", [
    ({"design.groups.g.roster": {"nope": 2}}, "design.groups.g.roster"),
    ({"design.groups.g.staffing": 3}, "design.groups.g"),
    ({"design.shift_types.s.start": 100.0}, "design.shift_types.s.start"),
    ({"design.shift_types.s.breaks": [{"earliest": 3000.0, "latest": 3400.0, "duration": 300.0}]}, "design.shift_types.s"),
    ({"design.shift_types.s.breaks": [{"earliest": 300.0, "latest": 200.0, "duration": 60.0}]}, "design.shift_types.s"),
])
def test_bad_rosters_are_refused_naming_the_field(change, field):
    d = center(10.0, 60.0, 2, [], **change)
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        ccsim.scenario_from_dict(d)


def test_absenteeism_needs_a_roster():
    d = center(10.0, 60.0, 2, [])
    g = d["design"]["groups"]["g"]
    g.pop("roster")
    g.update(staffing=2, absenteeism=0.1)
    with pytest.raises(ScenarioError, match="absenteeism"):
        ccsim.scenario_from_dict(d)


def test_rosters_making_too_many_rows_are_refused_at_once():
    """Shifts x days x (1 + breaks) is bounded (the engines keep a row each): 250 shift types of 10 breaks over 400
    days would make 1,100,000."""
    d = center(10.0, 60.0, 1, [])
    d.update(horizon=400 * 86400.0, interval=3600.0)
    d["demand"]["call_types"]["c"] = {"arrival_rate": 0.001, "needs": ["a"]}
    brk = [{"earliest": 60.0 * j, "latest": 60.0 * j, "duration": 60.0} for j in range(10)]
    d["design"]["shift_types"] = {f"s{k}": {"start": 3600.0 * (k % 20), "length": 3600.0, "breaks": brk}
                                  for k in range(250)}
    d["design"]["groups"]["g"]["roster"] = {f"s{k}": 1 for k in range(250)}
    with pytest.raises(ScenarioError, match="1,100,000 shifts and breaks"):
        ccsim.scenario_from_dict(d)
