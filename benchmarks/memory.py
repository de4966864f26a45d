"""Peak memory of long KPI-only (records-free) runs: 10 M, 30 M and 100 M contacts, each in a fresh process.

    python benchmarks/memory.py                 # 10 M / 30 M / 100 M contacts (several minutes)
    python benchmarks/memory.py --quick         # 1 M / 3 M / 10 M contacts (< 1 minute once compiled)
    python benchmarks/memory.py --via kernel    # call run_numba_tallies directly instead of ccsim.simulate

The case is one long replication (seed 1, replication 0) of the Erlang A queue scaled up 100 times so that
100 M contacts fit the 400-day horizon limit: 1,000 calls/min (arrival_rate 1000/60 per second), AHT 5 min
exponential, patience 2 min exponential, 5,500 agents (the M/M/55+M load x 100), warmup 0, one interval
(the horizon). Only the horizon changes between cases (contacts = arrival rate x horizon, a hair under the
10^8 expected first contacts ccsim.limits allows per replication), so a flat peak means memory flat in horizon.

Each case runs in its own fresh Python process (so no peak is shared), after a warm-up process has made sure
the numba cache is on disk (no compile inside a measured process). Columns:

- ``case``: the target number of contacts; ``baseline`` is a fresh process doing the same with a 60-s horizon
  (import, cache load, about a thousand contacts): what any run costs before it holds anything;
- ``days``: the horizon in days;
- ``contacts``: contacts in the run (``via simulate``: the ``offered`` KPI, contacts arriving in
  [0, horizon), which is every contact here as Erlang A has no redial; ``via kernel``:
  ``Tallies.by_interval[:, 0].sum()``, every contact);
- ``run s``: wall time of the run itself (``ccsim.simulate(sc, reps=1, keep_calls=False)`` or
  ``run_numba_tallies(comp, 1, 0)``), excluding the import and the scenario's validation;
- ``contacts/s``: contacts / run s;
- ``peak RSS MB``: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that process after the run, minus nothing
  (the interpreter, numpy, pandas, numba and the loaded kernels included);
- ``process s``: wall time of the whole child process (start-up and import included).

Target: peak RSS < 1 GB and flat in the horizon. Printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RATE = 1000 / 60        # calls per second
AGENTS = 5500
MAX_EXPECTED = 10**8    # ccsim.limits.MAX_FIRST_CONTACTS


def horizon_for(contacts: float) -> float:
    """The horizon (s) of ``contacts`` expected contacts, kept a hair under the per-replication limit."""
    h = contacts / RATE
    return min(h, (MAX_EXPECTED - 100) / RATE)


def child(horizon: float, via: str) -> None:
    """Run one case in this (fresh) process and print one JSON line."""
    import resource

    sys.path.insert(0, str(ROOT))
    import ccsim
    sc = ccsim.erlang_a(arrival_rate=RATE, mean_handle_time=300, agents=AGENTS, mean_patience=120,
                        horizon=horizon, warmup=0, name="erlang_a_x100")
    if via == "kernel":
        from ccsim.engines.compiled import compile_scenario
        from ccsim.engines.numba_engine import run_numba_tallies
        comp = compile_scenario(sc)
        t0 = time.perf_counter()
        t = run_numba_tallies(comp, 1, 0)
        secs = time.perf_counter() - t0
        contacts = float(t.by_interval[:, 0].sum())
    else:
        t0 = time.perf_counter()
        res = ccsim.simulate(sc, engine="numba", reps=1, seed=1, keep_calls=False)
        secs = time.perf_counter() - t0
        contacts = float(res.kpis["offered"].iloc[0])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    print(json.dumps({"contacts": contacts, "secs": secs, "rss_mb": rss}))


def run_case(horizon: float, via: str) -> dict:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--child", repr(horizon), "--via", via], capture_output=True,
                       text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"child for horizon {horizon} s failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 M / 3 M / 10 M contacts instead of 10 M / 30 M / 100 M")
    ap.add_argument("--via", choices=("simulate", "kernel"), default="simulate",
                    help="ccsim.simulate(keep_calls=False) (default) or run_numba_tallies directly")
    ap.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child, args.via)
        return
    targets = (1e6, 3e6, 1e7) if args.quick else (1e7, 3e7, 1e8)
    print(f"KPI-only runs via {args.via}, Erlang A x100 ({RATE * 60:.0f} calls/min, {AGENTS:,} agents), "
          f"each in a fresh process; {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    run_case(60.0, args.via)  # warm-up: the numba cache is on disk before anything is measured
    rows = [("baseline", 60.0, run_case(60.0, args.via))]
    for n in targets:
        h = horizon_for(n)
        print(f"  running {n / 1e6:g} M contacts ({h / 86400:.1f} days)...", flush=True)
        rows.append((f"{n / 1e6:g} M", h, run_case(h, args.via)))
    print()
    print(f"{'case':>9} | {'days':>6} | {'contacts':>12} | {'run s':>7} | {'contacts/s':>10} | {'peak RSS MB':>11} | "
          f"{'process s':>9}")
    for name, h, r in rows:
        rate = r["contacts"] / r["secs"] if r["secs"] > 0 else float("nan")
        print(f"{name:>9} | {h / 86400:>6.2f} | {r['contacts']:>12,.0f} | {r['secs']:>7.2f} | "
              f"{rate / 1e6:>9.2f}M | {r['rss_mb']:>11.0f} | {r['wall']:>9.1f}")
    print("target: peak RSS < 1 GB (1024 MB) and flat in the horizon")


if __name__ == "__main__":
    main()
