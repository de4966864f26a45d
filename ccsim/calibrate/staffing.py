"""Agents: who works together (groups, by the call types they serve) and how many are present per interval.

With an ``agent`` column, an agent is present on a day from their first answer to their last end, except during
an idle gap of at least ``MIN_GAP`` seconds in which callers of their call types waited in queue for at least
``MIN_WAITING`` seconds in all (an agent idle while their callers wait was not there: a break, another task, the
end of a shift and a later one); the agents present in an interval are the time-average number of such spans
overlapping it, averaged over the days of a day type and rounded up, ignoring up to ``ROUND_SLACK`` of an agent
(agents finishing their last call after leaving the schedule, as ccsim's agents do too) but never to 0 where
anyone was present. An agent's call types are those making at least ``MIN_SHARE`` of their answered calls; each
distinct set of call types is a group ("agents_PS_NE"). Without agents, staffing is taken as given, or else set
to the offered load (calls x mean handle time / interval length) at 85% occupancy, rounded up.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import OptionError
from ..limits import DAY, MAX_AGENTS, shown
from .common import Estimate, clock, safe_label, t_ci

MIN_SHARE = 0.05
TARGET_OCCUPANCY = 0.85
#: an agent's idle gap splits their day's span when it lasts this long and callers they serve waited this long in it
MIN_GAP, MIN_WAITING = 600.0, 60.0
#: a time-average of 17.1 agents present is 17 agents in the scenario: the 0.1 are agents finishing a call
ROUND_SLACK = 0.2


def interval_edges(interval: float, n_slots: int) -> np.ndarray:
    """Interval edges of a day, the last at midnight."""
    return np.minimum(np.arange(n_slots + 1) * interval, DAY)


def time_per_interval(start: np.ndarray, end: np.ndarray, row: np.ndarray, n_rows: int, interval: float,
                      n_slots: int) -> np.ndarray:
    """Seconds each span [start, end) (in seconds since its day's midnight, clipped to the day) spends in each
    interval of the day, summed per ``row``: an (n_rows, n_slots) array (difference arrays, no loop)."""
    edges = interval_edges(interval, n_slots)
    s, e = np.clip(start, 0, DAY), np.clip(end, 0, DAY)
    ok = e > s
    s, e, row = s[ok], e[ok], row[ok]
    i0 = np.clip((s // interval).astype(np.int64), 0, n_slots - 1)
    i1 = np.clip((np.ceil(e / interval) - 1).astype(np.int64), 0, n_slots - 1)
    part = np.zeros(n_rows * n_slots)
    full = np.zeros(n_rows * (n_slots + 1))
    one = i0 == i1
    np.add.at(part, row[one] * n_slots + i0[one], e[one] - s[one])
    many = ~one
    r, a, b = row[many], i0[many], i1[many]
    np.add.at(part, r * n_slots + a, edges[a + 1] - s[many])
    np.add.at(part, r * n_slots + b, e[many] - edges[b])
    np.add.at(full, r * (n_slots + 1) + a + 1, 1.0)
    np.add.at(full, r * (n_slots + 1) + b, -1.0)
    count = np.cumsum(full.reshape(n_rows, n_slots + 1), axis=1)[:, :n_slots]
    return part.reshape(n_rows, n_slots) + count * np.diff(edges)


def agent_groups(frame: pd.DataFrame, call_types: list[str]) -> tuple[dict[str, str], dict[str, list[str]], str]:
    """(agent -> group, group -> call types, notes): each distinct set of call types making >= 5% of an agent's
    answered calls is a group; a call type in no set joins the group that answered most of its calls."""
    ans = frame[(frame["outcome"] == "answered") & frame["agent"].notna()]
    if ans.empty:
        return {}, {}, ""
    a_codes, agents = pd.factorize(ans["agent"])
    c_index = {c: i for i, c in enumerate(call_types)}
    c_codes = ans["call_type"].map(c_index).to_numpy(dtype=np.int64)
    k = len(call_types)
    counts = np.bincount(a_codes * k + c_codes, minlength=len(agents) * k).reshape(len(agents), k)
    serves = counts >= MIN_SHARE * counts.sum(axis=1, keepdims=True)
    sets, inverse = np.unique(serves, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    first = np.where(sets.any(axis=1), sets.argmax(axis=1), k)          # groups listed by their busiest call type
    size = np.bincount(inverse, weights=counts.sum(axis=1), minlength=len(sets))
    rank = np.lexsort((-size, first))
    sets, inverse = sets[rank], np.argsort(rank)[inverse]
    taken: set[str] = set()
    names = [safe_label("agents_" + "_".join(call_types[j] for j in np.flatnonzero(row)), taken) for row in sets]
    groups = {names[i]: [call_types[j] for j in np.flatnonzero(row)] for i, row in enumerate(sets)}
    by_group = np.zeros((len(sets), k))
    np.add.at(by_group, inverse, counts)
    notes = []
    for j, ct in enumerate(call_types):
        if not any(ct in v for v in groups.values()):
            if by_group[:, j].any():
                g = names[int(np.argmax(by_group[:, j]))]
                notes.append(f"{ct} is under {MIN_SHARE:.0%} of every agent's calls: served by {g}, who answered "
                             "most of them")
            else:
                g = names[int(np.argmax(by_group.sum(1)))]
                notes.append(f"no agent answered {ct}: served by {g}, the busiest group")
            groups[g].append(ct)
    return dict(zip(agents.astype(str), (names[i] for i in inverse))), groups, "; ".join(notes)


def _waiting_measure(start: np.ndarray, end: np.ndarray):
    """W(t): the time up to t during which at least one of the intervals [start, end) was open (their union)."""
    ok = end > start
    order = np.argsort(start[ok], kind="stable")
    s, e = start[ok][order], end[ok][order]
    if not len(s):
        return lambda t: np.zeros(np.shape(t))
    reach = np.maximum.accumulate(e)
    new = np.ones(len(s), bool)
    new[1:] = s[1:] > reach[:-1]
    seg_s = s[new]
    seg_e = np.maximum.reduceat(e, np.flatnonzero(new))
    before = np.concatenate([[0.0], np.cumsum(seg_e - seg_s)])

    def w(t):
        j = np.searchsorted(seg_s, t, side="right") - 1
        inside = np.clip(t - seg_s[np.maximum(j, 0)], 0, (seg_e - seg_s)[np.maximum(j, 0)])
        return np.where(j >= 0, before[np.maximum(j, 0)] + inside, 0.0)
    return w


def _segments(frame: pd.DataFrame, ans: np.ndarray, grp: np.ndarray, groups: dict[str, list[str]]) -> np.ndarray:
    """For answered calls (``ans``), a number that changes along an agent's calls wherever an idle gap of at least
    MIN_GAP held at least MIN_WAITING seconds of queueing by callers of the agent's group's call types."""
    answer = frame["answer"].to_numpy(dtype=float)[ans]
    end = frame["end"].to_numpy(dtype=float)[ans]
    agent = pd.factorize(frame["agent"][ans])[0]
    order = np.lexsort((answer, agent))
    a, e, g = agent[order], end[order], grp[order]
    prev_end = np.r_[-np.inf, e[:-1]]
    same = np.r_[False, a[1:] == a[:-1]]
    gap_from = np.where(same, prev_end, np.nan)
    # the latest end so far of the agent (calls may overlap in a log)
    gap_from = pd.Series(gap_from).groupby(a).cummax().to_numpy() if same.any() else gap_from
    gap_to = answer[order]
    cand = same & (gap_to - gap_from >= MIN_GAP)
    split = np.zeros(len(a), bool)
    if cand.any():
        qe = frame["queue_enter"].to_numpy(dtype=float)
        waited = ~np.isnan(qe) & (frame["outcome"].cat.codes.to_numpy() <= 1)
        stop = np.where(frame["outcome"].cat.codes.to_numpy() == 0, frame["answer"].to_numpy(dtype=float),
                        frame["end"].to_numpy(dtype=float))
        ct = frame["call_type"].to_numpy(dtype=object)
        for gi, cts in enumerate(groups.values()):
            mine = cand & (g == gi)
            if not mine.any():
                continue
            sel = waited & np.isin(ct, cts)
            w = _waiting_measure(qe[sel], stop[sel])
            split[mine] = (w(gap_to[mine]) - w(gap_from[mine])) >= MIN_WAITING
    seg = np.cumsum(~same | split)
    out = np.empty(len(a), np.int64)
    out[order] = seg
    return out


def presence(frame: pd.DataFrame, day: np.ndarray, starts: np.ndarray, labels: np.ndarray,
             group_of_agent: dict[str, str], groups: dict[str, list[str]], interval: float, n_slots: int,
             confidence: float) -> pd.DataFrame:
    """Agents present per (day type, group, interval): mean over the days of the type with a t interval, rounded
    up; and the agents' busy time (answer to end) per interval, for the observed occupancy."""
    names = list(groups)
    ans = ((frame["outcome"] == "answered") & frame["agent"].notna()).to_numpy()
    g_index = {g: i for i, g in enumerate(names)}
    grp = frame["agent"].astype(object).map(group_of_agent).map(g_index).to_numpy(dtype=float)
    ans &= ~np.isnan(grp)
    n_days, n_groups = len(starts), len(names)
    d, g = day[ans], grp[ans].astype(np.int64)
    rel_a = frame["answer"].to_numpy(dtype=float)[ans] - starts[d]
    rel_e = frame["end"].to_numpy(dtype=float)[ans] - starts[d]
    seg = _segments(frame, ans, g, groups)
    spans = pd.DataFrame({"d": d, "a": seg, "g": g, "s": rel_a, "e": rel_e})
    spans = spans.groupby(["d", "a"], sort=False).agg(g=("g", "first"), s=("s", "min"), e=("e", "max"))
    keys = spans.index.get_level_values("d").to_numpy() * n_groups + spans["g"].to_numpy()
    present = time_per_interval(spans["s"].to_numpy(), spans["e"].to_numpy(), keys, n_days * n_groups, interval,
                                n_slots)
    busy = time_per_interval(rel_a, rel_e, d * n_groups + g, n_days * n_groups, interval, n_slots)
    lengths = np.diff(interval_edges(interval, n_slots))
    present = present.reshape(n_days, n_groups, n_slots) / lengths
    busy = busy.reshape(n_days, n_groups, n_slots) / lengths
    parts = []
    for lab in dict.fromkeys(labels):
        sel, bsel = present[labels == lab], busy[labels == lab]
        n = sel.shape[0]
        mean = sel.mean(axis=0)
        sd = sel.std(axis=0, ddof=1) if n > 1 else np.zeros_like(mean)
        lo, hi = t_ci(mean, sd, np.full(mean.shape, n), confidence)
        for i, gname in enumerate(names):
            parts.append(pd.DataFrame({
                "day_type": lab, "group": gname, "interval": np.arange(n_slots),
                "start": interval_edges(interval, n_slots)[:-1],
                "mean": mean[i], "ci_low": np.maximum(lo[i], 0), "ci_high": hi[i], "days": n,
                "agents": _round_up(mean[i]), "busy": bsel[:, i].mean(axis=0),
                "source": "agents"}))
    return pd.concat(parts, ignore_index=True)


def _round_up(mean: np.ndarray) -> np.ndarray:
    """Whole agents: rounded up beyond ROUND_SLACK, and at least 1 wherever anyone was present."""
    whole = np.where(mean > 1e-9, np.maximum(1, np.ceil(mean - ROUND_SLACK)), 0)
    return np.minimum(whole, MAX_AGENTS).astype(np.int64)


def load_staffing(offered: pd.DataFrame, handle_mean: dict[str, float], interval: float,
                  n_slots: int) -> pd.DataFrame:
    """Fallback staffing, one group per call type: offered load (mean offered calls per interval x mean handle time
    / interval length) / 85% occupancy, rounded up. ``offered``: day_type, call_type, interval, mean."""
    lengths = np.diff(interval_edges(interval, n_slots))
    rows = []
    for (lab, ct), part in offered.groupby(["day_type", "call_type"], sort=False):
        calls = part.sort_values("interval")["mean"].to_numpy()
        load = calls * handle_mean.get(ct, 0.0) / lengths
        agents = np.minimum(np.ceil(load / TARGET_OCCUPANCY - 1e-9), MAX_AGENTS).astype(np.int64)
        rows.append(pd.DataFrame({"day_type": lab, "group": f"agents_{ct}", "interval": np.arange(n_slots),
                                  "start": np.arange(n_slots) * interval, "mean": load / TARGET_OCCUPANCY,
                                  "ci_low": np.nan, "ci_high": np.nan, "days": part["days"].iloc[0], "agents": agents,
                                  "busy": np.nan, "source": "load"}))
    return pd.concat(rows, ignore_index=True)


def given_staffing(staffing: dict, groups: list[str], labels: list[str], interval: float, n_slots: int) -> pd.DataFrame:
    """Staffing as given (group -> agents, or one value per interval), for every day type; a call type's name may
    stand for its group "agents_<call type>"."""
    if not isinstance(staffing, dict) or not staffing:
        raise OptionError("staffing", f"must map groups to agents (got {shown(staffing)})",
                          "give e.g. {'agents_billing': [3, 3, 5, ...]}, one value per interval")
    rows = []
    for key, value in staffing.items():
        name = key if key in groups else f"agents_{key}" if f"agents_{key}" in groups else None
        if name is None:
            raise OptionError(f"staffing.{key}", "unknown group", f"use one of {', '.join(groups)}")
        vals = [value] * n_slots if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(vals, (list, tuple)) or len(vals) != n_slots or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_AGENTS for v in vals):
            raise OptionError(f"staffing.{key}", f"must be whole agents, one per {interval:g}-s interval "
                              f"({n_slots} values) or one number (got {shown(value)})",
                              f"give {n_slots} whole numbers from 0 to {MAX_AGENTS}")
        for lab in labels:
            rows.append(pd.DataFrame({"day_type": lab, "group": name, "interval": np.arange(n_slots),
                                      "start": np.arange(n_slots) * interval, "mean": np.asarray(vals, float),
                                      "ci_low": np.nan, "ci_high": np.nan, "days": 0,
                                      "agents": np.asarray(vals, np.int64), "busy": np.nan, "source": "given"}))
    return pd.concat(rows, ignore_index=True)


def staffing_rows(table: pd.DataFrame) -> list[Estimate]:
    """The staffing per interval as :class:`Estimate` records (intervals with anyone present)."""
    how = {"agents": "agents present (first answer to last end of the day, less idle gaps while their callers "
                     f"waited), time-average, mean over days, rounded up beyond {ROUND_SLACK:g}; t interval",
           "load": f"no agent column: offered load / {TARGET_OCCUPANCY:.0%} occupancy, rounded up",
           "given": "as given"}
    out = []
    for r in table[table["mean"] > 0].itertuples():
        out.append(Estimate("staffing", f"{r.group} {clock(r.start)}", r.mean, r.ci_low, r.ci_high, r.days,
                            how[r.source] + f" (scenario: {r.agents})", "", r.day_type))
    return out


