"""Handle time (end - answer of answered calls) and IVR time (queue_enter - arrival of calls that queued).

ACD logs do not separate talk from after-call work: the whole handle time goes into ccsim's ``talk`` and
``acw`` is 0. Three laws are fitted by maximum likelihood (closed forms, and Newton's method for the gamma
shape) and the one with the smallest AIC = 2 k - 2 log L is chosen (exponential below ``MIN_FIT`` calls); a
Kolmogorov-Smirnov distance says how well it fits (its p-value is optimistic: the parameters were fitted to the
same data).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special, stats

from .common import Estimate, exp_mean_ci_complete, fmt, pvalue, t_ci, z_of

HANDLE_LAWS = ("auto", "lognormal", "gamma", "exponential", "empirical")
FITTED = ("lognormal", "gamma", "exponential")
#: values an empirical handle-time law keeps at most (evenly spaced order statistics)
MAX_EMPIRICAL = 10_000
#: answered calls needed before two-parameter laws can be chosen (else exponential)
MIN_FIT = 10
#: ccsim's bounds on a fitted cv (distributions.MIN_CV, MAX_CV) and on a mean
CV_RANGE, MAX_MEAN = (1e-6, 100.0), 1e9


def fit_lognormal(x: np.ndarray, confidence: float) -> dict:
    """Lognormal MLE (mean and sd of log x, ddof 0) as ccsim's mean and cv, with intervals: Cox's for the mean
    (var of log mean = s^2/n + s^4 / (2 (n - 1))), the chi-square interval of s^2 for the cv."""
    y = np.log(x)
    n = len(y)
    mu, s2 = float(y.mean()), float(y.var())
    ll = -float(y.sum()) - n / 2 * math.log(2 * math.pi * max(s2, 1e-300)) - n / 2
    mean = math.exp(min(mu + s2 / 2, 700.0))
    se = math.sqrt(s2 / n + s2**2 / (2 * max(n - 1, 1)))
    z, a = z_of(confidence), 1 - confidence
    s2_lo, s2_hi = n * s2 / stats.chi2.ppf(1 - a / 2, n - 1), n * s2 / stats.chi2.ppf(a / 2, n - 1)
    cv = lambda v: math.sqrt(math.expm1(min(v, 700.0)))  # noqa: E731
    return {"law": "lognormal", "k": 2, "loglik": ll, "mean": mean, "mean_low": mean * math.exp(-z * se),
            "mean_high": mean * math.exp(z * se), "cv": cv(s2), "cv_low": cv(s2_lo), "cv_high": cv(s2_hi),
            "cdf": lambda t: stats.norm.cdf((np.log(t) - mu) / math.sqrt(s2))}


def fit_gamma(x: np.ndarray, confidence: float) -> dict:
    """Gamma MLE: shape k solves log k - digamma(k) = log(mean x) - mean(log x) (Newton's method); the mean is
    the sample mean; intervals from the Fisher information (var k = k / (n (k trigamma(k) - 1)), on log k)."""
    n, m = len(x), float(x.mean())
    logs = float(np.log(x).mean())
    s = max(math.log(m) - logs, 1e-12)
    k = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(50):
        step = (math.log(k) - special.digamma(k) - s) / (1 / k - special.polygamma(1, k))
        k = max(k - step, k / 10)
        if abs(step) < 1e-12 * k:
            break
    theta = m / k
    ll = (k - 1) * logs * n - n * k - n * k * math.log(theta) - n * special.gammaln(k)
    z = z_of(confidence)
    se_mean = m / math.sqrt(n * k)
    se_logk = math.sqrt(k / (n * max(k * special.polygamma(1, k) - 1, 1e-300))) / k
    cv = 1 / math.sqrt(k)
    return {"law": "gamma", "k": 2, "loglik": float(ll), "mean": m, "mean_low": m - z * se_mean,
            "mean_high": m + z * se_mean, "cv": cv, "cv_low": cv * math.exp(-z * se_logk / 2),
            "cv_high": cv * math.exp(z * se_logk / 2), "cdf": lambda t: special.gammainc(k, t / theta)}


def fit_exponential(x: np.ndarray, confidence: float) -> dict:
    """Exponential MLE (the sample mean) with its exact chi-square interval; cv 1 by definition."""
    n, total = len(x), float(x.sum())
    m, lo, hi = exp_mean_ci_complete(total, n, confidence)
    return {"law": "exponential", "k": 1, "loglik": -n * math.log(m) - n, "mean": m, "mean_low": lo, "mean_high": hi,
            "cv": 1.0, "cv_low": 1.0, "cv_high": 1.0, "cdf": lambda t: -np.expm1(-t / m)}


def ks(x_sorted: np.ndarray, cdf) -> tuple[float, float]:
    """Kolmogorov-Smirnov distance of sorted data to a CDF, and its asymptotic p-value (optimistic when the
    CDF was fitted to the data)."""
    n = len(x_sorted)
    f = cdf(x_sorted)
    i = np.arange(1, n + 1)
    d = float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))
    return d, float(special.kolmogorov(math.sqrt(n) * d))


def empirical_values(x: np.ndarray, m: int = MAX_EMPIRICAL) -> list[float]:
    """At most ``m`` observed values, deterministically: every value, or evenly spaced order statistics."""
    x = np.sort(np.asarray(x, dtype=float))
    if len(x) > m:
        x = x[((np.arange(m) + 0.5) * len(x) / m).astype(np.int64)]
    return [round(float(v), 3) for v in x]


def fit_handle(x: np.ndarray, confidence: float, law: str = "auto") -> dict:
    """Every fit of handle times ``x`` (> 0), the chosen law by AIC (or ``law``), and the chosen fit's KS."""
    fits = {f["law"]: f for f in (fit_lognormal(x, confidence), fit_gamma(x, confidence),
                                  fit_exponential(x, confidence))}
    for f in fits.values():
        f["aic"] = 2 * f["k"] - 2 * f["loglik"]
    best = min(FITTED if len(x) >= MIN_FIT else ("exponential",), key=lambda name: fits[name]["aic"])
    chosen = best if law == "auto" else law
    xs = np.sort(x)
    d, p = ks(xs, fits[best if chosen == "empirical" else chosen]["cdf"])
    return {"fits": fits, "best": best, "chosen": chosen, "ks_d": d, "ks_p": p}


def to_law(fit: dict, x: np.ndarray | None = None) -> dict:
    """A fit as a ccsim distribution table, within ccsim's bounds."""
    mean = float(min(max(fit["mean"], 1e-6), MAX_MEAN))
    if fit["law"] == "exponential":
        return {"dist": "exponential", "mean": mean}
    if fit["law"] == "empirical":
        return {"dist": "empirical", "values": empirical_values(x)}
    return {"dist": fit["law"], "mean": mean, "cv": float(min(max(fit["cv"], CV_RANGE[0]), CV_RANGE[1]))}


def handle_times(frame: pd.DataFrame, call_types: list[str], confidence: float, law: str = "auto",
                 group_of_agent: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Per call type: the three fits, their AIC, the chosen law (a ccsim distribution) and KS; per call type and
    agent group (when agents are known): the mean handle time with a t interval."""
    answered = (frame["outcome"] == "answered").to_numpy()
    h = (frame["end"] - frame["answer"]).to_numpy(dtype=float)
    ct = frame["call_type"].to_numpy(dtype=object)
    rows, laws = [], {}
    for name in call_types:
        x = h[answered & (ct == name)]
        zero = int((x <= 0).sum())
        x = x[x > 0]
        if len(x) < 2:
            rows.append({"call_type": name, "group": "", "n": len(x), "zero": zero, "law": None})
            continue
        fit = fit_handle(x, confidence, law)
        chosen = fit["fits"][fit["chosen"]] if fit["chosen"] != "empirical" else \
            {**fit["fits"][fit["best"]], "law": "empirical", "mean": float(x.mean())}
        laws[name] = to_law(chosen, x)
        row = {"call_type": name, "group": "", "n": len(x), "zero": zero, "law": fit["chosen"], "best": fit["best"],
               "mean": chosen["mean"], "mean_low": chosen["mean_low"], "mean_high": chosen["mean_high"],
               "cv": chosen["cv"], "cv_low": chosen["cv_low"], "cv_high": chosen["cv_high"],
               "sample_mean": float(x.mean()), "sample_cv": float(x.std(ddof=1) / x.mean()),
               "ks_d": fit["ks_d"], "ks_p": fit["ks_p"]}
        for lname, f in fit["fits"].items():
            row[f"aic_{lname}"] = f["aic"]
        rows.append(row)
    if group_of_agent:
        grp = frame["agent"].astype(object).map(group_of_agent).fillna("").to_numpy(dtype=object)
        df = pd.DataFrame({"call_type": ct[answered], "group": grp[answered], "h": h[answered]})
        df = df[df["group"] != ""]
        g = df.groupby(["call_type", "group"])["h"].agg(["mean", "std", "count"]).reset_index()
        lo, hi = t_ci(g["mean"].to_numpy(), g["std"].to_numpy(), g["count"].to_numpy(), confidence)
        for r, a, b in zip(g.itertuples(), lo, hi):
            rows.append({"call_type": r.call_type, "group": r.group, "n": int(r.count), "law": "mean only",
                         "mean": r.mean, "mean_low": a, "mean_high": b, "sample_mean": r.mean})
    return pd.DataFrame(rows), laws


def handle_rows(table: pd.DataFrame) -> list[Estimate]:
    """The handle-time estimates as :class:`Estimate` records."""
    out = []
    for r in table.to_dict("records"):
        if r.get("law") is None:
            out.append(Estimate("handle", "mean", np.nan, np.nan, np.nan, r["n"], "fewer than 2 answered calls",
                                r["call_type"]))
            continue
        if r["group"]:
            out.append(Estimate("handle", f"mean, group {r['group']}", r["mean"], r["mean_low"], r["mean_high"], r["n"],
                                "end - answer of answered calls of this group; t interval", r["call_type"]))
            continue
        aic = ", ".join(f"{k} {fmt(r['aic_' + k], 8)}" for k in FITTED)
        how = (f"end - answer of answered calls (talk + after-call work); {r['law']} "
               + (f"by AIC ({aic})" if r["law"] == r["best"] else f"as asked (AIC: {aic})")
               + f"; KS D = {fmt(r['ks_d'], 2)}, {pvalue(r['ks_p'])} (optimistic: fitted parameters)")
        out.append(Estimate("handle", "mean", r["mean"], r["mean_low"], r["mean_high"], r["n"], how, r["call_type"]))
        out.append(Estimate("handle", "cv", r["cv"], r["cv_low"], r["cv_high"], r["n"], how, r["call_type"]))
    return out


def ivr_times(frame: pd.DataFrame, call_types: list[str], confidence: float) -> pd.DataFrame:
    """Per call type and over all: IVR time (queue_enter - arrival of calls that queued; mean and t interval), and
    calls that ended in the IVR (ivr_only) or were blocked, which ccsim does not model: counted, not simulated."""
    qe = frame["queue_enter"].to_numpy(dtype=float)
    d = qe - frame["arrival"].to_numpy(dtype=float)
    queued = ~np.isnan(qe)
    out_codes = frame["outcome"].cat.codes.to_numpy()
    ct = frame["call_type"].to_numpy(dtype=object)
    rows = []
    for name in [*call_types, ""]:
        mine = (ct == name) if name else np.ones(len(ct), bool)
        x = d[mine & queued]
        n = len(x)
        m = float(x.mean()) if n else np.nan
        sd = float(x.std(ddof=1)) if n > 1 else np.nan
        lo, hi = t_ci(np.array(m), np.array(sd), np.array(n), confidence)
        calls = int(mine.sum())
        ivr_only, blocked = int((mine & (out_codes == 2)).sum()), int((mine & (out_codes == 3)).sum())
        rows.append({"call_type": name, "queued": n, "mean": m, "ci_low": float(lo), "ci_high": float(hi), "sd": sd,
                     "calls": calls, "ivr_only": ivr_only, "ivr_only_share": ivr_only / calls if calls else np.nan,
                     "blocked": blocked})
    return pd.DataFrame(rows)


def ivr_rows(table: pd.DataFrame) -> list[Estimate]:
    """The IVR estimates as :class:`Estimate` records."""
    out = []
    for r in table.itertuples():
        out.append(Estimate("ivr", "mean time", r.mean, r.ci_low, r.ci_high, r.queued,
                            "queue_enter - arrival of calls that queued; t interval (ccsim: one deterministic level)",
                            r.call_type))
        out.append(Estimate("ivr", "ivr_only share", r.ivr_only_share, np.nan, np.nan, r.calls,
                            f"{r.ivr_only:,} calls ended in the IVR, {r.blocked:,} were blocked: reported, "
                            "not modelled by ccsim", r.call_type))
    return out


def handle_density(law: str, mean: float, cv: float, x: np.ndarray) -> np.ndarray:
    """The density at ``x`` of a handle-time law as ccsim parametrises it (mean and cv; exponential: mean)."""
    if law == "lognormal":
        s2 = np.log1p(cv**2)
        return stats.lognorm.pdf(x, s=np.sqrt(s2), scale=mean * np.exp(-s2 / 2))
    if law == "gamma":
        return stats.gamma.pdf(x, 1 / cv**2, scale=mean * cv**2)
    return stats.expon.pdf(x, scale=mean)
