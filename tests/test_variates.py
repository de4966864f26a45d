"""ccsim.variates: the counter-based generator. Uniforms are uniform and independent across every field of
the key, keys and uniforms do not collide, a key is a pure function (in a fresh process too), each kind of
:func:`~ccsim.variates.draw` samples its exact law, day busyness has mean 1 and the asked cv, and the
non-homogeneous arrivals are Poisson with the right rates, merged by (time, call type).

Large samples come from small ``numba.njit`` loops below that call the compiled generator directly.

False alarms (Bonferroni): the whole module may fail a correct generator with probability ALPHA = 1e-3.
Two kinds of checks spend it:

* the no-duplicate check on N_DUP uniforms: a uniform takes 2^52 equally likely values below 1/2 and
  (rounding k + 1/2 to even) 2^51 values of twice the probability above, so two given draws are equal with
  probability 2^-54 + 2^-53 = 3 * 2^-54 and the chance of any duplicate is at most
  C(N_DUP, 2) * 3 * 2^-54 = 3.3e-4 for N_DUP = 2e6 (the 3e6 64-bit key words: 2.5e-7, counted in);
* the N_CHECKS statistical comparisons (p-values and two-sided z-tests) share the rest: each one fails
  with probability P_MIN = (ALPHA - that) / N_CHECKS (about 8.6e-6, |z| < 4.45).

A module-level counter makes sure the tests never run more comparisons than N_CHECKS declares.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from scipy import stats

from ccsim import variates as V
from ccsim.distributions import Deterministic, Empirical, Exponential, Gamma, Lognormal, Uniform

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------- the false-alarm budget
ALPHA = 1e-3
N_DUP = 2_000_000                 # uniforms checked for duplicates (test_no_collisions)
N_KEYS = 3_040_000                # 64-bit words checked for duplicates (ditto), from 2^64 values
P_COLLIDE = N_DUP * (N_DUP - 1) / 2 * 3 * 2.0**-54 + N_KEYS * (N_KEYS - 1) / 2 * 2.0**-64
WITHIN_PAIRS = (  # (attempt, purpose, index, sub) of u, of v: same caller
    ("purposes patience/talk", (0, V.PATIENCE, 0, 0), (0, V.TALK, 0, 0)),
    ("purposes arrival/needs", (0, V.ARRIVAL, 0, 0), (0, V.NEEDS, 0, 0)),
    ("attempts 0/1", (0, V.TALK, 0, 0), (1, V.TALK, 0, 0)),
    ("attempts 0/128 (a flip of the top input bit only)", (0, V.RETRY, 0, 0), (128, V.RETRY, 0, 0)),
    ("indices 0/1", (0, V.TALK, 0, 0), (0, V.TALK, 1, 0)),
    ("subs 0/1 (Box-Muller's pair)", (0, V.TALK, 0, 0), (0, V.TALK, 0, 1)),
    ("subs 0/2^31 (gamma's boost)", (0, V.TALK, 0, 0), (0, V.TALK, 0, 1 << 31)),
)
N_ACROSS = 4       # lag-1 callers, call types, replications, seeds
N_CHECKS = (
    4 * 2                          # uniformity: 4 samples x (KS, chi-square)
    + len(WITHIN_PAIRS) * 3        # independence within a caller: (chi-square, Pearson, bits) per pair
    + N_ACROSS * 3                 # independence across callers/types/reps/seeds: ditto
    + 6 * 2 + 2                    # distributions: 6 continuous x (KS, mean); empirical (chi-square, mean)
    + 2 * 3                        # busyness: 2 cvs x (KS, mean, variance)
    + 4 * 3 + 4                    # arrivals: 4 (type, segment) x (mean, dispersion, KS); doubled: 4 means
    + 1                            # collisions: duplicates among the leading 32 bits (birthday count)
)
P_MIN = (ALPHA - P_COLLIDE) / N_CHECKS
Z_CRIT = float(stats.norm.isf(P_MIN / 2))
_RUN = [0]  # comparisons made so far


def _p_ok(p: float, what: str) -> None:
    _RUN[0] += 1
    assert p > P_MIN, f"{what}: p = {p:.3g} <= {P_MIN:.3g}"


def _z_ok(z: float, what: str) -> None:
    _RUN[0] += 1
    assert abs(z) < Z_CRIT, f"{what}: |z| = {abs(z):.3g} >= {Z_CRIT:.3g}"


@pytest.fixture(scope="module", autouse=True)
def _budget_kept():
    yield
    assert _RUN[0] <= N_CHECKS, f"{_RUN[0]} comparisons made, {N_CHECKS} budgeted: update N_CHECKS"


# ---------------------------------------------------------------------------- compiled samplers
@numba.njit
def _uniforms(stream, ct, seq0, n, attempt, purpose, index, sub):
    """The uniform of callers seq0 .. seq0 + n - 1 of one call type, for one (attempt, purpose, index, sub)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = V.uniform(V.caller_key(stream, ct, seq0 + i), attempt, purpose, index, sub)
    return out


@numba.njit
def _sub_uniforms(ck, attempt, purpose, index, n):
    """Subs 0 .. n - 1 of one key (a rejection loop's successive tries)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = V.uniform(ck, attempt, purpose, index, i)
    return out


@numba.njit
def _variant_uniforms(stream, n_callers):
    """32 uniforms per caller whose keys differ in one field: 13 purposes, attempts 1-7, indices 1-7, subs 1-5."""
    out = np.empty(n_callers * 32)
    j = 0
    for i in range(n_callers):
        ck = V.caller_key(stream, 0, i)
        for p in range(13):
            out[j] = V.uniform(ck, 0, p, 0, 0)
            j += 1
        for a in range(1, 8):
            out[j] = V.uniform(ck, a, 0, 0, 0)
            j += 1
        for x in range(1, 8):
            out[j] = V.uniform(ck, 0, 0, x, 0)
            j += 1
        for s in range(1, 6):
            out[j] = V.uniform(ck, 0, 0, 0, s)
            j += 1
    return out


@numba.njit
def _caller_keys(stream, cts, n_per):
    out = np.empty(cts.shape[0] * n_per, np.int64)
    for j in range(cts.shape[0]):
        for i in range(n_per):
            out[j * n_per + i] = V.caller_key(stream, cts[j], i)
    return out


@numba.njit
def _stream_keys(n_seeds, n_reps):
    out = np.empty(n_seeds * n_reps, np.int64)
    for s in range(n_seeds):
        for r in range(n_reps):
            out[s * n_reps + r] = V.stream_key(s, r)
    return out


@numba.njit
def _draws(kind, p0, p1, values, off, nv, stream, n, purpose):
    """One variate of (kind, p0, p1) for each of callers 0 .. n - 1 (attempt 0, index 0)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = V.draw(kind, p0, p1, values, off, nv, V.caller_key(stream, 0, i), 0, purpose, 0)
    return out


# ---------------------------------------------------------------------------- checks shared by the tests
def _check_uniform(u: np.ndarray, what: str) -> None:
    assert np.all(u > 0.0) and np.all(u < 1.0), f"{what}: a value outside (0, 1)"
    _p_ok(stats.kstest(u, "uniform").pvalue, f"{what}: KS vs U(0,1)")
    counts = np.bincount(np.minimum((u * 1000).astype(np.int64), 999), minlength=1000)
    _p_ok(stats.chisquare(counts).pvalue, f"{what}: chi-square, 1000 bins")


def _check_independent(u: np.ndarray, v: np.ndarray, what: str) -> None:
    """Chi-square of independence on a 20 x 20 grid, Pearson's r (sd 1/sqrt(n) under independence), and
    the 32 leading bits of u XOR v (each fair and independent under independence: sum of z^2 ~ chi2(32))."""
    n = u.shape[0]
    grid, _, _ = np.histogram2d(u, v, bins=20, range=[[0, 1], [0, 1]])
    _p_ok(stats.chi2_contingency(grid).pvalue, f"{what}: chi-square of independence")
    _z_ok(np.corrcoef(u, v)[0, 1] * np.sqrt(n), f"{what}: Pearson r * sqrt(n)")
    x = np.floor(u * 2.0**32).astype(np.uint64) ^ np.floor(v * 2.0**32).astype(np.uint64)
    ones = np.array([np.count_nonzero((x >> np.uint64(b)) & np.uint64(1)) for b in range(32)])
    z = (ones - n / 2) / np.sqrt(n / 4)
    _p_ok(stats.chi2.sf(float(np.sum(z * z)), 32), f"{what}: bits of u xor v")


def _check_law(x: np.ndarray, law, what: str) -> None:
    """KS against the exact continuous law and the sample mean within Z_CRIT standard errors."""
    _p_ok(stats.kstest(x, law.cdf).pvalue, f"{what}: KS")
    _z_ok((x.mean() - law.mean()) / (law.std() / np.sqrt(x.shape[0])), f"{what}: mean")


# ---------------------------------------------------------------------------- 1. uniformity
N_U = 1_000_000


def test_uniforms_are_uniform():
    s1, s2, s3 = V.stream_key(20240611, 0), V.stream_key(7, 3), V.stream_key(123456789, 41)
    _check_uniform(_uniforms(s1, 0, 0, N_U, 0, V.ARRIVAL, 0, 0), "seed 20240611, arrival")
    _check_uniform(_uniforms(s2, 2, 0, N_U, 1, V.TALK, 0, 0), "seed 7 rep 3, type 2, talk, attempt 1")
    _check_uniform(_uniforms(s3, V.DAY_TYPE, 0, N_U, 0, V.BUSYNESS, 0, 0), "seed 123456789, per-day draws")
    _check_uniform(_sub_uniforms(V.caller_key(s1, 5, 99), 0, V.PATIENCE, 3, N_U), "consecutive subs of one key")


# ---------------------------------------------------------------------------- 2. independence within a caller
N_PAIR = 1_000_000


@pytest.mark.parametrize("what, ka, kb", WITHIN_PAIRS, ids=[w.split(" (")[0] for w, _, _ in WITHIN_PAIRS])
def test_fields_of_one_caller_are_independent(what, ka, kb):
    stream = V.stream_key(31337, 0)
    _check_independent(_uniforms(stream, 1, 0, N_PAIR, *ka), _uniforms(stream, 1, 0, N_PAIR, *kb), what)


# ---------------------------------------------------------------------------- 3. independence across callers
def test_callers_types_replications_and_seeds_are_independent():
    s = V.stream_key(4242, 0)
    u = _uniforms(s, 0, 0, N_PAIR + 1, 0, V.TALK, 0, 0)
    _check_independent(u[:-1], u[1:], "callers seq and seq + 1")
    _check_independent(u[:-1], _uniforms(s, 1, 0, N_PAIR, 0, V.TALK, 0, 0), "call types 0 and 1, same seq")
    _check_independent(u[:-1], _uniforms(V.stream_key(4242, 1), 0, 0, N_PAIR, 0, V.TALK, 0, 0),
                       "replications 0 and 1, same caller")
    _check_independent(_uniforms(V.stream_key(1, 0), 0, 0, N_PAIR, 0, V.TALK, 0, 0),
                       _uniforms(V.stream_key(2, 0), 0, 0, N_PAIR, 0, V.TALK, 0, 0), "seeds 1 and 2, same caller")


# ---------------------------------------------------------------------------- 4. collisions, purity
def test_no_collisions():
    # 64-bit words: caller keys of 8 call types x 125,000 callers (and 20,000 days) in two streams, and
    # the streams of 1000 seeds x 1000 replications
    cts = np.array([0, 1, 2, 3, 4, 5, 255, 65535], np.int64)
    words = [_stream_keys(1000, 1000)]
    for rep in (0, 1):
        stream = V.stream_key(99, rep)
        words += [_caller_keys(stream, cts, 125_000), _caller_keys(stream, np.array([V.DAY_TYPE]), 20_000)]
    words = np.concatenate(words)
    assert words.shape[0] == N_KEYS
    assert np.unique(words).shape[0] == N_KEYS, "two keys share a 64-bit word"
    # uniforms of keys that differ in one field (purpose, attempt, index or sub) or in the caller
    u = _variant_uniforms(V.stream_key(2718, 0), N_DUP // 32)
    assert u.shape[0] == N_DUP
    assert np.unique(u).shape[0] == N_DUP, "two distinct keys gave the same uniform"
    # birthday spacings: among their leading 32 bits, as many repeats as among N_DUP draws from 2^32 values
    # (expected N_DUP - 2^32 (1 - (1 - 2^-32)^N_DUP), about 466, and nearly Poisson)
    repeats = N_DUP - np.unique(np.floor(u * 2.0**32)).shape[0]
    expected = N_DUP + 2.0**32 * np.expm1(N_DUP * np.log1p(-(2.0**-32)))
    _z_ok((repeats - expected) / np.sqrt(expected), "repeats among the leading 32 bits")


PURE = """
import numpy as np
from ccsim import variates as V
def values():
    s = V.stream_key(12345, 6)
    ck = V.caller_key(s, 3, 777)
    x = [V.uniform(ck, 1, V.TALK, 2, 3), V.uniform(ck, 0, V.DEFLECT, 0, 0), V.normal(ck, 0, V.PATIENCE, 0, 0),
         V.gamma(0.3, 2.0, ck, 0, V.ACW, 0), V.gamma(4.5, 2.0, ck, 2, V.ACW, 1),
         V.draw(V.D_LOGNORMAL, 5.0, 0.7, np.zeros(1), 0, 1, ck, 0, V.TALK, 0),
         V.first_arrival_gap(s, 1, 9), *V.busyness(s, 3, 0.2)]
    return [str(s), str(ck)] + [float(v).hex() for v in x]
"""


def test_a_key_is_a_pure_function():
    ns: dict = {}
    exec(PURE, ns)
    here = ns["values"]()
    assert ns["values"]() == here, "the same keys drew other numbers"
    fresh = subprocess.run([sys.executable, "-c", PURE + "\nprint(' '.join(values()))"], cwd=ROOT, text=True,
                           capture_output=True, timeout=300, check=True).stdout.split()
    assert fresh == here, "a fresh process drew other numbers"
    # the same numbers from compiled code as from Python (the SimPy engine calls from Python)
    s = V.stream_key(5, 1)
    u = _uniforms(s, 2, 0, 1000, 1, V.RESOLVE, 3, 4)
    assert np.array_equal(u, _uniforms(s, 2, 0, 1000, 1, V.RESOLVE, 3, 4))
    assert all(u[i] == V.uniform(V.caller_key(s, 2, i), 1, V.RESOLVE, 3, 4) for i in (0, 1, 500, 999))
    b = V.busyness(s, 300, 0.4)
    assert np.array_equal(b[:50], V.busyness(s, 50, 0.4)), "a day's busyness depends on the number of days"
    assert not np.array_equal(b, V.busyness(V.stream_key(5, 2), 300, 0.4))


# a reference of SplitMix64's finaliser, to build the keys whose hash is the largest and the smallest word
_M64 = (1 << 64) - 1
_C1, _C2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _C1) & _M64
    z = ((z ^ (z >> 27)) * _C2) & _M64
    return z ^ (z >> 31)


def _unxorshift(z: int, s: int) -> int:
    x = z
    for _ in range(64 // s + 1):
        x = z ^ (x >> s)
    return x


def _unmix(h: int) -> int:
    z = (_unxorshift(h, 31) * pow(_C2, -1, 1 << 64)) & _M64
    z = (_unxorshift(z, 27) * pow(_C1, -1, 1 << 64)) & _M64
    return _unxorshift(z, 30)


def _signed(z: int) -> int:
    return z - (1 << 64) if z >= 1 << 63 else z


def _key_hashing_to(h: int) -> int:
    """The caller key whose (attempt 0, purpose 0, index 0, sub 0) uniform hashes to the word ``h``."""
    for z in (0, 1, 0x1234567890ABCDEF, _M64):
        assert V.mix(z) == _mix(z) and _unmix(_mix(z)) == z
    return _signed(_unmix(h))


class OutOfUnitInterval(Exception):
    pass


def test_smallest_hash_gives_a_positive_uniform():
    u = V.uniform(_key_hashing_to(0), 0, 0, 0, 0)
    assert 0.0 < u < 1e-15


def test_largest_hash_gives_a_uniform_below_one():
    """(h >> 11 + 0.5) / 2^53 would round to exactly 1.0 for the largest word; 52 bits keep it below."""
    u = V.uniform(_key_hashing_to(_M64), 0, 0, 0, 0)
    if not 0.0 < u < 1.0:
        raise OutOfUnitInterval(f"uniform = {u!r}")


# ---------------------------------------------------------------------------- 5. distributions
N_DRAW = 200_000
NONE = np.zeros(1)


def _sample(dist, stream, purpose, values=NONE, off=0):
    kind, p0, p1 = dist.encode()
    n_values = len(dist.values) if isinstance(dist, Empirical) else 0
    return _draws(kind, p0, p1, values, off, n_values, stream, N_DRAW, purpose)


def _lognormal_law(mean, cv):
    s2 = np.log1p(cv * cv)
    return stats.lognorm(s=np.sqrt(s2), scale=np.exp(np.log(mean) - s2 / 2))


CONTINUOUS = [
    ("exponential mean 180", Exponential(mean=180), stats.expon(scale=180)),
    ("lognormal mean 300 cv 0.8", Lognormal(mean=300, cv=0.8), _lognormal_law(300, 0.8)),
    ("gamma shape 0.3", Gamma(mean=120, cv=0.3**-0.5), stats.gamma(0.3, scale=120 / 0.3)),
    ("gamma shape 1", Gamma(mean=120, cv=1.0), stats.gamma(1.0, scale=120)),
    ("gamma shape 4.5", Gamma(mean=120, cv=4.5**-0.5), stats.gamma(4.5, scale=120 / 4.5)),
    ("uniform 10-50", Uniform(low=10, high=50), stats.uniform(loc=10, scale=40)),
]


@pytest.mark.parametrize("i", range(len(CONTINUOUS)), ids=[c[0] for c in CONTINUOUS])
def test_continuous_draws_follow_their_law(i):
    what, dist, law = CONTINUOUS[i]
    x = _sample(dist, V.stream_key(1000 + i, 0), V.TALK)
    assert np.all(np.isfinite(x)) and np.all(x >= 0)
    _check_law(x, law, what)


def test_empirical_draws_resample_the_values():
    dist = Empirical(values=[1, 2, 2, 7])
    values = np.array([99.0, 99.0, 99.0, 1.0, 2.0, 2.0, 7.0, 99.0])  # the slice [3, 7) of a shared table
    x = _sample(dist, V.stream_key(77, 0), V.ACW, values, off=3)
    counts = np.array([np.count_nonzero(x == v) for v in (1.0, 2.0, 7.0)])
    assert counts.sum() == N_DRAW, "a value outside the distribution's slice"
    _p_ok(stats.chisquare(counts, N_DRAW * np.array([0.25, 0.5, 0.25])).pvalue, "empirical: chi-square")
    mean, sd = 3.0, np.sqrt(np.mean((np.array([1, 2, 2, 7]) - 3.0) ** 2))
    _z_ok((x.mean() - mean) / (sd / np.sqrt(N_DRAW)), "empirical: mean")


def test_deterministic_and_never():
    kind, p0, p1 = Deterministic(value=42.5).encode()
    assert np.all(_draws(kind, p0, p1, NONE, 0, 0, V.stream_key(1, 0), 1000, V.IVR) == 42.5)
    assert np.all(_draws(V.D_NEVER, 0.0, 0.0, NONE, 0, 0, V.stream_key(1, 0), 1000, V.PATIENCE) == np.inf)


# ---------------------------------------------------------------------------- 6. busyness
N_DAYS = 50_000


@pytest.mark.parametrize("cv", [0.2, 0.8])
def test_busyness_has_mean_one_and_the_asked_cv(cv):
    b = V.busyness(V.stream_key(555, 0), N_DAYS, cv)
    k = 1.0 / cv**2  # gamma, shape k, scale 1/k: variance cv^2, excess kurtosis 6/k
    _check_law(b, stats.gamma(k, scale=1.0 / k), f"busyness cv {cv}")
    se_var = cv**2 * np.sqrt((2.0 + 6.0 / k) / N_DAYS)  # sd of the sample variance
    _z_ok((b.var(ddof=1) - cv**2) / se_var, f"busyness cv {cv}: variance")


def test_busyness_is_one_without_cv():
    assert np.array_equal(V.busyness(V.stream_key(555, 0), 1000, 0.0), np.ones(1000))


# ---------------------------------------------------------------------------- 7. arrivals
SEG_END = np.array([3600.0, 7200.0, 10800.0] * 2)
SEG_RATE = np.array([0.01, 0.0, 0.05, 0.03, 0.0, 0.02])  # per second; call type 0, then call type 1
CT_SEG = np.array([0, 3, 6], np.int64)
N_REPS = 2000


def _one_day():
    return np.zeros(6, np.int64)


def _counts(t, c):
    """Arrivals per (call type, segment) of one replication."""
    return np.array([np.histogram(t[c == ct], bins=[0.0, 3600.0, 7200.0, 10800.0])[0] for ct in (0, 1)])


def _check_order(t, c, q):
    assert np.all(np.diff(t) >= 0), "times decrease"
    tie = np.diff(t) == 0
    assert np.all(np.diff(c)[tie] >= 0), "a tie not in call-type order"
    for ct in (0, 1):
        assert np.array_equal(q[c == ct], np.arange(np.count_nonzero(c == ct))), "numbers out of order"
    assert np.all(np.isfinite(t)) and np.all(t >= 0) and np.all(t < 10800.0)
    assert not np.any((t >= 3600.0) & (t < 7200.0)), "an arrival at rate 0"


def test_arrivals_are_poisson_and_merged_in_order():
    busy = np.ones(1)
    counts = np.empty((N_REPS, 2, 3), np.int64)
    within: dict = {(ct, s): [] for ct in (0, 1) for s in (0, 2)}
    for r in range(N_REPS):
        t, c, q = V.list_arrivals(V.stream_key(8080, r), busy, SEG_END, SEG_RATE, _one_day(), CT_SEG)
        _check_order(t, c, q)
        counts[r] = _counts(t, c)
        for (ct, s), pooled in within.items():  # positions within the segment, as fractions of it
            x = t[c == ct]
            pooled.append(x[(x >= 3600.0 * s) & (x < 3600.0 * (s + 1))] / 3600.0 - s)
    assert counts[:, :, 1].sum() == 0
    for (ct, s), pooled in within.items():
        lam = SEG_RATE[3 * ct + s] * 3600.0
        x = counts[:, ct, s]
        what = f"type {ct} segment {s} (mean {lam:g})"
        _z_ok((x.sum() - N_REPS * lam) / np.sqrt(N_REPS * lam), f"{what}: mean count")
        d = np.sum((x - x.mean()) ** 2) / x.mean()  # index of dispersion: chi2(N_REPS - 1) if Poisson
        _p_ok(2 * min(stats.chi2.cdf(d, N_REPS - 1), stats.chi2.sf(d, N_REPS - 1)), f"{what}: dispersion")
        _p_ok(stats.kstest(np.concatenate(pooled), "uniform").pvalue, f"{what}: times within segment")


def test_doubled_busyness_doubles_the_arrivals():
    # segment 2 of each type belongs to day 1, twice as busy: its expected count doubles
    seg_day = np.array([0, 0, 1, 0, 0, 1], np.int64)
    busy = np.array([1.0, 2.0])
    n_reps = N_REPS // 2
    counts = np.zeros((2, 3), np.int64)
    for r in range(n_reps):
        t, c, q = V.list_arrivals(V.stream_key(9090, r), busy, SEG_END, SEG_RATE, seg_day, CT_SEG)
        _check_order(t, c, q)
        counts += _counts(t, c)
    for ct in (0, 1):
        for s, factor in ((0, 1.0), (2, 2.0)):
            m = n_reps * SEG_RATE[3 * ct + s] * 3600.0 * factor
            _z_ok((counts[ct, s] - m) / np.sqrt(m), f"busy day: type {ct} segment {s} count")
    # exactly: at twice the rate, the same callers come at half the times (within the first segment)
    stream = V.stream_key(9090, 0)
    t1, c1, _ = V.list_arrivals(stream, np.ones(1), SEG_END, SEG_RATE, _one_day(), CT_SEG)
    t2, c2, _ = V.list_arrivals(stream, np.full(1, 2.0), SEG_END, SEG_RATE, _one_day(), CT_SEG)
    for ct in (0, 1):
        a, b = t1[c1 == ct], t2[c2 == ct]
        a = a[a < 3600.0]
        assert np.array_equal(b[: a.shape[0]], a / 2)


def test_ties_go_to_the_lower_call_type():
    seg_end, seg_rate, seg_day = np.array([100.0, 100.0]), np.array([1.0, 1.0]), np.zeros(2, np.int64)
    ct_seg = np.array([0, 1, 2], np.int64)
    nt, ns, nq = np.array([5.0, 5.0]), np.array([0, 1], np.int64), np.zeros(2, np.int64)
    stream = V.stream_key(1, 0)
    assert V.arrivals_pop(stream, np.ones(1), seg_end, seg_rate, seg_day, ct_seg, nt, ns, nq) == (5.0, 0, 0)
    assert V.arrivals_pop(stream, np.ones(1), seg_end, seg_rate, seg_day, ct_seg, nt, ns, nq) == (5.0, 1, 0)
    assert nq.tolist() == [1, 1] and np.all(nt > 5.0)
