"""Patience from censored waits: a caller who queued either abandoned (patience observed: end - queue_enter)
or was answered (patience censored at answer - queue_enter: it was at least that long).

Fits by censored maximum likelihood: exponential in closed form (rate = abandonments / total time waited, with
the exact chi-square interval), lognormal and Weibull by Newton-type optimisation of the censored likelihood
(intervals from the observed information); the law with the smallest AIC is chosen. The Kaplan-Meier estimate
(lifelines) gives the median and the largest gap to each fitted survival curve, a check of the fit. Identical
(time, outcome) pairs are grouped with weights first, so a log of whole seconds fits in milliseconds.

Waits answered at once (0 s) carry no information on patience and are left out; abandonments at 0 s are put at
``MIN_EVENT`` (half an ACD's 1-s clock tick) so that logs can be taken. Callers who hang up at once (within the
balking threshold) are counted apart and stay in the fit as very impatient callers: in a log of whole seconds a
hang-up within a tick cannot be told from a short patience, so the scenario's ``balk_prob`` is left at 0.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .common import Estimate, exp_mean_ci, fmt, z_of

PATIENCE_LAWS = ("exponential", "lognormal", "weibull")
MIN_EVENT = 0.5
#: abandonments needed before two-parameter laws are fitted
MIN_EVENTS_2P = 10
#: Kaplan-Meier is compared with a fit only where this many callers (and 1% of them) are still waiting
MIN_AT_RISK = 20
SHAPE_RANGE, MAX_SECONDS = (0.05, 100.0), 1e9


def censored_waits(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(call type, time in queue, abandoned) of every call that queued and was answered or abandoned."""
    qe = frame["queue_enter"].to_numpy(dtype=float)
    codes = frame["outcome"].cat.codes.to_numpy()
    keep = ~np.isnan(qe) & (codes <= 1)
    abandoned = codes[keep] == 1
    t = np.where(abandoned, frame["end"].to_numpy(dtype=float)[keep], frame["answer"].to_numpy(dtype=float)[keep])
    return frame["call_type"].to_numpy(dtype=object)[keep], t - qe[keep], abandoned


def _grouped(t: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (time, event) pairs and how often each occurs."""
    key = np.stack([t, e.astype(float)], axis=1)
    uniq, counts = np.unique(key, axis=0, return_counts=True)
    return uniq[:, 0], uniq[:, 1].astype(bool), counts.astype(float)


def _information(grad, x: np.ndarray) -> np.ndarray:
    """The observed information (Hessian of the negative log-likelihood) by central differences of its gradient."""
    h = 1e-5 * np.maximum(1.0, np.abs(x))
    cols = []
    for i in range(len(x)):
        d = np.zeros_like(x)
        d[i] = h[i]
        cols.append((grad(x + d) - grad(x - d)) / (2 * h[i]))
    m = np.array(cols)
    return (m + m.T) / 2


def _minimise(nll, x0: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Minimise a negative log-likelihood (value, gradient): BFGS, then Newton steps on the observed information
    until the step is negligible; the optimum, its value and the covariance (the inverse information)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        x = optimize.minimize(nll, x0, jac=True, method="BFGS", options={"gtol": 1e-8, "maxiter": 500}).x
        grad = lambda v: nll(v)[1]  # noqa: E731
        info = _information(grad, x)
        for _ in range(8):
            try:
                step = np.linalg.solve(info, grad(x))
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)) or nll(x - step)[0] > nll(x)[0] + 1e-9 * abs(nll(x)[0]):
                break
            x = x - step
            info = _information(grad, x)
            if np.max(np.abs(step)) < 1e-10:
                break
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full((len(x0), len(x0)), np.nan)
    return x, float(nll(x)[0]), cov


def fit_weibull(t, e, w, confidence: float) -> dict:
    """Censored Weibull MLE in (log scale, log shape); intervals on the log scale (delta method)."""
    u = np.log(t)
    d = float(w[e].sum())
    ue = float((w[e] * u[e]).sum())

    def nll(p):
        a, b = p
        k = math.exp(b)
        z = np.exp(np.clip(k * (u - a), -700, 700))
        wz = w * z
        ll = d * b + (k - 1) * ue - k * a * d - wz.sum()
        ga = -d * k + k * wz.sum()
        gb = d + k * (ue - a * d) - k * float((wz * (u - a)).sum())
        return -ll, -np.array([ga, gb])
    scale0 = float((w * t).sum()) / max(d, 1.0)
    x, f, cov = _minimise(nll, np.array([math.log(scale0), 0.0]))
    z = z_of(confidence)
    se = np.sqrt(np.maximum(np.diag(cov), 0))
    scale, shape = math.exp(x[0]), math.exp(x[1])
    mean = scale * math.gamma(1 + 1 / shape)
    return {"law": "weibull", "k": 2, "loglik": -f, "shape": shape, "shape_low": shape * math.exp(-z * se[1]),
            "shape_high": shape * math.exp(z * se[1]), "scale": scale, "scale_low": scale * math.exp(-z * se[0]),
            "scale_high": scale * math.exp(z * se[0]), "mean": mean,
            "survival": lambda s: np.exp(-(np.asarray(s) / scale) ** shape)}


def fit_lognormal(t, e, w, confidence: float) -> dict:
    """Censored lognormal MLE in (mu, log sigma), as ccsim's mean = exp(mu + s^2/2) and cv = sqrt(exp(s^2) - 1);
    intervals by the delta method on log mean and on s."""
    u = np.log(t)

    def nll(p):
        mu, ls = p
        s = math.exp(ls)
        q = (u - mu) / s
        qe, qc, we, wc = q[e], q[~e], w[e], w[~e]
        logsf = special.log_ndtr(-qc)
        ll = float((we * (-u[e] - ls - 0.5 * math.log(2 * math.pi) - qe**2 / 2)).sum()) + float((wc * logsf).sum())
        mills = np.exp(-qc**2 / 2 - 0.5 * math.log(2 * math.pi) - logsf)
        g_mu = float((we * qe).sum() / s + (wc * mills).sum() / s)
        g_ls = float((we * (qe**2 - 1)).sum() + (wc * qc * mills).sum())
        return -ll, -np.array([g_mu, g_ls])
    ue = u[e]
    x0 = np.array([float(np.average(u, weights=w)), math.log(max(float(ue.std()) if e.sum() > 1 else 1.0, 0.1))])
    x, f, cov = _minimise(nll, x0)
    mu, s = x[0], math.exp(x[1])
    z = z_of(confidence)
    # log mean = mu + s^2/2: gradient (1, s^2) in (mu, log s)
    g = np.array([1.0, s**2])
    se_logmean = math.sqrt(max(float(g @ cov @ g), 0.0))
    se_ls = math.sqrt(max(float(cov[1, 1]), 0.0))
    cv = lambda sig: math.sqrt(math.expm1(min(sig**2, 700)))  # noqa: E731
    mean = math.exp(min(mu + s**2 / 2, 700))
    return {"law": "lognormal", "k": 2, "loglik": -f, "mu": mu, "sigma": s, "mean": mean,
            "mean_low": mean * math.exp(-z * se_logmean), "mean_high": mean * math.exp(z * se_logmean),
            "cv": cv(s), "cv_low": cv(s * math.exp(-z * se_ls)), "cv_high": cv(s * math.exp(z * se_ls)),
            "survival": lambda v: stats.norm.sf((np.log(np.asarray(v)) - mu) / s)}


def fit_exponential(t, e, w, confidence: float) -> dict:
    """Censored exponential MLE: mean = total time waited / abandonments, exact chi-square interval."""
    total, d = float((w * t).sum()), float(w[e].sum())
    m, lo, hi = exp_mean_ci(total, d, confidence)
    return {"law": "exponential", "k": 1, "loglik": -d * math.log(m) - total / m, "mean": m, "mean_low": lo,
            "mean_high": hi, "survival": lambda s: np.exp(-np.asarray(s) / m)}


def kaplan_meier(t, e, w, confidence: float):
    """The lifelines Kaplan-Meier fit of grouped censored waits."""
    from lifelines import KaplanMeierFitter  # noqa: PLC0415 (lifelines takes a second or two to import)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KaplanMeierFitter(alpha=1 - confidence).fit(t, e, weights=w)


def fit_patience(t: np.ndarray, abandoned: np.ndarray, confidence: float, balk: float = 1.0) -> dict:
    """Every fit of one call type's censored waits, the chosen law by AIC, Kaplan-Meier checks and balking."""
    n = len(t)
    balkers = int((abandoned & (t < balk)).sum())
    keep = (t > 0) | abandoned
    t, e = t[keep], abandoned[keep]
    t = np.where(e & (t <= 0), MIN_EVENT, t)
    out = {"queued": n, "abandoned": int(abandoned.sum()), "balked": balkers,
           "balk_share": balkers / n if n else np.nan,
           "censored_share": 1 - abandoned.mean() if n else np.nan, "fits": {}, "chosen": None}
    if not e.any():
        return out
    tg, eg, wg = _grouped(t, e)
    fits = {"exponential": fit_exponential(tg, eg, wg, confidence)}
    if e.sum() >= MIN_EVENTS_2P and np.ptp(np.log(tg[eg])) > 0:     # two-parameter laws need spread-out events
        fits["lognormal"] = fit_lognormal(tg, eg, wg, confidence)
        fits["weibull"] = fit_weibull(tg, eg, wg, confidence)
    for f in fits.values():
        f["aic"] = 2 * f["k"] - 2 * f["loglik"]
    km = kaplan_meier(tg, eg, wg, confidence)
    table = km.event_table
    enough = table["at_risk"].to_numpy(dtype=float) >= max(MIN_AT_RISK, 0.01 * wg.sum())   # KM's tail is noise
    times = table.index.to_numpy(dtype=float)[enough]
    s_km = km.survival_function_.iloc[:, 0].to_numpy(dtype=float)[enough]
    for f in fits.values():
        f["km_gap"] = float(np.max(np.abs(s_km - f["survival"](np.maximum(times, 1e-9))))) if len(times) else np.nan
    out["fits"] = {k: v for k, v in fits.items()
                   if all(np.isfinite(v[p]) for p in ("aic", "mean", "shape", "scale", "cv") if p in v)}
    out["chosen"] = min(out["fits"], key=lambda k: out["fits"][k]["aic"])
    med = float(km.median_survival_time_)
    try:
        from lifelines.utils import median_survival_times  # noqa: PLC0415
        ci = median_survival_times(km.confidence_interval_).to_numpy(dtype=float).ravel()
    except Exception:  # noqa: BLE001 (lifelines cannot bound the median: leave the interval open)
        ci = np.array([np.nan, np.nan])
    out.update(km_median=med, km_median_low=float(ci[0]), km_median_high=float(ci[1]))
    return out


def to_law(fit: dict) -> dict:
    """A patience fit as a ccsim distribution table, within ccsim's bounds."""
    if fit["law"] == "weibull":
        return {"dist": "weibull", "shape": float(np.clip(fit["shape"], *SHAPE_RANGE)),
                "scale": float(np.clip(fit["scale"], 1e-6, MAX_SECONDS))}
    mean = float(np.clip(fit["mean"], 1e-6, MAX_SECONDS))
    if fit["law"] == "lognormal":
        return {"dist": "lognormal", "mean": mean, "cv": float(np.clip(fit["cv"], 1e-6, 100.0))}
    return {"dist": "exponential", "mean": mean}


def patience(frame: pd.DataFrame, call_types: list[str], confidence: float,
             balk: float = 1.0) -> tuple[dict[str, dict], dict[str, dict | None]]:
    """Per call type: every patience fit (see :func:`fit_patience`) and the chosen ccsim law (None: nobody
    abandoned, callers never hang up)."""
    ct, t, ab = censored_waits(frame)
    fits, laws = {}, {}
    for name in call_types:
        mine = ct == name
        fits[name] = fit_patience(t[mine], ab[mine], confidence, balk)
        ch = fits[name]["chosen"]
        laws[name] = to_law(fits[name]["fits"][ch]) if ch else None
    return fits, laws


def describe(fit: dict) -> str:
    """How a patience law was obtained, in one line (for the summary and the TOML comment)."""
    if not fit["chosen"]:
        return f"no abandonment among {fit['queued']:,} queued calls: callers never hang up"
    aic = ", ".join(f"{k} {fmt(f['aic'], 8)}" for k, f in fit["fits"].items())
    gaps = ", ".join(f"{k} {fmt(f['km_gap'], 2)}" for k, f in fit["fits"].items())
    return (f"censored MLE on {fit['queued']:,} queued calls, {fit['abandoned']:,} abandoned "
            f"({fit['censored_share']:.0%} censored by an answer); {fit['chosen']} by AIC ({aic}); largest gap to "
            f"Kaplan-Meier where 1% still wait: {gaps}; KM median {fmt(fit.get('km_median'))} s")


def patience_rows(fits: dict[str, dict], balk: float) -> list[Estimate]:
    """The patience estimates as :class:`Estimate` records."""
    out = []
    for name, fit in fits.items():
        how, n = describe(fit), fit["queued"]
        if fit["chosen"]:
            f = fit["fits"]["exponential"]
            out.append(Estimate("patience", "exponential mean", f["mean"], f["mean_low"], f["mean_high"], n,
                                "abandonments / total time waited, chi-square interval; " + how, name))
            for law, what in (("lognormal", "mean"), ("lognormal", "cv"), ("weibull", "shape"), ("weibull", "scale")):
                if law in fit["fits"]:
                    f = fit["fits"][law]
                    out.append(Estimate("patience", f"{law} {what}", f[what], f[f"{what}_low"], f[f"{what}_high"], n,
                                        how, name))
            out.append(Estimate("patience", "KM median", fit["km_median"], fit["km_median_low"], fit["km_median_high"],
                                n, "Kaplan-Meier (lifelines), with its interval", name))
        else:
            out.append(Estimate("patience", "exponential mean", np.nan, np.nan, np.nan, n, how, name))
        out.append(Estimate("patience", "balking share", fit["balk_share"], np.nan, np.nan, n,
                            f"{fit['balked']:,} queued callers abandoned within {fmt(balk)} s: reported; they stay "
                            "in the fit (balk_prob left at 0)", name))
    return out


__all__ = ["PATIENCE_LAWS", "censored_waits", "fit_patience", "patience", "to_law", "describe", "patience_rows",
           "fit_weibull", "fit_lognormal", "fit_exponential", "kaplan_meier"]
