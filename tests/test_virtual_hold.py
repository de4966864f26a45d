"""Virtual hold, queued callbacks (docs/model.md §3, step 3): who is offered a callback, what accepting does (the
place is kept, no patience, the line is freed), the agent's dial, retries and ``unreached``, closing, and the KPIs.
Each rule is checked on the records it must produce; both engines give identical records
(tests/test_engine_equality.py), so one engine is enough here."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ccsim
from ccsim.errors import ScenarioError

from centers import build, two_skill_center

CALLBACK = {"position": 3, "dial_time": 0.0, "retries": 0}


def one_queue(callback: dict | None = None, accept: float = 0.6, answer: float = 1.0, staffing=10,
              horizon: float = 6 * 3600.0, **extra) -> dict:
    """One queue, one group, exponential talk and patience, a load near saturation: queues build up and empty."""
    d = {
        "name": "vhold", "horizon": horizon, "interval": 1800.0, "max_drain": 7200.0,
        "demand": {"skills": ["s"], "work": {"s": {"talk": {"dist": "exponential", "mean": 240}}},
                   "call_types": {"x": {"arrival_rate": 10.5 / 240, "needs": ["s"],
                                        "patience": {"dist": "exponential", "mean": 180},
                                        "callback_accept": accept, "callback_answer": answer}}},
        "design": {"queues": {"q": {} if callback is None else {"callback": callback}}, "routes": {"s": "q"},
                   "groups": {"g": {"skills": ["s"], "queues": ["q"], "staffing": staffing}}},
    }
    for path, value in extra.items():
        node = d
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return d


def run(d: dict, seed: int = 5, reps: int = 1) -> ccsim.Results:
    return ccsim.simulate(build(d), engine="numba", reps=reps, seed=seed, keep_calls=True)


def ahead_at_join(legs: pd.DataFrame) -> np.ndarray:
    """For each leg, the callers waiting in its queue when it joined (legs in the queue from enter to enter + wait:
    true when nobody dials, so that a callback leaves the queue only at its connection)."""
    enter = legs["enter"].to_numpy()
    leave = enter + legs["wait"].to_numpy()
    order = np.sort(enter)
    ends = np.sort(leave)
    # joined strictly before, and not yet left (times are continuous: no ties)
    return np.searchsorted(order, enter, side="left") - np.searchsorted(ends, enter, side="right")


@pytest.mark.parametrize("rule", ["position", "wait"])
def test_the_offer_follows_the_queue_position_or_the_expected_wait(rule):
    cb = {"position": 3} if rule == "position" else {"wait": 90.0, "handle_time": 240.0}
    res = run(one_queue(cb, accept=0.0))                           # all decline: the queue is as without offers
    calls, legs = res.calls, res.legs
    assert (legs["kind"] == "fresh").all() and len(legs) == len(calls)
    ahead = ahead_at_join(legs)
    waits = legs["wait"].to_numpy() > 0                            # not answered at once (nobody balks here)
    offered = (calls["callback"] != "not offered").to_numpy()
    want = waits & ((ahead >= 3) if rule == "position" else ((ahead + 1) * 240.0 / 10 >= 90.0))
    assert want.sum() > 100 and (waits & ~want).sum() > 100        # both sides of the rule are exercised
    np.testing.assert_array_equal(offered, want)


def test_declining_callers_wait_as_usual():
    """Everyone offered declines: the records are those of the queue without a callback offer (the offer and
    the accept draw take nothing from the caller's other draws)."""
    a, b = run(one_queue(CALLBACK, accept=0.0)), run(one_queue(None))
    assert (a.calls["callback"] == "declined").sum() > 100
    cols = [c for c in b.calls.columns if c != "callback"]
    pd.testing.assert_frame_equal(a.calls[cols], b.calls[cols])


def test_accepting_keeps_the_place_without_patience():
    res = run(one_queue(CALLBACK, accept=0.7))
    calls, legs = res.calls, res.legs
    acc = (calls["callback"] == "accepted").to_numpy()
    off = (calls["callback"] != "not offered").to_numpy()
    assert acc.sum() > 100
    assert stats.binomtest(int(acc.sum()), int(off.sum()), 0.7).pvalue > 1e-3   # the accept draw's probability
    assert set(calls["outcome"][acc]) <= {"answered", "unreached", "in_system"}  # never abandoned: no patience
    assert (calls["outcome"][~acc] == "abandoned").sum() > 20                     # the others do abandon
    # FCFS with the place kept: connections come in the order callers joined (answer = 1, no dial, no retry)
    ans = legs[legs["outcome"] == "answered"].sort_values("enter")
    connected = (ans["enter"] + ans["wait"]).to_numpy()
    assert (np.diff(connected) >= 0).all()
    # the time to callback is the whole wait, which is also the ACD's first wait (ASA counts it)
    done = acc & (calls["outcome"] == "answered").to_numpy()
    np.testing.assert_allclose(calls["callback_wait"][done], calls["first_wait"][done])
    np.testing.assert_allclose(calls["callback_wait"][done], calls["wait"][done])
    assert np.isnan(calls["callback_wait"][~acc]).all()


def test_balking_callers_balk_before_any_offer():
    res = run(one_queue(CALLBACK, accept=1.0, **{"demand.call_types.x.balk_prob": 1.0}))
    assert (res.calls["callback"] == "not offered").all()
    assert (res.calls["outcome"] == "abandoned").sum() > 100


def test_transfers_are_never_offered_a_callback():
    d = two_skill_center()
    d["design"]["queues"]["tech"] = {"callback": {"position": 0}}   # offered to anyone who waits there...
    d["demand"]["call_types"]["mixed"]["callback_accept"] = 1.0
    res = ccsim.simulate(build(d), engine="numba", reps=1, seed=2)
    assert (res.legs.query("queue == 'tech'")["wait"] > 0).sum() > 20        # ...and some transfers do wait
    assert (res.calls["callback"] == "not offered").all()
    d["demand"]["call_types"]["mixed"]["needs"] = ["tech"]                    # fresh callers of tech are offered it
    assert (ccsim.simulate(build(d), engine="numba", reps=1, seed=2).calls["callback"] == "accepted").sum() > 20


def test_unanswered_dials_retry_then_end_unreached():
    cb = {"position": 3, "dial_time": 20.0, "retries": 2, "retry_delay": 300.0}
    res = run(one_queue(cb, accept=1.0, answer=0.0))                # nobody answers the agents' dials
    calls = res.calls
    acc = (calls["callback"] == "accepted").to_numpy()
    ended = acc & (calls["outcome"] == "unreached").to_numpy()
    assert ended.sum() > 100 and set(calls["outcome"][acc]) <= {"unreached", "in_system"}
    np.testing.assert_allclose(calls["dial_time"][ended], 3 * 20.0)               # the first dial and two retries
    np.testing.assert_allclose(calls["agent_time"][ended], 3 * 20.0)              # no ACW after a failed dial
    assert ((calls["end"] - calls["arrival"])[ended] >= 2 * 300.0 + 3 * 20.0).all()
    assert (calls["first_group"][ended].isna()).all()                             # never connected: not handled
    k = res.summary()["mean"]
    assert k["unreached"] == ended.sum() and k["vhold_completed"] == 0 and np.isnan(k["vhold_wait"])
    assert k["abandoned"] == (calls["outcome"] == "abandoned").sum()              # unreached are not abandoned


def test_dialling_is_agent_time_and_the_callback_kpis_add_up():
    cb = {"position": 2, "dial_time": 15.0, "retries": 1, "retry_delay": 120.0}
    res = run(one_queue(cb, accept=0.6, answer=0.7), reps=2)
    calls = res.calls
    done = calls["callback_wait"].notna().to_numpy()
    assert done.sum() > 100
    dials = np.rint(calls["dial_time"] / 15.0).to_numpy()
    assert set(dials[calls["callback"] == "accepted"]) <= {1.0, 2.0}
    # the connection comes after the last dial: the wait includes the dialling
    assert (calls["callback_wait"][done] >= calls["dial_time"][done] - 1e-9).all()
    k = res.summary()["mean"]
    per = calls.groupby("rep")
    assert k["vhold_offered"] == per["callback"].apply(lambda s: (s != "not offered").sum()).mean()
    assert k["vhold_accepted"] == per["callback"].apply(lambda s: (s == "accepted").sum()).mean()
    assert k["vhold_completed"] == per["callback_wait"].count().mean()
    assert k["vhold_dial_time"] == pytest.approx(per["dial_time"].sum().mean())
    assert k["vhold_wait"] == pytest.approx((per["callback_wait"].sum() / per["callback_wait"].count()).mean())
    assert k["offered"] == pytest.approx(k["answered"] + k["abandoned"] + k["unreached"] + k["in_system"])


def test_closing_drops_queued_callbacks_but_an_unstaffed_queue_keeps_them():
    base = one_queue(CALLBACK, accept=1.0, horizon=3 * 3600.0)
    closed = run(base | {"design": base["design"] | {"at_closing": "disconnect"}}).calls
    acc = closed["callback"] == "accepted"
    dropped = acc & (closed["outcome"] == "unreached")
    assert dropped.sum() > 5
    np.testing.assert_allclose(closed["end"][dropped], 3 * 3600.0)              # at the horizon
    assert not (acc & (closed["outcome"] == "disconnected")).any()
    # staff leaves for good after 2 h: callers waiting then are disconnected, callbacks stay queued (in system)
    d = one_queue(CALLBACK, accept=0.5, horizon=3 * 3600.0)
    d["design"]["when_unstaffed"] = "disconnect"
    d["design"]["groups"]["g"]["staffing"] = [10, 10, 10, 10, 0, 0]
    calls = run(d).calls
    acc = calls["callback"] == "accepted"
    assert (calls["outcome"] == "disconnected").sum() > 0
    assert (acc & (calls["outcome"] == "in_system")).sum() > 0
    assert not (acc & (calls["outcome"] == "disconnected")).any()


def test_accepting_frees_the_line():
    lines = {"design.trunk_lines": 14}
    without = run(one_queue(CALLBACK, accept=0.0, **lines)).summary()["mean"]
    with_cb = run(one_queue(CALLBACK, accept=1.0, **lines)).summary()["mean"]
    assert without["blocked"] > 50
    assert with_cb["blocked"] < 0.5 * without["blocked"]


@pytest.mark.parametrize("callback, words", [
    ({}, "give position"),
    ({"wait": 60}, "handle_time"),
    ({"position": -1}, ">= 0"),
    ({"position": True}, "not true or false"),
    ({"wait": float("inf"), "handle_time": 60}, "finite"),
    ({"position": 2, "retries": 2.5}, "whole number"),
    ({"position": 2, "dial_time": -5}, ">= 0"),
    ({"position": 2, "retries": 10**6}, "<="),
    ({"position": 2, "ring": 3}, "unknown field"),
])
def test_bad_callback_settings_are_refused_in_one_line(callback, words):
    with pytest.raises(ScenarioError) as e:
        ccsim.scenario_from_dict(one_queue(callback))
    msg = str(e.value)
    assert "design.queues.q.callback" in msg and words in msg and "\n" not in msg, msg


@pytest.mark.parametrize("field, value", [("callback_accept", 1.5), ("callback_answer", -0.1),
                                          ("callback_accept", True)])
def test_bad_callback_probabilities_are_refused(field, value):
    d = one_queue(CALLBACK)
    d["demand"]["call_types"]["x"][field] = value
    with pytest.raises(ScenarioError) as e:
        ccsim.scenario_from_dict(d)
    assert f"demand.call_types.x.{field}" in str(e.value)
