"""The report's words: each finding told in a sentence with its 95% confidence interval, numbers for people
(the registry's formatter with a typographic minus), and user text made inert.

Every string returned here is safe to put in the page's HTML (user text is escaped); functions whose name
starts with ``p`` or that build chart text escape for plotly's pseudo-HTML instead. The journey's names for people
(:func:`node_label`, :func:`readable`) are plain text, escaped where they go (once wrapped into lines).
"""
from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import kpis
from ..kpis import REGISTRY
from .data import CARDS, TARGETS, Data, Series, finite, overrides_text, significant

MAX_HEADLINES = 8       # sentences in the headline; more designs are summarised as "and N more"


# --------------------------------------------------------------------------- text and numbers
def esc(text: Any) -> str:
    """User text made inert in HTML."""
    return _html.escape(str(text), quote=True)


def pesc(text: Any) -> str:
    """User text made inert in plotly's pseudo-HTML (titles, labels, legends, hover): it decodes &lt; &gt; &amp;
    but not &quot;, and quotes are harmless there (no tag can start without '<')."""
    return _html.escape(str(text), quote=False)


def short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def chart_label(label: Any) -> str:
    """A design label inside a chart title: shortened (titles do not wrap) and escaped."""
    return pesc(short(str(label)))


def minus(s: str) -> str:
    """A typographic minus sign in numbers."""
    return s.replace("-", "−")


def value(name: str, v: float) -> str:
    """A KPI value for people (the registry's format)."""
    return minus(kpis.format(name, v))


def diff(name: str, v: float) -> str:
    """A difference of a KPI for people (signed; percentage points for shares)."""
    return minus(kpis.format(name, v, diff=True))


def ci_text(name: str, lo: float, hi: float, is_diff: bool = False) -> str:
    """A 95% confidence interval of a KPI (or of a difference), or why there is none."""
    if not (finite(lo) and finite(hi)):
        return "no CI (one replication)"
    f = diff if is_diff else value
    return f"{f(name, lo)} to {f(name, hi)}"


def wait_text(v: float | None, last: float) -> str:
    """A waiting time in a sentence (seconds, minutes past two minutes); None: beyond the measured grid."""
    if v is None:
        return f"more than {last / 60:g} min"
    return f"{v:.0f} s" if v < 120 else f"{v / 60:.1f} min"


def targets_text(thr: str) -> str:
    """Every target of :data:`~.data.TARGETS` in words: "≥80% answered within 20 s and ≤5% abandoned"."""
    sign = {">=": "≥", "<=": "≤"}
    what = {"service_level": f"answered within {thr} s", "abandon_rate": "abandoned"}
    bits = [f"{sign[t.op]}{t.value:.0%} {what[t.kpi]}" if t.kpi in what else f"average wait {sign[t.op]}{t.value:g} s"
            for t in TARGETS]
    return ", ".join(bits[:-1]) + (" and " if len(bits) > 1 else "") + bits[-1]


def missed_text(targets, thr: str) -> str:
    """Targets (of :data:`~.data.TARGETS`) by their KPI, short: "service level (20 s), abandonment"."""
    names = {"service_level": f"service level ({thr} s)", "abandon_rate": "abandonment", "asa": "average wait"}
    return ", ".join(names.get(t.kpi, t.kpi) for t in targets)


# --------------------------------------------------------------------------- journey names for people
#: the journey's end nodes, for people
OUTCOME_WORDS = {"resolved": "Resolved", "unresolved": "Unresolved", "abandoned": "Abandoned",
                 "still waiting": "Still waiting at the end", "still talking": "Still talking at the end",
                 "disconnected": "Disconnected", "message": "Left a message"}
#: what each colour of the journey's links means (keys of :data:`~.style.LINK_COLORS`)
LINK_WORDS = {"routed": "routed to a queue", "answered": "answered by agents",
              "passed": "passed to another queue", "resolved": "resolved", "unresolved": "unresolved",
              "abandoned": "abandoned (hung up waiting)", "other": "still in progress at the end"}


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, ... 21st."""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def readable(name: str) -> str:
    """A code name for people: underscores to spaces, capitalised ("tech_desk" -> "Tech desk")."""
    text = re.sub(r"[_\s]+", " ", str(name)).strip()
    return text[:1].upper() + text[1:]


def node_label(name: str, queue: bool) -> str:
    """A node of the journey for people (plain text: escape it where it goes): "tech_desk #2" (a queue) ->
    "Tech desk queue (2nd)", "billing_agents #1" -> "Billing agents (1st)", "resolved" -> "Resolved"."""
    m = re.match(r"^(.*) #(\d+)$", name)
    if not m:
        return OUTCOME_WORDS.get(name, readable(name))
    base = readable(m.group(1))
    if queue and not base.lower().endswith("queue"):
        base += " queue"
    return f"{base} ({ordinal(int(m.group(2)))})"


def series_name(s: Series, bold: bool = True) -> str:
    name = f"<strong>{esc(s.label)}</strong>" if bold else esc(s.label)
    return name + (f" <span class='mode'>({esc(s.mode)})</span>" if s.mode else "")


# --------------------------------------------------------------------------- a change in words
#: how a difference in each unit of the registry is told in a sentence: (scale, decimals, unit after an interval)
UNIT_WORDS = {"share": (100, 1, " pts"), "seconds": (1, 1, " s"), "per call": (100, 0, ""), "money": (1, 0, ""),
              "count": (1, 0, "")}


class Saying(NamedTuple):
    """How a KPI's change is told: relative (% of the baseline) or absolute (in the unit's words), the words if
    lower, if higher, and if there is no clear change (None: left unsaid); decimals of a relative change."""

    mode: str
    lower: str
    higher: str
    flat: str | None = None
    rel_decimals: int = 1


#: the KPIs the headline talks about, in the order it tells them (registry names)
SAYINGS = {
    "abandon_rate": Saying("rel", "{v} fewer abandoned calls", "{v} more abandoned calls",
                           "no clear change in abandonment", 0),
    "service_level": Saying("abs", "{v} points fewer answered within {thr} s", "{v} points more answered within {thr} s",
                            "no clear change in service level"),
    "time_in_system_answered": Saying("abs", "{v} s less in the system per answered call",
                                      "{v} s more in the system per answered call"),
    "reexplanations_per_call": Saying("abs", "{v} fewer re-explanations per 100 calls",
                                      "{v} more re-explanations per 100 calls"),
    "fcr": Saying("abs", "{v} points fewer resolved on the first call", "{v} points more resolved on the first call"),
    "asa": Saying("abs", "answered {v} s sooner", "answered {v} s later"),
    "cost": Saying("rel", "{v} lower cost", "{v} higher cost", "about the same cost"),
}
HEADLINE = ("abandon_rate", "service_level", "time_in_system_answered", "reexplanations_per_call", "fcr", "asa")


def clause(data: Data, s: Series, name: str) -> tuple[str, str] | None:
    """(good | bad | flat, words) for the change of one KPI between the baseline and design ``s``."""
    d = data.diffs[s.label]
    if name not in d.index:
        return None
    dv, lo, hi = (float(d.loc[name, c]) for c in ("diff", "ci_low", "ci_high"))
    if not finite(dv):
        return None
    b_mean, x_mean = data.baseline.head.mean(name), s.head.mean(name)
    if name == "reexplanations_per_call" and x_mean == 0 and b_mean > 0:
        return "good", (f"no caller tells the story twice (vs {100 * b_mean:.0f} in 100 calls with "
                        f"{esc(data.baseline.label)})")
    say, kpi = SAYINGS[name], REGISTRY[name]
    scale, dec, unit = UNIT_WORDS[kpi.unit]
    sig = significant(d, name)
    if say.mode == "rel":
        if not (finite(b_mean) and b_mean > 0):
            return None
        scale, unit = 100 / b_mean, "%"
        dec = 0 if abs(dv) * scale >= 10 else say.rel_decimals
    v, a, z = dv * scale, lo * scale, hi * scale
    if say.mode == "rel":  # the KPI is never negative: it cannot fall by more than all of it (a t interval can)
        a, z = max(a, -100.0), max(z, -100.0)
    first = "%" if say.mode == "rel" else ""
    tight = finite(a) and finite(z) and f"{abs(a):.{dec}f}" == f"{abs(z):.{dec}f}"
    if sig is False and say.mode == "rel" and kpi.unit == "share":   # no clear change: told in points
        a, z, first, unit, dec = 100 * lo, 100 * hi, "", " pts", 1
    if sig is False:
        if say.flat is None:
            return None
        if f"{a:+.{dec}f}" == f"{z:+.{dec}f}":
            return "flat", f"{say.flat} <span class='ci'>[±{max(abs(a), abs(z)):.1g}{first or unit}]</span>"
        return "flat", (f"{say.flat} <span class='ci'>[{minus(f'{a:+.{dec}f}')}{first} to "
                        f"{minus(f'{z:+.{dec}f}')}{unit}]</span>")
    if round(abs(v), dec) == 0:
        return None
    good = dv * kpi.better > 0
    text = (say.lower if v < 0 else say.higher).format(v=f"{abs(v):.{dec}f}" + first, thr=data.thr)
    ci = ("[no CI]" if sig is None else "" if z == a else f"[±{(z - a) / 2:.1g}{unit}]" if tight else
          "[{:.{d}f}{f} to {:.{d}f}{u}]".format(*sorted((abs(a), abs(z))), d=dec, f=first, u=unit))
    return ("good" if good else "bad"), f"{text} <span class='ci'>{ci}</span>" if ci else text


def headline(data: Data, s: Series) -> str:
    """One sentence: what changes for callers with design ``s`` compared with the baseline, then what it takes."""
    said = [c for c in (clause(data, s, k) for k in HEADLINE) if c]
    groups = [", ".join(t for cat, t in said if cat == want) for want in ("good", "bad", "flat")]
    if groups[0] and groups[1]:
        groups[1] = "but " + groups[1]
    resources = []
    interval = data.scenario.interval
    ha, hb = s.head.agent_hours(interval), data.baseline.head.agent_hours(interval)
    if finite(ha) and finite(hb) and hb > 0:
        rel = ha / hb - 1
        resources.append("same headcount" if abs(rel) < 0.005 else
                         f"{100 * abs(rel):.0f}% {'more' if rel > 0 else 'fewer'} agent-hours")
    cost = clause(data, s, "cost")
    if cost:
        resources.append(cost[1])
    groups.append(", ".join(resources))
    sentence = "; ".join(g for g in groups if g) or "no measurable difference"
    return f"{series_name(s)} vs {esc(data.baseline.label)}: {sentence}."


def single_headline(data: Data, s: Series) -> str:
    """One sentence: what callers of the only design live through."""
    p = s.head
    bits = [f"{value('service_level', p.mean('service_level'))} of calls answered within {data.thr} s",
            f"{value('abandon_rate', p.mean('abandon_rate'))} abandoned",
            f"{value('asa', p.mean('asa'))} average wait for an agent",
            f"{value('time_in_system_answered', p.mean('time_in_system_answered'))} in the system per answered call"]
    if finite(p.mean("passed_per_call")) and p.mean("passed_per_call") > 0:
        bits.append(f"{100 * p.mean('passed_per_call'):.0f} in 100 calls passed to another agent")
    bits.append(f"cost {value('cost', p.mean('cost'))}")
    where = f" at {esc(data.staffing_text(p.staffing))}" if p.staffing is not None else ""
    return f"{series_name(s)}{where}: " + ", ".join(bits) + "."


# --------------------------------------------------------------------------- the page's words
def title(data: Data) -> str:
    """The page's title (plain text: escape it where it goes)."""
    if len(data.series) == 1:
        return f"{data.series[0].label}: what callers live through"
    others = [s.label for s in data.series if s is not data.baseline]
    shown = others[:3] + ([f"{len(others) - 3} more"] if len(others) > 3 else [])
    return f"{data.baseline.label} vs {', '.join(shown)}: what changes for callers"


def subtitle(data: Data) -> str:
    """What is compared (designs, and fields set with --set), or the scenario's description."""
    def named(s: Series) -> str:
        return series_name(s, bold=False) + (f" with {esc(overrides_text(s.overrides))}" if s.overrides else "")

    if len(data.series) > 1:
        designs = ", ".join(named(s) for s in data.series[:12]) + (" …" if len(data.series) > 12 else "")
        return f"Designs compared: {designs}."
    s = data.series[0]
    desc = data.scenario.description
    return ((f"{esc(data.scenario.name)} with {esc(overrides_text(s.overrides))} (set with --set)." if s.overrides
             else "") + (f" {esc(desc)}" if desc else "")).strip()


def headlines(data: Data) -> list[str]:
    """The headline's sentences (HTML)."""
    if len(data.series) == 1:
        return [single_headline(data, data.series[0])]
    others = [s for s in data.series if s is not data.baseline]
    items = [headline(data, s) for s in others[:MAX_HEADLINES]]
    if len(others) > MAX_HEADLINES:
        items.append(f"… and {len(others) - MAX_HEADLINES} more designs (see the charts).")
    return items


def fine_print(data: Data) -> str:
    """Under the headline: what the brackets are and how the designs were compared (HTML)."""
    if len(data.series) == 1:
        return (f"Means over {len(data.series[0].head.kpis)} replications; the cards below give 95% confidence "
                f"intervals.")
    reps = min(len(s.head.kpis) for s in data.series)
    how = ("paired differences: every design faced the very same callers (common random numbers)" if data.paired
           else f"differences of independent runs ({esc(data.unpaired_why) or 'different callers'}, so not paired)")
    where = (f" All at {esc(data.staffing_text(data.baseline.head.staffing))}."
             if data.baseline.head.staffing is not None else "")
    return (f"Brackets: 95% confidence intervals of the difference over {reps} replications, {how}."
            f" Service level = answered within {data.thr} s.{where}")


@dataclass(frozen=True)
class Card:
    """One KPI of one design on a card; every field is HTML-safe."""

    name: str
    title: str          # the registry's label
    hint: str           # the registry's hint
    value: str
    ci: str             # the 95% CI of the mean, "a–b"
    extra: str = ""     # a detail line (transfers and handoffs)
    delta: str = ""     # the difference with the baseline design
    delta_ci: str = ""
    tone: str = ""      # good | bad | flat ("" on the baseline)


def tone(data: Data, s: Series, name: str) -> str:
    """How design ``s`` does on a KPI against the baseline: good | bad | flat (no clear difference, or a KPI that
    is neither better nor worse when higher)."""
    d, better = data.diffs[s.label], REGISTRY[name].better
    if not significant(d, name) or not better:
        return "flat"
    return "good" if d.loc[name, "diff"] * better > 0 else "bad"


def card(data: Data, s: Series, name: str) -> Card:
    """The card of KPI ``name`` for design ``s``: value, CI and, beside the baseline, the difference."""
    kpi, p = REGISTRY[name], s.head
    lo, hi = p.ci(name)
    delta = delta_ci = tone_ = ""
    if s is not data.baseline and s.label in data.diffs and name in data.diffs[s.label].index:
        d = data.diffs[s.label].loc[name]
        tone_ = tone(data, s, name)
        word = {"good": " better", "bad": " worse", "flat": ""}[tone_] if kpi.better else ""
        delta = f"{diff(name, d['diff'])} vs {esc(data.baseline.label)}{word}"
        delta_ci = ci_text(name, d["ci_low"], d["ci_high"], is_diff=True)
    extra = ""
    if name == "passed_per_call":
        extra = (f"{value('transfers_per_call', p.mean('transfers_per_call'))} cold · "
                 f"{value('handoffs_per_call', p.mean('handoffs_per_call'))} warm")
    return Card(name=name, title=esc(kpi.title(data.thr)), hint=esc(kpi.hint.format(thr=data.thr)),
                value=value(name, p.mean(name)), ci=ci_text(name, lo, hi).replace(" to ", "–"), extra=extra,
                delta=delta, delta_ci=delta_ci, tone=tone_)


def cards(data: Data, s: Series) -> list[Card]:
    return [card(data, s, name) for name in CARDS]
