"""Cross-field rules of a scenario (unknown skills or queues, routing loops, zero staff for a skill with
demand, the size of a run) and the arrival-rate profile they need; each problem is one ScenarioError.

Below :mod:`ccsim.config` (which calls :func:`check_scenario` when it validates), so the scenario type is
imported for annotations only.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .errors import ScenarioError
from .shifts import MAX_SHIFT_ROWS, check_shift_types, shift_cover
from .limits import (DAY, MAX_AGENTS, MAX_FIRST_CONTACTS, MAX_INTERVALS, MAX_STAFFING_CELLS,
                     MAX_TOTAL_AGENTS)

if TYPE_CHECKING:
    from .config import Scenario

# --------------------------------------------------------------------------- laws by period
def law_at(law, i: int):
    """The law of interval ``i`` (a single law holds in every interval; a list's last holds after it)."""
    return law[min(i, len(law) - 1)] if isinstance(law, list) else law


def law_means(law, n: int) -> np.ndarray:
    """The mean of the law in each of ``n`` intervals."""
    return np.array([law_at(law, i).mean_value for i in range(n)])


# --------------------------------------------------------------------------- the arrival-rate profile
# (here, below ccsim.demand, because validation bounds the expected number of arrivals)
def segment_edges(sc: Scenario) -> np.ndarray:
    """The cuts of [0, horizon] into constant-rate segments: interval and day boundaries and surge ends."""
    h, n_days = sc.horizon, int(np.ceil(sc.horizon / DAY))
    cuts = [np.array([0.0, h]), np.arange(1, sc.n_intervals) * sc.interval, np.arange(1, n_days) * DAY,
            np.array([t for s in sc.demand.surges for t in (s.start, s.end) if 0 < t < h], dtype=float)]
    edges = np.unique(np.concatenate(cuts))
    return edges[edges <= h]


def rate_segments(sc: Scenario, ct_index: int, busyness: np.ndarray,
                  edges: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Piecewise-constant arrival rate of one call type over [0, horizon): (starts, ends, rates per second).

    ``edges``: :func:`segment_edges` of ``sc``, when the caller has them already (they are the same for every
    call type)."""
    ct_name, ct = list(sc.demand.call_types.items())[ct_index]
    if edges is None:
        edges = segment_edges(sc)
    a, b = edges[:-1], edges[1:]
    mid = (a + b) / 2
    if ct.outbound:  # dialled, never calling in
        rate = np.zeros(a.shape)
    elif ct.arrival_rate is not None:
        rate = np.full(a.shape, ct.arrival_rate)
    else:
        idx = np.minimum((mid // sc.interval).astype(int), sc.n_intervals - 1)
        rate = np.asarray(ct.volume, dtype=float)[idx] / sc.interval
    rate = rate * busyness[(mid // DAY).astype(int)]
    for s in sc.demand.surges:
        if s.call_types is None or ct_name in s.call_types:
            # mid is increasing: the segments whose middle is in [start, end) are one slice
            i0, i1 = np.searchsorted(mid, [s.start, s.end], side="left")
            rate[i0:i1] = rate[i0:i1] * s.multiplier
    return a, b, rate


def expected_arrivals(sc: Scenario) -> float:
    """Expected first contacts over the horizon (busyness at its mean of 1)."""
    ones = np.ones(int(np.ceil(sc.horizon / DAY)) + 1)
    edges = segment_edges(sc)
    return float(sum(((b - a) * r).sum() for a, b, r in
                     (rate_segments(sc, i, ones, edges) for i in range(len(sc.demand.call_types)))))


# --------------------------------------------------------------------------- cross-field rules
def skills_with_demand(sc: Scenario) -> set[str]:
    """Skills some caller with positive volume may need."""
    out: set[str] = set()
    for ct in sc.demand.call_types.values():
        if ct.has_volume():
            for p, needs in ct.needs_table():
                if p > 0:
                    out.update(needs)
    return out


def _some(names) -> str:
    """A list of names for a message: at most 8 of them, then how many in all."""
    names = list(names)
    if len(names) <= 8:
        return str(names)
    return str(names[:8])[:-1] + f", ... ({len(names)} in all)]"


def check_size(sc: Scenario) -> None:
    """The run fits the limits: staffing cells, agents and first contacts (the number of
    intervals is checked first, in check_scenario). Checked before anything loops over callers."""
    g = sc.design
    n_int = sc.n_intervals  # within MAX_INTERVALS: check_scenario checks it first
    if len(g.groups) * n_int > MAX_STAFFING_CELLS:
        raise ScenarioError("design.groups", f"{len(g.groups)} groups x {n_int:,} intervals is more than "
                            f"{MAX_STAFFING_CELLS:,} staffing cells", "use fewer groups or longer intervals")
    total = 0
    for gn, gr in g.groups.items():
        peak = max(gr.staffing_profile(n_int, g.staffing_scale))
        if peak > MAX_AGENTS:
            raise ScenarioError("design.staffing_scale", f"{g.staffing_scale:g} x the staffing of group {gn!r} makes "
                                f"{peak:,} agents, more than {MAX_AGENTS:,} per group and interval", "lower it")
        total += peak
    if total > MAX_TOTAL_AGENTS:
        raise ScenarioError("design.groups", f"{total:,} agents at the groups' peaks, more than {MAX_TOTAL_AGENTS:,}",
                            "lower the staffing or design.staffing_scale")
    n = expected_arrivals(sc)
    if not n <= MAX_FIRST_CONTACTS:  # also catches a sum that overflowed to inf
        raise ScenarioError("demand.call_types", f"{n:.3g} expected first contacts per replication, more than "
                            f"{MAX_FIRST_CONTACTS:.0e}", "lower arrival_rate, volume or surge multipliers, or shorten the horizon")


def check_rosters(sc: Scenario) -> None:
    """Rosters name known shift types on interval boundaries; each rostered group learns what it covers."""
    g = sc.design
    check_shift_types(g.shift_types, sc.interval, max(1, math.ceil(sc.n_intervals * sc.interval / DAY - 1e-9)))
    for gn, gr in g.groups.items():
        if gr.roster is None:
            continue
        for sn in gr.roster:
            if sn not in g.shift_types:
                raise ScenarioError(f"design.groups.{gn}.roster", f"unknown shift type {sn!r}",
                                    f"use one of {_some(g.shift_types)}" if g.shift_types else
                                    f"define it in design.shift_types.{sn} = {{start, length, breaks}}")
        gr._cover = [(n, shift_cover(g.shift_types[sn], sc.interval, sc.n_intervals)) for sn, n in gr.roster.items()]
    rows = sum(len(ranges) * (1 + len(g.shift_types[sn].breaks))
               for gr in g.groups.values() for sn, (_, ranges) in zip(gr.roster or {}, gr._cover or []))
    if rows > MAX_SHIFT_ROWS:
        raise ScenarioError("design.groups", f"the rosters make {rows:,} shifts and breaks over the run, more than "
                            f"{MAX_SHIFT_ROWS:,}", "use fewer shift types or breaks per group, or a shorter horizon")


def check_dialer(sc: Scenario) -> None:
    """The dialer calls an outbound call type for groups that take its queue; outbound types have a dialer."""
    d, g = sc.demand, sc.design
    dl = g.dialer
    if dl is not None and dl.call_type not in d.call_types:
        raise ScenarioError("design.dialer.call_type", f"unknown call type {dl.call_type!r}", f"use one of {_some(d.call_types)}")
    outbound = [n for n, ct in d.call_types.items() if ct.outbound]
    for n in outbound:
        reach = d.call_types[n].reach
        if isinstance(reach, list) and len(reach) < sc.n_intervals:
            raise ScenarioError(f"demand.call_types.{n}.reach", f"{len(reach)} values for {sc.n_intervals} intervals",
                                "give one probability per interval, or a single number")
        if dl is None or dl.call_type != n:
            raise ScenarioError(f"demand.call_types.{n}.outbound", "no dialer calls this outbound call type",
                                f"add design.dialer = {{call_type = \"{n}\", groups = [...]}}")
    if dl is None:
        return
    ct = d.call_types[dl.call_type]
    if not ct.outbound:
        raise ScenarioError("design.dialer.call_type", f"{dl.call_type!r} is not an outbound call type",
                            f"set demand.call_types.{dl.call_type}.outbound = true")
    for fld, names in (("groups", dl.groups), ("free_groups", dl.free_groups or [])):
        for gn in names:
            if gn not in g.groups:
                raise ScenarioError(f"design.dialer.{fld}", f"unknown group {gn!r}", f"use one of {_some(g.groups)}")
    first = {need[0] for _, need in ct.needs_table()}
    for s in first:
        q = g.routes[s].queue if s in g.routes else None
        for gn in dl.groups:
            if q is not None and q not in g.groups[gn].queues:
                raise ScenarioError("design.dialer.groups", f"group {gn!r} does not take queue {q!r}, where reached "
                                    f"{dl.call_type!r} customers wait", f"add {q!r} to design.groups.{gn}.queues")
    if dl.end is not None and dl.end <= dl.start:
        raise ScenarioError("design.dialer.end", f"{dl.end:g} s is not after start ({dl.start:g} s)", "dial for a while")


def check_scenario(sc: Scenario) -> None:
    """Cross-field rules pydantic cannot see field by field; raises ScenarioError."""
    d, g = sc.demand, sc.design
    if sc.warmup >= sc.horizon:
        raise ScenarioError("warmup", f"{sc.warmup:g} s is not before the horizon ({sc.horizon:g} s)", "shorten the warm-up")
    n_int = sc.n_intervals
    if n_int > MAX_INTERVALS:  # first: the per-interval checks below would name a lesser symptom
        raise ScenarioError("interval", f"{n_int:,} intervals of {sc.interval:g} s in the {sc.horizon:g}-s horizon, "
                            f"more than {MAX_INTERVALS:,}", "use longer intervals or a shorter horizon")
    check_rosters(sc)
    skills = list(d.skills)
    if len(set(skills)) != len(skills):
        raise ScenarioError("demand.skills", "a skill is listed twice", "list each skill once")
    known = set(skills)
    for s in known - set(d.work):
        raise ScenarioError(f"demand.work.{s}", "missing work content for this skill", f"add [demand.work.{s}] with talk = ...")
    for s in set(d.work) - known:
        raise ScenarioError(f"demand.work.{s}", f"unknown skill {s!r}", f"add it to demand.skills or remove it ({_some(sorted(known))})")
    def laws_cover(field: str, law) -> None:
        if isinstance(law, list) and len(law) < n_int:
            raise ScenarioError(field, f"{len(law)} laws for {n_int} intervals",
                                f"give one law per {sc.interval:g}-s interval of arrival, or a single law")
    for s, w in d.work.items():
        laws_cover(f"demand.work.{s}.talk", w.talk)
        laws_cover(f"demand.work.{s}.acw", w.acw)
    for name, ct in d.call_types.items():
        f = f"demand.call_types.{name}"
        laws_cover(f"{f}.patience", ct.patience)
        for i, (_, needs) in enumerate(ct.needs_table()):
            for s in needs:
                if s not in known:
                    raise ScenarioError(f"{f}.needs", f"unknown skill {s!r}", f"use one of {_some(sorted(known))} or add it to demand.skills")
        if ct.volume is not None and len(ct.volume) < n_int:
            raise ScenarioError(f"{f}.volume", f"{len(ct.volume)} values for {n_int} intervals",
                                f"give one expected call count per {sc.interval:g}-s interval of the {sc.horizon:g}-s horizon")
        if ct.misroute_prob > 0 and len(skills) < 2:
            raise ScenarioError(f"{f}.misroute_prob", "a misroute needs at least two menu options", "set it to 0")
    for i, s in enumerate(d.surges):
        for ctn in s.call_types or []:
            if ctn not in d.call_types:
                raise ScenarioError(f"demand.surges[{i}].call_types", f"unknown call type {ctn!r}", f"use one of {_some(d.call_types)}")
    # design
    for qn in g.queues:
        if not any(qn in gr.queues for gr in g.groups.values()):
            raise ScenarioError(f"design.queues.{qn}", "no agent group takes calls from this queue",
                                "add it to some group's queues or remove it")
    for ctn in g.call_type_lines:
        if ctn not in d.call_types:
            raise ScenarioError(f"design.call_type_lines.{ctn}", f"unknown call type {ctn!r}", f"use one of {_some(d.call_types)}")
    for ctn in sc.sl_thresholds:
        if ctn not in d.call_types:
            raise ScenarioError(f"sl_thresholds.{ctn}", f"unknown call type {ctn!r}", f"use one of {_some(d.call_types)}")
    for ctn in g.call_type_priority:
        if ctn not in d.call_types:
            raise ScenarioError(f"design.call_type_priority.{ctn}", f"unknown call type {ctn!r}",
                                f"use one of {_some(d.call_types)}")
    for qn, q in g.queues.items():
        for gn in q.groups or []:
            if gn not in g.groups:
                raise ScenarioError(f"design.queues.{qn}.groups", f"unknown group {gn!r}", f"use one of {_some(g.groups)}")
            if qn not in g.groups[gn].queues:
                raise ScenarioError(f"design.queues.{qn}.groups", f"group {gn!r} does not take calls from this queue",
                                    f"add {qn!r} to design.groups.{gn}.queues or remove {gn!r} here")
        if q.groups and len(set(q.groups)) != len(q.groups):
            raise ScenarioError(f"design.queues.{qn}.groups", "a group is listed twice", "list each group once")
    for gn, gr in g.groups.items():
        if len(set(gr.queues)) != len(gr.queues):
            raise ScenarioError(f"design.groups.{gn}.queues", "a queue is listed twice", "list each queue once")
        for i, row in enumerate(gr.after_service):
            if row.skill not in known:
                raise ScenarioError(f"design.groups.{gn}.after_service[{i}].skill", f"unknown skill {row.skill!r}",
                                    f"use one of {_some(sorted(known))}")
        if sum(r.p for r in gr.after_service) > 1 + 1e-9:
            raise ScenarioError(f"design.groups.{gn}.after_service", "probabilities sum to more than 1",
                                "make the rows' p sum to at most 1 (the rest: the caller leaves)")
        for qn in gr.overflow_after:
            if qn not in gr.queues:
                raise ScenarioError(f"design.groups.{gn}.overflow_after", f"queue {qn!r} is not in this group's queues",
                                    f"add {qn!r} to design.groups.{gn}.queues or remove it here")
        for qn in gr.queues:
            if qn not in g.queues:
                raise ScenarioError(f"design.groups.{gn}.queues", f"unknown queue {qn!r}", f"use one of {_some(g.queues)}")
        for s in gr.speed():
            if s not in known:
                raise ScenarioError(f"design.groups.{gn}.skills", f"unknown skill {s!r}", f"use one of {_some(sorted(known))}")
        if isinstance(gr.staffing, list) and len(gr.staffing) < n_int:
            raise ScenarioError(f"design.groups.{gn}.staffing", f"{len(gr.staffing)} values for {n_int} intervals",
                                f"give one agent count per {sc.interval:g}-s interval, or a single number")
    for s in g.routes:
        if s not in known:
            raise ScenarioError(f"design.routes.{s}", f"unknown skill {s!r}", f"route only the skills in demand.skills {_some(sorted(known))}")
    for s in skills:
        if s not in g.routes:
            raise ScenarioError(f"design.routes.{s}", "missing route for this menu option", f"add design.routes.{s} = \"QUEUE\"")
        r = g.routes[s]
        for fld, qn in (("queue", r.queue), ("transfer_queue", r.transfer_queue)):
            if qn is not None and qn not in g.queues:
                raise ScenarioError(f"design.routes.{s}.{fld}", f"unknown queue {qn!r}", f"use one of {_some(g.queues)}")
    check_dialer(sc)
    check_size(sc)
    # a caller transferred for skill s must land with agents who can serve s, or it would loop forever
    demanded = skills_with_demand(sc)
    serving = {qn: [gn for gn, gr in g.groups.items() if qn in gr.queues] for qn in g.queues}
    staffed = {gn: max(gr.staffing_profile(n_int, g.staffing_scale)) > 0 for gn, gr in g.groups.items()}
    for s in skills:
        entry, tq, mode = g.route(s)
        if not g.routes[s].wait and mode != "cold":
            raise ScenarioError(f"design.routes.{s}.wait", f"wait = false applies to cold transfers, this route is {mode}",
                                "set mode = \"cold\" or remove wait")
        bad = [gn for gn in serving[tq] if s not in g.groups[gn].speed()]
        if bad:
            raise ScenarioError(f"design.routes.{s}", f"routing loop: callers transferred for {s!r} go to queue {tq!r}, "
                                f"where group(s) {_some(bad)} cannot serve {s!r} and would transfer them again",
                                f"set transfer_queue to a queue taken only by groups with skill {s!r}")
        if s in demanded:
            if not any(staffed[gn] for gn in serving[tq]):
                raise ScenarioError(f"design.groups.{serving[tq][0]}.staffing", f"zero staff for skill {s!r}, which callers need: no agent in "
                                    f"{_some(serving[tq])} is ever staffed", f"staff a group with skill {s!r}")
            if not any(staffed[gn] for gn in serving[entry]):
                raise ScenarioError(f"design.routes.{s}.queue", f"queue {entry!r} never has staff", "staff a group that takes it")
    # warm handoffs hold the first agent: a cycle of warm handoffs between groups could deadlock
    edges: dict[str, set[str]] = {gn: set() for gn in g.groups}
    for gn, gr in g.groups.items():
        for s in skills:
            _, tq, mode = g.route(s)
            if mode == "warm" and s not in gr.speed():
                edges[gn].update(serving[tq])
    cycle = _find_cycle(edges)
    if cycle:
        raise ScenarioError("design.routes", "routing loop: warm handoffs between groups " + " -> ".join(cycle)
                            + " can hold every agent waiting for another", "make one of these routes mode = \"cold\"")
    for i, df in enumerate(g.deflections):
        if df.end <= df.start:
            raise ScenarioError(f"design.deflections[{i}]", f"end ({df.end:g}) must be after start ({df.start:g})")


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        color[u] = 1
        stack.append(u)
        for v in sorted(edges[u]):
            if color.get(v) == 1:
                return stack[stack.index(v):] + [v]
            if color.get(v) is None:
                c = visit(v)
                if c:
                    return c
        stack.pop()
        color[u] = 2
        return None

    for u in edges:
        if color.get(u) is None:
            c = visit(u)
            if c:
                return c
    return None


# --------------------------------------------------------------------------- offered load (a sanity check)
#: a scenario whose expected offered load peaks above this many times its peak agents is most likely mistyped
OVERLOAD_FACTOR = 3.0


def offered_load(sc: Scenario) -> np.ndarray:
    """Expected offered load in erlangs, per call type (rows) and interval (columns).

    Expected first contacts arriving in the interval (busyness at its mean of 1, surges included) times their
    mean work content (talk and after-call work of every need, at speed 1), divided by the interval's length.
    Misroutes, transfers and repeat contacts add work, deflections remove some: it is the plain load an Erlang
    calculator would see, for a sanity check, not a forecast."""
    n = sc.n_intervals
    ones = np.ones(int(np.ceil(sc.horizon / DAY)) + 1)
    edges = segment_edges(sc)
    starts = np.arange(n) * sc.interval
    lengths = np.minimum(sc.interval, sc.horizon - starts)
    work = {s: law_means(w.talk, n) + law_means(w.acw, n) for s, w in sc.demand.work.items()}
    out = np.zeros((len(sc.demand.call_types), n))
    for i, ct in enumerate(sc.demand.call_types.values()):
        a, b, rate = rate_segments(sc, i, ones, edges)
        idx = np.minimum((a // sc.interval).astype(int), n - 1)
        arrivals = np.bincount(idx, weights=(b - a) * rate, minlength=n)
        per_call = sum(p * sum(work[s] for s in needs) for p, needs in ct.needs_table())
        out[i] = arrivals * per_call / lengths
    return out


def overload_warning(sc: Scenario, factor: float = OVERLOAD_FACTOR) -> str | None:
    """One line when the expected offered load (:func:`offered_load`, all call types) peaks above ``factor`` times
    the most agents staffed in any interval, naming the likely cause (a rate per hour typed as per second, a
    volume per day or per hour typed as per interval); None for a plausible scenario.

    Not an error: a storm or a deliberately overloaded center is a legitimate question, and a queue with
    impatient callers stays finite."""
    load = offered_load(sc)
    if not load.size:
        return None
    total = load.sum(axis=0)
    n = sc.n_intervals
    agents = np.sum([g.staffing_profile(n, sc.design.staffing_scale) for g in sc.design.groups.values()], axis=0)
    peak, most = float(total.max()), int(np.max(agents))
    if not peak > factor * max(most, 1):
        return None
    t = int(np.argmax(total))
    name, ct = list(sc.demand.call_types.items())[int(np.argmax(load[:, t]))]
    where = f"demand.call_types.{name}"
    if ct.arrival_rate is not None:
        cause = (f"is {where}.arrival_rate per second? ({ct.arrival_rate:,.6g} calls per second is "
                 f"{ct.arrival_rate * 3600:,.0f} an hour)")
    else:
        cause = f"is {where}.volume the expected calls per {sc.interval:g}-s interval (not per hour or per day)?"
    return (f"the expected offered load peaks at {peak:,.0f} erlangs (expected calls x mean talk and after-call "
            f"work), {peak / max(most, 1):,.0f} times the {most:,} agents staffed at the peak: {cause}")


# --------------------------------------------------------------------------- loading
