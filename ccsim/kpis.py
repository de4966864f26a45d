"""The KPI registry: every KPI declared once (name, label, unit, direction, definition, how it is computed),
with the one formatter and the one set of statistics (Student-t summaries, paired and unpaired differences).

Every KPI of a replication is a ratio of two *window sums* (or a sum alone): contacts arriving in
[warmup, horizon) and agent time over that window. The engines' paths (records, or the kernel's
accumulators) only produce the sums; :func:`from_sums` turns them into KPIs, so each definition lives here.
The CLI, the experiments, the staffing planner, the sweeps and the report all read labels, formats and
intervals from this module; ``docs/model.md``'s KPI table is checked against it by the tests.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student t quantile (scipy.stats costs half a second to import)

#: the window sums every KPI is made of (the numba kernel accumulates all but the agent-time ones itself)
SUMS = ("offered", "answered", "abandoned", "in_system", "within_sl", "first_wait_sum", "wait_sum", "waited",
        "transfers", "handoffs", "reexplanations", "first_contacts", "first_resolved", "ended",
        "time_in_system_sum", "handled", "agent_time_sum", "abandoned_after_answer",
        "first_handled", "first_abandoned", "answered_ended", "tis_answered_sum", "abandoned_ended",
        "tis_abandoned_sum", "within_sl_caller", "wait_answered_sum", "blocked",
        "disconnected", "messages", "vhold_offered", "vhold_accepted", "vhold_completed", "vhold_wait_sum",
        "unreached", "vhold_dial_sum", "dialled", "busy", "staffed", "cost")

#: the units a KPI can have; :func:`format_unit` says how each reads to people
UNITS = ("share", "seconds", "count", "per call", "money")


@dataclass(frozen=True)
class Kpi:
    """One KPI: its public name, how people read it, and how it is computed from window sums."""

    name: str
    label: str            # for people; "{thr}" stands for the service-level threshold in seconds
    unit: str             # one of UNITS
    better: int           # +1 higher is better, -1 lower is better, 0 neither
    definition: str       # one line, as in docs/model.md
    num: str              # the numerator: a sum, or sums joined by + and - ("transfers+handoffs")
    den: str | None = None  # the denominator sum (None: the KPI is the numerator itself)
    hint: str = ""        # a few words under the label on a report card

    def title(self, thr: float | str = 20) -> str:
        """The label with the service-level threshold filled in."""
        return self.label.format(thr=f"{float(thr):g}")


#: every KPI of a replication, in display order
REGISTRY: dict[str, Kpi] = {k.name: k for k in (
    Kpi("offered", "Contacts offered", "count", 0, "contacts", "offered"),
    Kpi("answered", "Answered", "count", 0,
       "contacts answered (by outcome; offered = answered + abandoned + blocked + disconnected + messages + "
       "unreached + in_system)",
       "answered"),
    Kpi("abandoned", "Abandoned", "count", -1, "contacts abandoned (a hang-up after a cold transfer counts)",
       "abandoned"),
    Kpi("in_system", "Still in system", "count", 0, "contacts still waiting or talking when the run ends",
       "in_system"),
    Kpi("blocked", "Blocked", "count", -1, "contacts that found every trunk line busy (a busy signal; counted apart "
       "from abandoned)", "blocked"),
    Kpi("disconnected", "Disconnected", "count", -1, "contacts disconnected: waiting in a queue when the center "
       "closed (`at_closing = \"disconnect\"`, and those reaching one after) or when its last agent left "
       "(`when_unstaffed`), or cold-transferred on a route that may not wait (`wait = false`) with nobody idle",
       "disconnected"),
    Kpi("messages", "Left a message", "count", 0, "contacts that waited a queue's `max_wait` and left a message "
       "(voicemail) instead", "messages"),
    Kpi("unreached", "Virtual hold: callbacks unreached", "count", -1, "contacts whose queued callback (virtual "
       "hold) never reached the caller: every dial unanswered, or still queued when the center closed (not "
       "abandoned)", "unreached"),
    Kpi("abandon_rate", "Abandonment", "share", -1, "abandoned / offered", "abandoned", "offered",
       "callers who hung up waiting"),
    Kpi("block_rate", "Blocking", "share", -1, "blocked / offered", "blocked", "offered",
       "callers who got a busy signal"),
    Kpi("service_level", "Service level, first queue ({thr} s)", "share", +1,
       "as the ACD sees it: answered contacts whose first answer came within `sl_threshold` of reaching the "
       "first queue, / offered (abandons count as misses)", "within_sl", "offered", "answered within {thr} s"),
    Kpi("service_level_caller", "Service level, whole wait ({thr} s)", "share", +1,
       "as the caller lives it: answered contacts whose queue time over all legs (the wait after a cold transfer "
       "and a warm hold included) is within `sl_threshold`, / offered", "within_sl_caller", "offered",
       "whole wait within {thr} s"),
    Kpi("asa", "ASA, first queue", "seconds", -1, "mean wait to the first answer, over answered contacts",
       "first_wait_sum", "answered", "average wait for an agent"),
    Kpi("asa_caller", "ASA, whole wait", "seconds", -1,
       "mean queue time over all legs (warm holds included), over answered contacts", "wait_answered_sum",
       "answered", "all the waiting of an answered call"),
    Kpi("mean_wait", "Mean wait", "seconds", -1, "mean total queue time over offered contacts, abandoned included",
       "wait_sum", "offered"),
    Kpi("p_wait", "Share who waited", "share", -1, "share of offered contacts that waited at all", "waited", "offered"),
    Kpi("occupancy", "Occupancy", "share", 0,
       "busy agent time / present agent time (agents finishing a call after their shift count as present; agents on "
       "a break do not)",
       "busy", "staffed", "share of agent time busy"),
    Kpi("transfers_per_call", "Transfers per call", "per call", -1, "cold transfers per offered contact",
       "transfers", "offered"),
    Kpi("handoffs_per_call", "Handoffs per call", "per call", -1, "warm handoffs per offered contact",
       "handoffs", "offered"),
    Kpi("passed_per_call", "Passed on per call", "per call", -1,
       "transfers + handoffs per offered contact", "transfers+handoffs", "offered", "transfers + handoffs per call"),
    Kpi("reexplanations_per_call", "Re-explanations per call", "per call", -1,
       "stories told again (after a cold transfer) per offered contact", "reexplanations", "offered",
       "stories told again, per call"),
    Kpi("fcr", "First-contact resolution", "share", +1,
       "resolved first contacts / first contacts that reached an agent (abandoned first contacts are counted "
       "apart, in `first_contact_abandon_rate`)", "first_resolved", "first_handled",
       "first calls that settle the issue"),
    Kpi("first_contact_abandon_rate", "First contacts abandoned", "share", -1,
       "first contacts abandoned (before or after an agent) / first contacts", "first_abandoned", "first_contacts"),
    Kpi("mean_time_in_system", "Time in system, all contacts", "seconds", 0,
       "arrival to leaving (survey included), over contacts that ended: quick hang-ups lower it, so read it with "
       "the two below", "time_in_system_sum", "ended", "from dialling to leaving"),
    Kpi("time_in_system_answered", "Time in system, answered", "seconds", -1,
       "arrival to leaving, over answered contacts that ended", "tis_answered_sum", "answered_ended",
       "from dialling to hanging up, answered calls"),
    Kpi("time_in_system_abandoned", "Time in system, abandoned", "seconds", 0,
       "arrival to hanging up, over abandoned contacts", "tis_abandoned_sum", "abandoned_ended",
       "how long those who gave up stayed"),
    Kpi("aht", "AHT", "seconds", 0, "agent-seconds (ACW included) per contact handled by at least one agent",
       "agent_time_sum", "handled"),
    Kpi("cost", "Cost", "money", -1, "present agent-hours (on the phones: breaks are not counted; a roster's pay is `ccsim.roster`'s cost) × `cost_per_hour`", "cost", None, "agent-hours × hourly rate"),
    Kpi("callers", "Callers", "count", 0, "first contacts", "first_contacts"),
    Kpi("repeat_contacts", "Repeat contacts", "count", -1, "redials + callbacks (contacts that are not first)",
       "offered-first_contacts"),
    Kpi("abandoned_after_answer", "Abandoned after answer", "count", -1,
       "contacts that hung up after having been answered (lost in a transfer)", "abandoned_after_answer"),
    Kpi("vhold_offered", "Virtual hold: callback offers", "count", 0,
       "contacts offered a queued callback (virtual hold) on reaching a queue from the IVR", "vhold_offered"),
    Kpi("vhold_accepted", "Virtual hold: callbacks accepted", "count", 0,
       "contacts that accepted the callback offer (hung up, keeping their place in the queue)", "vhold_accepted"),
    Kpi("vhold_completed", "Virtual hold: callbacks completed", "count", 0,
       "accepted callbacks that reached the caller (the caller answered an agent's dial)", "vhold_completed"),
    Kpi("vhold_wait", "Virtual hold: time to callback", "seconds", -1,
       "mean time from accepting the callback to the connection with an agent, over completed callbacks",
       "vhold_wait_sum", "vhold_completed", "from accepting to talking"),
    Kpi("vhold_dial_time", "Virtual hold: agent dialling time", "seconds", 0,
       "agent-seconds spent dialling callbacks, answered or not (busy time: in occupancy)", "vhold_dial_sum"),
    Kpi("dialled", "Outbound: numbers dialled", "count", 0,
       "numbers the outbound dialer dialled (reached customers are the outbound call type's offered contacts; "
       "those who waited were mismatched, those who hung up waiting abandoned)", "dialled"),
)}

#: KPI names in display order
KPIS: tuple[str, ...] = tuple(REGISTRY)


def label(name: str, thr: float | str = 20) -> str:
    """The people's label of a KPI (the name itself for anything outside the registry)."""
    return REGISTRY[name].title(thr) if name in REGISTRY else name


# --------------------------------------------------------------------------- computing
#: each KPI's numerator as (sign, sum) terms, parsed once ("transfers+handoffs" -> (+1, ...), (+1, ...))
_TERMS = {k.name: tuple((-1.0 if sign == "-" else 1.0, name) for sign, name in re.findall(r"([+-]?)([a-z_]+)", k.num))
          for k in REGISTRY.values()}


#: the sums of agent time (not attached to a contact)
AGENT_SUMS = ("busy", "staffed", "cost")
#: KPIs made of contact sums only: those a call type has (by call type tables)
CALLER_KPIS = tuple(n for n, k in REGISTRY.items()
                    if not ({t for _, t in _TERMS[n]} | {k.den}) & set(AGENT_SUMS))


def _value(s: Mapping[str, np.ndarray | float], name: str) -> np.ndarray | float:
    """The numerator of KPI ``name`` over the sums."""
    total = 0.0
    for sign, term in _TERMS[name]:
        total = total + sign * s[term]
    return total


def ratio(num, den):
    """num / den, NaN where the denominator is 0 (scalars or arrays)."""
    if isinstance(num, float) and isinstance(den, float):  # one replication's sums: no numpy round trip
        return num / den if den > 0 else math.nan
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def from_sums(s: Mapping[str, np.ndarray | float], names: tuple[str, ...] | None = None) -> dict:
    """KPIs (all, or ``names``) from window sums (scalars, or arrays for per-interval / per-queue tables)."""
    out = {}
    for name in names or KPIS:
        k = REGISTRY[name]
        num = _value(s, name)
        out[name] = ratio(num, s[k.den]) if k.den else (float(num) if np.ndim(num) == 0 else np.asarray(num, float))
    return out


# --------------------------------------------------------------------------- formatting
def format(name: str, v: float, diff: bool = False) -> str:  # noqa: A001 (the registry's formatter)
    """A KPI value for people (``diff``: a signed difference, shares in percentage points)."""
    return format_unit(REGISTRY[name].unit if name in REGISTRY else None, v, diff)


def format_unit(unit: str | None, v: float, diff: bool = False) -> str:
    """A value of a unit of :data:`UNITS` (None: three decimals) for people."""
    v = float(v)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    sign = "+" if diff else ""
    if unit == "share":
        return f"{100 * v:+.1f} pts" if diff else f"{v:.1%}"
    if unit == "seconds":
        return f"{v:{sign},.1f} s"
    if unit in ("count", "money"):
        return f"{v:{sign},.0f}"
    return f"{v:{sign}.3f}"


# --------------------------------------------------------------------------- statistics
def t_half_width(sd, n, confidence: float = 0.95):
    """Half-width of the Student-t confidence interval of a mean: t(n-1) · sd / √n (NaN where n < 2)."""
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n >= 2, stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2) * sd / np.sqrt(np.maximum(n, 1)),
                       np.nan)
    return float(out) if out.ndim == 0 else out


def _clean(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[~np.isnan(x)]


def mean_ci(x, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, ci_low, ci_high, n) of a sample, NaN ignored; the interval is NaN with fewer than 2 values."""
    x = _clean(x)
    n = x.size
    mean = float(x.mean()) if n else float("nan")
    half = t_half_width(x.std(ddof=1), n, confidence) if n >= 2 else float("nan")
    return mean, mean - half, mean + half, n


def clear(ci_low: float, ci_high: float) -> bool:
    """A difference is clear when its confidence interval excludes zero (never without an interval)."""
    return bool(ci_low > 0 or ci_high < 0)  # False when either end is NaN


def summarize(kpis: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One row per KPI column: mean over replications and a Student-t confidence interval."""
    rows = {}
    for name in kpis.columns:
        m, lo, hi, n = mean_ci(kpis[name].to_numpy(dtype=float), confidence)
        rows[name] = {"mean": m, "ci_low": lo, "ci_high": hi, "reps": n}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "ci_low", "ci_high", "reps"])


def paired_difference(kpis_a: pd.DataFrame, kpis_b: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """B minus A per KPI, paired by replication (common random numbers), with a Student-t interval.

    Pairing removes the demand noise both designs share, so the interval is far narrower than comparing
    two independent summaries.
    """
    common = kpis_a.index.intersection(kpis_b.index)
    rows = {}
    for name in kpis_a.columns:
        if name not in kpis_b.columns:
            continue
        d = kpis_b.loc[common, name].to_numpy(dtype=float) - kpis_a.loc[common, name].to_numpy(dtype=float)
        m, lo, hi, n = mean_ci(d, confidence)
        rows[name] = {"diff": m, "ci_low": lo, "ci_high": hi, "reps": n}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["diff", "ci_low", "ci_high", "reps"])


def unpaired_difference(kpis_a: pd.DataFrame, kpis_b: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """B minus A per KPI for independent samples (different seeds or demand): Welch's t interval."""
    rows = {}
    for name in kpis_a.columns:
        if name not in kpis_b.columns:
            continue
        x, y = _clean(kpis_a[name]), _clean(kpis_b[name])
        d = float(y.mean() - x.mean()) if x.size and y.size else float("nan")
        half = float("nan")
        if x.size >= 2 and y.size >= 2:
            vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
            se = math.sqrt(vx + vy)
            if se > 0:
                dof = (vx + vy) ** 2 / (vx ** 2 / (x.size - 1) + vy ** 2 / (y.size - 1))
                half = float(stdtrit(dof, 0.5 + confidence / 2) * se)
            else:
                half = 0.0
        rows[name] = {"diff": d, "ci_low": d - half, "ci_high": d + half, "reps": min(x.size, y.size)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["diff", "ci_low", "ci_high", "reps"])
