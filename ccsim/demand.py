"""Demand sampling: every caller and every random quantity they may need, drawn up front per seed.

Common random numbers: the sample depends only on ``scenario.demand`` (plus horizon and interval) and the
seed, never on the design, so every design faces the very same callers. Each purpose (arrivals, needs,
patience, talk, ...) has its own stream spawned from the seed, so adding a draw for one purpose never
shifts another. Engines read these arrays and draw nothing themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .checks import expected_arrivals, rate_segments, segment_edges
from .config import Scenario
from .limits import DAY, MAX_FIRST_CONTACTS
from .errors import ScenarioError

__all__ = ["DAY", "PURPOSES", "DemandSample", "expected_arrivals", "purpose_rngs", "rate_segments", "sample_demand",
           "segment_edges"]

#: One independent stream per purpose; the order is part of the reproducibility contract (append only).
PURPOSES = ("arrivals", "busyness", "needs", "ivr", "patience", "talk", "acw", "resolve", "retry",
            "redial_delay", "callback_delay", "survey", "deflect")


def purpose_rngs(seed: int, rep: int) -> dict[str, np.random.Generator]:
    """Stateless derivation: replication ``rep`` of ``seed`` gets the same streams in any process."""
    return {p: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(rep, k))))
            for k, p in enumerate(PURPOSES)}


@dataclass
class DemandSample:
    """Callers of one replication, sorted by first-arrival time; caller id = row index.

    Shapes: n callers, K attempts (contacts) per caller at most (1 when no call type redials or calls back),
    N needs at most, L = N + 1 queue legs.
    """

    arrival: np.ndarray          # (n,) first-contact arrival time
    call_type: np.ndarray        # (n,) int32 index into scenario.demand.call_types
    n_needs: np.ndarray          # (n,) int32
    needs: np.ndarray            # (n, N) int32 skill index, -1 padded; the same on every contact
    deflect_u: np.ndarray        # (n,) uniform: deflected if < the design's deflection share
    option: np.ndarray           # (n, K) int32 menu option pressed (a wrong one when misrouted)
    patience: np.ndarray         # (n, K, L) seconds; inf = never abandons
    talk: np.ndarray             # (n, K, N) talk seconds at speed 1
    acw: np.ndarray              # (n, K, N) after-call work seconds at speed 1
    resolve_u: np.ndarray        # (n, K) uniform: resolved if < resolution probability
    retry_u: np.ndarray          # (n, K) uniform: redials / calls back if < the call type's probability
    redial_delay: np.ndarray     # (n, K) seconds from abandonment to redial
    callback_delay: np.ndarray   # (n, K) seconds from an unresolved contact's end to the callback
    survey_u: np.ndarray         # (n, K) uniform: takes the survey if < take rate

    @property
    def n_callers(self) -> int:
        return int(self.arrival.shape[0])

    def equals(self, other: "DemandSample") -> bool:
        """Exact equality of every array (used to prove common random numbers)."""
        return all(np.array_equal(getattr(self, f.name), getattr(other, f.name), equal_nan=True) for f in fields(self))


def _check_size(sc: Scenario, seed: int, rep: int, mean: float) -> None:
    """Refuse a replication that the day-level busyness made too big to hold in memory (validation bounds
    the expected size at busyness 1; with busyness_cv <= 1 a day 10 times busier has odds of e^-10)."""
    limit = 10 * MAX_FIRST_CONTACTS
    if not mean <= limit:
        raise ScenarioError("demand.busyness_cv", f"replication {rep} of seed {seed} drew days so busy that they expect "
                            f"{mean:.3g} first contacts, more than the {limit:.0e} a replication can hold",
                            "lower demand.busyness_cv or the volume")


def sample_demand(sc: Scenario, seed: int, rep: int = 0) -> DemandSample:
    """Draw the callers of replication ``rep`` of ``seed``; depends on the demand only (CRN)."""
    d = sc.demand
    rng = purpose_rngs(seed, rep)
    skill_ix = {s: i for i, s in enumerate(d.skills)}
    cts = list(d.call_types.values())
    n_days = int(np.ceil(sc.horizon / DAY)) + 1
    if d.busyness_cv > 0:
        shape = 1.0 / d.busyness_cv**2
        busy = rng["busyness"].gamma(shape, 1.0 / shape, n_days)
    else:
        busy = np.ones(n_days)

    times, types = [], []
    edges = segment_edges(sc)
    segments = [rate_segments(sc, i, busy, edges) for i in range(len(cts))]
    _check_size(sc, seed, rep, sum(float((r * (b - a)).sum()) for a, b, r in segments))
    for i, (a, b, r) in enumerate(segments):
        counts = rng["arrivals"].poisson(r * (b - a))
        t = rng["arrivals"].uniform(np.repeat(a, counts), np.repeat(b, counts))
        times.append(t)
        types.append(np.full(t.shape, i, dtype=np.int32))
    arrival = np.concatenate(times) if times else np.zeros(0)
    call_type = np.concatenate(types) if types else np.zeros(0, np.int32)
    order = np.argsort(arrival, kind="stable")  # ties (never in practice) keep call-type order
    arrival, call_type = arrival[order], call_type[order]
    n = arrival.shape[0]

    # draw only what the demand can use: one contact per caller when nobody redials or calls back
    retries = any(ct.redial_prob > 0 or ct.callback_prob > 0 for ct in cts)
    K = max(ct.max_attempts for ct in cts) if retries else 1
    N = max(ct.max_needs() for ct in cts)
    L = N + 1
    S = len(d.skills)
    needs = np.full((n, N), -1, dtype=np.int32)
    n_needs = np.zeros(n, dtype=np.int32)
    u_needs = rng["needs"].random(n)
    patience = np.full((n, K, L), np.inf)
    talk = np.zeros((n, K, N))
    acw = np.zeros((n, K, N))
    misroute = np.zeros((n, K), dtype=bool)
    if any(ct.misroute_prob > 0 for ct in cts):
        u_mis = rng["ivr"].random((n, K))
        u_wrong = rng["ivr"].random((n, K))
    else:
        u_mis = np.ones((n, K))
        u_wrong = np.zeros((n, K))
    for i, ct in enumerate(cts):
        rows = np.flatnonzero(call_type == i)
        if rows.size == 0:
            continue
        table = ct.needs_table()
        cum = np.cumsum([p for p, _ in table])
        choice = np.minimum(np.searchsorted(cum / cum[-1], u_needs[rows], side="right"), len(table) - 1)
        for j, (_, nd) in enumerate(table):
            sel = rows[choice == j]
            needs[sel, : len(nd)] = [skill_ix[s] for s in nd]
            n_needs[sel] = len(nd)
        misroute[rows] = u_mis[rows] < ct.misroute_prob
        if ct.patience is not None:
            patience[rows] = ct.patience.sample(rng["patience"], (rows.size, K, L))
    # work content depends on the skill of each need; draw skill by skill for a fixed order
    for s, name in enumerate(d.skills):
        mask = needs == s  # (n, N)
        cnt = int(mask.sum())
        if cnt:
            w = d.work[name]
            t = w.talk.sample(rng["talk"], (cnt, K))
            c = w.acw.sample(rng["acw"], (cnt, K))
            talk.transpose(0, 2, 1)[mask] = t
            acw.transpose(0, 2, 1)[mask] = c
    # IVR option: the first need's option, or (misrouted) one of the other options uniformly
    first = np.repeat(needs[:, :1], K, axis=1)
    wrong = np.floor(u_wrong * max(S - 1, 1)).astype(np.int32)
    wrong = wrong + (wrong >= first)  # skip the right option
    option = np.where(misroute & (S > 1), wrong, first).astype(np.int32)
    # draws for attempts beyond a call type's max_attempts are never used; they keep shapes fixed
    return DemandSample(
        arrival=arrival, call_type=call_type, n_needs=n_needs, needs=needs,
        deflect_u=rng["deflect"].random(n), option=option, patience=patience, talk=talk, acw=acw,
        resolve_u=rng["resolve"].random((n, K)), retry_u=rng["retry"].random((n, K)) if retries else np.ones((n, K)),
        redial_delay=_delays(cts, call_type, rng["redial_delay"], K, "redial_delay", retries),
        callback_delay=_delays(cts, call_type, rng["callback_delay"], K, "callback_delay", retries),
        survey_u=rng["survey"].random((n, K)),
    )


def _delays(cts, call_type, rng, K, attr, needed: bool) -> np.ndarray:
    out = np.zeros((call_type.shape[0], K))
    for i, ct in enumerate(cts) if needed else ():
        rows = np.flatnonzero(call_type == i)
        if rows.size:
            out[rows] = getattr(ct, attr).sample(rng, (rows.size, K))
    return out
