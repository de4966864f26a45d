"""Exact steady-state queueing formulas (Erlang B, C and A) in ccsim units.

Rates are per second and times are in seconds.  These closed forms give the
analytic reference the simulator is validated against and a fast staffing
estimate.  Everything is computed with recursions or in log space, so it stays
finite and accurate for tens of thousands of agents.

Erlang A (M/M/c+M) is solved exactly on its birth-death chain:

* stationary probabilities in log space, with the queue tail truncated once
  the remaining mass is below 1e-18 of the largest state;
* waiting times from the "virtual wait" of a customer with ``k`` customers
  ahead, a pure-death chain with rates ``c*mu + i*theta`` killed at rate
  ``theta`` (the customer's own patience);
* the service level from uniformization of that chain (error below 1e-12).

KPI vocabulary of the returned dictionaries (shared with the simulator):
``service_level``, ``abandon_rate``, ``asa``, ``mean_wait``, ``p_wait`` and
``occupancy``; see :func:`erlang_a`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "erlang_b",
    "erlang_c",
    "erlang_a",
    "required_agents",
    "square_root_staffing",
]

# Queue states whose stationary mass is below this (relative to the largest
# state) are dropped: log(1e-18).
_LOG_TAIL_TOL = math.log(1e-18)
# Upper bound on the number of queue states kept for Erlang A.
_MAX_QUEUE_STATES = 5_000_000
# Transient mass below which the uniformization loop stops early.
_ABSORBED_TOL = 1e-18

_KPI_KEYS = ("service_level", "abandon_rate", "asa", "mean_wait", "p_wait", "occupancy")


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------


def _check_agents(value: object, name: str = "agents") -> int:
    """Return ``value`` as an int >= 1 or raise ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be a whole number of agents (int >= 1), got {value!r}; "
            f"pass an int such as {name}=10"
        )
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value!r}; pass {name} >= 1")
    return int(value)


def _as_float(value: object, name: str) -> float:
    """Convert ``value`` to float or raise ValueError naming ``name``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def _check_positive(value: object, name: str, unit: str) -> float:
    """Return ``value`` as a finite float > 0 or raise ValueError naming ``name``."""
    v = _as_float(value, name)
    if not math.isfinite(v) or v <= 0.0:
        raise ValueError(
            f"{name} must be a positive finite number ({unit}), got {value!r}; "
            f"pass a value > 0"
        )
    return v


def _check_nonnegative(value: object, name: str, unit: str) -> float:
    """Return ``value`` as a finite float >= 0 or raise ValueError naming ``name``."""
    v = _as_float(value, name)
    if not math.isfinite(v) or v < 0.0:
        raise ValueError(
            f"{name} must be a finite number >= 0 ({unit}), got {value!r}; "
            f"pass a value >= 0"
        )
    return v


def _check_probability(value: object, name: str) -> float:
    """Return ``value`` as a float strictly inside (0, 1) or raise ValueError."""
    v = _as_float(value, name)
    if not (0.0 < v < 1.0):
        raise ValueError(
            f"{name} must be a fraction strictly between 0 and 1, got {value!r}; "
            f"pass e.g. {name}=0.8 (not a percentage such as 80)"
        )
    return v


def _patience_rate(mean_patience: object) -> float | None:
    """Return the abandonment rate 1/mean_patience, or None for no abandonment."""
    if mean_patience is None:
        return None
    v = _as_float(mean_patience, "mean_patience")
    if v == math.inf:
        return None
    if not math.isfinite(v) or v <= 0.0:
        raise ValueError(
            f"mean_patience must be a positive finite number of seconds or None "
            f"(no abandonment), got {mean_patience!r}; pass a value > 0 or None"
        )
    return 1.0 / v


# ---------------------------------------------------------------------------
# Erlang B and C
# ---------------------------------------------------------------------------


def erlang_b(agents: int, offered_load: float) -> float:
    """Blocking probability of M/M/c/c via the overflow-free recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    c = _check_agents(agents)
    a = _check_nonnegative(offered_load, "offered_load", "Erlangs = arrival rate x mean handle time")
    b = 1.0
    for k in range(1, c + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_c(agents: int, offered_load: float) -> float:
    """Probability an arrival waits in M/M/c (Erlang C), from Erlang B; 1.0 when the queue is unstable."""
    c = _check_agents(agents)
    a = _check_nonnegative(offered_load, "offered_load", "Erlangs = arrival rate x mean handle time")
    if a >= c:
        return 1.0
    if a == 0.0:
        return 0.0
    b = erlang_b(c, a)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def _erlang_c_kpis(lam: float, handle: float, c: int, threshold: float) -> dict[str, float]:
    """KPIs of M/M/c (no abandonment) from the Erlang C closed forms."""
    a = lam * handle
    if a >= c:
        return {
            "service_level": 0.0,
            "abandon_rate": 0.0,
            "asa": math.inf,
            "mean_wait": math.inf,
            "p_wait": 1.0,
            "occupancy": 1.0,
        }
    prob_wait = erlang_c(c, a)
    gap = (c - a) / handle  # c*mu - lambda, written to avoid cancellation
    mean_wait = prob_wait / gap
    service_level = 1.0 - prob_wait * math.exp(-gap * threshold)
    return {
        "service_level": min(1.0, max(0.0, service_level)),
        "abandon_rate": 0.0,
        "asa": mean_wait,
        "mean_wait": mean_wait,
        "p_wait": prob_wait,
        "occupancy": a / c,
    }


# ---------------------------------------------------------------------------
# Erlang A
# ---------------------------------------------------------------------------


def _stationary(lam: float, mu: float, theta: float, c: int) -> tuple[float, np.ndarray]:
    """Stationary law of M/M/c+M: P(n < c) and the array pi_{c+k}, k = 0..K (tail truncated)."""
    log_a = math.log(lam) - math.log(mu)
    n = np.arange(1, c + 1, dtype=float)
    # log of a^n / n!, n = 0..c
    log_head = np.concatenate(([0.0], np.cumsum(log_a - np.log(n))))
    top = float(log_head.max())
    last = float(log_head[-1])

    cmu = c * mu
    log_lam = math.log(lam)
    chunks: list[np.ndarray] = []
    start = 1
    size = 1024
    while True:
        j = np.arange(start, start + size, dtype=float)
        log_ratio = log_lam - np.log(cmu + j * theta)  # log pi_{c+j}/pi_{c+j-1}
        log_w = last + np.cumsum(log_ratio)
        top = max(top, float(log_w.max()))
        # Past the peak the ratios shrink, so pi_j / (1 - ratio_j) bounds the rest of the tail.
        with np.errstate(divide="ignore", invalid="ignore"):
            rest = log_w - np.log(-np.expm1(log_ratio))
        done = (log_ratio < 0.0) & (rest < top + _LOG_TAIL_TOL)
        if done.any():
            chunks.append(log_w[: int(np.argmax(done))])
            break
        chunks.append(log_w)
        last = float(log_w[-1])
        start += size
        if start > _MAX_QUEUE_STATES:
            raise ValueError(
                f"Erlang A queue would need more than {_MAX_QUEUE_STATES} states: the "
                f"arrival rate far exceeds agents*service rate and mean_patience "
                f"({1.0 / theta:g} s) is too long; use a shorter mean_patience or more agents"
            )
        size = min(size * 2, 1 << 20)

    log_all = np.concatenate([log_head] + chunks)
    weights = np.exp(log_all - float(log_all.max()))
    weights /= weights.sum()
    return float(weights[:c].sum()), weights[c:]


def _poisson_window(x: float) -> tuple[int, int, np.ndarray]:
    """Poisson(x) pmf on [n_min, n_max] holding all but ~1e-15 of the mass, from stable log ratios."""
    if x <= 0.0:
        return 0, 0, np.ones(1)
    spread = 10.0 * math.sqrt(x) + 30.0
    n_max = int(math.ceil(x + spread))
    n_min = max(0, int(math.floor(x - spread)))
    mode = min(max(int(math.floor(x)), n_min), n_max)
    up = np.arange(mode + 1, n_max + 1, dtype=float)  # w_n / w_{n-1} = x / n
    log_up = np.cumsum(np.log(x / up))
    down = np.arange(mode, n_min, -1, dtype=float)  # w_{n-1} / w_n = n / x
    log_down = np.cumsum(np.log(down / x))
    log_w = np.concatenate((log_down[::-1], [0.0], log_up))
    w = np.exp(log_w)
    w /= w.sum()
    return n_min, n_max, w


def _served_within(queue: np.ndarray, rates: np.ndarray, theta: float, threshold: float) -> float:
    """Mass of customers who wait, are served and wait at most ``threshold``, by uniformization.

    ``queue[k]`` is the probability an arrival finds ``k`` customers ahead and
    ``rates[k] = c*mu + k*theta`` the rate at which the line ahead shrinks.
    """
    if threshold <= 0.0 or queue.size == 0 or float(queue.sum()) == 0.0:
        return 0.0
    big_lambda = float(rates[-1]) + theta  # rates increase with k
    n_min, n_max, w = _poisson_window(big_lambda * threshold)
    down = rates / big_lambda
    stay = (big_lambda - rates - theta) / big_lambda
    stay[stay < 0.0] = 0.0
    p = np.array(queue, dtype=float)
    served = 0.0
    total = 0.0
    for n in range(n_max + 1):
        if n >= n_min:
            total += float(w[n - n_min]) * served
        if n == n_max:
            break
        flow = p * down
        served += float(flow[0])
        p *= stay
        p[:-1] += flow[1:]
        if (n & 31) == 31 and float(p.sum()) < _ABSORBED_TOL:
            # Everything is absorbed: served stays constant for all later jumps.
            total += served * float(w[max(n + 1 - n_min, 0):].sum())
            break
    return total


def _erlang_a_kpis(lam: float, handle: float, theta: float, c: int, threshold: float) -> dict[str, float]:
    """KPIs of M/M/c+M from its exact birth-death chain."""
    mu = 1.0 / handle
    p_below, queue = _stationary(lam, mu, theta, c)
    k = np.arange(queue.size, dtype=float)
    rates = c * mu + k * theta
    mean_queue = float((k * queue).sum())
    p_wait = float(queue.sum())
    abandon = theta * mean_queue / lam
    mean_wait = mean_queue / lam

    # P(served | k ahead) = prod_{i<=k} r_i / (r_i + theta); E[V 1{served} | k] = P * sum 1/(r_i + theta)
    p_served_k = np.exp(np.cumsum(-np.log1p(theta / rates)))
    wait_sum_k = np.cumsum(1.0 / (rates + theta))
    p_served = p_below + float((queue * p_served_k).sum())
    asa = float((queue * p_served_k * wait_sum_k).sum()) / p_served

    service_level = p_below + float(_served_within(queue, rates, theta, threshold))
    occupancy = lam * (1.0 - abandon) * handle / c
    return {
        "service_level": min(1.0, max(0.0, service_level)),
        "abandon_rate": min(1.0, max(0.0, abandon)),
        "asa": asa,
        "mean_wait": mean_wait,
        "p_wait": min(1.0, max(0.0, p_wait)),
        "occupancy": min(1.0, max(0.0, occupancy)),
    }


def erlang_a(
    arrival_rate: float,
    mean_handle_time: float,
    agents: int,
    mean_patience: float | None,
    sl_threshold: float = 20.0,
) -> dict[str, float]:
    """Exact steady-state KPIs of M/M/c+M (Erlang A), or M/M/c (Erlang C) when ``mean_patience`` is None.

    Returned keys: ``service_level`` = P(served and waited <= sl_threshold) over
    all arrivals (abandons are misses); ``abandon_rate`` = P(abandon); ``asa`` =
    mean wait of served callers; ``mean_wait`` = mean time in queue over all
    arrivals; ``p_wait`` = P(all agents busy at arrival); ``occupancy`` = mean
    busy agents / agents.  Unstable Erlang C (load >= agents) gives
    service_level 0, abandon_rate 0, asa and mean_wait inf, p_wait and occupancy 1.
    """
    lam = _check_positive(arrival_rate, "arrival_rate", "calls per second")
    handle = _check_positive(mean_handle_time, "mean_handle_time", "seconds")
    c = _check_agents(agents)
    theta = _patience_rate(mean_patience)
    threshold = _check_nonnegative(sl_threshold, "sl_threshold", "seconds")
    if theta is None:
        return _erlang_c_kpis(lam, handle, c, threshold)
    return _erlang_a_kpis(lam, handle, theta, c, threshold)


# ---------------------------------------------------------------------------
# staffing
# ---------------------------------------------------------------------------


def required_agents(
    arrival_rate: float,
    mean_handle_time: float,
    mean_patience: float | None,
    sl_threshold: float = 20.0,
    *,
    service_level: float | None = None,
    abandon_rate: float | None = None,
    asa: float | None = None,
    max_agents: int = 100_000,
) -> int:
    """Fewest agents meeting every given target (SL >=, abandon rate <=, ASA <=), by galloping plus bisection on the monotone KPIs."""
    lam = _check_positive(arrival_rate, "arrival_rate", "calls per second")
    handle = _check_positive(mean_handle_time, "mean_handle_time", "seconds")
    theta = _patience_rate(mean_patience)
    threshold = _check_nonnegative(sl_threshold, "sl_threshold", "seconds")
    limit = _check_agents(max_agents, "max_agents")
    if service_level is None and abandon_rate is None and asa is None:
        raise ValueError(
            "required_agents needs at least one target: pass service_level=..., "
            "abandon_rate=... and/or asa=..."
        )
    sl_target = None if service_level is None else _check_probability(service_level, "service_level")
    ab_target = None if abandon_rate is None else _check_probability(abandon_rate, "abandon_rate")
    asa_target = None if asa is None else _check_positive(asa, "asa", "seconds")

    def meets(c: int) -> bool:
        """True when ``c`` agents meet every requested target."""
        if theta is None:
            kpi = _erlang_c_kpis(lam, handle, c, threshold)
        else:
            kpi = _erlang_a_kpis(lam, handle, theta, c, threshold)
        return (
            (sl_target is None or kpi["service_level"] >= sl_target)
            and (ab_target is None or kpi["abandon_rate"] <= ab_target)
            and (asa_target is None or kpi["asa"] <= asa_target)
        )

    def fail() -> ValueError:
        """Error raised when even ``max_agents`` agents miss the targets."""
        wanted = ", ".join(
            f"{name}={value!r}"
            for name, value in (("service_level", sl_target), ("abandon_rate", ab_target), ("asa", asa_target))
            if value is not None
        )
        return ValueError(
            f"targets ({wanted}) cannot be met with max_agents={limit}; raise max_agents "
            f"or relax the targets"
        )

    load = lam * handle
    step = max(1, int(math.ceil(math.sqrt(load))))
    # lo: a count known to fail (0 = "nothing below 1"); hi: a count known to succeed.
    if theta is None:
        lo = int(math.floor(load))  # Erlang C is unstable for c <= load
        if lo >= limit:
            raise fail()
        start = lo + 1
    else:
        lo = 0
        start = min(limit, max(1, int(math.ceil(load))))
    if meets(start):
        hi = start
        while hi - step > lo:
            probe = hi - step
            if meets(probe):
                hi = probe
                step *= 2
            else:
                lo = probe
                break
    else:
        lo = start
        while True:
            if lo >= limit:
                raise fail()
            probe = min(limit, lo + step)
            if meets(probe):
                hi = probe
                break
            lo = probe
            step *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def square_root_staffing(arrival_rate: float, mean_handle_time: float, beta: float) -> int:
    """Square-root staffing rule ceil(R + beta*sqrt(R)) with R the offered load; a quick QED-regime estimate."""
    lam = _check_positive(arrival_rate, "arrival_rate", "calls per second")
    handle = _check_positive(mean_handle_time, "mean_handle_time", "seconds")
    b = _as_float(beta, "beta")
    if not math.isfinite(b):
        raise ValueError(f"beta must be a finite number (safety factor, typically 0..3), got {beta!r}")
    load = lam * handle
    target = load + b * math.sqrt(load)
    # Tolerate rounding noise such as 0.1*30 = 3.0000000000000004.
    return max(1, int(math.ceil(target - 1e-12 * max(1.0, abs(target)))))
