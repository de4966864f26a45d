"""The staffing planner: the fewest agents per group (and per interval) that meet service targets.

Erlang C and Erlang A give a first answer for each group from its offered load; the simulated plan then
searches with the engine, interval by interval in time order, so that queues carried over from one
interval into the next are respected: earlier intervals are fixed when a later one is planned. A target
counts as met when the pessimistic bound of its confidence interval over replications meets it.
Replications use common random numbers, so every candidate staffing faces the same callers.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import erlang
from .config import Scenario, law_means
from .demand import rate_segments
from .engines import DEFAULT_ENGINE
from .errors import OptionError
from .kpis import t_half_width
from .simulate import simulate

_TARGET = re.compile(r"^\s*([a-z_]+)\s*(>=|<=)\s*([0-9.eE+-]+)\s*$")
TARGET_KPIS = ("service_level", "abandon_rate", "asa")


@dataclass(frozen=True)
class Target:
    """A service target such as ``service_level>=0.8`` or ``abandon_rate<=0.05``."""

    kpi: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> "Target":
        m = _TARGET.match(text)
        if not m:
            raise OptionError("--target", f"cannot read {text!r}", 'write KPI>=VALUE or KPI<=VALUE, e.g. "service_level>=0.8"')
        kpi, op, value = m.group(1), m.group(2), float(m.group(3))
        if kpi not in TARGET_KPIS:
            raise OptionError("--target", f"unknown KPI {kpi!r}", f"use one of {', '.join(TARGET_KPIS)}")
        if (kpi == "service_level" and op != ">=") or (kpi != "service_level" and op != "<="):
            raise OptionError("--target", f"{text!r} asks for the wrong direction",
                                "service_level>=..., abandon_rate<=..., asa<=...")
        if kpi != "asa" and not 0 < value < 1:
            raise OptionError("--target", f"{kpi} target must be between 0 and 1 (got {value:g})")
        return cls(kpi, op, value)

    def met(self, mean: float, half: float) -> bool:
        """Met when the pessimistic end of the confidence interval meets the target."""
        if math.isnan(mean):
            return True  # nothing offered: nothing to miss
        bound = mean - half if self.op == ">=" else mean + half
        return bound >= self.value - 1e-12 if self.op == ">=" else bound <= self.value + 1e-12

    def slack(self, mean: float, half: float) -> float:
        """How far the pessimistic bound is on the right side of the target (negative: missed)."""
        if math.isnan(mean):
            return 0.0
        scale = 1.0 if self.kpi != "asa" else max(self.value, 1.0)
        return ((mean - half - self.value) if self.op == ">=" else (self.value - mean - half)) / scale

    def __str__(self) -> str:
        return f"{self.kpi}{self.op}{self.value:g}"


# --------------------------------------------------------------------------- Erlang plans
def group_loads(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Offered calls per second and mean handle time per group and interval, as a planner estimates them.

    Each need's calls are given to the groups taking the queue its skill is routed to (split in proportion
    to their scheduled staffing); misroutes and repeat contacts are ignored, as in a forecast spreadsheet.
    """
    d, g = sc.demand, sc.design
    n = sc.n_intervals
    names = list(g.groups)
    rate = np.zeros((len(names), n))
    work = np.zeros((len(names), n))
    ones = np.ones(int(math.ceil(sc.horizon / 86400.0)) + 1)
    for ci, ct in enumerate(d.call_types.values()):
        a, b, r = rate_segments(sc, ci, ones)
        per_int = np.zeros(n)
        np.add.at(per_int, np.minimum((a // sc.interval).astype(int), n - 1), r * (b - a))
        per_int /= np.minimum(sc.interval, sc.horizon - np.arange(n) * sc.interval)
        for p, needs in ct.needs_table():
            for skill in needs:
                entry, tq, _ = g.route(skill)
                takers = [i for i, gn in enumerate(names) if tq in g.groups[gn].queues and skill in g.groups[gn].speed()]
                staff = np.array([g.groups[names[i]].staffing_profile(n) for i in takers], dtype=float) + 1e-9
                share = staff / staff.sum(axis=0)
                for j, i in enumerate(takers):
                    lam = p * per_int * share[j]
                    rate[i] += lam
                    w = d.work[skill]
                    work[i] += lam * (law_means(w.talk, n) / g.groups[names[i]].speed()[skill] + law_means(w.acw, n))
    aht = np.divide(work, rate, out=np.zeros_like(work), where=rate > 0)
    return rate, aht


def mean_patience(sc: Scenario) -> float | None:
    """Volume-weighted mean patience over call types (None if nobody abandons)."""
    num = den = 0.0
    n = sc.n_intervals
    for ct in sc.demand.call_types.values():
        vol = (np.full(n, (ct.arrival_rate or 0) * sc.interval) if ct.volume is None
               else np.asarray(ct.volume[:n], dtype=float))
        if ct.patience is not None:
            num += float((vol * law_means(ct.patience, n)).sum())
            den += float(vol.sum())
    return num / den if den > 0 else None


def erlang_plan(sc: Scenario, targets: list[Target], model: str = "A", by_interval: bool = True) -> np.ndarray:
    """Agents (groups x intervals) from Erlang A (with the mean patience) or Erlang C, group by group."""
    rate, aht = group_loads(sc)
    patience = mean_patience(sc) if model == "A" else None
    kw = {t.kpi: t.value for t in targets}
    if not by_interval:
        tot = rate.mean(axis=1, keepdims=True)
        aht = np.divide((rate * aht).mean(axis=1, keepdims=True), tot, out=np.zeros_like(tot), where=tot > 0)
        rate = tot
    plan = np.zeros(rate.shape, dtype=np.int64)
    for g in range(rate.shape[0]):
        for i in range(rate.shape[1]):
            if rate[g, i] <= 0:
                continue
            plan[g, i] = erlang.required_agents(float(rate[g, i]), float(aht[g, i]), patience, sc.sl_threshold, **kw)
    if not by_interval:
        plan = np.repeat(plan, sc.n_intervals, axis=1)
    return np.maximum(plan, _floor(sc))


def _floor(sc: Scenario) -> np.ndarray:
    """At least one agent whenever a group is needed at all, so no skill is ever unstaffed."""
    return np.ones((len(sc.design.groups), 1), dtype=np.int64)


def with_staffing(sc: Scenario, plan: np.ndarray) -> Scenario:
    """The scenario with every group's staffing replaced by the plan (one value per interval; a rostered group's
    roster, with its breaks and absenteeism, gives way to it)."""
    changes: dict = {f"design.groups.{g}.staffing": [int(x) for x in plan[i]] for i, g in enumerate(sc.design.groups)}
    for g, grp in sc.design.groups.items():
        if grp.roster is not None:
            changes.update({f"design.groups.{g}.roster": None, f"design.groups.{g}.absenteeism": 0.0})
    changes["design.staffing_scale"] = 1.0
    return sc.override(changes)


# --------------------------------------------------------------------------- simulated plan
@dataclass
class Plan:
    """A staffing plan (agents on the phones, groups x intervals) and what it achieves."""

    name: str
    agents: np.ndarray
    groups: tuple[str, ...]
    interval: float
    shrinkage: float = 0.0
    evaluations: int = 0

    def scheduled(self) -> np.ndarray:
        """Agents to schedule once shrinkage (breaks, training, absence) takes its share."""
        return np.ceil(self.agents / (1.0 - self.shrinkage) - 1e-9).astype(np.int64)

    def agent_hours(self) -> float:
        return float(self.agents.sum() * self.interval / 3600.0)

    def frame(self, scheduled: bool = False) -> pd.DataFrame:
        """One row per interval (its start as a clock time), one column per group: agents on the phones, and
        with ``scheduled`` also the agents to schedule after shrinkage (``<group> scheduled``)."""
        df = pd.DataFrame(self.agents.T, columns=list(self.groups))
        if scheduled:
            for g, row in zip(self.groups, self.scheduled()):
                df[f"{g} scheduled"] = row
        n = self.agents.shape[1]
        days = n * self.interval > 86400  # a multi-day plan says which day

        def clock(t: float) -> str:
            d, t = divmod(int(t), 86400)
            return (f"d{d + 1} " if days else "") + f"{t // 3600:02d}:{t % 3600 // 60:02d}"

        df.insert(0, "start", [clock(i * self.interval) for i in range(n)])
        return df


@dataclass
class _Evaluator:
    """Simulates candidate plans on the same callers (common random numbers) and measures the targets."""

    sc: Scenario
    targets: list[Target]
    reps: int
    seed: int
    engine: str
    min_offered: float
    count: int = 0
    progress: Callable[[str, int], None] | None = None   # called with ("searching", simulations so far)
    _seen: dict = field(default_factory=dict, repr=False)

    def stats(self, plan: np.ndarray, by_interval: bool) -> tuple[np.ndarray, np.ndarray]:
        """(worst target slack, occupancy per group) per interval, or for the whole run (one column).

        A plan measured before is not simulated again: the same plan on the same callers gives the same answer.
        """
        key = (plan.tobytes(), plan.shape, by_interval)
        if key not in self._seen:
            self._seen[key] = self._simulate(plan, by_interval)
        return self._seen[key]

    def _simulate(self, plan: np.ndarray, by_interval: bool) -> tuple[np.ndarray, np.ndarray]:
        return self.measure(with_staffing(self.sc, plan), by_interval)

    def measure(self, sc: Scenario, by_interval: bool) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`stats`, for a whole scenario of the same center (e.g. staffed by a roster with breaks)."""
        self.count += 1
        if self.progress:
            self.progress("searching", self.count)
        res = simulate(sc, engine=self.engine, reps=self.reps, seed=self.seed, keep_calls=False)
        groups = list(self.sc.design.groups)
        if not by_interval:
            s = res.summary()
            slack = min(t.slack(float(s.loc[t.kpi, "mean"]), float(s.loc[t.kpi, "mean"] - s.loc[t.kpi, "ci_low"]))
                        for t in self.targets)
            occ = res.groups.groupby("group", sort=False)["occupancy"].mean().reindex(groups).to_numpy()
            return np.array([slack]), occ[:, None]
        iv = res.intervals
        n = self.sc.n_intervals
        slack = np.full(n, np.inf)
        offered = iv.groupby("interval")["offered"].mean().reindex(range(n)).to_numpy()
        for t in self.targets:
            m = iv.pivot(index="rep", columns="interval", values=t.kpi).reindex(columns=range(n)).to_numpy(dtype=float)
            k = np.sum(~np.isnan(m), axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.nanmean(np.where(k > 0, m, 0.0), axis=0) if m.size else np.zeros(n)
                sd = np.nanstd(m, axis=0, ddof=1) if m.shape[0] > 1 else np.zeros(n)
            half = np.where(k > 1, t_half_width(sd, k, 0.95), np.inf)
            sl = np.array([t.slack(mu, h) for mu, h in zip(mean, half)])
            slack = np.minimum(slack, np.where(np.isnan(sl), 0.0, sl))
        slack = np.where(offered < self.min_offered, 0.0, slack)
        occ = np.array([iv.groupby("interval")[f"occupancy[{g}]"].mean().reindex(range(n)).to_numpy() for g in groups])
        return slack, np.nan_to_num(occ, nan=0.0)


def simulated_plan(sc: Scenario, targets: list[Target], *, by_interval: bool = True, reps: int = 10,
                   seed: int = 1, engine: str = DEFAULT_ENGINE, start: np.ndarray | None = None,
                   min_offered: float = 10.0, max_iterations: int = 300,
                   progress: Callable[[str, int], None] | None = None) -> Plan:
    """The fewest agents meeting every target in simulation, from ``start`` (default: the Erlang A plan).

    Each iteration simulates the whole day (so queues carried from one interval into the next count) and
    adjusts every interval at once. Until every interval meets its targets, a missing interval gets one
    more agent in every group. From then on the search only trims: from the last plan meeting every target,
    one agent fewer for the least busy group not yet locked in every interval with room to spare. A miss
    is blamed on one of those removals, its own interval's, else the nearest earlier one (the queue it
    leaves behind), else the nearest later one (the callers of the missing interval still waiting when it
    starts); the blamed removals are undone and locked for that group for good. It stops when every
    interval meets its targets and nothing more can be removed. Intervals offering fewer than
    ``min_offered`` calls on average (too few to measure a target) keep their starting staffing. Without
    ``by_interval`` one number per group holds all day.

    Once a plan meets every target the search terminates: every later miss costs a removal for good (a
    lock, never released), and when all the removals of a round are undone the plan is that last plan again
    (same callers, same measure: met); so each round of trims ends with fewer agents or more locks, and
    there are finitely many of both. ``max_iterations`` bounds only the adding before that first plan (targets out
of reach); the trimming after it is bounded by that argument, however long it takes.
    """
    if not targets:
        raise OptionError("--target", "no target given", 'add e.g. --target "service_level>=0.8"')
    if reps < 5:
        raise OptionError("--reps", f"{reps} replications cannot give a useful confidence interval",
                            "use at least 5 (20 for a day with busy-day variation)")
    ev = _Evaluator(sc, targets, reps, seed, engine, min_offered)
    ev.progress = progress
    plan = (start if start is not None else erlang_plan(sc, targets, "A", by_interval)).astype(np.int64).copy()
    G, n = plan.shape
    cols = (lambda j: [j]) if by_interval else (lambda j: list(range(n)))
    width = n if by_interval else 1
    locked = np.zeros((G, width), dtype=bool)
    trial: dict[int, int] = {}  # interval -> group lowered since the last plan meeting every target
    adding = 0
    while True:
        slack, occ = ev.stats(plan, by_interval)
        failing = [j for j in range(width) if slack[j] < 0]
        if failing and trial:  # the removals broke these intervals: undo the ones to blame, for good
            for k in {_culprit(j, trial) for j in failing}:
                g = trial.pop(k)
                locked[g, k] = True
                plan[g, cols(k)] += 1
            continue  # re-measure before trimming anything
        if failing:  # not met yet (nothing removed since): one more agent in every group
            adding += 1
            if adding > max_iterations:
                raise OptionError("--target", f"no staffing plan meeting {', '.join(map(str, targets))} found in "
                                  f"{max_iterations} simulated iterations", "relax the targets or check the scenario")
            for j in failing:
                plan[:, cols(j)] += 1
            continue
        trial.clear()
        for j in range(width):
            if slack[j] > 0:
                free = [g for g in range(G) if not locked[g, j] and plan[g, cols(j)[0]] > 1]
                if free:
                    g = min(free, key=lambda g: occ[g, j])
                    plan[g, cols(j)] -= 1
                    trial[j] = g
        if not trial:
            return Plan("simulated", plan, tuple(sc.design.groups), sc.interval, evaluations=ev.count)


def _culprit(j: int, trial: dict[int, int]) -> int:
    """The removal to blame for a miss in interval ``j``: its own, else the nearest earlier, else the nearest later."""
    if j in trial:
        return j
    earlier = [k for k in trial if k < j]
    return max(earlier) if earlier else min(trial)


# --------------------------------------------------------------------------- comparing plans
def validate_plan(sc: Scenario, plan: Plan, targets: list[Target], reps: int = 10, seed: int = 10_001,
                  engine: str = DEFAULT_ENGINE, min_offered: float = 10.0) -> dict:
    """Simulate a plan with fresh seeds: run-level KPIs, cost, and the intervals that meet every target.

    Two counts of busy intervals: those whose mean over the validation replications meets every target,
    and those without a significant miss (the whole confidence interval on the wrong side, at a
    family-wise 5% over all busy intervals and targets, Bonferroni).
    """
    out = {"plan": plan.name, "agent_hours": plan.agent_hours()}
    out.update(validate_scenario(with_staffing(sc, plan.agents), targets, reps, seed, engine, min_offered))
    return out


def validate_scenario(sc: Scenario, targets: list[Target], reps: int = 10, seed: int = 10_001,
                      engine: str = DEFAULT_ENGINE, min_offered: float = 10.0) -> dict:
    """validate_plan's figures for a scenario as it is staffed (per interval, or by rosters with breaks)."""
    res = simulate(sc, engine=engine, reps=reps, seed=seed, keep_calls=False)
    s = res.summary()
    iv = res.intervals
    n = sc.n_intervals
    offered = iv.groupby("interval")["offered"].mean().reindex(range(n)).to_numpy()
    busy = offered >= min_offered
    alpha = 0.05 / max(1, int(busy.sum()) * len(targets))
    ok = np.ones(n, dtype=bool)       # no significant miss
    ok_mean = np.ones(n, dtype=bool)  # the mean itself meets the target
    for t in targets:
        m = iv.pivot(index="rep", columns="interval", values=t.kpi).reindex(columns=range(n)).to_numpy(dtype=float)
        k = np.sum(~np.isnan(m), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nanmean(m, axis=0)
            half = t_half_width(np.nanstd(m, axis=0, ddof=1), k, 1 - alpha)
        optimistic = mean + half if t.op == ">=" else mean - half
        miss = (optimistic < t.value) if t.op == ">=" else (optimistic > t.value)
        ok &= ~np.where(np.isnan(mean), False, miss)
        mean_miss = (mean < t.value - 1e-12) if t.op == ">=" else (mean > t.value + 1e-12)
        ok_mean &= ~np.where(np.isnan(mean), False, mean_miss)
    out = {"cost": float(s.loc["cost", "mean"]), "busy_intervals": int(busy.sum()), "intervals_met_on_average": int((ok_mean & busy).sum()),
           "intervals_without_significant_miss": int((ok & busy).sum())}
    for k in ("service_level", "abandon_rate", "asa", "occupancy", "transfers_per_call"):
        out[k] = float(s.loc[k, "mean"])
    sl = iv.groupby("interval")["service_level"].mean().reindex(range(n)).to_numpy()
    ab = iv.groupby("interval")["abandon_rate"].mean().reindex(range(n)).to_numpy()
    out["worst_interval_service_level"] = float(np.nanmin(sl[busy])) if busy.any() else float("nan")
    out["worst_interval_abandon_rate"] = float(np.nanmax(ab[busy])) if busy.any() else float("nan")
    return out


def compare_plans(sc: Scenario, targets: list[Target], *, by_interval: bool = True, reps: int = 20, seed: int = 1,
                  engine: str = DEFAULT_ENGINE, shrinkage: float = 0.0,
                  validation_reps: int = 40, progress: Callable[[str, int], None] | None = None
                  ) -> tuple[list[Plan], pd.DataFrame]:
    """Erlang C, Erlang A and simulated plans, each validated in simulation with fresh seeds.

    ``progress(stage, n)`` reports the simulations of the search (stage "searching") and the plans validated
    (stage "validating", 1 to 3)."""
    if not 0 <= shrinkage < 1:
        raise OptionError("--shrinkage", f"must be in [0, 1) (got {shrinkage:g})", "e.g. 0.3 for 30%")
    c = Plan("erlang_c", erlang_plan(sc, targets, "C", by_interval), tuple(sc.design.groups), sc.interval, shrinkage)
    a = Plan("erlang_a", erlang_plan(sc, targets, "A", by_interval), tuple(sc.design.groups), sc.interval, shrinkage)
    s = simulated_plan(sc, targets, by_interval=by_interval, reps=reps, seed=seed, engine=engine, start=a.agents,
                       progress=progress)
    s.shrinkage = shrinkage
    plans = [c, a, s]
    rows = []
    for i, p in enumerate(plans, start=1):
        rows.append(validate_plan(sc, p, targets, reps=validation_reps, seed=seed + 10_000, engine=engine))
        if progress:
            progress("validating", i)
    table = pd.DataFrame(rows)
    table["scheduled_agent_hours"] = [float(p.scheduled().sum() * p.interval / 3600.0) for p in plans]
    return plans, table.set_index("plan")


def plan_toml(sc: Scenario, plan: Plan) -> str:
    """The scenario with the plan's staffing, as TOML that ``ccsim run`` accepts (demand inlined)."""
    import tomli_w

    data = with_staffing(sc, plan.agents).model_dump(mode="json", exclude_none=True)
    head = (f"# {sc.name} staffed by the ccsim {plan.name} plan: agents on the phones per interval.\n"
            f"# With {plan.shrinkage:.0%} shrinkage, schedule {plan.scheduled().sum() * plan.interval / 3600:,.0f} "
            f"agent-hours for {plan.agent_hours():,.0f} on the phones.\n")
    return head + tomli_w.dumps(data)
