"""KPIs from one replication's raw output, and summaries across replications.

The KPI window is contacts *arriving* in [warmup, horizon); agent time (occupancy, cost) is measured
over the same window of time. Names are the public vocabulary (docs/model.md).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student t quantile (scipy.stats costs half a second to import)

from .engines.compiled import Compiled
from .engines.output import ABANDONED, ANSWERED, IN_SYSTEM, RunOutput

#: KPI names, in display order
KPIS = ("offered", "answered", "abandoned", "in_system", "abandon_rate", "service_level", "asa", "mean_wait",
        "p_wait", "occupancy", "transfers_per_call", "handoffs_per_call", "reexplanations_per_call", "fcr",
        "mean_time_in_system", "aht", "cost", "callers", "repeat_contacts", "abandoned_after_answer")


#: how each KPI reads to people (the command line and the experiment scripts share this)
PERCENT_KPIS = frozenset({"abandon_rate", "service_level", "p_wait", "occupancy", "fcr"})
SECONDS_KPIS = frozenset({"asa", "mean_wait", "mean_time_in_system", "aht"})
COUNT_KPIS = frozenset({"offered", "answered", "abandoned", "in_system", "callers", "repeat_contacts",
                        "abandoned_after_answer", "cost"})


def format_kpi(kpi: str, v: float, diff: bool = False) -> str:
    """A KPI value for people: percentages, seconds, whole counts; ``diff`` signs it (shares in points)."""
    v = float(v)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    sign = "+" if diff else ""
    if kpi in PERCENT_KPIS:
        return f"{100 * v:+.1f} pts" if diff else f"{v:.1%}"
    if kpi in SECONDS_KPIS:
        return f"{v:{sign},.1f} s"
    if kpi in COUNT_KPIS:
        return f"{v:{sign},.0f}"
    return f"{v:{sign}.3f}"


def _ratio(num: float, den: float) -> float:
    return float(num) / den if den else float("nan")


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def contact_kpis(c: dict[str, np.ndarray], sl_threshold: float) -> dict[str, float]:
    """Caller-side KPIs over a set of contacts (already restricted to the window)."""
    offered = c["outcome"].shape[0]
    ans = c["outcome"] == ANSWERED
    aban = c["outcome"] == ABANDONED
    first_wait = c["answered_at"] - c["queue_arrival"]
    within = ans & (first_wait <= sl_threshold + 1e-9)
    ended = ~np.isnan(c["end"])
    first = c["attempt"] == 0
    handled = c["first_group"] >= 0
    return {
        "offered": float(offered),
        "answered": float(ans.sum()),
        "abandoned": float(aban.sum()),
        "in_system": float((c["outcome"] == IN_SYSTEM).sum()),
        "abandon_rate": _ratio(aban.sum(), offered),
        "service_level": _ratio(within.sum(), offered),
        "asa": _mean(first_wait[ans]),
        "mean_wait": _mean(c["wait"]),
        "p_wait": _ratio((c["wait"] > 0).sum(), offered),
        "transfers_per_call": _ratio(c["transfers"].sum(), offered),
        "handoffs_per_call": _ratio(c["handoffs"].sum(), offered),
        "reexplanations_per_call": _ratio(c["reexplanations"].sum(), offered),
        "fcr": _ratio((c["resolved"] & first).sum(), first.sum()),
        "mean_time_in_system": _mean((c["end"] - c["arrival"])[ended]),
        "aht": _ratio(c["agent_time"][handled].sum(), handled.sum()),
        "callers": float(first.sum()),
        "repeat_contacts": float((~first).sum()),
        "abandoned_after_answer": float((aban & handled).sum()),
    }


def window_mask(c: dict[str, np.ndarray], comp: Compiled) -> np.ndarray:
    return (c["arrival"] >= comp.warmup) & (c["arrival"] < comp.horizon)


def replication_kpis(out: RunOutput, comp: Compiled) -> dict[str, float]:
    """Every KPI of one replication."""
    m = window_mask(out.contacts, comp)
    k = contact_kpis({n: a[m] for n, a in out.contacts.items()}, comp.sl_threshold)
    k["occupancy"] = _ratio(out.busy_window.sum(), out.staffed_window.sum())
    k["cost"] = float((out.staffed_window / 3600.0 * comp.cost_per_hour).sum())
    return {name: k[name] for name in KPIS}


def _per_bin(idx: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(idx, weights=weights, minlength=n)[:n].astype(float)


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


Columns = dict[str, np.ndarray]  # a table as plain arrays: per replication, concatenated once at the end


def interval_kpis(out: RunOutput, comp: Compiled) -> Columns:
    """KPIs by arrival interval, with staffed agents and occupancy of every group in that interval."""
    c = out.contacts
    n = comp.n_intervals
    idx = np.minimum((c["arrival"] // comp.interval).astype(np.int64), n - 1)
    ans = c["outcome"] == ANSWERED
    first_wait = np.where(ans, c["answered_at"] - c["queue_arrival"], 0.0)
    offered = _per_bin(idx, n)
    answered = _per_bin(idx, n, ans.astype(float))
    abandoned = _per_bin(idx, n, (c["outcome"] == ABANDONED).astype(float))
    within = _per_bin(idx, n, (ans & (first_wait <= comp.sl_threshold + 1e-9)).astype(float))
    length = np.minimum(comp.interval, comp.horizon - np.arange(n) * comp.interval)
    cols = {
        "interval": np.arange(n), "start": np.arange(n) * comp.interval,
        "offered": offered, "answered": answered, "abandoned": abandoned,
        "abandon_rate": _div(abandoned, offered), "service_level": _div(within, offered),
        "asa": _div(_per_bin(idx, n, first_wait), answered), "mean_wait": _div(_per_bin(idx, n, c["wait"]), offered),
        "agents": out.staffed[:, :n].sum(axis=0) / length,
        "occupancy": _div(out.busy[:, :n].sum(axis=0), out.staffed[:, :n].sum(axis=0)),
    }
    for g, name in enumerate(comp.groups):
        cols[f"agents[{name}]"] = out.staffed[g, :n] / length
        cols[f"occupancy[{name}]"] = _div(out.busy[g, :n], out.staffed[g, :n])
    return cols


def _legs_in_window(out: RunOutput, comp: Compiled) -> np.ndarray:
    legs = out.legs
    if not legs["contact"].size:
        return np.zeros(0, dtype=bool)
    arrival = out.contacts["arrival"][legs["contact"]]
    return (arrival >= comp.warmup) & (arrival < comp.horizon)


def queue_kpis(out: RunOutput, comp: Compiled) -> Columns:
    """The ACD view by queue: every leg entering a queue is a call offered to it (transfers count again)."""
    legs, Q = out.legs, len(comp.queues)
    w = _legs_in_window(out, comp)
    q = legs["queue"][w]
    ans = legs["outcome"][w] == ANSWERED
    wait = legs["wait"][w]
    offered = _per_bin(q, Q)
    answered = _per_bin(q, Q, ans.astype(float))
    return {
        "queue": np.asarray(comp.queues, dtype=object), "offered": offered.astype(np.int64),
        "answered": answered.astype(np.int64),
        "abandoned": _per_bin(q, Q, (legs["outcome"][w] == ABANDONED).astype(float)).astype(np.int64),
        "transferred_in": _per_bin(q, Q, (legs["kind"][w] == 1).astype(float)).astype(np.int64),
        "handed_off_in": _per_bin(q, Q, (legs["kind"][w] == 2).astype(float)).astype(np.int64),
        "service_level": _div(_per_bin(q, Q, (ans & (wait <= comp.sl_threshold + 1e-9)).astype(float)), offered),
        "asa": _div(_per_bin(q, Q, np.where(ans, wait, 0.0)), answered),
        "mean_wait": _div(_per_bin(q, Q, wait), offered),
    }


def group_kpis(out: RunOutput, comp: Compiled) -> Columns:
    """By agent group: calls answered, average agents, occupancy and cost over the window."""
    G = len(comp.groups)
    w = _legs_in_window(out, comp)
    g = out.legs["group"][w]
    span = comp.horizon - comp.warmup
    return {
        "group": np.asarray(comp.groups, dtype=object), "answered": _per_bin(g[g >= 0], G).astype(np.int64),
        "agents": out.staffed_window / span, "occupancy": _div(out.busy_window, out.staffed_window),
        "cost": out.staffed_window / 3600.0 * comp.cost_per_hour,
    }


def summarize(kpis: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per KPI: mean over replications and a Student-t confidence interval."""
    rows = {}
    for name in kpis.columns:
        x = kpis[name].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        n = x.size
        mean = float(x.mean()) if n else float("nan")
        if n >= 2:
            half = float(stdtrit(n - 1, 0.5 + confidence / 2) * x.std(ddof=1) / np.sqrt(n))
        else:
            half = float("nan")
        rows[name] = {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "reps": n}
    return pd.DataFrame.from_dict(rows, orient="index")


def paired_difference(kpis_a: pd.DataFrame, kpis_b: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """B minus A per KPI, paired by replication (common random numbers), with a Student-t interval.

    Pairing removes the demand noise both designs share, so the interval is far narrower than comparing
    two independent summaries.
    """
    common = kpis_a.index.intersection(kpis_b.index)
    rows = {}
    for name in kpis_a.columns:
        diff = (kpis_b.loc[common, name] - kpis_a.loc[common, name]).to_numpy(dtype=float)
        diff = diff[~np.isnan(diff)]
        n = diff.size
        mean = float(diff.mean()) if n else float("nan")
        half = float(stdtrit(n - 1, 0.5 + confidence / 2) * diff.std(ddof=1) / np.sqrt(n)) if n >= 2 else float("nan")
        rows[name] = {"diff": mean, "ci_low": mean - half, "ci_high": mean + half, "reps": n}
    return pd.DataFrame.from_dict(rows, orient="index")


#: waiting-time grid (seconds) of the wait CDF
WAIT_GRID = (0, 10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800)


def wait_cdf(out: RunOutput, comp: Compiled) -> dict[str, float]:
    """Share of offered contacts whose total queue time is at most t, for t on :data:`WAIT_GRID`."""
    c = out.contacts
    w = c["wait"][window_mask(c, comp)]
    return {f"wait_cdf:{t}": _ratio((w <= t + 1e-9).sum(), w.size) for t in WAIT_GRID}


_SPECIAL = ("IVR", "abandoned", "still waiting", "resolved", "unresolved", "still talking")


def journey_flows(out: RunOutput, comp: Compiled) -> dict[str, float]:
    """Counts of the customer journey's steps, as ``flow:source|target``: IVR -> queue -> group -> next queue
    (cold transfer or warm handoff) ... -> outcome. Nodes carry the leg number so the journey has no cycles."""
    c, legs = out.contacts, out.legs
    keep = _legs_in_window(out, comp)
    order = np.lexsort((legs["leg"], legs["contact"]))
    order = order[keep[order]]
    if order.size == 0:
        return {}
    Q, G = len(comp.queues), len(comp.groups)
    S, width = len(_SPECIAL), Q + G
    contact, leg = legs["contact"][order], legs["leg"][order].astype(np.int64)
    outcome, group = legs["outcome"][order], legs["group"][order].astype(np.int64)
    qnode = S + leg * width + legs["queue"][order]
    gnode = S + leg * width + Q + group
    first = np.r_[True, contact[1:] != contact[:-1]]
    last = np.r_[contact[1:] != contact[:-1], True]
    src = np.where(first, 0, np.r_[0, gnode[:-1]])
    after = np.where(outcome == ANSWERED, gnode, np.where(outcome == ABANDONED, 1, 2))
    ending = np.where(c["outcome"][contact] == ANSWERED, np.where(c["resolved"][contact], 3, 4), 5)
    tail = last & (outcome == ANSWERED)
    n_nodes = S + (int(leg.max()) + 1) * width
    codes = np.concatenate([src * n_nodes + qnode, qnode * n_nodes + after, gnode[tail] * n_nodes + ending[tail]])
    uniq, counts = np.unique(codes, return_counts=True)

    def name(node: int) -> str:
        if node < S:
            return _SPECIAL[node]
        k, r = divmod(node - S, width)
        return f"{comp.queues[r]} #{k + 1}" if r < Q else f"{comp.groups[r - Q]} #{k + 1}"

    return {f"flow:{name(int(u // n_nodes))}|{name(int(u % n_nodes))}": float(n) for u, n in zip(uniq, counts)}
