"""The attribution page: where the difference between two designs comes from, for leadership.

One self-contained HTML page (plotly.js embedded once, so it opens with no network; the look of
:mod:`ccsim.report.style`): a title stating the finding, computed from the numbers; one sentence per KPI; a
waterfall per key KPI (design A, then each lever's Shapley contribution with its 95% CI as an error bar and in
the hover, then design B), each titled with its finding; the main effects and interactions; the choices made
building the designs. A contribution whose CI spans zero is drawn grey and called "no clear effect". User text
(design labels) is escaped in the HTML and inside the charts.

    from ccsim.report.attribution import write_page
    write_page(attribution, "results/attribution/attribution.html")
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ..attribution import Attribution
from ..kpis import REGISTRY
from ..kpis import label as kpi_label
from ..store import atomic_write
from ..version import __version__
from .style import CSS, PALETTE, layout, figure_html
from .words import diff, esc, pesc, value

#: the page's file, beside the sweep's tables
PAGE_FILE = "attribution.html"
#: the KPIs drawn when none are given
DEFAULT_KPIS = ("service_level", "abandon_rate", "asa", "fcr", "time_in_system_answered", "cost",
                "reexplanations_per_call")
#: a clear contribution below this share of all the levers' moves is not named in titles
NEGLIGIBLE = 0.02
GOOD, BAD, FLAT, NEUTRAL = "#1a7f37", "#c62828", "#b8bec3", "#56B4E9"
EXTRA_CSS = """
table.terms { border-collapse:collapse; font-size:13px; width:100%; }
table.terms th, table.terms td { padding:4px 10px; border-bottom:1px solid var(--line); text-align:right; }
table.terms th:first-child, table.terms td:first-child { text-align:left; }
table.terms td.flat { color:var(--muted); }
"""


# --------------------------------------------------------------------------- words
def ci(kpi: str, row) -> str:
    """A term's 95% CI in words (plain text)."""
    if not np.isfinite(row["ci_low"]):
        return "no CI"
    return f"95% CI {diff(kpi, row['ci_low'])} to {diff(kpi, row['ci_high'])}"


def said(kpi: str, row) -> str:
    """A term for people: its value, or "no clear effect" when its CI spans zero (plain text)."""
    return diff(kpi, row["mean"]) if row["clear"] else "no clear effect"


def _short(att: Attribution, kpi: str) -> str:
    """A KPI's name inside a sentence: its label without qualifiers, first letter lower-cased unless an acronym."""
    name = kpi_label(kpi, att.thr).split(",")[0].split(" (")[0]
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def notable(att: Attribution, kpi: str) -> list[str]:
    """The levers with a clear contribution of at least :data:`NEGLIGIBLE` of all the levers' moves, largest
    first."""
    c = att.contributions(kpi)
    moves = float(c["mean"].abs().sum())
    return [m for m in att.movers(kpi) if abs(c.loc[m, "mean"]) >= NEGLIGIBLE * moves]


def finding_parts(att: Attribution, kpi: str) -> tuple[str, str]:
    """One KPI's finding, from the numbers (plain text): (the total, the levers that clearly make it).

    Levers pushing the same way as the total drive it ("mostly" when the largest gives at least 60% of it);
    the others offset it. Not named: a lever whose contribution's CI spans zero, and one whose contribution is
    below :data:`NEGLIGIBLE` of all the levers' moves (tables and the sentence under each chart still show it)."""
    t, c = att.total(kpi), att.contributions(kpi)
    movers = notable(att, kpi)
    name, a, b = kpi_label(kpi, att.thr), att.a_label, att.b_label

    def named(keys: list[str]) -> str:
        words = [f"{att.lever(m).label.lower()} {diff(kpi, c.loc[m, 'mean'])}" for m in keys]
        return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)

    if not t["clear"]:
        head = f"{name}: no clear change from {a} to {b}"
        ups = [m for m in movers if c.loc[m, "mean"] > 0]
        downs = [m for m in movers if c.loc[m, "mean"] < 0]
        if ups and downs:
            return head, f"{named(ups)} offset by {named(downs)}"
        return head, (f"{named(movers)}, within the noise of the total" if movers else "no lever has a clear effect")
    head = f"{name}: {diff(kpi, t['mean'])} from {a} to {b}"
    if not movers:
        return head, "no lever is clearly responsible"
    sign = np.sign(t["mean"])
    drivers = [m for m in movers if np.sign(c.loc[m, "mean"]) == sign]
    offsets = [m for m in movers if m not in drivers]
    if drivers and c.loc[drivers[0], "mean"] / t["mean"] >= 0.6:
        why = f"mostly {named(drivers[:1])}" + (f", then {named(drivers[1:])}" if drivers[1:] else "")
    else:
        why = f"from {named(drivers)}" if drivers else "no lever pushes it this way alone"
    return head, why + (f", partly offset by {named(offsets)}" if offsets else "")


def finding(att: Attribution, kpi: str) -> str:
    """One KPI's finding in one sentence (plain text)."""
    return "; ".join(finding_parts(att, kpi))


def title(att: Attribution, kpis) -> str:
    """The page's title (plain text): which lever mostly drives which KPI that clearly changes."""
    drives: dict[str, list[str]] = {}
    flat = []
    for k in kpis:
        t, c = att.total(k), att.contributions(k)
        movers = [m for m in notable(att, k) if np.sign(c.loc[m, "mean"]) == np.sign(t["mean"])]
        if not t["clear"]:
            flat.append(_short(att, k))
        elif movers:
            drives.setdefault(movers[0], []).append(_short(att, k))
    said_ = [f"{att.lever(m).label.lower()} drives {', '.join(ks)}" for m, ks in drives.items()]
    if flat:
        said_.append(f"no clear change in {', '.join(flat)}")
    return f"{att.b_label} vs {att.a_label}: " + ("; ".join(said_) if said_ else "no clear difference")


def typeset(text: str) -> str:
    """Plain-text minus signs of numbers and differences as typographic ones ("team - silo -0.2" -> "team − silo −0.2")."""
    return re.sub(r"(?<![\w-])-(?=[\d.])", "−", text.replace(" - ", " − "))


# --------------------------------------------------------------------------- charts
def _tone(kpi: str, row) -> str:
    if not row["clear"]:
        return FLAT
    better = REGISTRY[kpi].better if kpi in REGISTRY else 0
    return NEUTRAL if not better else GOOD if row["mean"] * better > 0 else BAD


def waterfall(att: Attribution, kpi: str) -> go.Figure:
    """A -> each lever's contribution -> B, error bars the contributions' 95% CIs; titled with the finding."""
    corners = att.rows(kpi, "corner")
    a, b = corners.iloc[0], corners.iloc[-1]
    c = att.contributions(kpi)
    names = [pesc(att.a_label), *[pesc(lv.label) for lv in att.levers], pesc(att.b_label)]
    start = float(a["mean"])
    steps = c["mean"].to_numpy(dtype=float)
    before = start + np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    after = before + steps
    fig = go.Figure()
    hover_ends = [f"{pesc(lab)}: {value(kpi, r['mean'])}<br>95% CI {value(kpi, r['ci_low'])} to "
                  f"{value(kpi, r['ci_high'])}" for lab, r in ((att.a_label, a), (att.b_label, b))]
    fig.add_trace(go.Bar(x=[names[0], names[-1]], y=[a["mean"], b["mean"]], marker_color=[PALETTE[0], PALETTE[1]],
                         text=[value(kpi, a["mean"]), value(kpi, b["mean"])], textposition="outside",
                         hovertext=hover_ends, hoverinfo="text", showlegend=False, cliponaxis=False))
    hover = []
    for lv, (_, r) in zip(att.levers, c.iterrows()):
        lo_hi = att.levels.get(lv.key, ("", ""))
        main = att.rows(kpi, "main").loc[lv.key]
        hover.append(f"<b>{pesc(lv.label)}</b>: {pesc(lo_hi[0])} → {pesc(lo_hi[1])}<br>contribution "
                     f"{diff(kpi, r['mean'])} ({ci(kpi, r)})<br>{'clear effect' if r['clear'] else 'no clear effect'}"
                     f"<br>main effect {diff(kpi, main['mean'])} ({ci(kpi, main)})")
    fig.add_trace(go.Bar(x=names[1:-1], y=steps, base=before, marker_color=[_tone(kpi, r) for _, r in c.iterrows()],
                         text=[said(kpi, r) for _, r in c.iterrows()], textposition="outside", hovertext=hover,
                         hoverinfo="text", showlegend=False, cliponaxis=False))
    fig.add_trace(go.Scatter(x=names[1:-1], y=after, mode="markers", marker=dict(size=1, color="#333"),
                             error_y=dict(type="data", array=(c["ci_high"] - c["mean"]).to_numpy(dtype=float),
                                          arrayminus=(c["mean"] - c["ci_low"]).to_numpy(dtype=float),
                                          color="#333", thickness=1.5, width=6),
                             hovertext=hover, hoverinfo="text", showlegend=False))
    path = np.concatenate([[start, float(b["mean"])], before, after, before + (c["ci_low"] - c["mean"]).to_numpy(),
                           after + (c["ci_high"] - c["mean"]).to_numpy()])
    path = path[np.isfinite(path)]
    lo, hi = (float(path.min()), float(path.max())) if path.size else (0.0, 1.0)
    pad = 0.25 * (hi - lo) or 0.1 * abs(hi) or 1.0
    bottom = 0.0 if lo >= 0 and lo - pad <= 0.5 * (hi - lo) else lo - pad  # start at zero when it costs little room
    unit = REGISTRY[kpi].unit if kpi in REGISTRY else None
    fig.update_yaxes(range=[bottom, hi + pad], tickformat=".1%" if unit == "share" else None,
                     ticksuffix=" s" if unit == "seconds" else "")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=names)
    head, why = finding_parts(att, kpi)
    layout(fig, f"{pesc(head)}<br><span style='font-size:14px'>{pesc(why)}</span>", 430, top=80)
    return fig


def _figure_html(key: str, fig: go.Figure) -> tuple[str, str]:
    """(the chart's place, its script)."""
    return figure_html(key, fig, "attribution", 420)


# --------------------------------------------------------------------------- the page
def _terms_table(att: Attribution, kpis) -> str:
    head = "".join(f"<th>{esc(kpi_label(k, att.thr))}</th>" for k in kpis)
    body = []
    for kind in ("total", "shapley", "main", "interaction"):
        first = att.rows(kpis[0], kind)
        for term in first.index:
            what = {"total": "total", "shapley": "contribution", "main": "main effect",
                    "interaction": "interaction"}[kind]
            cells = []
            for k in kpis:
                r = att.rows(k, kind).loc[term]
                word = said(k, r) if r["clear"] or kind != "total" else "no clear difference"
                cells.append(f"<td class='{'' if r['clear'] else 'flat'}' title='{esc(ci(k, r))}'>"
                             f"{esc(word)}<br><span class='ci'>{esc(ci(k, r).removeprefix('95% CI '))}"
                             f"</span></td>")
            body.append(f"<tr><td>{esc(typeset(first.loc[term, 'label']))} <span class='mode'>({what})</span></td>"
                        f"{''.join(cells)}</tr>")
    return f"<table class='terms'><tr><th>term</th>{head}</tr>{''.join(body)}</table>"


def render(att: Attribution, kpis=None) -> str:
    """The page as a string."""
    kpis = [k for k in (kpis or DEFAULT_KPIS) if k in att.kpis]
    if not kpis:
        raise ValueError("none of the KPIs asked for is in the attribution")
    head = title(att, kpis)
    head = head[:1].upper() + head[1:]
    n = len(att.rows(kpis[0], "corner"))
    sub = (f"{n} designs between {esc(att.a_label)} and {esc(att.b_label)}: every combination of "
           f"{len(att.levers)} levers, each at {esc(att.a_label)}'s or {esc(att.b_label)}'s level, run on the very "
           f"same callers ({att.reps} simulated days{'' if att.seed is None else f', seed {att.seed}'}).")
    levers = "".join(f"<tr><th>{esc(lv.label)}</th><td>{esc(att.levels.get(lv.key, ('', ''))[0])} → "
                     f"{esc(att.levels.get(lv.key, ('', ''))[1])}</td></tr>" for lv in att.levers)
    body = [f"<h1>{esc(head)}</h1><p class='sub'>{sub}</p>",
            "<section class='panel headline'><h2>Headline</h2><ul>"
            + "".join(f"<li>{esc(finding(att, k))}.</li>" for k in kpis)
            + "</ul><p class='fine'>Each lever's share of the difference is its Shapley value: its average effect "
              "over every order in which the levers could be switched, so the shares add up exactly to the total. "
              "Computed day by day on paired days, with 95% confidence intervals; a share whose interval includes "
              "zero is called \"no clear effect\"; titles leave out levers moving less than "
              f"{NEGLIGIBLE:.0%} of the total of the moves.</p></section>",
            f"<section class='panel'><h2>The levers</h2><table class='notes'>{levers}</table></section>"]
    scripts = []
    for i, k in enumerate(kpis, start=1):
        place, script = _figure_html(k, waterfall(att, k))
        scripts.append(script)
        body.append(f"<section class='panel chart' id='section-{k}'><h2>{i}. {esc(kpi_label(k, att.thr))}</h2>"
                    f"{place}<p class='note'>{esc(typeset(att.sentence(k)))}</p></section>")
    body.append(f"<section class='panel'><h2>All terms, with main effects and two-lever interactions</h2>"
                f"{_terms_table(att, kpis)}<p class='fine'>Main effect: the average change when a lever switches, "
                f"over all settings of the others; interaction: half the change of one lever's effect when the other "
                f"switches (the ±1 contrasts of the 2^{len(att.levers)} design). Grey: no clear effect.</p></section>")
    notes = [*(("Choice made", n) for n in att.notes),
             ("Report made", f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} with ccsim {__version__}")]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in notes)
    body.append(f"<section class='panel'><h2>Where the numbers come from</h2><table class='notes'>{rows}</table>"
                f"</section>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(head)}</title><style>{CSS}{EXTRA_CSS}</style></head><body><main>{''.join(body)}</main>"
            "<script type='text/javascript'>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script>{''.join(scripts)}</body></html>\n")


def write_page(att: Attribution, path: str | Path, kpis=None) -> Path:
    """Write the page (atomically) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render(att, kpis)
    return atomic_write(path, lambda p: Path(p).write_text(page, encoding="utf-8"))
