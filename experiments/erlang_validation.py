"""Simulation against Erlang C and Erlang A across a grid of agents and patience: a table of errors with CIs.

M/M/c(+M) with 10 calls per minute and a 5-minute mean handle time (50 erlangs), 45 to 60 agents, patience
of 1, 2 and 5 minutes or none (Erlang C, stable cases only); 8-hour days after a 1-hour warm-up.
For each KPI: the exact value (ccsim.erlang), the simulated mean and its 95% CI, and whether the CI
covers the exact value. Writes results/erlang_validation/.

    python experiments/erlang_validation.py [--reps 20] [--engine numba]

Measured with the numba engine on a 2-core machine, defaults: 4 s (14 points x 20 days of 8 h).
"""
from __future__ import annotations

import sys

from _common import console, label, parse_args, run_sweep, show

import ccsim
from ccsim.sweep import Sweep

LAM, AHT = 10 / 60, 300.0
KPIS = ["service_level", "abandon_rate", "asa", "mean_wait", "p_wait", "occupancy"]
PATH_AGENTS, PATH_PATIENCE = "design.groups.agents.staffing", "demand.call_types.calls.patience"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, "erlang_validation", argv, reps=20)
    base = ccsim.erlang_a(arrival_rate=LAM, mean_handle_time=AHT, agents=55, mean_patience=120,
                          horizon=8 * 3600, warmup=3600, sl_threshold=20)
    points = []
    for c in (45, 50, 55, 60):
        for pat in (60.0, 120.0, 300.0, None):
            if pat is None and c <= LAM * AHT:
                continue  # Erlang C is unstable at or above 50 erlangs
            points.append({PATH_AGENTS: c, PATH_PATIENCE: None if pat is None else {"dist": "exponential", "mean": pat}})
    sweep = Sweep(name="erlang_validation", base=base, grid=False, points_list=points, reps=args.reps, seed=2026,
                  engine=args.engine)
    res, secs = run_sweep(sweep, args.out)
    s = res.summary().set_index(["point", "kpi"])
    rows, covered, total = [], 0, 0
    for i, p in enumerate(points):
        pat = p[PATH_PATIENCE]["mean"] if p[PATH_PATIENCE] else None
        exact = ccsim.erlang.erlang_a(LAM, AHT, p[PATH_AGENTS], pat, 20.0)
        for k in KPIS:
            if pat is None and k == "abandon_rate":
                continue
            m, lo, hi = s.loc[(i, k), "mean"], s.loc[(i, k), "ci_low"], s.loc[(i, k), "ci_high"]
            ok = lo <= exact[k] <= hi
            covered += ok
            total += 1
            rows.append([f"{p[PATH_AGENTS]}", "none" if pat is None else f"{pat:g} s", label(k), f"{exact[k]:.4f}",
                         f"{m:.4f}", f"[{lo:.4f}, {hi:.4f}]", f"{m - exact[k]:+.4f}", "yes" if ok else "NO"])
    show(f"Simulation vs exact Erlang A/C ({args.reps} x 8 h per case, engine {args.engine}, {secs:.0f} s)", rows,
         ["agents", "patience", "KPI", "exact", "simulated", "95% CI", "error", "covered"])
    console.print(f"{covered} of {total} confidence intervals cover the exact value ({covered / total:.0%}; "
                  f"about 95% expected by chance alone).")
    console.print(f"results in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
