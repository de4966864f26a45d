"""The demand as the engines read it: arrival-rate segments, needs tables and distributions as flat arrays,
and the callers of a replication, listed for analysis and tests.

Common random numbers: every random quantity is drawn on demand from :mod:`ccsim.variates`, keyed by
(seed, replication, call type and caller number, attempt, purpose, index). Nothing in a key depends on the
design, so every design faces the very same callers; and a caller of one call type keeps their draws when
another call type's volume changes. Engines draw only what a caller uses, when it is used.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import variates as rv
from .checks import expected_arrivals, rate_segments, segment_edges
from .config import Scenario, law_at
from .errors import ScenarioError
from .limits import DAY, MAX_FIRST_CONTACTS

__all__ = ["DAY", "Arrivals", "Caller", "CompiledDemand", "compile_demand", "expected_arrivals", "first_arrivals",
           "rate_segments", "segment_edges"]


@dataclass(frozen=True)
class CompiledDemand:
    """The demand by index (call types, skills and distributions in scenario order), for the engines."""

    busyness_cv: float
    n_days: int
    n_skills: int
    # arrival-rate segments of all call types, concatenated: call type c owns rows ct_seg[c] .. ct_seg[c+1]-1
    seg_end: np.ndarray          # (P,) end of the segment (the previous one's end, or 0, is its start)
    seg_rate: np.ndarray         # (P,) calls per second at busyness 1, surges included
    seg_day: np.ndarray          # (P,) int64 day whose busyness multiplies the rate
    ct_seg: np.ndarray           # (C + 1,) int64
    # needs: call type c's row j needs skills needs[c, j, :n_needs[c, j]]; rows chosen by needs_cum
    needs_cum: np.ndarray        # (C, R) cumulative probabilities, normalised
    needs_rows: np.ndarray       # (C,) int64
    needs: np.ndarray            # (C, R, N) int64 skill index, -1 padded
    n_needs: np.ndarray          # (C, R) int64
    misroute: np.ndarray         # (C,) probability of pressing a wrong option
    balk: np.ndarray             # (C,) probability of hanging up at once when not answered at once
    same_patience: np.ndarray    # (C,) bool: patience and balking drawn with attempt 0 on every attempt
    # distributions: one table, referred to by row; empirical ones read values[off : off + n]
    dist_kind: np.ndarray        # (M,) int64 (ccsim.variates.D_*)
    dist_p: np.ndarray           # (M, 2)
    dist_off: np.ndarray         # (M,) int64
    dist_n: np.ndarray           # (M,) int64
    values: np.ndarray           # (V,)
    # laws by period: column j is the law of contacts arriving in interval j (period_of: the last column after)
    law_interval: float          # the scenario's interval
    ct_patience: np.ndarray      # (C, P) int64 row (kind D_NEVER: never hangs up)
    ct_redial_delay: np.ndarray  # (C,) int64 row
    ct_callback_delay: np.ndarray  # (C,) int64 row
    skill_talk: np.ndarray       # (S, P) int64 row
    skill_acw: np.ndarray        # (S, P) int64 row

    def period_of(self, arrival: float) -> int:
        """The column of the laws of a contact arriving at ``arrival`` (the kernel computes it the same way)."""
        return min(int(arrival // self.law_interval), self.skill_talk.shape[1] - 1)

    def busyness(self, stream: int) -> np.ndarray:
        """The day-level multipliers of a replication's stream (:func:`ccsim.variates.stream_key`)."""
        return rv.busyness(stream, self.n_days, self.busyness_cv)

    def max_needs(self) -> int:
        return int(self.needs.shape[2])


def compile_demand(sc: Scenario) -> CompiledDemand:
    """Flatten the demand of a validated scenario."""
    d = sc.demand
    cts = list(d.call_types.values())
    skill_ix = {s: i for i, s in enumerate(d.skills)}
    edges = segment_edges(sc)
    n_days = int(np.ceil(sc.horizon / DAY)) + 1
    ones = np.ones(n_days)
    ends, rates, days, ct_seg = [], [], [], [0]
    for i in range(len(cts)):
        a, b, r = rate_segments(sc, i, ones, edges)
        ends.append(b)
        rates.append(r)
        days.append(((a + b) / 2 // DAY).astype(np.int64))
        ct_seg.append(ct_seg[-1] + a.shape[0])

    tables = [ct.needs_table() for ct in cts]
    R = max(len(t) for t in tables)
    N = max(ct.max_needs() for ct in cts)
    needs = np.full((len(cts), R, N), -1, np.int64)
    n_needs = np.zeros((len(cts), R), np.int64)
    cum = np.ones((len(cts), R))
    for i, table in enumerate(tables):
        c = np.cumsum([p for p, _ in table])
        cum[i, : len(table)] = c / c[-1]
        for j, (_, nd) in enumerate(table):
            needs[i, j, : len(nd)] = [skill_ix[s] for s in nd]
            n_needs[i, j] = len(nd)

    kinds, params, offs, ns, values = [], [], [], [], []
    # laws by period: one column per interval if any law is given by interval, else a single column
    by_period = any(isinstance(x, list) for x in [ct.patience for ct in cts]
                    + [w.talk for w in d.work.values()] + [w.acw for w in d.work.values()])
    P = sc.n_intervals if by_period else 1

    def row(dist) -> int:
        if dist is None:
            kinds.append(rv.D_NEVER)
            params.append((0.0, 0.0))
            offs.append(0)
            ns.append(0)
        else:
            k, p0, p1 = dist.encode()
            kinds.append(k)
            params.append((p0, p1))
            vals = list(getattr(dist, "values", ()))
            offs.append(sum(len(v) for v in values))
            ns.append(len(vals))
            values.append(vals)
        return len(kinds) - 1

    return CompiledDemand(
        busyness_cv=float(d.busyness_cv), n_days=n_days, n_skills=len(d.skills),
        seg_end=np.concatenate(ends), seg_rate=np.concatenate(rates), seg_day=np.concatenate(days),
        ct_seg=np.array(ct_seg, np.int64),
        needs_cum=cum, needs_rows=np.array([len(t) for t in tables], np.int64), needs=needs, n_needs=n_needs,
        misroute=np.array([ct.misroute_prob for ct in cts]), balk=np.array([ct.balk_prob for ct in cts]),
        same_patience=np.array([ct.same_patience for ct in cts], dtype=bool), law_interval=float(sc.interval),
        ct_patience=np.array([[row(law_at(ct.patience, j)) for j in range(P)] for ct in cts], np.int64),
        ct_redial_delay=np.array([row(ct.redial_delay) for ct in cts], np.int64),
        ct_callback_delay=np.array([row(ct.callback_delay) for ct in cts], np.int64),
        skill_talk=np.array([[row(law_at(d.work[s].talk, j)) for j in range(P)] for s in d.skills], np.int64),
        skill_acw=np.array([[row(law_at(d.work[s].acw, j)) for j in range(P)] for s in d.skills], np.int64),
        dist_kind=np.array(kinds, np.int64), dist_p=np.array(params, float).reshape(-1, 2),
        dist_off=np.array(offs, np.int64), dist_n=np.array(ns, np.int64),
        values=np.array([x for v in values for x in v] or [0.0], float),
    )


def check_replication_size(dem: CompiledDemand, busy: np.ndarray, seed: int, rep: int) -> None:
    """Refuse a replication that the day-level busyness made far bigger than validation allowed (it bounds
    the expected size at busyness 1; with busyness_cv <= 1 a day 10 times busier has odds of e^-10)."""
    if dem.busyness_cv == 0:
        return
    starts = np.empty_like(dem.seg_end)
    starts[1:] = dem.seg_end[:-1]
    starts[dem.ct_seg[:-1]] = 0.0
    mean = float(((dem.seg_end - starts) * dem.seg_rate * busy[dem.seg_day]).sum())
    limit = 10 * MAX_FIRST_CONTACTS
    if not mean <= limit:
        raise ScenarioError("demand.busyness_cv", f"replication {rep} of seed {seed} drew days so busy that they expect "
                            f"{mean:.3g} first contacts, more than the {limit:.0e} a replication can hold",
                            "lower demand.busyness_cv or the volume")


@dataclass
class Arrivals:
    """The first contacts of one replication in arrival order (caller id = position), deflected ones included."""

    time: np.ndarray        # (n,) arrival time
    call_type: np.ndarray   # (n,) int64 call type index
    seq: np.ndarray         # (n,) int64 number of the caller within its call type (the key of their draws)
    stream: int             # the replication's stream (ccsim.variates.stream_key)

    @property
    def n_callers(self) -> int:
        return int(self.time.shape[0])

    def caller(self, caller: int, dem: CompiledDemand) -> "Caller":
        """Caller ``caller`` (a position) with their draws."""
        return Caller(dem, self.stream, caller, int(self.call_type[caller]), int(self.seq[caller]))


def first_arrivals(sc: Scenario, seed: int, rep: int = 0, dem: CompiledDemand | None = None) -> Arrivals:
    """Every first contact of replication ``rep`` of ``seed``, as the engines generate them one at a time;
    depends on the demand only (common random numbers). For analysis and tests: engines never list them."""
    dem = dem or compile_demand(sc)
    stream = rv.stream_key(seed, rep)
    busy = dem.busyness(stream)
    check_replication_size(dem, busy, seed, rep)
    time, ct, seq = rv.list_arrivals(stream, busy, dem.seg_end, dem.seg_rate, dem.seg_day, dem.ct_seg)
    return Arrivals(time, ct, seq, int(stream))


class Caller:
    """One caller and the random quantities of their contacts, drawn on demand from their key: the SimPy
    engine's view of a caller (the numba kernel makes the very same calls inline)."""

    __slots__ = ("id", "call_type", "key", "needs", "_dem")

    def __init__(self, dem: CompiledDemand, stream: int, caller_id: int, call_type: int, seq: int):
        self.id, self.call_type, self._dem = caller_id, call_type, dem
        self.key = int(rv.caller_key(stream, call_type, seq))
        row = rv.needs_row(self.key, dem.needs_cum[call_type], dem.needs_rows[call_type])
        self.needs = [int(s) for s in dem.needs[call_type, row, : dem.n_needs[call_type, row]]]

    def _draw(self, m: int, attempt: int, purpose: int, index: int) -> float:
        d = self._dem
        return float(rv.dist_draw(m, d.dist_kind, d.dist_p, d.dist_off, d.dist_n, d.values, self.key, attempt,
                                  purpose, index))

    def deflected(self, share: float) -> bool:
        """A proactive notification reaches this caller before they call (their uniform is below the share)."""
        return share > 0 and rv.uniform(self.key, 0, rv.DEFLECT, 0, 0) < share

    def option(self, attempt: int) -> int:
        """The menu option pressed on this attempt."""
        d = self._dem
        return int(rv.option_pressed(self.key, attempt, self.needs[0], d.misroute[self.call_type], d.n_skills))

    def patience(self, attempt: int, leg: int, period: int = 0) -> float:
        """How long the caller waits on this leg, drawn when they cannot be answered at once: 0 if they balk.
        With ``same_patience`` every attempt draws as the first. ``period``: the contact's arrival interval."""
        d = self._dem
        if d.same_patience[self.call_type]:
            attempt = 0
        if rv.balks(self.key, attempt, leg, d.balk[self.call_type]):
            return 0.0
        return self._draw(d.ct_patience[self.call_type, period], attempt, rv.PATIENCE, leg)

    def talk(self, attempt: int, need: int, period: int = 0, skill: int | None = None) -> float:
        """Talk time of the need-th need (``skill``: a need added after service, beyond the caller's own)."""
        s = self.needs[need] if skill is None else skill
        return self._draw(self._dem.skill_talk[s, period], attempt, rv.TALK, need)

    def acw(self, attempt: int, need: int, period: int = 0, skill: int | None = None) -> float:
        s = self.needs[need] if skill is None else skill
        return self._draw(self._dem.skill_acw[s, period], attempt, rv.ACW, need)

    def redial_delay(self, attempt: int) -> float:
        return self._draw(self._dem.ct_redial_delay[self.call_type], attempt, rv.REDIAL_DELAY, 0)

    def callback_delay(self, attempt: int) -> float:
        return self._draw(self._dem.ct_callback_delay[self.call_type], attempt, rv.CALLBACK_DELAY, 0)

    def uniform(self, attempt: int, purpose: int, index: int, sub: int = 0) -> float:
        """The attempt's uniform for ``purpose``, ``index`` and ``sub`` (e.g. the random agent choice of leg
        ``index`` on joining its queue, sub 0, or after its j-th overflow delay, sub j + 1)."""
        return float(rv.uniform(self.key, attempt, purpose, index, sub))

    def u(self, attempt: int, purpose: int) -> float:
        """The attempt's uniform for a yes/no decision: resolved, retries, takes the survey."""
        return float(rv.uniform(self.key, attempt, purpose, 0, 0))
