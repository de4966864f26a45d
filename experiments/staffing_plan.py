"""A staffing plan for a realistic day: how many agents, interval by interval, for 80/20 and <= 5% abandoned.

For the silo and team designs of the bundled day: the Erlang C plan, the Erlang A plan (each group from its
own forecast load, as a spreadsheet would) and the simulated plan (searched with the engine, interval by
interval, queues carried between intervals respected), each validated with fresh seeds. Shrinkage 30%
turns agents on the phones into agents to schedule. Writes results/staffing_plan/.

    python experiments/staffing_plan.py [--reps 10] [--engine numba]

Measured with the numba engine on a 2-core machine, defaults: 17 s on engine v2 (two designs, 20 days per evaluation).
"""
from __future__ import annotations

import sys
import time

from _common import SCENARIOS, console, fmt, label, parse_args, show, stage_progress

import ccsim
from ccsim.staffing import Target, compare_plans, plan_toml

TARGETS = [Target.parse("service_level>=0.8"), Target.parse("abandon_rate<=0.05")]
SHRINKAGE = 0.3


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, "staffing_plan", argv, reps=20)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    console.print(f"seed 1 for the planning runs ({args.reps} days per evaluation), fresh seeds for validation; "
                  f"targets {', '.join(map(str, TARGETS))}", markup=False, highlight=False)
    simulated = {}
    for name in ("silo", "team"):
        sc = ccsim.load_scenario(SCENARIOS / f"{name}.toml")
        with stage_progress(f"{name} plan") as progress:
            plans, table = compare_plans(sc, TARGETS, by_interval=True, reps=args.reps, seed=1, engine=args.engine,
                                         shrinkage=SHRINKAGE, progress=progress)
        rows, thr = [], sc.sl_threshold
        for p in table.index:
            r = table.loc[p]
            rows.append([p, f"{r['agent_hours']:,.0f}", f"{r['scheduled_agent_hours']:,.0f}", fmt("cost", r["cost"]),
                         fmt("service_level", r["service_level"]), fmt("abandon_rate", r["abandon_rate"]),
                         fmt("service_level", r["worst_interval_service_level"]),
                         f"{r['intervals_met_on_average']}/{r['busy_intervals']}"])
        show(f"{name}: three staffing plans, validated on 40 fresh days", rows,
             ["plan", "agent-hours", f"scheduled ({SHRINKAGE:.0%} shrinkage)", label("cost"), label("service_level", thr),
              label("abandon_rate"), f"{label('service_level', thr)}, worst interval", "busy intervals met"])
        table.to_csv(args.out / f"{name}_comparison.csv")
        plans[-1].frame(scheduled=True).to_csv(args.out / f"{name}_plan.csv", index=False)
        (args.out / f"{name}_staffed.toml").write_text(plan_toml(sc, plans[-1]))
        e, s = table.loc["erlang_c"], table.loc["simulated"]
        simulated[name] = s
        console.print(f"{name}: Erlang C staffs {e['agent_hours']:,.0f} agent-hours and reaches "
                      f"{fmt('service_level', e['service_level'])} answered in 20 s with {fmt('abandon_rate', e['abandon_rate'])} "
                      f"abandoned; the simulated plan needs {s['agent_hours'] - e['agent_hours']:+,.0f} agent-hours "
                      f"({fmt('cost', s['cost'] - e['cost'], True)} a day) to meet both targets in every interval.")
    a, b = simulated["silo"], simulated["team"]
    console.print(f"Each design staffed with only the agents it needs: team {b['agent_hours']:,.0f} agent-hours for "
                  f"{fmt('cost', b['cost'])} a day, silo {a['agent_hours']:,.0f} for {fmt('cost', a['cost'])} "
                  f"({fmt('cost', b['cost'] - a['cost'], True)}). silo_vs_team.py answers another question: both "
                  "designs with the same headcount, where the cost differs only by the hourly rates.")
    console.print(f"{time.perf_counter() - t0:.0f} s; results in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
