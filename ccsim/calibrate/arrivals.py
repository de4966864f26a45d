"""Arrivals: first contacts per interval of the day and call type, by day type, with their day-to-day
overdispersion (ccsim's ``busyness_cv``).

Day types: ``all`` pools every day; ``weekday-weekend`` splits Monday-Friday from Saturday-Sunday;
``each-weekday`` keeps the seven days apart; ``auto`` picks ``weekday-weekend`` when weekends differ (the
quasi-Poisson likelihood-ratio test of :func:`weekend_test` at 1%), else ``all``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .common import Estimate, clock, fmt, poisson_ci, pvalue, t_ci

DAY_TYPES = ("auto", "all", "weekday-weekend", "each-weekday")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: the level of the weekend test of ``day_type="auto"`` and of the overdispersion test of busyness_cv
WEEKEND_LEVEL, DISPERSION_LEVEL = 0.01, 0.05


def day_labels(weekday: np.ndarray, day_type: str) -> np.ndarray:
    """The day type of each day (weekday: Monday = 0) under a partition other than "auto"."""
    weekday = np.asarray(weekday, dtype=np.int64)
    if day_type == "all":
        return np.full(len(weekday), "all", dtype=object)
    if day_type == "weekday-weekend":
        return np.where(weekday < 5, "weekday", "weekend").astype(object)
    return np.asarray(WEEKDAYS, dtype=object)[weekday]


def weekend_test(totals: np.ndarray, weekend: np.ndarray) -> dict:
    """Do weekends differ? Quasi-Poisson likelihood-ratio test on daily first-contact totals.

    The Poisson log-likelihood ratio of one mean per group (weekday, weekend) against one common mean,
    LR = 2 sum_g S_g log(mean_g / mean), is chi-square with 1 degree of freedom for Poisson days; days also
    vary beyond Poisson (busyness), so LR is divided by the dispersion phi = Pearson X^2 / (days - 2) of the
    two-mean model when phi > 1 and referred to F(1, days - 2) (quasi-likelihood); otherwise to chi-square(1).
    """
    y = np.asarray(totals, dtype=float)
    w = np.asarray(weekend, dtype=bool)
    n = len(y)
    out = {"statistic": np.nan, "p_value": np.nan, "dispersion": np.nan, "days": n, "weekend_days": int(w.sum()),
           "weekday_mean": float(y[~w].mean()) if (~w).any() else np.nan,
           "weekend_mean": float(y[w].mean()) if w.any() else np.nan, "differ": False,
           "method": "quasi-Poisson likelihood-ratio test on daily first-contact totals, weekday vs weekend"}
    if n < 3 or w.all() or not w.any() or y.sum() <= 0:
        out["method"] += ": not run (needs weekday and weekend days, 3 or more)"
        return out
    mean = y.mean()
    means = np.where(w, y[w].mean(), y[~w].mean())
    lr = 2 * sum(s * np.log(m / mean) for s, m in ((y[w].sum(), y[w].mean()), (y[~w].sum(), y[~w].mean())) if s > 0)
    phi = float(np.sum((y - means) ** 2 / np.where(means > 0, means, 1)) / (n - 2)) if n > 2 else 1.0
    if phi > 1:
        p = float(stats.f.sf(lr / phi, 1, n - 2))
        out["method"] += f" (LR / dispersion ~ F(1, {n - 2}))"
    else:
        p = float(stats.chi2.sf(lr, 1))
        out["method"] += " (LR ~ chi-square(1), no overdispersion)"
    out.update(statistic=float(lr), p_value=p, dispersion=phi, differ=bool(p < WEEKEND_LEVEL))
    return out


def count_first_contacts(day: np.ndarray, call: np.ndarray, slot: np.ndarray, first: np.ndarray, n_days: int,
                         n_types: int, n_slots: int) -> np.ndarray:
    """First contacts per (day, call type, interval of the day), as one bincount."""
    key = (day[first] * n_types + call[first]) * n_slots + slot[first]
    return np.bincount(key, minlength=n_days * n_types * n_slots).reshape(n_days, n_types, n_slots)


def arrival_profile(counts: np.ndarray, labels: np.ndarray, call_types: list[str], interval: float,
                    confidence: float) -> pd.DataFrame:
    """Expected first contacts per interval, call type and day type: the mean over the days of that type, with a
    Student-t interval over days (it includes the day-to-day variation); where every day has the same count (or
    there is one day) the exact Poisson interval of the total, divided by the days."""
    parts = []
    n_slots = counts.shape[2]
    for lab in dict.fromkeys(labels):
        sel = counts[labels == lab].astype(float)              # days x types x slots
        n = sel.shape[0]
        mean = sel.mean(axis=0)
        sd = sel.std(axis=0, ddof=1) if n >= 2 else np.zeros_like(mean)
        lo, hi = t_ci(mean, sd, np.full(mean.shape, n), confidence)
        plo, phi = poisson_ci(sel.sum(axis=0), confidence)
        use_t = (n >= 2) & (sd > 0)
        lo = np.where(use_t, np.maximum(lo, 0.0), plo / n)
        hi = np.where(use_t, hi, phi / n)
        for c, name in enumerate(call_types):
            parts.append(pd.DataFrame({
                "day_type": lab, "call_type": name, "interval": np.arange(n_slots),
                "start": np.arange(n_slots) * interval, "mean": mean[c], "ci_low": lo[c], "ci_high": hi[c],
                "sd": sd[c], "days": n,
                "method": np.where(use_t[c], "t over days", "Poisson (Garwood) / days")}))
    return pd.concat(parts, ignore_index=True)


def busyness(totals: np.ndarray, labels: np.ndarray, confidence: float) -> pd.DataFrame:
    """Day-to-day overdispersion of daily first-contact totals, per day type.

    A gamma-mixed Poisson day total N has Var(N) = m + cv^2 m^2, so cv^2 = (s^2 - m) / m^2 (method of moments,
    clipped at 0); the interval comes from the chi-square interval of s^2 (days as a normal sample; m taken as
    known). The dispersion index (days - 1) s^2 / m is chi-square(days - 1) for Poisson days: ``needed`` when it
    rejects at 5% (upper tail); otherwise the scenario's busyness_cv is 0."""
    rows = []
    a = 1 - confidence
    for lab in dict.fromkeys(labels):
        y = np.asarray(totals[labels == lab], dtype=float)
        n, m = len(y), float(y.mean())
        row = {"day_type": lab, "days": n, "mean": m, "var": np.nan, "dispersion_index": np.nan, "p_value": np.nan,
               "cv": 0.0, "cv_low": np.nan, "cv_high": np.nan, "needed": False}
        if n >= 3 and m > 0:
            s2 = float(y.var(ddof=1))
            d = (n - 1) * s2 / m
            p = float(stats.chi2.sf(d, n - 1))
            s2_lo = (n - 1) * s2 / stats.chi2.ppf(1 - a / 2, n - 1)
            s2_hi = (n - 1) * s2 / stats.chi2.ppf(a / 2, n - 1)
            cv = lambda v: float(np.sqrt(max(0.0, (v - m) / m**2)))  # noqa: E731
            row.update(var=s2, dispersion_index=d, p_value=p, cv=cv(s2), cv_low=cv(s2_lo), cv_high=cv(s2_hi),
                       needed=bool(p < DISPERSION_LEVEL))
        rows.append(row)
    return pd.DataFrame(rows)


def arrival_rows(profile: pd.DataFrame, busy: pd.DataFrame, test: dict, chosen: str, requested: str) -> list[Estimate]:
    """The arrival, busyness and day-type estimates as :class:`Estimate` records."""
    why = {"auto": f"chosen by the weekend test at {WEEKEND_LEVEL:.0%}", "all": "as asked",
           "weekday-weekend": "as asked", "each-weekday": "as asked"}[requested]
    out = [Estimate("day_type", f"weekends differ ({chosen}, {why})", test["p_value"], np.nan, np.nan, test["days"],
                    test["method"] + f": LR {fmt(test['statistic'])}, dispersion {fmt(test['dispersion'])}, "
                    f"{pvalue(test['p_value'])}; weekday mean {fmt(test['weekday_mean'])}, weekend mean "
                    f"{fmt(test['weekend_mean'])} first contacts a day (value: the p-value)")]
    for r in busy.itertuples():
        out.append(Estimate("busyness", "cv", r.cv, r.cv_low, r.cv_high, r.days,
                            f"method of moments on {r.days} daily first-contact totals (cv^2 = (s^2 - m) / m^2); "
                            f"dispersion index {fmt(r.dispersion_index)} on {r.days - 1} df, {pvalue(r.p_value)}: "
                            + ("needed" if r.needed else "not needed at 5%, busyness_cv = 0"), day_type=r.day_type))
    for r in profile.itertuples():
        out.append(Estimate("arrivals", f"volume {clock(r.start)}", r.mean, r.ci_low, r.ci_high, r.days,
                            f"first contacts per interval, mean over days; {r.method}", r.call_type, r.day_type))
    return out
