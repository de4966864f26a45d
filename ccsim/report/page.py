"""The report as one self-contained HTML page: headline, KPI cards, the charts (plotly.js embedded once, so the
page opens with no network) and where the numbers come from."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import plotly.io as pio
from plotly.offline import get_plotlyjs

from .. import kpis
from ..version import __version__
from .charts import Chart
from .data import Data
from .style import CSS, PLOT_CONFIG
from .words import cards, esc, fine_print, headlines, series_name, subtitle, title


def cards_html(data: Data) -> str:
    """A row of KPI cards per design."""
    out = []
    for s in data.series:
        p = s.head
        where = f" <span class='mode'>at {esc(data.staffing_text(p.staffing))}</span>" if p.staffing is not None else ""
        row = []
        for c in cards(data, s):
            extra = f"<div class='c'>{c.extra}</div>" if c.extra else ""
            delta = (f"<div class='d {c.tone}'>{c.delta}<br><span class='ci'>[{c.delta_ci}]</span></div>"
                     if c.delta else "")
            row.append(f"<div class='card' style='--c:{s.color}'><div class='k'>{c.title}</div>"
                       f"<div class='x'>{c.hint}</div><div class='v'>{c.value}</div>"
                       f"<div class='c'>95% CI {c.ci}</div>{extra}{delta}</div>")
        out.append(f"<div class='design-row'><h3><span class='chip' style='background:{s.color}'></span>"
                   f"{series_name(s)}{where}</h3><div class='cards'>{''.join(row)}</div></div>")
    return "".join(out)


#: the KPIs of the table by call type
TYPE_KPIS = ("offered", "service_level", "abandon_rate", "asa", "blocked", "messages", "disconnected", "vhold_accepted",
             "unreached")


def call_types_html(data: Data) -> str:
    """A table per design of its call types' KPIs (mean over replications, 95% CI), each call type's service
    level at its own threshold; "" when no design has several call types."""
    out = []
    for s in data.series:
        ct = s.head.call_types
        if ct is None:
            continue
        names = [k for k in TYPE_KPIS if k in ("offered", "service_level", "abandon_rate", "asa") or (ct[k] > 0).any()]
        head = "".join(f"<th>{esc(kpis.REGISTRY[k].label.replace(' ({thr} s)', ''))}</th>" for k in names)
        rows = []
        for name, g in ct.groupby("call_type", sort=False):
            cells = []
            for k in names:
                m, lo, hi, _ = kpis.mean_ci(g[k].to_numpy(dtype=float))
                lo, hi = max(lo, 0.0), (min(hi, 1.0) if kpis.REGISTRY[k].unit == "share" else hi)  # what it can be
                ci = "" if lo != lo else f"<br><span class='ci'>[{kpis.format(k, lo)}, {kpis.format(k, hi)}]</span>"
                cells.append(f"<td>{kpis.format(k, m)}{ci}</td>")
            rows.append(f"<tr><th>{esc(str(name))} ({g['sl_threshold'].iloc[0]:g} s)</th>{''.join(cells)}</tr>")
        out.append(f"<h3><span class='chip' style='background:{s.color}'></span>{series_name(s)}</h3>"
                   f"<table class='notes types'><tr><th>call type (threshold)</th>{head}</tr>{''.join(rows)}</table>")
    if not out:
        return ""
    return ("<section class='panel' id='section-call-types'><h2>By call type</h2>" + "".join(out)
            + "<p class='fine'>Mean over replications with its 95% Student-t interval; each call type's service "
              "level at its own threshold.</p></section>")


def _chart_html(n: int, ch: Chart) -> tuple[str, str]:
    """(the chart's section, its script)."""
    inner = script = ""
    if ch.fig is not None:
        # the chart's place is kept while plotly.js loads; its data is plotly's HTML-safe JSON (no '<', '>', '/')
        height = int(ch.fig.layout.height or 500)
        inner = f"<div id='chart-{ch.key}' class='plotly-graph-div' style='height:{height}px; width:100%;'></div>"
        config = {**PLOT_CONFIG, "toImageButtonOptions": {"filename": f"ccsim-{ch.key}", "width": 1280,
                                                          "height": height}}
        script = (f"<script type='text/javascript'>(function () {{ var f = {pio.to_json(ch.fig, validate=False)};"
                  f" Plotly.newPlot('chart-{ch.key}', f.data, f.layout, {json.dumps(config)}); }})();</script>")
    note = f"<p class='note'>{esc(ch.note)}</p>" if ch.note else ""
    return (f"<section class='panel chart' id='section-{ch.key}'><h2>{n}. {esc(ch.heading)}</h2>{inner}{note}"
            f"</section>"), script


def render_page(data: Data, charts: list[Chart]) -> str:
    """The whole page, as a string."""
    head = title(data)
    items = "".join(f"<li>{h}</li>" for h in headlines(data))
    body = [f"<h1>{esc(head)}</h1><p class='sub'>{subtitle(data)}</p>",
            f"<section class='panel headline'><h2>Headline</h2><ul>{items}</ul>"
            f"<p class='fine'>{fine_print(data)}</p></section>",
            f"<section class='panel'><h2>Key numbers{'' if len(data.series) == 1 else ' per design'}</h2>"
            f"{cards_html(data)}</section>", call_types_html(data)]
    scripts = []
    for n, ch in enumerate(charts, start=1):
        section, script = _chart_html(n, ch)
        body.append(section)
        scripts.append(script)
    notes = data.notes + [("Report made", f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} with ccsim "
                                          f"{__version__}")]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in notes)
    body.append(f"<section class='panel'><h2>Where the numbers come from</h2><table class='notes'>{rows}</table>"
                f"<p class='fine'>Confidence intervals: Student t over replications (95%). KPI definitions: "
                f"docs/model.md of ccsim.</p></section>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(head)}</title><style>{CSS}</style></head>"
            f"<body><main>{''.join(body)}</main>"
            # plotly.js (embedded once, so the page needs no network) after the words: they show at once
            "<script type='text/javascript'>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script>{''.join(scripts)}</body></html>\n")
