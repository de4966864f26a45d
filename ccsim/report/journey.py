"""The customer journey (chart 5): one Sankey per design, laid out here so that people can read it.

* Nodes are named for people ("tech_desk #2" is the "Tech desk queue (2nd)"), see :func:`.words.node_label`.
* Every design has the same columns and the same order of nodes: leg by leg the IVR, the queues, the agent
  groups, then the outcomes (resolved, unresolved, abandoned, ...), each column sorted by name.
* Labels never overlap: the positions of nodes and labels are computed here (plotly draws the nodes where they
  are told, ``arrangement="fixed"``), labels are wrapped to fit between columns, and the chart's height grows
  with the number of nodes.
* A legend says what each colour of the links means.
"""
from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass

import plotly.graph_objects as go

from .data import Data, Series, flows, node_kinds, passed_per_100
from .style import LINK_COLORS, OUTCOME_COLORS, layout, rgba
from .words import LINK_WORDS, node_label, pesc, short
from .words import chart_label as _t

MAX_SANKEYS = 4      # journeys drawn; more designs get a note
FONT = 12            # px: a node's label
LINE = 16            # px: a line of a label
EM = 0.58            # a character's width in em, at most (DejaVu Sans averages 0.55, capitals 0.67)
GAP = 6              # px at least between the places of two nodes in a column
THICK = 14           # px: a node's thickness
WIDTH = 1100         # px: the plot's width the labels are fitted to (the chart on a 1280 px wide screen)
TOP, BOTTOM, HEAD, SPACE = 100, 16, 30, 34   # px: title and legend, below, a design's heading, between designs
OUTCOMES = ("resolved", "unresolved", "abandoned", "message", "disconnected", "unreached", "still waiting",
            "still talking")
LEGGED = re.compile(r"^(.*) #(\d+)$")


@dataclass
class Node:
    key: str
    column: int
    value: float                 # calls per replication through the node
    color: str
    lines: list[str]             # the label, wrapped (plain text)
    y: float = 0.0               # px from the top of the design's area: the node's centre


def _leg(name: str) -> int:
    m = LEGGED.match(name)
    return int(m.group(2)) if m else 0


def _category(a: str, b: str, queues: set, groups: set) -> str:
    """What a link means for callers (a key of :data:`~.style.LINK_COLORS`)."""
    if b in ("abandoned", "resolved", "unresolved"):
        return b
    if a in groups and b in queues:
        return "passed"
    if a in queues and b in groups:
        return "answered"
    return "routed" if b in queues else "other"


def _d3_columns(fl: list[tuple[str, str, float]], names: list[str]) -> list[list[str]]:
    """The columns plotly (d3-sankey, nodes aligned "justify") puts the nodes in: by the longest path from a
    source, every node without outgoing links in the last one. Its scale of flows to pixels comes from them."""
    depth = dict.fromkeys(names, 0)
    for _ in names:
        changed = False
        for a, b, _v in fl:
            if depth[b] < depth[a] + 1:
                depth[b], changed = depth[a] + 1, True
        if not changed:
            break
    last = max(depth.values())
    has_out = {a for a, _, _ in fl}
    cols: dict[int, list[str]] = {}
    for nm in names:
        cols.setdefault(depth[nm] if nm in has_out else last, []).append(nm)
    return list(cols.values())


@dataclass
class Journey:
    """One design's journey, placed: columns of nodes, the height of its area, the scale and plotly's pad."""

    series: Series
    fl: list[tuple[str, str, float]]
    queues: set
    groups: set
    nodes: list[Node]
    height: float = 0.0          # px of the area of the nodes
    pad: float = 10.0            # plotly's node.pad: makes plotly's scale no larger than the one planned here


def _nodes(s: Series, fl: list, last: int, chars: list[int]) -> Journey:
    queues, groups = node_kinds(fl)
    names = sorted({a for a, _, _ in fl} | {b for _, b, _ in fl})
    has_out = {a for a, _, _ in fl}
    nodes = []
    for nm in names:
        k = _leg(nm)
        col = (2 * k if nm in groups else 2 * k - 1) if k else (0 if nm in has_out else last)
        value = max(sum(v for a, _, v in fl if a == nm), sum(v for _, b, v in fl if b == nm))
        color = OUTCOME_COLORS.get(nm, rgba(s.color, 0.55) if nm in queues else s.color)
        lines = textwrap.wrap(node_label(nm, nm in queues), chars[col], break_long_words=True) or [""]
        nodes.append(Node(nm, col, value, color, lines))
    rank = {o: i for i, o in enumerate(OUTCOMES)}
    nodes.sort(key=lambda n: (n.column, rank.get(n.key, len(rank)), n.key.lower()))
    return Journey(s, fl, queues, groups, nodes)


def _place(j: Journey) -> None:
    """Heights and centres: every node's place is as tall as its flow or its label, whichever is taller."""
    cols: dict[int, list[Node]] = {}
    for n in j.nodes:
        cols.setdefault(n.column, []).append(n)
    need = max(sum(LINE * len(n.lines) for n in c) + GAP * (len(c) - 1) for c in cols.values())
    h = j.height = float(math.ceil(max(300.0, 1.7 * need + 60)))

    def fits(ky: float) -> bool:
        return all(sum(max(n.value * ky, LINE * len(n.lines)) for n in c) + GAP * (len(c) - 1) <= h
                   for c in cols.values())

    lo, hi = 0.0, min((h - GAP * (len(c) - 1)) / sum(n.value for n in c) for c in cols.values())
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    ky = lo
    for c in cols.values():
        slots = [max(n.value * ky, LINE * len(n.lines)) for n in c]
        free = h - sum(slots)
        gap, y = (free / (len(c) + 1), free / (len(c) + 1)) if free / (len(c) + 1) >= GAP else \
            (free / max(len(c) - 1, 1), 0.0)
        for n, sl in zip(c, slots):
            n.y = y + sl / 2
            y += sl + gap
    # plotly scales flows by min over its columns of (height - (nodes - 1) * pad) / flow: a pad that makes its
    # scale no larger than ky keeps every node inside its place
    flow = {n.key: n.value for n in j.nodes}
    d3 = _d3_columns(j.fl, [n.key for n in j.nodes])
    longest = max(len(c) for c in d3)
    need_pad = [(h - ky * sum(flow[k] for k in c)) / (len(c) - 1) for c in d3 if len(c) > 1]
    if need_pad:
        j.pad = min(max(min(need_pad) + 0.5, 0.0), h / (longest - 1))


def _legend(kinds: set) -> str:
    items = "\u2003".join(f"<span style='color:{LINK_COLORS[k].rsplit(',', 1)[0]},0.95)'>■</span> {LINK_WORDS[k]}"
                          for k in LINK_COLORS if k in kinds)
    return (f"Links: {items}<br>Widths: calls per replication. (1st), (2nd), (3rd): the caller's first, second, "
            f"third queue and the agents who take it.")


def journey_chart(data: Data) -> tuple[go.Figure | None, str]:
    have = [(s, flows(s.head)) for s in data.series]
    have = [(s, f) for s, f in have if f]
    if not have:
        return None, ""
    note = ""
    if len(have) > MAX_SANKEYS:
        note = f"Journeys of the first {MAX_SANKEYS} of {len(have)} designs are drawn."
        have = have[:MAX_SANKEYS]
    # the same columns for every design: IVR, then per leg its queues and agent groups, then the outcomes
    legs = max(_leg(nm) for _, fl in have for a, b, _ in fl for nm in (a, b))
    last = 2 * legs + 1
    outs = {b for _, fl in have for _, b, _ in fl if not _leg(b)}
    right = min(170.0, max(len(node_label(o, False)) for o in outs) * FONT * EM) + THICK / 2 + 10
    wd = WIDTH - right                                   # px of the nodes' area; the outcomes' labels after it
    step = (wd - THICK) / last
    chars = [max(8, int((step - THICK - 10) / (FONT * EM)))] * last + [max(8, int((right - 12) / (FONT * EM)))]
    journeys = [_nodes(s, fl, last, chars) for s, fl in have]
    for j in journeys:
        _place(j)
    plot_h = sum(HEAD + j.height for j in journeys) + SPACE * (len(journeys) - 1)
    fig = go.Figure()
    kinds: set = set()
    top = 0.0
    for j in journeys:
        top += HEAD
        y1, y0 = 1 - top / plot_h, 1 - (top + j.height) / plot_h
        idx = {n.key: i for i, n in enumerate(j.nodes)}
        label = {n.key: " ".join(n.lines) for n in j.nodes}
        cats = [_category(a, b, j.queues, j.groups) for a, b, _ in j.fl]
        kinds |= set(cats)
        fig.add_trace(go.Sankey(
            domain=dict(x=[0, wd / WIDTH], y=[y0, y1]), arrangement="fixed", valueformat=",.1f",
            node=dict(label=[""] * len(j.nodes), customdata=[pesc(label[n.key]) for n in j.nodes],
                      x=[(THICK / 2 + n.column * step) / wd for n in j.nodes], y=[n.y / j.height for n in j.nodes],
                      color=[n.color for n in j.nodes], pad=j.pad, thickness=THICK,
                      line=dict(color="#fff", width=0.5),
                      hovertemplate="%{customdata}: %{value:,.1f} calls per replication<extra></extra>"),
            link=dict(source=[idx[a] for a, _, _ in j.fl], target=[idx[b] for _, b, _ in j.fl],
                      value=[v for _, _, v in j.fl], color=[LINK_COLORS[c] for c in cats],
                      customdata=[f"{pesc(label[a])} → {pesc(label[b])}: {v:,.1f} calls per replication "
                                  f"({LINK_WORDS[c]})" for (a, b, v), c in zip(j.fl, cats)],
                      hovertemplate="%{customdata}<extra></extra>"),
            name=pesc(j.series.label)))
        for n in j.nodes:      # the labels, right of their node
            fig.add_annotation(x=(THICK / 2 + n.column * step) / WIDTH, xshift=THICK / 2 + 4, xanchor="left",
                               y=1 - (top + n.y) / plot_h, yanchor="middle", xref="paper", yref="paper",
                               text="<br>".join(pesc(t) for t in n.lines), align="left", showarrow=False,
                               font=dict(size=FONT, color="#222"), bgcolor="rgba(255,255,255,0.6)", borderpad=0)
        s = j.series
        fig.add_annotation(x=0, y=y1, xref="paper", yref="paper", xanchor="left", yanchor="bottom", yshift=4,
                           showarrow=False, text=f"<b>{_t(s.label)}</b>" + (f" ({pesc(s.mode)})" if s.mode else "")
                           + f" — {passed_per_100(j.fl):.0f} in 100 calls passed to another queue",
                           font=dict(color=s.color, size=14))
        top += j.height + SPACE
    fig.add_annotation(x=0, y=1 + (TOP - 46) / plot_h, xref="paper", yref="paper", xanchor="left", yanchor="top",
                       showarrow=False, align="left", text=_legend(kinds), font=dict(size=12, color="#444"))
    per = [(j.series, passed_per_100(j.fl)) for j in journeys]
    title = ("Passed on to another queue (transfer or handoff): " + ", ".join(
        f"{_t(s.label)} {v:.0f} in 100 calls" for s, v in per) if len(per) <= 2 else
             "Passed on to another queue, in 100 calls: " + ", ".join(f"{pesc(short(s.label, 14))} {v:.0f}"
                                                                     for s, v in per))
    fig = layout(fig, title, int(round(TOP + plot_h + BOTTOM)), top=TOP)
    fig.update_layout(margin=dict(l=20, r=20, t=TOP, b=BOTTOM))
    return fig, note
