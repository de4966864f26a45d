"""KPIs from one replication's raw output, and summaries across replications.

The KPI window is contacts *arriving* in [warmup, horizon); agent time (occupancy, cost) is measured
over the same window of time. Names are the public vocabulary (docs/model.md).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .engines.compiled import Compiled
from .engines.output import ABANDONED, ANSWERED, IN_SYSTEM, RunOutput

#: KPI names, in display order
KPIS = ("offered", "answered", "abandoned", "in_system", "abandon_rate", "service_level", "asa", "mean_wait",
        "p_wait", "occupancy", "transfers_per_call", "handoffs_per_call", "reexplanations_per_call", "fcr",
        "mean_time_in_system", "aht", "cost", "callers", "repeat_contacts", "abandoned_after_answer")


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


def interval_kpis(out: RunOutput, comp: Compiled) -> pd.DataFrame:
    """KPIs by arrival interval, with staffed agents and occupancy of every group in that interval."""
    c = out.contacts
    idx = np.minimum((c["arrival"] // comp.interval).astype(np.int64), comp.n_intervals - 1)
    rows = []
    for i in range(comp.n_intervals):
        sel = idx == i
        k = contact_kpis({n: a[sel] for n, a in c.items()}, comp.sl_threshold)
        length = min(comp.interval, comp.horizon - i * comp.interval)
        row = {"interval": i, "start": i * comp.interval, **{n: k[n] for n in (
            "offered", "answered", "abandoned", "abandon_rate", "service_level", "asa", "mean_wait")}}
        row["agents"] = float(out.staffed[:, i].sum() / length)
        row["occupancy"] = _ratio(out.busy[:, i].sum(), out.staffed[:, i].sum())
        for g, name in enumerate(comp.groups):
            row[f"agents[{name}]"] = float(out.staffed[g, i] / length)
            row[f"occupancy[{name}]"] = _ratio(out.busy[g, i], out.staffed[g, i])
        rows.append(row)
    return pd.DataFrame(rows)


def queue_kpis(out: RunOutput, comp: Compiled) -> pd.DataFrame:
    """The ACD view by queue: every leg entering a queue is a call offered to it (transfers count again)."""
    legs = out.legs
    arrival = out.contacts["arrival"][legs["contact"]] if legs["contact"].size else np.zeros(0)
    inwin = (arrival >= comp.warmup) & (arrival < comp.horizon)
    rows = []
    for q, name in enumerate(comp.queues):
        sel = inwin & (legs["queue"] == q)
        ans = sel & (legs["outcome"] == ANSWERED)
        n = int(sel.sum())
        rows.append({"queue": name, "offered": n, "answered": int(ans.sum()),
                     "abandoned": int((sel & (legs["outcome"] == ABANDONED)).sum()),
                     "transferred_in": int((sel & (legs["kind"] == 1)).sum()),
                     "handed_off_in": int((sel & (legs["kind"] == 2)).sum()),
                     "service_level": _ratio((ans & (legs["wait"] <= comp.sl_threshold + 1e-9)).sum(), n),
                     "asa": _mean(legs["wait"][ans]), "mean_wait": _mean(legs["wait"][sel])})
    return pd.DataFrame(rows)


def group_kpis(out: RunOutput, comp: Compiled) -> pd.DataFrame:
    """By agent group: calls answered, average agents, occupancy and cost over the window."""
    legs = out.legs
    arrival = out.contacts["arrival"][legs["contact"]] if legs["contact"].size else np.zeros(0)
    inwin = (arrival >= comp.warmup) & (arrival < comp.horizon)
    span = comp.horizon - comp.warmup
    rows = []
    for g, name in enumerate(comp.groups):
        rows.append({"group": name, "answered": int((inwin & (legs["group"] == g)).sum()),
                     "agents": float(out.staffed_window[g] / span),
                     "occupancy": _ratio(out.busy_window[g], out.staffed_window[g]),
                     "cost": float(out.staffed_window[g] / 3600.0 * comp.cost_per_hour[g])})
    return pd.DataFrame(rows)


def summarize(kpis: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per KPI: mean over replications and a Student-t confidence interval."""
    rows = {}
    for name in kpis.columns:
        x = kpis[name].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        n = x.size
        mean = float(x.mean()) if n else float("nan")
        if n >= 2:
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
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
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n)) if n >= 2 else float("nan")
        rows[name] = {"diff": mean, "ci_low": mean - half, "ci_high": mean + half, "reps": n}
    return pd.DataFrame.from_dict(rows, orient="index")


#: waiting-time grid (seconds) of the wait CDF
WAIT_GRID = (0, 10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800)


def wait_cdf(out: RunOutput, comp: Compiled) -> dict[str, float]:
    """Share of offered contacts whose total queue time is at most t, for t on :data:`WAIT_GRID`."""
    c = out.contacts
    w = c["wait"][window_mask(c, comp)]
    return {f"wait_cdf:{t}": _ratio((w <= t + 1e-9).sum(), w.size) for t in WAIT_GRID}


def journey_flows(out: RunOutput, comp: Compiled) -> dict[str, float]:
    """Counts of the customer journey's steps, as ``flow:source|target``: IVR -> queue -> group -> next queue
    (cold transfer or warm handoff) ... -> outcome. Nodes carry the leg number so the journey has no cycles."""
    c, legs = out.contacts, out.legs
    keep = window_mask(c, comp)[legs["contact"]] if legs["contact"].size else np.zeros(0, bool)
    order = np.lexsort((legs["leg"], legs["contact"]))
    order = order[keep[order]]
    if order.size == 0:
        return {}
    contact, leg = legs["contact"][order], legs["leg"][order]
    outcome, group = legs["outcome"][order], legs["group"][order]
    num = pd.Series(leg + 1).astype(str).radd(" #").to_numpy()
    qnode = np.char.add(np.asarray(comp.queues, dtype=object)[legs["queue"][order]].astype(str), num.astype(str))
    gnames = np.asarray(list(comp.groups) + [""], dtype=object)[np.where(group >= 0, group, len(comp.groups))]
    gnode = np.char.add(gnames.astype(str), num.astype(str))
    first = np.r_[True, contact[1:] != contact[:-1]]
    last = np.r_[contact[1:] != contact[:-1], True]
    prev_g = np.r_[np.array([""]), gnode[:-1]].astype(object)
    src = np.where(first, "IVR", prev_g)
    after = np.where(outcome == ANSWERED, gnode, np.where(outcome == ABANDONED, "abandoned", "still waiting"))
    end_ok = c["outcome"][contact] == ANSWERED
    ending = np.where(end_ok, np.where(c["resolved"][contact], "resolved", "unresolved"), "still talking")
    tail = last & (outcome == ANSWERED)
    edges = pd.DataFrame({"s": np.concatenate([src, qnode, gnode[tail]]),
                          "t": np.concatenate([qnode, after, ending[tail]])})
    counts = edges.value_counts(sort=False)
    return {f"flow:{s_}|{t_}": float(n) for (s_, t_), n in counts.items()}
