"""Nothing lost, nothing crashes: hostile and malformed input.

Every hostile input (non-finite or astronomically large numbers, booleans for numbers, names that break
the journey chart, huge strings, deep nesting, devices, pipes, symlink loops, oversized files) ends in ONE
:class:`ccsim.InputError` whose one-line message names the field and the fix, quickly and in bounded
memory; legitimate input at the limits runs. The hand-written corpus covers each failing class; a
property-based test mutates a valid scenario with hostile values; the command line is checked end to end.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ccsim
from ccsim import InputError, OptionError, ScenarioError
from ccsim.limits import (LABEL_RULE, MAX_AGENTS, MAX_DESCRIPTION, MAX_FILE_BYTES, MAX_FIRST_CONTACTS,
                          MAX_INTERVALS)
from ccsim.tomlfile import parse_overrides

from centers import SCENARIOS

MAX_MESSAGE = 300  # characters of an error message, at most


def rich_center() -> dict:
    """A small valid center using nearly every field (half an hour, two call types, warm and cold routes)."""
    return {
        "name": "hostile", "description": "every kind of field", "horizon": 1800.0, "interval": 900.0,
        "warmup": 300.0, "sl_threshold": 20.0, "sl_thresholds": {"simple": 30.0}, "max_drain": 1800.0,
        "demand": {
            "skills": ["billing", "tech"],
            "work": {"billing": {"talk": {"dist": "exponential", "mean": 200}, "acw": 20},
                     "tech": {"talk": {"dist": "lognormal", "mean": 300, "cv": 0.7},
                              "acw": {"dist": "uniform", "low": 10, "high": 30}}},
            "call_types": {
                "mixed": {"arrival_rate": 0.03, "needs": ["billing", "tech"],
                          "patience": {"dist": "gamma", "mean": 90, "cv": 0.5},
                          "misroute_prob": 0.1, "resolution_prob": 0.8, "callback_prob": 0.3,
                          "callback_delay": {"dist": "empirical", "values": [60.0, 120.0, 300.0]},
                          "redial_prob": 0.5, "redial_delay": 60, "max_attempts": 3},
                "simple": {"volume": [20.0, 30.0], "patience": {"dist": "weibull", "shape": 0.8, "scale": 100},
                           "same_patience": True,
                           "needs": [{"p": 0.6, "needs": ["billing"]}, {"p": 0.4, "needs": ["tech"]}]},
            },
            "busyness_cv": 0.2,
            "surges": [{"start": 300.0, "end": 900.0, "multiplier": 2.0, "call_types": ["simple"]}],
        },
        "design": {
            "name": "silo", "transfer_mode": "cold", "transfer_time": 20, "reexplain_time": 40, "handoff_time": 25,
            "resolution_factor": 1.1, "cold_transfer_resolution_factor": 0.9, "staffing_scale": 1.0,
            "ivr": {"levels": 2, "seconds_per_level": 5.0},
            "queues": {"billing": {"priority_transfers": True, "max_wait": 300, "message_time": 20}, "tech": {}},
            "agent_selection": "longest_idle", "call_type_priority": {"simple": 1}, "when_unstaffed": "disconnect",
            "groups": {"billing_agents": {"skills": ["billing"], "queues": ["billing"], "staffing": [3, 4],
                                          "cost_per_hour": 30.0},
                       "tech_agents": {"skills": {"tech": 1.2}, "queues": ["tech"], "staffing": 5,
                                       "cost_per_hour": 35.0}},
            "routes": {"billing": {"queue": "billing", "mode": "cold"},
                       "tech": {"queue": "tech", "transfer_queue": "tech", "mode": "warm"}},
            "survey": {"take_rate": 0.5, "seconds": 30},
            "deflections": [{"start": 0.0, "end": 600.0, "share": 0.2}],
        },
    }


def put(d: dict, path: str, value) -> dict:
    """Set a dotted path ("design.groups.tech_agents.staffing", list items as "surges.0") in place."""
    *head, last = path.split(".")
    node = d
    for k in head:
        node = node[int(k)] if isinstance(node, list) else node[k]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return d


def with_(path: str, value) -> dict:
    return put(rich_center(), path, value)


def deep_list(depth: int = 5000) -> list:
    out: list = []
    for _ in range(depth):
        out = [out]
    return out


def error_of(data: dict, kind: type[InputError] = ScenarioError) -> InputError:
    """The one error validating ``data`` raises: of ``kind``, one line, short."""
    with pytest.raises(kind) as e:
        ccsim.scenario_from_dict(data)
    return checked(e.value)


def checked(err: InputError) -> InputError:
    msg = str(err)
    assert "\n" not in msg and "\r" not in msg, msg
    assert len(msg) < MAX_MESSAGE, msg
    assert err.field or err.problem
    return err


def field_is(err: InputError, path: str) -> None:
    """The error names ``path`` (or a list item of it, volume[1] for volume, or the value of a bare-number
    distribution, redial_delay.value for redial_delay)."""
    assert err.field in (path, path + ".value") or err.field.startswith(path + "["), str(err)


def run_small(sc: ccsim.Scenario) -> ccsim.Results:
    res = ccsim.simulate(sc, engine="numba", reps=1, seed=1)
    assert len(res.kpis) == 1
    values = res.kpis.to_numpy(dtype=float)
    assert not np.isinf(values).any(), res.kpis.T
    flows = res.journeys["metric"][res.journeys["metric"].str.startswith("flow:")]
    assert all(len(k[5:].split("|")) == 2 for k in flows)  # the journey chart can split every flow
    return res


def test_the_rich_center_is_valid_and_runs():
    res = run_small(ccsim.scenario_from_dict(rich_center()))
    assert res.kpis.loc[0, "offered"] > 0 and res.kpis.loc[0, "transfers_per_call"] > 0


# --------------------------------------------------------------------------- numbers
NUMBER_FIELDS = [
    "horizon", "interval", "warmup", "sl_threshold", "max_drain",
    "demand.busyness_cv", "demand.call_types.mixed.arrival_rate", "demand.call_types.simple.volume.1",
    "demand.call_types.mixed.misroute_prob", "demand.call_types.mixed.resolution_prob",
    "demand.call_types.mixed.callback_prob", "demand.call_types.mixed.redial_prob",
    "demand.call_types.mixed.max_attempts", "demand.call_types.simple.needs.0.p",
    "demand.work.billing.talk.mean", "demand.work.tech.talk.cv", "demand.work.tech.talk.mean",
    "demand.work.tech.acw.high", "demand.call_types.mixed.patience.cv", "demand.call_types.mixed.redial_delay",
    "demand.surges.0.multiplier", "demand.surges.0.end",
    "design.transfer_time", "design.reexplain_time", "design.handoff_time", "design.resolution_factor",
    "design.cold_transfer_resolution_factor", "design.staffing_scale", "design.ivr.levels",
    "design.ivr.seconds_per_level", "design.groups.tech_agents.staffing", "design.groups.billing_agents.staffing.1",
    "design.groups.tech_agents.skills.tech", "design.groups.tech_agents.cost_per_hour",
    "design.survey.take_rate", "design.survey.seconds", "design.deflections.0.share", "design.deflections.0.end",
]


def _field_name(path: str) -> str:
    """The field an error about ``path`` names: list items as [i], a bare-number distribution as itself."""
    out = ""
    for p in path.split("."):
        out += f"[{p}]" if p.isdigit() else ("." if out else "") + p
    return out


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
@pytest.mark.parametrize("path", NUMBER_FIELDS)
def test_non_finite_numbers_are_named(path, value):
    err = error_of(with_(path, value))
    field_is(err, _field_name(path))
    assert "finite" in str(err), str(err)


@pytest.mark.parametrize("value", [1e308, 10**30, 10**400, 10**5000], ids=["1e308", "1e30", "1e400", "1e5000"])
@pytest.mark.parametrize("path", NUMBER_FIELDS)
def test_astronomical_numbers_are_named(path, value):
    err = error_of(with_(path, value))
    if err.field not in ("demand.call_types", "interval"):  # the run-size checks name the sum's owner
        field_is(err, _field_name(path))


@pytest.mark.parametrize("value", [True, False], ids=["true", "false"])
@pytest.mark.parametrize("path", NUMBER_FIELDS)
def test_booleans_are_not_numbers(path, value):
    err = error_of(with_(path, value))
    assert err.field.startswith(_field_name(path)), str(err)
    assert "boolean" in str(err) or "valid dictionary" in str(err)  # a bare boolean is not a distribution either


@pytest.mark.parametrize("path, value, field", [
    ("design.agent_selection", "fastest", "design.agent_selection"),
    ("design.queues.tech.groups", ["nobody"], "design.queues.tech.groups"),
    ("design.queues.tech.groups", ["billing_agents"], "design.queues.tech.groups"),
    ("design.queues.tech.groups", ["tech_agents", "tech_agents"], "design.queues.tech.groups"),
    ("design.groups.tech_agents.overflow_after", {"billing": 30}, "design.groups.tech_agents.overflow_after"),
    ("design.groups.tech_agents.overflow_after", {"tech": -5}, "design.groups.tech_agents.overflow_after.tech"),
    ("design.groups.tech_agents.queue_choice", "random", "design.groups.tech_agents.queue_choice"),
    ("design.call_type_priority", {"ghost": 1}, "design.call_type_priority.ghost"),
    ("design.call_type_priority", {"mixed": 0}, "design.call_type_priority.mixed"),
    ("sl_thresholds", {"ghost": 10}, "sl_thresholds.ghost"),
    ("sl_thresholds", {"mixed": -1}, "sl_thresholds.mixed"),
    ("demand.work.tech.talk", [200], "demand.work.tech.talk"),
    ("demand.call_types.mixed.patience", [], "demand.call_types.mixed.patience"),
    ("design.routes.tech", {"queue": "tech", "mode": "warm", "wait": False}, "design.routes.tech.wait"),
    ("design.routes.tech", {"queue": "tech", "mode": "three-way"}, "design.routes.tech.mode"),
    ("design.when_unstaffed", "panic", "design.when_unstaffed"),
    ("design.call_type_lines", {"ghost": 3}, "design.call_type_lines.ghost"),
    ("design.call_type_lines", {"mixed": 0}, "design.call_type_lines.mixed"),
    ("design.groups.tech_agents.after_service", [{"p": 0.5, "skill": "ghost"}],
     "design.groups.tech_agents.after_service[0].skill"),
    ("design.groups.tech_agents.after_service", [{"p": 0.7, "skill": "tech"}, {"p": 0.7, "skill": "billing"}],
     "design.groups.tech_agents.after_service"),
    ("design.queues.billing.message_time", -1, "design.queues.billing.message_time"),
])
def test_router_and_period_fields_are_named(path, value, field):
    """The routing issue's fields: unknown names, wrong choices and short lists get one line naming the field."""
    err = error_of(with_(path, value))
    assert err.field == field, str(err)
    assert "\n" not in str(err) and (err.fix or "should be" in err.problem or "at least" in err.problem), str(err)


@pytest.mark.parametrize("path, value, field", [
    ("design.groups.tech_agents.staffing", 1_000_000_000, "design.groups.tech_agents.staffing"),
    ("design.groups.tech_agents.staffing", MAX_AGENTS + 1, "design.groups.tech_agents.staffing"),
    ("design.groups.billing_agents.staffing", [3, 10**9], "design.groups.billing_agents.staffing[1]"),
    ("horizon", 1e12, "horizon"),
    ("horizon", 401 * 86400.0, "horizon"),
    ("interval", 0.001, "interval"),
    ("interval", 59.0, "interval"),
    ("demand.work.tech.talk.cv", math.inf, "demand.work.tech.talk.cv"),
    ("demand.work.tech.talk.cv", 101.0, "demand.work.tech.talk.cv"),
    ("demand.work.tech.talk.cv", 1e-200, "demand.work.tech.talk.cv"),
    ("demand.call_types.mixed.patience.cv", 1e-200, "demand.call_types.mixed.patience.cv"),
    ("demand.busyness_cv", 1e-200, "demand.busyness_cv"),
    ("demand.busyness_cv", 1.5, "demand.busyness_cv"),
    ("demand.work.billing.talk.mean", 1e10, "demand.work.billing.talk.mean"),
    ("demand.call_types.mixed.max_attempts", 64, "demand.call_types.mixed.max_attempts"),
    ("demand.call_types.mixed.max_attempts", 0, "demand.call_types.mixed.max_attempts"),
    ("design.groups.tech_agents.skills.tech", 1e-300, "design.groups.tech_agents.skills.tech"),
    ("design.groups.tech_agents.skills.tech", 1e6, "design.groups.tech_agents.skills.tech"),
    ("demand.call_types.mixed.resolution_prob", 1.5, "demand.call_types.mixed.resolution_prob"),
    ("design.ivr.levels", 10**6, "design.ivr.levels"),
])
def test_out_of_range_values_are_named_with_the_limit(path, value, field):
    err = error_of(with_(path, value))
    assert err.field == field, str(err)
    assert err.fix or "at most" in err.problem or "at least" in err.problem, str(err)


@pytest.mark.parametrize("changes, field, words", [
    ({"horizon": 400 * 86400.0, "interval": 60.0}, "interval", ["intervals", f"{MAX_INTERVALS:,}"]),
    ({"horizon": 86400.0 * 10, "demand.call_types.mixed.arrival_rate": 1000.0, "design.groups.billing_agents.staffing": 3,
      "demand.call_types.simple.volume": [1.0] * 960}, "demand.call_types", ["expected first contacts", "1e+08"]),
    ({"demand.call_types.simple.volume": [1e8, 1e8]}, "demand.call_types", ["expected first contacts"]),
    ({"demand.surges.0.multiplier": 1000.0, "demand.call_types.simple.volume": [1e7, 1e7],
      "demand.surges.0.end": 1800.0}, "demand.call_types", ["expected first contacts"]),
    ({"design.staffing_scale": 1000.0, "design.groups.tech_agents.staffing": 500}, "design.staffing_scale",
     ["agents", f"{MAX_AGENTS:,}"]),
])
def test_run_sizes_are_bounded(changes, field, words):
    d = rich_center()
    for path, value in changes.items():
        put(d, path, value)
    err = error_of(d)
    assert err.field == field, str(err)
    assert all(w in str(err) for w in words), str(err)


def test_expected_contacts_limit_is_exact():
    """The limit is on the expectation: just under it validates (nothing is sampled), just over it does not."""
    d = rich_center()
    put(d, "demand.call_types.simple.volume", [0.0, 0.0])
    put(d, "demand.call_types.mixed.needs", ["billing"])
    rate = MAX_FIRST_CONTACTS / 1800.0
    put(d, "demand.call_types.mixed.arrival_rate", rate * 0.999)
    put(d, "demand.call_types.mixed.redial_prob", 0.0)
    put(d, "demand.call_types.mixed.callback_prob", 0.0)
    ccsim.scenario_from_dict(d)
    put(d, "demand.call_types.mixed.arrival_rate", rate * 1.001)
    assert error_of(d).field == "demand.call_types"


@pytest.mark.parametrize("path, value, want", [
    ("design.groups.tech_agents.staffing", 3.0, 3),
    ("design.groups.billing_agents.staffing", [3.0, 4.0], [3, 4]),
    ("demand.call_types.mixed.max_attempts", 2.0, 2),
    ("design.ivr.levels", 1.0, 1),
])
def test_whole_floats_are_counts(path, value, want):
    """A count given as 3.0 (a sweep range of floats, a spreadsheet export) is read as the whole number 3."""
    sc = ccsim.scenario_from_dict(with_(path, value))
    got = sc.model_dump()
    for k in path.split("."):
        got = got[k]
    assert got == want and type(got) is type(want)
    if isinstance(want, list):
        assert all(type(x) is int for x in got)


@pytest.mark.parametrize("path, value", [
    ("design.groups.tech_agents.staffing", 3.5), ("design.groups.billing_agents.staffing", [3, 4.5]),
    ("demand.call_types.mixed.max_attempts", 2.5), ("design.ivr.levels", 0.5),
])
def test_fractional_counts_are_named(path, value):
    err = error_of(with_(path, value))
    assert err.field.startswith(_field_name(path)) and "whole number" in str(err), str(err)


# --------------------------------------------------------------------------- names
NAME_PLACES = {  # where a name is given or referred to -> how to give a bad one there
    "skill": lambda d, n: (d["demand"]["skills"].__setitem__(1, n)),
    "work key": lambda d, n: d["demand"]["work"].__setitem__(n, d["demand"]["work"].pop("tech")),
    "call type": lambda d, n: d["demand"]["call_types"].__setitem__(n, d["demand"]["call_types"].pop("simple")),
    "needs": lambda d, n: d["demand"]["call_types"]["mixed"]["needs"].__setitem__(1, n),
    "needs table": lambda d, n: d["demand"]["call_types"]["simple"]["needs"][1]["needs"].__setitem__(0, n),
    "surge call type": lambda d, n: d["demand"]["surges"][0]["call_types"].__setitem__(0, n),
    "queue": lambda d, n: d["design"]["queues"].__setitem__(n, d["design"]["queues"].pop("tech")),
    "group": lambda d, n: d["design"]["groups"].__setitem__(n, d["design"]["groups"].pop("tech_agents")),
    "group skill": lambda d, n: d["design"]["groups"]["billing_agents"].__setitem__("skills", [n]),
    "group speed": lambda d, n: d["design"]["groups"]["tech_agents"].__setitem__("skills", {n: 1.0}),
    "group queue": lambda d, n: d["design"]["groups"]["tech_agents"].__setitem__("queues", [n]),
    "route": lambda d, n: d["design"]["routes"].__setitem__(n, d["design"]["routes"].pop("tech")),
    "route queue": lambda d, n: d["design"]["routes"]["tech"].__setitem__("queue", n),
    "transfer queue": lambda d, n: d["design"]["routes"]["tech"].__setitem__("transfer_queue", n),
    "bare route": lambda d, n: d["design"]["routes"].__setitem__("billing", n),
}
BAD_NAMES = {"bar": "te|ch", "colon": "flow:tech", "nul": "te\x00ch", "newline": "te\nch", "tab": "te\tch",
             "del": "te\x7fch", "c1": "te\x85ch", "line-separator": "te\u2028ch", "empty": "", "long": "t" * 129,
             "huge": "t" * 1_000_000}


@pytest.mark.parametrize("bad", list(BAD_NAMES))
@pytest.mark.parametrize("place", list(NAME_PLACES))
def test_names_that_break_the_journey_chart_are_refused(place, bad):
    d = rich_center()
    NAME_PLACES[place](d, BAD_NAMES[bad])
    err = error_of(d)
    assert "not a valid name" in err.problem and err.fix == "rename it: " + LABEL_RULE, str(err)
    assert "'|', ':' or control character" in str(err)


def test_legitimate_names_run_and_the_journey_chart_splits():
    """Spaces, dots, brackets, '#', '&', quotes and non-ASCII letters are names like any other."""
    text = json.dumps(rich_center())
    for old, new in {"billing": "Billing & Payments (1st line)", "tech": "Équipe technique #2 [L2]"}.items():
        text = text.replace(json.dumps(old), json.dumps(new))  # every skill, queue and route of that name
    d = json.loads(text)
    d["design"]["groups"]["Ops.team 'A'"] = d["design"]["groups"].pop("tech_agents")
    sc = ccsim.scenario_from_dict(d)
    res = run_small(sc)
    flows = [k[5:].split("|") for k in res.journeys["metric"] if k.startswith("flow:")]
    nodes = {n for pair in flows for n in pair}
    assert any(n.startswith("Équipe technique #2 [L2] #") for n in nodes)
    assert any(n.startswith("Ops.team 'A' #") for n in nodes)


@pytest.mark.parametrize("path, value, words", [
    pytest.param("description", "x" * (MAX_DESCRIPTION + 1), ["too long", f"{MAX_DESCRIPTION:,}"], id="description-10k"),
    pytest.param("description", "x" * 50_000_000, ["too long"], id="description-50M"),
    pytest.param("description", "a\x00b", ["control character"], id="description-nul"),
    pytest.param("description", "a\x1bb", ["control character"], id="description-escape"),
    pytest.param("design.name", "a\x00b", ["control character"], id="design-name-nul"),
    pytest.param("design.name", "d" * 129, ["too long"], id="design-name-long"),
    pytest.param("name", "a\x00b", ["folder name"], id="name-nul"),
    pytest.param("name", "n" * 1_000_000, ["folder name"], id="name-1M"),
    pytest.param("demand.call_types.mixed.patience", "p" * 1_000_000, ["valid dictionary"], id="patience-1M"),
    pytest.param("demand.work.tech.talk.dist", "d" * 1_000_000, ["unknown distribution", "exponential"], id="dist-1M"),
    pytest.param("design.transfer_mode", "m" * 1_000_000, ["cold"], id="transfer-mode-1M"),
])
def test_strings_are_bounded_and_never_echoed_whole(path, value, words):
    err = error_of(with_(path, value))
    assert err.field == path.removesuffix(".dist"), str(err)
    assert all(w in str(err) for w in words), str(err)


def test_multi_line_descriptions_are_fine():
    sc = ccsim.scenario_from_dict(with_("description", "line one\nline two\twith a tab\r\n" + "x" * 9000))
    assert sc.description.startswith("line one")


# --------------------------------------------------------------------------- nesting
@pytest.mark.parametrize("path", ["horizon", "demand.call_types.simple.volume", "design.groups.tech_agents.staffing",
                                  "demand.work.tech.talk", "design.routes.tech", "demand.skills", "design"])
def test_deeply_nested_values_are_one_error(path):
    err = error_of(with_(path, deep_list()))
    assert err.field.startswith(path.split(".")[0]), str(err)


def test_deeply_nested_tables_are_one_error():
    d = rich_center()
    node = d["design"]["queues"]["tech"]
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    err = error_of(d)
    assert err.field == "design.queues.tech.x" and err.problem == "unknown field"


def test_deeply_nested_override_is_one_error():
    with pytest.raises(OptionError, match="nested too deeply"):
        parse_overrides(["horizon=" + "[" * 5000 + "]" * 5000])
    with pytest.raises(ScenarioError, match="nested too deeply"):
        ccsim.load_scenario(SCENARIOS / "erlang_a.toml", overrides={"horizon": deep_list()})
    sc = ccsim.scenario_from_dict(rich_center())
    with pytest.raises(ScenarioError):
        sc.override({"horizon": deep_list()})


@pytest.mark.parametrize("text", [
    "v = " + "[" * 5000 + "]" * 5000,
    "v = " + "{a = " * 3000 + "1" + "}" * 3000,
    "v = " + "1" * 5000,                    # an integer too long for Python to read
])
def test_malformed_toml_is_one_error(tmp_path, text):
    p = tmp_path / "sc.toml"
    p.write_text('name = "x"\nhorizon = 3600\n' + text + "\n")
    with pytest.raises(ScenarioError) as e:
        ccsim.load_scenario(p)
    checked(e.value)
    assert "TOML" in str(e.value)


@pytest.mark.parametrize("item, kind", [("horizon=inf", ScenarioError), ("horizon=nan", ScenarioError),
                                        ("horizon=1e400", ScenarioError), ("horizon=true", ScenarioError),
                                        ("design.groups.agents.staffing=1e9", ScenarioError),
                                        ("interval=0.001", ScenarioError), ("name=a|b", ScenarioError),
                                        ("horizon=" + "9" * 5000, ScenarioError)])
def test_hostile_overrides_are_one_error(item, kind):
    with pytest.raises(kind) as e:
        ccsim.load_scenario(SCENARIOS / "erlang_a.toml", overrides=parse_overrides([item]))
    checked(e.value)
    assert e.value.field == item.split("=")[0], str(e.value)


# --------------------------------------------------------------------------- files
def _scenario_with(tmp_path: Path, demand_ref: str) -> Path:
    p = tmp_path / "sc.toml"
    p.write_text(f'name = "x"\nhorizon = 3600\ndemand = {json.dumps(demand_ref)}\n')  # JSON escapes are TOML's
    return p


def _load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as e:
        ccsim.load_scenario(path)
    return checked(e.value)


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null", "/dev/urandom", "/"])
def test_devices_and_directories_are_not_read(tmp_path, target):
    if not os.path.exists(target):
        pytest.skip(f"no {target} here")
    err = _load_error(Path(target))
    assert err.field == "scenario" and ("regular file" in err.problem or "directory" in err.problem)
    err = _load_error(_scenario_with(tmp_path, target))
    assert err.field == "demand" and ("regular file" in err.problem or "directory" in err.problem)


def test_pipes_are_not_opened(tmp_path):
    fifo = tmp_path / "demand.toml"
    os.mkfifo(fifo)  # opening it would block until a writer comes: it must never be opened
    err = _load_error(_scenario_with(tmp_path, "demand.toml"))
    assert err.field == "demand" and "regular file" in err.problem
    err = _load_error(fifo)
    assert err.field == "scenario" and "regular file" in err.problem


def test_symlink_loops_are_one_error(tmp_path):
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    err = _load_error(_scenario_with(tmp_path, "a.toml"))
    assert err.field == "demand" and "symlink loop" in err.problem
    err = _load_error(tmp_path / "a.toml")
    assert err.field == "scenario" and "symlink loop" in err.problem


def test_oversized_files_are_refused_before_reading(tmp_path):
    big = tmp_path / "demand.toml"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing to write, and nothing may be read
    err = _load_error(_scenario_with(tmp_path, "demand.toml"))
    assert err.field == "demand" and "MB" in err.problem
    err = _load_error(big)
    assert err.field == "scenario" and "MB" in err.problem


@pytest.mark.parametrize("ref, words", [("with\x00nul.toml", "not a valid path"), ("x" * 5000 + ".toml", "too long"),
                                        ("", "directory"), ("missing.toml", "not found")],
                         ids=["nul", "5000-characters", "empty", "missing"])
def test_bad_include_paths_are_one_error(tmp_path, ref, words):
    err = _load_error(_scenario_with(tmp_path, ref))
    assert err.field == "demand" and words in err.problem, str(err)


def test_binary_and_non_utf8_files_are_one_error(tmp_path):
    p = tmp_path / "sc.toml"
    p.write_bytes(b"name = \"x\"\nhorizon = 3600\ndescription = \"\xff\xfe\"\n")
    assert "UTF-8" in _load_error(p).problem
    p.write_bytes(b'name = "a\x00b"\n')
    assert "TOML" in str(_load_error(p))


def test_unreadable_file_is_one_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can read a mode-000 file")
    p = tmp_path / "sc.toml"
    p.write_text('name = "x"\n')
    p.chmod(0)
    try:
        err = _load_error(p)
    finally:
        p.chmod(0o644)
    assert "cannot read" in err.problem and "ermission" in err.problem


def test_a_replication_too_busy_to_hold_is_one_error(monkeypatch):
    """Validation bounds the expected size at busyness 1; a replication whose day-level busyness draw would
    blow it up tenfold (odds e^-10 at busyness_cv 1) is refused, naming busyness_cv, before anything is drawn."""
    import ccsim.demand
    sc = ccsim.scenario_from_dict(with_("demand.busyness_cv", 1.0))
    monkeypatch.setattr(ccsim.demand, "MAX_FIRST_CONTACTS", 0)  # any replication with callers is 'too big'
    with pytest.raises(ScenarioError) as e:
        ccsim.simulate(sc, reps=1)
    assert checked(e.value).field == "demand.busyness_cv" and "replication 0 of seed 1" in str(e.value)


# --------------------------------------------------------------------------- simulate() arguments
@pytest.mark.parametrize("kwargs, field", [
    ({"reps": True}, "reps"), ({"seed": False}, "seed"), ({"first_rep": True}, "first_rep"),
    ({"reps": 2**64}, "reps"), ({"seed": 2**64}, "seed"), ({"seed": -1}, "seed"),
    ({"reps": math.inf}, "reps"), ({"seed": math.nan}, "seed"), ({"first_rep": 2**63 - 1, "reps": 2}, "first_rep"),
])
def test_simulate_arguments_are_named(kwargs, field):
    sc = ccsim.scenario_from_dict(rich_center())
    with pytest.raises(OptionError) as e:
        ccsim.simulate(sc, **{"reps": 1, **kwargs})
    assert checked(e.value).field == field


def test_simulate_needs_a_scenario():
    with pytest.raises(OptionError) as e:
        ccsim.simulate(rich_center(), reps=1)  # a dict, not a validated scenario
    assert e.value.field == "scenario" and "scenario_from_dict" in str(e.value)


def test_simulate_takes_numpy_integers():
    sc = ccsim.scenario_from_dict(rich_center())
    res = ccsim.simulate(sc, reps=np.int32(2), seed=np.uint64(3), first_rep=np.int64(4), keep_calls=False)
    assert list(res.kpis.index) == [4, 5] and res.seed == 3 and type(res.seed) is int


# --------------------------------------------------------------------------- legitimate extremes run
@pytest.mark.parametrize("changes", [
    {"demand.work.tech.talk.cv": 100.0},
    {"demand.work.tech.talk.cv": 1e-6, "demand.call_types.mixed.patience.cv": 1e-6},
    {"demand.call_types.mixed.patience.cv": 100.0},
    {"demand.busyness_cv": 1.0},
    {"demand.busyness_cv": 1e-6},
    {"design.groups.tech_agents.skills.tech": 1e-3},
    {"design.groups.tech_agents.skills.tech": 1e3},
    {"demand.call_types.mixed.max_attempts": 50, "demand.call_types.mixed.redial_prob": 1.0,
     "demand.call_types.mixed.callback_prob": 1.0, "demand.call_types.mixed.redial_delay": 1.0,
     "demand.call_types.mixed.callback_delay": 1.0, "demand.call_types.mixed.resolution_prob": 0.0},
    {"design.groups.tech_agents.staffing": MAX_AGENTS},
    {"demand.work.billing.talk.mean": 1e9, "demand.call_types.mixed.patience.mean": 1e9},
    {"design.ivr.levels": 100, "design.ivr.seconds_per_level": 1e9},
    {"max_drain": 400 * 86400.0, "sl_threshold": 1e9, "design.transfer_time": 1e9},
    {"demand.surges.0.multiplier": 1000.0, "design.resolution_factor": 1000.0},
    {"design.staffing_scale": 0.0, "demand.call_types.mixed.arrival_rate": 0.0,
     "demand.call_types.simple.volume": [0.0, 0.0]},
    {"interval": 60.0, "demand.call_types.simple.volume": [1.0] * 30, "design.groups.billing_agents.staffing": [3] * 30},
    {"demand.work.tech.talk": {"dist": "empirical", "values": [0.0, 1e9]}},
    {"demand.call_types.mixed.needs": ["billing", "tech"] * 8},
])
def test_values_at_the_limits_run(changes):
    d = rich_center()
    for path, value in changes.items():
        put(d, path, value)
    run_small(ccsim.scenario_from_dict(d))


# --------------------------------------------------------------------------- property: hostile mutations
HOSTILE = {
    "inf": lambda: math.inf, "-inf": lambda: -math.inf, "nan": lambda: math.nan, "1e308": lambda: 1e308,
    "-1": lambda: -1, "true": lambda: True, "false": lambda: False,
    "huge int": lambda: 10**30, "huger int": lambda: 10**5000, "huge string": lambda: "x" * 1_000_000,
    "nested list": deep_list, "None": lambda: None,
    "NUL string": lambda: "a\x00b", "bar string": lambda: "billing|tech", "colon string": lambda: "flow:a",
}
EDGES = {  # legitimate in many places: mutated scenarios that validate must run
    "0": lambda: 0, "0.0": lambda: 0.0, "1": lambda: 1, "tiny": lambda: 5e-324, "1e9": lambda: 1e9, "None": lambda: None,
    "empty string": str, "empty list": list, "empty table": dict,
}
VALUES = HOSTILE | EDGES


def _paths(node, prefix=()) -> list[tuple]:
    """Every node of a scenario dict below the root (leaves and whole tables or lists), as key paths."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.append(prefix + (k,))
        out.extend(_paths(v, prefix + (k,)))
    return out


PATHS = _paths(rich_center())


def _mutate(d: dict, path: tuple, value) -> None:
    node = d
    for k in path[:-1]:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation replaced an ancestor
    if isinstance(node, dict) or (isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node)):
        node[path[-1]] = value


@settings(max_examples=500, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(sorted(HOSTILE)) | st.sampled_from(sorted(EDGES))),
                min_size=1, max_size=2))
def test_hostile_mutations_are_one_error_or_a_clean_run(mutations):
    d = rich_center()
    for path, name in mutations:
        _mutate(d, path, VALUES[name]())
    try:
        sc = ccsim.scenario_from_dict(d)
    except InputError as e:
        checked(e)
        event("refused")
        return
    event("ran")
    run_small(sc)


# --------------------------------------------------------------------------- the command line
def _validate(*args: str) -> subprocess.CompletedProcess:
    # the timeout only guards against a hang (a pipe opened, /dev/zero read); it is not a speed test
    return subprocess.run([sys.executable, "-m", "ccsim.cli", "validate", *args], capture_output=True, text=True,
                          timeout=60)


def _assert_one_line_error(p: subprocess.CompletedProcess, *words: str) -> None:
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2, (p.returncode, p.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr[-2000:]
    assert "Traceback" not in p.stderr and len(lines[0]) < MAX_MESSAGE + 10
    assert all(w in lines[0] for w in words), lines[0]


def _cli_case(tmp_path: Path, case: str) -> tuple[list[str], list[str]]:
    base = (SCENARIOS / "erlang_a.toml").read_text()
    sc = tmp_path / "sc.toml"
    if case == "dev-zero-include":
        sc.write_text('name = "x"\nhorizon = 3600\ndemand = "/dev/zero"\n')
        return [str(sc)], ["demand", "regular file"]
    if case == "dev-zero":
        return ["/dev/zero"], ["regular file"]
    if case == "fifo-include":
        os.mkfifo(tmp_path / "d.toml")
        sc.write_text('name = "x"\nhorizon = 3600\ndemand = "d.toml"\n')
        return [str(sc)], ["demand", "regular file"]
    if case == "symlink-loop-include":
        (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
        (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
        sc.write_text('name = "x"\nhorizon = 3600\ndemand = "a.toml"\n')
        return [str(sc)], ["demand", "symlink loop"]
    if case == "deep-array":
        sc.write_text('name = "x"\nhorizon = ' + "[" * 5000 + "]" * 5000 + "\n")
        return [str(sc)], ["nested too deeply"]
    if case == "50-MB-description":
        sc.write_text(base.replace('description = "', 'description = "' + "d" * 50_000_000, 1))
        return [str(sc)], ["MB"]
    if case == "1-MB-description":
        sc.write_text(base.replace('description = "', 'description = "' + "d" * 1_000_000, 1))
        return [str(sc)], ["description", "too long"]
    if case == "queue-name-with-bar":
        sc.write_text(base.replace("queues.service = {}", 'queues.service = {}\nqueues."a|b" = {}'))
        return [str(sc)], ["design.queues", "not a valid name"]
    if case == "set-inf":
        return [str(SCENARIOS / "erlang_a.toml"), "--set", "horizon=inf"], ["horizon", "finite"]
    if case == "set-staffing-true":
        return [str(SCENARIOS / "erlang_a.toml"), "--set", "design.groups.agents.staffing=true"], ["staffing", "boolean"]
    if case == "unreadable":
        sc.write_text(base)
        sc.chmod(0)
        return [str(sc)], ["cannot read"]
    raise AssertionError(case)


CLI_CASES = ["dev-zero-include", "dev-zero", "fifo-include", "symlink-loop-include", "deep-array", "50-MB-description",
             "1-MB-description", "queue-name-with-bar", "set-inf", "set-staffing-true", "unreadable"]


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_validate_hostile_input_is_one_line_exit_2(tmp_path, case):
    if case == "unreadable" and os.geteuid() == 0:
        pytest.skip("root can read a mode-000 file")
    if case == "dev-zero" and not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    args, words = _cli_case(tmp_path, case)
    _assert_one_line_error(_validate(*args), *words)
