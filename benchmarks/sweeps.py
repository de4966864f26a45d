"""Sweep throughput (Engine v2): a 1,000-point x 10-replication silo/team sweep on a local pool, a small sweep
on one process vs the pool, and the per-task overhead. Run on purpose, not in the tests:

    python benchmarks/sweeps.py              # 1,000 points x 10 reps on 2 processes (about 2 minutes)
    python benchmarks/sweeps.py --quick      # 20 points x 10 reps (< 1 minute)
    python benchmarks/sweeps.py --points 200 --reps 5 --workers 2 --engine numba

Everything goes through the real sweep machinery (``ccsim.sweep.Sweep.run``: tasks of a point and a block of
replications, each simulated with ``ccsim.simulate(keep_calls=False)`` in a pool worker, its tidy rows written
as a Parquet part, then the results table assembled and written), into a temporary folder.

1. Big sweep: ``base`` = ``experiments/scenarios/silo.toml`` (one day); factors ``design`` = {silo, team}
   (``team.toml``'s design) x ``design.staffing_scale`` = ``points / 2`` evenly spaced values in [0.8, 1.3],
   so ``points`` distinct design points, each ``reps`` replications (common random numbers: replication r of
   every point faces the same callers). Printed:
   - ``setup``: building the Sweep (it validates every point's scenario and baseline before anything runs);
   - ``run``: ``Sweep.run(out, workers=W)`` wall time (pool start-up, tasks, writing parts, the final table),
     with replications/s and ``offered`` contacts/s (the ``offered`` KPI summed over every point and
     replication: contacts arriving in [warmup, horizon) = the day; redials after midnight are not in it);
   - ``tasks`` and ``reps per task``: how the sweep batched the work (its automatic chunk);
   - target: under 2 minutes for 1,000 points x 10 replications on 2 cores.
2. Small sweep (silo and team x staffing_scale 0.9 / 1.0 / 1.1, ``--small-reps`` replications): the same run
   in one process (``workers=1``) and on the pool; replications/s, offered contacts/s and the pool speed-up.
3. Per-task overhead: one task of ``--small-reps`` replications through ``ccsim.sweep.run_task`` (validate the
   scenario from its dict, simulate, make tidy rows) vs the bare ``ccsim.simulate(keep_calls=False)`` inside it.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ccsim
from ccsim.engines import ENGINES
from ccsim.sweep import Sweep, run_task

SCEN = ROOT / "experiments" / "scenarios"


def scales(k: int) -> list[float]:
    """``k`` distinct staffing scales evenly spaced in [0.8, 1.3]."""
    return [1.0] if k == 1 else [round(0.8 + 0.5 * i / (k - 1), 9) for i in range(k)]


def offered(res) -> float:
    return float(res.table.query("metric == 'offered' and interval == -1")["value"].sum())


def timed_run(sweep: Sweep, workers: int):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = sweep.run(Path(tmp) / "out", workers=workers)
        return time.perf_counter() - t0, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="numba" if "numba" in ENGINES else "simpy")
    ap.add_argument("--quick", action="store_true", help="20 points instead of 1,000 (< 1 minute)")
    ap.add_argument("--points", type=int, default=None, help="design points of the big sweep (even; default 1000)")
    ap.add_argument("--reps", type=int, default=10, help="replications per point of the big sweep")
    ap.add_argument("--workers", type=int, default=2, help="pool processes (default 2)")
    ap.add_argument("--small-reps", type=int, default=8, help="replications of the small sweep")
    args = ap.parse_args()
    n_points = args.points or (20 if args.quick else 1000)
    silo = ccsim.load_scenario(SCEN / "silo.toml")
    team = ccsim.load_scenario(SCEN / "team.toml")
    ccsim.simulate(silo, engine=args.engine, reps=1, seed=1, keep_calls=False)  # compile / warm caches
    print(f"engine {args.engine}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (shared machine: figures are indicative)\n", flush=True)

    # 1. the big sweep
    t0 = time.perf_counter()
    big = Sweep(name="bench_big", base=silo,
                factors={"design": {"silo": silo.design, "team": team.design},
                         "design.staffing_scale": scales(max(1, n_points // 2))},
                reps=args.reps, seed=1, engine=args.engine)
    setup = time.perf_counter() - t0
    pts = len(big.points())
    n_reps = pts * args.reps
    print(f"1. sweep of {pts:,} points (silo, team x {pts // 2} staffing scales in [0.8, 1.3]) x {args.reps} reps "
          f"= {n_reps:,} simulated days, {args.workers} processes, through ccsim.sweep.Sweep.run", flush=True)
    secs, res = timed_run(big, args.workers)
    chunk = res.manifest.get("chunk")
    n_tasks = sum(len(range(0, args.reps, chunk)) for _ in range(pts)) if chunk else None
    c = offered(res)
    print(f"  setup (validate every point) {setup:7.2f} s")
    print(f"  run                          {secs:7.2f} s  {n_reps / secs:8.1f} reps/s  {c / secs:12,.0f} offered "
          f"contacts/s  ({c:,.0f} offered contacts; {n_tasks} tasks of {chunk} reps)")
    print(f"  setup + run                  {setup + secs:7.2f} s  (target for 1,000 points x 10 reps on 2 cores: "
          f"< 120 s)\n", flush=True)
    del res

    # 2. a small sweep, one process vs the pool
    small = Sweep(name="bench", base=silo, factors={"design": {"silo": silo.design, "team": team.design},
                                                    "design.staffing_scale": [0.9, 1.0, 1.1]},
                  reps=args.small_reps, seed=1, engine=args.engine)
    n_small = len(small.points()) * args.small_reps
    print(f"2. sweep: {len(small.points())} points x {args.small_reps} reps = {n_small} simulated days")
    results = {}
    for label, workers in (("single process", 1), (f"local pool ({args.workers} processes)", args.workers)):
        secs, res = timed_run(small, workers)
        results[label] = secs
        print(f"  {label:28s} {secs:7.2f} s  {n_small / secs:8.1f} reps/s  {offered(res) / secs:12,.0f} offered "
              f"contacts/s")
    single, pool = results.values()
    print(f"  pool speed-up: {single / pool:.2f}x\n")

    # 3. per-task overhead: a task (validate scenario, simulate, tidy rows) vs the bare simulation inside it
    spec = small.tasks(chunk=args.small_reps)[0]
    sc = small.scenario_at(small.points()[0])
    t0 = time.perf_counter()
    ccsim.simulate(sc, engine=args.engine, reps=args.small_reps, seed=1, keep_calls=False)
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_task(spec)
    task = time.perf_counter() - t0
    print(f"3. one task of {args.small_reps} reps: {task:.3f} s, of which simulation {bare:.3f} s: overhead "
          f"{task - bare:.3f} s ({(task - bare) / task:.1%} of the task)")


if __name__ == "__main__":
    main()
