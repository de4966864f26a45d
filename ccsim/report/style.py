"""The look of the report: colours, fonts, the page's CSS, the charts' common layout and plotly's config."""
from __future__ import annotations

import json
import re
from typing import Any

#: colours per design, in order (Okabe-Ito, readable by colour-blind people), then plotly's Dark24
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442",
           "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100", "#750D86")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
#: the journey's end nodes
OUTCOME_COLORS = {"IVR": "#7f7f7f", "resolved": "#2ca02c", "unresolved": "#ff7f0e", "abandoned": "#d62728",
                  "still waiting": "#bbbbbb", "still talking": "#bbbbbb", "disconnected": "#8c564b", "message": "#17becf",
                  "unreached": "#9467bd"}
#: the journey's links by what happens to the callers (words: :data:`~.words.LINK_WORDS`)
LINK_COLORS = {"routed": "rgba(127,127,127,0.22)", "answered": "rgba(86,125,165,0.30)", "passed": "rgba(148,103,189,0.62)",
               "resolved": "rgba(44,160,44,0.30)", "unresolved": "rgba(255,127,14,0.38)",
               "abandoned": "rgba(214,39,40,0.45)", "other": "rgba(160,160,160,0.35)"}
#: plotly's configuration of every chart (no logo, no lasso)
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
#: the colours of a change: better, worse, no clear difference (as the cards' --good, --bad, --muted)
TONE_COLORS = {"good": "#1a7f37", "bad": "#c62828", "flat": "#5f6b73"}
#: the line marking a target in the charts
TARGET_LINE = {"color": "#888", "dash": "dot", "width": 1}

CSS = """
:root { --ink:#1d2327; --muted:#5f6b73; --line:#e3e7ea; --good:#1a7f37; --bad:#c62828; }
* { box-sizing: border-box; }
body { margin:0; font-family:%(font)s; color:var(--ink); background:#f6f7f8; line-height:1.45; }
main { max-width:1240px; margin:0 auto; padding:28px 24px 40px; }
h1 { font-size:28px; margin:0 0 4px; }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:0 0 6px; }
.sub { color:var(--muted); margin:0 0 18px; }
.panel { background:#fff; border:1px solid var(--line); border-radius:10px; padding:18px 20px; margin:0 0 18px; }
.headline ul { margin:0; padding-left:20px; }
.headline li { font-size:19px; margin:6px 0; }
.mode { color:var(--muted); font-weight:normal; }
.ci { color:var(--muted); font-size:.78em; white-space:nowrap; }
.fine { color:var(--muted); font-size:13px; margin:8px 0 0; }
.design-row { margin:0 0 14px; }
.design-row h3 { margin:0 0 8px; font-size:17px; }
.chip { display:inline-block; width:12px; height:12px; border-radius:3px; margin-right:6px; vertical-align:-1px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(112px, 1fr)); gap:8px; }
.card { overflow-wrap:anywhere; border:1px solid var(--line); border-top:4px solid var(--c); border-radius:8px; padding:8px 9px; background:#fff; }
.card .k { font-size:12.5px; font-weight:600; line-height:1.25; min-height:2.5em; }
.card .x { font-size:11px; color:var(--muted); min-height:2.6em; line-height:1.3; }
.card .v { font-size:22px; font-weight:650; margin:2px 0 0; white-space:nowrap; }
.card .c { font-size:11px; color:var(--muted); }
.card .d { font-size:12px; margin-top:4px; }
.d.good { color:var(--good); } .d.bad { color:var(--bad); } .d.flat { color:var(--muted); }
.note { color:var(--muted); font-style:italic; margin:4px 0 0; }
table.notes { border-collapse:collapse; width:100%%; font-size:13px; }
table.notes th { text-align:left; vertical-align:top; padding:4px 14px 4px 0; white-space:nowrap; color:var(--muted); font-weight:600; }
table.notes td { padding:4px 0; word-break:break-word; }
""" % {"font": FONT}


def layout(fig: Any, title: str, height: int, top: int = 120, sub: str = "", **kw) -> Any:
    """Common look of a plotly figure: the finding as the title (``sub``: a line of detail under it), the legend
    on one line under them (never over a plot)."""
    extra = 22 if sub else 0
    height += extra
    fig.update_layout(
        template="plotly_white", height=height, font=dict(family=FONT, size=13, color="#222"),
        title=dict(text=title, x=0.01, xanchor="left", yref="container", y=1 - 18 / height, yanchor="top",
                   font=dict(size=18), subtitle=dict(text=sub, font=dict(size=13, color="#555"))),
        margin=dict(l=70, r=30, t=top + extra, b=60), hoverlabel=dict(font=dict(family=FONT)),
        legend=dict(orientation="h", yref="container", y=1 - (56 + extra) / height, yanchor="top", xanchor="left",
                    x=0, font=dict(size=13)), **kw)
    return fig


def rgba(hex_color: str, alpha: float) -> str:
    """A ``#rrggbb`` colour with transparency."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def place_labels(fig: Any, items: list, xr: tuple, yr: tuple, size: tuple = (1000, 300)) -> None:
    """Labels with arrows for the key points ``items`` ([(x, y, text, colour)]), each put where its box meets no
    other label, point or edge of the plot (judged at the plot's size on a 1280 px wide screen)."""
    w, h = size
    xs = [(x - xr[0]) / (xr[1] - xr[0]) * w for tr in fig.data for x in (tr.x or ()) if x is not None]
    ys = [(yr[1] - y) / (yr[1] - yr[0]) * h for tr in fig.data for y in (tr.y or ()) if y is not None]
    taken = [(x - 7, y - 7, x + 7, y + 7) for x, y in zip(xs, ys)]
    for x, y, text, color in items:
        px, py = (x - xr[0]) / (xr[1] - xr[0]) * w, (yr[1] - y) / (yr[1] - yr[0]) * h
        bw, bh = len(re.sub(r"<[^>]+>", "", text)) * 12 * 0.62 + 8, 20

        def cost(off: tuple) -> float:
            cx, cy = px + off[0], py + off[1]
            box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
            hits = sum(1 for t in taken if box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3])
            return hits * 10 + (box[0] < 0 or box[2] > w or box[1] < 0 or box[3] > h) * 5

        offs = [(dx * bw / 2 + dx * 24, dy) for dy in (-46, 46, -80, 80) for dx in (-1, 1)] + [(0, -60), (0, 60)]
        ax, ay = min(offs, key=cost)
        taken.append((px + ax - bw / 2, py + ay - bh / 2, px + ax + bw / 2, py + ay + bh / 2))
        fig.add_annotation(x=x, y=y, ax=ax, ay=ay, text=text, showarrow=True, arrowhead=0, arrowcolor=color,
                           arrowwidth=1.2, font=dict(size=12, color=color), bgcolor="rgba(255,255,255,0.85)")


def figure_html(key: str, fig: Any, page: str, height: int) -> tuple[str, str]:
    """(a chart's place, its script) on a page of its own making (attribution, calibration): plotly's JSON is
    HTML-safe (no '<', '>' or '/'); ``page`` names the PNG a reader saves, ``height`` is the default height."""
    import plotly.io as pio

    height = int(fig.layout.height or height)
    config = {**PLOT_CONFIG, "toImageButtonOptions": {"filename": f"ccsim-{page}-{key}", "width": 1280,
                                                      "height": height}}
    place = f"<div id='chart-{key}' class='plotly-graph-div' style='height:{height}px; width:100%;'></div>"
    script = (f"<script type='text/javascript'>(function () {{ var f = {pio.to_json(fig, validate=False)};"
              f" Plotly.newPlot('chart-{key}', f.data, f.layout, {json.dumps(config)}); }})();</script>")
    return place, script
