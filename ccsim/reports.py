"""The leadership report: a run, a set of designs or a sweep as one self-contained HTML page.

    import ccsim
    html = ccsim.report(results)                       # Results, SweepResults, {label: Results} or a path
    ccsim.report("results/silo_vs_team_sweep", out="report.html", png="slides/")

The page opens with no network (plotly.js is embedded once), states each finding in words computed from
the results (with 95% confidence intervals: paired differences when the designs faced the same callers),
shows KPI cards per design and six charts, and ends with where the numbers come from. Every piece of user
text (scenario, design and factor names) is escaped, in the HTML and inside the charts.
"""
from __future__ import annotations

import html as _html
import json
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots
from scipy import stats

from .errors import ScenarioError
from .metrics import paired_difference, summarize

__all__ = ["report"]

#: the classic service-level target the findings refer to (share answered within the scenario's threshold)
TARGET_SL = 0.80
#: colours per design, in order (Okabe-Ito, readable by colour-blind people), then plotly's Dark24
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442",
           "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100", "#750D86")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
MAX_HEADLINES = 8       # sentences in the headline; more designs are summarised as "and N more"
MAX_SANKEYS = 4         # journeys drawn; more designs get a note
OUTCOME_COLORS = {"IVR": "#7f7f7f", "resolved": "#2ca02c", "unresolved": "#ff7f0e", "abandoned": "#d62728",
                  "still waiting": "#bbbbbb", "still talking": "#bbbbbb"}
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


# --------------------------------------------------------------------------- KPIs shown to people
@dataclass(frozen=True)
class _Kpi:
    name: str
    title: str
    explain: str        # may contain {thr}
    kind: str           # pct | sec | min | rate | money
    better: int         # +1 higher is better, -1 lower is better, 0 neither


CARDS = (
    _Kpi("service_level", "Service level", "answered within {thr} s", "pct", +1),
    _Kpi("asa", "Speed of answer", "average wait for an agent", "sec", -1),
    _Kpi("abandon_rate", "Abandoned", "callers who hung up waiting", "pct", -1),
    _Kpi("passed_per_call", "Passed on", "transfers + handoffs per call", "rate", -1),
    _Kpi("reexplanations_per_call", "Re-explanations", "stories told again, per call", "rate", -1),
    _Kpi("mean_time_in_system", "Time in system", "from dialling to leaving", "min", -1),
    _Kpi("fcr", "First-contact resolution", "first calls that settle the issue", "pct", +1),
    _Kpi("occupancy", "Occupancy", "share of agent time busy", "pct", 0),
    _Kpi("cost", "Cost", "agent-hours × hourly rate", "money", -1),
)
KPI = {k.name: k for k in CARDS}


def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _minus(s: str) -> str:
    """A typographic minus sign in numbers."""
    return s.replace("-", "−")


def fmt_value(kind: str, v: float, signed: bool = False) -> str:
    """A KPI value (or, ``signed``, a difference: percentage points for shares) for people."""
    if not _finite(v):
        return "–"
    sign = "+" if signed else ""
    if kind == "pct":
        return _minus(f"{100 * v:{sign}.1f} pts" if signed else f"{100 * v:.1f}%")
    if kind == "sec":
        return _minus(f"{v:{sign},.1f} s")
    if kind == "min":
        return _minus(f"{v / 60:{sign},.1f} min")
    if kind == "money":
        return _minus(f"{v:{sign},.0f}")
    return _minus(f"{v:{sign}.2f}")


def fmt_diff(kind: str, v: float) -> str:
    """A difference of a KPI for people (signed; percentage points for shares)."""
    return fmt_value(kind, v, signed=True)


def _ci_text(kind: str, lo: float, hi: float, diff: bool = False) -> str:
    if not (_finite(lo) and _finite(hi)):
        return "no CI (one replication)"
    f = fmt_diff if diff else fmt_value
    return f"{f(kind, lo)} to {f(kind, hi)}"


def esc(text: Any) -> str:
    """User text made inert in HTML."""
    return _html.escape(str(text), quote=True)


def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def _t(label: Any) -> str:
    """A design label inside a chart title: shortened (titles do not wrap) and escaped."""
    return pesc(_short(str(label)))


def pesc(text: Any) -> str:
    """User text made inert in plotly's pseudo-HTML (titles, labels, legends, hover): it decodes &lt; &gt; &amp;
    but not &quot;, and quotes are harmless there (no tag can start without '<')."""
    return _html.escape(str(text), quote=False)


# --------------------------------------------------------------------------- the normalised data
@dataclass
class _Point:
    """One simulated configuration: a design at one staffing level (a run, or a sweep point)."""

    series: str
    staffing: float | None
    factors: dict
    kpis: pd.DataFrame                     # rep x KPI (derived columns included)
    intervals: pd.DataFrame | None         # mean over reps, one row per interval
    journeys: pd.Series | None             # metric -> mean over reps (wait_cdf:*, flow:*)
    index: int | None = None               # the sweep point
    summary: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        k = self.kpis.copy()
        if "transfers_per_call" in k and "handoffs_per_call" in k:
            k["passed_per_call"] = k["transfers_per_call"] + k["handoffs_per_call"]
        self.kpis = k
        self.summary = summarize(k)

    def mean(self, kpi: str) -> float:
        return float(self.summary.loc[kpi, "mean"]) if kpi in self.summary.index else float("nan")

    def ci(self, kpi: str) -> tuple[float, float]:
        """The 95% CI of the mean, clipped to what the KPI can be (no negative waits, no share above 100%)."""
        if kpi not in self.summary.index:
            return float("nan"), float("nan")
        lo, hi = float(self.summary.loc[kpi, "ci_low"]), float(self.summary.loc[kpi, "ci_high"])
        top = 1.0 if kpi in KPI and KPI[kpi].kind == "pct" else math.inf
        return (max(lo, 0.0), min(hi, top)) if _finite(lo) and _finite(hi) else (lo, hi)

    @property
    def reps(self) -> int:
        return len(self.kpis)

    def agent_hours(self, interval: float) -> float:
        if self.intervals is None or "agents" not in self.intervals:
            return float("nan")
        return float(self.intervals["agents"].sum() * interval / 3600.0)


@dataclass
class _Series:
    """A design (or combination of non-staffing factors): colour, label and its points by staffing."""

    label: str
    color: str
    mode: str                               # "cold transfers", "warm handoffs", ... or ""
    points: list[_Point]
    head: _Point                            # the point the headline and cards use


@dataclass
class _Data:
    kind: str                               # run | designs | sweep
    series: list[_Series]
    baseline: _Series
    paired: bool
    staffing_factor: str | None
    info: dict                              # name, description, sl_threshold, interval, horizon, warmup, surges
    notes: list[tuple[str, str]]
    diffs: dict[str, pd.DataFrame] = field(default_factory=dict)   # series label -> diff vs baseline

    @property
    def thr(self) -> str:
        return f"{self.info['sl_threshold']:g}"

    def staffing_text(self, v: float | None) -> str:
        if v is None or self.staffing_factor is None:
            return ""
        if self.staffing_factor.endswith("staffing_scale"):
            return f"×{v:.2f} staffing"
        return f"{self.staffing_factor} = {v:g}"


def _mode_text(design: dict | None, skills: list | None) -> str:
    """How callers are passed on in a design: cold transfers, warm handoffs, or both."""
    if not design or not skills or len(skills) < 2:
        return ""
    default = design.get("transfer_mode", "cold")
    modes = set()
    for s in skills:
        r = (design.get("routes") or {}).get(s)
        modes.add((r.get("mode") if isinstance(r, dict) else None) or default)
    names = {"cold": "cold transfers", "warm": "warm handoffs"}
    return " and ".join(names.get(m, str(m)) for m in sorted(modes))


def _info(defn: dict | None) -> dict:
    defn = defn or {}
    demand = defn.get("demand") if isinstance(defn.get("demand"), dict) else {}
    return {"name": defn.get("name", ""), "description": defn.get("description", ""),
            "sl_threshold": float(defn.get("sl_threshold", 20.0)), "interval": float(defn.get("interval", 1800.0)),
            "horizon": float(defn.get("horizon", 0.0)), "warmup": float(defn.get("warmup", 0.0)),
            "surges": list(demand.get("surges") or []), "skills": list(demand.get("skills") or [])}


# ------------------------------------------------------------------ runs: Results objects and saved folders
@dataclass
class _Run:
    kpis: pd.DataFrame
    intervals: pd.DataFrame | None
    journeys: pd.DataFrame | None
    manifest: dict
    source: str = ""


def _run_from_results(res: Any) -> _Run:
    man = res.manifest()
    return _Run(kpis=res.kpis, intervals=res.intervals, journeys=getattr(res, "journeys", None), manifest=man)


def _read_optional(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.exists() else None


def _run_from_dir(d: Path) -> _Run:
    man = json.loads((d / "manifest.json").read_text())
    kpis = pd.read_parquet(d / "kpis.parquet")
    kpis = kpis.set_index("rep") if "rep" in kpis.columns else kpis.rename_axis("rep")
    return _Run(kpis=kpis, intervals=_read_optional(d / "intervals.parquet"),
                journeys=_read_optional(d / "journeys.parquet"), manifest=man, source=str(d))


def _interval_means(iv: pd.DataFrame | None) -> pd.DataFrame | None:
    if iv is None or iv.empty or "interval" not in iv:
        return None
    cols = [c for c in ("offered", "service_level", "abandon_rate", "asa", "agents", "occupancy") if c in iv]
    return iv.groupby("interval", as_index=False)[cols].mean().sort_values("interval").reset_index(drop=True)


def _journey_means(jr: pd.DataFrame | None, reps: int) -> pd.Series | None:
    """Wait-CDF points: mean over replications; flows: total over replications / replications (absent = 0)."""
    if jr is None or jr.empty:
        return None
    g = jr.groupby("metric")["value"]
    out = g.mean()
    flows = out.index.str.startswith("flow:")
    out[flows] = g.sum()[flows] / max(reps, 1)
    return out


def _runs_data(runs: dict[str, _Run], kind: str) -> _Data:
    labels = list(runs)
    mans = [runs[k].manifest for k in labels]
    defs = [m.get("scenario_definition") or {} for m in mans]
    info = _info(defs[0])
    series = []
    for i, lab in enumerate(labels):
        r = runs[lab]
        p = _Point(series=lab, staffing=None, factors={}, kpis=r.kpis, intervals=_interval_means(r.intervals),
                   journeys=_journey_means(r.journeys, len(r.kpis)))
        d = defs[i]
        series.append(_Series(label=lab, color=PALETTE[i % len(PALETTE)],
                              mode=_mode_text(d.get("design"), (d.get("demand") or {}).get("skills")),
                              points=[p], head=p))
    # same seed and same demand (and run length): every design faced the very same callers
    same = lambda key: len({json.dumps(x, sort_keys=True, default=str) for x in key}) == 1  # noqa: E731
    paired = (len(runs) > 1 and same([m.get("seed") for m in mans]) and same([d.get("demand") for d in defs])
              and same([(d.get("horizon"), d.get("warmup"), d.get("interval")) for d in defs]))
    notes = [("Scenario" + ("s" if len(labels) > 1 else ""),
              "; ".join(f"{lab}: {d.get('name', '?')}" + (f" — {d['description']}" if d.get("description") else "")
                        for lab, d in zip(labels, defs)))]
    notes += _run_notes(mans, labels)
    if any(runs[k].source for k in labels):
        notes.append(("Results read from", ", ".join(runs[k].source for k in labels if runs[k].source)))
    return _finish(_Data(kind=kind, series=series, baseline=series[0], paired=paired, staffing_factor=None,
                         info=info, notes=notes))


def _run_notes(mans: list[dict], labels: list[str]) -> list[tuple[str, str]]:
    def one(key: str, fmt=str) -> str:
        vals = [m.get(key) for m in mans]
        if len({json.dumps(v, default=str) for v in vals}) == 1:
            return fmt(vals[0])
        return "; ".join(f"{lab}: {fmt(v)}" for lab, v in zip(labels, vals))

    return [("Seed", one("seed")), ("Replications", one("reps")), ("Engine", one("engine")),
            ("ccsim version", one("ccsim_version")),
            ("When run", "; ".join(f"{lab}: {m.get('started', '?')} to {m.get('finished', '?')}"
                                   for lab, m in zip(labels, mans)) if len(mans) > 1 else
             f"{mans[0].get('started', '?')} to {mans[0].get('finished', '?')}")]


# --------------------------------------------------------------------------- sweeps
def _sweep_data(sr: Any, source: str = "") -> _Data:
    man = sr.manifest or {}
    defn = man.get("definition") or {}
    base = defn.get("base") or {}
    info = _info(base)
    pts = sr.points.copy()
    factor_cols = [c for c in pts.columns if c != "point"]
    t = sr.table
    run_rows = t[t["interval"] == -1]
    is_j = run_rows["metric"].str.contains(":", regex=False)
    wide = run_rows[~is_j].pivot_table(index=["point", "rep"], columns="metric", values="value", aggfunc="mean")
    jr = run_rows[is_j]
    iv = t[t["interval"] >= 0]
    iv_means = (iv.pivot_table(index=["point", "interval"], columns="metric", values="value", aggfunc="mean")
                if not iv.empty else None)

    # the staffing factor (the frontier's x axis) and the factors that make a series
    numeric = [c for c in factor_cols if c != "design" and pd.api.types.is_numeric_dtype(pts[c])
               and pts[c].nunique() > 1]
    staff = [c for c in numeric if c.endswith("staffing_scale")] + [c for c in numeric if "staffing" in c]
    staffing = staff[0] if staff else None
    series_cols = [c for c in factor_cols if c != staffing]

    def label_of(row) -> str:
        if not series_cols:
            return info["name"] or man.get("name", "sweep")
        parts = []
        for c in series_cols:
            v = row[c]
            parts.append(str(v) if c == "design" else f"{c.rsplit('.', 1)[-1]}={v:g}" if isinstance(v, float)
                         else f"{c.rsplit('.', 1)[-1]}={v}")
        return " · ".join(parts)

    designs = (defn.get("factors") or {}).get("design") or {}
    skills = info["skills"]
    by_series: dict[str, list[_Point]] = {}
    point_series: dict[int, str] = {}
    for _, row in pts.iterrows():
        p = int(row["point"])
        if p not in wide.index.get_level_values(0):
            continue
        lab = label_of(row)
        kp = wide.loc[p]
        kp.columns.name = None
        reps = len(kp)
        ivm = None
        if iv_means is not None and p in iv_means.index.get_level_values(0):
            ivm = iv_means.loc[p].reset_index()
            ivm.columns.name = None
        jm = _journey_means(jr[jr["point"] == p], reps)
        pt = _Point(series=lab, staffing=float(row[staffing]) if staffing else None,
                    factors={c: row[c] for c in factor_cols}, kpis=kp, intervals=ivm, journeys=jm, index=p)
        by_series.setdefault(lab, []).append(pt)
        point_series[p] = lab
    if not by_series:
        raise ScenarioError("results", "the sweep has no finished points yet", "run or resume the sweep first")

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
        mode = _mode_text(designs.get(dlab) if dlab is not None else base.get("design"), skills)
        series.append(_Series(label=lab, color=PALETTE[i % len(PALETTE)], mode=mode, points=plist, head=head))

    # the baseline series: where the sweep's own baseline rule sends the other designs' headline points
    baseline = series[0]
    base_of = man.get("baseline_of") or []
    votes: dict[str, int] = {}
    for s in series:
        p = s.head.index
        if p is not None and p < len(base_of) and base_of[p] in point_series and point_series[base_of[p]] != s.label:
            votes[point_series[base_of[p]]] = votes.get(point_series[base_of[p]], 0) + 1
    if votes:
        baseline = next(s for s in series if s.label == max(votes, key=votes.get))

    fac_text = "; ".join(f"{c}: {', '.join(map(str, pd.unique(pts[c])))}" for c in factor_cols)
    notes = [("Sweep", f"{man.get('name', '?')}: {len(pts)} points" + (f" ({fac_text})" if fac_text else "")),
             ("Base scenario", info["name"] + (f" — {info['description']}" if info["description"] else "")),
             ("Seed", str(man.get("seed", "?"))), ("Replications", f"{man.get('reps', '?')} per point"),
             ("Engine", str(man.get("engine", "?"))), ("ccsim version", str(man.get("ccsim_version", "?"))),
             ("When run", f"{man.get('started', '?')} to {man.get('finished') or 'not finished'}")]
    if source:
        notes.append(("Results read from", source))
    return _finish(_Data(kind="sweep", series=series, baseline=baseline, paired=True, staffing_factor=staffing,
                         info=info, notes=notes))


# --------------------------------------------------------------------------- differences
def _unpaired_difference(a: pd.DataFrame, b: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """B minus A per KPI for independent samples (Welch's t interval)."""
    rows = {}
    for name in a.columns:
        if name not in b.columns:
            continue
        x = a[name].to_numpy(dtype=float)
        y = b[name].to_numpy(dtype=float)
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
        d = float(y.mean() - x.mean()) if x.size and y.size else float("nan")
        half = float("nan")
        if x.size >= 2 and y.size >= 2:
            vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
            se = math.sqrt(vx + vy)
            if se > 0:
                dof = (vx + vy) ** 2 / (vx ** 2 / (x.size - 1) + vy ** 2 / (y.size - 1))
                half = float(stats.t.ppf(0.5 + confidence / 2, dof) * se)
            else:
                half = 0.0
        rows[name] = {"diff": d, "ci_low": d - half, "ci_high": d + half, "reps": min(x.size, y.size)}
    return pd.DataFrame.from_dict(rows, orient="index")


def _finish(data: _Data) -> _Data:
    b = data.baseline.head
    for s in data.series:
        if s is data.baseline:
            continue
        k = s.head.kpis
        data.diffs[s.label] = (paired_difference(b.kpis, k) if data.paired and len(b.kpis.index.intersection(k.index))
                               else _unpaired_difference(b.kpis, k))
    return data


def _significant(d: pd.DataFrame, kpi: str) -> bool | None:
    """True/False when the CI excludes / includes zero; None without a CI (one replication)."""
    if kpi not in d.index:
        return False
    lo, hi = d.loc[kpi, "ci_low"], d.loc[kpi, "ci_high"]
    if not (_finite(lo) and _finite(hi)):
        return None
    return bool(lo > 0 or hi < 0)


# --------------------------------------------------------------------------- normalising the input
def _load_path(path: Path) -> Any:
    if not path.exists():
        raise ScenarioError("RESULTS_DIR", f"{path} does not exist",
                            "give a folder written by ccsim run, Results.save or ccsim sweep")
    if path.is_file() and path.name == "manifest.json":
        path = path.parent
    if not path.is_dir():
        raise ScenarioError("RESULTS_DIR", f"{path} is not a results folder",
                            "give a folder written by ccsim run, Results.save or ccsim sweep")
    man = path / "manifest.json"
    if man.exists():
        try:
            m = json.loads(man.read_text())
        except ValueError:
            raise ScenarioError("RESULTS_DIR", f"{man} is not valid JSON", "re-run the command that wrote it") from None
        if "points" in m:
            from .sweep import SweepResults
            return ("sweep", SweepResults.load(path))
        if (path / "kpis.parquet").exists():
            return ("run", _run_from_dir(path))
    subs = [d for d in sorted(path.iterdir()) if d.is_dir() and (d / "manifest.json").exists()
            and (d / "kpis.parquet").exists()]
    if subs:
        runs = {d.name: _run_from_dir(d) for d in subs}
        order = sorted(runs, key=lambda k: (str(runs[k].manifest.get("started", "")), k))
        return ("designs", {k: runs[k] for k in order})
    raise ScenarioError("RESULTS_DIR", f"{path} holds no results (no manifest.json with kpis.parquet, nor a sweep)",
                        "give a folder written by ccsim run, Results.save or ccsim sweep")


def _normalise(results: Any) -> _Data:
    from .results import Results
    from .sweep import SweepResults

    if isinstance(results, (str, os.PathLike)):
        kind, obj = _load_path(Path(results))
        if kind == "sweep":
            return _sweep_data(obj, source=str(results))
        if kind == "run":
            return _runs_data({obj.manifest.get("scenario", Path(results).name): obj}, "run")
        return _runs_data(obj, "designs")
    if isinstance(results, SweepResults):
        return _sweep_data(results)
    if isinstance(results, Results):
        return _runs_data({results.scenario.name: _run_from_results(results)}, "run")
    if isinstance(results, dict) and results:
        runs = {}
        for label, r in results.items():
            if isinstance(r, Results):
                runs[str(label)] = _run_from_results(r)
            elif isinstance(r, (str, os.PathLike)):
                kind, obj = _load_path(Path(r))
                if kind != "run":
                    raise ScenarioError(f"results[{label!r}]", "is not the folder of a single run",
                                        "give Results, or folders written by ccsim run / Results.save")
                runs[str(label)] = obj
            else:
                raise ScenarioError(f"results[{label!r}]", f"is a {type(r).__name__}, not Results",
                                    "give {label: Results} for designs to compare")
        return _runs_data(runs, "designs" if len(runs) > 1 else "run")
    raise ScenarioError("results", f"cannot make a report of a {type(results).__name__}",
                        "give Results, SweepResults, {label: Results} or a results folder")


# --------------------------------------------------------------------------- the words
def _series_name(s: _Series, bold: bool = True) -> str:
    name = f"<strong>{esc(s.label)}</strong>" if bold else esc(s.label)
    return name + (f" <span class='mode'>({esc(s.mode)})</span>" if s.mode else "")


#: how each KPI's change is told: (relative or absolute, scale, decimals, unit, text if lower, if higher, if unclear)
SAYINGS = {
    "abandon_rate": ("rel", 1, 0, "", "{v} fewer abandoned calls", "{v} more abandoned calls",
                     "no clear change in abandonment"),
    "service_level": ("abs", 100, 1, " pts", "{v} points fewer answered within {thr} s",
                      "{v} points more answered within {thr} s", "no clear change in service level"),
    "mean_time_in_system": ("abs", 1 / 60, 1, " min", "{v} fewer minutes in the system",
                            "{v} more minutes in the system", None),
    "reexplanations_per_call": ("abs", 100, 0, "", "{v} fewer re-explanations per 100 calls",
                                "{v} more re-explanations per 100 calls", None),
    "fcr": ("abs", 100, 1, " pts", "{v} points fewer resolved on the first call",
            "{v} points more resolved on the first call", None),
    "asa": ("abs", 1, 1, " s", "answered {v} s sooner", "answered {v} s later", None),
    "cost": ("rel", 1, 1, "", "{v} lower cost", "{v} higher cost", "about the same cost"),
}


def _clause(data: _Data, s: _Series, kpi: str) -> tuple[str, str] | None:
    """(good | bad | flat, words) for the change of one KPI between the baseline and design ``s``."""
    d = data.diffs[s.label]
    if kpi not in d.index:
        return None
    diff, lo, hi = (float(d.loc[kpi, c]) for c in ("diff", "ci_low", "ci_high"))
    if not _finite(diff):
        return None
    b_mean, x_mean = data.baseline.head.mean(kpi), s.head.mean(kpi)
    if kpi == "reexplanations_per_call" and x_mean == 0 and b_mean > 0:
        return "good", (f"no caller tells the story twice (vs {100 * b_mean:.0f} in 100 calls with "
                        f"{esc(data.baseline.label)})")
    mode, scale, dec, unit, lower, higher, flat = SAYINGS[kpi]
    sig = _significant(d, kpi)
    if mode == "rel":
        if not (_finite(b_mean) and b_mean > 0):
            return None
        scale, unit = 100 / b_mean, "%"
        dec = 0 if abs(diff) * scale >= 10 else dec
    v, a, z = diff * scale, lo * scale, hi * scale
    first = "%" if mode == "rel" else ""
    tight = _finite(a) and _finite(z) and f"{abs(a):.{dec}f}" == f"{abs(z):.{dec}f}"
    if sig is False and mode == "rel" and KPI[kpi].kind == "pct":
        a, z, first, unit, dec = 100 * lo, 100 * hi, "", " pts", 1
    if sig is False:
        if flat is None:
            return None
        if f"{a:+.{dec}f}" == f"{z:+.{dec}f}":
            return "flat", f"{flat} <span class='ci'>[±{max(abs(a), abs(z)):.1g}{first or unit}]</span>"
        return "flat", (f"{flat} <span class='ci'>[{_minus(f'{a:+.{dec}f}')}{first} to "
                        f"{_minus(f'{z:+.{dec}f}')}{unit}]</span>")
    if round(abs(v), dec) == 0:
        return None
    good = diff * KPI[kpi].better > 0
    text = (lower if v < 0 else higher).format(v=f"{abs(v):.{dec}f}" + ("%" if mode == "rel" else ""), thr=data.thr)
    ci = ("[no CI]" if sig is None else "" if z == a else f"[±{(z - a) / 2:.1g}{unit}]" if tight else
          "[{:.{d}f}{f} to {:.{d}f}{u}]".format(*sorted((abs(a), abs(z))), d=dec, f=first, u=unit))
    return ("good" if good else "bad"), f"{text} <span class='ci'>{ci}</span>" if ci else text


def _headline(data: _Data, s: _Series) -> str:
    """One sentence: what changes for callers with design ``s`` compared with the baseline, then what it takes."""
    said = [c for c in (_clause(data, s, k) for k in ("abandon_rate", "service_level", "mean_time_in_system",
                                                       "reexplanations_per_call", "fcr", "asa")) if c]
    groups = [", ".join(t for cat, t in said if cat == want) for want in ("good", "bad", "flat")]
    if groups[0] and groups[1]:
        groups[1] = "but " + groups[1]
    resources = []
    interval = data.info["interval"]
    ha, hb = s.head.agent_hours(interval), data.baseline.head.agent_hours(interval)
    if _finite(ha) and _finite(hb) and hb > 0:
        rel = ha / hb - 1
        resources.append("same headcount" if abs(rel) < 0.005 else
                         f"{100 * abs(rel):.0f}% {'more' if rel > 0 else 'fewer'} agent-hours")
    cost = _clause(data, s, "cost")
    if cost:
        resources.append(cost[1])
    groups.append(", ".join(resources))
    sentence = "; ".join(g for g in groups if g) or "no measurable difference"
    return f"{_series_name(s)} vs {esc(data.baseline.label)}: {sentence}."


def _single_headline(data: _Data, s: _Series) -> str:
    p = s.head
    bits = [f"{fmt_value('pct', p.mean('service_level'))} of calls answered within {data.thr} s",
            f"{fmt_value('pct', p.mean('abandon_rate'))} abandoned",
            f"{fmt_value('sec', p.mean('asa'))} average wait for an agent",
            f"{fmt_value('min', p.mean('mean_time_in_system'))} in the system"]
    if _finite(p.mean("passed_per_call")) and p.mean("passed_per_call") > 0:
        bits.append(f"{100 * p.mean('passed_per_call'):.0f} in 100 calls passed to another agent")
    bits.append(f"cost {fmt_value('money', p.mean('cost'))}")
    where = f" at {esc(data.staffing_text(p.staffing))}" if p.staffing is not None else ""
    return f"{_series_name(s)}{where}: " + ", ".join(bits) + "."


# --------------------------------------------------------------------------- charts
def _layout(fig: go.Figure, title: str, height: int, top: int = 120, **kw) -> go.Figure:
    """Common look: the finding as the title, the legend on one line under it (never over a plot)."""
    fig.update_layout(
        template="plotly_white", height=height, font=dict(family=FONT, size=13, color="#222"),
        title=dict(text=title, x=0.01, xanchor="left", yref="container", y=1 - 18 / height, yanchor="top",
                   font=dict(size=18)),
        margin=dict(l=70, r=30, t=top, b=60), hoverlabel=dict(font=dict(family=FONT)),
        legend=dict(orientation="h", yref="container", y=1 - 56 / height, yanchor="top", xanchor="left", x=0,
                    font=dict(size=13)), **kw)
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _pct_list(xs) -> list:
    return [None if not _finite(x) else float(x) for x in xs]


def _kpis_chart(data: _Data) -> go.Figure:
    thr = data.thr
    n = len(CARDS)
    cols = 3
    rows = math.ceil(n / cols)
    titles = []
    for k in CARDS:
        unit = {"pct": "%", "sec": "s", "min": "min", "rate": "per call", "money": "agent-hours × rate"}[k.kind]
        titles.append(f"{k.title} ({unit})" + (f" — within {thr} s" if k.name == "service_level" else ""))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.13, horizontal_spacing=0.08)
    for j, k in enumerate(CARDS):
        r, c = j // cols + 1, j % cols + 1
        for s in data.series:
            m = s.head.mean(k.name)
            lo, hi = s.head.ci(k.name)
            scale = 1 / 60 if k.kind == "min" else 1.0
            ci = _ci_text(k.kind, lo, hi)
            hover = f"{pesc(s.label)}<br>{pesc(k.title)}: {fmt_value(k.kind, m)}<br>95% CI {ci}"
            if s is not data.baseline and s.label in data.diffs and k.name in data.diffs[s.label].index:
                d = data.diffs[s.label].loc[k.name]
                hover += (f"<br>vs {pesc(data.baseline.label)}: {fmt_diff(k.kind, d['diff'])} "
                          f"[{_ci_text(k.kind, d['ci_low'], d['ci_high'], diff=True)}]")
            fig.add_trace(go.Bar(
                x=[pesc(s.label)], y=[m * scale if _finite(m) else None], name=pesc(s.label), marker_color=s.color,
                showlegend=False, text=[fmt_value(k.kind, m)], textposition="inside", insidetextanchor="start",
                error_y=dict(type="data", array=[(hi - m) * scale if _finite(hi) else 0],
                             arrayminus=[(m - lo) * scale if _finite(lo) else 0], color="#333", thickness=1.5),
                hovertemplate=hover + "<extra></extra>"), row=r, col=c)
        if k.kind == "pct":
            fig.update_yaxes(tickformat=".0%", row=r, col=c)
        fig.update_yaxes(rangemode="tozero", ticksuffix={"sec": " s", "min": " min"}.get(k.kind, ""), row=r, col=c)
        fig.update_xaxes(type="category", showticklabels=len(data.series) <= 6, tickangle=0,
                         tickvals=[pesc(s.label) for s in data.series],
                         ticktext=[pesc(_short(s.label, 16)) for s in data.series], row=r, col=c)
    if len(data.series) > 1:
        better = worse = same = 0
        for s in data.series:
            if s is data.baseline:
                continue
            for k in CARDS:
                if not k.better or k.name not in data.diffs[s.label].index:
                    continue
                if not _significant(data.diffs[s.label], k.name):
                    same += 1
                elif data.diffs[s.label].loc[k.name, "diff"] * k.better > 0:
                    better += 1
                else:
                    worse += 1
        others = [s for s in data.series if s is not data.baseline]
        who = _t(others[0].label) if len(others) == 1 else f"{len(others)} designs"
        title = (f"{who} vs {_t(data.baseline.label)}: better on {better}, worse on {worse}, no clear difference "
                 f"on {same} KPIs (95% CI{', paired' if data.paired else ''})")
    else:
        p = data.series[0].head
        title = (f"{_t(data.series[0].label)}: {fmt_value('pct', p.mean('service_level'))} answered within {thr} s, "
                 f"{fmt_value('pct', p.mean('abandon_rate'))} abandoned")
    fig.update_layout(bargap=0.25)
    return _layout(fig, title, 250 * rows + 110, top=90)


def _frontier_chart(data: _Data) -> go.Figure | None:
    if data.staffing_factor is None or all(len(s.points) < 2 for s in data.series):
        return None
    scale = data.staffing_factor.endswith("staffing_scale")
    xtitle = "staffing (× planned headcount)" if scale else f"staffing ({pesc(data.staffing_factor)})"
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=(f"Service level (% answered within {data.thr} s)", "Abandonment (% of calls)"))
    for c, kpi in enumerate(("service_level", "abandon_rate"), start=1):
        for s in data.series:
            xs = [p.staffing for p in s.points]
            ms = [p.mean(kpi) for p in s.points]
            cis = [p.ci(kpi) for p in s.points]
            hover = [f"{pesc(s.label)} at {pesc(data.staffing_text(p.staffing))}<br>{pesc(KPI[kpi].title)}: "
                     f"{fmt_value('pct', m)} (95% CI {_ci_text('pct', lo, hi)})<br>agent-hours: "
                     f"{p.agent_hours(data.info['interval']):,.0f}<br>cost: {fmt_value('money', p.mean('cost'))}"
                     for p, m, (lo, hi) in zip(s.points, ms, cis)]
            band = len(xs) > 12    # many levels: the CI as a shaded band, not a forest of whiskers
            if band:
                for edge, fill in ((1, None), (0, "tonexty")):
                    fig.add_trace(go.Scatter(
                        x=xs, y=_pct_list([ci[edge] for ci in cis]), mode="lines", line=dict(width=0, color=s.color),
                        fill=fill, fillcolor=_rgba(s.color, 0.18), hoverinfo="skip", showlegend=False,
                        legendgroup=pesc(s.label), name=pesc(s.label) + " 95% CI"), row=1, col=c)
            fig.add_trace(go.Scatter(
                x=xs, y=_pct_list(ms), mode="lines" if band else "lines+markers", name=pesc(s.label),
                legendgroup=pesc(s.label), showlegend=(c == 1), line=dict(color=s.color, width=2.5),
                marker=dict(size=7),
                error_y=None if band else dict(
                    type="data", array=[hi - m if _finite(hi) else 0 for m, (lo, hi) in zip(ms, cis)],
                    arrayminus=[m - lo if _finite(lo) else 0 for m, (lo, hi) in zip(ms, cis)],
                    color=s.color, thickness=1.2),
                text=hover, hovertemplate="%{text}<extra></extra>"), row=1, col=c)
        fig.update_yaxes(tickformat=".0%", row=1, col=c)
        fig.update_xaxes(title_text=xtitle, row=1, col=c)
    fig.add_hline(y=TARGET_SL, line=dict(color="#888", dash="dot", width=1), row=1, col=1,
                  annotation_text=f"{TARGET_SL:.0%} target", annotation_position="bottom right")
    # the finding: staffing each design needs to reach the target, else who is ahead at how many levels
    need = {}
    for s in data.series:
        ok = [p.staffing for p in s.points if _finite(p.mean("service_level")) and p.mean("service_level") >= TARGET_SL]
        need[s.label] = min(ok) if ok else None
    fmt_s = (lambda v: f"×{v:.2f}") if scale else (lambda v: f"{v:g}")
    if len(data.series) == 1:
        s = data.series[0]
        lo_p, hi_p = s.points[0], s.points[-1]
        title = (f"Service level goes from {fmt_value('pct', lo_p.mean('service_level'))} at {fmt_s(lo_p.staffing)} "
                 f"to {fmt_value('pct', hi_p.mean('service_level'))} at {fmt_s(hi_p.staffing)} staffing")
        if need[s.label] is not None:
            title += f"; {TARGET_SL:.0%} within {data.thr} s needs {fmt_s(need[s.label])}"
    elif all(v is not None for v in need.values()) and len(data.series) <= 4:
        title = (f"To answer {TARGET_SL:.0%} within {data.thr} s: "
                 + ", ".join(f"{_t(k)} needs {fmt_s(v)}" for k, v in need.items()) + " staffing")
    else:
        b = {p.staffing: p.mean("service_level") for p in data.baseline.points}
        bits = []
        for s in data.series:
            if s is data.baseline:
                continue
            common = [(p.mean("service_level"), b[p.staffing]) for p in s.points if p.staffing in b]
            ahead = sum(1 for x, y in common if _finite(x) and _finite(y) and x > y)
            bits.append(f"{_t(s.label)} is ahead of {_t(data.baseline.label)} at {ahead} of {len(common)} staffing levels")
        title = "; ".join(bits[:3]) + (" …" if len(bits) > 3 else "")
    return _layout(fig, title, 480)


def _clock(hours: float, multi_day: bool) -> str:
    day, h = divmod(hours, 24)
    hh, mm = int(h), int(round((h - int(h)) * 60))
    if mm == 60:
        hh, mm = hh + 1, 0
    return (f"d{int(day) + 1} " if multi_day else "") + f"{hh:02d}:{mm:02d}"


def _intraday_chart(data: _Data) -> go.Figure | None:
    have = [s for s in data.series if s.head.intervals is not None and "service_level" in s.head.intervals]
    if not have:
        return None
    interval = data.info["interval"]
    n = max(int(s.head.intervals["interval"].max()) + 1 for s in have)
    horizon = data.info["horizon"] or n * interval
    multi = horizon > 86400
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.09, row_heights=[0.5, 0.5],
                        specs=[[{}], [{"secondary_y": True}]],
                        subplot_titles=(f"Service level by half-hour (% answered within {data.thr} s)"
                                        if interval == 1800 else f"Service level by interval (% within {data.thr} s)",
                                        "Calls offered (solid) and agents on duty (dotted)"))
    for s in have:
        iv = s.head.intervals
        x = ((iv["interval"] + 0.5) * interval / 3600).tolist()
        when = [f"{_clock(i * interval / 3600, multi)}–{_clock((i + 1) * interval / 3600, multi)}" for i in iv["interval"]]
        sl = iv["service_level"].tolist()
        off = iv["offered"].tolist() if "offered" in iv else [None] * len(x)
        ag = iv["agents"].tolist() if "agents" in iv else None
        ab = iv["abandon_rate"].tolist() if "abandon_rate" in iv else [float("nan")] * len(x)
        hover = [f"{pesc(s.label)}, {w}<br>service level {fmt_value('pct', v)}<br>abandoned {fmt_value('pct', a)}<br>"
                 f"calls offered {o:,.1f}" + (f"<br>agents {g:,.1f}" if ag is not None else "")
                 for w, v, a, o, g in zip(when, sl, ab, off, ag if ag is not None else [0] * len(x))]
        fig.add_trace(go.Scatter(x=x, y=_pct_list(sl), mode="lines", name=pesc(s.label), legendgroup=pesc(s.label),
                                 line=dict(color=s.color, width=2.5), text=hover,
                                 hovertemplate="%{text}<extra></extra>"), row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=off, mode="lines", name=pesc(s.label) + " calls", legendgroup=pesc(s.label),
                                 showlegend=False, line=dict(color=s.color, width=2), text=hover,
                                 hovertemplate="%{text}<extra></extra>"), row=2, col=1, secondary_y=False)
        if ag is not None:
            fig.add_trace(go.Scatter(x=x, y=ag, mode="lines", name=pesc(s.label) + " agents", legendgroup=pesc(s.label),
                                     showlegend=False, line=dict(color=s.color, width=2, dash="dot", shape="hvh"),
                                     text=hover, hovertemplate="%{text}<extra></extra>"),
                          row=2, col=1, secondary_y=True)
    step = next(h for h in (1, 2, 3, 4, 6, 12, 24, 48, 96, 168, 10 ** 6) if horizon / 3600 / h <= 13)
    ticks = list(np.arange(0, horizon / 3600 + 1e-9, step))
    for r in (1, 2):
        fig.update_xaxes(tickvals=ticks, ticktext=[_clock(t, multi) for t in ticks], range=[0, horizon / 3600],
                         row=r, col=1)
    fig.update_xaxes(title_text="time of day" if not multi else "day and time", row=2, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.add_hline(y=TARGET_SL, line=dict(color="#888", dash="dot", width=1), row=1, col=1,
                  annotation_text=f"{TARGET_SL:.0%} target", annotation_position="bottom right")
    fig.update_yaxes(title_text="calls per interval", rangemode="tozero", row=2, col=1, secondary_y=False)
    fig.update_yaxes(title_text="agents", rangemode="tozero", showgrid=False, tickmode="auto", nticks=6,
                     row=2, col=1, secondary_y=True)
    surge_hours = []
    for sg in data.info["surges"]:
        x0, x1 = float(sg.get("start", 0)) / 3600, float(sg.get("end", 0)) / 3600
        surge_hours.append((x0, x1))
        who = ", ".join(sg.get("call_types") or []) or "all calls"
        fig.add_vrect(x0=x0, x1=x1, fillcolor="#D55E00", opacity=0.12, line_width=0, row="all", col=1)
        fig.add_annotation(x=(x0 + x1) / 2, y=1.0, xref="x", yref="y domain", yanchor="bottom", showarrow=False,
                           text=f"surge ×{float(sg.get('multiplier', 1)):g} ({pesc(who)})",
                           font=dict(color="#D55E00", size=12))
    if data.info["warmup"] > 0:
        fig.add_vrect(x0=0, x1=data.info["warmup"] / 3600, fillcolor="#999", opacity=0.12, line_width=0, row="all", col=1)
        fig.add_annotation(x=data.info["warmup"] / 7200, y=1.0, xref="x", yref="y domain", yanchor="bottom",
                           showarrow=False, text="warm-up (not counted)", font=dict(color="#666", size=12))
    # the finding: the worst busy interval of the baseline, and every design then
    b = (data.baseline if data.baseline in have else have[0]).head.intervals
    busy = b[(b["offered"] >= 0.02 * b["offered"].max()) & b["service_level"].notna()] if "offered" in b else b
    if busy.empty:
        title = "Service level through the day"
    else:
        i = int(busy.loc[busy["service_level"].idxmin(), "interval"])
        t0, t1 = i * interval / 3600, (i + 1) * interval / 3600
        vals = []
        for s in have:
            row = s.head.intervals[s.head.intervals["interval"] == i]
            if not row.empty:
                vals.append(f"{_t(s.label)} {fmt_value('pct', float(row['service_level'].iloc[0]))}")
        during = " during the surge" if any(a <= t0 < z for a, z in surge_hours) else ""
        title = (f"Service level is lowest at {_clock(t0, multi)}–{_clock(t1, multi)}{during}: " + ", ".join(vals[:4])
                 + (" …" if len(vals) > 4 else ""))
    return _layout(fig, title, 620)


def _cdf(p: _Point) -> tuple[list[float], list[float]] | None:
    if p.journeys is None:
        return None
    j = p.journeys[p.journeys.index.str.startswith("wait_cdf:")]
    if j.empty:
        return None
    pts = sorted((float(k.split(":", 1)[1]), float(v)) for k, v in j.items())
    return [a for a, _ in pts], [b for _, b in pts]


def _quantile(ts: list[float], cs: list[float], q: float) -> float | None:
    """The waiting time within which a share q of calls waited (linear between grid points); None if beyond."""
    for i, (t, c) in enumerate(zip(ts, cs)):
        if c >= q - 1e-12:
            if i == 0:
                return t
            t0, c0 = ts[i - 1], cs[i - 1]
            return t0 + (t - t0) * (q - c0) / (c - c0) if c > c0 else t
    return None


def _secs(v: float | None, last: float) -> str:
    if v is None:
        return f"more than {last / 60:g} min"
    return f"{v:.0f} s" if v < 120 else f"{v / 60:.1f} min"


def _wait_chart(data: _Data) -> go.Figure | None:
    curves = [(s, _cdf(s.head)) for s in data.series]
    curves = [(s, c) for s, c in curves if c is not None]
    if not curves:
        return None
    fig = go.Figure()
    xmax = 0.0
    for s, (ts, cs) in curves:
        hover = [f"{pesc(s.label)}: {100 * c:.1f}% of calls waited at most {t:g} s" for t, c in zip(ts, cs)]
        fig.add_trace(go.Scatter(x=ts, y=cs, mode="lines+markers", name=pesc(s.label), line=dict(color=s.color, width=2.5),
                                 marker=dict(size=6), text=hover, hovertemplate="%{text}<extra></extra>"))
        reach = next((t for t, c in zip(ts, cs) if c >= 0.995), ts[-1])
        xmax = max(xmax, reach)
    thr = data.info["sl_threshold"]
    fig.add_vline(x=thr, line=dict(color="#888", dash="dot", width=1), annotation_text=f"{thr:g} s",
                  annotation_position="top right")
    fig.update_xaxes(title_text="total time waiting in queues, seconds (holds during handoffs included)",
                     range=[0, max(xmax, thr * 2)])
    low = min(min(cs) for _, (ts, cs) in curves)
    fig.add_hline(y=0.9, line=dict(color="#888", dash="dot", width=1), annotation_text="9 in 10 calls",
                  annotation_position="bottom right")
    fig.update_yaxes(title_text="share of calls that waited at most this long", tickformat=".0%",
                     range=[max(0.0, math.floor(low * 10) / 10 - 0.05), 1.01])
    q = [(s, _quantile(ts, cs, 0.9), ts[-1]) for s, (ts, cs) in curves]
    if len(q) == 1:
        s, v, last = q[0]
        title = f"9 in 10 calls to {_t(s.label)} wait at most {_secs(v, last)}"
    else:
        title = "9 in 10 calls wait at most " + ", ".join(f"{_secs(v, last)} with {_t(s.label)}" for s, v, last in q[:4])
        title += " …" if len(q) > 4 else ""
    return _layout(fig, title, 460, hovermode="closest")


def _flows(p: _Point) -> list[tuple[str, str, float]]:
    if p.journeys is None:
        return []
    j = p.journeys[p.journeys.index.str.startswith("flow:")]
    out = []
    for k, v in j.items():
        src, _, tgt = k[5:].partition("|")
        if _finite(v) and v > 0:
            out.append((src, tgt, float(v)))
    return out


def _node_kinds(flows: list[tuple[str, str, float]]) -> tuple[set, set]:
    """Queue nodes and agent-group nodes of a journey (nodes carry ' #leg')."""
    legged = lambda n: re.search(r" #\d+$", n) is not None  # noqa: E731
    queues = {t for s, t, _ in flows if s == "IVR" and legged(t)}
    groups: set = set()
    while True:
        new_g = {t for s, t, _ in flows if s in queues and legged(t)} - groups
        groups |= new_g
        new_q = {t for s, t, _ in flows if s in groups and legged(t)} - queues
        queues |= new_q
        if not new_g and not new_q:
            return queues, groups


def _passed_per_100(flows) -> float:
    queues, groups = _node_kinds(flows)
    total = sum(v for s, _, v in flows if s == "IVR")
    passed = sum(v for s, t, v in flows if s in groups and t in queues)
    return 100 * passed / total if total else float("nan")


def _journey_chart(data: _Data) -> tuple[go.Figure | None, str]:
    have = [(s, _flows(s.head)) for s in data.series]
    have = [(s, f) for s, f in have if f]
    if not have:
        return None, ""
    note = ""
    if len(have) > MAX_SANKEYS:
        note = f"Journeys of the first {MAX_SANKEYS} of {len(have)} designs are drawn."
        have = have[:MAX_SANKEYS]
    fig = go.Figure()
    n = len(have)
    gap = 0.1 if n > 1 else 0.0
    h = (1 - gap * (n - 1)) / n
    for i, (s, flows) in enumerate(have):
        queues, groups = _node_kinds(flows)
        nodes = sorted({a for a, _, _ in flows} | {b for _, b, _ in flows},
                       key=lambda x: (0 if x == "IVR" else 3 if x in OUTCOME_COLORS else 1,
                                      int(x.rsplit("#", 1)[1]) if re.search(r" #\d+$", x) else 0,
                                      0 if x in queues else 1, x))
        idx = {nm: k for k, nm in enumerate(nodes)}

        def show(nm: str) -> str:
            m = re.match(r"^(.*) #(\d+)$", nm)
            if not m:
                return pesc(nm)
            base, leg = m.group(1), int(m.group(2))
            kind = "queue " if nm in queues else ""
            return pesc(f"{kind}{base}" + ("" if leg == 1 else f" · {leg}{'nd' if leg == 2 else 'rd' if leg == 3 else 'th'}"))

        colors = [OUTCOME_COLORS.get(nm, _rgba(s.color, 0.55) if nm in queues else s.color) for nm in nodes]
        link_colors, labels = [], []
        for a, b, v in flows:
            if b == "abandoned":
                link_colors.append("rgba(214,39,40,0.35)")
            elif a in groups and b in queues:
                link_colors.append("rgba(213,94,0,0.55)")     # passed on: the maze
            elif b in ("resolved",):
                link_colors.append("rgba(44,160,44,0.25)")
            else:
                link_colors.append("rgba(120,120,120,0.22)")
            labels.append(f"{show(a)} → {show(b)}: {v:,.1f} calls per replication")
        y0 = 1 - (i + 1) * h - i * gap
        fig.add_trace(go.Sankey(
            domain=dict(x=[0, 1], y=[max(y0, 0), min(y0 + h, 1)]), arrangement="snap", valueformat=",.1f",
            node=dict(label=[show(nm) for nm in nodes], color=colors, pad=14, thickness=16,
                      line=dict(color="#fff", width=0.5),
                      hovertemplate="%{label}: %{value:,.1f} calls per replication<extra></extra>"),
            link=dict(source=[idx[a] for a, _, _ in flows], target=[idx[b] for _, b, _ in flows],
                      value=[v for _, _, v in flows], color=link_colors, customdata=labels,
                      hovertemplate="%{customdata}<extra></extra>"),
            name=pesc(s.label)))
        fig.add_annotation(x=0, y=min(y0 + h, 1), xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                           showarrow=False, text=f"<b>{_t(s.label)}</b>" + (f" ({pesc(s.mode)})" if s.mode else "")
                           + f" — {_passed_per_100(flows):.0f} in 100 calls passed to another queue",
                           font=dict(color=s.color, size=14))
    per = [(s, _passed_per_100(f)) for s, f in have]
    title = ("Passed on to another queue (transfer or handoff): "
             + ", ".join(f"{_t(s.label)} {v:.0f} in 100 calls" for s, v in per))
    fig = _layout(fig, title, 120 + 420 * n)
    fig.update_layout(margin=dict(l=20, r=20, t=130, b=30))
    return fig, note


def _cost_chart(data: _Data) -> go.Figure:
    fig = go.Figure()
    for s in data.series:
        xs, ys, exh, exl, eyh, eyl, hover = [], [], [], [], [], [], []
        for p in s.points:
            c, sl = p.mean("cost"), p.mean("service_level")
            (cl, ch), (sll, slh) = p.ci("cost"), p.ci("service_level")
            xs.append(c if _finite(c) else None)
            ys.append(sl if _finite(sl) else None)
            exh.append(ch - c if _finite(ch) else 0)
            exl.append(c - cl if _finite(cl) else 0)
            eyh.append(slh - sl if _finite(slh) else 0)
            eyl.append(sl - sll if _finite(sll) else 0)
            where = f" at {pesc(data.staffing_text(p.staffing))}" if p.staffing is not None else ""
            hover.append(f"{pesc(s.label)}{where}<br>service level {fmt_value('pct', sl)} "
                         f"(95% CI {_ci_text('pct', sll, slh)})<br>cost {fmt_value('money', c)} "
                         f"(95% CI {_ci_text('money', cl, ch)})<br>abandoned {fmt_value('pct', p.mean('abandon_rate'))}")
        labels = ([f"×{p.staffing:.2f}" if data.staffing_factor.endswith("staffing_scale") else f"{p.staffing:g}"
                   for p in s.points] if data.staffing_factor and len(s.points) <= 12 else None)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode=("lines+markers" if len(xs) > 1 else "markers") + ("+text" if labels else ""),
            name=pesc(s.label), text=labels, textposition="top left", textfont=dict(size=11, color=s.color),
            line=dict(color=s.color, width=1.5), marker=dict(size=11, color=s.color, line=dict(color="#fff", width=1)),
            # whiskers while they stay readable; with many points the CIs are in the hover
            error_x=dict(type="data", array=exh, arrayminus=exl, color=s.color, thickness=1, visible=len(xs) <= 12),
            error_y=dict(type="data", array=eyh, arrayminus=eyl, color=s.color, thickness=1, visible=len(xs) <= 12),
            customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    fig.add_hline(y=TARGET_SL, line=dict(color="#888", dash="dot", width=1), annotation_text=f"{TARGET_SL:.0%} target",
                  annotation_position="bottom right")
    fig.update_xaxes(title_text="cost over the run (agent-hours × hourly rate)", tickformat=",.0f")
    fig.update_yaxes(title_text=f"service level (% answered within {data.thr} s)", tickformat=".0%")
    allp = [(s, p) for s in data.series for p in s.points if _finite(p.mean("cost")) and _finite(p.mean("service_level"))]
    ok = [(s, p) for s, p in allp if p.mean("service_level") >= TARGET_SL]
    label = lambda s, p: _t(s.label) + (f" at {pesc(data.staffing_text(p.staffing))}" if p.staffing is not None else "")  # noqa: E731
    if len(allp) == 1:
        s, p = allp[0]
        title = (f"{label(s, p)}: {fmt_value('pct', p.mean('service_level'))} within {data.thr} s for a cost of "
                 f"{fmt_value('money', p.mean('cost'))}")
    elif ok:
        s, p = min(ok, key=lambda sp: sp[1].mean("cost"))
        title = (f"Cheapest way to answer {TARGET_SL:.0%} within {data.thr} s: {label(s, p)}, cost "
                 f"{fmt_value('money', p.mean('cost'))} ({fmt_value('pct', p.mean('service_level'))})")
    elif allp:
        s, p = max(allp, key=lambda sp: sp[1].mean("service_level"))
        title = (f"No design reaches {TARGET_SL:.0%} within {data.thr} s; the best is {label(s, p)} with "
                 f"{fmt_value('pct', p.mean('service_level'))} for {fmt_value('money', p.mean('cost'))}")
    else:
        title = "Cost against service level"
    return _layout(fig, title, 480, hovermode="closest")


@dataclass
class _Chart:
    key: str
    heading: str
    fig: go.Figure | None
    note: str = ""


def _charts(data: _Data) -> list[_Chart]:
    single = len(data.series) == 1
    journey, jnote = _journey_chart(data)
    return [
        _Chart("kpis", "Key numbers" + ("" if single else " by design"), _kpis_chart(data),
               "Bars: mean over replications; whiskers: 95% confidence interval."),
        _Chart("frontier", "Service level and abandonment against staffing", _frontier_chart(data),
               "" if data.staffing_factor else
               "No staffing factor in these results, so there is no frontier: run a sweep over "
               "design.staffing_scale (e.g. ccsim sweep experiments/sweeps/silo_vs_team.toml) to see how service "
               "level and abandonment move with headcount."),
        _Chart("intraday", "Through the day", _intraday_chart(data),
               "" if any(s.head.intervals is not None for s in data.series) else
               "These results have no interval table."),
        _Chart("waits", "How long callers wait", _wait_chart(data),
               "" if any(_cdf(s.head) for s in data.series) else
               "These results have no waiting-time distribution (saved by an older ccsim): re-run to get it."),
        _Chart("journey", "The customer journey", journey,
               jnote or ("" if journey is not None else
                         "These results have no journey flows (saved by an older ccsim): re-run to get them.")),
        _Chart("cost", "Cost against service", _cost_chart(data),
               "One point per design" + (" and staffing level" if data.staffing_factor else "")
               + ("; 95% confidence intervals in the hover." if any(len(s.points) > 12 for s in data.series)
                  else "; whiskers: 95% confidence intervals.")),
    ]


# --------------------------------------------------------------------------- the page
CSS = """
:root { --ink:#1d2327; --muted:#5f6b73; --line:#e3e7ea; --good:#1a7f37; --bad:#c62828; }
* { box-sizing: border-box; }
body { margin:0; font-family:%(font)s; color:var(--ink); background:#f6f7f8; line-height:1.45; }
main { max-width:1240px; margin:0 auto; padding:28px 24px 40px; }
h1 { font-size:28px; margin:0 0 4px; }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:0 0 6px; }
.sub { color:var(--muted); margin:0 0 18px; }
.panel { background:#fff; border:1px solid var(--line); border-radius:10px; padding:18px 20px; margin:0 0 18px; }
.headline ul { margin:0; padding-left:20px; }
.headline li { font-size:19px; margin:6px 0; }
.mode { color:var(--muted); font-weight:normal; }
.ci { color:var(--muted); font-size:.78em; white-space:nowrap; }
.fine { color:var(--muted); font-size:13px; margin:8px 0 0; }
.design-row { margin:0 0 14px; }
.design-row h3 { margin:0 0 8px; font-size:17px; }
.chip { display:inline-block; width:12px; height:12px; border-radius:3px; margin-right:6px; vertical-align:-1px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(112px, 1fr)); gap:8px; }
.card { overflow-wrap:anywhere; border:1px solid var(--line); border-top:4px solid var(--c); border-radius:8px; padding:8px 9px; background:#fff; }
.card .k { font-size:12.5px; font-weight:600; line-height:1.25; min-height:2.5em; }
.card .x { font-size:11px; color:var(--muted); min-height:2.6em; line-height:1.3; }
.card .v { font-size:22px; font-weight:650; margin:2px 0 0; white-space:nowrap; }
.card .c { font-size:11px; color:var(--muted); }
.card .d { font-size:12px; margin-top:4px; }
.d.good { color:var(--good); } .d.bad { color:var(--bad); } .d.flat { color:var(--muted); }
.note { color:var(--muted); font-style:italic; margin:4px 0 0; }
table.notes { border-collapse:collapse; width:100%%; font-size:13px; }
table.notes th { text-align:left; vertical-align:top; padding:4px 14px 4px 0; white-space:nowrap; color:var(--muted); font-weight:600; }
table.notes td { padding:4px 0; word-break:break-word; }
""" % {"font": FONT}


def _cards_html(data: _Data) -> str:
    out = []
    for s in data.series:
        p = s.head
        where = f" <span class='mode'>at {esc(data.staffing_text(p.staffing))}</span>" if p.staffing is not None else ""
        cards = []
        for k in CARDS:
            m = p.mean(k.name)
            lo, hi = p.ci(k.name)
            delta = ""
            if s is not data.baseline and s.label in data.diffs and k.name in data.diffs[s.label].index:
                d = data.diffs[s.label].loc[k.name]
                sig = _significant(data.diffs[s.label], k.name)
                cls = "flat" if not sig or not k.better else ("good" if d["diff"] * k.better > 0 else "bad")
                word = {"good": " better", "bad": " worse", "flat": ""}[cls] if k.better else ""
                delta = (f"<div class='d {cls}'>{fmt_diff(k.kind, d['diff'])} vs {esc(data.baseline.label)}{word}"
                         f"<br><span class='ci'>[{_ci_text(k.kind, d['ci_low'], d['ci_high'], diff=True)}]</span></div>")
            extra = ""
            if k.name == "passed_per_call":
                extra = (f"<div class='c'>{fmt_value('rate', p.mean('transfers_per_call'))} cold · "
                         f"{fmt_value('rate', p.mean('handoffs_per_call'))} warm</div>")
            cards.append(f"<div class='card' style='--c:{s.color}'><div class='k'>{esc(k.title)}</div>"
                         f"<div class='x'>{esc(k.explain.format(thr=data.thr))}</div>"
                         f"<div class='v'>{fmt_value(k.kind, m)}</div>"
                         f"<div class='c'>95% CI {_ci_text(k.kind, lo, hi).replace(' to ', '–')}</div>{extra}{delta}</div>")
        out.append(f"<div class='design-row'><h3><span class='chip' style='background:{s.color}'></span>"
                   f"{_series_name(s)}{where}</h3><div class='cards'>{''.join(cards)}</div></div>")
    return "".join(out)


def _title(data: _Data) -> str:
    if len(data.series) == 1:
        name = data.series[0].label
        return f"{name}: what callers live through"
    others = [s.label for s in data.series if s is not data.baseline]
    shown = others[:3] + ([f"{len(others) - 3} more"] if len(others) > 3 else [])
    return f"{data.baseline.label} vs {', '.join(shown)}: what changes for callers"


def _page(data: _Data, charts: list[_Chart]) -> str:
    from . import __version__

    title = _title(data)
    if len(data.series) > 1:
        others = [s for s in data.series if s is not data.baseline]
        items = [f"<li>{_headline(data, s)}</li>" for s in others[:MAX_HEADLINES]]
        if len(others) > MAX_HEADLINES:
            items.append(f"<li>… and {len(others) - MAX_HEADLINES} more designs (see the charts).</li>")
        reps = min(len(s.head.kpis) for s in data.series)
        how = ("paired differences: every design faced the very same callers (common random numbers)" if data.paired
               else "differences of independent runs (different seeds or demand, so not paired)")
        where = (f" All at {esc(data.staffing_text(data.baseline.head.staffing))}."
                 if data.baseline.head.staffing is not None else "")
        fine = (f"Brackets: 95% confidence intervals of the difference over {reps} replications, {how}."
                f" Service level = answered within {data.thr} s.{where}")
    else:
        items = [f"<li>{_single_headline(data, data.series[0])}</li>"]
        fine = (f"Means over {len(data.series[0].head.kpis)} replications; the cards below give 95% confidence "
                f"intervals.")
    desc = data.info.get("description") or ""
    designs = ", ".join(_series_name(s, bold=False) for s in data.series[:12]) + (" …" if len(data.series) > 12 else "")
    sub = (f"Designs compared: {designs}." if len(data.series) > 1 else "") + (f" {esc(desc)}" if desc and len(data.series) == 1 else "")
    body = [f"<h1>{esc(title)}</h1><p class='sub'>{sub}</p>",
            f"<section class='panel headline'><h2>Headline</h2><ul>{''.join(items)}</ul><p class='fine'>{fine}</p></section>",
            f"<section class='panel'><h2>Key numbers{'' if len(data.series) == 1 else ' per design'}</h2>"
            f"{_cards_html(data)}</section>"]
    scripts = []
    for n, ch in enumerate(charts, start=1):
        inner = ""
        if ch.fig is not None:
            # the chart's place is kept while plotly.js loads; its data is plotly's HTML-safe JSON (no '<', '>', '/')
            height = int(ch.fig.layout.height or 500)
            inner = (f"<div id='chart-{ch.key}' class='plotly-graph-div' style='height:{height}px; width:100%;'>"
                     "</div>")
            config = {**PLOT_CONFIG, "toImageButtonOptions": {"filename": f"ccsim-{ch.key}", "width": 1280,
                                                              "height": height}}
            scripts.append(f"<script type='text/javascript'>(function () {{ var f = {pio.to_json(ch.fig, validate=False)};"
                           f" Plotly.newPlot('chart-{ch.key}', f.data, f.layout, {json.dumps(config)}); }})();</script>")
        note = f"<p class='note'>{esc(ch.note)}</p>" if ch.note else ""
        body.append(f"<section class='panel chart' id='section-{ch.key}'><h2>{n}. {esc(ch.heading)}</h2>{inner}{note}</section>")
    notes = data.notes + [("Report made", f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} with ccsim "
                                          f"{__version__}")]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in notes)
    body.append(f"<section class='panel'><h2>Where the numbers come from</h2><table class='notes'>{rows}</table>"
                f"<p class='fine'>Confidence intervals: Student t over replications (95%). KPI definitions: "
                f"docs/model.md of ccsim.</p></section>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{''.join(body)}</main>"
            # plotly.js (embedded once, so the page needs no network) after the words: they show at once
            "<script type='text/javascript'>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script>{''.join(scripts)}</body></html>\n")


# --------------------------------------------------------------------------- static export
def _browser_path() -> str | None:
    for cand in (os.environ.get("BROWSER_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and Path(cand).is_file():
            return cand
    return None


def export_png(charts: list[_Chart], out_dir: str | Path, width: int = 1280) -> list[Path]:
    """Write every chart as ``NN-key.png`` (kaleido driving the system's Chromium); a clear error if it can't."""
    try:
        import kaleido
    except ImportError:
        raise ScenarioError("--png", "static export needs the kaleido package",
                            "pip install 'kaleido>=1' (it uses the system's Chromium)") from None
    browser = _browser_path()
    if browser is None:
        raise ScenarioError("--png", "static export needs Chromium and none was found",
                            "apt-get install chromium, or set BROWSER_PATH to a Chrome/Chromium binary")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specs, paths = [], []
    for n, ch in enumerate(charts, start=1):
        if ch.fig is None:
            continue
        path = out / f"{n:02d}-{ch.key}.png"
        paths.append(path)
        specs.append({"fig": ch.fig.to_dict(), "path": path,
                      "opts": {"format": "png", "width": width, "height": int(ch.fig.layout.height or 500),
                               "scale": 1}})
    try:
        kaleido.write_fig_from_object_sync(specs, kopts={"mathjax": False, "path": browser})
    except Exception as e:  # kaleido / choreographer raise many kinds; one line for people
        raise ScenarioError("--png", f"static export with kaleido and {browser} failed: "
                            f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                            "check that Chromium starts headless (chromium --headless --no-sandbox)") from None
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise ScenarioError("--png", f"kaleido wrote no image for {', '.join(p.name for p in missing)}")
    return paths


# --------------------------------------------------------------------------- the entry point
def report(results: Any, out: str | Path | None = None, *, png: str | Path | None = None) -> str:
    """The leadership report of a run or a sweep, as one self-contained HTML page (returned as a string).

    ``results``: a :class:`~ccsim.results.Results`, a :class:`~ccsim.sweep.SweepResults`, ``{label: Results}``
    (designs to compare; paired when run with the same seed and demand), or the path of a results folder
    (``ccsim run`` / ``Results.save``, ``ccsim sweep``, or a folder holding several saved runs).
    ``out``: also write the page there. ``png``: also write every chart as a PNG into that folder (needs
    kaleido and Chromium).
    """
    data = _normalise(results)
    charts = _charts(data)
    page = _page(data, charts)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    if png is not None:
        export_png(charts, png)
    return page
