"""From the day's per-interval requirements to shift rosters: what shifts cost over the per-interval plan.

For the silo design of the bundled day: the simulated staffing plan (80/20 and <= 5% abandoned in every busy
interval, seed 1), then per group the cheapest roster of 4, 6 and 8 h shifts starting on any half hour
(integer program, HiGHS) covering it, repaired in simulation (seed 1) until every busy interval meets the
targets, and the plan, the roster and the repaired roster validated on fresh seeds. Writes
results/shift_roster/.

    python experiments/shift_roster.py [--reps 20] [--engine numba]

The repaired roster is then worked as shifts (standard breaks, 5% absenteeism: docs/model.md "Shifts and
breaks") and repaired again as worked, since breaks and absence take agents off the phones.

Measured with the numba engine on a 2-core machine, defaults: about 35 s.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from _common import SCENARIOS, console, fmt, parse_args, show, stage_progress

import ccsim
from ccsim.roster import repair_roster, roster_for_plan, roster_pay, roster_plan, roster_scenario, shift_types, standard_breaks
from ccsim.staffing import Target, _Evaluator, simulated_plan, validate_plan, validate_scenario

TARGETS = [Target.parse("service_level>=0.8"), Target.parse("abandon_rate<=0.05")]
LENGTHS = (8 * 3600, 6 * 3600, 4 * 3600)
VALIDATION_REPS, VALIDATION_SEED = 40, 10_001
ABSENTEEISM = 0.05


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, "shift_roster", argv, reps=20)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sc = ccsim.load_scenario(SCENARIOS / "silo.toml")
    console.print(f"silo day: seed 1 for planning and repair ({args.reps} days per evaluation), seed {VALIDATION_SEED} "
                  f"for validation ({VALIDATION_REPS} days); targets {', '.join(map(str, TARGETS))}",
                  markup=False, highlight=False)
    with stage_progress("per-interval plan") as progress:
        plan = simulated_plan(sc, TARGETS, reps=args.reps, seed=1, engine=args.engine, progress=progress)
    shifts = shift_types(sc.horizon, sc.interval, LENGTHS)
    rosters = roster_for_plan(sc, plan, shifts)
    repaired, rounds = repair_roster(sc, rosters, TARGETS, reps=args.reps, seed=1, engine=args.engine)
    # the roster repaired as it is worked: breaks in their windows and absent agents simulated, not divided out
    worked, worked_rounds = repair_roster(sc, rosters, TARGETS, reps=args.reps, seed=1, engine=args.engine,
                                          breaks=standard_breaks, absenteeism=ABSENTEEISM, max_rounds=150)

    # the price of shifts, group by group
    rates = {g: grp.cost_per_hour for g, grp in sc.design.groups.items()}
    rows, table = [], []
    for i, g in enumerate(sc.design.groups):
        ph = float(plan.agents[i].sum() * sc.interval / 3600)
        r, rr = rosters[g], repaired[g]
        rec = {"group": g, "plan_agent_hours": ph, "plan_cost": ph * rates[g], "roster_agents": int(r.counts.sum()),
               "roster_agent_hours": r.agent_hours(), "roster_cost": r.cost, "repaired_agents": int(rr.counts.sum()),
               "repaired_agent_hours": rr.agent_hours(), "repaired_cost": rr.cost}
        table.append(rec)
        rows.append([g.removesuffix("_agents"), f"{ph:,.0f}", fmt("cost", ph * rates[g]), f"{r.counts.sum()} / {(r.counts > 0).sum()}",
                     f"{r.agent_hours():,.0f}", fmt("cost", r.cost), f"{r.cost / (ph * rates[g]):.3f}",
                     fmt("cost", rr.cost)])
        r.frame().to_csv(args.out / f"roster_{g}.csv", index=False)
        rr.frame().to_csv(args.out / f"repaired_roster_{g}.csv", index=False)
    tot = pd.DataFrame(table).drop(columns="group").sum()
    rows.append(["all", f"{tot['plan_agent_hours']:,.0f}", fmt("cost", tot["plan_cost"]), f"{tot['roster_agents']:.0f}",
                 f"{tot['roster_agent_hours']:,.0f}", fmt("cost", tot["roster_cost"]),
                 f"{tot['roster_cost'] / tot['plan_cost']:.3f}", fmt("cost", tot["repaired_cost"])])
    show(f"silo: per-interval plan vs roster of 4/6/8 h shifts; repaired in {rounds} round{'s' * (rounds != 1)}", rows,
         ["group", "plan a-h", "plan cost", "agents / shifts", "roster a-h", "roster cost", "roster / plan",
          "repaired cost"])
    console.print("a-h: agent-hours; agents / shifts: agents rostered / shift types worked", markup=False, highlight=False)
    pd.DataFrame(table).to_csv(args.out / "price_of_shifts.csv", index=False)

    # validation on fresh seeds: run-level KPIs and interval by interval
    staffed = {"plan": plan, "roster": roster_plan(sc, rosters, "roster"),
               "repaired roster": roster_plan(sc, repaired, "repaired roster"),
               # the same roster worked as shifts: breaks taken in their windows, then absent agents too
               "as shifts, breaks": roster_scenario(sc, repaired),
               f"as shifts, breaks, {ABSENTEEISM:.0%} absent": roster_scenario(sc, repaired, absenteeism=ABSENTEEISM),
               "repaired as worked": roster_scenario(sc, worked, absenteeism=ABSENTEEISM)}
    fresh = _Evaluator(sc, TARGETS, VALIDATION_REPS, VALIDATION_SEED, args.engine, 10.0)
    per_interval = pd.DataFrame({"start": plan.frame()["start"]})
    rows, vals = [], []
    with stage_progress("validating") as progress:
        for k, (name, p) in enumerate(staffed.items(), start=1):
            if isinstance(p, ccsim.Scenario):
                v = validate_scenario(p, TARGETS, reps=VALIDATION_REPS, seed=VALIDATION_SEED, engine=args.engine)
                slack, _ = fresh.measure(p, True)
            else:
                v = validate_plan(sc, p, TARGETS, reps=VALIDATION_REPS, seed=VALIDATION_SEED, engine=args.engine)
                slack, _ = fresh.stats(p.agents, True)
                per_interval[f"{name} agents"] = p.agents.sum(axis=0)
            v["plan"] = name
            per_interval[f"{name} met with confidence"] = slack >= 0
            v["intervals_met_with_confidence"] = int((slack >= 0).sum() - (sc.n_intervals - v["busy_intervals"]))
            v["missed_with_confidence"] = " ".join(per_interval["start"][slack < 0])
            vals.append(v)
            rows.append([name, fmt("cost", v["cost"]), fmt("service_level", v["service_level"]),
                         fmt("abandon_rate", v["abandon_rate"]), fmt("service_level", v["worst_interval_service_level"]),
                         f"{v['intervals_met_on_average']}/{v['busy_intervals']}",
                         f"{v['intervals_without_significant_miss']}/{v['busy_intervals']}",
                         f"{v['intervals_met_with_confidence']}/{v['busy_intervals']}"])
            progress("validating", k)
    show(f"silo: validated on {VALIDATION_REPS} fresh days (seed {VALIDATION_SEED})", rows,
         ["staffing", "cost", "in 20 s", "abandoned", "in 20 s, worst interval", "met on average",
          "no significant miss", "met with confidence"])
    console.print("in 20 s: service level at the first queue; the last three count busy intervals meeting both "
                  "targets: by the mean, without a miss at 95% (Bonferroni), by the planner's test (pessimistic "
                  "end of the 95% CI)", markup=False, highlight=False)
    pd.DataFrame(vals).set_index("plan").to_csv(args.out / "validation.csv")
    per_interval.to_csv(args.out / "intervals.csv", index=False)
    for v in vals:
        if v["missed_with_confidence"]:
            console.print(f"{v['plan']}: misses by the planner's test on the fresh days at {v['missed_with_confidence']}",
                          markup=False, highlight=False)
    ratio = tot["roster_cost"] / tot["plan_cost"]
    surplus = np.sum([rosters[g].surplus.sum() for g in rosters]) * sc.interval / 3600
    console.print(f"The price of shifts: the cheapest roster pays {tot['roster_agent_hours']:,.0f} agent-hours for the "
                  f"plan's {tot['plan_agent_hours']:,.0f} ({surplus:,.0f} more, {fmt('cost', tot['roster_cost'] - tot['plan_cost'], True)} "
                  f"a day, x{ratio:.3f}); repairing it in simulation took {rounds} round{'s' * (rounds != 1)} and "
                  f"{fmt('cost', tot['repaired_cost'] - tot['roster_cost'], True)} more.", markup=False, highlight=False)
    paid = roster_pay(staffed["repaired as worked"])
    agents = {g: int(r.counts.sum()) for g, r in worked.items()}
    got = {v["plan"]: v for v in vals}
    console.print(f"Worked as shifts (standard breaks: 15 min paid in each half, 30 min unpaid lunch; {ABSENTEEISM:.0%} "
                  f"absent), the repaired roster meets both targets on average in "
                  f"{got[f'as shifts, breaks, {ABSENTEEISM:.0%} absent']['intervals_met_on_average']} of "
                  f"{got[f'as shifts, breaks, {ABSENTEEISM:.0%} absent']['busy_intervals']} busy intervals on the fresh days. "
                  f"Repaired as worked ({worked_rounds} rounds): {sum(agents.values())} agents rostered against "
                  f"{tot['repaired_agents']:.0f}, paid {fmt('cost', paid)} a day ({paid / tot['plan_cost'] - 1:+.1%} on the "
                  f"per-interval plan), meeting both targets on average in {got['repaired as worked']['intervals_met_on_average']}"
                  f" of {got['repaired as worked']['busy_intervals']}.", markup=False, highlight=False)
    pd.DataFrame([{"group": g, "agents": agents[g], "rounds": worked_rounds} for g in agents]).to_csv(
        args.out / "repaired_as_worked.csv", index=False)
    console.print(f"{time.perf_counter() - t0:.0f} s; results in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
