"""Sweeps: a base scenario crossed with factors, run with common random numbers, resumable, local or on Dask.

Replication r of every point uses the demand of seed ``seed``, replication r, so differences between
points are paired. Work is cut into tasks (a point and a block of replications); each finished task is
written at once, atomically, as its own Parquet part, so an interrupted sweep resumes with
``resume=True`` and never loses or duplicates a row. Tasks run in-process, on a local process pool, or
on a Dask cluster; the rows are identical in every case.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import Design, Scenario, _read_toml, load_scenario, scenario_from_dict
from .engines import DEFAULT_ENGINE
from .errors import ScenarioError
from .metrics import KPIS, paired_difference, summarize
from .results import _atomic, now_iso

#: interval metrics kept in sweep tables (one row per interval)
INTERVAL_METRICS = ("offered", "service_level", "abandon_rate", "asa", "agents", "occupancy")
DESIGN = "design"  # the factor that swaps the whole design


# --------------------------------------------------------------------------- the work of one task
def run_task(spec: dict) -> pd.DataFrame:
    """Simulate one point for a block of replications; return its tidy rows (runs in any process)."""
    from .simulate import simulate

    sc = scenario_from_dict(spec["scenario"])
    res = simulate(sc, engine=spec["engine"], reps=spec["reps"], seed=spec["seed"], first_rep=spec["first_rep"],
                   keep_calls=False)
    kp = res.kpis.reset_index().melt(id_vars="rep", var_name="metric", value_name="value")
    kp["interval"] = -1
    iv = res.intervals[["rep", "interval", *INTERVAL_METRICS]].melt(id_vars=["rep", "interval"], var_name="metric",
                                                                     value_name="value")
    jr = res.journeys.assign(interval=-1)
    rows = pd.concat([kp, iv, jr], ignore_index=True)
    rows.insert(0, "point", spec["point"])
    rows["interval"] = rows["interval"].astype(np.int32)
    rows["rep"] = rows["rep"].astype(np.int32)
    rows["value"] = rows["value"].astype(float)
    return rows[["point", "rep", "metric", "interval", "value"]]


# --------------------------------------------------------------------------- the sweep
@dataclass
class Sweep:
    """A base scenario, factors (dotted paths -> values, or ``design`` -> {label: Design}) and replications.

    ``grid=True`` crosses every factor (full factorial); otherwise ``points`` lists the design points as
    dicts of factor values. ``baseline`` gives factor values: each point is compared with the point that has
    those values and its own values of the other factors (``{design = "silo"}`` compares every team point
    with the silo point at the same staffing); default: the first point.
    """

    name: str
    base: Scenario
    factors: dict[str, Any] = field(default_factory=dict)
    reps: int = 10
    seed: int = 1
    engine: str = DEFAULT_ENGINE
    grid: bool = True
    points_list: list[dict] | None = None
    baseline: dict | None = None
    chunk: int | None = None

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in "/\\"):
            raise ScenarioError("name", f"{self.name!r} is not a usable sweep name", "use letters, digits, - and _")
        if not isinstance(self.reps, int) or self.reps < 1:
            raise ScenarioError("reps", f"must be a whole number >= 1 (got {self.reps!r})")
        for path, values in self.factors.items():
            if path == DESIGN:
                if not isinstance(values, dict) or not values:
                    raise ScenarioError("factors.design", "must map labels to designs", 'write design = {silo = "silo.toml", ...}')
                self.factors[DESIGN] = {k: v if isinstance(v, Design) else Design.model_validate(v) for k, v in values.items()}
            elif not isinstance(values, list) or not values:
                raise ScenarioError(f"factors.{path}", "must be a non-empty list of values (or a range table)")
        pts = self.points()
        if not pts:
            raise ScenarioError("points", "the sweep has no points", "give factors or points")
        for p in pts:  # every point must be a valid scenario: fail before running anything
            self.scenario_at(p)
        for i in range(len(pts)):
            self.baseline_of(i)

    # -- points
    def points(self) -> list[dict]:
        """Every design point as {factor: value} (design given by its label)."""
        if not self.grid:
            return [dict(p) for p in (self.points_list or [])]
        if not self.factors:
            return [{}]
        keys = list(self.factors)
        levels = [list(self.factors[k]) if k != DESIGN else list(self.factors[DESIGN]) for k in keys]
        return [dict(zip(keys, combo)) for combo in itertools.product(*levels)]

    def scenario_at(self, point: dict) -> Scenario:
        """The validated scenario of one point: the base, its design swapped if asked, then the overrides."""
        sc = self.base
        if DESIGN in point:
            designs = self.factors.get(DESIGN, {})
            if point[DESIGN] not in designs:
                raise ScenarioError("points", f"unknown design label {point[DESIGN]!r}", f"use one of {list(designs)}")
            sc = sc.with_design(designs[point[DESIGN]])
        changes = {k: v for k, v in point.items() if k != DESIGN}
        try:
            return sc.override(changes) if changes else sc
        except ScenarioError as e:
            raise ScenarioError(f"point {point}", str(e)) from None

    def baseline_of(self, i: int) -> int:
        """Index of the point that point ``i`` is compared with."""
        pts = self.points()
        if self.baseline is None:
            return 0
        want = {**pts[i], **self.baseline}
        if want not in pts:
            raise ScenarioError("baseline", f"no point has {want} to compare point {pts[i]} with",
                                "give factor values that exist in the sweep")
        return pts.index(want)

    # -- tasks
    def tasks(self, chunk: int) -> list[dict]:
        """Task specs: one point and a block of ``chunk`` replications each (plain data, picklable)."""
        out = []
        for i, p in enumerate(self.points()):
            sc = self.scenario_at(p).model_dump(mode="json")
            for r0 in range(0, self.reps, chunk):
                out.append({"point": i, "first_rep": r0, "reps": min(chunk, self.reps - r0), "seed": self.seed,
                            "engine": self.engine, "scenario": sc})
        return out

    def definition(self) -> dict:
        """What identifies this sweep's results (resume refuses a directory holding another sweep)."""
        facs = {k: ({lab: d.model_dump(mode="json") for lab, d in v.items()} if k == DESIGN else v)
                for k, v in self.factors.items()}
        return {"name": self.name, "base": self.base.model_dump(mode="json"), "factors": facs,
                "points": self.points(), "reps": self.reps, "seed": self.seed, "engine": self.engine}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.definition(), sort_keys=True, default=str).encode()).hexdigest()[:16]

    # -- running
    def run(self, out: str | Path | None = None, *, resume: bool = False, client: Any = None,
            scheduler: str | None = None, workers: int | None = None,
            progress: Callable[[int, int], None] | None = None) -> "SweepResults":
        """Run every task not already done under ``out`` and return the assembled results.

        ``client`` (a dask.distributed Client) or ``scheduler`` (its address) runs on Dask; otherwise a local
        process pool of ``workers`` processes (default: all cores; 1 = in this process).
        """
        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise ScenarioError("--workers", f"must be a whole number >= 1 (got {workers!r})", "omit it to use all cores")
        out = Path(out) if out is not None else Path("results") / self.name
        parts = out / "parts"
        manifest_path = out / "manifest.json"
        fp = self.fingerprint()
        if manifest_path.exists():
            old = json.loads(manifest_path.read_text())
            if not resume:
                raise ScenarioError("--out", f"{out} already holds sweep results", "pass --resume to continue them, or choose another --out")
            if old.get("fingerprint") != fp:
                raise ScenarioError("--resume", f"{out} holds a different sweep (changed factors, reps, seed or scenario)",
                                    "choose another --out for the changed sweep")
        parts.mkdir(parents=True, exist_ok=True)
        chunk = self.chunk or _auto_chunk(self)
        tasks = self.tasks(chunk)
        done = {p.name for p in parts.glob("*.parquet")}
        todo = [t for t in tasks if _part_name(t) not in done]
        from . import __version__
        manifest = {"name": self.name, "fingerprint": fp, "ccsim_version": __version__, "engine": self.engine,
                    "seed": self.seed, "reps": self.reps, "chunk": chunk, "n_tasks": len(tasks),
                    "started": now_iso(), "finished": None,
                    "baseline_of": [self.baseline_of(i) for i in range(len(self.points()))],
                    "points": self.points(), "definition": self.definition()}
        if manifest_path.exists():
            manifest["started"] = json.loads(manifest_path.read_text()).get("started", manifest["started"])
        _atomic(manifest_path, lambda p: Path(p).write_text(json.dumps(manifest, indent=2, default=str)))
        n_done = len(tasks) - len(todo)
        if progress:
            progress(n_done, len(tasks))

        def write(spec: dict, rows: pd.DataFrame) -> None:
            nonlocal n_done
            _atomic(parts / _part_name(spec), lambda p: rows.to_parquet(p, index=False))
            n_done += 1
            if progress:
                progress(n_done, len(tasks))

        if todo:
            for spec, rows in _execute(todo, client=client, scheduler=scheduler, workers=workers):
                write(spec, rows)
        table = _assemble(self, sorted(parts.glob("*.parquet")))
        _atomic(out / "results.parquet", lambda p: table.to_parquet(p, index=False))
        manifest["finished"] = now_iso()
        _atomic(manifest_path, lambda p: Path(p).write_text(json.dumps(manifest, indent=2, default=str)))
        return SweepResults(table=table, points=_points_frame(self.points()), manifest=manifest)


def _part_name(spec: dict) -> str:
    return f"p{spec['point']:05d}-r{spec['first_rep']:06d}-{spec['reps']:04d}.parquet"


def _auto_chunk(sweep: Sweep) -> int:
    """Replications per task so a task lasts about two seconds: per-task overhead (tens of ms) stays < 5%."""
    from .simulate import simulate

    t0 = time.perf_counter()
    simulate(sweep.scenario_at(sweep.points()[0]), engine=sweep.engine, reps=1, seed=sweep.seed, keep_calls=False)
    per_rep = max(time.perf_counter() - t0, 1e-4)
    return max(1, min(sweep.reps, math.ceil(2.0 / per_rep)))


def _execute(todo: list[dict], *, client=None, scheduler=None, workers=None) -> Iterable[tuple[dict, pd.DataFrame]]:
    """Yield (spec, rows) as tasks finish, on Dask, a local pool, or in this process."""
    if client is not None or scheduler is not None:
        from distributed import Client, as_completed as dask_completed

        own = client is None
        client = client or Client(scheduler)
        try:
            futures = {client.submit(run_task, spec, pure=False): spec for spec in todo}
            for fut in dask_completed(futures):
                yield futures[fut], fut.result()
        finally:
            if own:
                client.close()
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(todo) == 1:
        for spec in todo:
            yield spec, run_task(spec)
        return
    # fork shares this process's imports and compiled kernels (workers start at once); spawn when threads run
    ctx = get_context("fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx) as pool:
        futures = {pool.submit(run_task, spec): spec for spec in todo}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _points_frame(points: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(points) if points and points[0] else pd.DataFrame(index=range(len(points)))
    df.insert(0, "point", range(len(points)))
    return df


def _assemble(sweep: Sweep, files: list[Path]) -> pd.DataFrame:
    """The tidy table: every part, the factor values as columns, in a canonical order."""
    rows = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True) if files else pd.DataFrame(
        columns=["point", "rep", "metric", "interval", "value"])
    pts = _points_frame(sweep.points())
    table = pts.merge(rows, on="point", how="right")
    return table.sort_values(["point", "rep", "interval", "metric"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- results
@dataclass
class SweepResults:
    """A sweep's tidy table (one row per point x replication x KPI-or-interval) and what it means."""

    table: pd.DataFrame
    points: pd.DataFrame
    manifest: dict

    @classmethod
    def load(cls, out: str | Path) -> "SweepResults":
        """Read a finished (or partly finished) sweep directory."""
        out = Path(out)
        manifest = json.loads((out / "manifest.json").read_text())
        table = (pd.read_parquet(out / "results.parquet") if (out / "results.parquet").exists() else
                 pd.concat([pd.read_parquet(f) for f in sorted((out / "parts").glob("*.parquet"))], ignore_index=True)
                 .merge(_points_frame(manifest["points"]), on="point"))
        return cls(table=table, points=_points_frame(manifest["points"]), manifest=manifest)

    def kpis(self, point: int) -> pd.DataFrame:
        """One row per replication, one column per run-level KPI, for one point."""
        t = self.table[(self.table["point"] == point) & (self.table["interval"] == -1)]
        wide = t.pivot(index="rep", columns="metric", values="value")
        return wide[[k for k in KPIS if k in wide.columns]]

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Every point's KPIs: mean and Student-t CI over replications, factor values as columns."""
        frames = []
        for p in self.points["point"]:
            s = summarize(self.kpis(p), confidence).rename_axis("kpi").reset_index()
            s.insert(0, "point", p)
            frames.append(s)
        return self.points.merge(pd.concat(frames, ignore_index=True), on="point")

    def paired(self, baseline: int | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Every point minus its baseline point, per KPI, paired by replication (common random numbers).

        ``baseline`` forces one point as every point's baseline; by default the sweep's own baseline rule.
        """
        base_of = self.manifest.get("baseline_of") or [0] * len(self.points)
        frames = []
        for p in self.points["point"]:
            b = base_of[p] if baseline is None else baseline
            d = paired_difference(self.kpis(b), self.kpis(p), confidence).rename_axis("kpi").reset_index()
            d.insert(0, "point", p)
            d.insert(1, "baseline", b)
            frames.append(d)
        return self.points.merge(pd.concat(frames, ignore_index=True), on="point")

    def journeys(self) -> pd.DataFrame:
        """Mean over replications of the wait CDF points and journey flows, per point (long form)."""
        t = self.table[(self.table["interval"] == -1) & self.table["metric"].str.contains(":", regex=False)]
        return self.points.merge(t.groupby(["point", "metric"], as_index=False)["value"].mean(), on="point")

    def intervals(self) -> pd.DataFrame:
        """Mean over replications of each interval metric, per point (wide: one column per metric)."""
        t = self.table[self.table["interval"] >= 0]
        m = t.groupby(["point", "interval", "metric"], as_index=False)["value"].mean()
        wide = m.pivot(index=["point", "interval"], columns="metric", values="value").reset_index()
        return self.points.merge(wide, on="point")


# --------------------------------------------------------------------------- TOML
def _values(path: str, spec: Any) -> list:
    """A factor's values: a list, or a range table {start, stop, step} (stop included)."""
    if isinstance(spec, list):
        return spec
    if isinstance(spec, dict) and {"start", "stop", "step"} <= set(spec):
        start, stop, step = spec["start"], spec["stop"], spec["step"]
        if step <= 0 or stop < start:
            raise ScenarioError(f"factors.{path}", "a range needs step > 0 and stop >= start")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        vals = [start + i * step for i in range(n)]
        return [int(v) for v in vals] if all(isinstance(x, int) for x in (start, stop, step)) else [round(v, 10) for v in vals]
    raise ScenarioError(f"factors.{path}", "must be a list of values or {start, stop, step}")


def load_sweep(path: str | Path, engine: str | None = None) -> Sweep:
    """Read a sweep TOML file (paths inside are relative to it)."""
    path = Path(path)
    data = _read_toml(path, "sweep")
    known = {"name", "description", "base", "reps", "seed", "engine", "factors", "points", "baseline", "chunk"}
    for k in data:
        if k not in known:
            raise ScenarioError(k, "unknown field in the sweep file", f"use one of {sorted(known)}")
    if "base" not in data:
        raise ScenarioError("base", "required field is missing", 'add base = "path/to/scenario.toml"')
    base = load_scenario((path.parent / data["base"]).resolve())
    factors: dict[str, Any] = {}
    for k, v in (data.get("factors") or {}).items():
        if k == DESIGN:
            if not isinstance(v, dict):
                raise ScenarioError("factors.design", "must map labels to scenario files or design tables")
            factors[DESIGN] = {lab: (load_scenario((path.parent / d).resolve()).design if isinstance(d, str) else d)
                               for lab, d in v.items()}
        else:
            factors[k] = _values(k, v)
    points = data.get("points")
    return Sweep(name=data.get("name", path.stem), base=base, factors=factors, reps=data.get("reps", 10),
                 seed=data.get("seed", 1), engine=engine or data.get("engine", DEFAULT_ENGINE), grid=points is None,
                 points_list=points, baseline=data.get("baseline"), chunk=data.get("chunk"))
