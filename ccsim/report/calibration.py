"""The calibration page: what a call log says about a center, for a planner who wants to trust (or question) the
scenario calibrated from it.

One self-contained HTML page (plotly.js embedded once, so it opens with no network; the look of
:mod:`ccsim.report.style`): a title stating the finding; a paragraph saying what was calibrated (the log, its
calls and days, the day types and the weekend test, the interval) and where the headline figures come from
(sample sizes and confidence intervals); then per call type (a) the arrival profile of the scenario's day type
(every day faint, the mean with its interval, the volume the scenario uses), (b) the handle-time histogram with
the three fitted densities, (c) the Kaplan-Meier survival of patience with the fitted survival curves; (d) the
backtest per interval for service level, abandonment and ASA; and the table of every estimate. Every title
states a finding computed from the figures drawn under it. User text (call types, the file's name) is escaped
in the HTML and inside the charts.

    from ccsim.report.calibration import write_calibration_page
    write_calibration_page(log, cal, backtest(log, cal), "results/calibration.html")
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ..calibrate import Calibration, fit_handle
from ..calibrate.arrivals import count_first_contacts
from ..calibrate.durations import handle_density
from ..calibrate.common import clock, day_clock, fmt, n_intervals, poisson_ci, pvalue, t_ci
from ..calibrate.patience import MIN_AT_RISK, MIN_EVENT, censored_waits, kaplan_meier
from ..calibrate.repeats import FIRST, mark_repeats
from ..calllog import CallLog
from ..errors import OptionError
from ..store import atomic_write
from ..version import __version__
from .style import CSS, PALETTE, layout, rgba, figure_html
from .words import esc, pesc, short, value

#: the page's file name when a folder is given
PAGE_FILE = "calibration.html"
#: call types drawn at most (the busiest); the table lists every one
MAX_TYPES = 12
#: the backtest's KPIs drawn, with their names for people
BACKTEST_KPIS = {"service_level": "Service level", "abandon_rate": "Abandonment", "asa": "ASA (average wait)"}
LAW_NAMES = {"lognormal": "lognormal", "gamma": "gamma", "exponential": "exponential", "weibull": "Weibull"}
LAW_COLORS = {"lognormal": PALETTE[0], "gamma": PALETTE[2], "exponential": PALETTE[5], "weibull": PALETTE[3]}
OBSERVED, BAD, DAYS = "#333333", "#c62828", "rgba(120,120,120,0.28)"
EXTRA_CSS = """
.scroll { max-height:520px; overflow:auto; border:1px solid var(--line); border-radius:6px; }
table.est { border-collapse:collapse; font-size:12.5px; width:100%; }
table.est th { position:sticky; top:0; background:#fff; text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); }
table.est td { padding:3px 8px; border-bottom:1px solid var(--line); vertical-align:top; overflow-wrap:anywhere; }
table.est td.num { text-align:right; white-space:nowrap; }
ul.prov li, ul.why li { margin:4px 0; }
ul.why { font-size:13px; color:var(--muted); }
"""


# --------------------------------------------------------------------------- words
def _ci(lo, hi, unit: str = "") -> str:
    """A confidence interval in words, or why there is none (plain text)."""
    ok = lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi)
    return f"95% CI {fmt(lo)}–{fmt(hi)}{unit}" if ok else "no CI"


def _a_day(day: str) -> str:
    """'a weekday', 'a weekend day', 'a day' (all days pooled), 'a Monday'."""
    return {"all": "a day", "weekday": "a weekday", "weekend": "a weekend day"}.get(day, f"a {day.capitalize()}")


def _tally(chosen: dict[str, str | None], what: str) -> str:
    """'Lognormal fits handle time best for 2 of 3 call types, gamma for 1' (plain text)."""
    laws = pd.Series([v for v in chosen.values() if v], dtype=object).value_counts()
    if laws.empty:
        return f"No law could be fitted to {what}"
    top = LAW_NAMES.get(laws.index[0], laws.index[0])
    parts = [f"{top[:1].upper() + top[1:]} fits {what} best for {laws.iloc[0]} of {len(chosen)} call types"]
    parts += [f"{LAW_NAMES.get(law, law)} for {k}" for law, k in laws.iloc[1:].items()]
    none = len(chosen) - int(laws.sum())
    return ", ".join(parts) + (f"; {none} without a fit" if none else "")


def _shown(kpi: str, v: float) -> str:
    """A backtest figure for people, within what the KPI can be (a band may reach below 0 or above 100%)."""
    return value(kpi, float(np.clip(v, 0.0, 1.0 if kpi != "asa" else np.inf))) if np.isfinite(v) else "–"


# --------------------------------------------------------------------------- figures from the log
def daily_counts(log: CallLog, cal: Calibration) -> np.ndarray:
    """First contacts (answered or abandoned, not redials or returns) per day of the log, call type (in
    ``cal.call_types`` order) and interval: the counts whose mean over the days of a day type is ``cal.arrivals``."""
    f = log.frame
    day_idx, slot, starts, _ = day_clock(log, cal.interval)
    first = (mark_repeats(log, cal.redial_window).kind == FIRST) & (f["outcome"].cat.codes.to_numpy() <= 1)
    call = f["call_type"].astype(object).map({c: i for i, c in enumerate(cal.call_types)}).to_numpy(dtype=np.int64)
    return count_first_contacts(day_idx, call, slot, first, len(starts), len(cal.call_types), n_intervals(cal.interval))


def daily_total(counts: np.ndarray, confidence: float) -> tuple[float, float, float, int]:
    """Mean first contacts a day over the days given (days x intervals), its t interval over days (Poisson when
    there is one day), and the days."""
    y = counts.sum(axis=1).astype(float)
    n, m = len(y), float(y.mean())
    if n >= 2 and y.std(ddof=1) > 0:
        lo, hi = t_ci(np.array(m), np.array(y.std(ddof=1)), np.array(n), confidence)
        return m, max(float(lo), 0.0), float(hi), n
    lo, hi = poisson_ci(np.array(y.sum()), confidence)
    return m, float(lo) / n, float(hi) / n, n


def handle_sample(log: CallLog, call_type: str) -> np.ndarray:
    """Handle times (end - answer, > 0) of a call type's answered calls, as the calibration fits them."""
    f = log.frame
    mine = (f["outcome"] == "answered").to_numpy() & (f["call_type"].astype(object) == call_type).to_numpy()
    x = (f["end"] - f["answer"]).to_numpy(dtype=float)[mine]
    return x[x > 0]


def km_curve(t: np.ndarray, abandoned: np.ndarray, confidence: float, points: int = 400) -> dict:
    """Kaplan-Meier (lifelines) of one call type's waits, as the calibration's fit sees them (waits answered at
    once left out, abandonments at 0 s put at MIN_EVENT), sampled on a grid up to the last wait at which
    ``MIN_AT_RISK`` callers (and 1%) still wait: the range where the fits are checked against it."""
    keep = (t > 0) | abandoned
    t, e = t[keep], abandoned[keep]
    t = np.where(e & (t <= 0), MIN_EVENT, t)
    key, w = np.unique(np.stack([t, e.astype(float)], axis=1), axis=0, return_counts=True)
    km = kaplan_meier(key[:, 0], key[:, 1].astype(bool), w.astype(float), confidence)
    table = km.event_table
    times = table.index.to_numpy(dtype=float)
    enough = table["at_risk"].to_numpy(dtype=float) >= max(MIN_AT_RISK, 0.01 * w.sum())
    end = float(times[enough].max() if enough.any() and times[enough].max() > 0 else max(times.max(), 1.0))
    grid = np.linspace(0.0, end, points)
    pos = lambda s: np.clip(np.searchsorted(s.index.to_numpy(float), grid, "right") - 1, 0, None)  # noqa: E731
    at = lambda s: s.to_numpy(dtype=float)[pos(s)]  # noqa: E731
    ci = km.confidence_interval_
    return {"t": grid, "s": at(km.survival_function_.iloc[:, 0]), "lo": at(ci.iloc[:, 0]), "hi": at(ci.iloc[:, 1]),
            "n": int(w.sum())}


def _density(law: str, fit: dict, x: np.ndarray) -> np.ndarray:
    """A fitted handle-time law's density (from its mean and cv, as ccsim parametrises it)."""
    return handle_density(law, fit["mean"], fit.get("cv", 1.0), x)

# --------------------------------------------------------------------------- charts
def _hours(fig: go.Figure, title: str = "time of day") -> None:
    ticks = list(range(0, 25, 2))
    fig.update_xaxes(title_text=title, range=[0, 24], tickvals=ticks, ticktext=[f"{h:02d}:00" for h in ticks],
                     ticklabelstandoff=6)


def arrival_chart(cal: Calibration, counts: np.ndarray, c: str) -> tuple[go.Figure, str]:
    """Every day of the scenario's day type (faint), the mean per interval with its interval, and the volume the
    scenario uses (the same mean, held over each interval); the title states the day's total and the peak."""
    i = cal.call_types.index(c)
    prof = cal.arrivals[(cal.arrivals["day_type"] == cal.day) & (cal.arrivals["call_type"] == c)].sort_values("interval")
    days = (cal.days["day_type"] == cal.day).to_numpy()
    scen = cal.scenario_dict()["demand"]["call_types"][cal.labels[c]]["volume"]
    edge = np.append(prof["start"].to_numpy(float) / 3600, 24.0)
    step = lambda v: np.append(np.asarray(v, float), float(np.asarray(v)[-1]))  # noqa: E731
    fig = go.Figure()
    dates = cal.days.loc[days, "day"].dt.strftime("%a %Y-%m-%d").tolist()
    for k, (d, row) in enumerate(zip(dates, counts[days, i, :])):
        fig.add_trace(go.Scatter(x=edge, y=step(row), mode="lines", line=dict(color=DAYS, width=1, shape="hv"),
                                 name=f"each {_a_day(cal.day)[2:]} ({len(dates)})", legendgroup="days",
                                 showlegend=k == 0, hovertemplate=f"{d}: %{{y}} first contacts<extra></extra>"))
    fig.add_trace(go.Scatter(x=edge, y=step(prof["ci_low"]), mode="lines", line=dict(width=0, shape="hv"),
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=edge, y=step(prof["ci_high"]), mode="lines", line=dict(width=0, shape="hv"),
                             fill="tonexty", fillcolor=rgba(PALETTE[0], 0.22), name="95% CI of the mean", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=edge, y=step(scen), mode="lines", line=dict(color=PALETTE[0], width=2.5, shape="hv"),
                             name="volume the scenario uses", hoverinfo="skip"))
    mid = (prof["start"].to_numpy(float) + cal.interval / 2) / 3600
    hover = [f"{clock(s)}–{clock(s + cal.interval)}: mean {fmt(m)} ({_ci(lo, hi)}, {n} days; {pesc(how)})"
             for s, m, lo, hi, n, how in prof[["start", "mean", "ci_low", "ci_high", "days", "method"]].itertuples(index=False)]
    fig.add_trace(go.Scatter(x=mid, y=prof["mean"], mode="markers", marker=dict(color=OBSERVED, size=4),
                             name=f"observed mean over {len(dates)} days", hovertext=hover, hoverinfo="text"))
    m, lo, hi, n = daily_total(counts[days, i, :], cal.confidence)
    p = prof.iloc[int(np.argmax(prof["mean"].to_numpy()))]
    head = (f"{short(c, 40)}: {fmt(m)} first contacts {_a_day(cal.day)}; busiest {clock(p['start'])}–"
            f"{clock(p['start'] + cal.interval)} with {fmt(p['mean'], 3)}")
    sub = (f"a day: {_ci(lo, hi)} ({n} days); busiest interval: {_ci(p['ci_low'], p['ci_high'])}; "
           f"scenario volume = observed mean, per {fmt(cal.interval / 60)}-minute interval")
    layout(fig, pesc(head), 400, sub=pesc(sub), legend_traceorder="normal")
    _hours(fig)
    fig.update_yaxes(title_text=f"calls per {fmt(cal.interval / 60)} min", rangemode="tozero")
    return fig, head


def handle_chart(cal: Calibration, log: CallLog, c: str) -> tuple[go.Figure, str] | None:
    """Histogram (density) of a call type's handle times with the lognormal, gamma and exponential densities
    fitted by maximum likelihood, the one the scenario uses drawn thick, AIC in the legend."""
    row = cal.handle[(cal.handle["group"] == "") & (cal.handle["call_type"] == c)]
    x = handle_sample(log, c)
    if row.empty or row["law"].iloc[0] is None or len(x) < 2:
        return None
    r = row.iloc[0]
    fits = fit_handle(x, cal.confidence)["fits"]
    best = min((k for k in fits if f"aic_{k}" in r), key=lambda k: r[f"aic_{k}"])
    top = float(np.quantile(x, 0.99))
    bins = np.linspace(0.0, top, 61)
    n_in, _ = np.histogram(x, bins)
    width = bins[1] - bins[0]
    fig = go.Figure(go.Bar(x=(bins[:-1] + bins[1:]) / 2, y=n_in / (len(x) * width), width=width,
                           name=f"observed ({len(x):,} answered calls)",
                           marker=dict(color="rgba(120,120,120,0.45)", line=dict(width=0)),
                           hovertemplate="%{x:.0f} s: density %{y:.3g}<extra></extra>"))
    grid = np.linspace(top / 500, top, 300)
    for law, f in fits.items():
        aic, used = float(r[f"aic_{law}"]), law == r["law"]
        gap = "best" if law == best else f"+{aic - float(r[f'aic_{best}']):,.0f}"
        fig.add_trace(go.Scatter(x=grid, y=_density(law, f, grid), mode="lines",
                                 name=f"{law}: AIC {aic:,.0f} ({gap}){' · used' if used else ''}",
                                 line=dict(color=LAW_COLORS[law], width=3.5 if used else 1.5, dash="solid" if used else "dot"),
                                 hovertemplate=f"{law}: mean {fmt(f['mean'])} s, cv {fmt(f.get('cv', 1.0))}<extra></extra>"))
    how = "by AIC" if r["law"] == r["best"] else "as asked"
    head = f"{short(c, 40)}: {LAW_NAMES.get(r['law'], r['law'])} handle time ({how}), mean {fmt(r['mean'])} s"
    sub = (f"mean {_ci(r['mean_low'], r['mean_high'], ' s')}, cv {fmt(r['cv'])} ({_ci(r['cv_low'], r['cv_high'])}); "
           f"{int(r['n']):,} answered calls; KS D = {fmt(r['ks_d'], 2)}; 1% longest calls off the chart")
    layout(fig, pesc(head), 400, sub=pesc(sub), bargap=0, legend_traceorder="normal")
    fig.update_xaxes(title_text="handle time (s): end − answer", range=[0, top], ticklabelstandoff=6)
    fig.update_yaxes(title_text="density (per s)", rangemode="tozero")
    return fig, head


def patience_chart(cal: Calibration, waits: tuple, c: str) -> tuple[go.Figure, str] | None:
    """Kaplan-Meier survival of patience (abandonments the events, answered calls censored) with its interval,
    and the exponential, lognormal and Weibull survival curves fitted by censored maximum likelihood."""
    fit = cal.patience_fits[c]
    ct, t, ab = waits
    mine = ct == c
    if not mine.any() or not ((t[mine] > 0) | ab[mine]).any():
        return None
    km = km_curve(t[mine], ab[mine], cal.confidence)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=km["t"], y=km["lo"], mode="lines", line=dict(width=0, shape="hv"), showlegend=False,
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=km["t"], y=km["hi"], mode="lines", line=dict(width=0, shape="hv"), fill="tonexty",
                             fillcolor="rgba(120,120,120,0.25)", name="95% CI", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=km["t"], y=km["s"], mode="lines", line=dict(color=OBSERVED, width=2, shape="hv"),
                             name=f"Kaplan–Meier ({fit['queued']:,} queued, {fit['abandoned']:,} abandoned)",
                             hovertemplate="%{x:.0f} s: %{y:.1%} still waiting<extra></extra>"))
    grid = np.maximum(km["t"], 1e-9)
    fits = fit["fits"]
    best = min(fits, key=lambda k: fits[k]["aic"]) if fits else None
    for law, f in fits.items():
        used = law == fit["chosen"]
        gap = "best" if law == best else f"+{f['aic'] - fits[best]['aic']:,.0f}"
        fig.add_trace(go.Scatter(x=km["t"], y=f["survival"](grid), mode="lines",
                                 name=f"{law}: AIC {f['aic']:,.0f} ({gap}){' · used' if used else ''}",
                                 line=dict(color=LAW_COLORS[law], width=3.5 if used else 1.5, dash="solid" if used else "dot"),
                                 hovertemplate=f"{law}: %{{y:.1%}} at %{{x:.0f}} s; largest gap to Kaplan–Meier "
                                               f"{fmt(f['km_gap'], 2)}<extra></extra>"))
    law = fit["chosen"]
    if law is None:
        head = f"{short(c, 40)}: nobody of {fit['queued']:,} queued callers abandoned: no patience in the scenario"
        sub = "Kaplan–Meier survival stays at 100%"
    else:
        f = fits[law]
        if law == "weibull":
            what = (f"shape {fmt(f['shape'], 3)} ({_ci(f['shape_low'], f['shape_high'])}), scale {fmt(f['scale'])} s "
                    f"({_ci(f['scale_low'], f['scale_high'], ' s')})")
        else:
            what = f"mean {fmt(f['mean'])} s ({_ci(f['mean_low'], f['mean_high'], ' s')})"
        head = f"{short(c, 40)}: {LAW_NAMES[law]} patience by AIC, {what.split(' (')[0]}"
        med = fit.get("km_median", np.nan)
        med_text = (f"Kaplan–Meier median {fmt(med)} s ({_ci(fit['km_median_low'], fit['km_median_high'], ' s')})"
                    if np.isfinite(med) else "over half the callers were answered before the median patience")
        sub = f"{what}; {fit['censored_share']:.0%} censored by an answer; {med_text}"
    layout(fig, pesc(head), 400, sub=pesc(sub), legend_traceorder="normal")
    low = min([float(np.min(km["lo"]))] + [float(np.min(f["survival"](grid))) for f in fits.values()])
    fig.update_xaxes(title_text="time in queue (s)", range=[0, float(km["t"][-1])], ticklabelstandoff=6)
    fig.update_yaxes(title_text="still waiting (survival)", range=[max(0.0, low - 0.05), 1.01], tickformat=".0%")
    return fig, head


def backtest_chart(cal: Calibration, bt: pd.DataFrame, kpi: str) -> tuple[go.Figure, str, list[str]]:
    """Observed (mean over days) against simulated (mean over replications) per interval, with the band in which
    they agree; intervals that disagree marked, with the measured causes (``why``) in the hover and listed."""
    d = bt[bt["kpi"] == kpi].sort_values("interval")
    x = (d["interval"].to_numpy(float) + 0.5) * cal.interval / 3600
    cap = 1.0 if kpi != "asa" else np.inf
    clip = lambda v: np.clip(v.to_numpy(float), 0.0, cap)  # noqa: E731
    bad = d["agrees"].astype("boolean").fillna(True).to_numpy() == False  # noqa: E712 (NA: not compared)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=clip(d["band_low"]), mode="lines", line=dict(width=0), showlegend=False,
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=clip(d["band_high"]), mode="lines", line=dict(width=0), fill="tonexty",
                             fillcolor=rgba(PALETTE[0], 0.2), name="band in which they agree", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=d["simulated"], mode="lines", line=dict(color=PALETTE[0], width=2),
                             name="simulated (mean of replications)", hovertemplate="simulated %{y"
                             + (":.1f} s" if kpi == "asa" else ":.1%}") + "<extra></extra>"))
    hover = [f"{s}: observed {_shown(kpi, o)}, simulated {_shown(kpi, m)}, band {_shown(kpi, lo)} to {_shown(kpi, hi)}"
             + (f"<br>{pesc(w)}" if w else "") for s, o, m, lo, hi, w in
             d[["start", "observed", "simulated", "band_low", "band_high", "why"]].itertuples(index=False)]
    fig.add_trace(go.Scatter(x=x[~bad], y=d["observed"].to_numpy(float)[~bad], mode="markers",
                             marker=dict(color=OBSERVED, size=6), name="observed (mean over days), agrees",
                             hovertext=[hv for hv, b in zip(hover, bad) if not b], hoverinfo="text"))
    fig.add_trace(go.Scatter(x=x[bad], y=d["observed"].to_numpy(float)[bad], mode="markers",
                             marker=dict(color=BAD, size=10, symbol="x"), name="observed, disagrees",
                             hovertext=[hv for hv, b in zip(hover, bad) if b], hoverinfo="text"))
    compared = int(d["agrees"].notna().sum())
    head = f"{BACKTEST_KPIS[kpi]}: observed inside the simulated band in {compared - int(bad.sum())} of {compared} intervals"
    sub = f"answered within {fmt(cal.sl_threshold)} s of queueing, of calls offered" if kpi == "service_level" else ""
    layout(fig, pesc(head), 380, sub=pesc(sub), legend_traceorder="normal")
    _hours(fig)
    fig.update_yaxes(title_text=BACKTEST_KPIS[kpi].split(" (")[0], rangemode="tozero",
                     tickformat=".0%" if kpi != "asa" else None, ticksuffix=" s" if kpi == "asa" else "")
    whys = [f"{s}: observed {_shown(kpi, o)}, simulated {_shown(kpi, m)} (band {_shown(kpi, lo)} to {_shown(kpi, hi)}): {w}"
            for s, o, m, lo, hi, w in d.loc[bad, ["start", "observed", "simulated", "band_low", "band_high",
                                                   "why"]].itertuples(index=False)]
    return fig, head, whys


def _figure_html(key: str, fig: go.Figure) -> tuple[str, str]:
    """(the chart's place, its script)."""
    return figure_html(key, fig, "calibration", 360)


# --------------------------------------------------------------------------- the page
def _provenance(log: CallLog, cal: Calibration, counts: np.ndarray, types: list[str]) -> str:
    """Where the headline figures come from, per call type (HTML)."""
    days = (cal.days["day_type"] == cal.day).to_numpy()
    b = cal.busyness.set_index("day_type").loc[cal.day]
    items = [f"<li><strong>Day-to-day spread</strong> ({esc(cal.day)}): busyness cv {fmt(b['cv'])} "
             f"({_ci(b['cv_low'], b['cv_high'])}; {int(b['days'])} days, dispersion test {pvalue(b['p_value'])}: "
             f"{'kept in the scenario' if b['needed'] else 'not needed, 0 in the scenario'}).</li>" if b["days"] >= 3 else
             f"<li><strong>Day-to-day spread</strong>: {int(b['days'])} day(s) of the day type {esc(cal.day)} are too "
             "few to measure it (3 needed): busyness 0 in the scenario.</li>"]
    handle = cal.handle[cal.handle["group"] == ""].set_index("call_type")
    for c in types:
        m, lo, hi, n = daily_total(counts[days, cal.call_types.index(c), :], cal.confidence)
        bits = [f"{fmt(m)} first contacts {_a_day(cal.day)} ({_ci(lo, hi)}; mean over {n} days)"]
        if c in handle.index and handle.loc[c, "law"] is not None:
            r = handle.loc[c]
            bits.append(f"handle time {r['law']}, mean {fmt(r['mean'])} s ({_ci(r['mean_low'], r['mean_high'], ' s')}; "
                        f"{int(r['n']):,} answered calls, maximum likelihood)")
        fit = cal.patience_fits[c]
        if fit["chosen"]:
            f = fit["fits"][fit["chosen"]]
            est = (f"shape {fmt(f['shape'], 3)} ({_ci(f['shape_low'], f['shape_high'])}), scale {fmt(f['scale'])} s"
                   if fit["chosen"] == "weibull" else f"mean {fmt(f['mean'])} s ({_ci(f['mean_low'], f['mean_high'], ' s')})")
            bits.append(f"patience {fit['chosen']}, {est}; censored maximum likelihood on {fit['queued']:,} queued "
                        f"calls of which {fit['abandoned']:,} abandoned")
        else:
            bits.append(f"no abandonment among {fit['queued']:,} queued calls: callers never hang up")
        items.append(f"<li><strong>{esc(c)}</strong>: {esc('; '.join(bits))}.</li>")
    return "<ul class='prov'>" + "".join(items) + "</ul>"


def _estimates_table(cal: Calibration) -> str:
    s = cal.summary()
    rows = "".join(
        f"<tr><td>{esc(r.topic)}</td><td>{esc(r.day_type)}</td><td>{esc(r.call_type)}</td><td>{esc(r.name)}</td>"
        f"<td class='num'>{esc(fmt(r.value))}</td><td class='num'>{esc(_ci(r.ci_low, r.ci_high).removeprefix('95% CI '))}"
        f"</td><td class='num'>{int(r.n):,}</td><td>{esc(r.method)}</td></tr>" for r in s.itertuples())
    return ("<div class='scroll'><table class='est'><tr><th>topic</th><th>day type</th><th>call type</th><th>estimate"
            f"</th><th>value</th><th>{cal.confidence:.0%} CI</th><th>n</th><th>method</th></tr>{rows}</table></div>")


def calibration_page(log: CallLog, cal: Calibration, backtest: pd.DataFrame | None = None) -> str:
    """The calibration page as a string (see the module's docstring)."""
    if not isinstance(log, CallLog) or not isinstance(cal, Calibration):
        raise OptionError("log, cal", "must be a ccsim.calllog.CallLog and the ccsim.calibrate.Calibration made from it")
    if log.n_calls != cal.n_calls or set(log.frame["call_type"].astype(object).unique()) != set(cal.call_types):
        raise OptionError("cal", f"was not calibrated from this log ({cal.n_calls:,} calls vs {log.n_calls:,})",
                          "pass the log given to calibrate()")
    counts = daily_counts(log, cal)
    types = [c for c in cal.call_types if c in cal.modelled][:MAX_TYPES]  # those the scenario holds
    waits = censored_waits(log.frame)
    n_days = len(cal.days)
    per_type = cal.days.groupby("day_type", sort=False).size()
    test = cal.day_type_test
    source = Path(cal.source.replace("\\", "/")).name or cal.source
    scripts: list[str] = []

    def section(key: str, h2: str, charts: list, after: str = "") -> str:
        places = []
        for j, (fig, *_rest) in enumerate(charts):
            place, script = _figure_html(f"{key}-{j}", fig)
            places.append(place)
            scripts.append(script)
        return (f"<section class='panel chart' id='section-{key}'><h2>{esc(h2)}</h2>{''.join(places)}{after}</section>")

    body = []
    arrivals = [arrival_chart(cal, counts, c) for c in types]
    handles = {c: handle_chart(cal, log, c) for c in types}
    patience = {c: patience_chart(cal, waits, c) for c in types}
    drawn = [k for k in BACKTEST_KPIS if backtest is not None and len(backtest) and (backtest["kpi"] == k).any()]
    bts = {k: backtest_chart(cal, backtest, k) for k in drawn}
    if bts:
        compared = sum(int(backtest.loc[backtest["kpi"] == k, "agrees"].notna().sum()) for k in drawn)
        agree = sum(int(backtest.loc[backtest["kpi"] == k, "agrees"].astype("boolean").fillna(False).sum()) for k in drawn)
        head = (f"{len(cal.call_types)} call types calibrated from {cal.n_calls:,} calls; the scenario of "
                f"{_a_day(cal.day)} agrees with the log in {agree} of {compared} interval comparisons")
    else:
        head = f"{len(cal.call_types)} call types calibrated from {cal.n_calls:,} calls over {n_days} days"
    dropped = sum(log.dropped.values()) if log.dropped else 0
    if np.isfinite(test.get("p_value", np.nan)):
        verdict = (f"weekends {'differ' if test['differ'] else 'do not differ'} at 1% ({pvalue(test['p_value'])}; "
                   f"{fmt(test['weekday_mean'])} first contacts a weekday vs {fmt(test['weekend_mean'])} a weekend day)")
    else:
        verdict = "the weekend test was not run (it needs weekday and weekend days, 3 or more)"
    how = ("as asked" if cal.day_type_requested != "auto" else "chosen by the weekend test"
           if np.isfinite(test.get("p_value", np.nan)) else "the default")
    first, last = cal.days["day"].min(), cal.days["day"].max()
    sub = (f"From <strong>{esc(source)}</strong> ({esc(cal.format)} log): {cal.n_calls:,} calls"
           + (f" ({dropped:,} rows left out)" if dropped else "") + f" over {n_days} days, {first:%Y-%m-%d} to "
           f"{last:%Y-%m-%d}, {len(cal.call_types)} call types. Days are pooled as <strong>{esc(cal.day_type)}</strong> "
           f"({how}: {esc(verdict)}): " + ", ".join(f"{k} {esc(_a_day(t)[2:])}{'s' if k != 1 else ''}" for t, k in per_type.items())
           + f". The scenario describes {esc(_a_day(cal.day))} in {fmt(cal.interval / 60)}-minute intervals. "
           f"Every interval is a {cal.confidence:.0%} confidence interval; n is the sample it rests on.")
    body.append(f"<h1>{esc(head)}</h1><p class='sub'>{sub}</p>")
    body.append("<section class='panel headline'><h2>Where the headline figures come from</h2>"
                f"{_provenance(log, cal, counts, types)}</section>")
    totals = sum(daily_total(counts[(cal.days['day_type'] == cal.day).to_numpy(), i, :], cal.confidence)[0]
                 for i in range(len(cal.call_types)))
    body.append(section("arrivals", f"1. Arrivals: {fmt(totals)} first contacts {_a_day(cal.day)} over "
                                     f"{len(cal.call_types)} call types", arrivals,
                        "<p class='note'>Grey: each day of the day type; dots: their mean per interval with its confidence "
                        "band; blue: the volume the scenario draws, the same mean held over the interval. First contacts "
                        "only: redials and returns are drawn by the scenario from their own probabilities.</p>"))
    hc = {c: cal.handle.loc[(cal.handle["group"] == "") & (cal.handle["call_type"] == c), "best"].iloc[0]
          if handles[c] else None for c in types}
    body.append(section("handle", f"2. {_tally(hc, 'handle time')}", [v for v in handles.values() if v],
                        "<p class='note'>Handle time is end − answer of answered calls (talk and after-call work "
                        "together). Thick line: the law the scenario uses; dotted: the others. AIC = 2k − 2 log L, lower "
                        "is better.</p>"))
    pc = {c: cal.patience_fits[c]["chosen"] for c in types}
    body.append(section("patience", f"3. {_tally(pc, 'patience')}", [v for v in patience.values() if v],
                        "<p class='note'>Patience is seen only for callers who abandoned; answered callers were at "
                        "least as patient as their wait (censored). Kaplan–Meier (lifelines) estimates the share still "
                        "willing to wait without assuming a law, drawn where at least "
                        f"{MIN_AT_RISK} callers (and 1%) still wait.</p>"))
    if bts:
        charts = []
        for k, (fig, _, whys) in bts.items():
            items = "".join(f"<li>{esc(w)}</li>" for w in whys[:12]) + (f"<li>and {len(whys) - 12} more</li>"
                                                                       if len(whys) > 12 else "")
            place, script = _figure_html(f"backtest-{k}", fig)
            scripts.append(script)
            charts.append(place + (f"<ul class='why'>{items}</ul>" if items else
                                   "<p class='note'>Every interval agrees.</p>"))
        h2 = esc(f"4. Backtest of the scenario of {_a_day(cal.day)}")
        body.append(f"<section class='panel chart' id='section-backtest'><h2>{h2}</h2>{''.join(charts)}<p class='note'>"
                    "Observed: mean over the log's days of this type. They agree when it lies within simulated ± "
                    "t·√(s²_sim/reps + s²_obs/days). Causes are named only when a measured figure supports them.</p>"
                    "</section>")
    else:
        why = ("No backtest was given: run ccsim.calibrate.backtest(log, cal) to compare the scenario with the log."
               if backtest is None else "The backtest compared no interval (no calls offered in the log or the run).")
        body.append(f"<section class='panel' id='section-backtest'><h2>4. Backtest</h2><p class='note'>{why}</p></section>")
    more = cal.call_types[MAX_TYPES:]
    if more:
        body.append(f"<p class='note'>{len(more)} quieter call types are not drawn (they are in the table): "
                    f"{esc(', '.join(more))}.</p>")
    body.append(f"<section class='panel'><h2>Every estimate ({len(cal.summary()):,})</h2>{_estimates_table(cal)}</section>")
    notes = [*(("Note", n) for n in cal.notes), ("Staffing", f"from {cal.staffing_source}"),
             ("Report made", f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} with ccsim {__version__}")]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in notes)
    body.append(f"<section class='panel'><h2>Notes</h2><table class='notes'>{rows}</table></section>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(head)}</title><style>{CSS}{EXTRA_CSS}</style></head><body><main>{''.join(body)}</main>"
            "<script type='text/javascript'>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script>{''.join(scripts)}</body></html>\n")


def write_calibration_page(log: CallLog, cal: Calibration, backtest: pd.DataFrame | None, out: str | Path) -> Path:
    """Write the page (atomically) to ``out`` (a folder gets :data:`PAGE_FILE`) and return its path."""
    path = Path(out)
    if path.is_dir():
        path = path / PAGE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    page = calibration_page(log, cal, backtest)
    return atomic_write(path, lambda p: Path(p).write_text(page, encoding="utf-8"))


__all__ = ["calibration_page", "write_calibration_page", "daily_counts", "daily_total", "km_curve", "PAGE_FILE"]
