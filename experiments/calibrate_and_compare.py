"""From a call log to the silo vs team question: calibrate the demand, show it fits, then compare the designs
on the calibrated callers.

1. Calibrate the bundled synthetic log (experiments/data/call_log.parquet, made by make_call_log.py from
   stated parameters) or your own (``--log``): arrivals by interval and day type, busyness, handle time,
   patience from censored waits, IVR time, redials, agents present.
2. Recovered vs stated: every stated parameter against its estimate and 95% CI.
3. Backtest: the calibrated weekday simulated with the agents the log shows, against the log, by interval.
4. Silo vs team on the calibrated demand: silo.toml and team.toml with their demand's volumes, busyness,
   handle times (talk + after-call work, which the log does not separate), patience and redials replaced by
   the calibrated ones; what a call log cannot show (misroutes, second needs, resolution, callbacks) stays
   as in experiments/scenarios/demand/day.toml. Paired on the same callers.
Writes results/calibrate_and_compare/ (scenario.toml, calibration.html, the two runs).

    python experiments/calibrate_and_compare.py [--reps 10] [--log calls.csv --format generic]

Measured with the numba engine on a 2-core machine, defaults: about 15 s.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from _common import HERE, SCENARIOS, console, fmt, labels, parse_args, show

import ccsim
from ccsim.calibrate import backtest, calibrate
from ccsim.calllog import call_log_from_frame, read_call_log
from ccsim.kpis import clear, paired_difference

import make_call_log as made

KPIS = ["offered", "service_level", "service_level_caller", "abandon_rate", "asa", "fcr", "occupancy", "cost"]


def _ci(x: float, lo: float, hi: float) -> str:
    return f"{x:,.4g} [{lo:,.4g}, {hi:,.4g}]"


def recovered_rows(cal) -> list[list[str]]:
    """Stated parameters of make_call_log.py against their estimates and 95% CIs (the bundled log only)."""
    return recovered_rows_of(cal.summary(), cal)


def recovered_rows_of(est, cal) -> list[list[str]]:
    """The rows of :func:`recovered_rows` from a calibration's estimates ``est``."""

    def row(label: str, stated: float, topic: str, ct: str, name: str, day: str = "") -> list[str] | None:
        r = est[(est["topic"] == topic) & (est["call_type"] == ct) & (est["name"] == name) & (est["day_type"] == day)]
        if not len(r):
            return None
        r = r.iloc[0]
        inside = r["ci_low"] <= stated <= r["ci_high"]
        return [label, f"{stated:,.4g}", _ci(r["value"], r["ci_low"], r["ci_high"]), "yes" if inside else "no"]

    rows = []
    for ct, st in made.STATED.items():
        rows += [row(f"{ct}: handle time {k}", st["talk"][k], "handle", ct, k) for k in ("mean", "cv")]
        pat = st["patience"]
        rows += [row(f"{ct}: patience, {pat['dist']} {k}", v, "patience", ct, f"{pat['dist']} {k}")
                 for k, v in pat.items() if k != "dist"]
        rows.append(row(f"{ct}: redial probability", made.REDIAL_PROB, "redial", ct, "prob"))
        rows.append(row(f"{ct}: redial delay mean", made.REDIAL_MEAN, "redial", ct, "delay mean"))
    rows += [row(f"busyness cv ({day})", made.BUSYNESS_CV, "busyness", "", "cv", day) for day in cal.day_types()]
    base = ccsim.load_scenario(SCENARIOS / "silo.toml").demand.call_types
    for day, factor in (("weekday", 1.0), ("weekend", made.WEEKEND_FACTOR)):
        a = est[(est["topic"] == "arrivals") & (est["day_type"] == day)]
        if not len(a):
            continue
        stated = {(ct, f"volume {i // 2:02d}:{i % 2 * 30:02d}"): v * factor for ct, c in base.items()
                  for i, v in enumerate(c.volume or [])}
        got = [(stated[(r.call_type, r.name)], r.ci_low, r.ci_high) for r in a.itertuples() if (r.call_type, r.name) in stated]
        inside = sum(lo <= v <= hi for v, lo, hi in got)
        rows.append([f"first contacts per interval ({day})", f"{len(got)} intervals", f"{inside} in their CI",
                     f"{inside / max(len(got), 1):.0%}"])
    rows.append(row("IVR time", made.IVR_SECONDS, "ivr", "", "mean time"))
    return [r for r in rows if r is not None]


def with_calibrated_demand(sc: ccsim.Scenario, cal) -> ccsim.Scenario:
    """``sc`` with the calibrated volumes, busyness, handle times, patience and redials of its call types."""
    got = cal.scenario_dict()["demand"]
    d = sc.model_dump(mode="json")
    dem = d["demand"]
    dem["busyness_cv"] = got["busyness_cv"]
    for name, ct in dem["call_types"].items():
        g = got["call_types"].get(name)
        if g is None:
            continue
        ct["volume"] = g["volume"]
        ct.pop("arrival_rate", None)
        ct["patience"] = g.get("patience")
        for k in ("redial_prob", "redial_delay"):
            if k in g:
                ct[k] = g[k]
        dem["work"][name] = {"talk": got["work"][name]["talk"], "acw": 0}
    d["name"] = f"{sc.name} on calibrated demand"
    return ccsim.scenario_from_dict(d)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, "calibrate_and_compare", argv, extra=[
        (("--log",), {"type": Path, "default": HERE / "data" / "call_log.parquet", "help": "call log to calibrate"}),
        (("--format",), {"default": "generic", "help": "log format: generic or anonymous-bank"})])
    t0 = time.perf_counter()
    log = read_call_log(args.log, format=args.format)
    cal = calibrate(log)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scenario.toml").write_text(cal.to_toml(), encoding="utf-8")
    console.print(f"calibrated {log.n_calls:,} calls of {args.log.name}: day types {cal.day_type}, "
                  f"the scenario is the '{cal.day}' day -> {args.out / 'scenario.toml'}", highlight=False)
    bundled = args.log.resolve() == (HERE / "data" / "call_log.parquet").resolve()
    if bundled:
        rows = recovered_rows(cal)
        show("Stated (make_call_log.py) vs calibrated, 95% CI", rows, ["parameter", "stated", "calibrated", "in CI"])
        judged = [r for r in rows if r[-1] in ("yes", "no")]
        inside = sum(r[-1] == "yes" for r in judged)
        console.print(f"{inside} of {len(judged)} stated parameters lie in their 95% CI (about 95% expected).",
                      highlight=False)
        missed = [r[0] for r in judged if r[-1] == "no"]
        if missed:  # the log's times are whole seconds, as ACDs record them: the same days before rounding
            exact = calibrate(call_log_from_frame(made.make_log(made.WEEKS, made.SEED))).summary()
            again = [r for r in recovered_rows_of(exact, cal) if r[0] in missed]
            show("The parameters missed, calibrated from the same days before times were rounded to whole seconds",
                 again, ["parameter", "stated", "calibrated", "in CI"])

    bt = backtest(log, cal, reps=args.reps, seed=1, engine=args.engine)
    rows = []
    for k in ("service_level", "abandon_rate", "asa"):
        b = bt[(bt["kpi"] == k) & bt["agrees"].notna()]
        off = b[~b["agrees"].astype(bool)]
        rows.append([labels([k])[0], f"{len(b) - len(off)} of {len(b)}",
                     "; ".join(f"{r.start}: {r.why}" for r in off.head(3).itertuples()) or "-"])
    show(f"Backtest: observed mean over the log's {cal.day} days within the simulated band ({args.reps} reps)",
         rows, ["KPI", "intervals", "first disagreements (why)"])
    try:
        from ccsim.report.calibration import write_calibration_page
        write_calibration_page(log, cal, bt, args.out / "calibration.html")
        console.print(f"calibration report: {args.out / 'calibration.html'}", highlight=False)
    except ImportError:
        pass

    silo = with_calibrated_demand(ccsim.load_scenario(SCENARIOS / "silo.toml"), cal)
    team = with_calibrated_demand(ccsim.load_scenario(SCENARIOS / "team.toml"), cal)
    runs = {}
    for name, sc in (("silo", silo), ("team", team)):
        runs[name] = ccsim.simulate(sc, engine=args.engine, reps=args.reps, seed=1, keep_calls=False)
        runs[name].save(args.out / name)
    diff = paired_difference(runs["silo"].kpis, runs["team"].kpis)
    rows = []
    for k in KPIS:
        a, b = runs["silo"].kpis[k].mean(), runs["team"].kpis[k].mean()
        lo, hi = diff.loc[k, "ci_low"], diff.loc[k, "ci_high"]
        d = (f"{fmt(k, diff.loc[k, 'diff'], diff=True)} [{fmt(k, lo, diff=True)}, {fmt(k, hi, diff=True)}]"
             if clear(lo, hi) else "no clear difference")
        rows.append([labels([k], silo.sl_threshold)[0], fmt(k, a), fmt(k, b), d])
    show(f"Silo vs team on the calibrated demand ({args.reps} days, seed 1, same callers)", rows,
         ["KPI", "silo", "team", "team - silo, paired 95% CI"])
    console.print(f"done in {time.perf_counter() - t0:.0f} s; results in {args.out}/", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
