"""Turning results into what the page shows: designs (series) of points, their KPI summaries and the
differences against the baseline design, the scenario they ran, and where the numbers come from.

Results are read only through :class:`~ccsim.results.Results`, :class:`~ccsim.results.SweepResults` and
:mod:`ccsim.store`; statistics come from :mod:`ccsim.kpis`. Designs are compared paired (replication by
replication) when they faced the very same callers; a folder of saved runs that did not is refused.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Design, Scenario, design_from_dict, scenario_from_dict
from ..errors import OptionError, ResultsError
from ..kpis import REGISTRY, paired_difference, summarize, unpaired_difference
from ..results import Results, SweepResults
from ..staffing import Target
from ..store import kind_of, run_folders
from .style import PALETTE

#: every service target the report knows, in one place: a point meets one when the pessimistic end of its 95% CI
#: does (ci_low of service level >= 0.80, ci_high of abandonment <= 0.05), as the staffing planner counts them
TARGETS = (Target("service_level", ">=", 0.80), Target("abandon_rate", "<=", 0.05))
#: the service-level target of the charts' target lines (share answered within the scenario's threshold)
TARGET_SL = next(t.value for t in TARGETS if t.kpi == "service_level")
#: the KPIs of the cards and of the first chart, in order (names of the registry, :data:`ccsim.kpis.REGISTRY`)
CARDS = ("service_level", "service_level_caller", "asa", "abandon_rate", "passed_per_call", "reexplanations_per_call", "time_in_system_answered",
         "fcr", "occupancy", "cost")
#: what must be equal for saved runs to have faced the very same callers
SAME_CALLERS = ("demand", "horizon", "warmup", "interval", "seed")
FIX_FOLDER = "give a folder written by ccsim run, Results.save or ccsim sweep"


def finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


@dataclass
class Point:
    """One simulated configuration: a design at one staffing level (a run, or a sweep point)."""

    series: str
    staffing: float | None
    factors: dict
    kpis: pd.DataFrame                     # rep x KPI
    intervals: pd.DataFrame | None         # mean over reps, one row per interval
    journeys: pd.Series | None             # metric -> mean over reps (wait_cdf:*, flow:*)
    index: int | None = None               # the sweep point
    call_types: pd.DataFrame | None = None  # rep, call_type, KPIs (runs with several call types)
    summary: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.summary = summarize(self.kpis)

    def mean(self, kpi: str) -> float:
        return float(self.summary.loc[kpi, "mean"]) if kpi in self.summary.index else float("nan")

    def ci(self, kpi: str) -> tuple[float, float]:
        """The 95% CI of the mean, clipped to what the KPI can be (no negative waits, no share above 100%)."""
        if kpi not in self.summary.index:
            return float("nan"), float("nan")
        lo, hi = float(self.summary.loc[kpi, "ci_low"]), float(self.summary.loc[kpi, "ci_high"])
        top = 1.0 if kpi in REGISTRY and REGISTRY[kpi].unit == "share" else math.inf
        return (max(lo, 0.0), min(hi, top)) if finite(lo) and finite(hi) else (lo, hi)

    @property
    def reps(self) -> int:
        return len(self.kpis)

    def _half(self, kpi: str) -> float:
        lo, hi = (float(self.summary.loc[kpi, c]) for c in ("ci_low", "ci_high"))
        return (hi - lo) / 2 if finite(lo) and finite(hi) else 0.0

    def misses(self) -> list[Target]:
        """The targets this point misses at the pessimistic end of the 95% CI (the planner's rule,
        :meth:`ccsim.staffing.Target.met`); with one replication (no CI) the mean decides."""
        return [t for t in TARGETS if t.kpi not in self.summary.index or not t.met(self.mean(t.kpi), self._half(t.kpi))]

    def slack(self) -> float:
        """How far the worst target's pessimistic bound is on the right side of it (negative: missed)."""
        return min((t.slack(self.mean(t.kpi), self._half(t.kpi)) for t in TARGETS if t.kpi in self.summary.index),
                   default=float("-inf"))

    def agent_hours(self, interval: float) -> float:
        if self.intervals is None or "agents" not in self.intervals:
            return float("nan")
        return float(self.intervals["agents"].sum() * interval / 3600.0)


@dataclass
class Series:
    """A design (or combination of non-staffing factors): colour, label and its points by staffing."""

    label: str
    color: str
    mode: str                               # "cold transfers", "warm handoffs", ... or ""
    points: list[Point]
    head: Point                             # the point the headline and cards use
    overrides: dict = field(default_factory=dict)   # fields set with --set (runs)


@dataclass
class Data:
    series: list[Series]
    baseline: Series
    paired: bool
    staffing_factor: str | None
    scenario: Scenario                      # the (base) scenario: threshold, intervals, surges, warm-up
    notes: list[tuple[str, str]]
    unpaired_why: str = ""                  # how the runs differ when they are not paired
    diffs: dict[str, pd.DataFrame] = field(default_factory=dict)   # series label -> diff vs baseline

    @property
    def thr(self) -> str:
        return f"{self.scenario.sl_threshold:g}"

    def staffing_text(self, v: float | None) -> str:
        if v is None or self.staffing_factor is None:
            return ""
        if self.staffing_factor.endswith("staffing_scale"):
            return f"×{v:.2f} staffing"
        return f"{self.staffing_factor} = {v:g}"

    def staffing_short(self, v: float) -> str:
        """A staffing level, short: ×1.05, or the factor's value."""
        return f"×{v:.2f}" if self.staffing_factor and self.staffing_factor.endswith("staffing_scale") else f"{v:g}"


def mode_text(design: Design, skills: list[str]) -> str:
    """How callers are passed on in a design: cold transfers, warm handoffs, or both."""
    if len(skills) < 2:
        return ""
    modes = {design.route(s)[2] for s in skills if s in design.routes}
    names = {"cold": "cold transfers", "warm": "warm handoffs", "consult": "consults", "conference": "conferences"}
    return " and ".join(names.get(m, str(m)) for m in sorted(modes))


def show(v: Any, n: int = 40) -> str:
    """A setting's value, short, for people."""
    if isinstance(v, float):
        text = f"{v:g}"
    elif isinstance(v, (dict, list)):
        text = json.dumps(v, default=str)
    else:
        text = str(v)
    return text if len(text) <= n else text[:n - 1] + "…"


def overrides_text(overrides: dict) -> str:
    """Fields set with ``--set``, as ``path = value`` pairs."""
    return ", ".join(f"{k} = {show(v)}" for k, v in overrides.items())


# --------------------------------------------------------------------------- the means a page draws
def journey_means(jr: pd.DataFrame | None, reps: int) -> pd.Series | None:
    """Wait-CDF points: mean over replications; flows: total over replications / replications (absent = 0)."""
    if jr is None or jr.empty:
        return None
    g = jr.groupby("metric")["value"]
    out = g.mean()
    flows = out.index.str.startswith("flow:")
    out[flows] = g.sum()[flows] / max(reps, 1)
    return out


def cdf(p: Point) -> tuple[list[float], list[float]] | None:
    """The waiting-time distribution of a point: (seconds, share of calls that waited at most that long)."""
    if p.journeys is None:
        return None
    j = p.journeys[p.journeys.index.str.startswith("wait_cdf:")]
    if j.empty:
        return None
    pts = sorted((float(k.split(":", 1)[1]), float(v)) for k, v in j.items())
    return [a for a, _ in pts], [b for _, b in pts]


def quantile(ts: list[float], cs: list[float], q: float) -> float | None:
    """The waiting time within which a share q of calls waited (linear between grid points); None if beyond."""
    for i, (t, c) in enumerate(zip(ts, cs)):
        if c >= q - 1e-12:
            if i == 0:
                return t
            t0, c0 = ts[i - 1], cs[i - 1]
            return t0 + (t - t0) * (q - c0) / (c - c0) if c > c0 else t
    return None


def flows(p: Point) -> list[tuple[str, str, float]]:
    """The customer journey of a point: (source, target, calls per replication)."""
    if p.journeys is None:
        return []
    j = p.journeys[p.journeys.index.str.startswith("flow:")]
    out = []
    for k, v in j.items():
        src, _, tgt = k[5:].partition("|")
        if finite(v) and v > 0:
            out.append((src, tgt, float(v)))
    return out


LEGGED = re.compile(r" #\d+$")


def node_kinds(fl: list[tuple[str, str, float]]) -> tuple[set, set]:
    """Queue nodes and agent-group nodes of a journey (nodes carry ' #leg')."""
    queues = {t for s, t, _ in fl if s == "IVR" and LEGGED.search(t)}
    groups: set = set()
    while True:
        new_g = {t for s, t, _ in fl if s in queues and LEGGED.search(t)} - groups
        groups |= new_g
        new_q = {t for s, t, _ in fl if s in groups and LEGGED.search(t)} - queues
        queues |= new_q
        if not new_g and not new_q:
            return queues, groups


def passed_per_100(fl: list[tuple[str, str, float]]) -> float:
    """Calls passed from an agent to another queue, per 100 calls entering from the IVR."""
    queues, groups = node_kinds(fl)
    total = sum(v for s, _, v in fl if s == "IVR")
    passed = sum(v for s, t, v in fl if s in groups and t in queues)
    return 100 * passed / total if total else float("nan")


# ------------------------------------------------------------------ runs: Results objects and saved folders
def _run_point(label: str, res: Results) -> Point:
    iv = res.intervals
    have = iv is not None and not iv.empty and {"interval", "rep"} <= set(iv.columns)
    return Point(series=label, staffing=None, factors={}, kpis=res.kpis,
                 intervals=res.interval_summary().sort_values("interval").reset_index(drop=True) if have else None,
                 journeys=journey_means(res.journeys, len(res.kpis)),
                 call_types=res.call_types if len(res.scenario.demand.call_types) > 1 and not res.call_types.empty
                 else None)


def _first_difference(x: Any, y: Any, path: str) -> tuple[str, str, str]:
    """The first dotted path where two scenario parts differ, with both values."""
    if isinstance(x, dict) and isinstance(y, dict):
        for k in [*x, *(k for k in y if k not in x)]:
            if x.get(k, "absent") != y.get(k, "absent"):
                return _first_difference(x.get(k, "absent"), y.get(k, "absent"), f"{path}.{k}")
    if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (u, v) in enumerate(zip(x, y)):
            if u != v:
                return _first_difference(u, v, f"{path}[{i}]")
    return path, show(x), show(y)


def mismatch(runs: dict[str, Results]) -> str:
    """How runs differ in what their callers were (demand, run length, intervals, seed); "" if they did not."""
    def key(r: Results, what: str) -> Any:
        return r.seed if what == "seed" else (r.scenario.demand.model_dump(mode="json") if what == "demand"
                                              else float(getattr(r.scenario, what)))

    labels = list(runs)
    a = labels[0]
    for what in SAME_CALLERS:
        for b in labels[1:]:
            va, vb = key(runs[a], what), key(runs[b], what)
            if va == vb:
                continue
            if what == "demand":
                path, xa, xb = _first_difference(va, vb, "demand")
                return f"different demand ({a}: {path} = {xa}, {b}: {path} = {xb})"
            unit = "" if what == "seed" else " s"
            return f"different {what} ({a}: {show(va)}{unit}, {b}: {show(vb)}{unit})"
    return ""


def _runs_data(runs: dict[str, Results], sources: dict[str, str] | None = None) -> Data:
    labels = list(runs)
    series = []
    for i, lab in enumerate(labels):
        r = runs[lab]
        p = _run_point(lab, r)
        series.append(Series(label=lab, color=PALETTE[i % len(PALETTE)],
                             mode=mode_text(r.scenario.design, r.scenario.demand.skills), points=[p], head=p,
                             overrides=dict(r.meta.get("overrides") or {})))
    why = mismatch(runs) if len(runs) > 1 else ""
    scs = [runs[k].scenario for k in labels]
    notes = [("Scenario" + ("s" if len(labels) > 1 else ""),
              "; ".join(f"{lab}: {sc.name}" + (f" — {sc.description}" if sc.description else "")
                        for lab, sc in zip(labels, scs)))]
    notes += _run_notes([runs[k].manifest() for k in labels], labels)
    if any(s.overrides for s in series):
        notes.append(("Set with --set", overrides_text(series[0].overrides) if len(series) == 1 else
                      "; ".join(f"{s.label}: {overrides_text(s.overrides) or 'nothing'}" for s in series)))
    if sources:
        notes.append(("Results read from", ", ".join(sources[k] for k in labels if k in sources)))
    return _finish(Data(series=series, baseline=series[0], paired=len(runs) > 1 and not why, staffing_factor=None,
                        scenario=scs[0], notes=notes, unpaired_why=why))


def _run_notes(mans: list[dict], labels: list[str]) -> list[tuple[str, str]]:
    def one(key: str) -> str:
        vals = [m.get(key) for m in mans]
        if len({json.dumps(v, default=str) for v in vals}) == 1:
            return str(vals[0])
        return "; ".join(f"{lab}: {v}" for lab, v in zip(labels, vals))

    return [("Seed", one("seed")), ("Replications", one("reps")), ("Engine", one("engine")),
            ("ccsim version", one("ccsim_version")),
            ("When run", "; ".join(f"{lab}: {m.get('started') or '?'} to {m.get('finished') or '?'}"
                                   for lab, m in zip(labels, mans)) if len(mans) > 1 else
             f"{mans[0].get('started') or '?'} to {mans[0].get('finished') or '?'}")]


# --------------------------------------------------------------------------- sweeps
def _by_point(df: pd.DataFrame) -> dict[int, pd.DataFrame]:
    return {int(p): g for p, g in df.groupby("point")} if not df.empty else {}


def _sweep_data(sr: SweepResults, source: str = "") -> Data:
    man = sr.manifest or {}
    defn = man.get("definition") or {}
    if not isinstance(defn.get("base"), dict):
        raise ResultsError("RESULTS_DIR", "the sweep's manifest has no base scenario (definition.base)",
                           "re-run the sweep with this version of ccsim")
    base = scenario_from_dict(defn["base"])
    designs = {lab: design_from_dict(d) for lab, d in ((defn.get("factors") or {}).get("design") or {}).items()}
    pts = sr.points
    factor_cols = [c for c in pts.columns if c != "point"]
    finished = set(sr.finished_points())
    if not finished:
        raise ResultsError("RESULTS_DIR", "the sweep has no finished points yet", "run or resume the sweep first")
    ivs, jrs = _by_point(sr.intervals()), _by_point(sr.journeys())

    # the staffing factor (the frontier's x axis) and the factors that make a series
    numeric = [c for c in factor_cols if c != "design" and pd.api.types.is_numeric_dtype(pts[c])
               and pts[c].nunique() > 1]
    staff = [c for c in numeric if c.endswith("staffing_scale")] + [c for c in numeric if "staffing" in c]
    staffing = staff[0] if staff else None
    series_cols = [c for c in factor_cols if c != staffing]

    def label_of(row) -> str:
        if not series_cols:
            return base.name or str(man.get("name", "sweep"))
        parts = []
        for c in series_cols:
            v = row[c]
            parts.append(str(v) if c == "design" else f"{c.rsplit('.', 1)[-1]}={v:g}" if isinstance(v, float)
                         else f"{c.rsplit('.', 1)[-1]}={v}")
        return " · ".join(parts)

    by_series: dict[str, list[Point]] = {}
    point_series: dict[int, str] = {}
    for _, row in pts.iterrows():
        p = int(row["point"])
        if p not in finished:
            continue
        lab = label_of(row)
        kp = sr.kpis(p)
        iv = ivs.get(p)
        pt = Point(series=lab, staffing=float(row[staffing]) if staffing else None,
                   factors={c: row[c] for c in factor_cols}, kpis=kp,
                   intervals=iv.sort_values("interval").reset_index(drop=True) if iv is not None else None,
                   journeys=journey_means(jrs.get(p), len(kp)), index=p,
                   call_types=(lambda t: None if t.empty else t)(sr.call_types(p)))
        by_series.setdefault(lab, []).append(pt)
        point_series[p] = lab

    # the headline staffing: x1.0 for a scale, otherwise the median level
    ref = None
    if staffing:
        levels = sorted(pts[staffing].unique())
        ref = (min(levels, key=lambda v: (abs(v - 1.0), -v)) if staffing.endswith("staffing_scale")
               else levels[(len(levels) - 1) // 2])
    series = []
    for i, (lab, plist) in enumerate(by_series.items()):
        plist.sort(key=lambda q: (q.staffing if q.staffing is not None else 0.0))
        head = min(plist, key=lambda q: abs(q.staffing - ref)) if staffing else plist[0]
        dlab = plist[0].factors.get("design")
        design = designs.get(dlab, base.design) if dlab is not None else base.design
        series.append(Series(label=lab, color=PALETTE[i % len(PALETTE)], mode=mode_text(design, base.demand.skills),
                             points=plist, head=head))

    # the baseline series: where the sweep's own baseline rule sends the other designs' headline points
    baseline = series[0]
    votes: dict[str, int] = {}
    for s in series:
        b = sr.baseline_of(s.head.index)
        if b in point_series and point_series[b] != s.label:
            votes[point_series[b]] = votes.get(point_series[b], 0) + 1
    if votes:
        baseline = next(s for s in series if s.label == max(votes, key=votes.get))

    fac_text = "; ".join(f"{c}: {', '.join(map(str, pd.unique(pts[c])))}" for c in factor_cols)
    notes = [("Sweep", f"{man.get('name', '?')}: {len(pts)} points" + (f" ({fac_text})" if fac_text else "")),
             ("Base scenario", base.name + (f" — {base.description}" if base.description else "")),
             ("Seed", str(man.get("seed", "?"))), ("Replications", f"{man.get('reps', '?')} per point"),
             ("Engine", str(man.get("engine", "?"))), ("ccsim version", str(man.get("ccsim_version", "?"))),
             ("When run", f"{man.get('started', '?')} to {man.get('finished') or 'not finished'}")]
    if source:
        notes.append(("Results read from", source))
    return _finish(Data(series=series, baseline=baseline, paired=True, staffing_factor=staffing, scenario=base,
                        notes=notes))


# --------------------------------------------------------------------------- differences
def _finish(data: Data) -> Data:
    b = data.baseline.head
    for s in data.series:
        if s is data.baseline:
            continue
        k = s.head.kpis
        data.diffs[s.label] = (paired_difference(b.kpis, k) if data.paired and len(b.kpis.index.intersection(k.index))
                               else unpaired_difference(b.kpis, k))
    return data


def significant(d: pd.DataFrame, kpi: str) -> bool | None:
    """True/False when the CI excludes / includes zero; None without a CI (one replication)."""
    if kpi not in d.index:
        return False
    lo, hi = d.loc[kpi, "ci_low"], d.loc[kpi, "ci_high"]
    if not (finite(lo) and finite(hi)):
        return None
    return bool(lo > 0 or hi < 0)


# --------------------------------------------------------------------------- normalising the input
def _load_path(path: Path) -> tuple[str, Any]:
    """("sweep", SweepResults), ("run", Results) or ("designs", {folder name: Results}) of a results folder."""
    if not path.exists():
        raise ResultsError("RESULTS_DIR", f"{path} does not exist", FIX_FOLDER)
    if path.is_file() and path.name == "manifest.json":
        path = path.parent
    if not path.is_dir():
        raise ResultsError("RESULTS_DIR", f"{path} is not a results folder", FIX_FOLDER)
    kind = kind_of(path)
    if kind == "sweep":
        return "sweep", SweepResults.load(path)
    if kind == "run":
        return "run", Results.load(path)
    runs = {d.name: Results.load(d) for d in run_folders(path)}
    if not runs:
        raise ResultsError("RESULTS_DIR", f"{path} holds no results (no saved run or sweep, nor a folder of saved runs)",
                           FIX_FOLDER)
    order = sorted(runs, key=lambda k: (runs[k].started or "", k))
    return "designs", {k: runs[k] for k in order}


def normalise(results: Any) -> Data:
    """What the page shows, from Results, SweepResults, {label: Results or run folder} or a results folder."""
    if isinstance(results, (str, os.PathLike)):
        path = Path(results)
        kind, obj = _load_path(path)
        if kind == "sweep":
            return _sweep_data(obj, source=str(results))
        if kind == "run":
            return _runs_data({obj.scenario.name: obj}, {obj.scenario.name: str(results)})
        why = mismatch(obj)
        if why:
            raise ResultsError("RESULTS_DIR", f"{path} holds runs of {why}: comparing them would not compare designs "
                                              "on the same callers",
                               "report one run folder, or save runs of the same demand and seed side by side")
        return _runs_data(obj, {k: str(path / k) for k in obj})
    if isinstance(results, SweepResults):
        return _sweep_data(results)
    if isinstance(results, Results):
        return _runs_data({results.scenario.name: results})
    if isinstance(results, dict) and results:
        runs, sources = {}, {}
        for label, r in results.items():
            if isinstance(r, Results):
                runs[str(label)] = r
            elif isinstance(r, (str, os.PathLike)):
                kind, obj = _load_path(Path(r))
                if kind != "run":
                    raise OptionError(f"results[{label!r}]", "is not the folder of a single run",
                                      "give Results, or folders written by ccsim run / Results.save")
                runs[str(label)], sources[str(label)] = obj, str(r)
            else:
                raise OptionError(f"results[{label!r}]", f"is a {type(r).__name__}, not Results",
                                  "give {label: Results} for designs to compare")
        return _runs_data(runs, sources)
    raise OptionError("results", f"cannot make a report of a {type(results).__name__}",
                      "give Results, SweepResults, {label: Results} or a results folder")
