"""What every estimator of :mod:`ccsim.calibrate` shares: the :class:`Estimate` record, argument checks, the
confidence intervals they use (Student t, Poisson, binomial, chi-square for exponential means), names made
safe for a scenario, and the day's clock (interval of the day, day of the log)."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..calllog import CallLog, call_log_from_frame
from ..errors import OptionError
from ..kpis import t_half_width
from ..limits import BAD_LABEL, DAY, MAX_LABEL, MIN_INTERVAL, shown


@dataclass(frozen=True)
class Estimate:
    """One calibrated figure: its value, confidence interval, sample size and how it was obtained."""

    topic: str          # "arrivals", "busyness", "handle", "patience", "ivr", "redial", "return", "staffing", ...
    name: str           # what is estimated ("mean", "cv", "shape", "volume 08:00", ...)
    value: float
    ci_low: float
    ci_high: float
    n: int              # the sample it rests on (calls, waits, days: said in ``method``)
    method: str         # how, in a few words
    call_type: str = ""  # "" when it concerns every call type
    day_type: str = ""   # "" when it concerns every day


def estimates_frame(rows: list[Estimate]) -> pd.DataFrame:
    """Estimates as a table, one row each, in the order given."""
    cols = ["topic", "day_type", "call_type", "name", "value", "ci_low", "ci_high", "n", "method"]
    return pd.DataFrame([{c: getattr(e, c) for c in cols} for e in rows], columns=cols)


# --------------------------------------------------------------------------- arguments
def as_log(log) -> CallLog:
    """A CallLog as given, or one made from a DataFrame in the generic format."""
    if isinstance(log, CallLog):
        return log
    if isinstance(log, pd.DataFrame):
        return call_log_from_frame(log)
    raise OptionError("log", f"must be a ccsim.calllog.CallLog (got {type(log).__name__})",
                      "read one with ccsim.calllog.read_call_log or call_log_from_frame")


def check_confidence(confidence) -> float:
    """``confidence`` as a float strictly between 0 and 1."""
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real) or not 0 < confidence < 1:
        raise OptionError("confidence", f"must be a number between 0 and 1 (got {shown(confidence)})",
                          "give e.g. 0.95")
    return float(confidence)


def check_seconds(name: str, value, low: float = 0.0, high: float = 1e9, strict: bool = False) -> float:
    """A finite number of seconds in [low, high] ((low, high] when ``strict``)."""
    ok = (not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
          and (value > low if strict else value >= low) and value <= high)
    if not ok:
        word = ">" if strict else ">="
        raise OptionError(name, f"must be a number of seconds {word} {low:g} and <= {high:g} (got {shown(value)})",
                          f"give a number of seconds from {low:g} to {high:g}")
    return float(value)


def check_interval(interval) -> float:
    """The interval length: at least a minute, at most a day."""
    return check_seconds("interval", interval, MIN_INTERVAL, DAY)


def check_choice(name: str, value, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise OptionError(name, f"{shown(value)} is not one of {', '.join(choices)}",
                          f"use one of {', '.join(choices)}")
    return value


# --------------------------------------------------------------------------- intervals
def t_ci(mean: np.ndarray, sd: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval of a mean (NaN where n < 2)."""
    half = np.asarray(t_half_width(sd, n, confidence), dtype=float)
    return mean - half, mean + half


def poisson_ci(count: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval of a Poisson mean from one observed count."""
    a = 1 - confidence
    count = np.asarray(count, dtype=float)
    lo = np.where(count > 0, stats.chi2.ppf(a / 2, 2 * np.maximum(count, 1e-300)) / 2, 0.0)
    hi = stats.chi2.ppf(1 - a / 2, 2 * count + 2) / 2
    return lo, hi


def binom_ci(k: float, n: float, confidence: float) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a proportion k / n."""
    if n <= 0:
        return float("nan"), float("nan")
    a = 1 - confidence
    lo = 0.0 if k <= 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k >= n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def exp_mean_ci(total: float, events: float, confidence: float) -> tuple[float, float, float]:
    """Mean, and its exact interval, of an exponential time from ``events`` ends observed over ``total`` time
    at risk (censored times count in ``total``): the rate's chi-square interval, inverted."""
    if events <= 0 or total <= 0:
        return float("nan"), float("nan"), float("nan")
    a = 1 - confidence
    rate_lo = stats.chi2.ppf(a / 2, 2 * events) / (2 * total)
    rate_hi = stats.chi2.ppf(1 - a / 2, 2 * events + 2) / (2 * total)
    return total / events, 1 / rate_hi, 1 / rate_lo


def exp_mean_ci_complete(total: float, n: float, confidence: float) -> tuple[float, float, float]:
    """Mean, and its exact interval, of an exponential time from n complete observations summing to ``total``
    (2 total / mean is chi-square on 2n degrees of freedom)."""
    if n <= 0 or total <= 0:
        return float("nan"), float("nan"), float("nan")
    a = 1 - confidence
    return total / n, 2 * total / stats.chi2.ppf(1 - a / 2, 2 * n), 2 * total / stats.chi2.ppf(a / 2, 2 * n)


def z_of(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


# --------------------------------------------------------------------------- names and clock
def safe_label(name: str, taken: set[str]) -> str:
    """A call type or group name a scenario accepts (no '|', ':' or control character, at most 128
    characters), distinct from those ``taken``."""
    base = BAD_LABEL.sub("_", str(name))[:MAX_LABEL] or "_"
    out, i = base, 2
    while out in taken:
        suffix = f"_{i}"
        out, i = base[: MAX_LABEL - len(suffix)] + suffix, i + 1
    taken.add(out)
    return out


def n_intervals(interval: float) -> int:
    """Intervals of a day (the last may be shorter)."""
    return max(1, math.ceil(DAY / interval - 1e-9))


def clock(seconds: float) -> str:
    """Seconds since midnight as hh:mm."""
    m = int(round(seconds / 60))
    return f"{m // 60:02d}:{m % 60:02d}"


def day_clock(log: CallLog, interval: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(day index of every call, interval of the day of its arrival, each day's start in log seconds, each
    day as a date): days are the calendar days holding calls, in order."""
    f = log.frame
    day_ns = f["day"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    days, idx = np.unique(day_ns, return_inverse=True)
    starts = (days - log.origin.value) / 1e9
    tod = f["arrival"].to_numpy(dtype=float) - starts[idx]
    slot = np.clip(np.floor(tod / interval), 0, n_intervals(interval) - 1).astype(np.int64)
    return idx.astype(np.int64), slot, starts, days.astype("datetime64[ns]")


def fmt(v: float | None, digits: int = 4) -> str:
    """A figure for a comment: ``digits`` significant digits, thousands separated, no trailing zeros."""
    if v is None or not math.isfinite(v):
        return "–" if v is None or math.isnan(v) else ("∞" if v > 0 else "-∞")
    v = float(v)
    if abs(v) < 1e-9:                      # round-off (the sd of a constant IVR time)
        return "0"
    if abs(v) >= 1e9 or abs(v) < 1e-3:
        return f"{v:.{digits - 1}e}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(v)))))
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def pvalue(p: float) -> str:
    """A p-value for people."""
    if not math.isfinite(p):
        return "–"
    return "p < 1e-12" if p < 1e-12 else f"p = {p:.2g}"


__all__ = ["Estimate", "estimates_frame", "as_log", "check_confidence", "check_seconds", "check_interval",
           "check_choice", "t_ci", "poisson_ci", "binom_ci", "exp_mean_ci", "exp_mean_ci_complete", "z_of",
           "safe_label", "n_intervals", "clock", "day_clock", "fmt", "pvalue"]
