"""The six charts of the report (plotly figures), each titled with its finding: KPIs by design, the staffing
frontier, the day interval by interval, the waiting-time distribution, the customer journey, cost against
service."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..kpis import REGISTRY
from .data import CARDS, TARGET_SL, TARGETS, Data, Point, Series, cdf, finite, quantile, significant
from .journey import journey_chart
from .style import TARGET_LINE, TONE_COLORS, layout, place_labels, rgba
from .words import chart_label as _t
from .words import ci_text, diff, minus, missed_text, pesc, short, targets_text, tone, value, wait_text

#: what the y axis of a KPI counts, said in the sub-plot title where the axis does not say it
UNIT_TITLES = {"money": "agent-hours × rate"}


def _pct_list(xs) -> list:
    return [None if not finite(x) else float(x) for x in xs]


def _versus(data: Data, s: Series, name: str) -> str:
    """The hover line of a design's difference with the baseline ("" for the baseline)."""
    if s is data.baseline or s.label not in data.diffs or name not in data.diffs[s.label].index:
        return ""
    d = data.diffs[s.label].loc[name]
    return (f"<br>vs {pesc(data.baseline.label)}: {diff(name, d['diff'])} "
            f"[{ci_text(name, d['ci_low'], d['ci_high'], is_diff=True)}]")


#: px of a KPI's block in the first chart: its title, the bars, their design names, (with a baseline) the
#: differences in words, their dots and whiskers, and the ticks of these, then space
BLOCK = {"title": 26, "bars": 150, "names": 24, "words": 0, "diffs": 0, "ticks": 18, "after": 24}
WORDED = 3              # differences told in words under a KPI (more designs: in the hover)
WIDE = 56               # characters of a line of words under a KPI at most (its sub-plot's width and the gap)


def _diff_words(data: Data, name: str) -> list[str]:
    """A KPI's differences with the baseline and their 95% CIs in words, a line each (fitting the sub-plot)."""
    others = [s for s in data.series if s is not data.baseline]
    said = [(TONE_COLORS[tone(data, s, name)], s.label, diff(name, d["diff"]) + " [" + ci_text(name, d["ci_low"], d["ci_high"],
                                                                                   is_diff=True) + "]")
            for s in others[:WORDED] if name in data.diffs[s.label].index
            for d in [data.diffs[s.label].loc[name]] if finite(d["diff"])]
    base = short(data.baseline.label, 14)
    if len(others) == 1 and said:
        col, who, x = said[0]
        head = f"{short(who, 14)} vs {base}:"
        return ([f"<span style='color:{col}'>{pesc(head)} {x}</span>"] if len(head) + len(x) < WIDE else
                [f"<span style='color:{col}'>{pesc(head)}</span>", f"<span style='color:{col}'>{x}</span>"])
    return ([f"vs {pesc(base)}:"] + [f"<span style='color:{t}'>{pesc(short(who, 10))}: {x}</span>" for t, who, x in said]
            + ([f"… {len(others) - WORDED} more in the hover"] if len(others) > WORDED else []))


def _diff_strip(fig: go.Figure, data: Data, name: str, row: int, col: int, words: list[str], words_y: float) -> None:
    """Under a KPI's bars: each design's difference with the baseline and its 95% CI (the headline's interval),
    in words and as a dot with whiskers about a zero line."""
    kpi, scale = REGISTRY[name], 100.0 if REGISTRY[name].unit == "share" else 1.0
    how = "paired difference" if data.paired else "unpaired (Welch) difference"
    others = [s for s in data.series if s is not data.baseline]
    ends = [0.0]
    for s in others:
        d = data.diffs[s.label].loc[name] if name in data.diffs[s.label].index else None
        if d is None or not finite(d["diff"]):
            continue
        dv, lo, hi = (float(d[c]) for c in ("diff", "ci_low", "ci_high"))
        ends += [dv * scale] + ([lo * scale, hi * scale] if finite(lo) and finite(hi) else [])
        fig.add_trace(go.Scatter(
            x=[dv * scale], y=[pesc(s.label)], mode="markers", showlegend=False,
            name=f"{pesc(s.label)} − {pesc(data.baseline.label)}", marker=dict(color=s.color, size=9),
            error_x=dict(type="data", array=[(hi - dv) * scale if finite(hi) else 0],
                         arrayminus=[(dv - lo) * scale if finite(lo) else 0], color=s.color, thickness=2.5, width=5),
            hovertemplate=(f"{pesc(s.label)} vs {pesc(data.baseline.label)}: {diff(name, dv)}<br>95% CI "
                           f"{ci_text(name, lo, hi, is_diff=True)}<br>{how} over {int(d['reps'])} replications"
                           "<extra></extra>")), row=row, col=col)
    xd = fig.get_subplot(row, col).xaxis.domain
    fig.add_annotation(x=(xd[0] + xd[1]) / 2, y=words_y, xref="paper", yref="paper", xanchor="center", yanchor="top",
                       showarrow=False, font=dict(size=11), text="<br>".join(words))
    span = (max(ends) - min(ends)) or 1.0
    lo_x, hi_x = min(ends) - 0.12 * span, max(ends) + 0.12 * span
    step = next(m * 10 ** math.floor(math.log10(span / 3)) for m in (1, 2, 5, 10)
                if m * 10 ** math.floor(math.log10(span / 3)) >= span / 3)
    ticks = [k * step for k in range(math.ceil(lo_x / step), math.floor(hi_x / step) + 1)]
    dec, unit = max(0, -math.floor(math.log10(step))), {"share": " pts", "seconds": " s"}.get(kpi.unit, "")
    fig.update_xaxes(range=[lo_x, hi_x], zeroline=True, zerolinecolor="#444", zerolinewidth=1.5, showgrid=False,
                     tickvals=ticks, ticktext=["0" if abs(v) < step / 1e6 else minus(f"{v:+,.{dec}f}") + unit
                                               for v in ticks], tickfont=dict(size=10), row=row, col=col)
    cats = [pesc(s.label) for s in reversed(others)]
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=cats, range=[-0.6, len(cats) - 0.4],
                     tickvals=cats, ticktext=[pesc(short(s.label, 10)) for s in reversed(others)], showgrid=False,
                     showticklabels=len(others) > 1, tickfont=dict(size=10), row=row, col=col)


def kpis_chart(data: Data) -> go.Figure:
    """Each KPI's mean and 95% CI per design (bars); under them, each design's difference with the baseline and
    its 95% CI: the interval the headline states (paired, or unpaired (Welch))."""
    thr = data.thr
    cols = 3
    rows = math.ceil(len(CARDS) / cols)
    pair = len(data.series) > 1
    k = len(data.series) - 1
    titles = [REGISTRY[k].title(thr) + (f" ({UNIT_TITLES[REGISTRY[k].unit]})" if REGISTRY[k].unit in UNIT_TITLES
                                        else "") for k in CARDS]
    said = {name: _diff_words(data, name) for name in CARDS} if pair else {}
    px = {**BLOCK, "words": 16 * max(map(len, said.values()), default=0) + 4, "diffs": max(26, 16 * k + 8)}
    parts = ("title", "bars", "names", "words", "diffs", "ticks", "after") if pair else ("title", "bars", "names",
                                                                                         "after")
    block = sum(px[p] for p in parts)
    plot_h = rows * block - px["after"]
    fig = make_subplots(rows=rows * (2 if pair else 1), cols=cols, horizontal_spacing=0.08, vertical_spacing=0.01)
    cats = [pesc(s.label) for s in data.series]
    for j, name in enumerate(CARDS):
        kpi = REGISTRY[name]
        r, c = j // cols + 1, j % cols + 1
        br = 2 * r - 1 if pair else r
        top = (r - 1) * block + px["title"]
        fig.update_yaxes(domain=[1 - (top + px["bars"]) / plot_h, 1 - top / plot_h], row=br, col=c)
        xd = fig.get_subplot(br, c).xaxis.domain
        fig.add_annotation(x=(xd[0] + xd[1]) / 2, y=1 - top / plot_h, xref="paper", yref="paper", xanchor="center",
                           yanchor="bottom", yshift=4, text=titles[j], showarrow=False, font=dict(size=15))
        for s in data.series:
            m = s.head.mean(name)
            lo, hi = s.head.ci(name)
            hover = (f"{pesc(s.label)}<br>{pesc(kpi.title(thr))}: {value(name, m)}<br>95% CI {ci_text(name, lo, hi)}"
                     + _versus(data, s, name))
            fig.add_trace(go.Bar(
                x=[pesc(s.label)], y=[m if finite(m) else None], name=pesc(s.label), marker_color=s.color,
                showlegend=False, text=[value(name, m)], textposition="inside", insidetextanchor="start",
                error_y=dict(type="data", array=[hi - m if finite(hi) else 0],
                             arrayminus=[m - lo if finite(lo) else 0], color="#333", thickness=1.5),
                hovertemplate=hover + "<extra></extra>"), row=br, col=c)
        if kpi.unit == "share":
            fig.update_yaxes(tickformat=".0%", row=br, col=c)
        fig.update_yaxes(rangemode="tozero", ticksuffix=" s" if kpi.unit == "seconds" else "", row=br, col=c)
        fig.update_xaxes(type="category", showticklabels=len(data.series) <= 6, tickangle=0, tickvals=cats,
                         ticktext=[pesc(short(s.label, max(5, 32 // len(data.series)))) for s in data.series],
                         row=br, col=c)
        if pair:
            top += px["bars"] + px["names"]
            words_y = 1 - top / plot_h
            top += px["words"]
            fig.update_yaxes(domain=[1 - (top + px["diffs"]) / plot_h, 1 - top / plot_h], row=br + 1, col=c)
            _diff_strip(fig, data, name, br + 1, c, said[name], words_y)
    for j in range(len(CARDS), rows * cols):     # the grid's empty places: no axes
        for rr in ((2 * (j // cols) + 1, 2 * (j // cols) + 2) if pair else (j // cols + 1,)):
            fig.update_xaxes(visible=False, row=rr, col=j % cols + 1)
            fig.update_yaxes(visible=False, row=rr, col=j % cols + 1)
    if len(data.series) > 1:
        better = worse = same = 0
        for s in data.series:
            if s is data.baseline:
                continue
            for name in CARDS:
                if not REGISTRY[name].better or name not in data.diffs[s.label].index:
                    continue
                if not significant(data.diffs[s.label], name):
                    same += 1
                elif data.diffs[s.label].loc[name, "diff"] * REGISTRY[name].better > 0:
                    better += 1
                else:
                    worse += 1
        others = [s for s in data.series if s is not data.baseline]
        who = pesc(short(others[0].label, 20)) if len(others) == 1 else f"{len(others)} designs"
        title = (f"{who} vs {pesc(short(data.baseline.label, 20))}: better on {better}, worse on {worse}, no clear "
                 f"difference on {same} KPIs (95% CI, {'paired' if data.paired else 'unpaired'})")
    else:
        p = data.series[0].head
        title = (f"{_t(data.series[0].label)}: {value('service_level', p.mean('service_level'))} answered within "
                 f"{thr} s, {value('abandon_rate', p.mean('abandon_rate'))} abandoned")
    fig.update_layout(bargap=0.25)
    sub = (f"Under each KPI: the difference vs {_t(data.baseline.label)} with its 95% CI, as the headline states it "
           f"({'paired: the designs faced the very same callers' if data.paired else 'unpaired (Welch): the runs faced different callers'})"
           if pair else "")
    fig = layout(fig, title, int(plot_h) + 90 + 30, top=90, sub=sub)
    fig.update_layout(margin=dict(b=30))
    return fig


def frontier_chart(data: Data) -> go.Figure | None:
    if data.staffing_factor is None or all(len(s.points) < 2 for s in data.series):
        return None
    scale = data.staffing_factor.endswith("staffing_scale")
    xtitle = "staffing (× planned headcount)" if scale else f"staffing ({pesc(data.staffing_factor)})"
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=(f"Service level (% answered within {data.thr} s)", "Abandonment (% of calls)"))
    for c, name in enumerate(("service_level", "abandon_rate"), start=1):
        for s in data.series:
            xs = [p.staffing for p in s.points]
            ms = [p.mean(name) for p in s.points]
            cis = [p.ci(name) for p in s.points]
            hover = [f"{pesc(s.label)} at {pesc(data.staffing_text(p.staffing))}<br>{pesc(REGISTRY[name].title(data.thr))}: "
                     f"{value(name, m)} (95% CI {ci_text(name, lo, hi)})<br>agent-hours: "
                     f"{p.agent_hours(data.scenario.interval):,.0f}<br>cost: {value('cost', p.mean('cost'))}"
                     for p, m, (lo, hi) in zip(s.points, ms, cis)]
            band = len(xs) > 12    # many levels: the CI as a shaded band, not a forest of whiskers
            if band:
                for edge, fill in ((1, None), (0, "tonexty")):
                    fig.add_trace(go.Scatter(
                        x=xs, y=_pct_list([ci[edge] for ci in cis]), mode="lines", line=dict(width=0, color=s.color),
                        fill=fill, fillcolor=rgba(s.color, 0.18), hoverinfo="skip", showlegend=False,
                        legendgroup=pesc(s.label), name=pesc(s.label) + " 95% CI"), row=1, col=c)
            fig.add_trace(go.Scatter(
                x=xs, y=_pct_list(ms), mode="lines" if band else "lines+markers", name=pesc(s.label),
                legendgroup=pesc(s.label), showlegend=(c == 1), line=dict(color=s.color, width=2.5),
                marker=dict(size=7),
                error_y=None if band else dict(
                    type="data", array=[hi - m if finite(hi) else 0 for m, (lo, hi) in zip(ms, cis)],
                    arrayminus=[m - lo if finite(lo) else 0 for m, (lo, hi) in zip(ms, cis)],
                    color=s.color, thickness=1.2),
                text=hover, hovertemplate="%{text}<extra></extra>"), row=1, col=c)
        fig.update_yaxes(tickformat=".0%", row=1, col=c)
        fig.update_xaxes(title_text=xtitle, row=1, col=c)
    for t in TARGETS:           # the targets of the two KPIs drawn
        if t.kpi in ("service_level", "abandon_rate"):
            fig.add_hline(y=t.value, line=TARGET_LINE, row=1, col=1 if t.kpi == "service_level" else 2,
                          annotation_text=f"{t.value:.0%} target", annotation_position="bottom right")
    # the finding: the staffing each design needs to meet every target (the pessimistic end of the 95% CI, as
    # the cost chart), else who is ahead at how many levels
    need = {s.label: min((p.staffing for p in s.points if not p.misses()), default=None) for s in data.series}
    targets = targets_text(data.thr)
    if len(data.series) == 1:
        s = data.series[0]
        lo_p, hi_p = s.points[0], s.points[-1]
        title = (f"Service level goes from {value('service_level', lo_p.mean('service_level'))} at "
                 f"{data.staffing_short(lo_p.staffing)} to {value('service_level', hi_p.mean('service_level'))} at "
                 f"{data.staffing_short(hi_p.staffing)} staffing")
        if need[s.label] is not None:
            title += f"; {targets} needs {data.staffing_short(need[s.label])}"
    elif all(v is not None for v in need.values()) and len(data.series) <= 4:
        title = (f"To meet {targets}: "
                 + ", ".join(f"{_t(k)} needs {data.staffing_short(v)}" if i == 0 else f"{_t(k)} {data.staffing_short(v)}"
                             for i, (k, v) in enumerate(need.items())))
    else:
        b = {p.staffing: p.mean("service_level") for p in data.baseline.points}
        bits = []
        for s in data.series:
            if s is data.baseline:
                continue
            common = [(p.mean("service_level"), b[p.staffing]) for p in s.points if p.staffing in b]
            ahead = sum(1 for x, y in common if finite(x) and finite(y) and x > y)
            bits.append(f"{_t(s.label)} is ahead of {_t(data.baseline.label)} at {ahead} of {len(common)} staffing levels")
        title = "; ".join(bits[:3]) + (" …" if len(bits) > 3 else "")
    return layout(fig, title, 480, sub="A design meets a target when the pessimistic end of its 95% CI does, as "
                                       "ccsim staff plans (whiskers: 95% CI)")


def _clock(hours: float, multi_day: bool) -> str:
    day, h = divmod(hours, 24)
    hh, mm = int(h), int(round((h - int(h)) * 60))
    if mm == 60:
        hh, mm = hh + 1, 0
    return (f"d{int(day) + 1} " if multi_day else "") + f"{hh:02d}:{mm:02d}"


def intraday_chart(data: Data) -> go.Figure | None:
    have = [s for s in data.series if s.head.intervals is not None and "service_level" in s.head.intervals]
    if not have:
        return None
    sc = data.scenario
    interval = sc.interval
    n = max(int(s.head.intervals["interval"].max()) + 1 for s in have)
    horizon = sc.horizon or n * interval
    multi = horizon > 86400
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.09, row_heights=[0.5, 0.5],
                        specs=[[{}], [{"secondary_y": True}]],
                        subplot_titles=(f"Service level by half-hour (% answered within {data.thr} s)"
                                        if interval == 1800 else f"Service level by interval (% within {data.thr} s)",
                                        "Calls offered (solid) and agents on duty (dotted)"))
    for s in have:
        iv = s.head.intervals
        x = ((iv["interval"] + 0.5) * interval / 3600).tolist()
        when = [f"{_clock(i * interval / 3600, multi)}–{_clock((i + 1) * interval / 3600, multi)}" for i in iv["interval"]]
        sl = iv["service_level"].tolist()
        off = iv["offered"].tolist() if "offered" in iv else [None] * len(x)
        ag = iv["agents"].tolist() if "agents" in iv else None
        ab = iv["abandon_rate"].tolist() if "abandon_rate" in iv else [float("nan")] * len(x)
        hover = [f"{pesc(s.label)}, {w}<br>service level {value('service_level', v)}<br>abandoned "
                 f"{value('abandon_rate', a)}<br>calls offered {o:,.1f}" + (f"<br>agents {g:,.1f}" if ag is not None else "")
                 for w, v, a, o, g in zip(when, sl, ab, off, ag if ag is not None else [0] * len(x))]
        fig.add_trace(go.Scatter(x=x, y=_pct_list(sl), mode="lines", name=pesc(s.label), legendgroup=pesc(s.label),
                                 line=dict(color=s.color, width=2.5), text=hover,
                                 hovertemplate="%{text}<extra></extra>"), row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=off, mode="lines", name=pesc(s.label) + " calls", legendgroup=pesc(s.label),
                                 showlegend=False, line=dict(color=s.color, width=2), text=hover,
                                 hovertemplate="%{text}<extra></extra>"), row=2, col=1, secondary_y=False)
        if ag is not None:
            fig.add_trace(go.Scatter(x=x, y=ag, mode="lines", name=pesc(s.label) + " agents", legendgroup=pesc(s.label),
                                     showlegend=False, line=dict(color=s.color, width=2, dash="dot", shape="hvh"),
                                     text=hover, hovertemplate="%{text}<extra></extra>"),
                          row=2, col=1, secondary_y=True)
    step = next(h for h in (1, 2, 3, 4, 6, 12, 24, 48, 96, 168, 10 ** 6) if horizon / 3600 / h <= 13)
    ticks = list(np.arange(0, horizon / 3600 + 1e-9, step))
    for r in (1, 2):
        fig.update_xaxes(tickvals=ticks, ticktext=[_clock(t, multi) for t in ticks], range=[0, horizon / 3600],
                         row=r, col=1)
    fig.update_xaxes(title_text="time of day" if not multi else "day and time", ticklabelstandoff=6, row=2, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.add_hline(y=TARGET_SL, line=TARGET_LINE, row=1, col=1,
                  annotation_text=f"{TARGET_SL:.0%} target", annotation_position="bottom right")
    fig.update_yaxes(title_text="calls per interval", rangemode="tozero", row=2, col=1, secondary_y=False)
    fig.update_yaxes(title_text="agents", rangemode="tozero", showgrid=False, tickmode="auto", nticks=6,
                     row=2, col=1, secondary_y=True)
    surge_hours = []
    for sg in sc.demand.surges:
        x0, x1 = sg.start / 3600, sg.end / 3600
        surge_hours.append((x0, x1))
        who = ", ".join(sg.call_types or []) or "all calls"
        fig.add_vrect(x0=x0, x1=x1, fillcolor="#D55E00", opacity=0.12, line_width=0, row="all", col=1)
        fig.add_annotation(x=(x0 + x1) / 2, y=1.0, xref="x", yref="y domain", yanchor="bottom", showarrow=False,
                           text=f"surge ×{sg.multiplier:g} ({pesc(who)})", font=dict(color="#D55E00", size=12))
    if sc.warmup > 0:
        fig.add_vrect(x0=0, x1=sc.warmup / 3600, fillcolor="#999", opacity=0.12, line_width=0, row="all", col=1)
        fig.add_annotation(x=sc.warmup / 7200, y=1.0, xref="x", yref="y domain", yanchor="bottom",
                           showarrow=False, text="warm-up (not counted)", font=dict(color="#666", size=12))
    # the finding: the worst busy interval of the baseline, and every design then
    b = (data.baseline if data.baseline in have else have[0]).head.intervals
    busy = b[(b["offered"] >= 0.02 * b["offered"].max()) & b["service_level"].notna()] if "offered" in b else b
    if busy.empty:
        title = "Service level through the day"
    else:
        i = int(busy.loc[busy["service_level"].idxmin(), "interval"])
        t0, t1 = i * interval / 3600, (i + 1) * interval / 3600
        vals = []
        for s in have:
            row = s.head.intervals[s.head.intervals["interval"] == i]
            if not row.empty:
                vals.append(f"{_t(s.label)} {value('service_level', float(row['service_level'].iloc[0]))}")
        during = " during the surge" if any(a <= t0 < z for a, z in surge_hours) else ""
        title = (f"Service level is lowest at {_clock(t0, multi)}–{_clock(t1, multi)}{during}: " + ", ".join(vals[:4])
                 + (" …" if len(vals) > 4 else ""))
    return layout(fig, title, 620)


def wait_chart(data: Data) -> go.Figure | None:
    curves = [(s, cdf(s.head)) for s in data.series]
    curves = [(s, c) for s, c in curves if c is not None]
    if not curves:
        return None
    fig = go.Figure()
    xmax = 0.0
    for s, (ts, cs) in curves:
        hover = [f"{pesc(s.label)}: {100 * c:.1f}% of calls waited at most {t:g} s" for t, c in zip(ts, cs)]
        fig.add_trace(go.Scatter(x=ts, y=cs, mode="lines+markers", name=pesc(s.label), line=dict(color=s.color, width=2.5),
                                 marker=dict(size=6), text=hover, hovertemplate="%{text}<extra></extra>"))
        reach = next((t for t, c in zip(ts, cs) if c >= 0.995), ts[-1])
        xmax = max(xmax, reach)
    thr = data.scenario.sl_threshold
    fig.add_vline(x=thr, line=TARGET_LINE, annotation_text=f"{thr:g} s", annotation_position="top right")
    fig.update_xaxes(title_text="total time waiting in queues, seconds (holds during handoffs included)",
                     range=[0, max(xmax, thr * 2)], ticklabelstandoff=6)
    low = min(min(cs) for _, (ts, cs) in curves)
    fig.add_hline(y=0.9, line=TARGET_LINE, annotation_text="9 in 10 calls", annotation_position="bottom right")
    fig.update_yaxes(title_text="share of calls that waited at most this long", tickformat=".0%",
                     range=[max(0.0, math.floor(low * 10) / 10 - 0.05), 1.01])
    q = [(s, quantile(ts, cs, 0.9), ts[-1]) for s, (ts, cs) in curves]
    if len(q) == 1:
        s, v, last = q[0]
        title = f"9 in 10 calls to {_t(s.label)} wait at most {wait_text(v, last)}"
    else:
        title = "9 in 10 calls wait at most " + ", ".join(f"{wait_text(v, last)} with {_t(s.label)}" for s, v, last in q[:4])
        title += " …" if len(q) > 4 else ""
    return layout(fig, title, 460, hovermode="closest")


def cost_chart(data: Data) -> go.Figure:
    """Cost against service level, a point per design and staffing level: filled where it meets every target
    of :data:`~.data.TARGETS` (pessimistic end of the 95% CI), hollow where it misses one; labels only on the key
    points (each design's cheapest point meeting the targets), the rest in the hover."""
    fig = go.Figure()
    targets = targets_text(data.thr)
    for s in data.series:
        xs, ys, exh, exl, eyh, eyl, hover, symbols = [], [], [], [], [], [], [], []
        for p in s.points:
            c, sl = p.mean("cost"), p.mean("service_level")
            (cl, ch), (sll, slh) = p.ci("cost"), p.ci("service_level")
            xs.append(c if finite(c) else None)
            ys.append(sl if finite(sl) else None)
            exh.append(ch - c if finite(ch) else 0)
            exl.append(c - cl if finite(cl) else 0)
            eyh.append(slh - sl if finite(slh) else 0)
            eyl.append(sl - sll if finite(sll) else 0)
            miss = p.misses()
            symbols.append("circle-open" if miss else "circle")
            where = f" at {pesc(data.staffing_text(p.staffing))}" if p.staffing is not None else ""
            hover.append(f"{pesc(s.label)}{where}<br>service level {value('service_level', sl)} "
                         f"(95% CI {ci_text('service_level', sll, slh)})<br>abandoned "
                         f"{value('abandon_rate', p.mean('abandon_rate'))} (95% CI "
                         f"{ci_text('abandon_rate', *p.ci('abandon_rate'))})<br>cost {value('cost', c)} (95% CI "
                         f"{ci_text('cost', cl, ch)})<br>" + (f"misses: {missed_text(miss, data.thr)}" if miss
                                                              else "meets every target"))
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines+markers" if len(xs) > 1 else "markers", name=pesc(s.label), showlegend=False,
            legendgroup=pesc(s.label), line=dict(color=s.color, width=1.5), marker=dict(size=11, color=s.color, symbol=symbols,
                                                             line=dict(color=s.color, width=2)),
            # whiskers while they stay readable; with many points the CIs are in the hover
            error_x=dict(type="data", array=exh, arrayminus=exl, color=s.color, thickness=1, visible=len(xs) <= 12),
            error_y=dict(type="data", array=eyh, arrayminus=eyl, color=s.color, thickness=1, visible=len(xs) <= 12),
            customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    for s in data.series:       # the legend: designs, then what filled and hollow dots say
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers", name=pesc(s.label), hoverinfo="skip",
                                 legendgroup=pesc(s.label), line=dict(color=s.color, width=1.5),
                                 marker=dict(size=11, color=s.color)))
    for sym, what in (("circle", "meets every target"), ("circle-open", "misses a target")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=what, hoverinfo="skip",
                                 marker=dict(size=11, color="#777", symbol=sym, line=dict(color="#777", width=2))))
    fig.add_hline(y=TARGET_SL, line=TARGET_LINE, annotation_text=f"{TARGET_SL:.0%} target",
                  annotation_position="bottom right")
    allp = [(s, p) for s in data.series for p in s.points if finite(p.mean("cost")) and finite(p.mean("service_level"))]
    ok = [(s, p) for s, p in allp if not p.misses()]

    def label(s: Series, p: Point) -> str:
        return _t(s.label) + (f" {pesc(data.staffing_short(p.staffing))}" if p.staffing is not None else "")

    key: list[tuple[Series, Point, str]] = []
    if len(allp) == 1:
        s, p = allp[0]
        title = (f"{label(s, p)}: {value('service_level', p.mean('service_level'))} within {data.thr} s for a cost "
                 f"of {value('cost', p.mean('cost'))}; " + ("meets" if ok else "misses") + f" {targets}")
    elif ok:
        s, p = min(ok, key=lambda sp: sp[1].mean("cost"))
        title = f"Cheapest to meet {targets}: {label(s, p)}, cost {value('cost', p.mean('cost'))}"
        for t in data.series:
            mine = [q for u, q in ok if u is t]
            if mine:
                q = min(mine, key=lambda q: q.mean("cost"))
                key.append((t, q, " (cheapest)" if q is p else ""))
    elif allp:
        s, p = max(allp, key=lambda sp: sp[1].slack())
        title = (f"No design meets {targets}; the closest is {label(s, p)} (misses "
                 f"{missed_text(p.misses(), data.thr)}), cost {value('cost', p.mean('cost'))}")
        key.append((s, p, " (closest)"))
    else:
        title = "Cost against service level"
    if not data.staffing_factor and len(allp) <= 8:     # runs: a point per design, each named
        key = [(s, p, "") for s, p in allp]
    pts = [(p.ci("cost"), p.ci("service_level"), p.mean("cost"), p.mean("service_level")) for _, p in allp]
    xlo = min([c[0] if finite(c[0]) else m for c, _, m, _ in pts] or [0.0])
    xhi = max([c[1] if finite(c[1]) else m for c, _, m, _ in pts] or [1.0])
    ylo = min([s_[0] if finite(s_[0]) else m for _, s_, _, m in pts] + [TARGET_SL])
    yhi = max([s_[1] if finite(s_[1]) else m for _, s_, _, m in pts] + [TARGET_SL])
    xr = (xlo - 0.08 * (xhi - xlo or xhi or 1), xhi + 0.08 * (xhi - xlo or xhi or 1))
    yr = (max(0.0, ylo - 0.12 * (yhi - ylo or 0.1)), min(1.05, yhi + 0.12 * (yhi - ylo or 0.1)))
    fig.update_xaxes(title_text="cost over the run (agent-hours × hourly rate)", tickformat=",.0f", range=list(xr))
    fig.update_yaxes(title_text=f"service level (% answered within {data.thr} s)", tickformat=".0%", range=list(yr))
    place_labels(fig, [(p.mean("cost"), p.mean("service_level"),
                       pesc(short(s.label, 18)) + (f" {pesc(data.staffing_short(p.staffing))}" if p.staffing is not None
                                                   else "") + tag, s.color) for s, p, tag in key], xr, yr)
    sub = ("Targets met at the pessimistic end of the 95% CI, as ccsim staff plans: filled dots meet every target, "
           "hollow ones miss one (hover for which)")
    return layout(fig, title, 500, sub=sub, hovermode="closest")


@dataclass
class Chart:
    key: str
    heading: str
    fig: go.Figure | None
    note: str = ""


def make_charts(data: Data) -> list[Chart]:
    """The report's six charts, in order; a chart its results cannot draw is None with a note saying why."""
    single = len(data.series) == 1
    journey, jnote = journey_chart(data)
    return [
        Chart("kpis", "Key numbers" + ("" if single else " by design"), kpis_chart(data),
              "Bars: mean over replications; whiskers: 95% confidence interval." + ("" if single else
              f" Under the bars: each design's difference with {data.baseline.label} (dot) and its 95% confidence "
              f"interval (whiskers), {'paired' if data.paired else 'unpaired (Welch)'}: the numbers of the headline.")),
        Chart("frontier", "Service level and abandonment against staffing", frontier_chart(data),
              "" if data.staffing_factor else
              "No staffing factor in these results, so there is no frontier: run a sweep over "
              "design.staffing_scale (e.g. ccsim sweep experiments/sweeps/silo_vs_team.toml) to see how service "
              "level and abandonment move with headcount."),
        Chart("intraday", "Through the day", intraday_chart(data),
              "" if any(s.head.intervals is not None for s in data.series) else
              "These results have no interval table."),
        Chart("waits", "How long callers wait", wait_chart(data),
              "" if any(cdf(s.head) for s in data.series) else
              "These results have no waiting-time distribution (saved by an older ccsim): re-run to get it."),
        Chart("journey", "The customer journey", journey,
              jnote or ("" if journey is not None else
                        "These results have no journey flows (saved by an older ccsim): re-run to get them.")),
        Chart("cost", "Cost against service", cost_chart(data),
              "One point per design" + (" and staffing level" if data.staffing_factor else "")
              + ("; 95% confidence intervals in the hover." if any(len(s.points) > 12 for s in data.series)
                 else "; whiskers: 95% confidence intervals.")
              + (" Labelled: each design's cheapest point meeting the targets; every point's staffing, abandonment "
                 "and the targets it misses are in the hover." if data.staffing_factor else "")),
    ]
