"""Silos with cold transfers vs cross-functional teams with warm handoffs: same callers, same headcount, each
design staffed with its own best split of that headcount.

A design's figures at a headcount depend on how that headcount is split across its groups, so comparing two
designs at the planned split compares two arbitrary splits as much as two designs. First, for each design,
ccsim.split finds the best split of the planned headcount (a share per group, the same in every interval,
every interval keeping its total; objective: service level over the caller's whole wait, near-ties broken
by abandonment), searched on fresh days (seed + 20,000) and adopted only when it beats the plan with a paired
95% CI on other fresh days (seed + 30,000). Then the sweep crosses the two re-staffed designs with headcount
from 85% to 110% (design.staffing_scale on the best split: the same shares at every level), seed and levels
from experiments/sweeps/silo_vs_team.toml (which stays the comparison *as planned*). Replication r of every
point faces the very same callers (common random numbers), so each team point is compared with the silo
point of the same headcount, paired.

Writes results/silo_vs_team/: the comparison (tidy Parquet table + manifest, for `ccsim report`), the search
evidence (split_<design>.csv, the search sweeps in split/), and the re-staffed scenarios with a sweep file
`ccsim sweep` runs (best_split/).

    python experiments/silo_vs_team.py [--reps 10] [--engine numba]

The split search uses twice --reps days per candidate. Measured with the numba engine on a 2-core machine,
defaults: 41 s on engine v2 (split search 37 s: silo 110 candidates, team 19, 20 days each; comparison 3 s: 12 points x 10
days); 1 min 50 s while other work kept both cores busy (load average 4).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import tomli_w
from _common import HERE, console, fmt, label, labels, parse_args, run_sweep, show, stage_progress, wide

import ccsim
from ccsim.kpis import REGISTRY, clear
from ccsim.split import OBJECTIVE, TIE_BREAK, Split, best_split, staffing_matrix
from ccsim.sweep import DESIGN, Sweep, load_sweep

KPIS = ["service_level", "service_level_caller", "abandon_rate", "asa", "asa_caller", "transfers_per_call",
        "handoffs_per_call", "reexplanations_per_call", "fcr", "first_contact_abandon_rate", "offered",
        "time_in_system_answered", "time_in_system_abandoned", "occupancy", "cost"]

TABLE = ["service_level", "service_level_caller", "abandon_rate", "asa", "reexplanations_per_call", "fcr",
         "time_in_system_answered", "cost"]

SCALE = "design.staffing_scale"


def ci_text(k: str, d, lo, hi) -> str:
    return f"{fmt(k, d, True)} [{fmt(k, lo, True)}, {fmt(k, hi, True)}]"


def reading(k: str, d, lo, hi, a: str, b: str) -> str:
    """What a paired difference (b - a) says: no clear difference when its CI spans zero."""
    if not clear(lo, hi):
        return "no clear difference"
    better = REGISTRY[k].better if k in REGISTRY else 0
    if better == 0:
        return f"higher for {b}" if d > 0 else f"lower for {b}"
    return f"{b} better" if d * better > 0 else f"{a} better"


def find_splits(base: ccsim.Scenario, designs: dict, reps: int, seed: int, engine: str,
                out: Path) -> dict[str, Split]:
    splits = {}
    for lab, design in designs.items():
        t0 = time.perf_counter()
        sc = base.with_design(design)
        if sc.name != lab:  # the other designs face the base's demand: name their scenario after them
            sc = sc.override({"name": lab, "description": f"the {lab} design facing the demand of {base.name}"})
        with stage_progress(f"best split of {lab}:") as prog:
            sp = best_split(sc, reps=reps, seed=seed, engine=engine, out=out / "split" / lab,
                            progress=lambda stage, d, n: prog(stage, f"{d}/{n} days"))
        splits[lab] = sp
        sp.evidence.to_csv(out / f"split_{lab}.csv", index=False)
        show_split(lab, sc, sp, time.perf_counter() - t0)
    return splits


def show_split(lab: str, sc: ccsim.Scenario, sp: Split, secs: float) -> None:
    thr = sc.sl_threshold
    before, after = staffing_matrix(sc), staffing_matrix(sp.scenario)
    peak = int(before.sum(axis=0).argmax())
    rows = [[g, f"{a:.1%}", f"{b:.1%}", f"{before[i, peak]} -> {after[i, peak]}"]
            for i, (g, (a, b)) in enumerate(sp.shares().items())]
    n_cand = int((sp.evidence["stage"] != "today").sum())
    show(f"{lab}: best split of the planned headcount ({n_cand} candidate splits, {sp.reps} days each, seed "
         f"{sp.search_seed}; confirmed on {sp.reps} other days, seed {sp.confirm_seed}; {secs:.0f} s)",
         rows, ["group", "planned share", "best share", f"agents at the peak ({peak // 2:02d}:{peak % 2 * 30:02d})"])
    c = sp.confirmation
    gains = "; ".join(f"{label(k, thr)} {ci_text(k, *c.loc[k, ['diff', 'ci_low', 'ci_high']])}"
                      for k in (OBJECTIVE, "service_level", TIE_BREAK))
    console.print(f"{lab}, best split - plan (paired, 95% CI, fresh days): {gains}. {sp.notes[-1]}.",
                  markup=False, highlight=False)
    for note in sp.notes[:-1]:
        console.print(f"{lab}: {note}", markup=False, highlight=False)


def write_best_split(splits: dict[str, Split], planned: Sweep, out: Path) -> Sweep:
    """The comparison at the best split, as a sweep; its scenarios and a sweep file `ccsim sweep` runs, in out/."""
    folder = out / "best_split"
    folder.mkdir(parents=True, exist_ok=True)
    scen = {}
    for lab, sp in splits.items():
        shares = ", ".join(f"{g} {b:.1%}" for g, (_, b) in sp.shares().items())
        sc = sp.scenario.model_copy(update={"description": (sp.scenario.description + f" [best split: {shares}]"
                                                             if sp.adopted else sp.scenario.description)})
        scen[lab] = sc = ccsim.scenario_from_dict(sc.model_dump(mode="python"))
        head = (f"# {lab} re-staffed with its best split of the planned headcount, found by "
                f"experiments/silo_vs_team.py\n# ({sp.notes[-1]}).\n")
        (folder / f"{lab}.toml").write_text(head + tomli_w.dumps(sc.model_dump(mode="json", exclude_none=True)))
    first = next(iter(scen))
    sweep = Sweep(name="silo_vs_team_best_split", base=scen[first],
                  factors={DESIGN: {lab: sc.design for lab, sc in scen.items()}, SCALE: list(planned.factors[SCALE])},
                  reps=planned.reps, seed=planned.seed, engine=planned.engine, baseline=planned.baseline)
    q = json.dumps  # a TOML basic string is a JSON string
    (folder / "silo_vs_team.toml").write_text(
        "# Silos vs teams, each at its own best split of the planned headcount (written by\n"
        "# experiments/silo_vs_team.py: the same sweep as its comparison).\n"
        f"# Run:  ccsim sweep {folder / 'silo_vs_team.toml'}\n"
        f"name = {q(sweep.name)}\nbase = {q(first + '.toml')}\nreps = {sweep.reps}\nseed = {sweep.seed}\n"
        f"baseline = {{ design = {q(planned.baseline[DESIGN])} }}\n\n[factors]\n"
        "design = { " + ", ".join(f"{q(lab)} = {q(lab + '.toml')}" for lab in scen) + " }\n"
        f"{q(SCALE)} = {q(list(sweep.factors[SCALE]))}\n")
    return sweep


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, "silo_vs_team", argv)
    t_start = time.perf_counter()
    try:
        planned = load_sweep(HERE / "sweeps" / "silo_vs_team.toml", engine=args.engine)
        planned.reps = args.reps
        args.out.mkdir(parents=True, exist_ok=True)
        console.print(f"Best split of the planned headcount for each design: comparison seed {planned.seed}, "
                      f"search and confirmation {2 * args.reps} days per candidate", markup=False, highlight=False)
        splits = find_splits(planned.base, planned.factors[DESIGN], 2 * args.reps, planned.seed, args.engine,
                             args.out)
        sweep = write_best_split(splits, planned, args.out)
        res, secs = run_sweep(sweep, args.out)
    except ccsim.InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    thr = sweep.base.sl_threshold
    pts = res.points.set_index("point")
    mean = wide(res.summary(), KPIS)
    paired = res.paired()
    rows = []
    for p in pts.index:
        sc = sweep.scenario_at(sweep.points()[p])
        hours = sum(sum(g.staffing_profile(sc.n_intervals, sc.design.staffing_scale))
                    for g in sc.design.groups.values()) * sc.interval / 3600
        rows.append([pts.loc[p, DESIGN], f"{pts.loc[p, SCALE]:.0%}", f"{hours:,.0f}",
                     *[fmt(k, mean.loc[p, k]) for k in TABLE]])
    show(f"Silo vs team by headcount, each at its best split ({sweep.reps} days each, seed {sweep.seed}, "
         f"engine {args.engine}, {secs:.0f} s)", rows, ["design", "staffing", "agent-hours", *labels(TABLE, thr)])
    at = pts[(pts[DESIGN] == "team") & (pts[SCALE] == 1.0)].index[0]
    d = paired[paired["point"] == at].set_index("kpi")
    rows = [[label(k, thr), ci_text(k, *d.loc[k, ["diff", "ci_low", "ci_high"]]),
             reading(k, *d.loc[k, ["diff", "ci_low", "ci_high"]], "silo", "team")] for k in KPIS]
    show("Team - silo at the planned headcount, each at its best split (paired by replication, 95% CI)", rows,
         ["KPI", "difference [95% CI]", "reading"])

    def say(k: str, r) -> str:
        if not clear(r["ci_low"], r["ci_high"]):
            return f"no clear difference in {label(k, thr).lower()} ({ci_text(k, *r[['diff', 'ci_low', 'ci_high']])})"
        return f"{label(k, thr).lower()} {ci_text(k, *r[['diff', 'ci_low', 'ci_high']])}"

    summary = ("service_level_caller", "service_level", "abandon_rate", "reexplanations_per_call", "fcr",
               "time_in_system_answered", "cost")
    console.print("At the planned headcount, each design at its best split, teams minus silos: "
                  + "; ".join(say(k, d.loc[k]) for k in summary) + ".", markup=False, highlight=False)
    # equal cost: the largest team headcount costing no more a day than silos at the planned headcount
    silo_at = pts[(pts[DESIGN] == "silo") & (pts[SCALE] == 1.0)].index[0]
    cheaper = [p for p in pts.index
               if pts.loc[p, DESIGN] == "team" and mean.loc[p, "cost"] <= mean.loc[silo_at, "cost"]]
    if cheaper:
        p = max(cheaper, key=lambda q: pts.loc[q, SCALE])
        e = res.paired(baseline=silo_at)
        e = e[e["point"] == p].set_index("kpi")
        console.print(f"At no more cost: teams at {pts.loc[p, SCALE]:.0%} of the planned headcount "
                      f"({fmt('cost', mean.loc[p, 'cost'])} a day) minus silos at 100% "
                      f"({fmt('cost', mean.loc[silo_at, 'cost'])}), paired: "
                      + "; ".join(say(k, e.loc[k]) for k in summary) + ".", markup=False, highlight=False)
    console.print(f"results in {args.out}/ (results.parquet: one row per point x replication x KPI or interval; "
                  f"manifest.json; split_<design>.csv: every candidate split; best_split/: the re-staffed "
                  f"scenarios and a sweep file); {time.perf_counter() - t_start:.0f} s in all", markup=False,
                  highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
