"""MSER-5 warm-up estimation."""
from __future__ import annotations

import numpy as np

import ccsim
from ccsim.warmup import estimate_warmup, mser


def test_mser_finds_an_initial_transient():
    rng = np.random.default_rng(0)
    steady = rng.normal(10, 1, 5000)
    series = steady.copy()
    series[:1000] = np.linspace(0, 10, 1000) + rng.normal(0, 1, 1000)   # ramp up from empty
    d = mser(series)
    assert 500 <= d <= 1300
    assert mser(steady) < 500   # nothing to cut from a stationary series (allowing noise)


def test_estimate_warmup_on_a_queue_that_starts_empty():
    sc = ccsim.erlang_a(arrival_rate=10 / 60, mean_handle_time=300, agents=52, mean_patience=300,
                        horizon=6 * 3600, warmup=0)
    w = estimate_warmup(sc, seed=2, reps=3)
    assert 0 < w < 3 * 3600
