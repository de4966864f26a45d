"""Handle-time pressure: pushing agents to shorten talk time lowers first-contact resolution, and the
unresolved callers come back as repeat contacts. What is the net effect on load and service?

Pressure p shortens every talk time by p (mean x (1 - p)); resolution falls with an elasticity of 0.8
(a 10% shorter talk loses 8% of the resolutions: resolution_prob x (1 - 0.8 p)), an illustrative
assumption in line with reports that AHT targets hurt FCR; change ELASTICITY to test your own.
Silo design, same callers in every point. Writes results/aht_pressure/.

    python experiments/aht_pressure.py [--reps 10] [--engine numba]

Measured with the numba engine on a 2-core machine, defaults: 3 s (4 points x 10 days).
"""
from __future__ import annotations

import sys

from _common import SCENARIOS, console, fmt, labels, parse_args, run_sweep, show, wide

import ccsim
from ccsim.sweep import Sweep

PRESSURE = [0.0, 0.1, 0.2, 0.3]
ELASTICITY = 0.8


def point(sc: ccsim.Scenario, p: float) -> dict:
    """Factor values of one pressure level: talk means and resolution probabilities."""
    changes: dict = {}
    for skill, work in sc.demand.work.items():
        changes[f"demand.work.{skill}.talk.mean"] = round(work.talk.mean_value * (1 - p), 6)
    for name, ct in sc.demand.call_types.items():
        changes[f"demand.call_types.{name}.resolution_prob"] = round(ct.resolution_prob * (1 - ELASTICITY * p), 6)
    return changes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, "aht_pressure", argv)
    silo = ccsim.load_scenario(SCENARIOS / "silo.toml")
    points = [point(silo, p) for p in PRESSURE]
    sweep = Sweep(name="aht_pressure", base=silo, grid=False, points_list=points, reps=args.reps, seed=5,
                  engine=args.engine)
    res, secs = run_sweep(sweep, args.out)
    kpis = ["aht", "fcr", "offered", "repeat_contacts", "occupancy", "service_level", "abandon_rate", "time_in_system_answered"]
    mean = wide(res.summary(), kpis)
    paired = res.paired().set_index(["point", "kpi"])
    rows = [[f"{p:.0%}", *[fmt(k, mean.loc[i, k]) for k in kpis]] for i, p in enumerate(PRESSURE)]
    show(f"Handle-time pressure ({args.reps} days per level, engine {args.engine}, {secs:.0f} s)", rows,
         ["shorter talk", *labels(kpis, silo.sl_threshold)])
    last = len(PRESSURE) - 1
    d = lambda k: paired.loc[(last, k), "diff"]
    verdict = "lighter" if d("occupancy") < 0 else "heavier"
    console.print(f"Cutting talk time by {PRESSURE[-1]:.0%} changes AHT by {fmt('aht', d('aht'), True)} per contact and "
                  f"FCR by {fmt('fcr', d('fcr'), True)}; repeat contacts change by {fmt('repeat_contacts', d('repeat_contacts'), True)} "
                  f"a day. Net, the agents' load is {verdict} (occupancy {fmt('occupancy', d('occupancy'), True)}, service "
                  f"level {fmt('service_level', d('service_level'), True)}), while "
                  f"{fmt('repeat_contacts', d('repeat_contacts'))} more contacts a day are callers whose problem was not solved.")
    console.print(f"results in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
