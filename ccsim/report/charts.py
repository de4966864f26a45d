"""The six charts of the report (plotly figures), each titled with its finding: KPIs by design, the staffing
frontier, the day interval by interval, the waiting-time distribution, the customer journey, cost against
service."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..kpis import REGISTRY
from .data import (CARDS, TARGET_SL, Data, Point, Series, cdf, finite, flows, node_kinds, passed_per_100, quantile,
                   significant)
from .style import OUTCOME_COLORS, TARGET_LINE, layout, rgba
from .words import chart_label as _t
from .words import ci_text, diff, pesc, short, value, wait_text

MAX_SANKEYS = 4         # journeys drawn; more designs get a note
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


def kpis_chart(data: Data) -> go.Figure:
    thr = data.thr
    cols = 3
    rows = math.ceil(len(CARDS) / cols)
    titles = [REGISTRY[k].title(thr) + (f" ({UNIT_TITLES[REGISTRY[k].unit]})" if REGISTRY[k].unit in UNIT_TITLES
                                        else "") for k in CARDS]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.13, horizontal_spacing=0.08)
    for j, name in enumerate(CARDS):
        kpi = REGISTRY[name]
        r, c = j // cols + 1, j % cols + 1
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
                hovertemplate=hover + "<extra></extra>"), row=r, col=c)
        if kpi.unit == "share":
            fig.update_yaxes(tickformat=".0%", row=r, col=c)
        fig.update_yaxes(rangemode="tozero", ticksuffix=" s" if kpi.unit == "seconds" else "", row=r, col=c)
        fig.update_xaxes(type="category", showticklabels=len(data.series) <= 6, tickangle=0,
                         tickvals=[pesc(s.label) for s in data.series],
                         ticktext=[pesc(short(s.label, 16)) for s in data.series], row=r, col=c)
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
        who = _t(others[0].label) if len(others) == 1 else f"{len(others)} designs"
        title = (f"{who} vs {_t(data.baseline.label)}: better on {better}, worse on {worse}, no clear difference "
                 f"on {same} KPIs (95% CI{', paired' if data.paired else ''})")
    else:
        p = data.series[0].head
        title = (f"{_t(data.series[0].label)}: {value('service_level', p.mean('service_level'))} answered within "
                 f"{thr} s, {value('abandon_rate', p.mean('abandon_rate'))} abandoned")
    fig.update_layout(bargap=0.25)
    return layout(fig, title, 250 * rows + 110, top=90)


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
    fig.add_hline(y=TARGET_SL, line=TARGET_LINE, row=1, col=1,
                  annotation_text=f"{TARGET_SL:.0%} target", annotation_position="bottom right")
    # the finding: staffing each design needs to reach the target, else who is ahead at how many levels
    need = {}
    for s in data.series:
        ok = [p.staffing for p in s.points if finite(p.mean("service_level")) and p.mean("service_level") >= TARGET_SL]
        need[s.label] = min(ok) if ok else None
    fmt_s = (lambda v: f"×{v:.2f}") if scale else (lambda v: f"{v:g}")
    if len(data.series) == 1:
        s = data.series[0]
        lo_p, hi_p = s.points[0], s.points[-1]
        title = (f"Service level goes from {value('service_level', lo_p.mean('service_level'))} at "
                 f"{fmt_s(lo_p.staffing)} to {value('service_level', hi_p.mean('service_level'))} at "
                 f"{fmt_s(hi_p.staffing)} staffing")
        if need[s.label] is not None:
            title += f"; {TARGET_SL:.0%} within {data.thr} s needs {fmt_s(need[s.label])}"
    elif all(v is not None for v in need.values()) and len(data.series) <= 4:
        title = (f"To answer {TARGET_SL:.0%} within {data.thr} s: "
                 + ", ".join(f"{_t(k)} needs {fmt_s(v)}" for k, v in need.items()) + " staffing")
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
    return layout(fig, title, 480)


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
    fig.update_xaxes(title_text="time of day" if not multi else "day and time", row=2, col=1)
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
                     range=[0, max(xmax, thr * 2)])
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


def _node_name(nm: str, queues: set) -> str:
    m = re.match(r"^(.*) #(\d+)$", nm)
    if not m:
        return pesc(nm)
    base, leg = m.group(1), int(m.group(2))
    kind = "queue " if nm in queues else ""
    return pesc(f"{kind}{base}" + ("" if leg == 1 else f" · {leg}{'nd' if leg == 2 else 'rd' if leg == 3 else 'th'}"))


def journey_chart(data: Data) -> tuple[go.Figure | None, str]:
    have = [(s, flows(s.head)) for s in data.series]
    have = [(s, f) for s, f in have if f]
    if not have:
        return None, ""
    note = ""
    if len(have) > MAX_SANKEYS:
        note = f"Journeys of the first {MAX_SANKEYS} of {len(have)} designs are drawn."
        have = have[:MAX_SANKEYS]
    fig = go.Figure()
    n = len(have)
    gap = 0.1 if n > 1 else 0.0
    h = (1 - gap * (n - 1)) / n
    for i, (s, fl) in enumerate(have):
        queues, groups = node_kinds(fl)
        nodes = sorted({a for a, _, _ in fl} | {b for _, b, _ in fl},
                       key=lambda x: (0 if x == "IVR" else 3 if x in OUTCOME_COLORS else 1,
                                      int(x.rsplit("#", 1)[1]) if re.search(r" #\d+$", x) else 0,
                                      0 if x in queues else 1, x))
        idx = {nm: k for k, nm in enumerate(nodes)}
        colors = [OUTCOME_COLORS.get(nm, rgba(s.color, 0.55) if nm in queues else s.color) for nm in nodes]
        link_colors, labels = [], []
        for a, b, v in fl:
            if b == "abandoned":
                link_colors.append("rgba(214,39,40,0.35)")
            elif a in groups and b in queues:
                link_colors.append("rgba(213,94,0,0.55)")     # passed on: the maze
            elif b in ("resolved",):
                link_colors.append("rgba(44,160,44,0.25)")
            else:
                link_colors.append("rgba(120,120,120,0.22)")
            labels.append(f"{_node_name(a, queues)} → {_node_name(b, queues)}: {v:,.1f} calls per replication")
        y0 = 1 - (i + 1) * h - i * gap
        fig.add_trace(go.Sankey(
            domain=dict(x=[0, 1], y=[max(y0, 0), min(y0 + h, 1)]), arrangement="snap", valueformat=",.1f",
            node=dict(label=[_node_name(nm, queues) for nm in nodes], color=colors, pad=14, thickness=16,
                      line=dict(color="#fff", width=0.5),
                      hovertemplate="%{label}: %{value:,.1f} calls per replication<extra></extra>"),
            link=dict(source=[idx[a] for a, _, _ in fl], target=[idx[b] for _, b, _ in fl],
                      value=[v for _, _, v in fl], color=link_colors, customdata=labels,
                      hovertemplate="%{customdata}<extra></extra>"),
            name=pesc(s.label)))
        fig.add_annotation(x=0, y=min(y0 + h, 1), xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                           showarrow=False, text=f"<b>{_t(s.label)}</b>" + (f" ({pesc(s.mode)})" if s.mode else "")
                           + f" — {passed_per_100(fl):.0f} in 100 calls passed to another queue",
                           font=dict(color=s.color, size=14))
    per = [(s, passed_per_100(f)) for s, f in have]
    title = ("Passed on to another queue (transfer or handoff): "
             + ", ".join(f"{_t(s.label)} {v:.0f} in 100 calls" for s, v in per))
    fig = layout(fig, title, 120 + 420 * n)
    fig.update_layout(margin=dict(l=20, r=20, t=130, b=30))
    return fig, note


def cost_chart(data: Data) -> go.Figure:
    fig = go.Figure()
    for s in data.series:
        xs, ys, exh, exl, eyh, eyl, hover = [], [], [], [], [], [], []
        for p in s.points:
            c, sl = p.mean("cost"), p.mean("service_level")
            (cl, ch), (sll, slh) = p.ci("cost"), p.ci("service_level")
            xs.append(c if finite(c) else None)
            ys.append(sl if finite(sl) else None)
            exh.append(ch - c if finite(ch) else 0)
            exl.append(c - cl if finite(cl) else 0)
            eyh.append(slh - sl if finite(slh) else 0)
            eyl.append(sl - sll if finite(sll) else 0)
            where = f" at {pesc(data.staffing_text(p.staffing))}" if p.staffing is not None else ""
            hover.append(f"{pesc(s.label)}{where}<br>service level {value('service_level', sl)} "
                         f"(95% CI {ci_text('service_level', sll, slh)})<br>cost {value('cost', c)} "
                         f"(95% CI {ci_text('cost', cl, ch)})<br>abandoned {value('abandon_rate', p.mean('abandon_rate'))}")
        labels = ([f"×{p.staffing:.2f}" if data.staffing_factor.endswith("staffing_scale") else f"{p.staffing:g}"
                   for p in s.points] if data.staffing_factor and len(s.points) <= 12 else None)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode=("lines+markers" if len(xs) > 1 else "markers") + ("+text" if labels else ""),
            name=pesc(s.label), text=labels, textposition="top left", textfont=dict(size=11, color=s.color),
            line=dict(color=s.color, width=1.5), marker=dict(size=11, color=s.color, line=dict(color="#fff", width=1)),
            # whiskers while they stay readable; with many points the CIs are in the hover
            error_x=dict(type="data", array=exh, arrayminus=exl, color=s.color, thickness=1, visible=len(xs) <= 12),
            error_y=dict(type="data", array=eyh, arrayminus=eyl, color=s.color, thickness=1, visible=len(xs) <= 12),
            customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    fig.add_hline(y=TARGET_SL, line=TARGET_LINE, annotation_text=f"{TARGET_SL:.0%} target",
                  annotation_position="bottom right")
    fig.update_xaxes(title_text="cost over the run (agent-hours × hourly rate)", tickformat=",.0f")
    fig.update_yaxes(title_text=f"service level (% answered within {data.thr} s)", tickformat=".0%")
    allp = [(s, p) for s in data.series for p in s.points if finite(p.mean("cost")) and finite(p.mean("service_level"))]
    ok = [(s, p) for s, p in allp if p.mean("service_level") >= TARGET_SL]

    def label(s: Series, p: Point) -> str:
        return _t(s.label) + (f" at {pesc(data.staffing_text(p.staffing))}" if p.staffing is not None else "")

    def sl(p: Point) -> str:
        return value("service_level", p.mean("service_level"))

    if len(allp) == 1:
        s, p = allp[0]
        title = f"{label(s, p)}: {sl(p)} within {data.thr} s for a cost of {value('cost', p.mean('cost'))}"
    elif ok:
        s, p = min(ok, key=lambda sp: sp[1].mean("cost"))
        title = (f"Cheapest way to answer {TARGET_SL:.0%} within {data.thr} s: {label(s, p)}, cost "
                 f"{value('cost', p.mean('cost'))} ({sl(p)})")
    elif allp:
        s, p = max(allp, key=lambda sp: sp[1].mean("service_level"))
        title = (f"No design reaches {TARGET_SL:.0%} within {data.thr} s; the best is {label(s, p)} with "
                 f"{sl(p)} for {value('cost', p.mean('cost'))}")
    else:
        title = "Cost against service level"
    return layout(fig, title, 480, hovermode="closest")


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
              "Bars: mean over replications; whiskers: 95% confidence interval."),
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
                 else "; whiskers: 95% confidence intervals.")),
    ]
