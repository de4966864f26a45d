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

import pandas as pd

from .config import Scenario, design_from_dict, load_scenario, scenario_from_dict
from .limits import check_name
from .tomlfile import read_toml
from .engines import DEFAULT_ENGINE
from .errors import OptionError, ScenarioError
from .results import TIDY_COLUMNS, SweepResults, assemble, points_frame, tidy_rows
from .simulate import simulate
from .store import (MANIFEST, PARTS, RESULTS_TABLE, now_iso, part_name, read_manifest, scan_parts, stamp, write_json,
                    write_table)

#: interval metrics kept in sweep tables (one row per interval)
INTERVAL_METRICS = ("offered", "service_level", "abandon_rate", "asa", "agents", "occupancy")
DESIGN = "design"  # the factor that swaps the whole design


# --------------------------------------------------------------------------- the work of one task
def run_task(spec: dict) -> pd.DataFrame:
    """Simulate one point for a block of replications; return its tidy rows (runs in any process)."""
    sc = scenario_from_dict(spec["scenario"])
    res = simulate(sc, engine=spec["engine"], reps=spec["reps"], seed=spec["seed"], first_rep=spec["first_rep"],
                   keep_calls=False)
    return tidy_rows(spec["point"], res, INTERVAL_METRICS)


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
        check_name("name", self.name)  # the default results folder is results/<name>
        if not isinstance(self.reps, int) or self.reps < 1:
            raise ScenarioError("reps", f"must be a whole number >= 1 (got {self.reps!r})")
        for path, values in self.factors.items():
            if path == DESIGN:
                if not isinstance(values, dict) or not values:
                    raise ScenarioError("factors.design", "must map labels to designs", 'write design = {silo = "silo.toml", ...}')
                self.factors[DESIGN] = {k: design_from_dict(v, f"factors.design.{k}") for k, v in values.items()}
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
    def tasks(self, chunk: int, done: set[tuple[int, int]] = frozenset()) -> list[dict]:
        """Task specs for every (point, replication) not in ``done``: one point and a block of at most
        ``chunk`` consecutive replications each (plain data, picklable). The unit of work is the pair;
        chunking only batches it, so a task's rows never depend on how the work was cut."""
        out = []
        for i, p in enumerate(self.points()):
            missing = [r for r in range(self.reps) if (i, r) not in done]
            if not missing:
                continue
            sc = self.scenario_at(p).model_dump(mode="json")
            for block in _blocks(missing, chunk):
                out.append({"point": i, "first_rep": block[0], "reps": len(block), "seed": self.seed,
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
            raise OptionError("--workers", f"must be a whole number >= 1 (got {workers!r})", "omit it to use all cores")
        out = Path(out) if out is not None else Path("results") / self.name
        parts = out / PARTS
        manifest_path = out / MANIFEST
        fp = self.fingerprint()
        old: dict = {}
        if manifest_path.exists():
            old = read_manifest(out)
            if not resume:
                raise OptionError("--out", f"{out} already holds sweep results", "pass --resume to continue them, or choose another --out")
            if old.get("fingerprint") != fp:
                raise OptionError("--resume", f"{out} holds a different sweep (changed factors, reps, seed or scenario)",
                                    "choose another --out for the changed sweep")
        parts.mkdir(parents=True, exist_ok=True)
        pts = self.points()
        n_points, total = len(pts), len(pts) * self.reps
        done, tables = scan_parts(parts, n_points, self.reps, repair=True)
        # the batch size is kept with the results (a later run batches the same way; identity is the pair)
        chunk = int(old.get("chunk") or 0) or self.chunk or (_auto_chunk(self) if len(done) < total else 1)
        todo = self.tasks(chunk, done)
        manifest = {"kind": "sweep", "name": self.name, "fingerprint": fp, **stamp(), "engine": self.engine,
                    "seed": self.seed, "reps": self.reps, "chunk": chunk, "started": now_iso(), "finished": None,
                    "baseline_of": [self.baseline_of(i) for i in range(n_points)],
                    "points": pts, "definition": self.definition()}
        if old:
            manifest["started"] = old.get("started", manifest["started"])
            manifest["finished"] = old.get("finished") if not todo else None
        write_json(manifest_path, manifest)
        n_done = len(done)
        if progress:
            progress(n_done, total)
        for spec, rows in _execute(todo, client=client, scheduler=scheduler, workers=workers):
            write_table(parts / part_name(spec["point"], spec["first_rep"], spec["reps"]), rows)
            tables.append(rows)
            n_done += spec["reps"]
            if progress:
                progress(n_done, total)
        points = points_frame(pts)
        rows = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=list(TIDY_COLUMNS))
        table = assemble(points, rows)
        missing = total - len(set(zip(table["point"], table["rep"])))
        if missing:  # never write an incomplete table as finished
            raise RuntimeError(f"sweep {self.name}: {missing} replications are missing after the run")
        write_table(out / RESULTS_TABLE, table)
        manifest["finished"] = manifest["finished"] or now_iso()
        write_json(manifest_path, manifest)
        return SweepResults(table=table, points=points, manifest=manifest)


def _blocks(reps: list[int], size: int) -> list[list[int]]:
    """Consecutive runs of ``reps`` (sorted), each cut into blocks of at most ``size``."""
    out: list[list[int]] = []
    for r in reps:
        if out and r == out[-1][-1] + 1 and len(out[-1]) < size:
            out[-1].append(r)
        else:
            out.append([r])
    return out


def _auto_chunk(sweep: Sweep) -> int:
    """Replications per task so a task lasts about two seconds: per-task overhead (tens of ms) stays < 5%."""
    t0 = time.perf_counter()
    simulate(sweep.scenario_at(sweep.points()[0]), engine=sweep.engine, reps=1, seed=sweep.seed, keep_calls=False)
    per_rep = max(time.perf_counter() - t0, 1e-4)
    return max(1, min(sweep.reps, math.ceil(2.0 / per_rep)))


def _die_with_parent(parent: int) -> None:
    """In a pool worker: exit as soon as the process that started the sweep is gone (killed or not), so no
    worker outlives the command (a killed parent cannot tell its workers; they notice within 0.2 s)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="ccsim-parent-watch").start()


def _execute(todo: list[dict], *, client=None, scheduler=None, workers=None) -> Iterable[tuple[dict, pd.DataFrame]]:
    """Yield (spec, rows) as tasks finish, on Dask, a local pool, or in this process."""
    if not todo:
        return
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
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx, initializer=_die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(run_task, spec): spec for spec in todo}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise


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
    data = read_toml(path, "sweep")
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
