"""Tests for ccsim.erlang against independent computations (exact fractions, scipy)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg, special, stats

from ccsim.erlang import (
    erlang_a,
    erlang_b,
    erlang_c,
    required_agents,
    square_root_staffing,
)

KPI_KEYS = {"service_level", "abandon_rate", "asa", "mean_wait", "p_wait", "occupancy"}


# ---------------------------------------------------------------------------
# independent reference implementations
# ---------------------------------------------------------------------------


def exact_erlang_b(c: int, a: float) -> Fraction:
    """Erlang B as an exact rational: (a^c/c!) / sum_k a^k/k!."""
    fa = Fraction(a)
    terms = [fa**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def reference_erlang_a(lam, mu, theta, c, threshold, k_max=200):
    """Erlang A KPIs from a plain float birth-death chain plus scipy expm / linear solves."""
    a = lam / mu
    w = [a**n / math.factorial(n) for n in range(c + 1)]
    for j in range(1, k_max + 1):
        w.append(w[-1] * lam / (c * mu + j * theta))
    pi = np.array(w) / sum(w)
    assert pi[-1] < 1e-20, "reference truncation too short"
    below, queue = pi[:c].sum(), pi[c:]
    k = np.arange(queue.size)
    mean_queue = float((k * queue).sum())

    # Virtual-wait chain of a tagged customer: transient states 0..K (customers ahead),
    # index 0 of the full generator is the absorbing state SERVED; abandoning is a leak.
    size = queue.size
    sub = np.zeros((size, size))
    exit_served = np.zeros(size)
    for i in range(size):
        r = c * mu + i * theta
        sub[i, i] = -(r + theta)
        if i == 0:
            exit_served[0] = r
        else:
            sub[i, i - 1] = r
    full = np.zeros((size + 1, size + 1))
    full[1:, 1:] = sub
    full[1:, 0] = exit_served
    served_by_t = linalg.expm(full * threshold)[1:, 0]
    fundamental = np.linalg.inv(-sub)
    p_served_k = fundamental @ exit_served
    time_served_k = fundamental @ p_served_k  # E[V 1{served} | k]
    p_served = below + float(queue @ p_served_k)
    return {
        "service_level": below + float(queue @ served_by_t),
        "abandon_rate": theta * mean_queue / lam,
        "asa": float(queue @ time_served_k) / p_served,
        "mean_wait": mean_queue / lam,
        "p_wait": float(queue.sum()),
        "occupancy": float((np.minimum(np.arange(pi.size), c) * pi).sum()) / c,
        "p_served": p_served,
    }


# ---------------------------------------------------------------------------
# Erlang B / C
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "c, a",
    [(1, 0.5), (1, 3.0), (2, 1.0), (5, 3.5), (10, 5.0), (30, 25.0), (50, 47.25), (80, 100.0)],
)
def test_erlang_b_matches_exact_fractions(c, a):
    assert erlang_b(c, a) == pytest.approx(float(exact_erlang_b(c, a)), rel=1e-12)


@pytest.mark.parametrize("a", [0.1, 1.0, 7.5])
def test_erlang_b_single_agent(a):
    assert erlang_b(1, a) == pytest.approx(a / (1 + a), rel=1e-14)


def test_erlang_b_known_table_value_and_zero_load():
    assert erlang_b(10, 5.0) == pytest.approx(0.018384570, abs=1e-9)
    assert erlang_b(3, 0.0) == 0.0


def test_erlang_b_large_agent_count_matches_log_space_reference():
    c, a = 5000, 4900.0
    n = np.arange(c + 1)
    log_terms = n * math.log(a) - special.gammaln(n + 1)
    expected = math.exp(log_terms[-1] - special.logsumexp(log_terms))
    assert erlang_b(c, a) == pytest.approx(expected, rel=1e-9)


def test_erlang_c_textbook_value():
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-14)


@pytest.mark.parametrize("c, a", [(1, 0.5), (3, 2.2), (10, 8.0), (25, 20.0), (60, 59.5)])
def test_erlang_c_matches_exact_formula(c, a):
    b = exact_erlang_b(c, a)
    rho = Fraction(a) / c
    expected = b / (1 - rho * (1 - b))
    assert erlang_c(c, a) == pytest.approx(float(expected), rel=1e-12)


def test_erlang_c_unstable_and_zero_load():
    assert erlang_c(5, 5.0) == 1.0
    assert erlang_c(5, 7.3) == 1.0
    assert erlang_c(5, 0.0) == 0.0


# ---------------------------------------------------------------------------
# erlang_a: Erlang C branch
# ---------------------------------------------------------------------------


def test_erlang_a_without_patience_uses_erlang_c_closed_forms():
    lam, ht, c, t = 10 / 60, 180.0, 35, 20.0
    kpi = erlang_a(lam, ht, c, None, t)
    assert set(kpi) == KPI_KEYS
    prob = erlang_c(c, lam * ht)
    gap = c / ht - lam
    assert kpi["p_wait"] == pytest.approx(prob, rel=1e-12)
    assert kpi["service_level"] == pytest.approx(1 - prob * math.exp(-gap * t), rel=1e-12)
    assert kpi["mean_wait"] == pytest.approx(prob / gap, rel=1e-12)
    assert kpi["asa"] == kpi["mean_wait"]
    assert kpi["abandon_rate"] == 0.0
    assert kpi["occupancy"] == pytest.approx(lam * ht / c, rel=1e-12)
    assert all(type(v) is float for v in kpi.values())


def test_erlang_a_without_patience_unstable():
    kpi = erlang_a(1.0, 10.0, 10, None)
    assert kpi == {
        "service_level": 0.0,
        "abandon_rate": 0.0,
        "asa": math.inf,
        "mean_wait": math.inf,
        "p_wait": 1.0,
        "occupancy": 1.0,
    }
    assert erlang_a(1.0, 10.0, 10, math.inf) == kpi


# ---------------------------------------------------------------------------
# erlang_a: Erlang A branch
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("c, a", [(1, 0.7), (4, 3.0), (10, 12.0), (40, 35.0)])
def test_erlang_a_patience_equal_handle_time_is_m_m_infinity(c, a):
    ht = 60.0
    lam = a / ht
    kpi = erlang_a(lam, ht, c, ht)
    assert set(kpi) == KPI_KEYS
    n = np.arange(0, int(a + 60 * math.sqrt(a) + 100))
    pmf = stats.poisson.pmf(n, a)
    assert kpi["p_wait"] == pytest.approx(stats.poisson.sf(c - 1, a), rel=1e-10)
    excess = float((np.maximum(n - c, 0) * pmf).sum())
    assert kpi["abandon_rate"] == pytest.approx(excess / a, rel=1e-10)
    assert kpi["mean_wait"] == pytest.approx(excess / lam, rel=1e-10)
    busy = float((np.minimum(n, c) * pmf).sum())
    assert kpi["occupancy"] == pytest.approx(busy / c, rel=1e-10)


@pytest.mark.parametrize("c, a, t", [(10, 8.0, 20.0), (3, 1.5, 5.0), (50, 45.0, 10.0)])
def test_erlang_a_tiny_abandonment_approaches_erlang_c(c, a, t):
    ht = 100.0
    lam = a / ht
    ea = erlang_a(lam, ht, c, 1e8, t)
    ec = erlang_a(lam, ht, c, None, t)
    for key in ("service_level", "mean_wait", "asa", "p_wait", "occupancy"):
        assert ea[key] == pytest.approx(ec[key], rel=1e-5), key
    assert ea["abandon_rate"] < 1e-5


@pytest.mark.parametrize(
    "lam, ht, c, patience, t",
    [
        (0.5, 10.0, 4, 30.0, 5.0),
        (0.2, 30.0, 5, 20.0, 10.0),  # overloaded: a = 6 > 5
        (1.0, 2.0, 1, 5.0, 3.0),
        (0.1, 60.0, 3, 200.0, 20.0),  # overloaded: a = 6 > 3
        (0.05, 100.0, 6, 50.0, 0.5),
    ],
)
def test_erlang_a_matches_matrix_exponential_reference(lam, ht, c, patience, t):
    kpi = erlang_a(lam, ht, c, patience, t)
    ref = reference_erlang_a(lam, 1 / ht, 1 / patience, c, t)
    for key in KPI_KEYS:
        assert kpi[key] == pytest.approx(ref[key], rel=1e-9, abs=1e-12), key
    # Served fraction from the virtual-wait chain agrees with Little's-law abandonment.
    assert ref["p_served"] == pytest.approx(1 - kpi["abandon_rate"], rel=1e-10)


def test_erlang_a_single_agent_sanity():
    lam, ht, patience = 1 / 30, 45.0, 60.0
    kpi = erlang_a(lam, ht, 1, patience, 15.0)
    # With one agent, the agent is busy exactly when an arrival has to wait.
    assert kpi["occupancy"] == pytest.approx(kpi["p_wait"], rel=1e-12)
    mu, theta = 1 / ht, 1 / patience
    weight, total, term = 1.0, 1.0, lam / mu
    for j in range(1, 2000):
        total += term
        term *= lam / (mu + j * theta)
    assert kpi["p_wait"] == pytest.approx(1 - weight / total, rel=1e-12)
    assert 1 - kpi["p_wait"] <= kpi["service_level"] <= 1 - kpi["abandon_rate"]
    assert 0 < kpi["asa"] < kpi["mean_wait"] / kpi["p_wait"] * 10


def test_erlang_a_threshold_limits():
    lam, ht, c, patience = 0.3, 40.0, 12, 90.0
    at_zero = erlang_a(lam, ht, c, patience, 0.0)
    assert at_zero["service_level"] == pytest.approx(1 - at_zero["p_wait"], rel=1e-12)
    forever = erlang_a(lam, ht, c, patience, 1e6)
    assert forever["service_level"] == pytest.approx(1 - forever["abandon_rate"], rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    lam=st.floats(0.01, 2.0),
    ht=st.floats(5.0, 300.0),
    patience=st.floats(2.0, 600.0),
    c=st.integers(1, 40),
    t=st.floats(0.0, 60.0),
)
def test_erlang_a_monotone_in_agents(lam, ht, patience, c, t):
    fewer = erlang_a(lam, ht, c, patience, t)
    more = erlang_a(lam, ht, c + 1, patience, t)
    eps = 1e-12
    assert more["service_level"] >= fewer["service_level"] - eps
    assert more["abandon_rate"] <= fewer["abandon_rate"] + eps
    assert more["mean_wait"] <= fewer["mean_wait"] * (1 + 1e-9) + eps
    assert more["occupancy"] <= fewer["occupancy"] + eps
    for kpi in (fewer, more):
        for key in ("service_level", "abandon_rate", "p_wait", "occupancy"):
            assert 0.0 <= kpi[key] <= 1.0
        assert kpi["service_level"] <= 1 - kpi["abandon_rate"] + 1e-12


@pytest.mark.parametrize("patience", [120.0, 600.0, None])
def test_erlang_a_stable_for_thousands_of_agents(patience):
    ht = 180.0
    kpi = erlang_a(2950 / ht, ht, 3000, patience, 20.0)
    assert set(kpi) == KPI_KEYS
    for key, value in kpi.items():
        assert math.isfinite(value), key
        if key not in ("asa", "mean_wait"):
            assert 0.0 <= value <= 1.0, key
    assert kpi["service_level"] > 0.9


def test_erlang_a_five_thousand_agents_overloaded():
    ht = 180.0
    kpi = erlang_a(5500 / ht, ht, 5000, 300.0, 20.0)
    assert all(math.isfinite(v) for v in kpi.values())
    assert kpi["p_wait"] == pytest.approx(1.0, abs=1e-9)
    # Heavily overloaded: all agents busy, the excess 500 Erlangs abandon.
    assert kpi["abandon_rate"] == pytest.approx(500 / 5500, rel=1e-3)


# ---------------------------------------------------------------------------
# required_agents / square_root_staffing
# ---------------------------------------------------------------------------


def _meets(kpi, service_level=None, abandon_rate=None, asa=None):
    return (
        (service_level is None or kpi["service_level"] >= service_level)
        and (abandon_rate is None or kpi["abandon_rate"] <= abandon_rate)
        and (asa is None or kpi["asa"] <= asa)
    )


@pytest.mark.parametrize(
    "lam, ht, patience, targets",
    [
        (10 / 60, 180.0, 120.0, {"service_level": 0.8}),
        (10 / 60, 180.0, 120.0, {"abandon_rate": 0.03}),
        (10 / 60, 180.0, 120.0, {"asa": 15.0, "service_level": 0.7}),
        (2.0, 300.0, 60.0, {"service_level": 0.9, "abandon_rate": 0.01}),
        (0.01, 60.0, 30.0, {"abandon_rate": 0.5}),
        (1.0, 100.0, 30.0, {"abandon_rate": 0.4}),  # answer is below the offered load
    ],
)
def test_required_agents_is_minimal(lam, ht, patience, targets):
    n = required_agents(lam, ht, patience, 20.0, **targets)
    assert _meets(erlang_a(lam, ht, n, patience, 20.0), **targets)
    if n > 1:
        assert not _meets(erlang_a(lam, ht, n - 1, patience, 20.0), **targets)


@pytest.mark.parametrize(
    "lam, ht, targets",
    [
        (10 / 60, 180.0, {"service_level": 0.8}),
        (0.5, 30.0, {"asa": 5.0}),
        (0.05, 600.0, {"service_level": 0.95, "asa": 10.0}),
        (0.001, 10.0, {"service_level": 0.5}),
    ],
)
def test_required_agents_erlang_c_matches_brute_force(lam, ht, targets):
    brute = 1
    while not _meets(erlang_a(lam, ht, brute, None, 20.0), **targets):
        brute += 1
    assert required_agents(lam, ht, None, 20.0, **targets) == brute


def test_required_agents_abandon_target_without_patience():
    # No abandonment at all: any stable staffing meets an abandonment target.
    assert required_agents(0.1, 100.0, None, abandon_rate=0.05) == 11


def test_required_agents_errors():
    with pytest.raises(ValueError, match="service_level"):
        required_agents(0.1, 100.0, 60.0)
    with pytest.raises(ValueError, match="max_agents"):
        required_agents(1.0, 100.0, 60.0, service_level=0.9, max_agents=50)
    with pytest.raises(ValueError, match="max_agents"):
        required_agents(1.0, 100.0, None, service_level=0.9, max_agents=100)
    with pytest.raises(ValueError, match="service_level"):
        required_agents(0.1, 100.0, 60.0, service_level=80)
    with pytest.raises(ValueError, match="abandon_rate"):
        required_agents(0.1, 100.0, 60.0, abandon_rate=0.0)
    with pytest.raises(ValueError, match="asa"):
        required_agents(0.1, 100.0, 60.0, asa=-1.0)
    with pytest.raises(ValueError, match="max_agents"):
        required_agents(0.1, 100.0, 60.0, service_level=0.8, max_agents=0)


def test_square_root_staffing():
    assert square_root_staffing(1.0, 100.0, 1.0) == 110
    assert square_root_staffing(1.0, 100.0, 0.5) == 105
    assert square_root_staffing(0.1, 30.0, 0.0) == 3  # 0.1*30 is 3.0000000000000004
    assert square_root_staffing(0.5, 9.0, 1.0) == math.ceil(4.5 + math.sqrt(4.5))
    assert square_root_staffing(0.001, 1.0, -5.0) == 1


# ---------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: erlang_b(0, 1.0), "agents"),
        (lambda: erlang_b(2.5, 1.0), "agents"),
        (lambda: erlang_b(3, -1.0), "offered_load"),
        (lambda: erlang_c(-1, 1.0), "agents"),
        (lambda: erlang_c(3, float("nan")), "offered_load"),
        (lambda: erlang_a(0.0, 100.0, 5, 60.0), "arrival_rate"),
        (lambda: erlang_a(-0.1, 100.0, 5, 60.0), "arrival_rate"),
        (lambda: erlang_a(0.1, 0.0, 5, 60.0), "mean_handle_time"),
        (lambda: erlang_a(0.1, 100.0, 0, 60.0), "agents"),
        (lambda: erlang_a(0.1, 100.0, True, 60.0), "agents"),
        (lambda: erlang_a(0.1, 100.0, 5, 0.0), "mean_patience"),
        (lambda: erlang_a(0.1, 100.0, 5, -3.0), "mean_patience"),
        (lambda: erlang_a(0.1, 100.0, 5, 60.0, -1.0), "sl_threshold"),
        (lambda: erlang_a("fast", 100.0, 5, 60.0), "arrival_rate"),
        (lambda: required_agents(0.0, 100.0, 60.0, service_level=0.8), "arrival_rate"),
        (lambda: required_agents(0.1, -5.0, 60.0, service_level=0.8), "mean_handle_time"),
        (lambda: required_agents(0.1, 100.0, 60.0, service_level=1.0), "service_level"),
        (lambda: square_root_staffing(0.0, 100.0, 1.0), "arrival_rate"),
        (lambda: square_root_staffing(1.0, -1.0, 1.0), "mean_handle_time"),
        (lambda: square_root_staffing(1.0, 100.0, float("inf")), "beta"),
    ],
)
def test_bad_input_raises_value_error_naming_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_required_agents_by_hand_100_calls_an_hour():
    """100 calls an hour, AHT 3 min: 5 erlangs. By hand (exact Erlang C), 7 agents answer 74.0% within 20 s and
    8 agents 88.0%, so 80/20 needs 8; ASA is 29.2 s with 7 and 10.04 s with 8, so ASA <= 10 s needs 9."""
    lam, aht = 100 / 3600, 180.0

    def by_hand(c: int) -> tuple[float, float]:
        a = Fraction(5)
        top = a**c / math.factorial(c) * Fraction(c) / (c - a)
        p_wait = float(top / (sum(a**k / math.factorial(k) for k in range(c)) + top))
        return 1 - p_wait * math.exp(-(c - 5) / aht * 20), p_wait * aht / (c - 5)

    assert by_hand(7)[0] == pytest.approx(0.74044, abs=1e-5) and by_hand(8)[0] == pytest.approx(0.88015, abs=1e-5)
    assert required_agents(lam, aht, None, 20, service_level=0.8) == 8
    assert erlang_a(lam, aht, 8, None, 20)["service_level"] == pytest.approx(by_hand(8)[0], rel=1e-12)
    assert by_hand(8)[1] == pytest.approx(10.036, abs=1e-3)
    assert required_agents(lam, aht, None, 20, asa=10) == 9
