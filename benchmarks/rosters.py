"""ccsim's roster solver (scipy ``milp``, HiGHS) against pyworkforce's ``MinRequiredResources`` (OR-Tools CP-SAT)
on the same input: the bundled silo day's simulated staffing plan, per group, and the same shift types (4, 6 and
8 hours starting on any half hour). Prints each solver's cost, agent-hours, coverage and solve time.

    pip install -e '.[bench]'        # pyworkforce (and OR-Tools)
    python benchmarks/rosters.py [--reps 10]

Figures are printed, never asserted (the machine may be shared). Both minimise the pay of the shifts worked
subject to covering the requirement in every interval; a cost is compared in cents (CP-SAT needs integers).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import ccsim
from ccsim.roster import coverage_matrix, shift_types, solve_roster
from ccsim.staffing import Target, simulated_plan

SCENARIO = Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "silo.toml"
TARGETS = [Target.parse("service_level>=0.8"), Target.parse("abandon_rate<=0.05")]


def pyworkforce_roster(req: np.ndarray, shifts, cover: np.ndarray, cents: list[int], seconds: float) -> dict:
    """Solve with pyworkforce's MinRequiredResources: shift counts, cost (cents), status, time."""
    from pyworkforce.scheduling import MinRequiredResources
    names = [s.name for s in shifts]
    model = MinRequiredResources(
        num_days=1, periods=len(req), shifts_coverage={n: cover[i].astype(int).tolist() for i, n in enumerate(names)},
        required_resources=[req.astype(int).tolist()], max_period_concurrency=int(req.max()) * 4 + 10,
        max_shift_concurrency=int(req.max()) + 1, cost_dict=dict(zip(names, cents)),
        max_search_time=seconds, num_search_workers=2)
    t = time.perf_counter()
    sol = model.solve()
    elapsed = time.perf_counter() - t
    counts = {r["shift"]: r["resources"] for r in sol.get("resources_shifts", [])}
    return {"status": sol["status"], "counts": np.array([counts.get(n, 0) for n in names]), "time": elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10, help="days per evaluation of the staffing plan")
    ap.add_argument("--seconds", type=float, default=60.0, help="pyworkforce's search time limit")
    args = ap.parse_args()
    sc = ccsim.load_scenario(SCENARIO)
    plan = simulated_plan(sc, TARGETS, reps=args.reps, seed=1)
    shifts = shift_types(sc.horizon, sc.interval)
    cover = coverage_matrix(shifts, sc.n_intervals, sc.interval).T   # shifts x intervals
    print(f"silo day: {len(shifts)} shift types (4, 6, 8 h on the half hour), {sc.n_intervals} intervals")
    print(f"{'group':14s} | {'solver':11s} | {'cost':>9s} | {'agent-h':>7s} | {'agents':>6s} | "
          f"{'short':>5s} | {'surplus agent-h':>15s} | {'time':>8s} | status")
    for g, gname in enumerate(plan.groups):
        rate = sc.design.groups[gname].cost_per_hour
        req = np.ceil(plan.agents[g]).astype(int)
        cents = [int(round(s.hours() * rate * 100)) for s in shifts]
        t = time.perf_counter()
        ours = solve_roster(req, shifts, sc.interval, rate)
        ours_t = time.perf_counter() - t
        theirs = pyworkforce_roster(req, shifts, cover, cents, args.seconds)
        for name, counts, secs, status in (("ccsim milp", ours.counts, ours_t, "optimal"),
                                           ("pyworkforce", theirs["counts"], theirs["time"], theirs["status"])):
            coverage = counts @ cover
            cost = float(counts @ np.array(cents)) / 100
            hours = float(counts @ np.array([s.hours() for s in shifts]))
            short = int((coverage < req).sum())
            surplus = float(((coverage - req).clip(min=0)).sum() * sc.interval / 3600)
            print(f"{gname:14s} | {name:11s} | {cost:9,.0f} | {hours:7,.1f} | {int(counts.sum()):6d} | {short:5d} | "
                  f"{surplus:15,.1f} | {secs:7.2f}s | {status}")


if __name__ == "__main__":
    main()
