"""Choosing the warm-up of a stationary scenario: MSER-5 on a pilot run.

MSER (White 1997; Spratt's MSER-5 batches of 5) picks the truncation point d that minimises the standard
error of the mean of what is left, ``var(y[d:]) / (n - d)``: deleting the initial transient lowers the
variance faster than it shrinks the sample, until the series is in steady state.
"""
from __future__ import annotations

import numpy as np

from .config import Scenario
from .engines import DEFAULT_ENGINE, get_engine
from .engines.compiled import compile_scenario


def mser(series: np.ndarray, batch: int = 5, max_fraction: float = 0.5) -> int:
    """Truncation point (in observations of ``series``) by MSER on batch means of ``batch`` observations.

    Only the first ``max_fraction`` of the batches are candidates (the statistic is unstable near the end).
    """
    y = np.asarray(series, dtype=float)
    nb = y.size // batch
    if nb < 4:
        return 0
    z = y[: nb * batch].reshape(nb, batch).mean(axis=1)
    # suffix sums give mean and variance of z[d:] for every d at once
    s1 = np.cumsum(z[::-1])[::-1]
    s2 = np.cumsum((z * z)[::-1])[::-1]
    m = nb - np.arange(nb)
    var = s2 / m - (s1 / m) ** 2
    stat = var / m
    last = max(1, int(nb * max_fraction))
    d = int(np.argmin(stat[:last]))
    return d * batch


def estimate_warmup(scenario: Scenario, seed: int = 1, reps: int = 5, engine: str = DEFAULT_ENGINE,
                    batch: int = 5) -> float:
    """Warm-up (seconds) for a stationary scenario: MSER-5 on the waits of a pilot run, averaged over reps.

    The series is the queue wait of contacts in arrival order; the warm-up is the arrival time of the
    first contact kept, the largest over the pilot replications (conservative).
    """
    sc = scenario.override({"warmup": 0.0})
    comp = compile_scenario(sc)
    run = get_engine(engine)
    cut = []
    for r in range(reps):
        c = run(comp, seed, r).contacts
        order = np.argsort(c["arrival"], kind="stable")
        waits, times = c["wait"][order], c["arrival"][order]
        d = mser(waits, batch)
        cut.append(float(times[d]) if d < times.size else 0.0)
    return max(cut) if cut else 0.0
