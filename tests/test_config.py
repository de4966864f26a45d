"""Scenario loading and validation: every bad input is one clear error naming the field and the fix."""
from __future__ import annotations

import numpy as np
import pytest

import ccsim
from ccsim import OptionError, ScenarioError
from ccsim.tomlfile import parse_overrides

from centers import SCENARIOS, build, two_skill_center


@pytest.mark.parametrize("name", ["erlang_a", "silo", "team"])
def test_bundled_scenarios_load(name):
    sc = ccsim.load_scenario(SCENARIOS / f"{name}.toml")
    assert sc.name == name
    if name != "erlang_a":  # the day scenarios: 48 half-hour intervals of volume and staffing
        assert sc.n_intervals == 48
        assert all(len(ct.volume) == 48 for ct in sc.demand.call_types.values())
        assert all(isinstance(g.staffing, list) and len(g.staffing) == 48 for g in sc.design.groups.values())


def test_silo_and_team_share_the_demand(silo, team):
    assert silo.demand == team.demand
    assert silo.design != team.design


def test_same_headcount_in_every_interval(silo, team):
    def total(sc):
        return [sum(x) for x in zip(*(g.staffing_profile(sc.n_intervals) for g in sc.design.groups.values()))]
    assert total(silo) == total(team)


def _err(d) -> str:
    with pytest.raises(ScenarioError) as e:
        build(d)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_unknown_field_is_named():
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"]["patiense"] = 3
    msg = _err(d)
    assert "demand.call_types.mixed.patiense" in msg and "unknown field" in msg


def test_negative_rate_is_named():
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"]["arrival_rate"] = -1
    assert "demand.call_types.mixed.arrival_rate" in _err(d)


def test_probabilities_must_sum_to_one():
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"]["needs"] = [{"p": 0.5, "needs": ["billing"]}, {"p": 0.3, "needs": ["tech"]}]
    msg = _err(d)
    assert "demand.call_types.mixed" in msg and "sum to 0.8" in msg


def test_unknown_skill_in_needs():
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"]["needs"] = ["billing", "refunds"]
    msg = _err(d)
    assert "demand.call_types.mixed.needs" in msg and "refunds" in msg


def test_unknown_queue_in_route():
    d = two_skill_center()
    d["design"]["routes"]["tech"] = "nowhere"
    msg = _err(d)
    assert "design.routes.tech.queue" in msg and "nowhere" in msg


def test_unknown_queue_in_group():
    d = two_skill_center()
    d["design"]["groups"]["tech_agents"]["queues"] = ["tech", "techh"]
    assert "design.groups.tech_agents.queues" in _err(d)


def test_routing_loop_with_no_exit():
    d = two_skill_center()
    d["design"]["routes"]["tech"] = {"queue": "tech", "transfer_queue": "billing"}
    msg = _err(d)
    assert "routing loop" in msg and "design.routes.tech" in msg


def test_warm_handoff_cycle_is_a_loop():
    d = two_skill_center("warm")
    d["design"]["routes"]["billing"] = "billing"
    d["demand"]["call_types"]["mixed"]["needs"] = [{"p": 0.5, "needs": ["billing", "tech"]},
                                                   {"p": 0.5, "needs": ["tech", "billing"]}]
    msg = _err(d)
    assert "warm handoffs" in msg and "cold" in msg


def test_zero_staff_for_a_skill_with_demand():
    d = two_skill_center()
    d["design"]["groups"]["tech_agents"]["staffing"] = 0
    msg = _err(d)
    assert "zero staff" in msg and "tech" in msg


def test_staffing_profile_too_short():
    d = two_skill_center()
    d["design"]["groups"]["tech_agents"]["staffing"] = [3, 4]
    msg = _err(d)
    assert "design.groups.tech_agents.staffing" in msg and "8 intervals" in msg


def test_malformed_toml(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("name = 'x'\nhorizon = = 3\n")
    with pytest.raises(ScenarioError) as e:
        ccsim.load_scenario(p)
    msg = str(e.value)
    assert e.value.field == str(p) and "\n" not in msg
    assert "bad.toml" in msg and "not valid TOML" in msg and "line 2" in msg


def test_malformed_demand_file_is_named(tmp_path):
    (tmp_path / "demand.toml").write_text("skills = [\"a\"]\n\n[work.a]\ntalk = {dist = \"exponential\", mean = }\n")
    (tmp_path / "sc.toml").write_text('horizon = 3600\ndemand = "demand.toml"\n')
    with pytest.raises(ScenarioError) as e:
        ccsim.load_scenario(tmp_path / "sc.toml")
    assert e.value.field == str(tmp_path / "demand.toml") and "TOML" in str(e.value) and "line 4" in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as e:
        ccsim.load_scenario(tmp_path / "nope.toml")
    assert e.value.field == "scenario" and "file not found" in str(e.value) and "nope.toml" in str(e.value)


def test_overrides_are_validated_like_the_file():
    sc = ccsim.load_scenario(SCENARIOS / "erlang_a.toml", overrides=parse_overrides(["design.groups.agents.staffing=60"]))
    assert sc.design.groups["agents"].staffing == 60
    with pytest.raises(ScenarioError, match="demand.call_types.calls.arrival_rate"):
        ccsim.load_scenario(SCENARIOS / "erlang_a.toml", overrides=parse_overrides(["demand.call_types.calls.arrival_rate=-2"]))
    with pytest.raises(OptionError, match="--set"):
        parse_overrides(["no_equals_sign"])


def test_override_method_returns_new_validated_scenario():
    sc = build(two_skill_center())
    sc2 = sc.override({"design.transfer_time": 45, "demand.call_types.mixed.misroute_prob": 0.1})
    assert sc2.design.transfer_time == 45 and sc2.demand.call_types["mixed"].misroute_prob == 0.1
    assert sc.design.transfer_time == 20 and sc.demand.call_types["mixed"].misroute_prob == 0.0  # untouched
    with pytest.raises(ScenarioError, match="design.transfer_time"):
        sc.override({"design.transfer_time": -1})


def test_needs_table_rows_need_skills():
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"]["needs"] = [{"p": 1.0, "needs": []}]
    msg = _err(d)
    assert msg.startswith("demand.call_types.mixed.needs[0].needs:"), msg


# --------------------------------------------------------------------------- --set into named tables
@pytest.mark.parametrize("path, message", [
    ("design.groups.tech_agent.staffing", "design.groups: unknown group 'tech_agent' (known: billing_agents, tech_agents)"),
    ("design.queues.tec.priority_transfers", "design.queues: unknown queue 'tec' (known: billing, tech)"),
    ("design.routes.tec.mode", "design.routes: unknown route 'tec' (known: billing, tech)"),
    ("demand.call_types.mix.arrival_rate", "demand.call_types: unknown call type 'mix' (known: mixed)"),
    ("demand.work.tec.acw", "demand.work: unknown skill 'tec' (known: billing, tech)"),
])
def test_a_misspelled_entry_in_a_path_is_named_with_the_known_ones(path, message):
    sc = build(two_skill_center())
    with pytest.raises(ScenarioError) as e:
        sc.override({path: 3})
    assert str(e.value).startswith(message + " (fix: check the spelling"), str(e.value)
    assert "required field" not in str(e.value)


def test_a_misspelled_group_in_a_file_override_is_named(tmp_path):
    with pytest.raises(ScenarioError) as e:
        ccsim.load_scenario(SCENARIOS / "silo.toml", overrides={"design.groups.tech_agent.staffing": 3})
    assert str(e.value).startswith("design.groups: unknown group 'tech_agent' "
                                   "(known: billing_agents, tech_agents, sales_agents)")


def test_new_entries_with_whole_tables_and_fields_of_bare_routes_still_work():
    sc = build(two_skill_center())
    sc2 = sc.override({"design.queues.new": {},
                       "design.groups.new_agents": {"skills": ["tech"], "queues": ["new"], "staffing": 2},
                       "design.routes.tech.transfer_queue": "new"})
    assert list(sc2.design.queues) == ["billing", "tech", "new"] and sc2.design.groups["new_agents"].staffing == 2
    assert sc2.design.route("tech") == ("tech", "new", "cold")
    # a queue no group takes is still refused, by the scenario rule, not as an unknown name
    with pytest.raises(ScenarioError, match="design.queues.new: no agent group takes calls"):
        sc.override({"design.queues.new": {}})
    # erlang_a.toml writes its route as a bare queue name: its fields can be set all the same
    sc3 = ccsim.load_scenario(SCENARIOS / "erlang_a.toml", overrides={"design.routes.service.mode": "warm"})
    assert sc3.design.route("service") == ("service", "service", "warm")


# --------------------------------------------------------------------------- currency
def test_currency_is_optional_display_only_and_checked():
    sc = ccsim.load_scenario(SCENARIOS / "erlang_a.toml")
    assert sc.currency == "" and "currency" not in sc.model_dump(mode="json")  # dumps (fingerprints) as before
    eur = sc.override({"currency": "EUR"})
    assert eur.currency == "EUR" and eur.model_dump(mode="json")["currency"] == "EUR"
    assert ccsim.scenario_from_dict(eur.model_dump()).currency == "EUR"
    for bad, words in ((" EUR", "currency code or symbol"), ("E\x01", "currency code or symbol"),
                       ("ABCDEFGHIJ", "at most 8 characters"), (3, "valid string")):
        with pytest.raises(ScenarioError) as e:
            sc.override({"currency": bad})
        assert str(e.value).startswith("currency: ") and words in str(e.value), str(e.value)


def test_with_currency_puts_codes_after_and_symbols_before():
    from ccsim.config import with_currency
    assert with_currency("45,324", "EUR") == "45,324 EUR"
    assert with_currency("45,324", "$") == "$45,324"
    assert with_currency("-3,698", "$") == "-$3,698" and with_currency("+3,698", "US$") == "+US$3,698"
    assert with_currency("45,324", "") == "45,324" and with_currency("–", "$") == "–"


# --------------------------------------------------------------------------- implausible load
def test_offered_load_by_hand():
    from ccsim.config import offered_load
    sc = ccsim.load_scenario(SCENARIOS / "erlang_a.toml")
    assert offered_load(sc).shape == (1, 16) and np.allclose(offered_load(sc), 50.0)  # 1/6 call/s x 300 s
    sc = build(two_skill_center())  # 4 calls/min, each needs billing (200 + 20 s) then tech (300 + 30 s)
    assert np.allclose(offered_load(sc), 4 / 60 * 550)
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"] = {"volume": [0, 90, 180, 0, 0, 0, 0, 0], "needs": ["tech"]}
    assert np.allclose(offered_load(build(d))[0, :3], [0, 90 * 330 / 1800, 180 * 330 / 1800])


def test_overload_warning_names_the_likely_cause():
    from ccsim.config import overload_warning
    sc = ccsim.load_scenario(SCENARIOS / "erlang_a.toml", overrides={"demand.call_types.calls.arrival_rate": 600})
    w = overload_warning(sc)
    assert w is not None and "\n" not in w
    assert "180,000 erlangs" in w and "55 agents" in w  # 600 calls/s x 300 s
    assert "is demand.call_types.calls.arrival_rate per second?" in w and "2,160,000 an hour" in w
    d = two_skill_center()
    d["demand"]["call_types"]["mixed"] = {"volume": [4000] * 8, "needs": ["tech"]}  # a day's calls per interval
    w = overload_warning(build(d))
    assert w is not None and "demand.call_types.mixed.volume the expected calls per 1800-s interval" in w


@pytest.mark.parametrize("name", ["erlang_a", "silo", "team"])
def test_no_overload_warning_for_the_bundled_scenarios(name):
    from ccsim.config import overload_warning
    sc = ccsim.load_scenario(SCENARIOS / f"{name}.toml")
    assert overload_warning(sc) is None
    # a storm tripling the volume over a quarter of the run is a question, not a typo
    storm = sc.override({"demand.surges": [{"start": sc.horizon / 4, "end": sc.horizon / 2, "multiplier": 3.0}]})
    assert overload_warning(storm) is None
