"""The blended outbound dialer (docs/model.md §3, "Outbound dialer"): how many numbers it dials and when, the reach
probability, pacing, once an instant, and dialled customers keyed like callers (the same in every design)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.engines.compiled import DIALLED_ID, compile_scenario
from ccsim.engines.numba_engine import run_numba
from ccsim.engines.output import ANSWERED
from ccsim.engines.simpy_engine import run_simpy
from ccsim.errors import ScenarioError
from test_engine_equality import assert_same_output


def center(agents: int = 5, reach=1.0, **dialer) -> dict:
    """Only outbound work: one blend group dialling for itself, long calls, customers who wait 10 min."""
    return {
        "name": "dialer", "horizon": 7200.0, "interval": 900.0, "max_drain": 7200.0,
        "demand": {"skills": ["out"], "work": {"out": {"talk": {"dist": "exponential", "mean": 300}}},
                   "call_types": {"o": {"outbound": True, "needs": ["out"], "reach": reach, "max_attempts": 1,
                                        "patience": 600}}},
        "design": {"queues": {"q": {}}, "routes": {"out": "q"},
                   "groups": {"blend": {"skills": ["out"], "queues": ["q"], "staffing": agents}},
                   "dialer": {"call_type": "o", "groups": ["blend"], "per_free_agent": 2.0, "start": 600.0} | dialer},
    }


def run(d: dict, seed: int = 1):
    comp = compile_scenario(ccsim.scenario_from_dict(d))
    a, b = run_simpy(comp, seed, 0), run_numba(comp, seed, 0)
    assert_same_output(a, b)
    assert (a.dials == b.dials).all()
    return a


def test_it_dials_twice_the_idle_agents_at_start_then_when_an_agent_is_freed_and_idle():
    out = run(center())
    t = out.contacts["arrival"]
    instants, counts = np.unique(t, return_counts=True)
    assert instants[0] == 600.0 and counts[0] == 10          # 5 idle agents at 11:00: round(2 x 5)
    # later, an agent is idle after a call only when nobody waits: 1 idle agent, 2 numbers
    assert set(counts[1:]) == {2}
    assert out.dials.sum() == t.size                         # every number reached (reach 1)


def test_thresholds_extra_and_the_dialling_window():
    assert run(center(min_free=6)).contacts["arrival"].size == 0     # 5 agents can never be 6 idle
    out = run(center(extra=-1, per_free_agent=1.0, end=3600.0))
    instants, counts = np.unique(out.contacts["arrival"], return_counts=True)
    assert counts[0] == 4 and (instants < 3600.0).all()     # round(1 x 5) - 1; nothing dialled after the end


def test_pacing_stops_dialling_while_customers_wait():
    """With max_waiting = 3, the dialer dials only when fewer than 3 customers wait (rebuilt from the records)."""
    out = run(center(agents=5, max_waiting=3))
    c = out.contacts
    starts = np.unique(c["arrival"])
    enter, leave = c["queue_arrival"], c["queue_arrival"] + c["wait"]
    waiting_before = [int(((enter < t) & (leave > t) & (c["wait"] > 0)).sum()) for t in starts]
    assert max(waiting_before) < 3
    assert starts.size > 5


def test_reach_is_the_probability_of_the_interval_of_the_dial():
    out = run(center(agents=20, reach=0.3), seed=4)
    reached, dialled = out.contacts["arrival"].size, int(out.dials.sum())
    assert dialled > 300
    assert stats.binomtest(reached, dialled, 0.3).pvalue > 0.001


def test_once_an_instant_even_when_customers_are_passed_on_at_once():
    """A dialled customer whose need the blend agents lack is cold-transferred at once (no transfer time): the freed
    agent would make the dialer dial again at the same instant, for ever; it dials once an instant."""
    d = center()
    d["demand"]["skills"] = ["out", "sales"]
    d["demand"]["work"]["sales"] = {"talk": 60.0}
    d["demand"]["call_types"]["o"]["needs"] = ["sales"]
    d["design"]["queues"]["s"] = {}
    d["design"]["routes"] = {"out": "q", "sales": {"queue": "q", "transfer_queue": "s", "mode": "cold"}}
    d["design"]["transfer_time"] = 0.0
    d["design"]["groups"]["blend"]["skills"] = ["out"]
    d["design"]["groups"]["sellers"] = {"skills": ["sales"], "queues": ["s"], "staffing": 1}
    out = run(d)
    _, counts = np.unique(out.contacts["arrival"], return_counts=True)
    assert counts.max() <= 10


def test_dialled_customers_are_the_same_whatever_the_design():
    """The n-th number dialled is the same customer (keyed draws) whatever the staffing: their talk times agree."""
    a = run(center(agents=5), seed=9)
    b = run(center(agents=8), seed=9)
    ta = dict(zip(a.contacts["caller"], a.contacts["talk_time"]))
    both = [c for c, o in zip(b.contacts["caller"], b.contacts["outcome"]) if o == ANSWERED and c in ta and ta[c] > 0]
    assert len(both) > 20 and all(c >= DIALLED_ID for c in both)
    tb = dict(zip(b.contacts["caller"], b.contacts["talk_time"]))
    assert all(math.isclose(ta[c], tb[c]) for c in both)


@pytest.mark.parametrize("change, field", [
    ({"call_type": "nope"}, "design.dialer.call_type"),
    ({"groups": ["nobody"]}, "design.dialer.groups"),
    ({"start": 600.0, "end": 300.0}, "design.dialer.end"),
])
def test_bad_dialers_are_refused_naming_the_field(change, field):
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        ccsim.scenario_from_dict(center(**change))


def test_an_outbound_call_type_needs_a_dialer_and_no_arrivals():
    d = center()
    d["design"].pop("dialer")
    with pytest.raises(ScenarioError, match="no dialer"):
        ccsim.scenario_from_dict(d)
    d = center()
    d["demand"]["call_types"]["o"]["arrival_rate"] = 0.1
    with pytest.raises(ScenarioError, match="outbound"):
        ccsim.scenario_from_dict(d)
