"""Silos with cold transfers vs cross-functional teams with warm handoffs: same callers, same headcount.

Runs experiments/scenarios/silo.toml and team.toml (one day, 48 half-hour intervals) with the same seed,
so replication r of both designs faces the very same callers, and reports each design's KPIs and the
paired difference (team - silo) with 95% confidence intervals. Writes results/silo_vs_team/.

    python experiments/silo_vs_team.py [--reps 10] [--seed 1] [--engine simpy]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

import ccsim
from ccsim.metrics import paired_difference

HERE = Path(__file__).resolve().parent
SHOW = ["offered", "service_level", "asa", "abandon_rate", "mean_wait", "transfers_per_call", "handoffs_per_call",
        "reexplanations_per_call", "fcr", "repeat_contacts", "mean_time_in_system", "occupancy", "cost"]
PCT = {"service_level", "abandon_rate", "fcr", "occupancy"}


def fmt(kpi: str, v: float, diff: bool = False) -> str:
    if kpi in PCT:
        return f"{100 * v:+.1f} pts" if diff else f"{v:.1%}"
    if kpi in ("cost", "offered", "repeat_contacts"):
        return f"{v:,.0f}"
    if kpi in ("asa", "mean_wait", "mean_time_in_system"):
        return f"{v:.1f} s"
    return f"{v:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", default="simpy")
    ap.add_argument("--out", type=Path, default=Path("results") / "silo_vs_team")
    args = ap.parse_args(argv)
    console = Console()
    try:
        silo = ccsim.load_scenario(HERE / "scenarios" / "silo.toml")
        team = ccsim.load_scenario(HERE / "scenarios" / "team.toml")
        t0 = time.perf_counter()
        res = {}
        for sc in (silo, team):
            console.print(f"simulating {sc.name}: {args.reps} days ...")
            res[sc.name] = ccsim.simulate(sc, engine=args.engine, reps=args.reps, seed=args.seed)
            res[sc.name].save(args.out / sc.name)
        elapsed = time.perf_counter() - t0
    except ccsim.ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    s, t = res["silo"].summary(), res["team"].summary()
    diff = paired_difference(res["silo"].kpis, res["team"].kpis)
    table = Table(title=f"Silo vs team, same callers and headcount ({args.reps} days, seed {args.seed}, "
                        f"engine {args.engine}, {elapsed:.0f} s)")
    for col in ("KPI", "silo", "team", "team - silo (95% CI, paired)"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for k in SHOW:
        d = diff.loc[k]
        table.add_row(k, fmt(k, s.loc[k, "mean"]), fmt(k, t.loc[k, "mean"]),
                      f"{fmt(k, d['diff'], True)} [{fmt(k, d['ci_low'], True)}, {fmt(k, d['ci_high'], True)}]")
    console.print(table)
    comparison = pd.concat({"silo": s, "team": t}, axis=1)
    comparison.to_csv(args.out / "comparison.csv")
    diff.to_csv(args.out / "paired_difference.csv")
    console.print(f"results in {args.out}/ (silo/, team/: per-call records, KPIs, intervals as Parquet; "
                  f"comparison.csv, paired_difference.csv)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
