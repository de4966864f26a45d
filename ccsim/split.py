"""The best split of a fixed headcount across a design's agent groups: what a fair comparison of designs needs.

Two designs compared "at equal headcount" must each be staffed with their own best split of that headcount,
or the comparison measures an arbitrary split as much as the design. The split is a planner's split: one
share per group, the same in every interval, applied to each interval's total headcount (the sum over
groups of today's staffing) with largest-remainder rounding, so every interval keeps exactly its total and
every group open in an interval today keeps at least one agent in it. Shares are searched on a grid of the
simplex around today's agent-hour shares (5-point steps up to 20 points away, moved while the winner sits on
its rim, then once 1.25-point steps around the winner), every candidate on the same callers (one sweep with
explicit points, common random numbers), so a few dozen candidates cost seconds, not a search over every
interval. The objective is the caller-side service level (``service_level_caller``: the wait over all legs,
so a warm hold or a re-queue after a cold transfer counts in every design alike, where the ACD's first-queue
view would not), near-ties broken by abandonment. The winner is adopted only when it beats today's staffing
with a paired confidence interval on fresh seeds (the search's own days would flatter the winner it picked);
otherwise today's split is kept, and :class:`Split` says so.
"""
from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Scenario
from .engines import DEFAULT_ENGINE
from .sweep import DESIGN, Sweep

#: the objective (maximised) and the tie-breaker (minimised)
OBJECTIVE, TIE_BREAK = "service_level_caller", "abandon_rate"
#: the search and the confirmation use fresh seeds, apart from the comparison's (and the planner's +10,000)
SEARCH_SEED_OFFSET, CONFIRM_SEED_OFFSET = 20_000, 30_000
#: the label of today's staffing in the search sweeps
TODAY = "today"
_EPS = 1e-9


# --------------------------------------------------------------------------- rounding (no simulation)
def apportion(total: int, weights: Sequence[float], minimum: Sequence[int] | None = None) -> np.ndarray:
    """Split ``total`` whole agents in proportion to ``weights`` (largest remainder, ties to the first group),
    each group getting at least ``minimum[g]``. Hamilton's method: every share is its quota rounded down or
    up, and the parts always sum to ``total`` (the headcount of an interval is never changed by rounding)."""
    w = np.asarray(weights, dtype=float)
    m = np.zeros(w.size, dtype=np.int64) if minimum is None else np.asarray(minimum, dtype=np.int64)
    total = int(total)
    if w.ndim != 1 or m.shape != w.shape or (w < 0).any() or (m < 0).any():
        raise ValueError("weights and minimum must be equally long and not negative")
    if total < m.sum():
        raise ValueError(f"cannot give {total} agents to groups needing at least {int(m.sum())}")
    if total == 0:
        return np.zeros(w.size, dtype=np.int64)
    if w.sum() <= 0:
        raise ValueError("the weights are all zero")
    quota = total * w / w.sum()
    a = np.maximum(np.floor(quota + _EPS).astype(np.int64), m)
    short = total - int(a.sum())  # < number of groups: each floor loses less than one
    order = sorted(range(w.size), key=lambda g: -(quota[g] - a[g]))  # largest remainder first (stable)
    for g in order[:max(short, 0)]:
        a[g] += 1
    while short < 0:  # minimums pushed the sum over the total: take from the groups most above their quota
        g = min((g for g in range(w.size) if a[g] > m[g]), key=lambda g: quota[g] - a[g])
        a[g] -= 1
        short += 1
    return a


def staffing_matrix(sc: Scenario) -> np.ndarray:
    """The planned agents per group (rows, in design order) and interval (columns), before
    ``design.staffing_scale`` (which :func:`restaffed` keeps, so a scale applies to the new split alike)."""
    n = sc.n_intervals
    return np.array([g.staffing_profile(n) for g in sc.design.groups.values()], dtype=np.int64).reshape(-1, n)


def shares_of(staffing: np.ndarray) -> np.ndarray:
    """Each group's share of the agent-hours of a staffing matrix (groups x intervals)."""
    tot = staffing.sum(axis=1).astype(float)
    return tot / tot.sum() if tot.sum() > 0 else np.full(len(tot), 1.0 / len(tot))


def split_staffing(staffing: np.ndarray, shares: Sequence[float]) -> np.ndarray:
    """The same per-interval totals split by ``shares``: in each interval, the groups open today (staffed > 0)
    share the interval's total in proportion to their shares, each keeping at least one agent; groups closed
    today stay closed (the plan's opening hours are kept, only the split changes)."""
    s = np.asarray(staffing, dtype=np.int64)
    w = np.asarray(shares, dtype=float)
    if w.shape != (s.shape[0],):
        raise ValueError(f"need one share per group ({s.shape[0]}), got {w.shape}")
    out = np.zeros_like(s)
    for t in range(s.shape[1]):
        open_ = s[:, t] > 0
        if open_.any():
            out[:, t] = apportion(int(s[:, t].sum()), np.where(open_, w, 0.0), open_.astype(np.int64))
    return out


def restaffed(sc: Scenario, shares: Sequence[float]) -> Scenario:
    """``sc`` with today's per-interval headcount split across its groups by ``shares`` (design order)."""
    new = split_staffing(staffing_matrix(sc), shares)
    return sc.override({f"design.groups.{g}.staffing": [int(x) for x in new[i]]
                        for i, g in enumerate(sc.design.groups)})


# --------------------------------------------------------------------------- the grid (no simulation)
def simplex_grid(center: Sequence[float], step: float, radius: float | None = None,
                 floor: float = 0.0) -> np.ndarray:
    """Shares ``center + step * k`` (k whole numbers summing to 0, so the shares sum to 1) with every share at
    least ``floor`` and, given ``radius``, no share moved by more than ``radius``. One row per point; the
    center itself is the first row when it qualifies. 1-D for two groups, a triangular lattice for three."""
    c = np.asarray(center, dtype=float)
    if c.ndim != 1 or c.size < 1 or abs(c.sum() - 1) > 1e-6 or (c < -_EPS).any():
        raise ValueError("the center must be shares summing to 1")
    if step <= 0:
        raise ValueError("step must be > 0")
    lo = np.ceil((floor - c) / step - 1e-7).astype(int)
    hi = np.floor((1 - c) / step + 1e-7).astype(int)
    if radius is not None:
        k_max = math.floor(radius / step + 1e-7)
        lo, hi = np.maximum(lo, -k_max), np.minimum(hi, k_max)
    if c.size == 1:
        return c.reshape(1, 1)
    n_combos = math.prod(int(max(h - l + 1, 0)) for l, h in zip(lo[:-1], hi[:-1]))
    if n_combos > 2_000_000:
        raise ValueError(f"the grid would need {n_combos:,} candidates; use a larger step or a radius")
    pts = []
    for ks in itertools.product(*(range(l, h + 1) for l, h in zip(lo[:-1], hi[:-1]))):
        last = -sum(ks)
        if lo[-1] <= last <= hi[-1]:
            pts.append((*ks, last))
    if not pts:
        return np.empty((0, c.size))
    k = np.array(pts, dtype=float)
    k = k[np.argsort(np.abs(k).sum(axis=1), kind="stable")]  # the center (k = 0) first, then by distance
    return np.round(c + step * k, 12)


def choose(table: pd.DataFrame, tie: float) -> int:
    """The index of the best row: the highest objective, or among rows within ``tie`` of it, the lowest
    abandonment (a quarter point of service level is noise; callers lost are not)."""
    best = table[OBJECTIVE].max()
    near = table[table[OBJECTIVE] >= best - tie - _EPS]
    return int(near[TIE_BREAK].idxmin())


# --------------------------------------------------------------------------- the search (simulation)
@dataclass
class Split:
    """The outcome of :func:`best_split` for one scenario: the shares found, whether they were adopted, the
    re-staffed scenario (today's when not adopted) and the evidence."""

    name: str
    groups: tuple[str, ...]
    today: np.ndarray                  # today's agent-hour shares
    best: np.ndarray                   # the search's winner (shares)
    adopted: bool                      # the winner beat today's staffing with a paired CI on fresh seeds
    scenario: Scenario                 # re-staffed with ``best`` if adopted, else today's
    evidence: pd.DataFrame             # one row per candidate (and today's staffing), search days
    confirmation: pd.DataFrame         # winner - today per KPI on fresh days: diff, ci_low, ci_high, reps
    reps: int
    search_seed: int
    confirm_seed: int
    engine: str
    notes: list[str] = field(default_factory=list)

    def shares(self) -> dict[str, tuple[float, float]]:
        """Group -> (today's share, the adopted share)."""
        use = self.best if self.adopted else self.today
        return {g: (float(self.today[i]), float(use[i])) for i, g in enumerate(self.groups)}

    def gain(self, kpi: str = OBJECTIVE) -> tuple[float, float, float]:
        """Winner minus today on the fresh days: (diff, ci_low, ci_high)."""
        r = self.confirmation.loc[kpi]
        return float(r["diff"]), float(r["ci_low"]), float(r["ci_high"])


def _evaluate(sc: Scenario, candidates: np.ndarray, *, stage: str, name: str, reps: int, seed: int, engine: str,
              workers: int | None, out: Path,
              progress: Callable[[int, int], None] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Today's staffing and every candidate split, on the same callers (one sweep, explicit points): one row per
    candidate with the objective, the tie-breaker and their paired differences from today's staffing, and
    the whole paired table (candidate - today, every KPI)."""
    groups = list(sc.design.groups)
    designs = {TODAY: sc.design}
    for i, w in enumerate(candidates):
        designs[f"{stage}{i:03d}"] = restaffed(sc, w).design
    sweep = Sweep(name=f"{name}_{stage}", base=sc, factors={DESIGN: designs}, grid=False,
                  points_list=[{DESIGN: lab} for lab in designs], baseline={DESIGN: TODAY}, reps=reps, seed=seed,
                  engine=engine, chunk=reps)  # one task per candidate: its days are cheap, the task overhead is not
    res = sweep.run(out / stage, resume=True, workers=workers, progress=progress)
    summ = res.summary().pivot(index="point", columns="kpi", values="mean")
    paired = res.paired()
    pair = paired.set_index(["point", "kpi"])
    today = shares_of(staffing_matrix(sc))
    rows = []
    for p, lab in enumerate(designs):
        shares = today if lab == TODAY else candidates[p - 1]
        row = {"stage": TODAY if lab == TODAY else stage, "label": lab,
               **{f"share:{g}": float(shares[i]) for i, g in enumerate(groups)}}
        for k in (OBJECTIVE, TIE_BREAK, "service_level"):
            row[k] = float(summ.loc[p, k])
        for k in (OBJECTIVE, TIE_BREAK):
            d = pair.loc[(p, k)]
            row[f"{k}_vs_today"], row[f"{k}_ci_low"], row[f"{k}_ci_high"] = d["diff"], d["ci_low"], d["ci_high"]
        rows.append(row)
    return pd.DataFrame(rows), paired


def best_split(sc: Scenario, *, step: float = 0.05, radius: float = 0.20, fine: int = 4, reps: int = 20,
               seed: int = 1, engine: str = DEFAULT_ENGINE, workers: int | None = None, tie: float = 0.0025,
               floor: float = 0.02, max_moves: int = 3, out: str | Path | None = None,
               progress: Callable[[str, int, int], None] | None = None) -> Split:
    """The best split of ``sc``'s per-interval headcount across its groups (see the module docstring).

    Coarse grid: ``step`` around today's agent-hour shares, up to ``radius`` away, no share under ``floor``;
    while its winner lies on the grid's rim, a grid around the winner (at most ``max_moves`` times); then
    once a grid ``fine`` times finer, up to one coarse step around the coarse winner. Both on ``reps`` days of seed
    ``seed + 20,000``; the winner is confirmed against today's staffing on ``reps`` days of seed
    ``seed + 30,000`` and adopted only when the paired 95% CI of its caller-side service level gain is above
    zero. ``out`` keeps the search sweeps (re-read by a second call); default: a temporary folder.
    """
    groups = tuple(sc.design.groups)
    today = shares_of(staffing_matrix(sc))
    search_seed, confirm_seed = seed + SEARCH_SEED_OFFSET, seed + CONFIRM_SEED_OFFSET
    common = {"reps": reps, "search_seed": search_seed, "confirm_seed": confirm_seed, "engine": engine}
    if len(groups) == 1:
        return Split(name=sc.name, groups=groups, today=today, best=today, adopted=False, scenario=sc,
                     evidence=pd.DataFrame(), confirmation=pd.DataFrame(), notes=["a single group: nothing to split"],
                     **common)
    name = f"split_{sc.design.name or sc.name}"
    with tempfile.TemporaryDirectory(prefix="ccsim-split-") as tmp:
        where = Path(out) if out is not None else Path(tmp)

        def run(cands: np.ndarray, stage: str, s: int) -> tuple[pd.DataFrame, pd.DataFrame]:
            cb = (lambda d, n: progress(stage, d, n)) if progress else None
            return _evaluate(sc, cands, stage=stage, name=name, reps=reps, seed=s, engine=engine, workers=workers,
                             out=where, progress=cb)

        # coarse: a grid around today's shares, moved onto its winner while that lies on the grid's rim
        evidence, center = pd.DataFrame(), today
        for move in range(max_moves + 1):
            grid = _unseen(simplex_grid(center, step, radius, floor), evidence, groups)
            table, _ = run(grid, f"coarse{move}" if move else "coarse", search_seed)
            evidence = pd.concat([evidence, table if evidence.empty else table[table["stage"] != TODAY]],
                                 ignore_index=True)
            cand = evidence[evidence["stage"] != TODAY]
            first = _shares(cand.loc[choose(cand, tie)], groups)
            if np.abs(first - center).max() < radius - _EPS or move == max_moves:
                break
            center = first
        # refine once: a grid ``fine`` times finer, up to one coarse step around the coarse winner
        table, _ = run(_unseen(simplex_grid(first, step / fine, step, floor), evidence, groups), "refine",
                       search_seed)
        evidence = pd.concat([evidence, table[table["stage"] != TODAY]], ignore_index=True)
        cand = evidence[evidence["stage"] != TODAY]
        win = choose(cand, tie)
        best = _shares(evidence.loc[win], groups)
        evidence["chosen"] = evidence.index == win
        _, paired = run(best.reshape(1, -1), "confirm", confirm_seed)
    conf = paired[paired["point"] == 1].set_index("kpi")[["diff", "ci_low", "ci_high", "reps"]]
    adopted = bool(conf.loc[OBJECTIVE, "ci_low"] > 0)
    notes = []
    if np.abs(first - center).max() >= radius - _EPS:
        notes.append(f"the coarse winner stayed on the rim of the grid after {max_moves} moves: a better split "
                     "may lie further away")
    notes.append("adopted: it beats today's staffing with a paired 95% CI on fresh days" if adopted else
                 "kept today's split: the winner does not beat it with a paired 95% CI on fresh days")
    return Split(name=sc.name, groups=groups, today=today, best=best, adopted=adopted,
                 scenario=restaffed(sc, best) if adopted else sc, evidence=evidence, confirmation=conf, notes=notes,
                 **common)


def _unseen(grid: np.ndarray, evidence: pd.DataFrame, groups: Sequence[str]) -> np.ndarray:
    """The grid's points not evaluated yet (same seed, same callers: the figures would repeat)."""
    if evidence.empty:
        return grid
    seen = evidence.loc[evidence["stage"] != TODAY, [f"share:{g}" for g in groups]].to_numpy(dtype=float)
    if not len(seen):
        return grid
    far = np.abs(grid[:, None, :] - seen[None, :, :]).max(axis=2).min(axis=1) > 1e-7
    return grid[far]


def _shares(row: pd.Series, groups: Sequence[str]) -> np.ndarray:
    return np.array([row[f"share:{g}"] for g in groups], dtype=float)
