"""ccsim against the published results of the research reference, ContactCenters (Buist & L'Ecuyer;
umontreal-simul/contactcenters, doc/examples): the guide's examples that ccsim can express, written as
scenarios in experiments/scenarios/contactcenters/, simulated, and every figure the example prints compared
with its published value.

The examples report "functions of averages" (a ratio of sums over days: the long-run service level, not the
mean of daily ratios) with delta-method 95% intervals over 1,000 days; ccsim's figures are estimated the same
way from its per-day sums. Each comparison is a two-sample z test of ccsim's estimate against the published
mean (standard errors of both, the published one from its 95% interval, plus the rounding of the printed
digits); with the comparisons of this file sharing a false-alarm probability of 1% (Bonferroni), a figure
fails when |z| exceeds the corrected critical value. docs/contactcenters.md has the figures side by side.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import ccsim

SCEN = Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "contactcenters"
DAYS = 1000
SEED = 20261124
AWT = 20.0

#: published figures: (mean, 95% CI low, high, decimals printed); times in minutes as printed
PUBLISHED = {
    "mmc": {
        "in_target": (1816.158, 1812.618, 1819.698, 3),
        "service_level": (0.902, 0.900, 0.904, 3),
        "speed_of_answer": (0.099, 0.097, 0.102, 3),
        "occupancy": (0.695, 0.694, 0.697, 3),
    },
    "mmcblocked": {
        "blocked": (18.655, 18.045, 19.265, 3),
        "in_target": (1854.284, 1851.667, 1856.901, 3),
        "service_level": (0.929, 0.928, 0.930, 3),
        "speed_of_answer": (0.060, 0.059, 0.061, 3),
        "occupancy": (0.689, 0.688, 0.690, 3),
        "service_level_with_blocked": (0.920, 0.919, 0.922, 3),
    },
    "mmcclrq": {
        "disconnected": (0.433, 0.328, 0.538, 3),
        "in_target": (1816.112, 1812.572, 1819.652, 3),
        "service_level": (0.902, 0.900, 0.904, 3),
        "speed_of_answer": (0.099, 0.096, 0.102, 3),
        "occupancy": (0.695, 0.694, 0.697, 3),
        "service_level_with_disconnected": (0.902, 0.900, 0.904, 3),
    },
    "mmcab": {
        "abandoned": (58.609, 57.660, 59.558, 3),
        "in_target": (1906.008, 1903.785, 1908.231, 3),
        "service_level": (0.975, 0.974, 0.975, 3),
        "speed_of_answer": (0.024, 0.023, 0.024, 3),
        "occupancy": (0.675, 0.674, 0.677, 3),
        "service_level_with_abandonment": (0.968, 0.968, 0.969, 3),
    },
}
N_COMPARISONS = sum(len(v) for v in PUBLISHED.values())
Z_CRIT = stats.norm.isf(0.01 / N_COMPARISONS / 2)


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """A mean over days and its standard error."""
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))


def ratio_se(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """The ratio of sums over days (a function of averages) and its delta-method standard error."""
    r = num.sum() / den.sum()
    return float(r), float((num - r * den).std(ddof=1) / den.mean() / np.sqrt(num.size))


def ccsim_figures(name: str) -> dict[str, tuple[float, float]]:
    """The example's figures from DAYS simulated days: (estimate, standard error), in its units (minutes)."""
    sc = ccsim.load_scenario(SCEN / f"{name}.toml")
    res = ccsim.simulate(sc, reps=DAYS, seed=SEED, keep_calls=name == "mmcab")
    k = res.kpis
    served = k["answered"].to_numpy()
    good = k["service_level"].to_numpy() * k["offered"].to_numpy()     # answered within AWT of queueing
    waits = k["asa"].to_numpy() * served / 60.0                          # minutes waited by served callers
    assert (k["in_system"] == 0).all()                                   # the day ran until the center was empty
    out = {"in_target": mean_se(np.rint(good)), "service_level": ratio_se(good, served),
           "speed_of_answer": ratio_se(waits, served), "occupancy": mean_se(k["occupancy"].to_numpy())}
    lost = {"mmcblocked": "blocked", "mmcclrq": "disconnected"}.get(name)   # callers who never got an agent
    if lost:
        x = k[lost].to_numpy()
        out[lost] = mean_se(x)
        out[f"service_level_with_{lost}"] = ratio_se(good, served + x)
    if name == "mmcab":
        c = res.calls
        late = ((c["outcome"] == "abandoned") & (c["wait"] >= AWT)).groupby(c["rep"]).sum()
        late = late.reindex(k.index, fill_value=0).to_numpy(float)
        out["abandoned"] = mean_se(k["abandoned"].to_numpy())
        out["service_level_with_abandonment"] = ratio_se(good, served + late)
    return out


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_reproduces_the_published_figures(name):
    got = ccsim_figures(name)
    misses = []
    for fig, (pub, lo, hi, dec) in PUBLISHED[name].items():
        est, se = got[fig]
        rounding = 0.5 * 10.0**-dec / np.sqrt(3)             # a printed figure is off by up to half a digit
        se_pub = np.hypot((hi - lo) / 2 / stats.t.ppf(0.975, 999), rounding)
        z = (est - pub) / np.hypot(se, se_pub)
        if not abs(z) <= Z_CRIT:
            misses.append(f"{fig}: ccsim {est:.5g} (se {se:.2g}) vs published {pub} [{lo}, {hi}]: z = {z:.2f}")
    assert not misses, "; ".join(misses)
