""":func:`calibrate`: every estimate a ccsim scenario needs, from a call log, each with its sample size and
confidence interval, gathered in a :class:`Calibration` that writes the scenario (a dict, or TOML text with a
comment on every figure) and a summary table."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..calllog import CallLog
from ..config import Scenario, scenario_from_dict
from ..errors import CallLogError, OptionError
from ..limits import check_name, safe_name, shown
from .arrivals import (DAY_TYPES, WEEKDAYS, arrival_profile, arrival_rows, busyness, count_first_contacts, day_labels,
                       weekend_test)
from .common import (Estimate, as_log, check_choice, check_confidence, check_interval, check_seconds, day_clock,
                     estimates_frame, n_intervals, safe_label)
from .durations import HANDLE_LAWS, handle_rows, handle_times, ivr_rows, ivr_times
from .patience import patience, patience_rows
from .repeats import FIRST, mark_repeats, max_attempts, repeat_estimates, repeat_rows
from .scenario import build, to_toml
from .staffing import TARGET_OCCUPANCY, agent_groups, given_staffing, load_staffing, presence, staffing_rows


@dataclass
class Calibration:
    """Every estimate calibrated from a call log, with sample sizes and confidence intervals; writes a scenario."""

    source: str                       # where the log came from
    format: str                       # the log's format
    n_calls: int                      # calls in the log
    name: str                         # the scenario's name
    interval: float                   # seconds per interval of the day
    confidence: float                 # of every interval
    day_type: str                     # the partition of days used: "all", "weekday-weekend" or "each-weekday"
    day_type_requested: str           # as asked ("auto" lets the weekend test choose)
    day_type_test: dict               # the weekend test: statistic, p_value, dispersion, method, differ
    day: str                          # the day type the scenario describes by default
    days: pd.DataFrame                # one row per day of the log: day, weekday, day_type, calls, first_contacts
    call_types: list[str]             # as in the log, busiest first
    modelled: list[str]               # those with calls reaching a queue (answered or abandoned): the scenario's
    labels: dict[str, str]            # call type -> its name in the scenario (safe for ccsim)
    arrivals: pd.DataFrame            # expected first contacts per day type, call type and interval, with intervals
    offered: pd.DataFrame             # mean contacts offered to a queue (repeats included), same keys
    busyness: pd.DataFrame            # day-to-day overdispersion per day type
    handle: pd.DataFrame              # handle-time fits per call type (and mean per call type and agent group)
    handle_laws: dict[str, dict]      # call type -> ccsim distribution of talk
    patience_fits: dict[str, dict]    # call type -> every patience fit, Kaplan-Meier checks, balking
    patience_laws: dict[str, dict | None]  # call type -> ccsim distribution of patience (None: never hangs up)
    ivr: pd.DataFrame                 # IVR time and IVR-only calls per call type ("" = all)
    repeats: pd.DataFrame             # redial and return probabilities and delays per call type
    has_customer_ids: bool
    max_attempts: int
    redial_window: float
    groups: dict[str, list[str]]      # agent group -> call types served
    group_sizes: dict[str, int]       # agent group -> agents seen
    staffing: pd.DataFrame            # agents per day type, group and interval (mean, interval, rounded up)
    staffing_source: str              # "agents" (from the log), "given" or "load" (offered load at 85% occupancy)
    sl_threshold: float
    balk_threshold: float
    handle_law: str
    notes: list[str] = field(default_factory=list)
    estimates: list[Estimate] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"Calibration({self.source}: {self.n_calls:,} calls, {len(self.days)} days, day types {self.day_type}, "
                f"call types {', '.join(self.call_types)}, {len(self.estimates)} estimates)")

    # ------------------------------------------------------------------------------------------ views
    def day_types(self) -> list[str]:
        """The day types of this calibration, in order."""
        return list(dict.fromkeys(self.days["day_type"]))

    def _day(self, day: str | None) -> str:
        day = self.day if day is None else day
        if day not in self.day_types():
            raise OptionError("day", f"{shown(day)} is not a day type of this calibration ({self.day_type})",
                              f"use one of {', '.join(self.day_types())}")
        return day

    def handle_mean(self, call_type: str) -> float:
        """Mean handle time of a call type (of every answered call when it has none)."""
        h = self.handle[(self.handle["group"] == "") & (self.handle["call_type"] == call_type)]
        v = float(h["mean"].iloc[0]) if len(h) and "mean" in h and math.isfinite(h["mean"].iloc[0]) else float("nan")
        return v if math.isfinite(v) else float(self.pooled_handle_law()["mean"])

    def pooled_handle_law(self) -> dict:
        """An exponential law with the mean handle time of every answered call (for call types without any)."""
        h = self.handle[(self.handle["group"] == "") & self.handle["n"].gt(0)]
        n = h["n"].to_numpy(float)
        m = h["sample_mean"].to_numpy(float) if "sample_mean" in h else np.array([])
        ok = np.isfinite(m)
        return {"dist": "exponential", "mean": float(np.average(m[ok], weights=n[ok])) if ok.any() else 1.0}

    def patience(self) -> pd.DataFrame:
        """Patience per call type: the chosen law, every fit's parameters, AIC and gap to Kaplan-Meier, balking."""
        rows = []
        for c, fit in self.patience_fits.items():
            row = {"call_type": c, "queued": fit["queued"], "abandoned": fit["abandoned"],
                   "censored_share": fit["censored_share"], "balk_share": fit["balk_share"], "law": fit["chosen"],
                   "km_median": fit.get("km_median", np.nan)}
            for law, f in fit["fits"].items():
                for k, v in f.items():
                    if isinstance(v, (float, int, np.floating)) and k not in ("k",):
                        row[f"{law}_{k}"] = float(v)
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """Every estimate, one row each: topic, day type, call type, name, value, interval, sample size, method."""
        return estimates_frame(self.estimates)

    def scenario_dict(self, day: str | None = None) -> dict:
        """The calibrated scenario of one day type (default: :attr:`day`) as a dict for ``ccsim.scenario_from_dict``."""
        return build(self, self._day(day)).data

    def scenario(self, day: str | None = None) -> Scenario:
        """The calibrated scenario of one day type, validated."""
        return scenario_from_dict(self.scenario_dict(day))

    def to_toml(self, day: str | None = None) -> str:
        """The calibrated scenario of one day type as TOML text ``ccsim run`` accepts, with a comment on every figure
        saying where it came from (sample size, confidence interval, method)."""
        return to_toml(build(self, self._day(day)))


# --------------------------------------------------------------------------- calibrate
def calibrate(log: CallLog, interval: float = 1800, day_type: str = "auto", handle_law: str = "auto",
              confidence: float = 0.95, *, day: str | None = None, redial_window: float = 86400.0,
              balk_threshold: float = 1.0, sl_threshold: float = 20.0, staffing: dict | None = None,
              name: str | None = None) -> Calibration:
    """Calibrate a ccsim scenario from a call log: arrivals by interval and day type, day-to-day overdispersion,
    handle time, patience (censored), IVR time, redials and returns, agent groups and staffing.

    ``day_type``: how days are pooled ("auto": weekday-weekend when weekends differ at 1%, else all); ``day``: the
    day type the scenario describes (default "weekday" when there are weekdays, else the first); ``handle_law``:
    "auto" (by AIC) or a law; ``redial_window``: seconds after a call within which the customer's next call is a
    repeat; ``balk_threshold``: abandonments faster than this are reported as balking; ``staffing``: group (or
    call type) -> agents, one per interval, to use instead of the agents seen in the log."""
    log = as_log(log)
    interval = check_interval(interval)
    check_choice("day_type", day_type, DAY_TYPES)
    check_choice("handle_law", handle_law, HANDLE_LAWS)
    confidence = check_confidence(confidence)
    redial_window = check_seconds("redial_window", redial_window, 0, 1e9, strict=True)
    balk_threshold = check_seconds("balk_threshold", balk_threshold)
    sl_threshold = check_seconds("sl_threshold", sl_threshold)
    if name is not None:
        check_name("name", name)
    f = log.frame
    codes = f["outcome"].cat.codes.to_numpy()
    if not (codes == 0).any():
        raise CallLogError(log.source, "has no answered calls: handle times cannot be calibrated",
                           "give a log with answered calls")
    counts = f["call_type"].value_counts()
    call_types = sorted(counts.index.astype(str), key=lambda c: (-int(counts[c]), c))
    taken: set[str] = set()
    labels = {c: safe_label(c, taken) for c in call_types}
    reached = set(f.loc[codes <= 1, "call_type"].astype(str))
    modelled = [c for c in call_types if c in reached]
    notes = [f"call type {c!r} is named {labels[c]!r} in the scenario" for c in modelled if labels[c] != c]
    notes += [f"call type {c!r} never reached a queue (IVR-only or blocked calls): reported, not in the scenario"
              for c in call_types if c not in reached]

    # days and first contacts
    slots = n_intervals(interval)
    day_idx, slot, starts, dates = day_clock(log, interval)
    weekday = pd.DatetimeIndex(dates).weekday.to_numpy()
    rep = mark_repeats(log, redial_window)
    offered_mask = codes <= 1                                  # answered or abandoned: reached a queue in ccsim's terms
    first = (rep.kind == FIRST) & offered_mask
    c_index = {c: i for i, c in enumerate(call_types)}
    call = f["call_type"].map(c_index).to_numpy(dtype=np.int64)
    n_days = len(starts)
    fc = count_first_contacts(day_idx, call, slot, first, n_days, len(call_types), slots)
    off = count_first_contacts(day_idx, call, slot, offered_mask, n_days, len(call_types), slots)
    totals = fc.sum(axis=(1, 2))
    test = weekend_test(totals, weekday >= 5)
    chosen = day_type if day_type != "auto" else ("weekday-weekend" if test["differ"] else "all")
    lab = day_labels(weekday, chosen)
    days = pd.DataFrame({"day": dates, "weekday": weekday, "day_type": lab,
                         "calls": np.bincount(day_idx, minlength=n_days), "first_contacts": totals})
    present = list(dict.fromkeys(lab))
    if day is None:
        day = "weekday" if "weekday" in present else next((w for w in WEEKDAYS[:5] if w in present), present[0])
    elif day not in present:
        raise OptionError("day", f"{shown(day)} is not a day type of this log under day_type={chosen!r}",
                          f"use one of {', '.join(present)}")
    profile = arrival_profile(fc, lab, call_types, interval, confidence)
    offered = arrival_profile(off, lab, call_types, interval, confidence)
    busy = busyness(totals, lab, confidence)

    # agents, durations, patience, repeats
    has_agents = bool(f["agent"].notna().any())
    group_of, groups, note = agent_groups(f, modelled) if has_agents else ({}, {}, "")
    if note:
        notes.append(note)
    handle, laws = handle_times(f, call_types, confidence, handle_law, group_of or None)
    pat_fits, pat_laws = patience(f, call_types, confidence, balk_threshold)
    ivr = ivr_times(f, call_types, confidence)
    reps = repeat_estimates(log, rep, call_types, confidence)
    if staffing is not None:
        if not groups:
            groups = {f"agents_{labels[c]}": [c] for c in modelled}
        st = given_staffing(staffing, list(groups), present, interval, slots)
        source = "given"
    elif has_agents:
        st = presence(f, day_idx, starts, lab, group_of, groups, interval, slots, confidence)
        source = "agents"
    else:
        groups = {f"agents_{labels[c]}": [c] for c in modelled}
        per_type = handle[handle["group"] == ""].set_index("call_type")
        means = per_type["mean"].reindex(call_types) if "mean" in per_type else pd.Series(np.nan, index=call_types)
        n = per_type["n"].reindex(call_types).fillna(0)
        pooled = float(np.average(means.fillna(0), weights=n)) if means.notna().any() and n.sum() else 0.0
        st = load_staffing(offered[offered["call_type"].isin(modelled)], means.fillna(pooled).to_dict(), interval,
                           slots)
        st["group"] = st["group"].map({f"agents_{c}": f"agents_{labels[c]}" for c in call_types})
        source = "load"
        notes.append(f"no agent column: staffing is the offered load at {TARGET_OCCUPANCY:.0%} occupancy, rounded up")
    sizes = pd.Series(list(group_of.values()), dtype=object).value_counts().to_dict() if group_of else {}

    cal = Calibration(
        source=log.source, format=log.format, n_calls=len(f), name=name or safe_name(f"calibrated {_stem(log.source)}"),
        interval=interval, confidence=confidence, day_type=chosen, day_type_requested=day_type, day_type_test=test,
        day=day, days=days, call_types=call_types, modelled=modelled, labels=labels, arrivals=profile, offered=offered,
        busyness=busy,
        handle=handle, handle_laws=laws, patience_fits=pat_fits, patience_laws=pat_laws, ivr=ivr, repeats=reps,
        has_customer_ids=rep.has_ids, max_attempts=max_attempts(rep), redial_window=redial_window, groups=groups,
        group_sizes=sizes, staffing=st, staffing_source=source, sl_threshold=sl_threshold,
        balk_threshold=balk_threshold, handle_law=handle_law, notes=notes)
    cal.estimates = (arrival_rows(profile, busy, test, chosen, day_type) + handle_rows(handle) +
                     patience_rows(pat_fits, balk_threshold) + ivr_rows(ivr) + repeat_rows(reps, rep) +
                     staffing_rows(st))
    return cal


def _stem(source: str) -> str:
    """A log's file name without folders or extension ("" for a frame)."""
    if source.startswith("<"):
        return ""
    return source.replace("\\", "/").rsplit("/", 1)[-1].split(".")[0]
