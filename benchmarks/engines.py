"""Benchmark the engines (Engine v2: variates drawn on demand): contacts per second, the variate floor,
numba/SimPy ratio, per-replication overhead, peak memory, compile and cache-load time.

    python benchmarks/engines.py            # the full tables (a few minutes; includes a ~30-60 s compile)
    python benchmarks/engines.py --quick    # smaller cases, no compile measurement (< 1 minute once compiled)
    python benchmarks/memory.py             # peak RSS of 10 M / 30 M / 100 M-contact KPI-only runs (separate)

Everything is measured in this one process, so the ratios compare like with like under the same load; the
figures are printed, never asserted (the machine may be shared: times are the best of a few repetitions).
A *contact* is one row of ``RunOutput.contacts`` (redials and callbacks included); a records-free run counts
every contact as ``Tallies.by_interval[:, 0].sum()`` (contacts by interval of arrival), which equals the
number of rows the records path makes for the same replication (checked below).

Throughput table, one row per case (seed 1, replication 0; Erlang A = M/M/55+M, 10 calls/min, AHT 5 min,
patience 2 min, warmup 0; silo / team = ``experiments/scenarios/{silo,team}.toml``, one day):

- ``contacts``: contacts of the measured replication;
- ``floor``: contacts/s of the *variate floor* alone: a small @njit loop that, for the same number of
  contacts, makes each caller key (``caller_key``) and the three variates an Erlang A caller uses (arrival gap,
  patience and talk: ``uniform`` + log each), and nothing else (no queue, no event). For silo / team it is the
  same 3-variate loop (their callers draw more: needs row, IVR option, ACW, resolve, retry, survey...);
- ``kpi``: contacts/s of the records-free kernel ``run_numba_tallies(comp, seed, rep)``, the path of
  ``simulate(keep_calls=False)`` on numba: arrivals and every variate are drawn inside (sampling included),
  KPIs accumulated in the loop, slots recycled;
- ``kpi/floor``: time of ``kpi`` over time of ``floor`` for the same contacts (1x = the floor);
- ``rec``: contacts/s of ``run_numba(comp, seed, rep)``, records kept (a RunOutput; as ``keep_calls=True``);
- ``simpy``: contacts/s of ``run_simpy(comp, seed, rep)``, ccsim's own SimPy reference engine, run once on the
  *SimPy-sized* scenario (Erlang A: a shorter horizon, see ``simpy days``; silo / team: the same day);
- ``kpi/simpy``: ``kpi`` contacts/s over ``simpy`` contacts/s, both on the SimPy-sized scenario, same seed
  and replication (the very same callers), in this process;
- ``e2e kpi`` / ``e2e rec``: ``ccsim.simulate`` end to end (kernel + KPI tables, + the calls and legs frames
  for ``rec``) over ``e2e reps`` replications, keep_calls False / True; contacts counted outside the timing;
- ``mem kpi`` / ``mem rec``: tracemalloc peak of one replication, MB (numpy arrays made in Python, which is
  where the kernel's state and records live; numba-internal allocations are not traced).

Per-replication overhead (a tiny scenario of a few contacts, times per call, minus nothing): the kernel call
``run_numba_tallies``, ``run_numba``, ``simulate(reps=1, keep_calls=False)`` per call, and
``simulate(reps=N, keep_calls=False)`` divided by N (per replication once the scenario is compiled).
Memory for long runs (peak RSS in fresh processes) is ``benchmarks/memory.py``.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ccsim
from ccsim import variates as rv
from ccsim.engines.compiled import compile_scenario
from ccsim.engines.numba_engine import run_numba, run_numba_tallies
from ccsim.engines.simpy_engine import run_simpy

SCEN = ROOT / "experiments" / "scenarios"
SEED, REP = 1, 0
ERLANG_A = {"arrival_rate": 10 / 60, "mean_handle_time": 300, "agents": 55, "mean_patience": 120, "warmup": 0}

_COMPILE_SNIPPET = """
import time
t0 = time.perf_counter()
import ccsim
from ccsim.engines.compiled import compile_scenario
from ccsim.engines.numba_engine import run_numba, run_numba_tallies
sc = ccsim.erlang_a(arrival_rate=10 / 60, mean_handle_time=300, agents=5, mean_patience=120, horizon=600, warmup=0)
comp = compile_scenario(sc)
t1 = time.perf_counter()
run_numba(comp, 1, 0)
run_numba_tallies(comp, 1, 0)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def compile_times() -> tuple[float, float, float]:
    """(import time, first calls in a fresh process with an empty cache, first calls in a second fresh process)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = []
        for _ in range(2):
            r = subprocess.run([sys.executable, "-c", _COMPILE_SNIPPET], env=env, capture_output=True, text=True,
                               cwd=ROOT, check=True)
            out.append([float(x) for x in r.stdout.split()])
    return out[0][0], out[0][1], out[1][1]


@njit(cache=True)
def variate_floor(stream, n, rate, mean_patience, mean_talk):
    """The draws of ``n`` Erlang A callers and nothing else: caller key, arrival gap, patience, talk."""
    t = 0.0
    acc = 0.0
    for i in range(n):
        ck = rv.caller_key(stream, 0, i)
        t += -np.log(rv.uniform(ck, 0, rv.ARRIVAL, 0, 0)) / rate
        acc += -mean_patience * np.log(rv.uniform(ck, 0, rv.PATIENCE, 0, 0))
        acc += -mean_talk * np.log(rv.uniform(ck, 0, rv.TALK, 0, 0))
    return t + acc


def best(fn, reps: int) -> tuple[float, object]:
    t_best, res = float("inf"), None
    for _ in range(reps):
        t = time.perf_counter()
        res = fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, res


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def n_contacts(t) -> int:
    """Every contact of a records-free run (by interval of arrival)."""
    return round(float(t.by_interval[:, 0].sum()))


def case(name: str, sc: ccsim.Scenario, sc_simpy: ccsim.Scenario, e2e_reps: int, reps: int) -> dict:
    comp = compile_scenario(sc)
    t_kpi, ta = best(lambda: run_numba_tallies(comp, SEED, REP), reps)
    n = n_contacts(ta)
    t_rec, out = best(lambda: run_numba(comp, SEED, REP), reps)
    n_rec = int(out.contacts["caller"].size)
    del out
    stream = int(rv.stream_key(SEED, REP))
    t_floor, _ = best(lambda: variate_floor(stream, n, 10 / 60, 120.0, 300.0), reps)
    # SimPy and the records-free kernel on the same (SimPy-sized) scenario: the very same callers
    comp_s = compile_scenario(sc_simpy)
    t_simpy, out_s = best(lambda: run_simpy(comp_s, SEED, REP), 1)
    n_s = int(out_s.contacts["caller"].size)
    del out_s
    t_kpi_s, ta_s = best(lambda: run_numba_tallies(comp_s, SEED, REP), reps)
    n_kpi_s = n_contacts(ta_s)
    # end to end through simulate(); contacts of those replications counted outside the timing
    t_e2e_kpi, _ = best(lambda: ccsim.simulate(sc, engine="numba", reps=e2e_reps, seed=SEED, keep_calls=False), 1)
    n_e2e = sum(n_contacts(run_numba_tallies(comp, SEED, r)) for r in range(e2e_reps))
    t_e2e_rec, res = best(lambda: ccsim.simulate(sc, engine="numba", reps=e2e_reps, seed=SEED), 1)
    n_e2e_rec = len(res.calls)
    del res
    mem_rec = peak_mb(lambda: run_numba(comp, SEED, REP))
    mem_kpi = peak_mb(lambda: run_numba_tallies(comp, SEED, REP))
    warn = []
    if n_rec != n:
        warn.append(f"records-free run counted {n:,} contacts but run_numba made {n_rec:,} rows")
    if n_kpi_s != n_s:
        warn.append(f"SimPy made {n_s:,} contacts but the kernel counted {n_kpi_s:,} on the same scenario")
    if n_e2e_rec != n_e2e:
        warn.append(f"simulate(keep_calls=True) made {n_e2e_rec:,} calls rows, the kernel counted {n_e2e:,}")
    return {
        "case": name, "contacts": n, "floor": n / t_floor, "kpi": n / t_kpi, "kpi/floor": t_kpi / t_floor,
        "rec": n_rec / t_rec, "simpy": n_s / t_simpy, "kpi/simpy": (n_kpi_s / t_kpi_s) / (n_s / t_simpy),
        "e2e kpi": n_e2e / t_e2e_kpi, "e2e rec": n_e2e_rec / t_e2e_rec, "mem kpi": mem_kpi, "mem rec": mem_rec,
        "simpy contacts": n_s, "e2e reps": e2e_reps, "t_kpi": t_kpi, "t_floor": t_floor, "warn": warn,
    }


def per_call(fn, n: int) -> tuple[float, float]:
    """(median, best) seconds of ``n`` calls."""
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), min(ts)


def overhead(quick: bool) -> None:
    sc = ccsim.erlang_a(arrival_rate=10 / 60, mean_handle_time=300, agents=5, mean_patience=120, horizon=60,
                        warmup=0, name="tiny")
    comp = compile_scenario(sc)
    n = n_contacts(run_numba_tallies(comp, SEED, REP))
    k = 200 if quick else 1000
    reps_batch = 100 if quick else 500
    rows = [
        ("run_numba_tallies(comp, seed, rep)", per_call(lambda: run_numba_tallies(comp, SEED, REP), k)),
        ("run_numba(comp, seed, rep)", per_call(lambda: run_numba(comp, SEED, REP), k)),
        ("simulate(sc, reps=1, keep_calls=False)",
         per_call(lambda: ccsim.simulate(sc, reps=1, seed=SEED, keep_calls=False), k // 10)),
    ]
    t_batch, _ = best(lambda: ccsim.simulate(sc, reps=reps_batch, seed=SEED, keep_calls=False), 3)
    print(f"per-replication overhead: tiny Erlang A scenario (60 s horizon, 5 agents, {n} contacts in "
          f"replication 0), wall time per call, minus nothing")
    for label, (med, mn) in rows:
        print(f"  {label:44s} median {med * 1e3:7.3f} ms   best {mn * 1e3:7.3f} ms")
    print(f"  {f'simulate(sc, reps={reps_batch}, keep_calls=False) / {reps_batch}':44s} "
          f"       {t_batch / reps_batch * 1e3:7.3f} ms per replication (best of 3)")
    print("  target: < 0.2 ms per replication for the kernel call\n")


def fmt_rate(v: float) -> str:
    return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.1f}k"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller cases and no compile measurement (< 1 minute)")
    ap.add_argument("--compile", action="store_true", help="measure the compile even with --quick")
    ap.add_argument("--days", type=float, default=None, help="Erlang A horizon in days (default 30, quick 5)")
    args = ap.parse_args()
    days = args.days or (5 if args.quick else 30)
    simpy_days = 1 if args.quick else 2
    reps = 2 if args.quick else 3
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (shared machine: figures are indicative)\n", flush=True)

    if args.compile or not args.quick:
        print("numba compile (fresh process, empty cache) vs cache load (second fresh process)...", flush=True)
        t_import, t_compile, t_load = compile_times()
        print(f"  import ccsim {t_import:.2f} s | first calls, compiling: {t_compile:.2f} s | "
              f"first calls, from cache: {t_load:.2f} s\n", flush=True)

    silo = ccsim.load_scenario(SCEN / "silo.toml")
    team = ccsim.load_scenario(SCEN / "team.toml")
    cases = [
        ("erlang_a", ccsim.erlang_a(**ERLANG_A, horizon=days * 86400),
         ccsim.erlang_a(**ERLANG_A, horizon=simpy_days * 86400), 2),
        ("silo", silo, silo, 3),
        ("team", team, team, 3),
    ]
    warm = compile_scenario(ccsim.erlang_a(**ERLANG_A, horizon=3600))  # compile / load outside the timings
    run_numba(warm, SEED, REP)
    run_numba_tallies(warm, SEED, REP)
    variate_floor(1, 10, 1.0, 1.0, 1.0)
    rows = []
    for name, sc, sc_s, e2e_reps in cases:
        print(f"running {name}...", flush=True)
        rows.append(case(name, sc, sc_s, e2e_reps, reps))

    cols = ["case", "contacts", "floor", "kpi", "kpi/floor", "rec", "simpy", "kpi/simpy", "e2e kpi", "e2e rec",
            "mem kpi", "mem rec"]
    print()
    print("contacts per second (M = million, k = thousand); x = ratio; mem = tracemalloc peak of one replication, MB")
    print(" | ".join(f"{c:>9}" for c in cols))
    for r in rows:
        cells = []
        for c in cols:
            v = r[c]
            if c == "case":
                cells.append(f"{v:>9}")
            elif c == "contacts":
                cells.append(f"{v:>9,d}")
            elif c in ("kpi/floor", "kpi/simpy"):
                cells.append(f"{v:>8.0f}x" if v >= 10 else f"{v:>8.1f}x")
            elif c.startswith("mem"):
                cells.append(f"{v:>9.1f}")
            else:
                cells.append(f"{fmt_rate(v):>9}")
        print(" | ".join(cells))
    print(f"(Erlang A: {days:g} days for floor/kpi/rec/e2e, {simpy_days:g} for simpy and kpi/simpy; e2e reps: "
          + ", ".join(f"{r['case']} {r['e2e reps']}" for r in rows) + "; simpy contacts: "
          + ", ".join(f"{r['case']} {r['simpy contacts']:,}" for r in rows) + ")")
    print("targets: kpi >= 10M/s on erlang_a, >= 3M/s on silo and team; kpi/simpy >= 200x; rec >= 3M/s\n")
    for r in rows:
        print(f"{r['case']}: KPI-only replication {r['t_kpi'] * 1e3:.1f} ms = {r['t_kpi'] / r['contacts'] * 1e9:.0f} ns "
              f"per contact; variate floor {r['t_floor'] * 1e3:.2f} ms = {r['t_floor'] / r['contacts'] * 1e9:.1f} ns "
              f"per contact ({r['t_floor'] / r['t_kpi']:.1%} of the KPI-only time)")
        for w in r["warn"]:
            print(f"  WARNING: {w}")
    print()
    overhead(args.quick)
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          "(whole benchmark; see benchmarks/memory.py for per-run peaks)")


if __name__ == "__main__":
    main()
