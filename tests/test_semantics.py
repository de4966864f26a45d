"""The model's semantics (docs/model.md), checked on the records every engine produces."""
from __future__ import annotations


import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.demand import compile_demand, first_arrivals
from ccsim.engines import ENGINES, get_engine
from ccsim.engines.compiled import compile_scenario

from centers import build, two_skill_center

pytestmark = pytest.mark.parametrize("engine", ENGINES)


def raw(sc, engine, seed=7, rep=0):
    comp = compile_scenario(sc)
    return comp, get_engine(engine)(comp, seed, rep)


def run(sc, engine, seed=7, reps=1):
    return ccsim.simulate(sc, engine=engine, reps=reps, seed=seed)


def answered_legs(res):
    legs = res.legs
    a = legs[legs["outcome"] == "answered"].copy()
    a["start"] = a["enter"] + a["wait"]
    return a


def test_conservation_of_contacts(engine):
    sc = build(two_skill_center(horizon=3 * 3600.0, max_drain=0.0))  # stop at the horizon: some left inside
    res = run(sc, engine, reps=2)
    k = res.kpis
    assert (k["offered"] == k["answered"] + k["abandoned"] + k["in_system"]).all()
    assert k["in_system"].sum() > 0
    # the KPIs count the very records: contacts arriving in the window, by replication and outcome
    c = res.calls[(res.calls["arrival"] >= sc.warmup) & (res.calls["arrival"] < sc.horizon)]
    counts = c.groupby(["rep", "outcome"], observed=False).size().unstack()
    for outcome in ("answered", "abandoned", "in_system"):
        np.testing.assert_array_equal(counts.loc[k.index, outcome].to_numpy(), k[outcome].to_numpy(), err_msg=outcome)


def test_agent_busy_time_never_exceeds_staffed_time(engine):
    d = two_skill_center()
    d["design"]["groups"]["tech_agents"]["staffing"] = [10, 4, 14, 2, 9, 16, 3, 8]
    comp, out = raw(build(d), engine)
    assert (out.busy <= out.staffed + 1e-6).all()
    assert (out.busy_window <= out.staffed_window + 1e-6).all()
    assert out.busy.sum() > 0


def test_no_agent_serves_two_callers_at_once(engine):
    for mode in ("cold", "warm"):
        a = answered_legs(run(build(two_skill_center(mode)), engine))
        assert a.groupby(["group", "agent"], observed=True).size().max() > 1  # agents do serve one caller after another
        for _, g in a.groupby(["group", "agent"], observed=True):
            g = g.sort_values("start")
            end = g["agent_end"].to_numpy()[:-1]
            nxt = g["start"].to_numpy()[1:]
            assert (end <= nxt + 1e-9).all()


def test_cold_transfer_requeues_and_can_abandon(engine):
    d = two_skill_center("cold")
    d["design"]["groups"]["tech_agents"]["staffing"] = 9  # a busy second department
    d["demand"]["work"]["billing"]["acw"] = 0
    res = run(build(d), engine)
    legs = res.legs
    tr = legs[legs["kind"] == "transfer"]
    # the first agent is released the moment the caller joins the next queue, after the transfer time
    j = legs[legs["leg"] == 0].merge(tr, on=["rep", "contact"], suffixes=("", "_t"))
    assert len(j) > 0
    np.testing.assert_allclose(j["agent_end"], j["enter_t"], rtol=1e-12)
    assert (j["enter_t"] - (j["enter"] + j["wait"]) >= 20.0 - 1e-9).all()
    assert len(tr) > 0 and (tr["queue"] == "tech").all()
    assert (tr["wait"] > 0).any()
    lost = res.calls[(res.calls["outcome"] == "abandoned") & (res.calls["transfers"] == 1)]
    assert len(lost) > 0 and (lost["last_queue"] == "tech").all()
    assert (res.kpis["abandoned_after_answer"] > 0).all()


def test_warm_handoff_holds_the_agent_and_never_abandons(engine):
    d = two_skill_center("warm")
    d["design"]["groups"]["tech_agents"]["staffing"] = 9
    d["demand"]["work"]["billing"]["acw"] = 0
    res = run(build(d), engine)
    legs = res.legs
    ho = legs[legs["kind"] == "handoff"]
    assert len(ho) > 0 and (ho["outcome"] != "abandoned").all()
    assert (ho["wait"] > 0).any()  # the caller did wait, on hold with the first agent
    # the first agent stays on the line until the teammate answers and is briefed (no ACW here)
    first = legs[(legs["leg"] == 0) & (legs["outcome"] == "answered")]
    h = ho[ho["outcome"] == "answered"]
    j = first.merge(h, on=["rep", "contact"], suffixes=("", "_h"))
    assert len(j) > 0
    np.testing.assert_allclose(j["agent_end"], j["enter_h"] + j["wait_h"] + 25.0, rtol=1e-12)
    calls = res.calls
    assert (calls.loc[calls["outcome"] == "abandoned", "legs"] == 1).all()  # only before the first answer
    assert (calls["reexplanations"] == 0).all() and (calls["transfers"] == 0).all()
    assert (calls.loc[calls["outcome"] == "answered", "handoffs"] == 1).all()


def test_reexplanation_only_after_cold_transfer(engine):
    res = run(build(two_skill_center("cold")), engine)
    legs = res.legs
    per_contact = legs[(legs["kind"] == "transfer") & (legs["outcome"] == "answered")].groupby(["rep", "contact"]).size()
    calls = res.calls
    expected = np.zeros(len(calls), dtype=int)
    idx = per_contact.index.get_level_values("contact").to_numpy()
    expected[idx] = per_contact.to_numpy()
    assert (calls["reexplanations"].to_numpy() == expected).all()
    assert calls["reexplanations"].sum() > 0


def test_staffing_changes_at_interval_boundaries(engine):
    d = two_skill_center()
    d["design"]["groups"]["billing_agents"]["staffing"] = [0, 12, 1, 1, 12, 12, 12, 12]
    d["demand"]["call_types"]["mixed"].pop("patience")
    res = run(build(d), engine)
    a = answered_legs(res)
    bill = a[a["group"] == "billing_agents"]
    # nobody answers billing before the first agents start at 1800 s; the queue is served at once then
    assert bill["start"].min() == pytest.approx(1800.0)
    # from 3600 s only one agent is scheduled: the others finish their calls and leave
    mid = bill[(bill["start"] > 3600.0) & (bill["start"] < 7200.0)]
    assert mid["agent"].nunique() == 1
    comp, out = raw(build(d), engine)
    g = comp.groups.index("billing_agents")
    assert out.staffed[g, 0] == 0.0 and out.staffed[g, 1] == pytest.approx(12 * 1800.0)
    assert 1800.0 <= out.staffed[g, 2] < 12 * 1800.0


def test_both_designs_see_the_same_first_contacts(engine, silo, team):
    # the demand itself is compared in test_demand.py; here, the engines' records of it
    short = {"horizon": 6 * 3600.0}
    s, t = run(silo.override(short), engine, seed=2), run(team.override(short), engine, seed=2)
    fs, ft = s.calls[s.calls["attempt"] == 0], t.calls[t.calls["attempt"] == 0]
    np.testing.assert_array_equal(fs["arrival"].to_numpy(), ft["arrival"].to_numpy())
    np.testing.assert_array_equal(fs["caller"].to_numpy(), ft["caller"].to_numpy())


def test_ivr_time_and_survey(engine):
    d = two_skill_center()
    d["design"]["ivr"] = {"levels": 5, "seconds_per_level": 12}
    d["design"]["survey"] = {"take_rate": 0.5, "seconds": 90}
    res = run(build(d), engine)
    c = res.calls
    np.testing.assert_allclose(c["ivr_time"].dropna(), 60.0)
    ans = c[c["outcome"] == "answered"]
    took = ans["survey_time"] > 0
    assert 0.4 < took.mean() < 0.6 and (ans.loc[took, "survey_time"] == 90).all()
    assert ((ans["end"] - ans["arrival"]) >= 60 + ans["wait"] + ans["talk_time"] + ans["survey_time"] - 1e-9).all()
    # the survey costs the caller, not the agent: agents are released before it
    legs = res.legs
    last = legs.sort_values("leg").groupby(["rep", "contact"]).tail(1).set_index("contact")
    surveyed = ans[took]
    assert (last.loc[surveyed.index, "agent_end"].to_numpy() <= surveyed["end"].to_numpy() - 90 + 30 + 1e-9).all()


def test_misroutes_are_transferred_once(engine):
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"]["needs"] = ["tech"]
    d["demand"]["call_types"]["mixed"]["misroute_prob"] = 1.0
    d["demand"]["call_types"]["mixed"].pop("patience")
    res = run(build(d), engine)
    c = res.calls
    assert (c["first_queue"] == "billing").all()
    assert (c.loc[c["outcome"] == "answered", "transfers"] == 1).all()


def test_speed_factor_divides_talk_time(engine):
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"]["needs"] = ["billing"]
    d["design"]["groups"]["billing_agents"]["skills"] = {"billing": 2.0}
    sc = build(d)
    res = run(sc, engine)
    dem = compile_demand(sc)
    arr = first_arrivals(sc, 7, 0, dem)
    c = res.calls[res.calls["outcome"] == "answered"]
    talk = [arr.caller(int(i), dem).talk(int(k), 0) for i, k in zip(c["caller"], c["attempt"])]
    assert len(talk) > 100
    np.testing.assert_allclose(c["talk_time"].to_numpy(), np.array(talk) / 2.0)


def test_callbacks_and_redials_come_back_as_the_same_caller(engine):
    d = two_skill_center()
    ct = d["demand"]["call_types"]["mixed"]
    ct.update(resolution_prob=0.5, callback_prob=1.0, callback_delay=600, redial_prob=1.0, redial_delay=120,
              max_attempts=3)
    sc = build(d)
    res = run(sc, engine)
    c = res.calls.sort_values(["caller", "attempt"])
    horizon = sc.horizon
    for k in (0, 1):
        cur = c[c["attempt"] == k]
        unresolved = cur[(cur["outcome"] == "answered") & ~cur["resolved"] & (cur["end"] + 600 < horizon)]
        redial = cur[(cur["outcome"] == "abandoned") & (cur["end"] + 120 < horizon)]
        nxt = set(c.loc[c["attempt"] == k + 1, "caller"])
        assert set(unresolved["caller"]) | set(redial["caller"]) == nxt
    nxt = c[c["attempt"] > 0].set_index("caller")
    assert (c["attempt"] < 3).all() and len(nxt) > 0


def test_deflection_removes_a_share_of_first_contacts(engine):
    d = two_skill_center()
    sc = build(d)
    d["design"]["deflections"] = [{"start": 3600, "end": 7200, "share": 0.4}]
    sc_d = build(d)
    a, b = run(sc, engine), run(sc_d, engine)
    win = lambda r: r.calls[(r.calls["arrival"] >= 3600) & (r.calls["arrival"] < 7200) & (r.calls["attempt"] == 0)]
    out = lambda r: r.calls[(r.calls["arrival"] < 3600) & (r.calls["attempt"] == 0)]
    assert 0.5 < len(win(b)) / len(win(a)) < 0.7
    assert len(out(a)) == len(out(b))
    assert set(win(b)["caller"]) <= set(win(a)["caller"])


def test_queue_discipline_fcfs_and_transfer_priority(engine):
    for prio in (False, True):
        d = two_skill_center("cold")
        d["design"]["queues"]["tech"] = {"priority_transfers": prio}
        d["demand"]["call_types"]["tech_only"] = {"arrival_rate": 3 / 60, "needs": ["tech"],
                                                  "patience": {"dist": "exponential", "mean": 90}}
        d["design"]["groups"]["tech_agents"]["staffing"] = 18
        res = run(build(d), engine)
        legs = res.legs[res.legs["queue"] == "tech"].copy()
        legs["left"] = legs["enter"] + legs["wait"]
        ans = legs[legs["outcome"] == "answered"]
        enter, left, kind = legs["enter"].to_numpy(), legs["left"].to_numpy(), legs["kind"].to_numpy()
        violations = 0
        for _, row in ans.iterrows():
            a = row["left"]
            waiting = (enter < row["enter"]) & (left > a + 1e-9)       # arrived earlier, still waiting
            if prio:
                waiting_tr = (kind == "transfer") & (enter < a) & (left > a + 1e-9)
                if row["kind"] == "fresh" and waiting_tr.any():
                    violations += 1
                waiting &= (kind == row["kind"])
            violations += int(waiting.any())
        assert violations == 0
        assert (ans["wait"] > 0).sum() > 10


def test_callers_on_hold_at_the_end_count_their_hold(engine):
    d = two_skill_center("warm", horizon=2 * 3600.0, max_drain=0.0)
    d["design"]["groups"]["tech_agents"]["staffing"] = 4   # specialists swamped: many callers on hold at the end
    res = run(build(d), engine)
    legs, calls = res.legs, res.calls
    open_holds = legs[(legs["kind"] == "handoff") & (legs["outcome"] == "in_system")]
    assert len(open_holds) > 0
    held = calls.loc[open_holds["contact"].to_numpy()]
    np.testing.assert_allclose(held["hold"].to_numpy(), open_holds["wait"].to_numpy(), rtol=1e-12)


def test_leg_talk_times_add_up_to_the_contact_talk_time(engine):
    res = run(build(two_skill_center("cold")), engine)
    per_contact = res.legs.groupby("contact")["talk_time"].sum()
    np.testing.assert_allclose(per_contact.to_numpy(), res.calls.loc[per_contact.index, "talk_time"].to_numpy(), rtol=1e-12)
    assert (res.legs.loc[res.legs["outcome"] != "answered", "talk_time"] == 0).all()
    assert (res.legs.loc[res.legs["kind"] == "transfer", "talk_time"] > 0).any()


def test_balking_callers_hang_up_at_once_in_the_stated_share(engine):
    """With balk_prob p, a caller who cannot be answered at once hangs up at once with probability p (a binomial
    99.9% interval); callers answered at once never balk; the share is the same on every leg of the day."""
    d = two_skill_center()
    ct = d["demand"]["call_types"]["mixed"]
    ct.update(balk_prob=0.3, needs=["billing"], patience={"dist": "exponential", "mean": 600})
    d["design"]["groups"]["billing_agents"]["staffing"] = 3
    res = run(build(d), engine)
    legs = res.legs
    not_at_once = legs[~((legs["outcome"] == "answered") & (legs["wait"] == 0))]
    balked = (not_at_once["outcome"] == "abandoned") & (not_at_once["wait"] == 0)
    n, k = len(not_at_once), int(balked.sum())
    assert n > 300
    lo, hi = (stats.binom.ppf(q, n, 0.3) for q in (0.0005, 0.9995))
    assert lo <= k <= hi, (k, n)
    # without balking, nobody hangs up with a zero wait
    ct["balk_prob"] = 0.0
    none = run(build(d), engine).legs
    assert not ((none["outcome"] == "abandoned") & (none["wait"] == 0)).any()


def test_at_closing_callers_still_waiting_are_disconnected(engine):
    """With at_closing = "disconnect", nobody waits past the horizon: callers waiting then (and anyone reaching a
    queue later who cannot be answered at once) are disconnected at that instant; the rest drain as usual."""
    d = two_skill_center(max_drain=3600.0)
    d["design"]["groups"]["billing_agents"]["staffing"] = 2       # a queue is there at closing
    d["design"]["at_closing"] = "disconnect"
    sc = build(d)
    res = run(sc, engine)
    c, legs = res.calls, res.legs
    k = res.kpis.iloc[0]
    cut = c[c["outcome"] == "disconnected"]
    assert len(cut) > 0 and k["disconnected"] == ((cut["arrival"] >= sc.warmup) & (cut["arrival"] < sc.horizon)).sum()
    # each hung up at closing, or when reaching a queue after it
    assert ((cut["end"] == sc.horizon) | (cut["end"] > sc.horizon)).all()
    reached = legs[(legs["outcome"] == "disconnected")]
    assert np.allclose(reached["enter"] + reached["wait"], np.maximum(sc.horizon, reached["enter"]))
    # after closing, only callers held in a warm handoff were answered after waiting
    late = legs[(legs["outcome"] == "answered") & (legs["enter"] + legs["wait"] > sc.horizon) & (legs["wait"] > 0)]
    assert (late["kind"] == "handoff").all()
    assert k["offered"] == k["answered"] + k["abandoned"] + k["disconnected"] + k["blocked"] + k["in_system"]
    # served instead (the default): the same callers wait and are answered
    d["design"]["at_closing"] = "serve"
    assert run(build(d), engine).kpis.iloc[0]["disconnected"] == 0


def test_a_queues_max_wait_sends_callers_to_leave_a_message(engine):
    """With max_wait W on a queue, a caller not held by an agent never waits there longer than W: at W they leave
    a message (outcome message) unless their patience ran out first; answered callers waited at most W."""
    d = two_skill_center()
    d["design"]["groups"]["billing_agents"]["staffing"] = 3
    d["design"]["queues"]["billing"]["max_wait"] = 45.0
    res = run(build(d), engine)
    legs = res.legs
    billing = legs[(legs["queue"] == "billing") & (legs["kind"] != "handoff")]
    msg = billing[billing["outcome"] == "message"]
    assert len(msg) > 20 and np.allclose(msg["wait"], 45.0)
    assert (billing["wait"] <= 45.0 + 1e-9).all()
    assert set(legs.loc[legs["outcome"] == "message", "queue"]) == {"billing"}
    k = res.kpis.iloc[0]
    assert k["messages"] > 0
    assert k["offered"] == (k["answered"] + k["abandoned"] + k["messages"] + k["disconnected"] + k["blocked"]
                            + k["in_system"])
    # recording the message takes message_time: the caller leaves (and frees their line) that much later
    c = res.calls[res.calls["outcome"] == "message"]
    assert np.allclose(c["end"] - c["arrival"] - c["ivr_time"], c["wait"])
    d["design"]["queues"]["billing"]["message_time"] = 30.0
    d["design"]["trunk_lines"] = 40
    again = run(build(d), engine)
    c2 = again.calls[again.calls["outcome"] == "message"]
    assert len(c2) > 20 and np.allclose(c2["end"] - c2["arrival"] - c2["ivr_time"], c2["wait"] + 30.0)
