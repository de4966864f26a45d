"""Benchmark the engines: contacts per second, numba/SimPy ratio, peak memory, compile and cache-load time.

    .venv/bin/python benchmarks/engines.py            # the full table (a few minutes)
    .venv/bin/python benchmarks/engines.py --quick    # smaller cases

Each case is measured in this one process, so the ratio compares the engines under the same load.
Columns (contacts per second, contacts = rows of Results.calls, redials and callbacks included):

- ``sample``: drawing the demand alone (``ccsim.sample_demand``), shared by both engines;
- ``simpy`` / ``numba rec``: the engine with records (a RunOutput, as ``simulate(keep_calls=True)`` uses);
- ``numba kpi``: the records-free kernel (``numba_replication_kpis``: slots recycled, KPIs accumulated in the loop);
- ``e2e ...``: ``ccsim.simulate`` end to end (sampling + engine + KPI frames), keep_calls True / False;
- ``ratio``: numba records / SimPy records on the same callers.
Times are the best of a few repetitions (the machine may be shared). Peak memory: tracemalloc peak of one
replication (numpy arrays included; the numba kernel allocates nothing itself) and the process max RSS.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ccsim  # noqa: E402
from ccsim.demand import sample_demand  # noqa: E402
from ccsim.engines.compiled import compile_scenario  # noqa: E402
from ccsim.engines.numba_engine import numba_replication_kpis, run_numba  # noqa: E402
from ccsim.engines.simpy_engine import run_simpy  # noqa: E402

SCEN = ROOT / "experiments" / "scenarios"

_COMPILE_SNIPPET = """
import time
t0 = time.perf_counter()
import ccsim
from ccsim.demand import sample_demand
from ccsim.engines.compiled import compile_scenario
from ccsim.engines.numba_engine import numba_replication_kpis, run_numba
sc = ccsim.erlang_a(arrival_rate=10 / 60, mean_handle_time=300, agents=5, mean_patience=120, horizon=600, warmup=0)
comp, d = compile_scenario(sc), sample_demand(sc, 1, 0)
t1 = time.perf_counter()
run_numba(comp, d)
numba_replication_kpis(comp, d)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def compile_times() -> tuple[float, float, float]:
    """(import time, first call in a fresh process with an empty cache, first call in a second fresh process)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = []
        for _ in range(2):
            r = subprocess.run([sys.executable, "-c", _COMPILE_SNIPPET], env=env, capture_output=True, text=True,
                               cwd=ROOT, check=True)
            out.append([float(x) for x in r.stdout.split()])
    return out[0][0], out[0][1], out[1][1]


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


def case(name: str, sc: ccsim.Scenario, sc_simpy: ccsim.Scenario, e2e_reps: int, reps: int) -> dict:
    comp = compile_scenario(sc)
    t_sample, d = best(lambda: sample_demand(sc, 1, 0), reps)
    t_rec, out = best(lambda: run_numba(comp, d), reps)
    n = out.contacts["caller"].size
    t_kpi, _ = best(lambda: numba_replication_kpis(comp, d), reps)
    # SimPy and numba on the same (shorter) callers for the ratio
    comp_s = compile_scenario(sc_simpy)
    d_s = sample_demand(sc_simpy, 1, 0)
    t_simpy, out_s = best(lambda: run_simpy(comp_s, d_s), 1)
    n_s = out_s.contacts["caller"].size
    t_rec_s, _ = best(lambda: run_numba(comp_s, d_s), reps)
    # end to end through simulate()
    t_e2e_rec, res = best(lambda: ccsim.simulate(sc_simpy, engine="numba", reps=e2e_reps, seed=1), 1)
    n_e2e = len(res.calls)
    t_e2e_kpi, _ = best(lambda: ccsim.simulate(sc_simpy, engine="numba", reps=e2e_reps, seed=1, keep_calls=False), 1)
    mem_rec = peak_mb(lambda: run_numba(comp, d))
    mem_kpi = peak_mb(lambda: numba_replication_kpis(comp, d))
    return {
        "case": name, "contacts": n, "sample": n / t_sample, "numba rec": n / t_rec, "numba kpi": n / t_kpi,
        "kpi+sample": n / (t_kpi + t_sample), "simpy": n_s / t_simpy, "ratio": (n_s / t_rec_s) / (n_s / t_simpy),
        "e2e rec": n_e2e / t_e2e_rec, "e2e kpi": n_e2e / t_e2e_kpi, "mem rec MB": mem_rec, "mem kpi MB": mem_kpi,
        "t_kpi": t_kpi, "t_sample": t_sample,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller cases (seconds instead of minutes)")
    ap.add_argument("--days", type=float, default=None, help="Erlang A horizon in days (default 30, quick 10)")
    args = ap.parse_args()
    days = args.days or (10 if args.quick else 30)
    reps = 2 if args.quick else 3

    print("numba compile (fresh process, empty cache) vs cache load (second fresh process)...", flush=True)
    t_import, t_compile, t_load = compile_times()
    print(f"  import ccsim {t_import:.2f} s | first call, compiling: {t_compile:.2f} s | "
          f"first call, from cache: {t_load:.2f} s\n", flush=True)

    ea = dict(arrival_rate=10 / 60, mean_handle_time=300, agents=55, mean_patience=120, warmup=3600)
    silo = ccsim.load_scenario(SCEN / "silo.toml")
    team = ccsim.load_scenario(SCEN / "team.toml")
    short = {"horizon": 21600.0} if args.quick else {}
    cases = [
        ("erlang_a", ccsim.erlang_a(**ea, horizon=days * 86400), ccsim.erlang_a(**ea, horizon=2 * 86400), 2),
        ("silo", silo, silo.override(short) if short else silo, 3),
        ("team", team, team.override(short) if short else team, 3),
    ]
    run_numba(compile_scenario(cases[0][2]), sample_demand(cases[0][2], 1, 0))  # compile / load outside timings
    rows = []
    for name, sc, sc_s, e2e_reps in cases:
        print(f"running {name}...", flush=True)
        rows.append(case(name, sc, sc_s, e2e_reps, reps))

    cols = ["case", "contacts", "sample", "simpy", "numba rec", "numba kpi", "kpi+sample", "ratio", "e2e rec",
            "e2e kpi", "mem rec MB", "mem kpi MB"]
    print()
    print("contacts per second (M = million, k = thousand); ratio = numba records / SimPy records")
    print(" | ".join(f"{c:>10}" for c in cols))
    for r in rows:
        cells = []
        for c in cols:
            v = r[c]
            if c == "case":
                cells.append(f"{v:>10}")
            elif c == "contacts":
                cells.append(f"{v:>10,d}")
            elif c == "ratio":
                cells.append(f"{v:>9.0f}x")
            elif c.startswith("mem"):
                cells.append(f"{v:>10.1f}")
            else:
                cells.append(f"{v / 1e6:>9.2f}M" if v >= 1e6 else f"{v / 1e3:>9.1f}k")
        print(" | ".join(cells))
    print()
    for r in rows:
        share = r["t_sample"] / (r["t_sample"] + r["t_kpi"])
        print(f"{r['case']}: KPI-only replication = {r['t_sample'] * 1e3:.0f} ms sampling + {r['t_kpi'] * 1e3:.0f} ms "
              f"kernel ({share:.0%} of the time in demand sampling)")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
