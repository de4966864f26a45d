"""ccsim against the published results of the research reference, ContactCenters (Buist & L'Ecuyer;
umontreal-simul/contactcenters, doc/examples): the guide's examples that ccsim can express, written as
scenarios in experiments/scenarios/contactcenters/, simulated, and every figure the example prints compared
with its published value.

Each example prints, over 1,000 replications (days; weeks for Telethon), the mean of a daily figure or a
"function of averages" (a ratio of sums over replications: the long-run service level, not the mean of daily
ratios), with its standard deviation and a Student (delta-method) interval, 95% but 90% for CallCC. ccsim's
figures are estimated the same way from its per-replication sums. Each comparison is a two-sample z test of
ccsim's estimate against the published mean (standard errors of both, the published one the printed standard
deviation / sqrt(1,000), which is more precise than the rounded interval, plus the rounding of the printed
mean); with the comparisons of this file sharing a false-alarm probability of 1% (Bonferroni), a figure fails
when |z| exceeds the corrected critical value. A figure published as 0 in every replication (Telethon's
blocked callers) is tested one-sidedly by Fisher's exact test instead. docs/contactcenters.md has the figures
side by side.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.metrics import WAIT_GRID

SCEN = Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "contactcenters"
DAYS = 1000              # replications of every example (Telethon: weeks of WEEKDAYS independent days)
WEEKDAYS = 5
SEED = 20261124
CALLCC_EXPECTED = 1660.0     # CallCC's "Num. calls expected" (sum of the hourly rates): its figures' denominator
TELETHON_EXPECTED = 1000.0   # Telethon's EXPARRIVALS: calls expected a week, the service level's denominator
TELETHON_AGENT_MIN = 14400.0  # Telethon's EXPNUMAGENTS: 12 volunteers x 4 h x 60 min x 5 days, occupancy's denominator

#: published figures: (mean, CI low, CI high, decimals of the mean, standard deviation), as printed in the
#: example's .res file (times in its units: minutes, seconds for CallCC)
PUBLISHED = {
    "mmc": {
        "in_target": (1816.158, 1812.618, 1819.698, 3, 57.043),
        "service_level": (0.902, 0.900, 0.904, 3, 0.033),
        "speed_of_answer": (0.099, 0.097, 0.102, 3, 0.045),
        "occupancy": (0.695, 0.694, 0.697, 3, 0.023),
    },
    "mmcblocked": {
        "blocked": (18.655, 18.045, 19.265, 3, 9.831),
        "in_target": (1854.284, 1851.667, 1856.901, 3, 42.176),
        "service_level": (0.929, 0.928, 0.930, 3, 0.019),
        "speed_of_answer": (0.060, 0.059, 0.061, 3, 0.016),
        "occupancy": (0.689, 0.688, 0.690, 3, 0.021),
        "service_level_with_blocked": (0.920, 0.919, 0.922, 3, 0.022),
    },
    "mmcclrq": {
        "disconnected": (0.433, 0.328, 0.538, 3, 1.688),
        "in_target": (1816.112, 1812.572, 1819.652, 3, 57.042),
        "service_level": (0.902, 0.900, 0.904, 3, 0.033),
        "speed_of_answer": (0.099, 0.096, 0.102, 3, 0.045),
        "occupancy": (0.695, 0.694, 0.697, 3, 0.023),
        "service_level_with_disconnected": (0.902, 0.900, 0.904, 3, 0.033),
    },
    "mmcab": {
        "abandoned": (58.609, 57.660, 59.558, 3, 15.295),
        "in_target": (1906.008, 1903.785, 1908.231, 3, 35.828),
        "service_level": (0.975, 0.974, 0.975, 3, 7.9e-3),
        "speed_of_answer": (0.024, 0.023, 0.024, 3, 6.0e-3),
        "occupancy": (0.675, 0.674, 0.677, 3, 0.019),
        "service_level_with_abandonment": (0.968, 0.968, 0.969, 3, 9.9e-3),
    },
    "callcc": {  # 90% intervals; every figure but arrivals is divided by the constant 1,660
        "arrivals": (1639.507, 1612.789, 1666.225, 3, 513.189),
        "mean_wait": (11.834, 10.060, 13.608, 3, 34.078),          # seconds, served and abandoned callers
        "good_sl": (0.853, 0.844, 0.862, 3, 0.169),                # served or abandoned with a wait < 20 s
        "lost": (0.0342, 0.0311, 0.0374, 4, 0.0608),
    },
    "telethon": {  # per week; TelethonOcc.res adds the corrected occupancy to the same figures
        "arrivals": (1000.169, 998.111, 1002.227, 3, 33.164),
        "served": (963.109, 961.372, 964.846, 3, 27.984),
        "blocked": (0.0, 0.0, 0.0, 3, 0.0),                        # none in 1,000 weeks: tested by zero_test
        "abandoned": (31.820, 31.172, 32.468, 3, 10.437),
        "messages": (4.960, 4.776, 5.144, 3, 2.973),
        "disconnected": (0.280, 0.235, 0.325, 3, 0.718),
        "in_target": (950.265, 948.579, 951.951, 3, 27.173),       # served with a wait < 1 min
        "speed_of_answer": (0.036, 0.036, 0.037, 3, 0.012),        # minutes
        "service_level": (95.026, 94.858, 95.195, 3, 2.717),       # 100 x in target / 1,000
        "occupancy": (66.772, 66.607, 66.936, 3, 2.650),           # calls finished after 10:00 included
        "corrected_occupancy": (64.049, 63.894, 64.204, 3, 2.499),  # opening hours only
    },
}
#: the confidence level of each example's published intervals (0.95 where not listed)
LEVEL = {"callcc": 0.90}
N_COMPARISONS = sum(len(v) for v in PUBLISHED.values())
ALPHA = 0.01 / N_COMPARISONS
Z_CRIT = stats.norm.isf(ALPHA / 2)

#: a figure's per-replication values: an array (the figure is its mean) or (numerator, denominator) arrays
#: (the figure is the ratio of their means, a function of averages)
Sample = np.ndarray | tuple[np.ndarray, np.ndarray]


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """A mean over replications and its standard error."""
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))


def ratio_se(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """The ratio of sums over replications (a function of averages) and its delta-method standard error."""
    r = num.sum() / den.sum()
    return float(r), float((num - r * den).std(ddof=1) / den.mean() / np.sqrt(num.size))


def estimate(sample: Sample) -> tuple[float, float]:
    """A figure's estimate and standard error from its per-replication values."""
    return ratio_se(*sample) if isinstance(sample, tuple) else mean_se(sample)


def within(res: ccsim.Results, threshold: float) -> np.ndarray:
    """Per replication, the contacts (of every outcome) whose total queue time is within ``threshold``: the wait
    CDF at a point of its grid times the contacts offered. Waits are continuous here, so "within" (<=) and the
    examples' strict "<" differ with probability 0."""
    assert threshold in WAIT_GRID
    j = res.journeys
    cdf = j[j["metric"] == f"wait_cdf:{threshold:g}"].set_index("rep")["value"].reindex(res.kpis.index)
    return np.rint(cdf.to_numpy() * res.kpis["offered"].to_numpy())


def ccsim_samples(name: str) -> dict[str, Sample]:
    """Every figure of the example, per replication (a day; a week for Telethon), in its units."""
    sc = ccsim.load_scenario(SCEN / f"{name}.toml")
    days = DAYS * WEEKDAYS if name == "telethon" else DAYS
    res = ccsim.simulate(sc, reps=days, seed=SEED, keep_calls=False)
    k = res.kpis
    assert (k["in_system"] == 0).all()                                   # the day ran until the center was empty
    col = {c: k[c].to_numpy() for c in ("offered", "answered", "abandoned", "blocked", "disconnected", "messages")}
    served = col["answered"]
    good = np.rint(k["service_level"].to_numpy() * col["offered"])      # answered within sl_threshold of queueing
    waits = k["asa"].to_numpy() * served / 60.0                          # minutes waited by served callers
    if name == "callcc":
        assert sum(sc.demand.call_types["calls"].volume) == CALLCC_EXPECTED
        # abandoned callers (balkers with a wait of 0 included) count in the waits and, within 20 s, as good
        all_waits = k["mean_wait"].to_numpy() * col["offered"]           # seconds waited by every caller
        return {"arrivals": col["offered"], "mean_wait": all_waits / CALLCC_EXPECTED,
                "good_sl": within(res, sc.sl_threshold) / CALLCC_EXPECTED, "lost": col["abandoned"] / CALLCC_EXPECTED}
    if name == "telethon":
        def week(x: np.ndarray) -> np.ndarray:
            return x.reshape(-1, WEEKDAYS).sum(axis=1)

        # busy agent-seconds: every handled contact's agent time (here every handled contact was answered), so
        # calls finished after 10:00 included; and within the opening hours (occupancy x agent time present)
        busy = k["aht"].to_numpy() * served
        g = res.groups.set_index("rep").reindex(k.index)
        busy_open = g["occupancy"].to_numpy() * g["agents"].to_numpy() * (sc.horizon - sc.warmup)
        out = {f: week(col[c]) for f, c in (("arrivals", "offered"), ("served", "answered"), ("blocked", "blocked"),
                                            ("abandoned", "abandoned"), ("messages", "messages"),
                                            ("disconnected", "disconnected"))}
        return out | {"in_target": week(good), "speed_of_answer": (week(waits), week(served)),
                      "service_level": 100.0 * week(good) / TELETHON_EXPECTED,
                      "occupancy": 100.0 * week(busy) / 60.0 / TELETHON_AGENT_MIN,
                      "corrected_occupancy": 100.0 * week(busy_open) / 60.0 / TELETHON_AGENT_MIN}
    out = {"in_target": np.rint(good), "service_level": (good, served), "speed_of_answer": (waits, served),
           "occupancy": k["occupancy"].to_numpy()}
    lost = {"mmcblocked": "blocked", "mmcclrq": "disconnected"}.get(name)   # callers who never got an agent
    if lost:
        out[lost] = col[lost]
        out[f"service_level_with_{lost}"] = (good, served + col[lost])
    if name == "mmcab":
        # abandoned after waiting at least AWT: abandoned, less those within it (every contact within it, less the
        # answered ones, whose single wait is their whole wait)
        early = within(res, sc.sl_threshold) - np.rint(k["service_level_caller"].to_numpy() * col["offered"])
        out["abandoned"] = col["abandoned"]
        out["service_level_with_abandonment"] = (good, served + col["abandoned"] - early)
    return out


def z_value(name: str, fig: str, est: float, se: float) -> float:
    """The two-sample z of ccsim's estimate against the published mean."""
    pub, _, _, dec, sd = PUBLISHED[name][fig]
    rounding = 0.5 * 10.0**-dec / np.sqrt(3)                 # a printed mean is off by up to half a digit
    return float((est - pub) / np.hypot(se, np.hypot(sd / np.sqrt(DAYS), rounding)))


def zero_test(x: np.ndarray) -> float:
    """One-sided p-value of "ccsim's replications are nonzero no more often than the example's", when the example
    printed a mean and standard deviation of 0 (0 in each of its DAYS replications): Fisher's exact test of the
    two counts of nonzero replications, i.e. the chance that all of them fall in ccsim's sample."""
    k = int((x != 0).sum())
    return float(stats.fisher_exact([[k, x.size - k], [0, DAYS]], alternative="greater").pvalue)


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_reproduces_the_published_figures(name):
    got = ccsim_samples(name)
    misses = []
    for fig, (pub, lo, hi, dec, sd) in PUBLISHED[name].items():
        if sd == 0:
            assert pub == 0
            p = zero_test(got[fig])
            if not p >= ALPHA:
                misses.append(f"{fig}: ccsim nonzero in {(got[fig] != 0).sum()} of {got[fig].size} "
                              f"vs none published: p = {p:.2g}")
            continue
        est, se = estimate(got[fig])
        z = z_value(name, fig, est, se)
        if not abs(z) <= Z_CRIT:
            misses.append(f"{fig}: ccsim {est:.5g} (se {se:.2g}) vs published {pub} [{lo}, {hi}]: z = {z:.2f}")
    assert not misses, "; ".join(misses)
