"""Glue shared by the experiment scripts: the engine to use, running a sweep with a progress bar, tables."""
from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from ccsim.engines import DEFAULT_ENGINE
from ccsim.kpis import format as fmt  # noqa: F401  (the registry's formatter)
from ccsim.kpis import label
from ccsim.sweep import Sweep, SweepResults

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
ENGINE = DEFAULT_ENGINE
console = Console()

def parse_args(doc: str, name: str, argv: list[str] | None, reps: int = 10,
               extra: list[tuple[tuple, dict]] = ()) -> argparse.Namespace:
    """The options every experiment takes: --reps, --engine, --out (default results/<name>), and ``extra``
    ((flags, keywords) of argparse's add_argument)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    for flags, kw in extra:
        ap.add_argument(*flags, **kw)
    ap.add_argument("--reps", type=int, default=reps, help="replications (simulated days) per point")
    ap.add_argument("--engine", default=ENGINE, help="simulation engine")
    ap.add_argument("--out", type=Path, default=Path("results") / name, help="where results are written")
    return ap.parse_args(argv)


def run_sweep(sweep: Sweep, out: Path, resume: bool = True) -> tuple[SweepResults, float]:
    """Run (or finish) a sweep with a progress bar; return the results and the wall time. Prints the seed and
    replications first: two scripts showing the same point agree when these (and the scenario) agree."""
    console.print(f"{sweep.name}: seed {sweep.seed}, {sweep.reps} replications (simulated days) per point, "
                  f"{len(sweep.points())} points, engine {sweep.engine}", markup=False, highlight=False)
    t0 = time.perf_counter()
    with Progress(TextColumn(f"{sweep.name}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("tasks", total=None)
        res = sweep.run(out, resume=resume, progress=lambda d, n: bar.update(task, completed=d, total=n))
    return res, time.perf_counter() - t0


@contextmanager
def stage_progress(label: str) -> Iterator:
    """A transient progress line for searches of unknown length: ``progress(stage, n)`` shows the stage, the
    count so far and the elapsed time."""
    with Progress(TextColumn(label), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("", total=None)
        yield lambda stage, n: bar.update(task, description=f"{stage} ({n})")


def wide(summary: pd.DataFrame, kpis: list[str], value: str = "mean") -> pd.DataFrame:
    """Sweep summary as one row per point, one column per KPI."""
    w = summary[summary["kpi"].isin(kpis)].pivot(index="point", columns="kpi", values=value)
    return w[kpis]


def labels(kpis: list[str], thr: float = 20) -> list[str]:
    """Column headers of KPI columns: the registry's labels."""
    return [label(k, thr) for k in kpis]


def show(title: str, rows: list[list[str]], header: list[str]) -> None:
    t = Table(title=title)
    for i, h in enumerate(header):
        t.add_column(h, justify="left" if i == 0 else "right")
    for r in rows:
        t.add_row(*r)
    console.print(t)
