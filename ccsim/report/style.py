"""The look of the report: colours, fonts, the page's CSS, the charts' common layout and plotly's config."""
from __future__ import annotations

from typing import Any

#: colours per design, in order (Okabe-Ito, readable by colour-blind people), then plotly's Dark24
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442",
           "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100", "#750D86")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
#: the journey's end nodes
OUTCOME_COLORS = {"IVR": "#7f7f7f", "resolved": "#2ca02c", "unresolved": "#ff7f0e", "abandoned": "#d62728",
                  "still waiting": "#bbbbbb", "still talking": "#bbbbbb"}
#: plotly's configuration of every chart (no logo, no lasso)
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
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


def layout(fig: Any, title: str, height: int, top: int = 120, **kw) -> Any:
    """Common look of a plotly figure: the finding as the title, the legend on one line under it (never over a
    plot)."""
    fig.update_layout(
        template="plotly_white", height=height, font=dict(family=FONT, size=13, color="#222"),
        title=dict(text=title, x=0.01, xanchor="left", yref="container", y=1 - 18 / height, yanchor="top",
                   font=dict(size=18)),
        margin=dict(l=70, r=30, t=top, b=60), hoverlabel=dict(font=dict(family=FONT)),
        legend=dict(orientation="h", yref="container", y=1 - 56 / height, yanchor="top", xanchor="left", x=0,
                    font=dict(size=13)), **kw)
    return fig


def rgba(hex_color: str, alpha: float) -> str:
    """A ``#rrggbb`` colour with transparency."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
