"""Repeat contacts, where customer ids allow: which calls are redials (after an abandonment) or returns (after
an answered call), how likely each is and how long after.

A call is a **repeat** when the same customer's previous call ended at most ``window`` seconds before it
(overlapping calls count): a **redial** when that call was abandoned, a **return** when it was answered. Every
other call, and every call without a customer id, is a **first contact** (a call after an IVR-only or blocked
call too: ccsim models neither, so the retry is the contact it sees). ccsim draws first contacts from
``volume`` and repeats from ``redial_prob`` / ``callback_prob``, so the volume counts first contacts only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..calllog import CallLog
from ..limits import MAX_ATTEMPTS
from .common import Estimate, binom_ci, exp_mean_ci_complete, fmt

FIRST, REDIAL, RETURN = 0, 1, 2
KINDS = ("first", "redial", "return")


@dataclass
class Repeats:
    """Per call of a log: what kind of contact it is, and what followed it."""

    kind: np.ndarray          # FIRST, REDIAL or RETURN (int8)
    next_kind: np.ndarray     # the kind of the same customer's next call (FIRST: no repeat followed)
    next_delay: np.ndarray    # from this call's end to that repeat's arrival, seconds (NaN: none)
    observable: np.ndarray    # a whole window after this call's end lies within the log
    longest_chain: int        # the most contacts of one customer linked by repeats
    has_ids: bool             # the log has customer ids
    window: float


def mark_repeats(log: CallLog, window: float = 86400.0) -> Repeats:
    """Classify every call as a first contact, a redial or a return (vectorised: one sort by customer)."""
    f = log.frame
    n = len(f)
    kind = np.zeros(n, np.int8)
    next_kind = np.zeros(n, np.int8)
    next_delay = np.full(n, np.nan)
    end = f["end"].to_numpy(dtype=float)
    observable = end + window <= float(f["arrival"].max())
    cust = f["customer_id"]
    has = cust.notna().to_numpy()
    if not has.any():
        return Repeats(kind, next_kind, next_delay, observable, 1, False, window)
    rows = np.flatnonzero(has)
    codes, _ = pd.factorize(cust.to_numpy(dtype=object, na_value=None)[rows])
    order = rows[np.argsort(codes, kind="stable")]    # by customer, then arrival (the frame is sorted by arrival)
    c = np.sort(codes, kind="stable")
    same = np.zeros(len(order), bool)
    same[1:] = c[1:] == c[:-1]
    cur, prev = order[1:][same[1:]], order[:-1][same[1:]]
    delay = f["arrival"].to_numpy(dtype=float)[cur] - end[prev]
    outcome = f["outcome"].cat.codes.to_numpy()
    prev_out = outcome[prev]
    repeat = delay <= window
    k = np.where(repeat & (prev_out == 1), REDIAL, np.where(repeat & (prev_out == 0), RETURN, FIRST)).astype(np.int8)
    kind[cur] = k
    next_kind[prev] = k
    next_delay[prev] = np.where(k > 0, np.maximum(delay, 0.0), np.nan)
    chain = np.cumsum(kind[order] == FIRST)           # a new chain at every first contact (every new customer too)
    longest = int(np.bincount(chain).max()) if len(chain) else 1
    return Repeats(kind, next_kind, next_delay, observable, longest, True, window)


def repeat_estimates(log: CallLog, rep: Repeats, call_types: list[str], confidence: float) -> pd.DataFrame:
    """Per call type: redial probability (share of abandoned calls followed by a redial within the window) and
    return share (of answered calls followed by a return), each with an exact binomial interval, and the delay
    to the repeat as an exponential mean with its chi-square interval. Only calls a whole window before the end
    of the log count (later ones could not be seen to repeat)."""
    f = log.frame
    out = f["outcome"].cat.codes.to_numpy()
    ct = f["call_type"].to_numpy(dtype=object)
    rows = []
    for name in call_types:
        mine = (ct == name) & rep.observable & f["customer_id"].notna().to_numpy()
        for what, code, nxt in (("redial", 1, REDIAL), ("return", 0, RETURN)):
            base = mine & (out == code)
            hit = base & (rep.next_kind == nxt)
            n, k = int(base.sum()), int(hit.sum())
            lo, hi = binom_ci(k, n, confidence)
            d = rep.next_delay[hit]
            m, dlo, dhi = exp_mean_ci_complete(float(d.sum()), len(d), confidence)
            rows.append({"call_type": name, "kind": what, "base": n, "repeats": k,
                         "prob": k / n if n else np.nan, "prob_low": lo, "prob_high": hi,
                         "delay_mean": m, "delay_low": dlo, "delay_high": dhi})
    cols = ["call_type", "kind", "base", "repeats", "prob", "prob_low", "prob_high", "delay_mean", "delay_low",
            "delay_high"]
    return pd.DataFrame(rows, columns=cols)


def repeat_rows(table: pd.DataFrame, rep: Repeats) -> list[Estimate]:
    """The repeat estimates as :class:`Estimate` records."""
    if not rep.has_ids:
        note = "no customer ids: every call is a first contact, no redials or returns are modelled"
        return [Estimate("redial", "prob", np.nan, np.nan, np.nan, 0, note)]
    w = fmt(rep.window / 3600)
    out = []
    for r in table.itertuples():
        after = "abandoned" if r.kind == "redial" else "answered"
        out.append(Estimate(r.kind, "prob", r.prob, r.prob_low, r.prob_high, r.base,
                            f"share of {after} calls (with a customer id, a whole {w}-h window before the log's end) "
                            f"followed by a call of the same customer within {w} h; Clopper-Pearson interval",
                            r.call_type))
        out.append(Estimate(r.kind, "delay mean", r.delay_mean, r.delay_low, r.delay_high, r.repeats,
                            f"exponential mean of the time from the {after} call's end to the next call (MLE = sample "
                            "mean; chi-square interval; delays beyond the window are not seen)", r.call_type))
    return out


def max_attempts(rep: Repeats) -> int:
    """ccsim's ``max_attempts``: the longest chain of contacts seen (at least 2 when repeats exist)."""
    if not rep.has_ids:
        return 3
    return int(min(MAX_ATTEMPTS, max(2, rep.longest_chain)))
