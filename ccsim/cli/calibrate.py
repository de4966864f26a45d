"""``ccsim calibrate``: a scenario from an ACD call log, with its provenance, a backtest and a report."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..engines import DEFAULT_ENGINE, ENGINES
from ..errors import InputError, OptionError
from ..store import atomic_write
from . import _errors, _next, app

FORMATS = ("generic", "anonymous-bank")
DAY_TYPES = ("auto", "all", "weekday-weekend", "each-weekday")
HANDLE_LAWS = ("auto", "lognormal", "gamma", "exponential", "empirical")


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise OptionError(option, f"unknown value {value!r}", f"use one of {', '.join(allowed)}")
    return value


def _write_text(path: Path, text: str, option: str) -> Path:
    """Write ``text`` at ``path`` atomically; an unwritable place is a user error naming the option."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda p: Path(p).write_text(text, encoding="utf-8"))
    except OSError as e:
        raise OptionError(option, f"cannot write {path}: {e.strerror or e}", "choose another path") from None
    return path


def _estimates_table(cal, day: str) -> Table:
    """The headline estimates of the scenario's day type: one row per call type."""
    t = Table(title=f"calibrated from {Path(cal.source).name} · {cal.n_calls:,} calls · day type {day}",
              title_justify="left")
    for col in ("call type", "first contacts a day", "handle time", "patience", "abandoned (queued)"):
        t.add_column(col, justify="left" if col == "call type" else "right")
    arr = cal.arrivals[cal.arrivals["day_type"] == day]
    for ct in cal.call_types:
        a = arr[arr["call_type"] == ct]
        per_day = float(a["mean"].sum()) if len(a) else float("nan")
        h = cal.handle_laws.get(ct) or {}
        p = cal.patience_laws.get(ct)
        pf = cal.patience_fits.get(ct, {})
        law = (f"{p['dist']} " + ", ".join(f"{k} {v:,.3g}" for k, v in p.items() if k != "dist")) if p else "never"
        queued = pf.get("queued", 0)
        t.add_row(cal.labels.get(ct, ct), f"{per_day:,.0f}",
                  f"{h.get('dist', '?')} mean {h.get('mean', float('nan')):,.0f} s", law,
                  f"{pf.get('abandoned', 0):,} of {queued:,}" if queued else "-")
    return t


@app.command()
def calibrate(
    log: Annotated[Path, typer.Argument(help="Call log: CSV or Parquet (docs/call-log.md).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Scenario TOML to write.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", help=f"Log format: {', '.join(FORMATS)}.")] = "generic",
    interval: Annotated[float, typer.Option(help="Seconds per interval of the day.")] = 1800.0,
    day_type: Annotated[str, typer.Option(help=f"How days are grouped: {', '.join(DAY_TYPES)}.")] = "auto",
    day: Annotated[str | None, typer.Option(help="The day type the scenario describes (default: weekday, or all).",
                                            show_default=False)] = None,
    handle_law: Annotated[str, typer.Option(help=f"Handle-time law: {', '.join(HANDLE_LAWS)}.")] = "auto",
    origin: Annotated[str | None, typer.Option(help="Origin of numeric times (ISO date-time; default day 0 00:00).",
                                               show_default=False)] = None,
    sl_threshold: Annotated[float, typer.Option(help="Service-level threshold of the scenario, seconds.")] = 20.0,
    staffing: Annotated[Path | None, typer.Option(
        help="TOML file of agents per group (or call type): a number, or one value per interval; default: inferred "
             "from the log's agent column.", show_default=False)] = None,
    report: Annotated[Path | None, typer.Option(help="Also write the calibration report (HTML) here.",
                                                show_default=False)] = None,
    backtest_reps: Annotated[int, typer.Option(help="Replications of the backtest (0: none).")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the backtest.")] = 1,
    engine: Annotated[str, typer.Option(help=f"Engine of the backtest: {', '.join(ENGINES)}.")] = DEFAULT_ENGINE,
) -> None:
    """Calibrate a scenario from an ACD call log; print the estimates; backtest it against the log."""
    with _errors(InputError):
        _choice(fmt, FORMATS, "--format")
        _choice(day_type, DAY_TYPES, "--day-type")
        _choice(handle_law, HANDLE_LAWS, "--handle-law")
        if not 0 <= backtest_reps <= 1000:
            raise OptionError("--backtest-reps", f"must be from 0 to 1000 (got {backtest_reps})")
        from ..calibrate import backtest as run_backtest
        from ..calibrate import calibrate as run_calibrate
        from ..calllog import read_call_log

        given = None
        if staffing is not None:
            from ..tomlfile import read_toml
            given = read_toml(staffing, "--staffing")
            given = given.get("staffing", given)   # a [staffing] table, or the groups at the top level
        calls = read_call_log(log, format=fmt, origin=origin)
        cal = run_calibrate(calls, interval=interval, day_type=day_type, handle_law=handle_law, day=day,
                            sl_threshold=sl_threshold, staffing=given)
        _write_text(out, cal.to_toml(), "--out")
        console = Console()
        console.print(_estimates_table(cal, cal._day(day)))
        for note in cal.notes:
            typer.echo(f"note: {note}", err=True)
        bt = None
        if backtest_reps:
            bt = run_backtest(calls, cal, reps=backtest_reps, seed=seed, engine=engine, day=day)
            if len(bt):
                sl = bt[bt["kpi"] == "service_level"]
                agree = int(sl["agrees"].fillna(False).sum())
                typer.echo(f"backtest ({backtest_reps} reps): simulated service level within the observed band in "
                           f"{agree} of {len(sl)} intervals")
        typer.echo(f"wrote the scenario to {out}")
        if report is not None:
            from ..report.calibration import write_calibration_page
            try:
                write_calibration_page(calls, cal, bt, report)
            except OSError as e:
                raise OptionError("--report", f"cannot write {report}: {e.strerror or e}",
                                  "choose another path") from None
            typer.echo(f"wrote the calibration report to {report}")
        _next("ccsim run", out)
