"""Results of a run (:class:`Results`) and of a sweep (:class:`SweepResults`): the tables, their summaries
and paired comparisons, and saving to / loading from a results folder (through :mod:`ccsim.store`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Scenario, scenario_from_dict
from .engines.compiled import Compiled
from .engines.output import LEG_KINDS, OUTCOMES, RunOutput

#: the calls table's ``callback`` column (virtual hold), by code (ccsim.engines.output.CB_*)
CALLBACK_STATES = ("not offered", "declined", "accepted")
from .errors import ResultsError
from .kpis import KPIS, paired_difference, summarize
from .metrics import call_type_kpis, group_kpis, interval_kpis, journey_flows, queue_kpis, replication_kpis, wait_cdf
from .store import (MANIFEST, PARTS, RESULTS_TABLE, kind_of, now_iso, read_manifest, read_table, scan_parts,
                    write_json, write_table)
from .version import __version__

#: the tables of a saved run, in the order they are written (calls and legs only when kept)
RUN_TABLES = ("kpis", "intervals", "queues", "groups", "call_types", "journeys", "summary", "calls", "legs")


def _cat(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
    """Index codes (-1 = none) as a categorical of names."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=list(names))


def calls_frame(out: RunOutput, comp: Compiled, rep: int) -> pd.DataFrame:
    """One row per contact, with names instead of indices and the derived times callers live through."""
    c = out.contacts
    df = pd.DataFrame({
        "rep": np.full(c["caller"].shape, rep, dtype=np.int32),
        "caller": c["caller"], "attempt": c["attempt"],
        "call_type": _cat(c["call_type"], comp.call_types),
        "arrival": c["arrival"],
        "ivr_time": c["queue_arrival"] - c["arrival"],
        "first_queue": _cat(c["first_queue"], comp.queues),
        "first_wait": c["answered_at"] - c["queue_arrival"],
        "first_group": _cat(c["first_group"], comp.groups),
        "wait": c["wait"], "hold": c["hold"], "talk_time": c["talk_time"], "agent_time": c["agent_time"],
        "transfers": c["transfers"], "handoffs": c["handoffs"], "reexplanations": c["reexplanations"],
        "legs": c["n_legs"],
        "outcome": _cat(c["outcome"], OUTCOMES),
        "last_queue": _cat(c["last_queue"], comp.queues),
        "last_group": _cat(c["last_group"], comp.groups),
        "resolved": c["resolved"], "survey_time": c["survey"],
        "end": c["end"], "time_in_system": c["end"] - c["arrival"],
        "callback": _cat(c["callback"].astype(np.int64), CALLBACK_STATES),
        "callback_wait": c["callback_wait"], "dial_time": c["dial_time"],
    })
    return df


def legs_frame(out: RunOutput, comp: Compiled, rep: int) -> pd.DataFrame:
    """One row per queue leg: where each contact waited, for how long, and who answered."""
    g = out.legs
    return pd.DataFrame({
        "rep": np.full(g["contact"].shape, rep, dtype=np.int32),
        "contact": g["contact"], "caller": out.contacts["caller"][g["contact"]], "leg": g["leg"],
        "queue": _cat(g["queue"], comp.queues), "kind": _cat(g["kind"].astype(np.int64), LEG_KINDS),
        "enter": g["enter"], "wait": g["wait"], "group": _cat(g["group"], comp.groups), "agent": g["agent"],
        "agent_end": g["agent_end"], "outcome": _cat(g["outcome"].astype(np.int64), OUTCOMES),
        "talk_time": g["talk"],
    })


@dataclass
class Results:
    """Everything a run produced; ``summary()`` is what planners read first."""

    scenario: Scenario
    engine: str
    seed: int
    reps: int
    kpis: pd.DataFrame                       # one row per replication
    intervals: pd.DataFrame                  # KPIs by interval, one block per replication
    queues: pd.DataFrame                     # the ACD view by queue, per replication
    groups: pd.DataFrame                     # by agent group, per replication
    journeys: pd.DataFrame                   # rep, metric, value: wait CDF points and journey flow counts
    calls: pd.DataFrame | None = None        # per-contact records (None when not kept)
    legs: pd.DataFrame | None = None         # per-leg records (None when not kept)
    started: str = ""
    finished: str = ""
    meta: dict = field(default_factory=dict)
    ccsim_version: str = __version__
    call_types: pd.DataFrame = field(default_factory=pd.DataFrame)  # KPIs by call type, per replication         # the version that simulated these results

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """One row per KPI: mean, ci_low, ci_high (Student t over replications)."""
        return summarize(self.kpis, confidence)

    def call_type_summary(self) -> pd.DataFrame:
        """Mean over replications of every KPI by call type (one row per call type)."""
        if self.call_types.empty:
            return self.call_types
        return self.call_types.drop(columns="rep").groupby("call_type", sort=False).mean()

    def interval_summary(self) -> pd.DataFrame:
        """Mean over replications of every interval KPI."""
        return self.intervals.drop(columns="rep").groupby("interval", as_index=False).mean()

    def to_call_log(self, rep: int | None = None) -> pd.DataFrame:
        """The run's contacts as a call log in the generic format (docs/call-log.md), times in seconds since day 0
        at 00:00: what an ACD would have recorded, to calibrate from (``ccsim.calllog.call_log_from_frame``).

        ``rep`` picks one replication, times as simulated; by default every replication, the i-th (in order)
        shifted by i x (horizon + max_drain, rounded up to whole days) so that their days do not overlap.
        ``agent`` is the first answering agent (group-number); contacts still in the system when the run stopped
        never ended and are left out.
        """
        from .calllog import COLUMNS  # here: the call-log layer loads pyarrow only when asked
        from .errors import OptionError
        if self.calls is None:
            raise ResultsError("calls", "these results kept no per-call records", "run with keep_calls=True")
        reps = [int(r) for r in self.kpis.index]
        if rep is not None and rep not in reps:
            raise OptionError("rep", f"{rep!r} is not a replication of these results ({reps[0]} to {reps[-1]})",
                              "give one of them, or None for all")
        c = self.calls.assign(contact=self.calls.groupby("rep").cumcount())   # a contact's index in its replication
        if self.legs is not None:
            first = self.legs[(self.legs["leg"] == 0) & self.legs["group"].notna()]
            c = c.merge(first[["rep", "contact"]].assign(agent=first["group"].astype(str) + "-" +
                                                         first["agent"].astype(str)), on=["rep", "contact"], how="left")
        c = c[(c["outcome"] != "in_system") & ((c["rep"] == rep) if rep is not None else True)]
        day = 86400.0
        span = np.ceil((self.scenario.horizon + self.scenario.max_drain) / day) * day
        shift = 0.0 if rep is not None else c["rep"].map({r: i * span for i, r in enumerate(reps)}).to_numpy(float)
        arrival, end = c["arrival"].to_numpy(float), c["end"].to_numpy(float)
        queue_enter = np.where(c["first_queue"].notna(), arrival + c["ivr_time"].to_numpy(float), np.nan)
        answer = queue_enter + c["first_wait"].to_numpy(float)   # NaN when never answered
        answer = np.where(np.isnan(answer), np.nan, np.minimum(np.maximum(answer, queue_enter), end))  # round-off
        ids = c["rep"].astype(str) + "-" + c["caller"].astype(str)
        out = pd.DataFrame({
            "call_id": ids + "-" + c["attempt"].astype(str), "customer_id": ids, "call_type": c["call_type"].astype(str),
            "arrival": arrival + shift, "queue_enter": queue_enter + shift, "answer": answer + shift, "end": end + shift,
            "agent": c.get("agent", pd.NA), "outcome": c["outcome"].astype(str),
        })
        return out.astype({"call_id": "string", "customer_id": "string", "call_type": "string",
                           "agent": "string"})[list(COLUMNS)].reset_index(drop=True)

    def manifest(self) -> dict:
        """What identifies this run: scenario (whole definition), engine, seed, replications, version, times."""
        return {"kind": "run", "scenario": self.scenario.name, "engine": self.engine, "seed": self.seed,
                "reps": self.reps, "ccsim_version": self.ccsim_version, "started": self.started, "finished": self.finished,
                "scenario_definition": self.scenario.model_dump(mode="json"), **self.meta}

    def save(self, out_dir: str | Path) -> Path:
        """Write KPIs, intervals, queues, groups, journeys, the summary, records (Parquet) and the manifest
        (last, so a folder with a manifest is complete), each atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tables = {"kpis": self.kpis.reset_index(), "intervals": self.intervals, "queues": self.queues,
                  "groups": self.groups, "call_types": self.call_types, "journeys": self.journeys,
                  "summary": self.summary().rename_axis("kpi").reset_index(), "calls": self.calls, "legs": self.legs}
        for name, df in tables.items():
            if df is not None:
                write_table(out / f"{name}.parquet", df)
        write_json(out / MANIFEST, self.manifest())
        return out

    @classmethod
    def load(cls, folder: str | Path) -> "Results":
        """Read a run saved by :meth:`save` (or ``ccsim run``): the same object that was saved."""
        folder = Path(folder)
        man = _manifest_of(folder, "run")
        known = {"kind", "scenario", "engine", "seed", "reps", "ccsim_version", "started", "finished",
                 "scenario_definition"}
        opt = {n: read_table(folder / f"{n}.parquet") if (folder / f"{n}.parquet").exists() else None
               for n in RUN_TABLES}
        empty = pd.DataFrame()
        return cls(scenario=scenario_from_dict(man["scenario_definition"]), engine=man["engine"], seed=man["seed"],
                   reps=man["reps"], kpis=opt["kpis"].set_index("rep"),
                   intervals=_or(opt["intervals"], empty), queues=_or(opt["queues"], empty),
                   groups=_or(opt["groups"], empty), call_types=_or(opt["call_types"], empty),
                   journeys=_or(opt["journeys"], pd.DataFrame(columns=["rep", "metric", "value"])),
                   calls=opt["calls"], legs=opt["legs"], started=man.get("started", ""),
                   finished=man.get("finished", ""), meta={k: v for k, v in man.items() if k not in known},
                   ccsim_version=man.get("ccsim_version", "unknown"))


def _or(df: pd.DataFrame | None, default: pd.DataFrame) -> pd.DataFrame:
    return default if df is None else df


def _manifest_of(folder: Path, want: str) -> dict:
    """The manifest of a results folder of kind ``want`` ("run" or "sweep"), or one clear error."""
    found = kind_of(folder)
    if found == want:
        return read_manifest(folder)
    raise ResultsError("RESULTS_DIR", f"{folder} holds {'no results' if found is None else 'a ' + found}, "
                         f"not a {want}", "give a folder written by " + ("ccsim run or Results.save" if want == "run"
                                                                       else "ccsim sweep"))


def _table(cols: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})


def collect(sc: Scenario, comp: Compiled, engine: str, seed: int, outputs, keep_calls: bool) -> Results:
    """Turn an iterable of (rep, RunOutput or None, Tallies) into Results (records only when ``keep_calls``)."""
    started = now_iso()
    kpis, calls, legs, journeys = [], [], [], []
    ints: dict[str, list] = {}
    qs: dict[str, list] = {}
    gs: dict[str, list] = {}
    by_type: list[np.ndarray] = []
    reps: list[int] = []

    def add(table: dict[str, list], cols: dict[str, np.ndarray], rep: int) -> None:
        n = len(next(iter(cols.values())))
        for k, v in {**cols, "rep": np.full(n, rep, dtype=np.int64)}.items():
            table.setdefault(k, []).append(v)

    for rep, out, t in outputs:
        kpis.append({"rep": rep, **replication_kpis(t, comp)})
        journeys.extend({"rep": rep, "metric": k, "value": v}
                        for k, v in {**wait_cdf(t, comp), **journey_flows(t, comp)}.items())
        add(ints, interval_kpis(t, comp), rep)
        add(qs, queue_kpis(t, comp), rep)
        add(gs, group_kpis(t, comp), rep)
        by_type.append(t.by_type)
        reps.append(rep)
        if keep_calls and out is not None:
            calls.append(calls_frame(out, comp, rep))
            legs.append(legs_frame(out, comp, rep))
    return Results(
        scenario=sc, engine=engine, seed=seed, reps=len(kpis),
        kpis=pd.DataFrame(kpis).set_index("rep"),
        intervals=_table(ints), queues=_table(qs), groups=_table(gs), call_types=pd.DataFrame(call_type_kpis(by_type, reps, comp)),
        journeys=pd.DataFrame(journeys, columns=["rep", "metric", "value"]),
        calls=pd.concat(calls, ignore_index=True) if keep_calls else None,
        legs=pd.concat(legs, ignore_index=True) if keep_calls else None,
        started=started, finished=now_iso(),
    )


# --------------------------------------------------------------------------- sweeps
def points_frame(points: list[dict]) -> pd.DataFrame:
    """The design points as a table: ``point`` and one column per factor."""
    df = pd.DataFrame(points) if points and points[0] else pd.DataFrame(index=range(len(points)))
    df.insert(0, "point", range(len(points)))
    return df


#: the tidy table's columns before the factor values: a row is one value of one point x replication
TIDY_COLUMNS = ("point", "rep", "metric", "interval", "value")


#: the KPIs by call type a sweep keeps (with several call types), as metrics "type:<call type>:<kpi>"
TYPE_METRICS = ("sl_threshold", "offered", "service_level", "abandon_rate", "asa", "blocked", "messages",
                "disconnected", "vhold_accepted", "unreached")


def tidy_rows(point: int, res: Results, interval_metrics: tuple[str, ...]) -> pd.DataFrame:
    """A run's rows in the sweep's tidy long form: run-level KPIs and journeys (``interval`` -1), then
    ``interval_metrics`` by interval. Written once; wide views are derived by :class:`SweepResults`."""
    kp = res.kpis.reset_index().melt(id_vars="rep", var_name="metric", value_name="value").assign(interval=-1)
    iv = res.intervals[["rep", "interval", *interval_metrics]].melt(id_vars=["rep", "interval"], var_name="metric",
                                                                     value_name="value")
    ct = res.call_types
    if ct is not None and not ct.empty and len(res.scenario.demand.call_types) > 1:   # "type:<call type>:<kpi>"
        ty = ct[["rep", "call_type", *TYPE_METRICS]].melt(id_vars=["rep", "call_type"], var_name="kpi")
        ty = pd.DataFrame({"rep": ty["rep"], "metric": "type:" + ty["call_type"].astype(str) + ":" + ty["kpi"],
                           "value": ty["value"], "interval": -1})
    else:
        ty = None
    rows = pd.concat([kp, iv, res.journeys.assign(interval=-1), ty], ignore_index=True)
    rows.insert(0, "point", point)
    return rows.astype({"point": np.int64, "rep": np.int32, "interval": np.int32, "value": float})[list(TIDY_COLUMNS)]


@dataclass
class SweepResults:
    """A sweep's tidy table (one row per point x replication x KPI, journey metric or interval metric, the
    factor values as columns), its points and its manifest; wide views are derived from the table."""

    table: pd.DataFrame
    points: pd.DataFrame
    manifest: dict

    @classmethod
    def load(cls, folder: str | Path) -> "SweepResults":
        """Read a sweep folder: its results table, or the finished parts of a sweep not yet assembled."""
        folder = Path(folder)
        manifest = _manifest_of(folder, "sweep")
        points = points_frame(manifest["points"])
        if (folder / RESULTS_TABLE).exists():
            table = read_table(folder / RESULTS_TABLE)
        else:  # not finished: the parts written so far, each (point, replication) once
            _, tables = scan_parts(folder / PARTS, len(points), int(manifest.get("reps", 0)), repair=False)
            rows = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=list(TIDY_COLUMNS))
            table = assemble(points, rows)
        return cls(table=table, points=points, manifest=manifest)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", ""))

    def run_rows(self, point: int | None = None) -> pd.DataFrame:
        """Run-level rows (KPIs and journey metrics), of one point or all."""
        t = self.table[self.table["interval"] == -1]
        return t if point is None else t[t["point"] == point]

    def kpis(self, point: int) -> pd.DataFrame:
        """One row per replication, one column per KPI of the registry, for one point."""
        t = self.run_rows(point)
        t = t[t["metric"].isin(KPIS)]
        wide = t.pivot(index="rep", columns="metric", values="value")
        wide.columns.name = None
        wide.index = wide.index.astype(np.int64)  # as Results.kpis
        return wide[[k for k in KPIS if k in wide.columns]]

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Every point's KPIs: mean and Student-t CI over replications, factor values as columns."""
        frames = []
        for p in self.finished_points():
            s = summarize(self.kpis(p), confidence).rename_axis("kpi").reset_index()
            s.insert(0, "point", p)
            frames.append(s)
        return self.points.merge(pd.concat(frames, ignore_index=True), on="point")

    def finished_points(self) -> list[int]:
        """Points with at least one replication in the table."""
        return sorted(int(p) for p in self.table["point"].unique())

    def baseline_of(self, point: int) -> int:
        """The point that ``point`` is compared with (the sweep's baseline rule; default the first point)."""
        base_of = self.manifest.get("baseline_of") or []
        return int(base_of[point]) if point < len(base_of) else 0

    def paired(self, baseline: int | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Every point minus its baseline point, per KPI, paired by replication (common random numbers).

        ``baseline`` forces one point as every point's baseline; by default the sweep's own baseline rule.
        """
        frames = []
        for p in self.finished_points():
            b = self.baseline_of(p) if baseline is None else baseline
            d = paired_difference(self.kpis(b), self.kpis(p), confidence).rename_axis("kpi").reset_index()
            d.insert(0, "point", p)
            d.insert(1, "baseline", b)
            frames.append(d)
        return self.points.merge(pd.concat(frames, ignore_index=True), on="point")

    def journeys(self, point: int | None = None) -> pd.DataFrame:
        """Wait-CDF points and journey flows per replication (long: point, rep, metric, value).

        A flow absent from a replication was not taken in it (count 0)."""
        t = self.run_rows(point)
        t = t[t["metric"].str.startswith(("wait_cdf:", "flow:"))]
        return t[["point", "rep", "metric", "value"]].reset_index(drop=True)

    def call_types(self, point: int) -> pd.DataFrame:
        """KPIs by call type of one point (rep, call_type, TYPE_METRICS), as Results.call_types; empty when the
        scenario has one call type."""
        t = self.run_rows(point)
        t = t[t["metric"].str.startswith("type:")]
        if t.empty:
            return pd.DataFrame(columns=["rep", "call_type", *TYPE_METRICS])
        parts = t["metric"].str.split(":", n=2, expand=True)
        wide = (t.assign(call_type=parts[1], kpi=parts[2])
                .pivot(index=["rep", "call_type"], columns="kpi", values="value").reset_index())
        wide.columns.name = None
        base = ((self.manifest.get("definition") or {}).get("base") or {}).get("demand") or {}
        order = [c for c in base.get("call_types") or {} if c in set(parts[1])]   # the scenario's order
        order += sorted(set(parts[1]) - set(order))
        wide["rep"] = wide["rep"].astype(np.int64)
        wide = wide.sort_values(["rep", "call_type"], key=lambda c: c.map(order.index) if c.name == "call_type" else c)
        return wide[["rep", "call_type", *[k for k in TYPE_METRICS if k in wide.columns]]].reset_index(drop=True)

    def intervals(self, point: int | None = None) -> pd.DataFrame:
        """Mean over replications of each interval metric, per point (wide: one column per metric)."""
        t = self.table[self.table["interval"] >= 0]
        if point is not None:
            t = t[t["point"] == point]
        m = t.groupby(["point", "interval", "metric"], as_index=False)["value"].mean()
        wide = m.pivot(index=["point", "interval"], columns="metric", values="value").reset_index()
        wide.columns.name = None
        return self.points.merge(wide, on="point")


def assemble(points: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The tidy table: the factor values as columns, in a canonical order (whatever order parts finished in)."""
    table = points.merge(rows, on="point", how="right")
    return table.sort_values(["point", "rep", "interval", "metric"], kind="stable").reset_index(drop=True)
