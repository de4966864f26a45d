"""Attribution of a design difference to its levers: which change between two designs moves each KPI, and by
how much, each with a paired confidence interval.

Two designs A (the baseline, e.g. silos with cold transfers) and B (e.g. teams with warm handoffs) differ in
several *levers* at once: the phone menu, how callers are passed on, the organisation of queues and groups,
ownership. Comparing A with B alone cannot say which lever makes the difference, so the k levers are
crossed: the 2^k *corners* take each lever at A's or at B's level (corner 0 is A, the last corner is B).
All corners run in one sweep with one seed, so replication r of every corner faces the very same callers
(common random numbers) and every comparison is paired.

The total difference B - A of a KPI is split among the levers by the **Shapley value**: a lever's average
marginal contribution over the k! orders in which the levers could be switched from A to B. It is the only
split that adds up exactly to the total, treats the levers symmetrically and gives an inert lever nothing;
an interaction between two levers is shared evenly between them. It is computed **per replication**, then
summarised with a Student-t interval over replications (:func:`ccsim.kpis.mean_ci`), so each contribution
has a paired CI. The classical **main effects and two-factor interactions** of the 2^k design (the +-1
contrasts) are computed the same way, so interactions are visible rather than hidden in the split.

The arithmetic (:func:`shapley`, :func:`effects`) works on plain ``replications x corners`` arrays and is
tested without simulation; :func:`plan` builds the corners' designs from two scenarios; :func:`attribute`
reads a finished sweep into an :class:`Attribution` with tidy tables and sentences.
"""
from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Design, Scenario, design_from_dict
from .engines import DEFAULT_ENGINE
from .errors import ScenarioError
from .kpis import KPIS, REGISTRY, clear, mean_ci
from .kpis import format as kpi_format
from .kpis import label as kpi_label
from .results import SweepResults
from .store import write_table
from .sweep import DESIGN, Sweep

#: the file an attribution is saved as, inside the sweep's folder
TABLE_FILE = "attribution.parquet"
#: the tidy table's columns
COLUMNS = ("kpi", "kind", "term", "label", "mean", "ci_low", "ci_high", "reps", "clear")
#: the kinds of rows: a corner's mean, the total B - A, a Shapley contribution, a main effect, an interaction
KINDS = ("corner", "total", "shapley", "main", "interaction")


# --------------------------------------------------------------------------- the arithmetic on corners
def corner_levels(k: int) -> np.ndarray:
    """The levels of the 2^k corners, shape (2^k, k): corner c has lever i at B's level (1) when bit i of c is
    set, so corner 0 is all-A and corner 2^k - 1 is all-B."""
    return (np.arange(2 ** k)[:, None] >> np.arange(k)) & 1


def shapley_weights(k: int) -> np.ndarray:
    """The matrix W (k x 2^k) with Shapley values = corner values @ W.T.

    Lever i gains v(S + i) - v(S) for every set S of the other levers already at B's level, weighted by the
    share of the k! orders in which exactly S comes before i: |S|! (k - |S| - 1)! / k!."""
    n = 2 ** k
    w = np.zeros((k, n))
    for c in range(n):
        s = bin(c).count("1")
        for i in range(k):
            if not c >> i & 1:
                weight = math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
                w[i, c | 1 << i] += weight
                w[i, c] -= weight
    return w


def _corners(values: np.ndarray) -> tuple[np.ndarray, int]:
    """``values`` as a 2-D (replications x 2^k) array, and k."""
    v = np.atleast_2d(np.asarray(values, dtype=float))
    k = int(round(math.log2(v.shape[1]))) if v.shape[1] else -1
    if k < 1 or v.shape[1] != 2 ** k:
        raise ValueError(f"need 2^k corner values per replication (k >= 1), got {v.shape[1]}")
    return v, k


def total(values: np.ndarray) -> np.ndarray:
    """B - A per replication: the last corner minus the first."""
    v, _ = _corners(values)
    return v[:, -1] - v[:, 0]


def shapley(values: np.ndarray) -> np.ndarray:
    """Each lever's Shapley contribution per replication, shape (replications, k); rows sum to :func:`total`.

    A replication with a missing (NaN) corner value gets NaN contributions."""
    v, k = _corners(values)
    return v @ shapley_weights(k).T


def effect_terms(k: int, max_order: int = 2) -> list[tuple[int, ...]]:
    """The factorial terms up to ``max_order``: main effects (i,), then two-factor interactions (i, j), ..."""
    return [t for r in range(1, max_order + 1) for t in itertools.combinations(range(k), r)]


def effects(values: np.ndarray, max_order: int = 2) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Main effects and interactions of the 2^k design per replication: (terms, array replications x terms).

    The standard +-1 contrasts: a term's effect is the mean of the corners where the product of its levers'
    signs is +1 minus the mean where it is -1 (a main effect: the average change when the lever goes from A to
    B over all settings of the others; an interaction: half the change of one lever's effect when the other
    lever goes from A to B)."""
    v, k = _corners(values)
    signs = 2 * corner_levels(k) - 1
    terms = effect_terms(k, max_order)
    contrasts = np.array([np.prod(signs[:, list(t)], axis=1) for t in terms], dtype=float) * (2 / 2 ** k)
    return terms, v @ contrasts.T


# --------------------------------------------------------------------------- levers and the corners' designs
Apply = Callable[[dict, int, Design, Design, list], None]


@dataclass(frozen=True)
class Lever:
    """One way in which design B differs from design A.

    ``owns``: the design fields it sets (the transfer lever also sets the routes' modes, where the routes lead
    being the organisation's); ``apply(design_dict, level, a, b, notes)`` sets them in a design being
    built at ``level`` (0: A's, 1: B's), appending any choice it had to make to ``notes``; ``describe`` tells a
    design's level in words. Levers apply in ``stage`` order (the organisation first: routes need it)."""

    key: str
    label: str
    owns: tuple[str, ...]
    apply: Apply
    describe: Callable[[Design], str]
    stage: int = 1


def _src(level: int, a: Design, b: Design) -> Design:
    return (a, b)[level]


def _menu(d: dict, level: int, a: Design, b: Design, notes: list) -> None:
    d["ivr"] = _src(level, a, b).ivr.model_dump(mode="python")


def _ownership(d: dict, level: int, a: Design, b: Design, notes: list) -> None:
    d["resolution_factor"] = _src(level, a, b).resolution_factor


ORGANISATION_FIELDS = ("queues", "groups", "routes", "staffing_scale")


def _organisation(d: dict, level: int, a: Design, b: Design, notes: list) -> None:
    src = _src(level, a, b).model_dump(mode="python")
    for f in ORGANISATION_FIELDS:
        d[f] = copy.deepcopy(src[f])
    for r in d["routes"].values():
        r["mode"] = None  # the transfer lever decides


TRANSFER_FIELDS = ("transfer_mode", "transfer_time", "reexplain_time", "handoff_time",
                   "cold_transfer_resolution_factor")


def warm_cycle(d: dict) -> list[str] | None:
    """The groups on a cycle of warm handoffs in a design dict (None: no cycle), by validation's rule: a group
    lacking a skill whose route is warm waits, holding the caller, on the groups taking its transfer queue."""
    groups = d["groups"]
    serving = {q: [g for g in groups if q in groups[g]["queues"]] for q in d["queues"]}
    graph: dict[str, set[str]] = {g: set() for g in groups}
    for skill, r in d["routes"].items():
        if (r.get("mode") or d.get("transfer_mode")) == "warm":
            for g in groups:
                if skill not in set(groups[g]["skills"]):
                    graph[g].update(serving.get(r.get("transfer_queue") or r["queue"], []))
    try:  # sorted, so the cycle named is the same in every process (sets follow string hashing)
        TopologicalSorter({g: sorted(v) for g, v in graph.items()}).prepare()
    except CycleError as e:
        cycle = [str(g) for g in e.args[1][:-1]]
        i = cycle.index(min(cycle))
        return cycle[i:] + cycle[:i + 1]  # from its first group in name order, back to it
    return None


def _has_cold(x: Design) -> bool:
    return any(x.route(s)[2] == "cold" for s in x.routes)


def _transfer(d: dict, level: int, a: Design, b: Design, notes: list) -> None:
    """Cold or warm, with everything that belongs to the mode: times and the context lost per cold transfer.

    Each route takes the source design's mode for its skill. Warm handoffs between groups that lack each
    other's skills (silo departments) form a warm cycle, which validation rejects because held agents could
    wait on each other for ever; the closest valid meaning keeps warm every route that closes no cycle (the
    routes the source design makes warm explicitly first, then in menu order) and leaves the others cold,
    where callers lose context as cold transfers do (the cold design's resolution factor). The choice is
    recorded in ``notes``."""
    src = _src(level, a, b)
    for f in TRANSFER_FIELDS:
        d[f] = getattr(src, f)
    routes = d["routes"]
    explicit = [s for s in routes if s in src.routes and src.routes[s].mode == "warm"]
    order = explicit + [s for s in routes if s not in explicit]
    for r in routes.values():
        r["mode"] = "cold"
    forced: dict[str, list[str]] = {}
    for s in order:
        if s in src.routes and src.route(s)[2] == "warm":
            routes[s]["mode"] = "warm"
            cycle = warm_cycle(d)
            if cycle:
                routes[s]["mode"] = "cold"
                forced[s] = cycle
    if forced:
        cold = next((x for x in (src, a, b) if _has_cold(x)), src)
        d["cold_transfer_resolution_factor"] = cold.cold_transfer_resolution_factor
        warm = [s for s in routes if routes[s]["mode"] == "warm"]
        why = "; ".join(f"{s}: {' -> '.join(c)}" for s, c in forced.items())
        notes.append(f"warm handoffs only on the {', '.join(warm) or 'no'} route{'s' if len(warm) != 1 else ''}: "
                     f"warm {', '.join(forced)} as well would form a warm cycle between groups ({why}), which "
                     f"validation rejects (held agents could wait on each other for ever); those transfers stay "
                     f"cold and lose context as cold transfers do (resolution x{d['cold_transfer_resolution_factor']:g})")


def _describe_ivr(x: Design) -> str:
    return f"{x.ivr.levels} level{'s' if x.ivr.levels != 1 else ''} x {x.ivr.seconds_per_level:g} s"


def _describe_transfer(x: Design) -> str:
    modes = sorted({x.route(s)[2] for s in x.routes})
    text = " / ".join(modes)
    if "cold" in modes and x.cold_transfer_resolution_factor != 1:
        text += f" (resolution x{x.cold_transfer_resolution_factor:g} per cold transfer)"
    return text


def _describe_org(x: Design) -> str:
    return f"{len(x.groups)} groups ({', '.join(x.groups)}), {len(x.queues)} queues"


#: the four levers between silos and teams, in the order they are shown
LEVERS: tuple[Lever, ...] = (
    Lever("menu", "Menu depth", ("ivr",), _menu, _describe_ivr),
    Lever("transfer", "Transfer mode", TRANSFER_FIELDS, _transfer, _describe_transfer, stage=2),
    Lever("organisation", "Organisation", ORGANISATION_FIELDS, _organisation, _describe_org, stage=0),
    Lever("ownership", "Ownership", ("resolution_factor",), _ownership,
          lambda x: f"resolution x{x.resolution_factor:g}"),
)


@dataclass(frozen=True)
class Corner:
    """One combination of lever levels: its index, levels (0: A's, 1: B's), sweep label, design and notes."""

    index: int
    levels: tuple[int, ...]
    label: str
    design: Design
    notes: tuple[str, ...] = ()


@dataclass
class Plan:
    """The 2^k corners between scenarios ``a`` and ``b`` and the sweep that runs them on the same callers."""

    a: Scenario
    b: Scenario
    levers: tuple[Lever, ...]
    corners: list[Corner]
    a_label: str
    b_label: str

    def scenario(self, corner: Corner | int) -> Scenario:
        """The validated scenario of a corner: A's demand and run settings with the corner's design."""
        c = self.corners[corner] if isinstance(corner, int) else corner
        return self.a.with_design(c.design)

    def sweep(self, name: str = "attribution", reps: int = 10, seed: int = 1, engine: str = DEFAULT_ENGINE) -> Sweep:
        """One sweep over the corners (an explicit design factor): replication r of every corner faces the same
        callers; every corner is compared with corner 0 (A)."""
        return Sweep(name=name, base=self.a, factors={DESIGN: {c.label: c.design for c in self.corners}},
                     reps=reps, seed=seed, engine=engine, grid=False,
                     points_list=[{DESIGN: c.label} for c in self.corners], baseline=None)

    def notes(self) -> list[str]:
        """The choices made building the corners, each once, with the corners it concerns."""
        by: dict[str, list[str]] = {}
        for c in self.corners:
            for n in c.notes:
                by.setdefault(n, []).append(c.label)
        return [f"{', '.join(labels)}: {n}" for n, labels in by.items()]


def _comparable(a: Scenario, b: Scenario, levers: Sequence[Lever]) -> None:
    """A and B must share demand and run settings, and differ only in fields some lever owns (once)."""
    run_a = a.model_dump(mode="json", exclude={"name", "description", "design"})
    run_b = b.model_dump(mode="json", exclude={"name", "description", "design"})
    for f in run_a:
        if run_a[f] != run_b[f]:
            raise ScenarioError(f, "differs between the two scenarios; attribution needs the same demand and run "
                                "settings", "compare designs of one scenario")
    owned: dict[str, str] = {}
    for lv in levers:
        for f in lv.owns:
            if f in owned:
                raise ScenarioError(f"design.{f}", f"owned by both levers {owned[f]!r} and {lv.key!r}")
            owned[f] = lv.key
    da, db = a.design.model_dump(mode="json"), b.design.model_dump(mode="json")
    for f in da:
        if f != "name" and f not in owned and da[f] != db[f]:
            raise ScenarioError(f"design.{f}", "differs between the two designs but no lever owns it",
                                "add it to a lever, or make it equal")


def plan(a: Scenario, b: Scenario, levers: Sequence[Lever] = LEVERS, a_label: str | None = None,
         b_label: str | None = None) -> Plan:
    """The 2^k corner designs between ``a`` and ``b``, every one validated against A's demand.

    A corner starts from A's design (fields no lever owns are equal in both), then each lever sets its fields
    from A or B. Corner labels: A's, B's, or A's followed by the levers at B's level ("silo+menu+ownership")."""
    levers = tuple(levers)
    _comparable(a, b, levers)
    a_label = a_label or a.design.name or a.name
    b_label = b_label or b.design.name or b.name
    corners = []
    for c, levels in enumerate(corner_levels(len(levers)).tolist()):
        d = a.design.model_dump(mode="python")
        notes: list[str] = []
        for i in sorted(range(len(levers)), key=lambda i: levers[i].stage):
            levers[i].apply(d, levels[i], a.design, b.design, notes)
        on = [lv.key for lv, x in zip(levers, levels) if x]
        label = a_label if not on else b_label if len(on) == len(levers) else "+".join([a_label, *on])
        d["name"] = label
        design = design_from_dict(d, f"corner {label}")
        try:
            a.with_design(design)
        except ScenarioError as e:
            raise ScenarioError(f"corner {label}", str(e)) from None
        corners.append(Corner(c, tuple(levels), label, design, tuple(notes)))
    return Plan(a, b, levers, corners, a_label, b_label)


# --------------------------------------------------------------------------- the result
@dataclass
class Attribution:
    """The decomposition of B - A for each KPI.

    ``table``: tidy, one row per KPI x kind x term (:data:`COLUMNS`; kinds :data:`KINDS`; ``clear``: the CI
    excludes zero, always False for a corner's level); ``per_rep``: the same terms per replication (kpi, kind,
    term, rep, value)."""

    levers: tuple[Lever, ...]
    a_label: str
    b_label: str
    table: pd.DataFrame
    per_rep: pd.DataFrame
    thr: float = 20.0
    reps: int = 0
    seed: int | None = None
    notes: list[str] = field(default_factory=list)
    levels: dict[str, tuple[str, str]] = field(default_factory=dict)  # lever key -> (A's level, B's) in words

    @property
    def kpis(self) -> list[str]:
        return list(dict.fromkeys(self.table["kpi"]))

    def rows(self, kpi: str, kind: str) -> pd.DataFrame:
        """The rows of one KPI and kind, indexed by term."""
        t = self.table
        return t[(t["kpi"] == kpi) & (t["kind"] == kind)].set_index("term")

    def total(self, kpi: str) -> pd.Series:
        return self.rows(kpi, "total").iloc[0]

    def contributions(self, kpi: str) -> pd.DataFrame:
        """The Shapley contribution of each lever (index: lever key), in lever order."""
        return self.rows(kpi, "shapley").loc[[lv.key for lv in self.levers]]

    def movers(self, kpi: str) -> list[str]:
        """The levers whose contribution's CI excludes zero, largest first."""
        c = self.contributions(kpi)
        c = c[c["clear"]]
        return list(c.index[np.argsort(-c["mean"].abs().to_numpy(), kind="stable")])

    def lever(self, key: str) -> Lever:
        return next(lv for lv in self.levers if lv.key == key)

    def change(self, kpi: str, row: pd.Series) -> str:
        """A difference with its CI, for people: "+10.3 pts [+10.0 pts, +10.6 pts]"."""
        ci = (f" [{kpi_format(kpi, row['ci_low'], True)}, {kpi_format(kpi, row['ci_high'], True)}]"
              if np.isfinite(row["ci_low"]) else " [no CI]")
        return kpi_format(kpi, row["mean"], True) + ci

    def sentence(self, kpi: str) -> str:
        """What moves a KPI from A to B, naming only levers whose contribution's CI excludes zero."""
        t = self.total(kpi)
        head = f"{kpi_label(kpi, self.thr)}: {self.b_label} - {self.a_label} {self.change(kpi, t)}"
        if not t["clear"]:
            head += " (no clear difference)"
        movers = self.movers(kpi)
        c = self.contributions(kpi)
        if movers:
            moved = "moved by " + ", ".join(f"{self.lever(m).label.lower()} {self.change(kpi, c.loc[m])}"
                                            for m in movers)
        else:
            moved = "no lever has a clear effect"
        rest = [self.lever(k).label.lower() for k in c.index if k not in movers]
        tail = f"; {', '.join(rest)}: no clear effect" if movers and rest else ""
        return f"{head}; {moved}{tail}."

    def save(self, folder: str | Path) -> Path:
        """Write the tidy table as ``folder/attribution.parquet`` (atomically)."""
        return write_table(Path(folder) / TABLE_FILE, self.table)


def _summary_rows(kpi: str, kind: str, terms: Sequence[tuple[str, str]], per_rep: np.ndarray,
                  reps: np.ndarray, confidence: float) -> tuple[list[dict], list[pd.DataFrame]]:
    rows, long = [], []
    for j, (term, text) in enumerate(terms):
        x = per_rep[:, j]
        m, lo, hi, n = mean_ci(x, confidence)
        rows.append({"kpi": kpi, "kind": kind, "term": term, "label": text, "mean": m, "ci_low": lo, "ci_high": hi,
                     "reps": n, "clear": clear(lo, hi) if kind != "corner" else False})
        long.append(pd.DataFrame({"kpi": kpi, "kind": kind, "term": term, "rep": reps, "value": x}))
    return rows, long


def decompose(values: Mapping[str, np.ndarray], levers: Sequence[Lever], corner_labels: Sequence[str],
              a_label: str, b_label: str, reps: Sequence[int] | None = None, thr: float = 20.0,
              confidence: float = 0.95, **meta) -> Attribution:
    """An :class:`Attribution` from corner values: ``values[kpi]`` is a (replications x 2^k) array whose column
    c is corner c (:func:`corner_levels`). Pure arithmetic: no simulation."""
    levers = tuple(levers)
    k = len(levers)
    rows, long = [], []
    for kpi, v in values.items():
        v, kk = _corners(v)
        if kk != k or len(corner_labels) != v.shape[1]:
            raise ValueError(f"{kpi}: {v.shape[1]} corners for {k} levers and {len(corner_labels)} labels")
        r = np.arange(v.shape[0]) if reps is None else np.asarray(reps)
        terms, eff = effects(v)
        name = [lv.key for lv in levers]
        text = [lv.label for lv in levers]
        parts = [
            ("corner", [(c, c) for c in corner_labels], v),
            ("total", [(f"{b_label}-{a_label}", f"{b_label} - {a_label}")], total(v)[:, None]),
            ("shapley", list(zip(name, text)), shapley(v)),
            ("main", [(name[t[0]], text[t[0]]) for t in terms if len(t) == 1], eff[:, [len(t) == 1 for t in terms]]),
            ("interaction", [("x".join(name[i] for i in t), " x ".join(text[i] for i in t)) for t in terms
                             if len(t) == 2], eff[:, [len(t) == 2 for t in terms]]),
        ]
        for kind, labels, arr in parts:
            rr, ll = _summary_rows(kpi, kind, labels, arr, r, confidence)
            rows += rr
            long += ll
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    per_rep = pd.concat(long, ignore_index=True) if long else pd.DataFrame(columns=["kpi", "kind", "term", "rep", "value"])
    n = int(max((len(np.atleast_2d(v)) for v in values.values()), default=0))
    return Attribution(levers=levers, a_label=a_label, b_label=b_label, table=table, per_rep=per_rep, thr=thr,
                       reps=n, **meta)


def attribute(res: SweepResults, the_plan: Plan, kpis: Sequence[str] | None = None,
              confidence: float = 0.95) -> Attribution:
    """Decompose B - A of every KPI (default: every registry KPI the sweep has) from a finished corner sweep.

    Only replications present for every corner are used, so every term is paired."""
    point_of = {lab: int(p) for p, lab in zip(res.points["point"], res.points[DESIGN])}
    missing = [c.label for c in the_plan.corners if c.label not in point_of]
    if missing:
        raise ValueError(f"the sweep has no point for corners {missing}")
    frames = [res.kpis(point_of[c.label]) for c in the_plan.corners]
    reps = sorted(set.intersection(*(set(f.index) for f in frames)))
    names = [k for k in (kpis or KPIS) if k in REGISTRY and all(k in f.columns for f in frames)]
    values = {k: np.column_stack([f.loc[reps, k].to_numpy(dtype=float) for f in frames]) for k in names}
    return decompose(values, the_plan.levers, [c.label for c in the_plan.corners], the_plan.a_label,
                     the_plan.b_label, reps=reps, thr=the_plan.a.sl_threshold, confidence=confidence,
                     seed=res.manifest.get("seed"), notes=the_plan.notes(),
                     levels={lv.key: (lv.describe(the_plan.a.design), lv.describe(the_plan.b.design))
                             for lv in the_plan.levers})
