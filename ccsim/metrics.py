"""Tables of one replication: the tallies made from its records (:func:`tallies`, the reference of what the
records-free kernel accumulates), and from tallies the KPIs, KPIs by interval, queue and group, the wait
CDF and the journey flows.

The KPI window is contacts *arriving* in [warmup, horizon); agent time (occupancy, cost) is measured
over the same window of time. Each KPI's definition lives in :mod:`ccsim.kpis`; this module only adds up.
"""
from __future__ import annotations

import numpy as np

from .engines.compiled import Compiled
from .engines.output import (ABANDONED, ANSWERED, BLOCKED, CB_ACCEPTED, CB_DECLINED, CONTACT_SUMS, DISCONNECTED, MESSAGE, UNREACHED, ENDINGS, HANDOFF, IN_SYSTEM, INTERVAL_SUMS,
                             QUEUE_SUMS, TRANSFER, WAIT_GRID, RunOutput, Tallies, agent_sums)
from .kpis import CALLER_KPIS, from_sums, ratio

__all__ = ["INTERVAL_KPIS", "WAIT_GRID", "call_type_kpis", "contact_sums", "group_kpis", "interval_kpis", "journey_flows",
           "queue_kpis", "replication_kpis", "tallies", "wait_cdf"]

EPS = 1e-9  # waits within the threshold "up to rounding" (as the kernel)


def contact_sums(c: dict[str, np.ndarray], sl_threshold: float | np.ndarray) -> dict[str, float]:
    """The caller-side window sums of :data:`ccsim.kpis.SUMS` over a set of contacts (already in the window);
    ``sl_threshold``: one for all, or each contact's (its call type's)."""
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
        "within_sl": float((ans & (first_wait <= sl_threshold + EPS)).sum()),
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
        "within_sl_caller": float((ans & (c["wait"] <= sl_threshold + EPS)).sum()),
        "wait_answered_sum": float(c["wait"][ans].sum()),
        "blocked": float((outcome == BLOCKED).sum()), "disconnected": float((outcome == DISCONNECTED).sum()),
        "messages": float((outcome == MESSAGE).sum()),
        "vhold_offered": float((c["callback"] >= CB_DECLINED).sum()),
        "vhold_accepted": float((c["callback"] == CB_ACCEPTED).sum()),
        "vhold_completed": float((~np.isnan(c["callback_wait"])).sum()),
        "vhold_wait_sum": float(c["callback_wait"][~np.isnan(c["callback_wait"])].sum()),
        "unreached": float((outcome == UNREACHED).sum()), "vhold_dial_sum": float(c["dial_time"].sum()),
        "dialled": 0.0,  # numbers dialled are not contacts: RunOutput.dials (see tallies)
    }


def window_mask(c: dict[str, np.ndarray], comp: Compiled) -> np.ndarray:
    return (c["arrival"] >= comp.warmup) & (c["arrival"] < comp.horizon)


def _per_bin(idx: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(idx, weights=weights, minlength=n)[:n].astype(float)


# --------------------------------------------------------------------------- records -> tallies
def tallies(out: RunOutput, comp: Compiled) -> Tallies:
    """What the records-free kernel accumulates, computed from records with numpy (tests prove them equal)."""
    c, legs = out.contacts, out.legs
    n, Q, G = comp.n_intervals, len(comp.queues), len(comp.groups)
    win = window_mask(c, comp)
    thr = comp.ct_sl[c["call_type"]]                   # each contact's service-level threshold (its call type's)
    by_type = np.zeros((len(comp.call_types), len(CONTACT_SUMS)))
    for ct in range(len(comp.call_types)):
        m = win & (c["call_type"] == ct)
        sums = contact_sums({k: a[m] for k, a in c.items()}, thr[m])
        by_type[ct] = [sums[k] for k in CONTACT_SUMS]
    if out.dials is not None:
        by_type[:, CONTACT_SUMS.index("dialled")] = out.dials
    # by interval of arrival, every contact
    idx = np.minimum((c["arrival"] // comp.interval).astype(np.int64), n - 1)
    ans = c["outcome"] == ANSWERED
    fw = np.where(ans, c["answered_at"] - c["queue_arrival"], 0.0)
    by_interval = np.column_stack([
        _per_bin(idx, n), _per_bin(idx, n, ans.astype(float)), _per_bin(idx, n, (c["outcome"] == ABANDONED) * 1.0),
        _per_bin(idx, n, (ans & (fw <= thr + EPS)) * 1.0), _per_bin(idx, n, fw),
        _per_bin(idx, n, c["wait"])]).reshape(n, len(INTERVAL_SUMS))
    # legs of window contacts
    lw = win[legs["contact"]] if legs["contact"].size else np.zeros(0, bool)
    q, lo, w, kind = legs["queue"][lw], legs["outcome"][lw], legs["wait"][lw], legs["kind"][lw]
    g, leg = legs["group"][lw].astype(np.int64), legs["leg"][lw].astype(np.int64)
    la = lo == ANSWERED
    lthr = thr[legs["contact"][lw]] if lw.size else np.zeros(0)
    by_queue = np.column_stack([
        _per_bin(q, Q), _per_bin(q, Q, la * 1.0), _per_bin(q, Q, (lo == ABANDONED) * 1.0),
        _per_bin(q, Q, (la & (w <= lthr + EPS)) * 1.0), _per_bin(q, Q, np.where(la, w, 0.0)),
        _per_bin(q, Q, w), _per_bin(q, Q, (kind == TRANSFER) * 1.0),
        _per_bin(q, Q, (kind == HANDOFF) * 1.0)]).reshape(Q, len(QUEUE_SUMS))
    by_group = _per_bin(g[la], G)
    # the wait histogram: the first grid point each window contact's wait is within
    wc = c["wait"][win]
    hist = np.bincount(np.searchsorted(np.asarray(WAIT_GRID, float) + EPS, wc, side="left"),
                       minlength=len(WAIT_GRID) + 1).astype(float)
    # journey flows: into each leg's queue from the IVR or the previous leg's group, out of it, and the end
    L = comp.max_legs
    order = np.lexsort((leg, legs["contact"][lw]))
    contact, leg_o, q_o, g_o, lo_o = legs["contact"][lw][order], leg[order], q[order], g[order], lo[order]
    first = np.r_[True, contact[1:] != contact[:-1]] if contact.size else np.zeros(0, bool)
    last = np.r_[contact[1:] != contact[:-1], True] if contact.size else np.zeros(0, bool)
    prev = np.where(first, 0, np.r_[0, g_o[:-1] + 1])
    flow_in = np.zeros((L, G + 1, Q))
    np.add.at(flow_in, (leg_o, prev, q_o), 1.0)
    after = np.where(lo_o == ANSWERED, g_o, np.where(lo_o == ABANDONED, G, np.where(lo_o == DISCONNECTED, G + 2,
                                                                                         np.where(lo_o == MESSAGE, G + 3,
                                                                                                  np.where(lo_o == UNREACHED, G + 4, G + 1)))))
    flow_out = np.zeros((L, Q, G + 5))
    np.add.at(flow_out, (leg_o, q_o, after), 1.0)
    tail = last & (lo_o == ANSWERED)
    tc = contact[tail]
    ending = np.where(c["outcome"][tc] == ANSWERED, np.where(c["resolved"][tc], 0, 1), 2)
    flow_end = np.zeros((L, G, len(ENDINGS)))
    np.add.at(flow_end, (leg_o[tail], g_o[tail], ending), 1.0)
    # as the kernel: the window sums are the sums of the call types
    return Tallies(window=by_type.sum(axis=0), by_type=by_type, by_interval=by_interval, by_queue=by_queue,
                   by_group=by_group, wait_hist=hist, flow_in=flow_in, flow_out=flow_out, flow_end=flow_end,
                   busy=out.busy, staffed=out.staffed, busy_window=out.busy_window, staffed_window=out.staffed_window)


# --------------------------------------------------------------------------- tallies -> tables
Columns = dict[str, np.ndarray]  # a table as plain arrays: per replication, concatenated once at the end


def replication_kpis(t: Tallies, comp: Compiled) -> dict[str, float]:
    """Every KPI of the registry for one replication."""
    sums = dict(zip(CONTACT_SUMS, t.window.tolist()))
    return from_sums(sums | agent_sums(t.busy_window, t.staffed_window, comp))


#: KPIs of the interval table (by interval of arrival)
INTERVAL_KPIS = ("offered", "answered", "abandoned", "abandon_rate", "service_level", "asa", "mean_wait")


def interval_kpis(t: Tallies, comp: Compiled) -> Columns:
    """KPIs by arrival interval, with staffed agents and occupancy of every group in that interval."""
    n = comp.n_intervals
    sums = {k: t.by_interval[:, j] for j, k in enumerate(INTERVAL_SUMS)}
    length = np.minimum(comp.interval, comp.horizon - np.arange(n) * comp.interval)
    busy, staffed = t.busy[:, :n], t.staffed[:, :n]
    cols = {"interval": np.arange(n), "start": np.arange(n) * comp.interval, **from_sums(sums, INTERVAL_KPIS),
            "agents": staffed.sum(axis=0) / length, "occupancy": ratio(busy.sum(axis=0), staffed.sum(axis=0))}
    for g, name in enumerate(comp.groups):
        cols[f"agents[{name}]"] = staffed[g] / length
        cols[f"occupancy[{name}]"] = ratio(busy[g], staffed[g])
    return cols


def queue_kpis(t: Tallies, comp: Compiled) -> Columns:
    """The ACD view by queue: every leg entering a queue is a call offered to it (transfers count again)."""
    sums = {k: t.by_queue[:, j] for j, k in enumerate(QUEUE_SUMS)}
    k = from_sums(sums, ("service_level", "asa", "mean_wait"))
    counts = {n: sums[n].astype(np.int64) for n in ("offered", "answered", "abandoned", "transferred_in",
                                                     "handed_off_in")}
    return {"queue": np.asarray(comp.queues, dtype=object), **counts, **k}


def call_type_kpis(by_type: list[np.ndarray], reps: list[int], comp: Compiled) -> Columns:
    """By call type and replication (the replications' ``Tallies.by_type``, computed at once): every KPI made of
    contact sums, the service level at the call type's threshold."""
    C = len(comp.call_types)
    stacked = np.concatenate(by_type) if by_type else np.zeros((0, len(CONTACT_SUMS)))
    sums = {k: stacked[:, j] for j, k in enumerate(CONTACT_SUMS)}
    return {"call_type": np.tile(np.asarray(comp.call_types, dtype=object), len(by_type)),
            "sl_threshold": np.tile(comp.ct_sl, len(by_type)), **from_sums(sums, CALLER_KPIS),
            "rep": np.repeat(np.asarray(reps, dtype=np.int64), C)}


def group_kpis(t: Tallies, comp: Compiled) -> Columns:
    """By agent group: calls answered, average agents, occupancy and cost over the window."""
    span = comp.horizon - comp.warmup
    return {
        "group": np.asarray(comp.groups, dtype=object), "answered": t.by_group.astype(np.int64),
        "agents": t.staffed_window / span, "occupancy": ratio(t.busy_window, t.staffed_window),
        "cost": t.staffed_window / 3600.0 * comp.cost_per_hour,
    }


def wait_cdf(t: Tallies, comp: Compiled) -> dict[str, float]:
    """Share of offered contacts whose total queue time is at most x, for x on :data:`WAIT_GRID`."""
    within = np.cumsum(t.wait_hist)[: len(WAIT_GRID)]
    total = t.wait_hist.sum()
    return {f"wait_cdf:{x}": ratio(n, total) for x, n in zip(WAIT_GRID, within)}


_SPECIAL = ("IVR", "abandoned", "still waiting", "disconnected", "message", "unreached")


def journey_flows(t: Tallies, comp: Compiled) -> dict[str, float]:
    """Counts of the customer journey's steps, as ``flow:source|target``: IVR -> queue -> group -> next queue
    (cold transfer or warm handoff) ... -> outcome. Nodes carry the leg number so the journey has no cycles."""
    Q, G = comp.queues, comp.groups

    def queue(leg: int, q: int) -> str:
        return f"{Q[q]} #{leg + 1}"

    def group(leg: int, g: int) -> str:
        return f"{G[g]} #{leg + 1}"

    flows: dict[str, float] = {}
    for leg, src, q in zip(*np.nonzero(t.flow_in)):
        name = "IVR" if src == 0 else group(leg - 1, src - 1)
        flows[f"flow:{name}|{queue(leg, q)}"] = float(t.flow_in[leg, src, q])
    for leg, q, dst in zip(*np.nonzero(t.flow_out)):
        name = group(leg, dst) if dst < len(G) else _SPECIAL[1 + dst - len(G)]
        flows[f"flow:{queue(leg, q)}|{name}"] = float(t.flow_out[leg, q, dst])
    for leg, g, e in zip(*np.nonzero(t.flow_end)):
        flows[f"flow:{group(leg, g)}|{ENDINGS[e]}"] = float(t.flow_end[leg, g, e])
    return dict(sorted(flows.items()))
