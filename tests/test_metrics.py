"""The window sums behind every KPI on hand-made records, and the interval, queue and journey tables."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ccsim
from ccsim.engines.compiled import compile_scenario
from ccsim.engines.output import CONTACT_COLUMNS, LEG_COLUMNS, RunOutput
from ccsim.metrics import replication_kpis, tallies

from centers import build, two_skill_center

NAN = math.nan


def _contacts(rows: list[dict]) -> dict[str, np.ndarray]:
    base = {k: 0 for k in CONTACT_COLUMNS} | {"answered_at": NAN, "end": NAN, "first_group": -1, "resolved": False}
    return {k: np.array([{**base, **r}[k] for r in rows], dtype=dt) for k, dt in CONTACT_COLUMNS.items()}


def test_kpis_by_hand():
    d = two_skill_center(horizon=3600.0, interval=1800.0, warmup=100.0)
    d["design"]["groups"]["billing_agents"]["cost_per_hour"] = 30
    d["design"]["groups"]["tech_agents"]["cost_per_hour"] = 45
    comp = compile_scenario(build(d))
    rows = [
        # answered in 5 s, resolved, first contact
        dict(caller=0, attempt=0, arrival=200, queue_arrival=200, answered_at=205, first_group=0, wait=5,
             outcome=0, resolved=True, end=500, agent_time=310),
        # answered after 60 s, one cold transfer waited 30 s more, re-explained, unresolved
        dict(caller=1, attempt=0, arrival=300, queue_arrival=300, answered_at=360, first_group=0, wait=90,
             transfers=1, reexplanations=1, outcome=0, end=900, agent_time=500),
        # abandoned after 40 s, never answered
        dict(caller=2, attempt=0, arrival=400, queue_arrival=400, wait=40, outcome=1, end=440),
        # a redial of caller 2, still waiting at the end
        dict(caller=2, attempt=1, arrival=1000, queue_arrival=1000, wait=2600, outcome=2),
        # before the warm-up: not counted
        dict(caller=3, attempt=0, arrival=50, queue_arrival=50, answered_at=50, first_group=0, outcome=0,
             end=100, resolved=True),
    ]
    G = len(comp.groups)
    out = RunOutput(_contacts(rows), {k: np.zeros(0, dtype=dt) for k, dt in LEG_COLUMNS.items()},
                    busy=np.zeros((G, 3)), staffed=np.zeros((G, 3)),
                    busy_window=np.array([1000.0, 500.0]), staffed_window=np.array([2000.0, 2000.0]))
    k = replication_kpis(tallies(out, comp), comp)
    assert k["offered"] == 4 and k["answered"] == 2 and k["abandoned"] == 1 and k["in_system"] == 1
    assert k["abandon_rate"] == pytest.approx(1 / 4)
    assert k["service_level"] == pytest.approx(1 / 4)          # only the 5-s answer; abandons are misses
    assert k["asa"] == pytest.approx((5 + 60) / 2)               # wait to the first answer, answered only
    assert k["mean_wait"] == pytest.approx((5 + 90 + 40 + 2600) / 4)
    assert k["p_wait"] == pytest.approx(1.0)
    assert k["occupancy"] == pytest.approx(1500 / 4000)
    assert k["transfers_per_call"] == pytest.approx(1 / 4) and k["reexplanations_per_call"] == pytest.approx(1 / 4)
    # FCR among first contacts that reached an agent (0 and 1; only 0 resolved); caller 2's abandoned first
    # contact is counted apart, not as unresolved
    assert k["fcr"] == pytest.approx(1 / 2)
    assert k["first_contact_abandon_rate"] == pytest.approx(1 / 3)
    assert k["mean_time_in_system"] == pytest.approx((300 + 600 + 40) / 3)
    assert k["time_in_system_answered"] == pytest.approx((300 + 600) / 2)   # the quick hang-up does not flatter it
    assert k["time_in_system_abandoned"] == pytest.approx(40)
    # the caller's side: the 30 s after the cold transfer count, so caller 1 waited 90 s in all
    assert k["service_level_caller"] == pytest.approx(1 / 4)
    assert k["asa_caller"] == pytest.approx((5 + 90) / 2)
    assert k["aht"] == pytest.approx((310 + 500) / 2)
    assert k["callers"] == 3 and k["repeat_contacts"] == 1
    assert k["passed_per_call"] == pytest.approx(1 / 4)
    assert k["cost"] == pytest.approx(2000 / 3600 * 30 + 2000 / 3600 * 45)  # present agent-hours x rate


def test_interval_and_group_views_add_up():
    sc = build(two_skill_center())
    res = ccsim.simulate(sc, reps=1, seed=2)
    iv = res.intervals
    assert iv["offered"].sum() == len(res.calls)
    assert iv["agents"].iloc[0] == pytest.approx(28.0)
    q = res.queues
    assert q["offered"].sum() == len(res.legs)
    assert q.set_index("queue").loc["tech", "transferred_in"] > 0


def test_journey_flows_conserve_callers_and_wait_cdf_is_a_cdf(silo):
    res = ccsim.simulate(silo.override({"horizon": 10 * 3600.0}), reps=1, seed=3)
    j = res.journeys.set_index("metric")["value"]
    flows = {tuple(k.removeprefix("flow:").split("|")): v for k, v in j.items() if k.startswith("flow:")}
    inflow, outflow = {}, {}
    for (s, t), v in flows.items():
        outflow[s] = outflow.get(s, 0) + v
        inflow[t] = inflow.get(t, 0) + v
    assert outflow["IVR"] == res.kpis["offered"].iloc[0]
    for node in inflow:
        if node in outflow:
            assert inflow[node] == outflow[node], node
    assert inflow["abandoned"] == res.kpis["abandoned"].iloc[0]
    assert any("#2" in t for _, t in flows)  # transfers are visible as second legs
    cdf = [v for k, v in j.items() if k.startswith("wait_cdf:")]
    assert all(a <= b for a, b in zip(cdf, cdf[1:])) and 0 < cdf[0] < 1
    assert cdf[0] == pytest.approx(1 - res.kpis["p_wait"].iloc[0])


@pytest.mark.parametrize("engine", ["simpy", "numba"])
def test_call_type_table_and_thresholds_by_hand(engine):
    """Results.call_types: each call type's KPIs from its own contacts, its service level at its own threshold;
    the scenario's service level counts each contact at its call type's threshold."""
    d = {
        "name": "types", "horizon": 7200.0, "interval": 1800.0, "max_drain": 3600.0, "warmup": 600.0,
        "sl_threshold": 30.0, "sl_thresholds": {"vip": 5.0},
        "demand": {"skills": ["s"], "work": {"s": {"talk": {"dist": "exponential", "mean": 150}}},
                   "call_types": {"regular": {"arrival_rate": 0.03, "needs": ["s"],
                                              "patience": {"dist": "exponential", "mean": 120}},
                                  "vip": {"arrival_rate": 0.01, "needs": ["s"]}}},
        "design": {"queues": {"q": {}}, "routes": {"s": "q"},
                   "groups": {"g": {"skills": ["s"], "queues": ["q"], "staffing": 6}}},
    }
    res = ccsim.simulate(ccsim.scenario_from_dict(d), reps=3, seed=11, keep_calls=True, engine=engine)
    c = res.calls
    c = c[(c["arrival"] >= 600.0) & (c["arrival"] < 7200.0)]
    thr = np.where(c["call_type"] == "vip", 5.0, 30.0)
    within = (c["outcome"] == "answered") & (c["first_wait"] <= thr + 1e-9)
    t = res.call_types.set_index(["rep", "call_type"])
    for (rep, ct), grp in c.groupby(["rep", "call_type"], observed=True):
        row = t.loc[(rep, ct)]
        assert row["offered"] == len(grp) and row["abandoned"] == (grp["outcome"] == "abandoned").sum()
        assert row["sl_threshold"] == (5.0 if ct == "vip" else 30.0)
        assert row["service_level"] == pytest.approx(within[grp.index].mean(), abs=1e-12)
        assert row["asa"] == pytest.approx(grp.loc[grp["outcome"] == "answered", "first_wait"].mean(), rel=1e-9)
    for rep, grp in c.groupby("rep"):
        assert res.kpis.loc[rep, "service_level"] == pytest.approx(within[grp.index].mean(), abs=1e-12)
        assert res.kpis.loc[rep, "offered"] == t.loc[rep]["offered"].sum()
    assert t["abandoned"].xs("vip", level="call_type").sum() == 0   # vips never hang up
