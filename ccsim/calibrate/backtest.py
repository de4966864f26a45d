"""Backtest: simulate a calibrated scenario and compare it with the log it came from, interval by interval.

For each interval of the day and each KPI (contacts offered, service level, abandonment, ASA) the observed value
is the mean over the log's days of the day type of that day's value, and the simulated one the mean over
replications. They agree when the observed mean lies in a band around the simulated mean that combines both
variances, simulated mean +/- t * sqrt(s_sim^2 / reps + s_obs^2 / days) (Welch degrees of freedom): a
prediction-style interval that allows for the day-to-day spread of the observed mean as well as for simulation
noise (never narrower than the simulated mean's own t interval). Where they disagree, ``why`` states causes
only when a measured figure supports them.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..calllog import CallLog
from ..errors import OptionError
from ..kpis import label, t_half_width
from ..limits import shown
from ..simulate import simulate
from .calibration import Calibration
from .common import as_log, clock, day_clock, n_intervals

KPIS = ("offered", "service_level", "abandon_rate", "asa")
#: an interval's volume is called non-stationary when its day-to-day dispersion index rejects Poisson at this level
NONSTATIONARY_LEVEL = 0.01


def observed_intervals(log: CallLog, cal: Calibration, day: str | None = None) -> pd.DataFrame:
    """Per day of the day type and interval of the day: contacts offered (answered or abandoned), answered,
    abandoned, answered within the service-level threshold of queueing, and the waits of answered calls; with
    the day's service level, abandonment and ASA."""
    log = as_log(log)
    day = cal._day(day)
    f = log.frame
    day_idx, slot, _, dates = day_clock(log, cal.interval)
    labels = cal.days.set_index("day")["day_type"].reindex(pd.DatetimeIndex(dates)).to_numpy()
    codes = f["outcome"].cat.codes.to_numpy()
    keep = (labels[day_idx] == day) & (codes <= 1)
    n_slots = n_intervals(cal.interval)
    qe = f["queue_enter"].to_numpy(dtype=float)
    start = np.where(np.isnan(qe), f["arrival"].to_numpy(dtype=float), qe)
    wait = f["answer"].to_numpy(dtype=float) - start
    answered, abandoned = codes == 0, codes == 1
    sel_days = np.flatnonzero(labels == day)
    pos = np.full(len(dates), -1)
    pos[sel_days] = np.arange(len(sel_days))
    key = pos[day_idx[keep]] * n_slots + slot[keep]
    size = len(sel_days) * n_slots

    def count(w) -> np.ndarray:
        return np.bincount(key, weights=w, minlength=size)
    a, ab = answered[keep], abandoned[keep]
    w = np.where(a, wait[keep], 0.0)
    out = pd.DataFrame({
        "day": np.repeat(pd.DatetimeIndex(dates[sel_days]), n_slots),
        "interval": np.tile(np.arange(n_slots), len(sel_days)),
        "offered": count(None), "answered": count(a.astype(float)), "abandoned": count(ab.astype(float)),
        "within_sl": count((a & (w <= cal.sl_threshold)).astype(float)), "wait_sum": count(w)})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["service_level"] = np.where(out["offered"] > 0, out["within_sl"] / out["offered"], np.nan)
        out["abandon_rate"] = np.where(out["offered"] > 0, out["abandoned"] / out["offered"], np.nan)
        out["asa"] = np.where(out["answered"] > 0, out["wait_sum"] / out["answered"], np.nan)
    return out


def _stats(df: pd.DataFrame, by: str, cols) -> pd.DataFrame:
    g = df.groupby(by)[list(cols)]
    return pd.concat({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()}, axis=1)


def backtest(log: CallLog, calibration: Calibration, reps: int = 20, seed: int = 1, engine: str = "numba",
             day: str | None = None) -> pd.DataFrame:
    """Simulate the calibrated scenario of day type ``day`` and compare it with the log per interval and KPI:
    observed (mean over days) and its spread, simulated mean and t interval, the band combining both variances,
    whether the observed value lies in it, and for those that do not, ``why`` (measured figures only)."""
    if not isinstance(calibration, Calibration):
        raise OptionError("calibration", f"must be a Calibration (got {shown(calibration)})",
                          "make one with ccsim.calibrate.calibrate(log)")
    cal = calibration
    day = cal._day(day)
    sc = cal.scenario(day)
    res = simulate(sc, engine=engine, reps=reps, seed=seed, keep_calls=False)
    sim = res.intervals
    obs = observed_intervals(log, cal, day)
    s_st, o_st = _stats(sim, "interval", KPIS), _stats(obs, "interval", KPIS)
    sim_occ = sim.groupby("interval")["occupancy"].mean()
    st = cal.staffing[cal.staffing["day_type"] == day].groupby("interval")
    present, busy, staffed = st["mean"].sum(), st["busy"].sum(min_count=1), st["agents"].sum()
    conf = cal.confidence
    disp = _dispersion(obs)
    balk = _balking(cal)
    first_slot = int(obs.loc[obs["offered"] > 0, "interval"].min()) if (obs["offered"] > 0).any() else -1
    rows = []
    for i in range(n_intervals(cal.interval)):
        if not (o_st.loc[i, ("mean", "offered")] > 0 if i in o_st.index else False) and not (
                i in s_st.index and s_st.loc[i, ("mean", "offered")] > 0):
            continue
        for k in KPIS:
            om, osd, on = (o_st.loc[i, (x, k)] if i in o_st.index else np.nan for x in ("mean", "sd", "n"))
            sm, ssd, sn = (s_st.loc[i, (x, k)] if i in s_st.index else np.nan for x in ("mean", "sd", "n"))
            half = float(t_half_width(ssd, sn, conf))
            vs, vo = (ssd**2 / sn if sn >= 2 else np.nan), (osd**2 / on if on >= 2 else 0.0)
            se = math.sqrt(vs + vo) if np.isfinite(vs) else np.nan
            dof = ((vs + vo) ** 2 / (vs**2 / (sn - 1) + (vo**2 / (on - 1) if on >= 2 else 0))
                   if se and se > 0 else np.inf)
            band = max(float(stats.t.ppf(0.5 + conf / 2, dof) * se), half) if np.isfinite(se) else np.nan
            agrees = bool(sm - band <= om <= sm + band) if np.isfinite(om) and np.isfinite(band) else None
            rows.append({"interval": i, "start": clock(i * cal.interval), "kpi": k, "observed": om, "observed_sd": osd,
                         "days": int(on) if np.isfinite(on) else 0, "simulated": sm,
                         "sim_low": _clip(k, sm - half), "sim_high": _clip(k, sm + half),
                         "band_low": _clip(k, sm - band), "band_high": _clip(k, sm + band), "agrees": agrees})
    out = pd.DataFrame(rows)
    if out.empty:
        return out.assign(why=pd.Series(dtype=object))
    facts = {"thr": cal.sl_threshold, "disp": disp, "sim_occ": sim_occ, "obs_occ": (busy / present).where(present > 0), "present": present,
             "staffed": staffed, "balk": balk, "first": first_slot}
    off = out[out["kpi"] == "offered"].set_index("interval")
    out["agrees"] = out["agrees"].astype("boolean")
    out["why"] = [_why(r, off, facts) if _disagrees(r.agrees) else "" for r in out.itertuples()]
    return out


def _dispersion(obs: pd.DataFrame) -> pd.DataFrame:
    """Per interval: days, max/min of the offered count across days, and the dispersion index's p-value."""
    g = obs.groupby("interval")["offered"]
    m, v, n, hi, lo = g.mean(), g.var(ddof=1), g.count(), g.max(), g.min()
    d = (n - 1) * v / m.where(m > 0)
    p = pd.Series(stats.chi2.sf(d.to_numpy(float), (n - 1).to_numpy(float)), index=m.index)
    return pd.DataFrame({"n": n, "ratio": hi / lo.where(lo > 0), "index": v / m.where(m > 0), "p": p, "mean": m})


def _balking(cal: Calibration) -> float:
    q = sum(f["queued"] for f in cal.patience_fits.values())
    return sum(f["balked"] for f in cal.patience_fits.values()) / q if q else 0.0


def _disagrees(x) -> bool:
    """A comparison was made and failed (not missing)."""
    return x is not None and not pd.isna(x) and not bool(x)


def _clip(kpi: str, x: float) -> float:
    """An interval's end within what the KPI can be: counts and times at least 0, shares between 0 and 1 (a t
    interval knows no bounds; the agreement test uses the band as computed, which these ends only narrow
    where nothing can lie)."""
    return float(min(max(x, 0.0), 1.0)) if kpi in ("service_level", "abandon_rate") else float(max(x, 0.0))


def _worse(kpi: str, obs: float, sim: float) -> bool:
    """The observed value is worse for callers than the simulated one."""
    return obs < sim if kpi == "service_level" else obs > sim


def _why(r, off: pd.DataFrame, facts: dict) -> str:
    """Causes of a disagreement that a measured figure supports, or a plain statement that none was found."""
    i, k, reasons = r.interval, r.kpi, []
    d = facts["disp"].loc[i] if i in facts["disp"].index else None
    if d is not None and d["n"] >= 3 and d["p"] < NONSTATIONARY_LEVEL and np.isfinite(d["ratio"]):
        reasons.append(f"volume in this interval varies {d['ratio']:.1f}x between days (variance {d['index']:.1f}x "
                       "the Poisson variance: non-stationary)")
    if d is not None and d["mean"] < 5:
        reasons.append(f"few calls ({d['mean']:.1f} a day): the day-to-day spread is large")
    if k == "offered":
        reasons.append(f"simulated offered {r.simulated:.1f} vs observed {r.observed:.1f} "
                       f"({(r.simulated - r.observed) / r.observed:+.0%})" if r.observed else "")
    elif i in off.index and _disagrees(off.loc[i, "agrees"]):
        reasons.append(f"offered differs too: simulated {off.loc[i, 'simulated']:.1f} vs observed "
                       f"{off.loc[i, 'observed']:.1f}")
    obs_occ, sim_occ = facts["obs_occ"].get(i, np.nan), facts["sim_occ"].get(i, np.nan)
    if k != "offered" and _worse(k, r.observed, r.simulated):
        if np.isfinite(obs_occ) and obs_occ < 0.6:
            reasons.append(f"observed {label(k, facts.get('thr', 20)).lower()} worse than simulated with observed "
                           f"occupancy {obs_occ:.0%} < 60%: agents on other tasks?")
        extra = facts["staffed"].get(i, 0) - facts["present"].get(i, 0)
        if extra >= 0.5:
            reasons.append(f"staffing rounded up from {facts['present'].get(i, 0):.1f} to "
                           f"{facts['staffed'].get(i, 0)} agents")
        if k == "abandon_rate" and facts["balk"] > 0.01:
            reasons.append(f"{facts['balk']:.1%} of queued callers hang up at once (balking), which the calibrated "
                           "scenario folds into patience")
    if k != "offered" and not _worse(k, r.observed, r.simulated) and 0 < facts["present"].get(i, 0) < 3:
        reasons.append(f"only {facts['present'].get(i, 0):.1f} agents seen present on average (agents are seen only "
                       f"while they answer calls), {facts['staffed'].get(i, 0)} in the scenario")
    if k != "offered" and not _worse(k, r.observed, r.simulated) and i == facts["first"]:
        reasons.append("the day's first interval with calls: agents count as present only from their first answer, "
                       "which understates staffing at the opening")
    if k != "offered" and np.isfinite(sim_occ) and sim_occ > 0.9:
        reasons.append(f"simulated occupancy {sim_occ:.0%}: near saturation, small errors in staffing or handle time "
                       "move waits a lot")
    if k != "offered" and np.isfinite(sim_occ) and np.isfinite(obs_occ) and sim_occ > obs_occ + 0.1:
        reasons.append(f"simulated occupancy {sim_occ:.0%} above observed {obs_occ:.0%}: less agent time in the "
                       "scenario than in the log")
    reasons = [x for x in reasons if x]
    return "; ".join(reasons) if reasons else "no measured cause found"
