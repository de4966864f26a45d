"""Where the difference between silos and teams comes from: menu depth, transfer mode, organisation, ownership.

silo.toml and team.toml differ in four levers at once: (1) menu depth (3 IVR levels x 20 s vs 1 x 15 s),
(2) transfer mode (cold transfers, each losing context: resolution x0.85, vs warm handoffs), (3) organisation
(three departments vs triage + technical specialists: queues, groups, routes, the staffing split and the
costs; the same total headcount in every interval; each design at its own best split of that headcount, found
by ccsim.split as in silo_vs_team.py, unless --planned-split) and (4) ownership (resolution_factor 1.0 vs 1.1). The
experiment crosses them: 2^4 = 16 designs in one sweep with one seed, so replication r of every design faces
the very same callers (common random numbers). Each KPI's total difference team - silo is split among the
levers by the Shapley value (each lever's average marginal contribution over the 24 orders of switching the
levers; the contributions add up exactly to the total), per replication, then summarised with a Student-t
95% CI; the main effects and two-factor interactions of the 2^4 design are reported the same way. A term
whose CI spans zero is reported as "no clear effect".

Warm handoffs in the silo organisation: warm on every route would let two departments hold callers for each
other (a warm cycle, rejected by validation: held agents could wait on each other for ever). The closest valid
meaning keeps warm the route to technical agents (the one the team design hands off on) and leaves the
billing and sales routes cold, with cold's context loss; the output states it (ccsim.attribution.plan).

Writes results/attribution/: the sweep (results.parquet + manifest.json), attribution.parquet (tidy: one row
per KPI x term, with mean and 95% CI) and attribution.html (a waterfall per key KPI, for leadership).

    python experiments/attribution.py [--reps 10] [--engine numba]

Measured with the numba engine on a 2-core machine (busy), defaults: the two best-split searches about 40 s on a
first run (read back from results/attribution/split/ afterwards), then 12-15 s for the sweep (16 designs x 10
days) and a few seconds for the page: 33 s in all on engine v2; a fresh environment adds the numba compile (about 45 s).
"""
from __future__ import annotations

import sys

from _common import SCENARIOS, console, fmt, label, parse_args, run_sweep, show, stage_progress

import ccsim
from ccsim.attribution import TABLE_FILE, attribute, plan
from ccsim.report.attribution import PAGE_FILE, write_page
from ccsim.split import best_split

SEED = 1
#: the KPIs the tables and the page tell
KEY = ["service_level", "abandon_rate", "asa", "fcr", "time_in_system_answered", "cost", "reexplanations_per_call"]


def cell(kpi: str, row, ci: bool = True, unclear: str = "no clear effect") -> list[str]:
    """A term's value and CI for the table: ``unclear`` instead of the value when the CI spans zero."""
    value = fmt(kpi, row["mean"], True) if row["clear"] else unclear
    return [value, f"[{fmt(kpi, row['ci_low'], True)}, {fmt(kpi, row['ci_high'], True)}]"] if ci else [value]


def at_best_split(sc: ccsim.Scenario, args) -> ccsim.Scenario:
    """``sc`` re-staffed with its best split of the same headcount (ccsim.split; the flagship's search)."""
    with stage_progress(f"best split of {sc.name}:") as prog:
        sp = best_split(sc, seed=SEED, engine=args.engine, out=args.out / "split" / sc.name,
                        progress=lambda stage, d, n: prog(stage, f"{d}/{n} days"))
    shares = (", ".join(f"{g} {a:.1%} -> {b:.1%}" for g, (a, b) in sp.shares().items()) if sp.adopted
              else "kept as planned (no split beat it with a paired CI)")
    console.print(f"{sc.name} at its best split of the planned headcount: {shares}", markup=False, highlight=False)
    return sp.scenario


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, "attribution", argv, extra=[
        (("--planned-split",), {"action": "store_true", "help": "keep each design's planned split of the headcount"})])
    try:
        silo = ccsim.load_scenario(SCENARIOS / "silo.toml")
        team = ccsim.load_scenario(SCENARIOS / "team.toml")
        if not args.planned_split:  # each design at its own best split of the headcount, as the flagship
            silo, team = (at_best_split(sc, args) for sc in (silo, team))
        corners = plan(silo, team)
        sweep = corners.sweep("attribution", reps=args.reps, seed=SEED, engine=args.engine)
        res, secs = run_sweep(sweep, args.out)
    except ccsim.ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    att = attribute(res, corners)
    thr = silo.sl_threshold
    kpis = [k for k in KEY if k in att.kpis]
    show("The four levers", [[lv.label, *att.levels[lv.key]] for lv in att.levers], ["lever", "silo", "team"])
    for note in att.notes:
        console.print(f"Choice made: {note}.")
    rows = []
    for k in kpis:
        rows.append([f"[bold]{label(k, thr)}[/bold]: team - silo", *cell(k, att.total(k), unclear="no clear difference"), ""])
        c, main = att.contributions(k), att.rows(k, "main")
        rows += [[f"   {lv.label}", *cell(k, c.loc[lv.key]), *cell(k, main.loc[lv.key], ci=False)] for lv in att.levers]
    show(f"Team - silo split among the levers (Shapley, paired by replication, 95% CI; seed {SEED}, "
         f"{att.reps} days, {secs:.0f} s)", rows, ["KPI / lever", "difference", "95% CI", "main effect"])
    for k in kpis:
        console.print(att.sentence(k))
    rows, quiet = [], 0
    for k in kpis:
        inter = att.rows(k, "interaction")
        quiet += int((~inter["clear"]).sum())
        rows += [[label(k, thr), r["label"], *cell(k, r)] for _, r in inter[inter["clear"]].iterrows()]
    show("Two-factor interactions whose 95% CI excludes zero (+-1 contrasts of the 2^4 design, paired)", rows,
         ["KPI", "interaction", "effect", "95% CI"])
    console.print(f"The other {quiet} two-factor interactions of these KPIs: no clear effect.")
    att.save(args.out)
    write_page(att, args.out / PAGE_FILE, kpis=kpis)
    console.print(f"results in {args.out}/ (results.parquet and manifest.json: the sweep; {TABLE_FILE}: every KPI's "
                  f"total, contributions, main effects and interactions with 95% CIs; {PAGE_FILE}: the page)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
