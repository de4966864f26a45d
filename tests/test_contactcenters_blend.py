"""ccsim against ContactCenters' Blend example (umontreal-simul/contactcenters, doc/examples/Blend.java, blend.tex,
Blend.res): inbound calls and a blended outbound dialer (experiments/scenarios/contactcenters/blend.toml).

Every figure Blend.res prints over its 1,000 days is computed the example's way from ccsim's records (the numba
engine; its records equal the SimPy engine's, tests/test_engine_equality.py) and compared with the published mean
by a two-sample z test, as in tests/test_contactcenters.py: the standard errors of both (the published one the
printed standard deviation / sqrt(1,000)) plus the rounding of the printed mean, with the 24 comparisons of this
file sharing a false-alarm probability of 1% (Bonferroni). docs/contactcenters.md maps the example and has the
figures side by side.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.engines import get_engine
from ccsim.engines.compiled import compile_scenario
from ccsim.engines.output import ABANDONED, ANSWERED, IN_SYSTEM
from test_contactcenters import estimate

SCEN = Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "contactcenters"
DAYS = 1000               # NUMDAYS
SEED = 20261124
MIN = 60.0                # the example's time unit, in seconds
AWT = 20.0                # a served or abandoned inbound caller who waited this long is "not in target"
QUEUE_CAPACITY = 80       # the example's total queue capacity, which ccsim does not model
TYPES = ("inbound", "outbound")

#: Blend.res: (mean, decimals of the mean, standard deviation); waiting times in minutes
PUBLISHED = {
    "tried": (1109.040, 3, 258.167),
    "arrived_inbound": (848.592, 3, 156.201), "arrived_outbound": (321.896, 3, 74.396),
    "arrived_all": (1170.488, 3, 94.589),
    "served_inbound": (843.477, 3, 149.608), "served_outbound": (298.876, 3, 68.318),
    "served_all": (1142.353, 3, 93.386),
    "abandoned_inbound": (5.115, 3, 9.985), "abandoned_outbound": (23.020, 3, 7.609),
    "abandoned_all": (28.135, 3, 8.843),
    "not_in_target": (39.427, 3, 63.682),
    "service_level": (95.354, 3, 6.894),                       # 100 x (arrived - not in target) / arrived, inbound
    "occupancy_inbound_only": (81.596, 3, 7.447), "occupancy_blend": (55.665, 3, 6.900),
    "occupancy_all": (70.514, 3, 6.818),
    "queue_size_inbound": (0.115, 3, 0.234), "queue_size_outbound": (5.8e-3, 4, 1.9e-3),
    "queue_size_all": (0.121, 3, 0.233),
    "waiting_time_inbound": (0.049, 3, 0.094), "waiting_time_outbound": (6.5e-3, 4, 1.2e-3),
    "waiting_time_all": (0.037, 3, 0.070),
    "having_to_wait_inbound": (70.241, 3, 86.800), "having_to_wait_outbound": (27.445, 3, 9.034),
    "having_to_wait_all": (97.686, 3, 81.085),
}
ALPHA = 0.01 / len(PUBLISHED)
Z_CRIT = stats.norm.isf(ALPHA / 2)


def queue_time(legs: dict, queue: int, end: float) -> tuple[float, int]:
    """Caller-seconds spent waiting in ``queue`` within [0, end] (the integral of its size), and the most callers
    waiting in it at once (over the whole day)."""
    m = (legs["queue"] == queue) & (legs["wait"] > 0)
    a, b = legs["enter"][m], legs["enter"][m] + legs["wait"][m]
    t = np.concatenate([a, b])
    step = np.concatenate([np.ones(a.size), -np.ones(b.size)])
    order = np.lexsort((step, t))                              # a departure before an arrival at the same instant
    peak = int(np.cumsum(step[order]).max(initial=0))
    return float((np.minimum(b, end) - np.minimum(a, end)).sum()), peak


def day_figures(sc, comp, out) -> dict[str, float]:
    """One day's counts and the numerators and denominators of its ratios, the example's way."""
    c, legs = out.contacts, out.legs
    assert not (c["outcome"] == IN_SYSTEM).any()               # the wrap-up ran until the center was empty
    f: dict[str, float] = {"tried": float(out.dials[TYPES.index("outbound")])}
    waiting = 0
    for k, name in enumerate(TYPES):
        m = c["call_type"] == k
        o, w = c["outcome"][m], c["wait"][m]
        f[f"arrived_{name}"] = m.sum()
        f[f"served_{name}"] = (o == ANSWERED).sum()
        f[f"abandoned_{name}"] = (o == ABANDONED).sum()       # balkers and mismatched customers who hung up
        f[f"wait_sum_{name}"] = w.sum() / MIN
        f[f"having_to_wait_{name}"] = ((w > 0) | (o == ABANDONED)).sum()
        q = list(sc.design.queues).index(name)
        f[f"queue_{name}"], peak = queue_time(legs, q, sc.horizon)
        waiting = max(waiting, peak)
        if name == "inbound":
            f["not_in_target"] = (w >= AWT).sum()
    f["peak_waiting"] = waiting
    n = comp.n_intervals                                       # the main periods: [0, horizon)
    for g, name in enumerate(sc.design.groups):
        f[f"busy_{name}"] = out.busy[g, :n].sum()             # agents finishing a call after a cut ("ghosts") included
        f[f"present_{name}"] = out.staffed[g, :n].sum()
    return f


@pytest.fixture(scope="module")
def figures() -> dict[str, np.ndarray]:
    sc = ccsim.load_scenario(SCEN / "blend.toml")
    comp = compile_scenario(sc)
    run = get_engine("numba")
    days = [day_figures(sc, comp, run(comp, SEED, r)) for r in range(DAYS)]
    return {k: np.array([d[k] for d in days], dtype=float) for k in days[0]}


def samples(f: dict[str, np.ndarray]) -> dict:
    """Each published figure's per-day values: an array (the figure is its mean) or (numerator, denominator)."""
    s = {"tried": f["tried"], "not_in_target": f["not_in_target"]}
    for what in ("arrived", "served", "abandoned", "having_to_wait"):
        s |= {f"{what}_{t}": f[f"{what}_{t}"] for t in TYPES}
        s[f"{what}_all"] = f[f"{what}_inbound"] + f[f"{what}_outbound"]
    s["service_level"] = (100.0 * (f["arrived_inbound"] - f["not_in_target"]), f["arrived_inbound"])
    for g in ("inbound_only", "blend"):
        s[f"occupancy_{g}"] = (100.0 * f[f"busy_{g}"], f[f"present_{g}"])
    s["occupancy_all"] = (100.0 * (f["busy_inbound_only"] + f["busy_blend"]), f["present_inbound_only"] + f["present_blend"])
    hours = 21600.0                                            # the fixed divisor: 360 min of main periods
    for t in TYPES:
        s[f"queue_size_{t}"] = f[f"queue_{t}"] / hours
        s[f"waiting_time_{t}"] = (f[f"wait_sum_{t}"], f[f"arrived_{t}"])
    s["queue_size_all"] = (f["queue_inbound"] + f["queue_outbound"]) / hours
    s["waiting_time_all"] = (f["wait_sum_inbound"] + f["wait_sum_outbound"], f["arrived_inbound"] + f["arrived_outbound"])
    return s


def z_value(published: tuple, est: float, se: float) -> float:
    pub, dec, sd = published
    rounding = 0.5 * 10.0**-dec / np.sqrt(3)
    return float((est - pub) / np.hypot(se, np.hypot(sd / np.sqrt(DAYS), rounding)))


def test_reproduces_the_published_figures(figures):
    got = samples(figures)
    misses = []
    for fig, pub in PUBLISHED.items():
        est, se = estimate(got[fig])
        z = z_value(pub, est, se)
        if not abs(z) <= Z_CRIT:
            misses.append(f"{fig}: ccsim {est:.5g} ± {se:.2g} vs published {pub[0]:g} (z = {z:+.2f})")
    assert not misses, "\n".join(misses)


def test_queues_stay_below_the_examples_capacity(figures):
    """ccsim has no total queue capacity: the example's (80 callers) must not bind, or its blocked callers would
    be missing here."""
    assert figures["peak_waiting"].max() < QUEUE_CAPACITY


def test_the_dialer_reaches_its_probability_and_mismatches_are_the_excess(figures):
    """About 29% of the numbers dialled reach a customer (the dialer runs from 11:00, when the reach is 0.29), and a
    mismatched customer is one who had to wait: never more than were reached."""
    tried, reached = figures["tried"].sum(), figures["arrived_outbound"].sum()
    assert stats.binomtest(int(reached), int(tried), 0.29).pvalue > 0.001
    assert (figures["having_to_wait_outbound"] <= figures["arrived_outbound"]).all()
