"""Random numbers on demand: every variate is a pure function of its key (docs/model.md, §1).

A key is (seed, replication, caller, attempt, purpose, index). The seed and the replication make a
*stream* (:func:`stream_key`; keys are 64-bit words held as signed integers); a caller of one call type, numbered in arrival order within that type, gets
a *caller key* (:func:`caller_key`); a uniform is then one hash of the caller key and the rest of the key
(:func:`uniform`). The hash is SplitMix64's finaliser (Steele, Lea & Flood 2014), a bijection of 64-bit
words with full avalanche, so different keys give independent-looking uniforms and nothing is drawn that
is not used. Both engines call these compiled functions (the SimPy engine from Python), so they see the
very same numbers; the design never enters a key, so every design faces the same callers.

Transforms: inversion (exponential, uniform, empirical, Weibull), Box-Muller (normal, lognormal), Marsaglia-Tsang
(gamma, with Stuart's boost u^(1/a) below shape 1). A rejection loop draws its i-th try from ``sub`` i.
"""
from __future__ import annotations

import numpy as np
from numba import int64, njit, uint64

from .distributions import KINDS

# purposes: part of the reproducibility contract (append only)
ARRIVAL, BUSYNESS, NEEDS, IVR, PATIENCE, TALK, ACW, RESOLVE, RETRY, REDIAL_DELAY, CALLBACK_DELAY, SURVEY, DEFLECT, \
    BALK, ROUTE, AFTER, ABSENT = range(17)
#: virtual hold (queued callbacks): sub 0 the caller accepts the offer, sub 1 + i they answer the agent's i-th dial
VHOLD = 17
#: the outbound dialer: the n-th number dialled of an outbound call type reaches the right party (sub 0)
REACH = 18
PURPOSES = ("arrival", "busyness", "needs", "ivr", "patience", "talk", "acw", "resolve", "retry", "redial_delay",
            "callback_delay", "survey", "deflect", "balk", "route", "after", "absent", "vhold", "reach")
#: the call-type number of the per-day draws (busyness): no call type has it (at most 256 call types)
DAY_TYPE = (1 << 23) - 1
#: the call-type number of the absence draws: "caller" k is the (group, shift type) whose 40-bit key is k
SHIFT_TYPE = DAY_TYPE - 1

# distribution kinds, as ccsim.distributions encodes them (the position in KINDS); D_NEVER: no patience
D_EXPONENTIAL, D_LOGNORMAL, D_GAMMA, D_DETERMINISTIC, D_UNIFORM, D_EMPIRICAL, D_WEIBULL = (
    KINDS.index(k) for k in ("exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical", "weibull"))
D_NEVER = len(KINDS)

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_SEED_TAG = uint64(0x243F6A8885A308D3)   # digits of pi: the seed's word differs from the replication's
_TWO52 = 1.0 / 4503599627370496.0
_TWO_PI = 6.283185307179586


@njit(uint64(uint64), cache=True, inline="always")
def mix(z):
    """SplitMix64's finaliser: a bijection of 64-bit words."""
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(cache=True)
def stream_key(seed, rep):
    """The stream of replication ``rep`` of ``seed`` (whole numbers in [0, 2^63))."""
    return int64(mix(mix(uint64(seed) ^ _SEED_TAG) + uint64(rep) * _GOLDEN + _GOLDEN))


@njit(cache=True, inline="always")
def caller_key(stream, call_type, seq):
    """The key of the ``seq``-th caller (from 0, in arrival order) of call type ``call_type``; the per-day
    draws use call type :data:`DAY_TYPE` and the day as ``seq``. Distinct callers get distinct keys."""
    return int64(mix(uint64(stream) ^ mix((uint64(call_type) << uint64(40)) + uint64(seq) + _GOLDEN)))


@njit(cache=True, inline="always")
def uniform(ck, attempt, purpose, index, sub):
    """The uniform on (0, 1) of (caller key, attempt < 256, purpose < 256, index < 65536, sub < 2^32)."""
    k2 = (uint64(attempt) << uint64(56)) | (uint64(purpose) << uint64(48)) | (uint64(index) << uint64(32)) | uint64(sub)
    h = mix(uint64(ck) + k2 * _GOLDEN)
    return (float(h >> uint64(12)) + 0.5) * _TWO52  # exact: 52 bits, strictly inside (0, 1)


@njit(cache=True, inline="always")
def normal(ck, attempt, purpose, index, sub):
    """A standard normal (Box-Muller, cosine branch) from subs ``sub`` and ``sub + 1``."""
    u1 = uniform(ck, attempt, purpose, index, sub)
    u2 = uniform(ck, attempt, purpose, index, sub + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(_TWO_PI * u2)


@njit(cache=True)
def gamma(shape, scale, ck, attempt, purpose, index):
    """Gamma(shape, scale) by Marsaglia & Tsang (2000); shape < 1 boosted by u^(1/shape) (sub 2^31)."""
    a = shape if shape >= 1.0 else shape + 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    x = d
    for i in range(1000):  # acceptance is above 95% per try: 1000 tries never run out in practice
        z = normal(ck, attempt, purpose, index, 3 * i)
        v = 1.0 + c * z
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(ck, attempt, purpose, index, 3 * i + 2)
        if np.log(u) < 0.5 * z * z + d - d * v + d * np.log(v):
            x = d * v
            break
    if shape < 1.0:
        x *= uniform(ck, attempt, purpose, index, 1 << 31) ** (1.0 / shape)
    return x * scale


@njit(cache=True)
def draw(kind, p0, p1, values, off, n, ck, attempt, purpose, index):
    """One variate of a compiled distribution (kind, two parameters, an empirical slice of ``values``)."""
    if kind == D_EXPONENTIAL:
        return -p0 * np.log(uniform(ck, attempt, purpose, index, 0))
    if kind == D_LOGNORMAL:  # p0 = mu, p1 = sigma of the log
        return np.exp(p0 + p1 * normal(ck, attempt, purpose, index, 0))
    if kind == D_GAMMA:      # p0 = shape, p1 = scale
        return gamma(p0, p1, ck, attempt, purpose, index)
    if kind == D_DETERMINISTIC:
        return p0
    if kind == D_UNIFORM:
        return p0 + (p1 - p0) * uniform(ck, attempt, purpose, index, 0)
    if kind == D_EMPIRICAL:
        j = int(uniform(ck, attempt, purpose, index, 0) * n)
        return values[off + min(j, n - 1)]
    if kind == D_WEIBULL:    # p0 = shape, p1 = scale
        return p1 * (-np.log(uniform(ck, attempt, purpose, index, 0))) ** (1.0 / p0)
    return np.inf  # D_NEVER: a caller without patience never hangs up


@njit(cache=True)
def busyness(stream, n_days, cv):
    """Day-level volume multipliers: gamma with mean 1 and this cv, one per day (all 1 when cv is 0)."""
    out = np.ones(n_days)
    if cv > 0.0:
        shape = 1.0 / (cv * cv)
        for day in range(n_days):
            out[day] = gamma(shape, 1.0 / shape, caller_key(stream, DAY_TYPE, day), 0, BUSYNESS, 0)
    return out


@njit(cache=True)
def present_agents(stream, shift_key, day, n, p):
    """How many of the ``n`` agents scheduled on a shift on ``day`` come to work: agent j is absent when its
    uniform (key: the shift's (group, shift type) key, day, j) is below ``p``; the same agents whatever the design."""
    if p <= 0.0:
        return n
    ck = caller_key(stream, SHIFT_TYPE, shift_key)
    present = 0
    for j in range(n):
        if uniform(ck, 0, ABSENT, day, j) >= p:
            present += 1
    return present


@njit(cache=True, inline="always")
def next_arrival(t, s, e, seg_end, seg_rate, seg_day, busy, lo, hi):
    """Invert the cumulative rate: from time ``t`` in segment ``s`` (of the slice [lo, hi) of the segment
    arrays), the time at which ``e`` more units of expected arrivals have accrued, and its segment;
    (inf, hi) past the last segment. Each segment's rate is its base rate times its day's busyness."""
    while s < hi:
        r = seg_rate[s] * busy[seg_day[s]]
        b = seg_end[s]
        if r > 0.0:
            dt = e / r
            if t + dt < b:
                return t + dt, s
            e = max(e - (b - t) * r, 0.0)
        t = b
        s += 1
    return np.inf, hi


@njit(cache=True, inline="always")
def first_arrival_gap(stream, ct, seq):
    """The exponential(1) spacing, in expected arrivals, before the ``seq``-th caller of call type ``ct``."""
    return -np.log(uniform(caller_key(stream, ct, seq), 0, ARRIVAL, 0, 0))


# ---------------------------------------------------------------------------- a caller's draws (both engines)
@njit(cache=True)
def dist_draw(m, dist_kind, dist_p, dist_off, dist_n, values, ck, attempt, purpose, index):
    """A variate of distribution ``m`` of a compiled demand's distribution table."""
    return draw(dist_kind[m], dist_p[m, 0], dist_p[m, 1], values, dist_off[m], dist_n[m], ck, attempt, purpose,
                index)


@njit(cache=True, inline="always")
def balks(ck, attempt, leg, balk_prob):
    """A caller who cannot be answered at once on this leg hangs up at once (patience 0) with ``balk_prob``."""
    return balk_prob > 0.0 and uniform(ck, attempt, BALK, leg, 0) < balk_prob


@njit(cache=True, inline="always")
def needs_row(ck, cum, n_rows):
    """The row of the call type's needs table this caller has (the same on every contact)."""
    u = uniform(ck, 0, NEEDS, 0, 0)
    j = 0
    while j < n_rows - 1 and cum[j] <= u:
        j += 1
    return j


@njit(cache=True, inline="always")
def option_pressed(ck, attempt, first, misroute, n_skills):
    """The menu option pressed on this attempt: the first need's skill, or (misrouted) another, uniformly."""
    if misroute > 0.0 and n_skills > 1 and uniform(ck, attempt, IVR, 0, 0) < misroute:
        wrong = min(int(uniform(ck, attempt, IVR, 0, 1) * (n_skills - 1)), n_skills - 2)
        return wrong + (1 if wrong >= first else 0)
    return first


# ---------------------------------------------------------------------------- first arrivals, streamed
@njit(cache=True)
def arrivals_start(stream, busy, seg_end, seg_rate, seg_day, ct_seg, nt, ns, nq):
    """The first pending caller of every call type: time ``nt``, segment ``ns``, number ``nq`` (0)."""
    for ct in range(nt.shape[0]):
        nq[ct] = 0
        nt[ct], ns[ct] = next_arrival(0.0, ct_seg[ct], first_arrival_gap(stream, ct, 0), seg_end, seg_rate,
                                      seg_day, busy, ct_seg[ct], ct_seg[ct + 1])


@njit(cache=True, inline="always")
def arrivals_pop(stream, busy, seg_end, seg_rate, seg_day, ct_seg, nt, ns, nq):
    """The next first arrival of all call types, (time, call type, its number within the type), and the
    type's following caller drawn; (inf, -1, -1) when none is left. Ties go to the lower call type."""
    best = -1
    bt = np.inf
    for ct in range(nt.shape[0]):
        if nt[ct] < bt:
            bt = nt[ct]
            best = ct
    if best < 0:
        return np.inf, -1, -1
    seq = nq[best]
    nq[best] = seq + 1
    nt[best], ns[best] = next_arrival(bt, ns[best], first_arrival_gap(stream, best, seq + 1), seg_end, seg_rate,
                                      seg_day, busy, ct_seg[best], ct_seg[best + 1])
    return bt, best, seq


@njit(cache=True)
def list_arrivals(stream, busy, seg_end, seg_rate, seg_day, ct_seg):
    """Every first arrival of a replication, in order: (times, call types, numbers within the type)."""
    C = ct_seg.shape[0] - 1
    nt = np.empty(C)
    ns = np.empty(C, np.int64)
    nq = np.empty(C, np.int64)
    arrivals_start(stream, busy, seg_end, seg_rate, seg_day, ct_seg, nt, ns, nq)
    cap = 1024
    t = np.empty(cap)
    c = np.empty(cap, np.int64)
    q = np.empty(cap, np.int64)
    n = 0
    while True:
        x, ct, seq = arrivals_pop(stream, busy, seg_end, seg_rate, seg_day, ct_seg, nt, ns, nq)
        if ct < 0:
            break
        if n == cap:
            cap *= 2
            t2 = np.empty(cap)
            c2 = np.empty(cap, np.int64)
            q2 = np.empty(cap, np.int64)
            t2[:n] = t[:n]
            c2[:n] = c[:n]
            q2[:n] = q[:n]
            t, c, q = t2, c2, q2
        t[n] = x
        c[n] = ct
        q[n] = seq
        n += 1
    return t[:n], c[:n], q[:n]
