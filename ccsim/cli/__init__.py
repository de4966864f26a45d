"""The ``ccsim`` command line: run a scenario, validate it, or compute Erlang A/C for comparison.

Bad input (an :class:`~ccsim.errors.InputError`, bad Erlang inputs) prints one ``error: ...`` line to stderr and
exits with code 2; anything unexpected prints ``error: internal error: ...`` and exits with code 1. Output piped
to a reader that stops early (``| head``) ends quietly, with code 1 (as click ends it).
"""
from __future__ import annotations

import json
import math
import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from ..config import Scenario, load_scenario, overload_warning, with_currency
from ..tomlfile import TIME_HELP, parse_overrides, parse_seconds
from ..demand import expected_arrivals
from ..engines import DEFAULT_ENGINE, ENGINES
from ..erlang import erlang_a as erlang_kpis, required_agents
from ..errors import InputError, OptionError
from .. import kpis
from ..limits import DAY
from ..progress import LazyProgress, StageProgress
from ..results import Results
from ..simulate import simulate

app = typer.Typer(name="ccsim", help="Discrete-event simulation of call centers.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)


ScenarioArg = Annotated[Path, typer.Argument(help="Scenario TOML file.", show_default=False)]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", metavar="PATH=VALUE", show_default=False,
    help="Override a scenario field (repeatable), e.g. --set design.groups.tech.staffing=12")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout instead of a table.")]


# --------------------------------------------------------------------------- errors
def _fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` as a single line on stderr; return the Exit to raise."""
    typer.echo("error: " + " ".join(line.strip() for line in message.splitlines()), err=True)
    return typer.Exit(code)


@contextmanager
def _errors(*user_errors: type[Exception]) -> Iterator[None]:
    """Turn ``user_errors`` into exit code 2 and anything unexpected into exit code 1, without a traceback."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except BrokenPipeError:  # the reader went away (`ccsim erlang ... | head -3`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # so that flushing stdout at exit cannot fail again
        raise typer.Exit(1) from None  # the code click gives a broken pipe it meets itself
    except user_errors as e:
        raise _fail(str(e), 2) from None
    except Exception as e:
        if os.environ.get("CCSIM_DEBUG"):
            raise
        exc = _fail(f"internal error: {type(e).__name__}: {e}", 1)
        typer.echo("This is a bug in ccsim: please report it with the command you ran "
                   "(set CCSIM_DEBUG=1 to see the traceback).", err=True)
        raise exc from None


# --------------------------------------------------------------------------- formatting
def _num(v: Any) -> float | None:
    """A float for JSON: NaN and infinities become None (null)."""
    v = float(v)
    return v if math.isfinite(v) else None


def _duration(seconds: float) -> str:
    """``86400`` -> ``24 h``, ``1800`` -> ``30 min``."""
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _clock(seconds: float, multi_day: bool = False) -> str:
    """A time of day for people: ``66600`` -> ``18:30``; with ``multi_day``, ``d2 18:30`` (day 2)."""
    day, rest = divmod(int(seconds // 60), 1440)
    return (f"d{day + 1} " if multi_day else "") + f"{rest // 60:02d}:{rest % 60:02d}"


def _kpi_text(name: str, v: float, currency: str = "", diff: bool = False) -> str:
    """A KPI value as the registry formats it, money with the scenario's currency."""
    text = kpis.format(name, v, diff)
    return with_currency(text, currency) if kpis.REGISTRY.get(name) and kpis.REGISTRY[name].unit == "money" else text


def _summary_table(summary: pd.DataFrame, title: str, thr: float, currency: str = "") -> Table:
    """KPI (the registry's label) | mean | 95% CI."""
    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    for kpi, row in summary.iterrows():
        ci = ("–" if math.isnan(row.ci_low) else
              f"{_kpi_text(kpi, row.ci_low, currency)} – {_kpi_text(kpi, row.ci_high, currency)}")
        table.add_row(kpis.label(kpi, thr), _kpi_text(kpi, row["mean"], currency), ci)
    return table


#: the columns of the command line's table by call type
TYPE_COLUMNS = ("offered", "service_level", "abandon_rate", "asa", "block_rate", "messages", "disconnected",
                "vhold_accepted", "unreached")


def _call_type_table(by_type: pd.DataFrame) -> Table:
    """Mean over replications by call type: offered, service level at the type's threshold, abandonment, ASA,
    and the other ways callers are lost when they happen."""
    cols = [c for c in TYPE_COLUMNS if c in ("offered", "service_level", "abandon_rate", "asa") or (by_type[c] > 0).any()]
    table = Table(title="by call type (mean over replications)")
    table.add_column("call type")
    for c in cols:
        table.add_column(kpis.REGISTRY[c].label.replace(" ({thr} s)", ""), justify="right")
    for ct, row in by_type.iterrows():
        table.add_row(f"{ct} ({row['sl_threshold']:g} s)", *(kpis.format(c, row[c]) for c in cols))
    return table


def _next(command: str, *paths: Path | str, err: bool = False) -> None:
    """Print the command to run next (``next: ccsim report results/x``), paths quoted for a shell."""
    typer.echo(f"next: {command} " + " ".join(shlex.quote(str(p)) for p in paths), err=err)


def _summary_json(summary: pd.DataFrame) -> str:
    """``{"kpis": {name: {"mean", "ci_low", "ci_high"}}}`` with NaN as null."""
    kpis = {kpi: {k: _num(row[k]) for k in ("mean", "ci_low", "ci_high")} for kpi, row in summary.iterrows()}
    return json.dumps({"kpis": kpis}, allow_nan=False)


def _describe(sc: Scenario) -> str:
    """One paragraph: horizon, intervals, call types, skills, queues, groups and transfer mode."""
    d, g = sc.demand, sc.design
    groups = ", ".join(f"{name} ({'/'.join(gr.speed())}, peak {max(gr.staffing_profile(sc.n_intervals))} agents)"
                       for name, gr in g.groups.items())
    modes: dict[str, list[str]] = {}
    for skill in d.skills:
        modes.setdefault(g.route(skill)[2], []).append(skill)
    transfer = next(iter(modes)) if len(modes) == 1 else "; ".join(f"{m} for {', '.join(s)}" for m, s in modes.items())
    warmup = f", warm-up {_duration(sc.warmup)}" if sc.warmup else ""
    multi = sc.horizon > DAY

    def window(start: float, end: float) -> str:
        return f"from {_clock(start, multi)} to {_clock(end, multi)}"

    surges = "".join(f" Surge: volume x{s.multiplier:g} {window(s.start, s.end)}"
                     f" ({', '.join(s.call_types) if s.call_types else 'every call type'})." for s in d.surges)
    deflections = "".join(f" Proactive notifications deflect {df.share:.0%} of callers {window(df.start, df.end)}."
                          for df in g.deflections)
    return (f"Scenario '{sc.name}' is valid{': ' + sc.description if sc.description else ''}. "
            f"Horizon {_duration(sc.horizon)} in {sc.n_intervals} intervals of {_duration(sc.interval)}{warmup}. "
            f"{len(d.call_types)} call type(s) ({', '.join(d.call_types)}) bring about "
            f"{expected_arrivals(sc):,.0f} expected calls.{surges} Skills: {', '.join(d.skills)}. "
            f"Queues: {', '.join(g.queues)}. Groups: {groups}. Transfer mode: {transfer}.{deflections}")


# --------------------------------------------------------------------------- commands
def _load(path: Path, sets: list[str] | None) -> Scenario:
    """Load and validate a scenario with ``--set`` overrides; an implausible load (most likely a rate per hour
    typed as per second) is one ``warning:`` line on stderr, not an error."""
    sc = load_scenario(path, overrides=parse_overrides(sets or []))
    warning = overload_warning(sc)
    if warning:
        typer.echo(f"warning: {warning}", err=True)
    return sc


def _save(res: Results, out: Path) -> Path:
    """Save results, reporting an unwritable directory as a user error."""
    try:
        return res.save(out)
    except OSError as e:
        raise OptionError("--out", f"cannot write results to {out}: {e.strerror or e}", "choose another directory") from None


@app.command()
def run(
    scenario: ScenarioArg,
    engine: Annotated[str, typer.Option(help=f"Simulation engine: {', '.join(ENGINES)}.")] = DEFAULT_ENGINE,
    reps: Annotated[int, typer.Option(help="Independent replications.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same callers.")] = 1,
    sets: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="Output directory (default: results/<scenario name>).",
                                             show_default=False)] = None,
    json_out: JsonOpt = False,
    no_calls: Annotated[bool, typer.Option("--no-calls", help="Keep only KPIs, not per-call records.")] = False,
) -> None:
    """Simulate a scenario, print its KPI summary and save the results."""
    with _errors(InputError):
        sc = _load(scenario, sets)
        with LazyProgress() as progress:
            res = simulate(sc, engine=engine, reps=reps, seed=seed, keep_calls=not no_calls, progress=progress)
        res.meta["overrides"] = parse_overrides(sets or [])
        path = _save(res, out if out is not None else Path("results") / sc.name)
        summary = res.summary()
        if json_out:
            typer.echo(_summary_json(summary))
        else:
            title = f"{sc.name} · engine {engine} · {reps} reps · seed {seed}"
            Console().print(_summary_table(summary, title, sc.sl_threshold, sc.currency))
            if len(sc.demand.call_types) > 1:
                Console().print(_call_type_table(res.call_type_summary()))
        typer.echo(f"wrote results to {path}", err=json_out)
        _next("ccsim report", path, err=json_out)


@app.command()
def validate(scenario: ScenarioArg, sets: SetOpt = None) -> None:
    """Check a scenario and describe it in one paragraph."""
    with _errors(InputError):
        Console().print(_describe(_load(scenario, sets)), markup=False, highlight=False)


def _share_option(value: float, option: str, example: str) -> float:
    """A target share strictly between 0 and 1."""
    if not 0.0 < value < 1.0:
        raise OptionError(option, f"must be a share strictly between 0 and 1 (got {value:g})",
                          f"write e.g. {option} {example} (not a percentage)")
    return value


def _arrival_rate(arrival_rate: float | None, calls_per_hour: float | None) -> float:
    """Calls per second from exactly one of --arrival-rate (per second) and --calls-per-hour."""
    if (arrival_rate is None) == (calls_per_hour is None):
        raise OptionError("--arrival-rate", "give exactly one of --arrival-rate (calls per second) and "
                          "--calls-per-hour" + (" (both were given)" if arrival_rate is not None else ""),
                          "e.g. --calls-per-hour 600, or --arrival-rate 0.1667")
    option, value = ("--arrival-rate", arrival_rate) if arrival_rate is not None else ("--calls-per-hour", calls_per_hour)
    if not (math.isfinite(value) and value > 0):
        raise OptionError(option, f"must be a positive number of calls (got {value:g})", "give a value > 0")
    return value if option == "--arrival-rate" else value / 3600.0


@app.command()
def erlang(
    arrival_rate: Annotated[float | None, typer.Option(help="Calls per second (or give --calls-per-hour).",
                                                       show_default=False)] = None,
    calls_per_hour: Annotated[float | None, typer.Option(help="Calls per hour (or give --arrival-rate).",
                                                         show_default=False)] = None,
    aht: Annotated[str, typer.Option(metavar="TIME", help=f"Mean handle time (talk + after-call work): {TIME_HELP}.",
                                     show_default=False)] = ...,  # type: ignore[assignment]
    agents: Annotated[int | None, typer.Option(help="Agents on the phones. Omit it and give targets "
                                                    "(--service-level, --abandon-rate, --asa) to get the agents needed.",
                                               show_default=False)] = None,
    patience: Annotated[str | None, typer.Option(metavar="TIME", help="Mean patience, as --aht; omit for Erlang C (nobody hangs up).",
                                                 show_default=False)] = None,
    threshold: Annotated[str, typer.Option(metavar="TIME", help="Service level threshold, as --aht.")] = "20",
    service_level: Annotated[float | None, typer.Option(
        help="Target without --agents: share answered within --threshold at least, e.g. 0.8.", show_default=False)] = None,
    abandon_rate: Annotated[float | None, typer.Option(
        help="Target without --agents: share who hang up at most, e.g. 0.05 (needs --patience).",
        show_default=False)] = None,
    asa: Annotated[str | None, typer.Option(metavar="TIME", help="Target without --agents: average speed of answer at most, as --aht.",
                                            show_default=False)] = None,
    json_out: Annotated[bool, typer.Option("--json", help=(
        'Print JSON to stdout instead of a table: {"arrival_rate" (calls/s), "calls_per_hour", "aht", "patience" '
        '(null for Erlang C) and "threshold" (seconds), "offered_load" (erlangs), "agents" (given, or the fewest '
        'meeting the targets), "targets" ({name: value}, null with --agents), "overloaded" (true when there is '
        'no patience and offered load >= agents: the queue grows without bound, and asa and mean_wait are null), '
        '"kpis" ({name: value} at that staffing)}. Never NaN or Infinity.'))] = False,
) -> None:
    """Steady-state KPIs of M/M/c+M (Erlang A), or M/M/c (Erlang C) without --patience; without --agents, the
    fewest agents meeting the targets, and the KPIs with them."""
    with _errors(ValueError):
        lam = _arrival_rate(arrival_rate, calls_per_hour)
        handle = parse_seconds(aht, "--aht")
        mean_patience = None if patience is None else parse_seconds(patience, "--patience")
        thr = parse_seconds(threshold, "--threshold", zero_ok=True)
        targets: dict[str, float] = {}
        if service_level is not None:
            targets["service_level"] = _share_option(service_level, "--service-level", "0.8")
        if abandon_rate is not None:
            if mean_patience is None:
                raise OptionError("--abandon-rate", "Erlang C (no --patience) has no abandonment",
                                  "give --patience, e.g. --patience 2min, or drop --abandon-rate")
            targets["abandon_rate"] = _share_option(abandon_rate, "--abandon-rate", "0.05")
        if asa is not None:
            targets["asa"] = parse_seconds(asa, "--asa")
        if agents is not None and targets:
            raise OptionError("--agents", "give either --agents (the KPIs at that staffing) or targets "
                              "(the agents needed), not both", "drop --agents to get the agents needed")
        if agents is None and not targets:
            raise OptionError("--agents", "missing: give --agents, or targets to get the agents needed",
                              "e.g. --agents 55, or --service-level 0.8 --threshold 20 and/or --abandon-rate 0.05")
        if agents is not None and agents < 1:
            raise OptionError("--agents", f"must be at least 1 (got {agents})", "give a whole number of agents >= 1")
        n = agents if agents is not None else required_agents(lam, handle, mean_patience, thr, **targets)
        result = erlang_kpis(lam, handle, n, mean_patience, thr)
        load = lam * handle
        overloaded = mean_patience is None and load >= n
        if json_out:
            typer.echo(json.dumps({
                "arrival_rate": lam, "calls_per_hour": lam * 3600, "aht": handle, "patience": mean_patience,
                "threshold": thr, "offered_load": load, "agents": n, "targets": targets or None,
                "overloaded": overloaded, "kpis": {k: _num(v) for k, v in result.items()}}, allow_nan=False))
            return
        model = "Erlang C (M/M/c)" if mean_patience is None else "Erlang A (M/M/c+M)"
        context = (f"{lam * 3600:,.6g} calls/h ({lam:.4g} calls/s) × AHT {handle:g} s = {load:,.2f} erlangs on "
                   f"{n:,} agents, " + ("no abandonment" if mean_patience is None else f"mean patience {mean_patience:g} s")
                   + f"; service level = answered within {thr:g} s.")
        if overloaded:
            typer.echo(f"{model} with {n:,} agents: overloaded (offered load ≥ agents: the queue grows without bound).")
            typer.echo(context)
            typer.echo(f"A stable queue needs at least {math.floor(load) + 1:,} agents; --patience models callers who "
                       f"hang up.")
            return
        if targets:
            wanted = ", ".join(f"{kpis.label(k, thr)} {'≥' if k == 'service_level' else '≤'} {kpis.format(k, v)}"
                               for k, v in targets.items())
            typer.echo(f"agents needed: {n:,} (the fewest meeting {wanted})")
        table = Table("KPI", "value", title=f"{model} with {n:,} agents")
        table.columns[1].justify = "right"
        for k, v in result.items():
            table.add_row(kpis.label(k, thr), kpis.format(k, v))
        Console().print(table)
        typer.echo(context)


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="Sweep TOML file.", show_default=False)],
    out: Annotated[Path | None, typer.Option(help="Output directory (default: results/<sweep name>).",
                                             show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted sweep in --out.")] = False,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.",
                                                  show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(help="Local processes (default: all cores).", show_default=False)] = None,
    engine: Annotated[str | None, typer.Option(help="Override the sweep file's engine.", show_default=False)] = None,
) -> None:
    """Run a parameter sweep (resumable), locally or on Dask, and print each point's headline KPIs."""
    from ..sweep import load_sweep

    with _errors(InputError, OSError):
        sw = load_sweep(file, engine=engine)
        target = out if out is not None else Path("results") / sw.name
        with LazyProgress(delay=0.0, label="replications") as progress:
            res = sw.run(target, resume=resume, scheduler=scheduler, workers=workers, progress=progress)
        summary = res.summary()
        keys = ["service_level", "abandon_rate", "asa", "time_in_system_answered", "cost"]
        wide = summary[summary["kpi"].isin(keys)].pivot(index="point", columns="kpi", values="mean")
        table = Table(title=f"{sw.name} · {len(res.points)} points x {sw.reps} reps · engine {sw.engine}")
        factor_cols = [c for c in res.points.columns if c != "point"]
        for c in ["point", *factor_cols, *[kpis.label(k, sw.base.sl_threshold) for k in keys]]:
            # factor paths (no spaces to wrap at) in full, folded when narrow
            table.add_column(c, justify="right", overflow="fold" if c in factor_cols else "ellipsis")
        for _, p in res.points.iterrows():
            table.add_row(str(int(p["point"])), *[str(p[c]) for c in factor_cols],
                          *[_kpi_text(k, wide.loc[p["point"], k], sw.base.currency) for k in keys])
        Console().print(table)
        typer.echo(f"wrote {len(res.table):,} rows to {target}/results.parquet")
        _next("ccsim report", target)


@app.command()
def report(
    results_dir: Annotated[Path, typer.Argument(
        help="Results folder: from ccsim run / Results.save, from ccsim sweep, or a folder of saved runs.",
        show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="HTML file to write (default: RESULTS_DIR/report.html).",
                                             show_default=False)] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Also write every chart as a PNG into this folder "
                                                           "(kaleido with the system's Chromium).",
                                             show_default=False)] = None,
) -> None:
    """Turn a run or a sweep into one self-contained HTML page for leadership (and PNGs for slides)."""
    from ..report import report as make_report  # loads plotly: only when a report is made

    with _errors(InputError, OSError):
        target = out if out is not None else results_dir / "report.html"
        make_report(results_dir, out=target, png=png)
        typer.echo(f"wrote {target}" + (f" and the charts as PNG in {png}" if png is not None else ""))


@app.command()
def staff(
    scenario: ScenarioArg,
    target: Annotated[list[str], typer.Option(help='Service target, repeatable: "service_level>=0.8", '
                                               '"abandon_rate<=0.05", "asa<=30".', show_default=False)],
    by: Annotated[str, typer.Option(help="interval: a plan per interval; day: one number per group.")] = "day",
    reps: Annotated[int, typer.Option(help="Replications per evaluation (day-to-day busyness needs 20+).")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the planning runs (validation uses fresh seeds).")] = 1,
    engine: Annotated[str, typer.Option(help=f"Simulation engine: {', '.join(ENGINES)}.")] = DEFAULT_ENGINE,
    shrinkage: Annotated[float, typer.Option(help="Share of paid time off the phones (breaks, training).")] = 0.0,
    sets: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="Output directory (default: results/<scenario>_staffing).",
                                             show_default=False)] = None,
) -> None:
    """Fewest agents per group (and interval) meeting every target; compares Erlang C, Erlang A and simulation."""
    from ..staffing import Target, compare_plans, plan_toml

    with _errors(InputError):
        if by not in ("interval", "day"):
            raise OptionError("--by", f"unknown value {by!r}", "use --by interval or --by day")
        sc = _load(scenario, sets)
        targets = [Target.parse(t) for t in target]
        with StageProgress("staffing plan") as progress:
            plans, table = compare_plans(sc, targets, by_interval=by == "interval", reps=reps, seed=seed,
                                         engine=engine, shrinkage=shrinkage, progress=progress)
        dest = out if out is not None else Path("results") / f"{sc.name}_staffing"
        dest.mkdir(parents=True, exist_ok=True)
        sim = plans[-1]
        console = Console()
        frame = sim.frame(scheduled=True)   # plan.csv: on the phones and to schedule, then the Erlang plans
        if by == "interval":
            for p in plans[:-1]:
                for i, g in enumerate(p.groups):
                    frame[f"{g} ({p.name})"] = p.agents[i]
        plan_table = Table(title=f"Simulated staffing plan for {sc.name} (agents on the phones; "
                                 f"{', '.join(map(str, targets))})")
        # on screen: the simulated plan by group and the totals of every plan (plan.csv has every column)
        shown = (["start", *sim.groups, "total", "scheduled", *[f"{p.name} total" for p in plans[:-1]]]
                 if by == "interval" else ["group", "erlang_c", "erlang_a", "simulated"])
        for c in shown:
            plan_table.add_column(c, justify="right")
        if by == "interval":
            totals = [sim.agents.sum(axis=0), sim.scheduled().sum(axis=0), *[p.agents.sum(axis=0) for p in plans[:-1]]]
            for j, row in enumerate(frame[["start", *sim.groups]].itertuples(index=False)):
                plan_table.add_row(*[str(v) for v in row], *[str(int(t[j])) for t in totals])
        else:
            for i, g in enumerate(sim.groups):
                plan_table.add_row(g, *[str(int(p.agents[i, 0])) for p in plans])
        console.print(plan_table)
        cmp_table = Table(title="The three plans validated in simulation with fresh seeds")
        cmp_table.add_column("")
        for p in table.index:
            cmp_table.add_column(str(p), justify="right")
        for text, cell in _plan_rows(sc.sl_threshold, sc.currency):
            cmp_table.add_row(text, *[cell(table.loc[p]) for p in table.index])
        console.print(cmp_table)
        frame.to_csv(dest / "plan.csv", index=False)
        table.to_csv(dest / "comparison.csv")
        (dest / f"{sc.name}_staffed.toml").write_text(plan_toml(sc, sim))
        typer.echo(f"wrote {dest}/plan.csv, comparison.csv and {sc.name}_staffed.toml "
                   f"(a scenario with the simulated plan; shrinkage {shrinkage:.0%})")
        _next("ccsim run", dest / f"{sc.name}_staffed.toml")


def _plan_rows(thr: float, currency: str = "") -> list[tuple[str, Any]]:
    """The rows of the plan comparison: (label, cell formatter of a row of compare_plans' table)."""
    def kpi(name: str, column: str | None = None):
        return lambda row: _kpi_text(name, row[column or name], currency)

    def count(column: str, of: str | None = None):
        return lambda row: f"{row[column]:,.0f}" + (f"/{row[of]:,.0f}" if of else "")

    rows = [("Agent-hours on the phones", count("agent_hours")),
            ("Agent-hours scheduled (shrinkage)", count("scheduled_agent_hours"))]
    rows += [(kpis.label(k, thr), kpi(k)) for k in ("cost", "service_level", "abandon_rate", "asa", "occupancy",
                                                        "transfers_per_call")]
    rows += [(f"{kpis.label(k, thr)}, worst busy interval", kpi(k, f"worst_interval_{k}"))
             for k in ("service_level", "abandon_rate")]
    rows += [("Busy intervals meeting every target on average", count("intervals_met_on_average", "busy_intervals")),
             ("Busy intervals with no significant miss",
              count("intervals_without_significant_miss", "busy_intervals"))]
    return rows


from . import calibrate as _calibrate  # noqa: E402,F401  (registers `ccsim calibrate`)


def main() -> None:
    """Entry point of the ``ccsim`` command: a usage error (unknown option, a value of the wrong type) is one
    line and exit code 2, like every other bad input (typer would draw a usage box)."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        code = 130
    except typer.TyperException as e:  # the usage errors of typer's command-line parser
        ctx = getattr(e, "ctx", None)
        where = ctx.command_path if ctx is not None else "ccsim"
        typer.echo(f"error: {' '.join(e.format_message().split())} (fix: see {where} --help)", err=True)
        code = getattr(e, "exit_code", 2)
    raise SystemExit(code if isinstance(code, int) else 0)
