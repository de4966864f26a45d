"""Rosters: how many agents work each shift type, at least cost, so that the agents present in every
interval cover the staffing planner's requirement; then validated and repaired in simulation.

A shift starts and ends on interval boundaries and lies within the day's intervals (``[0, n_intervals x
interval)``: a one-day scenario has no next day to run into), so an agent on a shift is present for the
whole of each interval it covers and for none of the others: coverage is a whole number of agents per
interval, and a shift's agent-hours are its length. Agents are paid for their whole shift. The integer
program (scipy's ``milp``, HiGHS) is solved to proven optimality (zero gap).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from .config import Scenario
from .engines import DEFAULT_ENGINE
from .errors import OptionError
from .staffing import Plan, Target, _Evaluator, with_staffing

HOUR = 3600.0


@dataclass(frozen=True)
class ShiftType:
    """A shift agents can work: its start (seconds from the day's start), its length (seconds) and its pay
    (``cost_per_hour``; None: the group's rate)."""

    name: str
    start: float
    length: float
    cost_per_hour: float | None = None

    @property
    def end(self) -> float:
        return self.start + self.length

    def hours(self) -> float:
        return self.length / HOUR


def _clock(t: float, end: bool = False) -> str:
    """A clock time ("d2 " on later days); with ``end``, a time on midnight is "24:00" of the day it ends."""
    d, t = divmod(round(t), 86400)
    if end and d and not t:
        d, t = d - 1, 86400
    return (f"d{d + 1} " if d else "") + f"{t // 3600:02d}:{t % 3600 // 60:02d}"


def shift_types(horizon: float, interval: float, lengths: Sequence[float] = (8 * HOUR, 6 * HOUR, 4 * HOUR),
                step: float | None = None, cost_per_hour: float | None = None) -> list[ShiftType]:
    """The usual family of shift types: each length starting at every ``step`` (default: every interval)
    such that the shift ends by the end of the last interval (shifts are never cut at the horizon)."""
    step = interval if step is None else step
    end = math.ceil(horizon / interval - 1e-9) * interval
    for what, v in (("step", step), *((f"length {x:g}", x) for x in lengths)):
        if v <= 0 or abs(v / interval - round(v / interval)) > 1e-9:
            raise OptionError("shift_types", f"{what} s is not a positive multiple of the interval ({interval:g} s)",
                              "use whole intervals, e.g. 4 h, 6 h and 8 h shifts starting every 30 min")
    out = []
    for length in lengths:
        start = 0.0
        while start + length <= end + 1e-9:
            out.append(ShiftType(f"{_clock(start)}+{length / HOUR:g}h", start, float(length), cost_per_hour))
            start += step
    return out


@dataclass
class Roster:
    """Agents on each shift type, the cost, and the coverage (agents present) and surplus per interval."""

    shift_types: tuple[ShiftType, ...]
    counts: np.ndarray          # agents on each shift type
    requirement: np.ndarray     # agents needed per interval
    coverage: np.ndarray        # agents present per interval: the sum of the shifts covering it
    interval: float
    cost_per_hour: float        # the group's rate, for shift types without their own
    cost: float

    @property
    def surplus(self) -> np.ndarray:
        """Agents present beyond the requirement, per interval (never negative)."""
        return self.coverage - self.requirement

    def agent_hours(self) -> float:
        """Paid agent-hours: every agent for the whole of their shift (equal to the coverage's hours)."""
        return float(sum(c * s.hours() for c, s in zip(self.counts, self.shift_types)))

    def frame(self) -> pd.DataFrame:
        """One row per shift type worked: start, end, hours, agents, agent-hours and cost."""
        rows = [{"shift": s.name, "start": _clock(s.start), "end": _clock(s.end, True), "hours": s.hours(), "agents": int(c),
                 "agent_hours": c * s.hours(), "cost": c * s.hours() * _rate(s, self.cost_per_hour)}
                for s, c in zip(self.shift_types, self.counts) if c > 0]
        return pd.DataFrame(rows, columns=["shift", "start", "end", "hours", "agents", "agent_hours", "cost"])

    def intervals(self) -> pd.DataFrame:
        """One row per interval: its start, the requirement, the coverage and the surplus."""
        return pd.DataFrame({"start": [_clock(i * self.interval) for i in range(len(self.coverage))],
                             "requirement": self.requirement, "coverage": self.coverage, "surplus": self.surplus})


def _rate(s: ShiftType, group_rate: float) -> float:
    return group_rate if s.cost_per_hour is None else s.cost_per_hour


def coverage_matrix(shifts: Sequence[ShiftType], n_intervals: int, interval: float) -> np.ndarray:
    """(intervals x shift types) 0/1: shift k covers interval i when it is present for all of it. Rejects a
    shift not on interval boundaries or outside the intervals, naming it."""
    a = np.zeros((n_intervals, len(shifts)), dtype=np.int64)
    for k, s in enumerate(shifts):
        i0, i1 = s.start / interval, s.end / interval
        if (s.length <= 0 or s.start < 0 or abs(i0 - round(i0)) > 1e-9 or abs(i1 - round(i1)) > 1e-9
                or round(i1) > n_intervals):
            raise OptionError(f"shift {s.name!r}", f"start {s.start:g} s, length {s.length:g} s is not whole "
                              f"intervals of {interval:g} s within the {n_intervals} intervals",
                              "start and end every shift on an interval boundary, inside the day")
        a[round(i0):round(i1), k] = 1
    return a


def solve_roster(requirement: np.ndarray, shifts: Sequence[ShiftType], interval: float,
                 cost_per_hour: float = 0.0) -> Roster:
    """The agents on each shift type at least cost such that the agents present cover the requirement in
    every interval (an integer program, solved exactly by HiGHS). When every rate is zero, the fewest paid
    agent-hours instead. A fractional requirement is rounded up to whole agents."""
    req = np.asarray(requirement, dtype=float)
    if req.ndim != 1 or not np.isfinite(req).all() or (req < 0).any():
        raise OptionError("requirement", "must be one finite, non-negative number of agents per interval")
    req = np.ceil(req - 1e-9).astype(np.int64)
    shifts = tuple(shifts)
    n = len(req)
    a = coverage_matrix(shifts, n, interval)
    bare = np.flatnonzero((req > 0) & (a.sum(axis=1) == 0))
    if bare.size:
        i = int(bare[0])
        raise OptionError("shift_types", f"no shift covers interval {i} ({_clock(i * interval)}-"
                          f"{_clock((i + 1) * interval, True)}), which needs {req[i]} agent{'s' * int(req[i] != 1)}"
                          + (f" ({bare.size - 1} more such intervals)" if bare.size > 1 else ""),
                          f"add a shift type present from {_clock(i * interval)} to {_clock((i + 1) * interval, True)}")
    rates = np.array([_rate(s, cost_per_hour) for s in shifts])
    hours = np.array([s.hours() for s in shifts])
    c = hours * rates if (rates > 0).any() else hours
    # no optimal roster puts more agents on a shift than the largest requirement it covers
    upper = np.array([req[a[:, k] == 1].max(initial=0) for k in range(len(shifts))], dtype=float)
    if len(shifts) == 0:
        counts = np.zeros(0, dtype=np.int64)
    else:
        res = milp(c, constraints=LinearConstraint(a, lb=req, ub=np.inf), integrality=np.ones(len(shifts)),
                   bounds=Bounds(0, upper), options={"mip_rel_gap": 0.0})
        if res.status != 0 or res.x is None:
            raise OptionError("shift_types", f"the roster's integer program stopped: {res.message}",
                              "fewer shift types, or check the requirement")
        counts = np.round(res.x).astype(np.int64)
    coverage = a @ counts
    assert (coverage >= req).all(), "rounded roster does not cover the requirement"
    return Roster(shifts, counts, req, coverage, float(interval), float(cost_per_hour),
                  float((counts * hours * rates).sum()))


# --------------------------------------------------------------------------- a whole scenario
def _per_group(sc: Scenario, shifts: Sequence[ShiftType] | Mapping[str, Sequence[ShiftType]], g: str):
    if isinstance(shifts, Mapping):
        if g not in shifts:
            raise OptionError("shift_types", f"no shift types for group {g!r}", f"give shift types for {', '.join(sc.design.groups)}")
        return shifts[g]
    return shifts


def roster_for_plan(sc: Scenario, plan: Plan,
                    shifts: Sequence[ShiftType] | Mapping[str, Sequence[ShiftType]]) -> dict[str, Roster]:
    """One roster per group covering the plan's agents on the phones (shrinkage is not applied), each at its
    group's cost per hour. ``shifts``: the same shift types for every group, or a list per group name."""
    if plan.agents.shape != (len(sc.design.groups), sc.n_intervals):
        raise OptionError("plan", f"has shape {plan.agents.shape}, the scenario needs "
                          f"({len(sc.design.groups)}, {sc.n_intervals}) (groups x intervals)")
    return {g: solve_roster(plan.agents[i], _per_group(sc, shifts, g), sc.interval, sc.design.groups[g].cost_per_hour)
            for i, g in enumerate(sc.design.groups)}


def roster_plan(sc: Scenario, rosters: Mapping[str, Roster], name: str = "roster") -> Plan:
    """The agents present per group and interval under the rosters, as a Plan (groups without a roster keep
    their scenario staffing)."""
    n = sc.n_intervals
    unknown = set(rosters) - set(sc.design.groups)
    if unknown:
        raise OptionError("rosters", f"unknown group {min(unknown)!r}", f"use one of {', '.join(sc.design.groups)}")
    rows = []
    for g, grp in sc.design.groups.items():
        if g in rosters:
            if len(rosters[g].coverage) != n:
                raise OptionError("rosters", f"{g}'s roster covers {len(rosters[g].coverage)} intervals, the scenario has {n}")
            rows.append(rosters[g].coverage)
        else:
            rows.append(grp.staffing_profile(n, sc.design.staffing_scale))
    return Plan(name, np.array(rows, dtype=np.int64), tuple(sc.design.groups), sc.interval)


def with_roster(sc: Scenario, rosters: Mapping[str, Roster]) -> Scenario:
    """The scenario whose groups' per-interval staffing is the rosters' coverage."""
    return with_staffing(sc, roster_plan(sc, rosters).agents)


def standard_breaks(length: float) -> list[dict]:
    """The usual breaks of a shift: a paid 15-min break in each half of a shift of 4 h or more, and from 6 h an
    unpaid 30-min lunch around its middle; each may start within a window of an hour."""
    h = HOUR
    if length < 4 * h:
        return []
    out = [{"earliest": 1.5 * h, "latest": 2.5 * h, "duration": 900.0}]
    if length >= 6 * h:
        out.append({"earliest": length / 2 - h, "latest": length / 2, "duration": 1800.0, "paid": False})
        out.append({"earliest": length - 2.5 * h, "latest": length - 1.5 * h, "duration": 900.0})
    return out


def roster_scenario(sc: Scenario, rosters: Mapping[str, Roster], breaks=standard_breaks,
                    absenteeism: float = 0.0) -> Scenario:
    """The scenario staffed by the rosters themselves: their shift types (with ``breaks(length)`` each) become
    design.shift_types, each group works its roster, each agent absent with probability ``absenteeism``."""
    types: dict[str, dict] = {}
    changes: dict = {}
    for g, r in rosters.items():
        if g not in sc.design.groups:
            raise OptionError("rosters", f"unknown group {g!r}", f"use one of {', '.join(sc.design.groups)}")
        worked = {}
        for s, n in zip(r.shift_types, r.counts):
            if n > 0:
                name = s.name.replace(":", ".")
                types[name] = {"start": s.start, "length": s.length, "breaks": breaks(s.length),
                               **({"cost_per_hour": s.cost_per_hour} if s.cost_per_hour is not None else {})}
                worked[name] = int(n)
        changes.update({f"design.groups.{g}.staffing": None, f"design.groups.{g}.roster": worked,
                        f"design.groups.{g}.absenteeism": absenteeism})
    changes["design.shift_types"] = types
    changes["design.staffing_scale"] = 1.0
    return sc.override(changes)


def roster_pay(sc: Scenario) -> float:
    """A day's pay for the rostered groups of a scenario: each shift's agents x its paid hours (unpaid breaks off) x
    its rate (the shift type's, else the group's)."""
    pay = 0.0
    for grp in sc.design.groups.values():
        for name, n in (grp.roster or {}).items():
            st = sc.design.shift_types[name]
            pay += n * st.paid_hours() * (grp.cost_per_hour if st.cost_per_hour is None else st.cost_per_hour)
    return pay


def roster_cost(rosters: Mapping[str, Roster]) -> float:
    """A day's pay for the rosters: paid agent-hours x rate, summed over groups."""
    return float(sum(r.cost for r in rosters.values()))


def repair_roster(sc: Scenario, rosters: Mapping[str, Roster], targets: list[Target], *, reps: int = 10,
                  seed: int = 1, engine: str = DEFAULT_ENGINE, min_offered: float = 10.0,
                  max_rounds: int = 20, breaks=None, absenteeism: float = 0.0) -> tuple[dict[str, Roster], int]:
    """Simulate the rostered scenario and, while some busy interval misses a target with confidence (the
    planner's test: the pessimistic end of the 95% CI), require one agent more than present in that interval
    for its busiest group (highest occupancy there) and re-solve that group's roster. Returns the rosters
    meeting every target and the number of re-solving rounds (0: the rosters met them as given). With ``breaks``
    (a shift length -> break windows function, e.g. :func:`standard_breaks`) or ``absenteeism``, the rosters are
    simulated as worked (:func:`roster_scenario`): breaks taken in their windows, absent agents missing."""
    if not rosters or not targets:
        raise OptionError("repair_roster", "needs at least one roster and one target")
    if reps < 5:
        raise OptionError("--reps", f"{reps} replications cannot give a useful confidence interval", "use at least 5")
    ev = _Evaluator(sc, targets, reps, seed, engine, min_offered)
    rosters = dict(rosters)
    groups = list(sc.design.groups)
    for rounds in range(max_rounds + 1):
        if breaks is None and not absenteeism:
            slack, occ = ev.stats(roster_plan(sc, rosters).agents, True)
        else:
            slack, occ = ev.measure(roster_scenario(sc, rosters, breaks or (lambda _: []), absenteeism), True)
        failing = np.flatnonzero(slack < 0)
        if not failing.size:
            return rosters, rounds
        if rounds == max_rounds:
            break
        need = {g: r.requirement.copy() for g, r in rosters.items()}
        for j in failing:
            g = max((g for g in rosters), key=lambda g: occ[groups.index(g), j])
            need[g][j] = max(need[g][j], rosters[g].coverage[j] + 1)
        for g, req in need.items():
            if (req != rosters[g].requirement).any():
                r = rosters[g]
                rosters[g] = solve_roster(req, r.shift_types, r.interval, r.cost_per_hour)
    raise OptionError("--target", f"rosters still miss {', '.join(map(str, targets))} in {len(failing)} intervals "
                      f"(first {_clock(int(failing[0]) * sc.interval)}) after {max_rounds} rounds",
                      "raise max_rounds, relax the targets or add shift types")
