"""Agents against service level and abandonment, for silos and teams: the cost-service frontier.

Sweeps headcount from 80% to 120% of the planned staffing (every group, every interval) for both designs
on the same callers, and reports each design's cheapest headcount meeting 80% answered within 20 s with at
most 5% abandonment. Seed 1, as silo_vs_team.py: the same callers, so a point both scripts show (a design
at a headcount, with the same split across groups) has the same figures. Writes results/staffing_sweep/.

    python experiments/staffing_sweep.py [--reps 10] [--engine numba]

Measured with the numba engine on a 2-core machine, defaults: 4 s (18 points x 10 days).
"""
from __future__ import annotations

import sys

from _common import SCENARIOS, console, fmt, labels, parse_args, run_sweep, show, wide

import ccsim
from ccsim.sweep import Sweep

SCALES = [0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, "staffing_sweep", argv)
    silo = ccsim.load_scenario(SCENARIOS / "silo.toml")
    team = ccsim.load_scenario(SCENARIOS / "team.toml")
    sweep = Sweep(name="staffing_sweep", base=silo, factors={"design": {"silo": silo.design, "team": team.design},
                                                             "design.staffing_scale": SCALES},
                  reps=args.reps, seed=1, engine=args.engine, baseline={"design": "silo"})
    res, secs = run_sweep(sweep, args.out)
    s = res.summary()
    mean = wide(s, ["service_level", "abandon_rate", "asa", "occupancy", "cost"])
    low = wide(s, ["service_level"], "ci_low")["service_level"]
    high = wide(s, ["abandon_rate"], "ci_high")["abandon_rate"]
    pts = res.points.set_index("point")
    rows = [[pts.loc[p, "design"], f"{pts.loc[p, 'design.staffing_scale']:.0%}",
             *[fmt(k, mean.loc[p, k]) for k in mean.columns],
             "yes" if (low[p] >= 0.8 and high[p] <= 0.05) else "no"] for p in pts.index]
    show(f"Cost-service frontier ({args.reps} days per point, engine {args.engine}, {secs:.0f} s)", rows,
         ["design", "staffing", *labels(list(mean.columns), silo.sl_threshold), "meets 80/20 & 5%"])
    for design in ("silo", "team"):
        ok = [p for p in pts.index if pts.loc[p, "design"] == design and low[p] >= 0.8 and high[p] <= 0.05]
        if ok:
            best = min(ok, key=lambda p: mean.loc[p, "cost"])
            console.print(f"{design}: the cheapest headcount meeting the target with 95% confidence is "
                          f"{pts.loc[best, 'design.staffing_scale']:.0%} of plan, costing {fmt('cost', mean.loc[best, 'cost'])} a day "
                          f"(service level {fmt('service_level', mean.loc[best, 'service_level'])}).")
        else:
            console.print(f"{design}: no headcount up to {SCALES[-1]:.0%} meets the target with 95% confidence.")
    console.print(f"results in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
