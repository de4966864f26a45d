"""Tables from one replication's raw output: the window sums behind every KPI, KPIs by interval, queue and
group, the wait CDF and the journey flows.

The KPI window is contacts *arriving* in [warmup, horizon); agent time (occupancy, cost) is measured
over the same window of time. Each KPI's definition lives in :mod:`ccsim.kpis`; this module only adds up.
"""
from __future__ import annotations

import numpy as np

from .engines.compiled import Compiled
from .engines.output import ABANDONED, ANSWERED, HANDOFF, IN_SYSTEM, TRANSFER, RunOutput, agent_sums
from .kpis import from_sums, ratio


def contact_sums(c: dict[str, np.ndarray], sl_threshold: float) -> dict[str, float]:
    """The caller-side window sums of :data:`ccsim.kpis.SUMS` over a set of contacts (already in the window)."""
    outcome = c["outcome"]
    ans = outcome == ANSWERED
    aban = outcome == ABANDONED
    first_wait = c["answered_at"] - c["queue_arrival"]
    ended = ~np.isnan(c["end"])
    first = c["attempt"] == 0
    handled = c["first_group"] >= 0
    tis = c["end"] - c["arrival"]
    return {
        "offered": float(outcome.shape[0]), "answered": float(ans.sum()), "abandoned": float(aban.sum()),
        "in_system": float((outcome == IN_SYSTEM).sum()),
        "within_sl": float((ans & (first_wait <= sl_threshold + 1e-9)).sum()),
        "first_wait_sum": float(first_wait[ans].sum()), "wait_sum": float(c["wait"].sum()),
        "waited": float((c["wait"] > 0).sum()), "transfers": float(c["transfers"].sum()),
        "handoffs": float(c["handoffs"].sum()), "reexplanations": float(c["reexplanations"].sum()),
        "first_contacts": float(first.sum()), "first_resolved": float((c["resolved"] & first).sum()),
        "ended": float(ended.sum()), "time_in_system_sum": float(tis[ended].sum()),
        "handled": float(handled.sum()), "agent_time_sum": float(c["agent_time"][handled].sum()),
        "abandoned_after_answer": float((aban & handled).sum()),
        "first_handled": float((first & handled).sum()), "first_abandoned": float((first & aban).sum()),
        "answered_ended": float((ans & ended).sum()), "tis_answered_sum": float(tis[ans & ended].sum()),
        "abandoned_ended": float((aban & ended).sum()), "tis_abandoned_sum": float(tis[aban & ended].sum()),
        "within_sl_caller": float((ans & (c["wait"] <= sl_threshold + 1e-9)).sum()),
        "wait_answered_sum": float(c["wait"][ans].sum()),
    }


def window_mask(c: dict[str, np.ndarray], comp: Compiled) -> np.ndarray:
    return (c["arrival"] >= comp.warmup) & (c["arrival"] < comp.horizon)


def replication_kpis(out: RunOutput, comp: Compiled) -> dict[str, float]:
    """Every KPI of the registry for one replication, from its records."""
    m = window_mask(out.contacts, comp)
    sums = contact_sums({n: a[m] for n, a in out.contacts.items()}, comp.sl_threshold)
    return from_sums(sums | agent_sums(out.busy_window, out.staffed_window, comp))


def _per_bin(idx: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(idx, weights=weights, minlength=n)[:n].astype(float)


Columns = dict[str, np.ndarray]  # a table as plain arrays: per replication, concatenated once at the end


#: KPIs of the interval table (by interval of arrival)
INTERVAL_KPIS = ("offered", "answered", "abandoned", "abandon_rate", "service_level", "asa", "mean_wait")


def interval_kpis(out: RunOutput, comp: Compiled) -> Columns:
    """KPIs by arrival interval, with staffed agents and occupancy of every group in that interval."""
    c = out.contacts
    n = comp.n_intervals
    idx = np.minimum((c["arrival"] // comp.interval).astype(np.int64), n - 1)
    ans = c["outcome"] == ANSWERED
    first_wait = np.where(ans, c["answered_at"] - c["queue_arrival"], 0.0)
    sums = {"offered": _per_bin(idx, n), "answered": _per_bin(idx, n, ans.astype(float)),
            "abandoned": _per_bin(idx, n, (c["outcome"] == ABANDONED).astype(float)),
            "within_sl": _per_bin(idx, n, (ans & (first_wait <= comp.sl_threshold + 1e-9)).astype(float)),
            "first_wait_sum": _per_bin(idx, n, first_wait), "wait_sum": _per_bin(idx, n, c["wait"])}
    length = np.minimum(comp.interval, comp.horizon - np.arange(n) * comp.interval)
    busy, staffed = out.busy[:, :n], out.staffed[:, :n]
    cols = {"interval": np.arange(n), "start": np.arange(n) * comp.interval, **from_sums(sums, INTERVAL_KPIS),
            "agents": staffed.sum(axis=0) / length, "occupancy": ratio(busy.sum(axis=0), staffed.sum(axis=0))}
    for g, name in enumerate(comp.groups):
        cols[f"agents[{name}]"] = staffed[g] / length
        cols[f"occupancy[{name}]"] = ratio(busy[g], staffed[g])
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
    kind = legs["kind"][w]
    sums = {"offered": _per_bin(q, Q), "answered": _per_bin(q, Q, ans.astype(float)),
            "abandoned": _per_bin(q, Q, (legs["outcome"][w] == ABANDONED).astype(float)),
            "within_sl": _per_bin(q, Q, (ans & (wait <= comp.sl_threshold + 1e-9)).astype(float)),
            "first_wait_sum": _per_bin(q, Q, np.where(ans, wait, 0.0)), "wait_sum": _per_bin(q, Q, wait)}
    k = from_sums(sums, ("service_level", "asa", "mean_wait"))
    return {
        "queue": np.asarray(comp.queues, dtype=object), "offered": sums["offered"].astype(np.int64),
        "answered": sums["answered"].astype(np.int64), "abandoned": sums["abandoned"].astype(np.int64),
        "transferred_in": _per_bin(q, Q, (kind == TRANSFER).astype(float)).astype(np.int64),
        "handed_off_in": _per_bin(q, Q, (kind == HANDOFF).astype(float)).astype(np.int64), **k,
    }


def group_kpis(out: RunOutput, comp: Compiled) -> Columns:
    """By agent group: calls answered, average agents, occupancy and cost over the window."""
    G = len(comp.groups)
    w = _legs_in_window(out, comp)
    g = out.legs["group"][w]
    span = comp.horizon - comp.warmup
    return {
        "group": np.asarray(comp.groups, dtype=object), "answered": _per_bin(g[g >= 0], G).astype(np.int64),
        "agents": out.staffed_window / span, "occupancy": ratio(out.busy_window, out.staffed_window),
        "cost": out.staffed_window / 3600.0 * comp.cost_per_hour,
    }


#: waiting-time grid (seconds) of the wait CDF
WAIT_GRID = (0, 10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800)


def wait_cdf(out: RunOutput, comp: Compiled) -> dict[str, float]:
    """Share of offered contacts whose total queue time is at most t, for t on :data:`WAIT_GRID`."""
    c = out.contacts
    w = c["wait"][window_mask(c, comp)]
    return {f"wait_cdf:{t}": ratio((w <= t + 1e-9).sum(), w.size) for t in WAIT_GRID}


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
