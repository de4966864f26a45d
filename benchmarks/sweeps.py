"""Sweep throughput: replications/s and contacts/s on a local process pool vs a single process, and the
per-task overhead (task wall time minus the simulation inside it). Run on purpose, not in the tests:

    python benchmarks/sweeps.py [--engine numba] [--reps 8]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import ccsim
from ccsim.engines import ENGINES
from ccsim.sweep import Sweep, run_task

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="numba" if "numba" in ENGINES else "simpy")
    ap.add_argument("--reps", type=int, default=8)
    args = ap.parse_args()
    silo = ccsim.load_scenario(ROOT / "experiments" / "scenarios" / "silo.toml")
    team = ccsim.load_scenario(ROOT / "experiments" / "scenarios" / "team.toml")
    sweep = Sweep(name="bench", base=silo, factors={"design": {"silo": silo.design, "team": team.design},
                                                    "design.staffing_scale": [0.9, 1.0, 1.1]},
                  reps=args.reps, seed=1, engine=args.engine)
    ccsim.simulate(silo, engine=args.engine, reps=1, seed=1, keep_calls=False)  # compile / warm caches
    n_reps = len(sweep.points()) * args.reps
    print(f"sweep: {len(sweep.points())} points x {args.reps} reps = {n_reps} simulated days, engine {args.engine}, "
          f"{os.cpu_count()} cores")
    results = {}
    for label, workers in (("single process", 1), (f"local pool ({os.cpu_count()} processes)", os.cpu_count())):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            res = sweep.run(Path(tmp) / "out", workers=workers)
            secs = time.perf_counter() - t0
        contacts = res.table.query("metric == 'offered' and interval == -1")["value"].sum()
        results[label] = secs
        print(f"  {label:28s} {secs:7.2f} s  {n_reps / secs:8.1f} reps/s  {contacts / secs:12,.0f} contacts/s")
    single, pool = results.values()
    print(f"  pool speed-up: {single / pool:.2f}x")
    # per-task overhead: a task (validate scenario, simulate, tidy rows) vs the bare simulation inside it
    spec = sweep.tasks(chunk=args.reps)[0]
    sc = sweep.scenario_at(sweep.points()[0])
    t0 = time.perf_counter()
    ccsim.simulate(sc, engine=args.engine, reps=args.reps, seed=1, keep_calls=False)
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_task(spec)
    task = time.perf_counter() - t0
    print(f"  one task of {args.reps} reps: {task:.3f} s, of which simulation {bare:.3f} s: overhead "
          f"{task - bare:.3f} s ({(task - bare) / task:.1%} of the task)")


if __name__ == "__main__":
    main()
