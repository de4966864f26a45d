"""The numba engine reproduces the SimPy reference engine's records exactly (docs/model.md).

Same scenario, same seed: the same contacts and legs in the same order, identical integer columns,
float columns equal to 1e-9, identical agent time. Checked on every bundled scenario and on a few
hundred generated small centers (hypothesis). tests/test_theory.py validates both engines against Erlang C/A.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ccsim
from ccsim.engines import ENGINES, get_engine
from ccsim.engines.compiled import compile_scenario
from ccsim.engines.numba_engine import run_numba, run_numba_tallies
from ccsim.metrics import tallies
from ccsim.engines.simpy_engine import run_simpy
from ccsim.errors import ScenarioError

SCENARIOS = Path(__file__).resolve().parents[1] / "experiments" / "scenarios"


def assert_same_output(a, b) -> None:
    """Identical records (rows, order, integer columns; floats to 1e-9) and agent time."""
    for part in ("contacts", "legs"):
        ra, rb = getattr(a, part), getattr(b, part)
        assert list(ra) == list(rb)
        for name in ra:
            x, y = ra[name], rb[name]
            assert x.dtype == y.dtype, f"{part}.{name}: dtype {x.dtype} vs {y.dtype}"
            assert x.shape == y.shape, f"{part}.{name}: {x.shape[0]} vs {y.shape[0]} rows"
            if x.dtype.kind == "f":
                np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=f"{part}.{name}: NaN positions")
                np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-9, err_msg=f"{part}.{name}")
            else:
                bad = np.flatnonzero(x != y)
                assert bad.size == 0, f"{part}.{name}: rows {bad[:5].tolist()}: {x[bad[:5]]} vs {y[bad[:5]]}"
    for name in ("busy", "staffed", "busy_window", "staffed_window"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape
        np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-9, err_msg=name)


def both(sc: ccsim.Scenario, seed: int, rep: int = 0):
    comp = compile_scenario(sc)
    return run_simpy(comp, seed, rep), run_numba(comp, seed, rep)


def test_numba_is_registered():
    assert "numba" in ENGINES
    assert get_engine("numba") is run_numba


# ---------------------------------------------------------------------------- bundled scenarios
BUNDLED = [
    ("erlang_a.toml", None),
    ("erlang_a.toml", {"horizon": 7200, "warmup": 600, "design.groups.agents.staffing": 48}),  # overloaded
    ("silo.toml", {"horizon": 43200}),
    ("team.toml", {"horizon": 43200}),
    ("silo.toml", {"horizon": 28800, "max_drain": 0}),     # stops with callers inside
    ("team.toml", {"horizon": 28800, "max_drain": 600, "warmup": 3600}),
]


@pytest.mark.parametrize("name, overrides", BUNDLED)
@pytest.mark.parametrize("seed", [1, 2])
def test_bundled_scenarios_identical(name, overrides, seed):
    sc = ccsim.load_scenario(SCENARIOS / name, overrides=overrides)
    a, b = both(sc, seed, rep=seed)
    assert a.contacts["caller"].size > 100
    assert_same_output(a, b)
    assert_same_kpis(sc, seed)


def test_simulate_same_kpis_both_engines():
    sc = ccsim.load_scenario(SCENARIOS / "team.toml", overrides={"horizon": 21600})
    ra = ccsim.simulate(sc, engine="simpy", reps=2, seed=4)
    rb = ccsim.simulate(sc, engine="numba", reps=2, seed=4)
    np.testing.assert_allclose(rb.kpis.to_numpy(), ra.kpis.to_numpy(), rtol=1e-9, atol=1e-9)
    assert len(ra.calls) == len(rb.calls) and len(ra.legs) == len(rb.legs)


def test_growing_arrays():
    """Thousands of callers at once in the IVR and in queues: every array of the kernel grows (from tiny)."""
    sc = ccsim.erlang_a(arrival_rate=2.0, mean_handle_time=300, agents=20, mean_patience=900, horizon=2400,
                        warmup=600)
    sc = sc.override({"design.ivr": {"levels": 1, "seconds_per_level": 700.0}, "max_drain": 1200.0,
                      "demand.call_types.calls.redial_prob": 0.5, "demand.call_types.calls.redial_delay": 60})
    comp = compile_scenario(sc)
    a = run_simpy(comp, 5, 0)
    assert a.contacts["caller"].size > 4000
    assert_same_output(a, run_numba(comp, 5, 0))
    assert_same_output(a, run_numba(comp, 5, 0, small=True))
    want = tallies(a, comp)
    for small in (False, True):
        assert_same_tallies(want, run_numba_tallies(comp, 5, 0, small))


# ---------------------------------------------------------------------------- simultaneous events
def lattice_center(mode: str) -> dict:
    """Deterministic phases on a 30-s lattice that holds the interval boundaries, changing staff, short
    patience, transfers, redials and callbacks: many events share an instant, and their order (docs/model.md,
    "Order of simultaneous events") decides who is answered by whom. Swapping any two priority classes, or
    resuming answered callers in another order, changes these records."""
    return {
        "name": "lattice", "horizon": 1500.0, "interval": 300.0, "max_drain": 600.0,
        "demand": {
            "skills": ["a", "b"],
            "work": {"a": {"talk": 60, "acw": 30}, "b": {"talk": 90, "acw": 0}},
            "call_types": {"x": {
                "arrival_rate": 0.06, "needs": [{"p": 0.5, "needs": ["a"]}, {"p": 0.5, "needs": ["a", "b"]}],
                "patience": 120, "misroute_prob": 0.3, "resolution_prob": 0.5, "callback_prob": 1.0,
                "callback_delay": 60, "redial_prob": 1.0, "redial_delay": 30, "max_attempts": 4}},
        },
        "design": {
            "transfer_mode": mode, "transfer_time": 30, "reexplain_time": 30, "handoff_time": 30,
            "queues": {"qa": {}, "qb": {"priority_transfers": True}},
            "groups": {"ga": {"skills": ["a"], "queues": ["qa"], "staffing": [2, 1, 3, 0, 2]},
                       "gb": {"skills": {"b": 1.0, "a": 2.0}, "queues": ["qb", "qa"], "staffing": [1, 2, 0, 2, 1]}},
            "routes": {"a": {"queue": "qa", "mode": "cold"}, "b": "qb"},
        },
    }


@pytest.mark.parametrize("mode", ["cold", "warm"])
@pytest.mark.parametrize("seed", range(5))
def test_simultaneous_events_identical(mode, seed):
    sc = ccsim.scenario_from_dict(lattice_center(mode))
    a, b = both(sc, seed)
    enter = a.legs["enter"]
    assert np.unique(enter).size < enter.size  # callers do join queues at the same instants
    assert_same_output(a, b)
    assert_same_kpis(sc, seed)


@pytest.mark.parametrize("closing", ["serve", "disconnect"])
@pytest.mark.parametrize("seed", range(4))
def test_virtual_hold_simultaneous_events_identical(closing, seed):
    """Queued callbacks on the lattice: offers, dials, unanswered dials rejoining the queue, and (with at_closing =
    "disconnect") callbacks dropped at the horizon happen at the same instants as departures, arrivals and shift
    changes; both engines keep the same records."""
    d = lattice_center("cold")
    d["design"]["queues"]["qa"]["callback"] = {"position": 1, "wait": 60, "handle_time": 60, "dial_time": 30,
                                               "retries": 1, "retry_delay": 60}
    d["design"]["queues"]["qb"]["callback"] = {"position": 0, "retries": 2}
    d["design"]["at_closing"] = closing
    d["demand"]["call_types"]["x"] |= {"callback_accept": 0.7, "callback_answer": 0.5}
    sc = ccsim.scenario_from_dict(d)
    a, b = both(sc, seed)
    cb = a.contacts["callback"]
    assert (cb == 2).sum() > 5 and (cb == 1).sum() > 0
    assert_same_output(a, b)
    assert_same_kpis(sc, seed)


# ---------------------------------------------------------------------------- generated centers
def _dist(draw, mean_lo: float, mean_hi: float, allow_zero: bool = False, unit: float = 0.0):
    """A distribution dict, sometimes deterministic or empirical on round values (to make ties).

    With ``unit`` (a divisor of the interval) it is deterministic on multiples of the unit: every phase
    of an agent then ends on a lattice of times that also holds the interval boundaries.
    """
    if unit:
        multiple = draw(st.sampled_from([0, 1, 1, 2] if allow_zero else [1, 1, 2, 3]))
        return {"dist": "deterministic", "value": unit * multiple}
    kind = draw(st.sampled_from(["exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical",
                                 "weibull", "bare"] + (["zero"] if allow_zero else [])))
    mean = float(draw(st.integers(int(mean_lo), int(mean_hi))))
    if kind == "zero":
        return 0
    if kind == "bare":
        return mean
    if kind == "deterministic":
        return {"dist": "deterministic", "value": mean}
    if kind == "uniform":
        return {"dist": "uniform", "low": 0.5 * mean, "high": 1.5 * mean}
    if kind == "weibull":
        shape = draw(st.sampled_from([0.6, 1.0, 2.5]))
        return {"dist": "weibull", "shape": shape, "scale": mean / math.gamma(1 + 1 / shape)}
    if kind == "empirical":
        step = max(1, int(mean // 2))
        return {"dist": "empirical", "values": [float(mean - step), float(mean), float(mean + step)]}
    if kind == "exponential":
        return {"dist": "exponential", "mean": mean}
    return {"dist": kind, "mean": mean, "cv": draw(st.sampled_from([0.3, 0.8, 1.5]))}


@st.composite
def centers(draw) -> dict:
    """A small random center as a plain scenario dict (may still fail validation: the test assumes it)."""
    S = draw(st.integers(1, 4))
    skills = [f"s{i}" for i in range(S)]
    # half of the centers are "lattices": deterministic times on multiples of a divisor of the interval,
    # under heavy load and changing staff, so that departures, abandonments, arrivals and shift changes
    # happen at the same instants (the order of simultaneous events then shows in the records)
    lattice = draw(st.booleans())
    interval = float(draw(st.sampled_from([300, 600] if lattice else [300, 600, 900])))
    n_int = draw(st.integers(2, 4) if lattice else st.integers(1, 4))
    horizon = interval * n_int if draw(st.booleans()) else interval * n_int - draw(st.integers(1, 299))
    n_int = max(1, math.ceil(horizon / interval - 1e-9))
    unit = float(draw(st.sampled_from([30, 50, 60, 100, 150]))) if lattice else 0.0
    work = {s: {"talk": _dist(draw, 20, 180, unit=unit)} for s in skills}
    if draw(st.integers(0, 3)) == 0:   # laws by period: talk time by interval of arrival
        work[skills[0]]["talk"] = [_dist(draw, 20, 180, unit=unit) for _ in range(n_int)]
    for s in skills:
        if unit or draw(st.booleans()):
            work[s]["acw"] = _dist(draw, 0, 60, allow_zero=True, unit=unit)

    def needs_list():
        first = draw(st.sampled_from(skills))
        more = draw(st.lists(st.sampled_from(skills), max_size=2))
        return [first] + more

    call_types = {}
    for c in range(draw(st.integers(1, 2))):
        ct: dict = {}
        if draw(st.booleans()):
            ct["arrival_rate"] = draw(st.sampled_from([0.05, 0.1] if unit else [0.005, 0.01, 0.02, 0.05, 0.1]))
        else:
            ct["volume"] = [float(draw(st.integers(0, 40))) for _ in range(n_int + draw(st.integers(0, 2)))]
        if draw(st.booleans()):
            ct["needs"] = needs_list()
        else:
            k = draw(st.integers(1, 3))
            ps = [1.0 / k] * k
            ct["needs"] = [{"p": p, "needs": needs_list()} for p in ps]
        if draw(st.integers(0, 4)):
            ct["patience"] = _dist(draw, 10, 200, unit=unit)
            if draw(st.integers(0, 3)) == 0:   # laws by period: one per interval of arrival
                ct["patience"] = [_dist(draw, 10, 200, unit=unit) for _ in range(n_int)]
        if draw(st.integers(0, 3)) == 0:
            ct["same_patience"] = True
        if draw(st.integers(0, 3)) == 0:
            ct["balk_prob"] = draw(st.sampled_from([0.2, 0.6]))
        if S > 1 and draw(st.booleans()):
            ct["misroute_prob"] = draw(st.sampled_from([0.1, 0.3, 0.6]))
        ct["resolution_prob"] = draw(st.sampled_from([0.3, 0.7, 1.0]))
        if draw(st.booleans()):
            ct["callback_prob"] = draw(st.sampled_from([0.3, 0.9, 1.0]))
            ct["callback_delay"] = _dist(draw, 10, 600, unit=unit)
        if draw(st.booleans()):
            ct["redial_prob"] = draw(st.sampled_from([0.3, 0.9, 1.0]))
            ct["redial_delay"] = _dist(draw, 5, 300, unit=unit)
        ct["max_attempts"] = draw(st.integers(1, 4))
        call_types[f"c{c}"] = ct
    demand = {"skills": skills, "work": work, "call_types": call_types}
    if draw(st.integers(0, 3)) == 0:
        demand["busyness_cv"] = 0.2
    if draw(st.integers(0, 3)) == 0:
        demand["surges"] = [{"start": 0.0, "end": horizon / 2, "multiplier": 2.0}]

    # design: one transfer queue per skill served by a group having that skill, maybe a front queue
    queues = {f"q{i}": {} for i in range(S)}
    front = draw(st.booleans())
    if front:
        queues["front"] = {}
    for q in queues:
        if draw(st.booleans()):
            queues[q] = {"priority_transfers": True}

    def staffing():
        if not lattice and draw(st.booleans()):
            return draw(st.integers(1, 8))
        prof = [draw(st.integers(0, 8)) for _ in range(n_int)]
        if max(prof) == 0:
            prof[draw(st.integers(0, n_int - 1))] = draw(st.integers(1, 4))
        return prof

    groups = {}
    for i, s in enumerate(skills):
        others = draw(st.lists(st.sampled_from(skills), max_size=S, unique=True))
        sk = {s: 1.0}
        for o in others:
            sk[o] = draw(st.sampled_from([0.5, 1.0, 2.0] if unit else [0.5, 0.8, 1.0, 1.25, 2.0]))
        if draw(st.booleans()) and all(v == 1.0 for v in sk.values()):
            sk = list(sk)
        extra = [f"q{skills.index(o)}" for o in others if o != s]
        extra = draw(st.permutations(extra))[: draw(st.integers(0, len(extra)))]
        qs = [f"q{i}"] + list(extra)
        if front and draw(st.booleans()):
            qs.insert(draw(st.integers(0, len(qs))), "front")
        groups[f"g{i}"] = {"skills": sk, "queues": qs, "staffing": staffing(), "cost_per_hour": 30.0}
    if front:
        if draw(st.booleans()):
            tri_sk = draw(st.lists(st.sampled_from(skills), min_size=1, max_size=S, unique=True))
            groups["triage"] = {"skills": tri_sk, "queues": ["front"], "staffing": staffing()}
        elif not any("front" in g["queues"] for g in groups.values()):
            groups["g0"]["queues"].append("front")
    routes = {}
    for i, s in enumerate(skills):
        entry = draw(st.sampled_from(list(queues)))
        r: dict = {"queue": entry, "transfer_queue": f"q{i}"}
        mode = draw(st.sampled_from([None, "cold", "warm", "warm", "consult", "conference"]))
        if mode:
            r["mode"] = mode
        if mode == "cold" and draw(st.integers(0, 3)) == 0:   # a transfer that may not wait
            r["wait"] = False
        routes[s] = r if (entry != f"q{i}" or mode or draw(st.booleans())) else entry
    phase = [0.0, unit, 2 * unit] if unit else None
    design = {
        "name": "gen", "queues": queues, "groups": groups, "routes": routes,
        "transfer_mode": draw(st.sampled_from(["cold", "warm"])),
        "transfer_time": draw(st.sampled_from(phase or [0.0, 10.0, 30.0])),
        "reexplain_time": draw(st.sampled_from(phase or [0.0, 15.0, 45.0])),
        "handoff_time": draw(st.sampled_from(phase or [0.0, 20.0, 30.0])),
        "resolution_factor": draw(st.sampled_from([0.8, 1.0, 1.3])),
        "cold_transfer_resolution_factor": draw(st.sampled_from([0.7, 1.0])),
        "ivr": {"levels": draw(st.integers(0, 2)),
                "seconds_per_level": draw(st.sampled_from(phase or [0.0, 5.0, 10.0]))},
    }
    if draw(st.booleans()):
        design["survey"] = {"take_rate": draw(st.sampled_from([0.5, 1.0])),
                            "seconds": float(draw(st.sampled_from([0, 30])))}
    if draw(st.integers(0, 2)) == 0:
        design["deflections"] = [{"start": 0.0, "end": horizon / 2, "share": draw(st.sampled_from([0.2, 0.5]))}]
    if draw(st.integers(0, 2)) == 0:   # few lines: busy signals, lines freed at the same instants as arrivals
        design["trunk_lines"] = draw(st.integers(1, 12))
    if draw(st.integers(0, 3)) == 0:   # a call type's own number, with its own lines
        design["call_type_lines"] = {"c0": draw(st.integers(1, 6))}
    if draw(st.integers(0, 2)) == 0:   # callers of a queue whose last agent leaves are disconnected
        design["when_unstaffed"] = "disconnect"
    if draw(st.integers(0, 2)) == 0:   # callers waiting at the horizon are disconnected
        design["at_closing"] = "disconnect"
    if len(call_types) > 1 and draw(st.booleans()):   # call-type priorities in every queue
        design["call_type_priority"] = {"c1": 1}
    demand_thr = {"c0": 10.0} if draw(st.integers(0, 3)) == 0 else {}   # a call type's own SL threshold
    design["agent_selection"] = draw(st.sampled_from(["preference", "preference", "longest_idle", "random"]))
    for g in groups.values():           # a freed agent's choice among its queues
        if len(g["queues"]) > 1 and draw(st.booleans()):
            g["queue_choice"] = "longest_waiting"
    if draw(st.booleans()):             # rosters: shifts on the interval grid, breaks on the lattice, absent agents
        step = unit or float(draw(st.sampled_from([20, 45])))
        types = {}
        for k in range(draw(st.integers(1, 3))):
            i0 = draw(st.integers(0, n_int - 1))
            length = interval * draw(st.integers(1, n_int - i0))
            breaks = []
            for _ in range(draw(st.integers(0, 2))):
                e = step * draw(st.integers(0, 8))
                b = {"earliest": e, "latest": e + step * draw(st.integers(0, 4)), "duration": step * draw(st.integers(1, 5))}
                if b["latest"] + b["duration"] <= length:
                    breaks.append(b)
            types[f"sh{k}"] = {"start": interval * i0, "length": length, "breaks": breaks}
        design_shifts = types
        for g in groups.values():
            if draw(st.booleans()):
                g.pop("staffing")
                g["roster"] = {n: draw(st.integers(0, 6)) for n in draw(st.permutations(list(types)))[: draw(st.integers(1, len(types)))]}
                if draw(st.booleans()):
                    g["absenteeism"] = draw(st.sampled_from([0.2, 0.5]))
    else:
        design_shifts = {}
    for g in groups.values():           # post-service routing: after a group's service, maybe one more need
        if draw(st.integers(0, 3)) == 0:
            g["after_service"] = [{"p": draw(st.sampled_from([0.3, 0.6])), "skill": draw(st.sampled_from(skills))}]
    for g in groups.values():           # overflow: a group takes callers of a queue once they waited this long
        if len(g["queues"]) > 1 and draw(st.integers(0, 2)) == 0:
            g["overflow_after"] = {g["queues"][-1]: float(draw(st.sampled_from(phase or [0.0, 15.0, 40.0])))}
    for qn in queues:                   # a queue's own preference order of the groups taking it
        takers = [gn for gn, g in groups.items() if qn in g["queues"]]
        if len(takers) > 1 and draw(st.booleans()):
            queues[qn]["groups"] = list(draw(st.permutations(takers)))[: draw(st.integers(1, len(takers)))]
    for q in queues.values():           # a maximum wait, on the lattice when there is one
        if draw(st.integers(0, 3)) == 0:
            q["max_wait"] = float(draw(st.sampled_from(phase or [0.0, 20.0, 60.0])))
            if draw(st.booleans()):
                q["message_time"] = float(draw(st.sampled_from(phase or [0.0, 30.0])))
    for q in queues.values():           # virtual hold: a callback offered by position, expected wait or both
        if draw(st.integers(0, 2)) == 0:
            rule = draw(st.sampled_from(["position", "wait", "both"]))
            cb: dict = {"dial_time": float(draw(st.sampled_from(phase or [0.0, 10.0, 20.0]))),
                        "retries": draw(st.integers(0, 2)),
                        "retry_delay": float(draw(st.sampled_from(phase or [0.0, 30.0, 90.0])))}
            if rule != "wait":
                cb["position"] = draw(st.integers(0, 4))
            if rule != "position":
                cb["wait"] = float(draw(st.sampled_from(phase or [0.0, 30.0, 120.0])))
                cb["handle_time"] = float(draw(st.sampled_from([unit or 30.0, 2 * unit or 60.0, 150.0])))
            q["callback"] = cb
    if any("callback" in q for q in queues.values()):
        for ct in call_types.values():
            ct["callback_accept"] = draw(st.sampled_from([0.0, 0.5, 1.0, 1.0]))
            ct["callback_answer"] = draw(st.sampled_from([0.4, 0.8, 1.0]))
    if design_shifts:
        design["shift_types"] = design_shifts
    first = draw(st.sampled_from(skills))
    entry = routes[first] if isinstance(routes[first], str) else routes[first]["queue"]
    takers = [gn for gn, g in groups.items() if entry in g["queues"]]
    if takers and draw(st.integers(0, 2)) == 0:   # a blended outbound dialer, dialling when agents free up
        out: dict = {"outbound": True, "needs": [first] + draw(st.lists(st.sampled_from(skills), max_size=1)),
                     "max_attempts": 1}
        reach = draw(st.sampled_from(["one", "half", "by interval"]))
        out["reach"] = {"one": 1.0, "half": 0.5}.get(reach) or [draw(st.sampled_from([0.2, 0.9])) for _ in range(n_int)]
        if draw(st.booleans()):
            out["patience"] = _dist(draw, 0, 60, allow_zero=True, unit=unit)
        demand["call_types"]["out"] = out
        dl: dict = {"call_type": "out", "groups": draw(st.lists(st.sampled_from(takers), min_size=1, unique=True)),
                    "min_free": draw(st.integers(0, 3)), "min_free_target": draw(st.integers(1, 2)),
                    "per_free_agent": draw(st.sampled_from([0.5, 1.0, 2.0])), "extra": draw(st.integers(-1, 1)),
                    "start": float(draw(st.sampled_from([0.0, interval / 2])))}
        if draw(st.booleans()):
            dl["free_groups"] = draw(st.lists(st.sampled_from(list(groups)), min_size=1, unique=True))
        if draw(st.booleans()):
            dl["end"] = dl["start"] + horizon / 2
        design["dialer"] = dl
    return {
        "name": "generated", "horizon": horizon, "interval": interval,
        "warmup": float(draw(st.sampled_from([0, 0, interval / 2]))), "sl_threshold": 20.0, "sl_thresholds": demand_thr,
        "max_drain": float(draw(st.sampled_from([0, 300, 1800, 14400]))),
        "demand": demand, "design": design,
    }


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(data=centers(), seed=st.integers(0, 2**31 - 1))
def test_generated_centers_identical(data, seed):
    try:
        sc = ccsim.scenario_from_dict(data)
    except ScenarioError:
        assume(False)
    a, b = both(sc, seed)
    assert_same_output(a, b)
    assert_same_kpis(sc, seed)


def assert_same_tallies(want, got) -> None:
    """Every tally of the KPI tables: counts identical, sums of times equal up to summation order."""
    for name in ("window", "by_type", "by_interval", "by_queue", "by_group", "wait_hist", "flow_in", "flow_out", "flow_end",
                 "busy", "staffed", "busy_window", "staffed_window"):
        x, y = getattr(want, name), getattr(got, name)
        assert x.shape == y.shape, f"{name}: {x.shape} vs {y.shape}"
        np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-6, err_msg=name)


def assert_same_kpis(sc: ccsim.Scenario, seed: int) -> None:
    """The records-free kernel (recycled slots, tallies accumulated in the loop) gives the tallies that
    ccsim.metrics makes from the SimPy engine's records, and so every KPI table."""
    comp = compile_scenario(sc)
    assert_same_tallies(tallies(run_simpy(comp, seed, 0), comp), run_numba_tallies(comp, seed, 0))


# The Erlang C/A validation runs on every engine in tests/test_theory.py (parametrised over ENGINES).


# ---------------------------------------------------------------------------- the fast path
def one_queue_center(talk, patience, staff: int, **extra) -> dict:
    """One queue and one group of constant staff, two call types needing two skills the group serves."""
    d = {
        "name": "one_queue", "horizon": 4 * 3600.0, "interval": 900.0, "warmup": 600.0, "max_drain": 1800.0,
        "demand": {
            "skills": ["a", "b"],
            "work": {"a": {"talk": talk, "acw": 10}, "b": {"talk": talk, "acw": 0}},
            "call_types": {"x": {"arrival_rate": 0.05, "needs": ["a"], "patience": patience, "resolution_prob": 0.7},
                           "y": {"volume": [20, 60, 10, 40] * 4, "needs": ["b"], "patience": patience}},
        },
        "design": {
            "queues": {"q": {}}, "routes": {"a": "q", "b": "q"}, "ivr": {"levels": 1, "seconds_per_level": 15},
            "groups": {"g": {"skills": {"a": 1.0, "b": 1.5}, "queues": ["q"], "staffing": staff}},
            "survey": {"take_rate": 0.3, "seconds": 60},
        },
    }
    for path, value in extra.items():
        put(d, path, value)
    return d


def put(d: dict, path: str, value) -> None:
    """Set the field at a dotted path of a scenario dict."""
    node = d
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value


FAST_CASES = [
    ("erlang_a", ccsim.erlang_a(arrival_rate=10 / 60, mean_handle_time=300, agents=55, mean_patience=120,
                                horizon=8 * 3600.0, warmup=3600.0)),
    ("erlang_c", ccsim.erlang_a(arrival_rate=10 / 60, mean_handle_time=300, agents=52, mean_patience=None,
                                horizon=8 * 3600.0, warmup=0.0)),
    ("overloaded, stops with callers inside", ccsim.erlang_a(arrival_rate=0.2, mean_handle_time=300, agents=40,
                                                              mean_patience=600, horizon=4 * 3600.0
                                                              ).override({"max_drain": 0.0})),
    ("two call types, survey, busyness", ccsim.scenario_from_dict(one_queue_center(
        {"dist": "lognormal", "mean": 200, "cv": 1.2}, {"dist": "weibull", "shape": 0.7, "scale": 150}, 9,
        **{"demand.busyness_cv": 0.3}))),
    ("empirical laws", ccsim.scenario_from_dict(one_queue_center(
        {"dist": "empirical", "values": [60, 120, 180]}, {"dist": "empirical", "values": [15, 30, 45, 60]}, 6))),
    ("balking", ccsim.scenario_from_dict(one_queue_center(
        {"dist": "exponential", "mean": 160}, {"dist": "exponential", "mean": 90}, 8,
        **{"demand.call_types.x.balk_prob": 0.3, "demand.call_types.y.balk_prob": 0.1}))),
    ("deflections, never hangs up", ccsim.scenario_from_dict(one_queue_center(
        {"dist": "gamma", "mean": 150, "cv": 0.5}, None, 7,
        **{"design.deflections": [{"start": 3600, "end": 7200, "share": 0.4}]}))),
]


@pytest.mark.parametrize("name, sc", FAST_CASES, ids=[c[0] for c in FAST_CASES])
def test_fast_path_gives_the_general_loops_tallies(name, sc):
    """Where the fast loop applies, it gives the general loop's tallies (and so every KPI table) on the
    same seeds: by construction it draws the same variates by the same keys and computes the same times.
    (A patience ending exactly when an agent frees cannot be provoked here: first arrivals are continuous
    and nobody redials, so no two callers' times fall on a common lattice; the fast loop's tie rule follows
    the general loop's order of simultaneous events by construction.)"""
    from ccsim.engines.numba_engine import fast_path_applies

    comp = compile_scenario(sc)
    assert fast_path_applies(comp), name
    for rep in (0, 1):
        general = run_numba_tallies(comp, 3, rep, fast=False)
        assert general.window[0] > 100
        assert_same_tallies(general, run_numba_tallies(comp, 3, rep, fast=True))


@pytest.mark.parametrize("change", [
    {"design.groups.g.staffing": [5, 6] * 8},                                   # staffing changes
    {"demand.call_types.x.needs": ["a", "b"]},                                  # a second need
    {"demand.call_types.x.redial_prob": 0.5},                                   # redials
    {"design.groups.g.skills": {"a": 1.0}},                                     # a need the group lacks
])
def test_fast_path_does_not_apply_beyond_its_case(change):
    from ccsim.engines.numba_engine import fast_path_applies

    d = one_queue_center(100, {"dist": "exponential", "mean": 60}, 5)
    base = compile_scenario(ccsim.scenario_from_dict(d))
    assert fast_path_applies(base)
    for path, value in change.items():
        put(d, path, value)
    try:
        comp = compile_scenario(ccsim.scenario_from_dict(d))
    except ScenarioError:  # a need nobody serves is refused by validation: nothing to run
        return
    assert not fast_path_applies(comp)
