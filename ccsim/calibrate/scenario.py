"""A calibration as a ccsim scenario: the dict :func:`ccsim.scenario_from_dict` accepts, and the same as TOML text
with a comment on every figure saying where it came from (sample size, interval, method).

The scenario describes one day type (horizon one day, the calibration's interval): one skill, one queue and one
route per call type, the agent groups found in the log (or one per call type), and repeat contacts where
customer ids allow.
"""
from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from ..limits import DAY, MIN_INTERVAL
from .common import clock, fmt, n_intervals, safe_label
from .patience import describe
from .staffing import ROUND_SLACK, TARGET_OCCUPANCY, load_staffing

if TYPE_CHECKING:
    from .calibration import Calibration

Path = tuple[str, ...]
MIN_BUSYNESS_CV, MAX_BUSYNESS_CV = 1e-6, 1.0


class Plan:
    """A scenario dict being built, with comments: ``above`` (lines before a key or table), ``after`` (at the
    end of a key's line) and ``items`` (one per element of a list, which is then written one element a line)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.above: dict[Path, list[str]] = {}
        self.after: dict[Path, str] = {}
        self.items: dict[Path, list[str]] = {}

    def set(self, path: Path, value: Any, after: str = "", above: str | list[str] = "", items: list[str] | None = None):
        node = self.data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
        if after:
            self.after[path] = after
        if above:
            self.above[path] = [above] if isinstance(above, str) else list(above)
        if items is not None:
            self.items[path] = items


def _r(v: float, digits: int = 6) -> float:
    """A float rounded to ``digits`` significant digits (readable TOML, same scenario to that precision)."""
    return float(f"{float(v):.{digits}g}")


def _law(law: dict) -> dict:
    """A distribution table with its parameters rounded to 6 significant digits (empirical values as they are)."""
    return {k: (_r(v) if isinstance(v, float) else v) for k, v in law.items()}


def _pct(confidence: float) -> str:
    """A confidence level as people write it: 95%, 99.92%."""
    return f"{confidence * 100:.4g}%"


def _ci(lo: float, hi: float) -> str:
    return f"[{fmt(lo)}, {fmt(hi)}]"


def build(cal: "Calibration", day: str) -> Plan:
    """The scenario of day type ``day`` with its comments."""
    p = Plan()
    conf = _pct(cal.confidence)
    names = cal.labels
    days = cal.days[cal.days["day_type"] == day]
    first, last = days["day"].min(), days["day"].max()
    slots = n_intervals(cal.interval)
    p.set(("name",), cal.name)
    p.set(("description",), _comment(f"Calibrated from {cal.source}: {cal.n_calls:,} calls; day type {day!r}, "
                                     f"{len(days)} days"))
    p.set(("horizon",), DAY, "one day, midnight to midnight (seconds)")
    p.set(("interval",), _r(cal.interval), f"{slots} intervals, as calibrated")
    p.set(("warmup",), 0.0, "the day starts at midnight, as the log's days do")
    p.set(("sl_threshold",), _r(cal.sl_threshold), "service level: answered within this many seconds of queueing")
    p.set(("max_drain",), 4 * 3600.0, "after midnight, the last interval's staff finish calls for up to 4 h")
    p.above[("name",)] = [
        f"Calibrated by ccsim.calibrate from {cal.source} ({cal.format}): {cal.n_calls:,} calls on {len(cal.days)} "
        f"days ({cal.days['day'].min():%Y-%m-%d} to {cal.days['day'].max():%Y-%m-%d}).",
        f"This scenario is the day type {day!r}: {len(days)} days, {first:%Y-%m-%d} to {last:%Y-%m-%d}. Intervals are "
        f"{conf} confidence intervals.",
        f"Day types: {cal.day_type} "
        f"({'chosen by the weekend test' if cal.day_type_requested == 'auto' else 'as asked'}): "
        f"{cal.day_type_test['method']}, {_p(cal.day_type_test['p_value'])}.",
        *[f"Note: {n}" for n in cal.notes]]
    # ----------------------------------------------------------------------------------------- demand
    d = ("demand",)
    p.set(d + ("skills",), [names[c] for c in cal.modelled], "one skill (and IVR option) per call type")
    b = cal.busyness.set_index("day_type").loc[day]
    cv = float(b["cv"]) if b["needed"] else 0.0
    cv = 0.0 if cv < MIN_BUSYNESS_CV else min(cv, MAX_BUSYNESS_CV)
    p.set(d + ("busyness_cv",), _r(cv, 4),
          f"method of moments on {int(b['days'])} daily first-contact totals: cv {fmt(b['cv'])} "
          f"{_ci(b['cv_low'], b['cv_high'])}; "
          f"dispersion index {fmt(b['dispersion_index'])} on {int(b['days']) - 1} df, {_p(b['p_value'])} (chi-square): "
          + ("overdispersed, kept" if b["needed"] else "not overdispersed at 5%, so 0"))
    handle = cal.handle[cal.handle["group"] == ""].set_index("call_type")
    pooled = cal.pooled_handle_law()
    for c in cal.modelled:
        w = d + ("work", names[c])
        law = cal.handle_laws.get(c)
        if law is None:
            p.set(w + ("talk",), pooled, "no answered call of this type: the law of all answered calls")
        else:
            r = handle.loc[c]
            aic = ", ".join(f"{k} {fmt(r['aic_' + k], 8)}" for k in ("lognormal", "gamma", "exponential"))
            why = f"by AIC ({aic})" if r["law"] == r["best"] else f"as asked (AIC: {aic})"
            text = (f"end - answer of {int(r['n']):,} answered calls: {r['law']} {why}; mean {fmt(r['mean'])} s "
                    f"{_ci(r['mean_low'], r['mean_high'])}, cv {fmt(r['cv'])} {_ci(r['cv_low'], r['cv_high'])}; "
                    f"KS D = {fmt(r['ks_d'], 2)}, {_p(r['ks_p'])} (optimistic: fitted parameters)")
            if law["dist"] == "empirical":
                p.above[w + ("talk",)] = [text, f"empirical: {len(law['values']):,} of the observed handle times, "
                                                "evenly spaced order statistics"]
                p.set(w + ("talk",), law)
            else:
                p.set(w + ("talk",), _law(law), text)
        p.set(w + ("acw",), 0.0, "ACD logs do not separate talk from after-call work: all of it is in talk")
    rep = cal.repeats.set_index(["call_type", "kind"]) if len(cal.repeats) else None
    prof = cal.arrivals[cal.arrivals["day_type"] == day]
    for c in cal.modelled:
        t = d + ("call_types", names[c])
        v = prof[prof["call_type"] == c].sort_values("interval")
        p.set(t + ("volume",), [_r(x, 5) for x in v["mean"]],
              above=f"first contacts (not redials or returns) per {fmt(cal.interval)}-s interval: mean over "
                    f"{int(v['days'].iloc[0])} days, {conf} interval: t over days (Poisson where every day had the "
                    "same count)",
              items=[f"{clock(s)}  {_ci(lo, hi)}" for s, lo, hi in zip(v["start"], v["ci_low"], v["ci_high"])])
        p.set(t + ("needs",), [names[c]])
        law, fit = cal.patience_laws.get(c), cal.patience_fits[c]
        if law is not None:
            p.set(t + ("patience",), _law(law), _patience_comment(fit, conf))
        else:
            p.above[t + ("needs",)] = [f"patience: none (callers never hang up): {describe(fit)}"]
        bal = fit["balk_share"]
        if fit["balked"]:
            p.above.setdefault(t + ("needs",), []).append(
                f"balking: {fit['balked']:,} of {fit['queued']:,} queued callers ({bal:.1%}) hung up within "
                f"{fmt(cal.balk_threshold)} s; they stay in the patience fit as very impatient callers (a hang-up "
                "within a clock tick cannot be told from one): balk_prob is left at 0")
        _repeats(p, t, rep, c, cal)
    # ----------------------------------------------------------------------------------------- design
    g = ("design",)
    p.set(g + ("name",), "calibrated")
    ivr = cal.ivr.set_index("call_type").loc[""]
    secs = _r(max(float(ivr["mean"]), 0.0), 4) if ivr["queued"] else 0.0
    p.set(g + ("ivr",), {"levels": 1 if secs > 0 else 0, "seconds_per_level": secs},
          f"queue_enter - arrival of {int(ivr['queued']):,} calls that queued: mean {fmt(ivr['mean'])} s "
          f"{_ci(ivr['ci_low'], ivr['ci_high'])} (sd {fmt(ivr['sd'])} s), one deterministic level for every call type; "
          f"{int(ivr['ivr_only']):,} calls ended in the IVR and {int(ivr['blocked']):,} were blocked: not modelled")
    for c in cal.modelled:
        p.set(g + ("queues", names[c]), {})
    p.above[g + ("queues",)] = ["one FCFS queue per call type"]
    for c in cal.modelled:
        p.set(g + ("routes", names[c]), names[c])
    _groups(p, g, cal, day)
    return p


def _p(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "p = –"
    return "p < 1e-12" if x < 1e-12 else f"p = {x:.2g}"


def _patience_comment(fit: dict, conf: str) -> str:
    f = fit["fits"][fit["chosen"]]
    if fit["chosen"] == "weibull":
        est = (f"shape {fmt(f['shape'])} {_ci(f['shape_low'], f['shape_high'])}, scale {fmt(f['scale'])} s "
               f"{_ci(f['scale_low'], f['scale_high'])}")
    elif fit["chosen"] == "lognormal":
        est = (f"mean {fmt(f['mean'])} s {_ci(f['mean_low'], f['mean_high'])}, cv {fmt(f['cv'])} "
               f"{_ci(f['cv_low'], f['cv_high'])}")
    else:
        est = f"mean {fmt(f['mean'])} s {_ci(f['mean_low'], f['mean_high'])} (chi-square)"
    return f"{est}; {describe(fit)}"


def _repeats(p: Plan, t: Path, rep, c: str, cal: "Calibration") -> None:
    w = f"{fmt(cal.redial_window / 3600)} h"
    if rep is None or not cal.has_customer_ids:
        p.set(t + ("redial_prob",), 0.0, "no customer ids: redials cannot be told from first contacts, none modelled")
        p.set(t + ("resolution_prob",), 1.0, "no customer ids: returns cannot be seen, none modelled")
        return
    r = rep.loc[(c, "redial")]
    prob = 0.0 if not math.isfinite(r["prob"]) else float(r["prob"])
    p.set(t + ("redial_prob",), _r(prob, 4),
          f"{int(r['repeats']):,} of {int(r['base']):,} abandoned calls were followed by a call of the same customer "
          f"within {w}: {_ci(r['prob_low'], r['prob_high'])} (Clopper-Pearson)")
    if r["repeats"] > 0:
        p.set(t + ("redial_delay",), {"dist": "exponential", "mean": _r(r["delay_mean"], 5)},
              f"hang-up to redial: exponential mean {fmt(r['delay_mean'])} s {_ci(r['delay_low'], r['delay_high'])} "
              f"(chi-square), {int(r['repeats']):,} redials")
    r = rep.loc[(c, "return")]
    share = 0.0 if not math.isfinite(r["prob"]) else float(r["prob"])
    seen = (f"{int(r['repeats']):,} of {int(r['base']):,} answered calls were followed by a call of the same customer "
            f"within {w}: return share {fmt(share)} {_ci(r['prob_low'], r['prob_high'])} (Clopper-Pearson)")
    if share > 0:
        p.set(t + ("resolution_prob",), _r(1 - share, 4), "1 - the return share: " + seen)
        p.set(t + ("callback_prob",), 1.0, "ccsim's callbacks are for unresolved callers: an unresolved caller is one "
                                           "who returns, so every one calls back")
    else:
        p.set(t + ("resolution_prob",), 1.0, seen + ": every contact resolves")
        p.set(t + ("callback_prob",), 0.0, "no returns seen")
    if r["repeats"] > 0:
        p.set(t + ("callback_delay",), {"dist": "exponential", "mean": _r(r["delay_mean"], 5)},
              f"end to return: exponential mean {fmt(r['delay_mean'])} s {_ci(r['delay_low'], r['delay_high'])} "
              f"(chi-square), {int(r['repeats']):,} returns")
    p.set(t + ("max_attempts",), cal.max_attempts, "the longest chain of repeats of one customer seen in the log")


def _groups(p: Plan, g: Path, cal: "Calibration", day: str) -> None:
    st = cal.staffing[cal.staffing["day_type"] == day]
    names = cal.labels
    volume = cal.arrivals[cal.arrivals["day_type"] == day].groupby("call_type")["mean"].sum()
    groups = {name: list(cts) for name, cts in cal.groups.items()}
    profile = {name: st[st["group"] == name].sort_values("interval") for name in groups}
    taken = set(groups)
    for c in cal.modelled:        # a call type with demand needs a staffed group
        staffed = any(c in cts and len(profile[n]) and profile[n]["agents"].max() > 0 for n, cts in groups.items())
        if volume.get(c, 0) > 0 and not staffed:
            name = safe_label(f"agents_{c}", taken)
            off = cal.offered[(cal.offered["day_type"] == day) & (cal.offered["call_type"] == c)]
            prof = load_staffing(off, {c: cal.handle_mean(c)}, cal.interval, n_intervals(cal.interval))
            prof["agents"] = np.maximum(prof["agents"], 1)
            groups[name], profile[name] = [c], prof.assign(group=name)
            p.above[g + ("groups", name)] = [f"no agent seen serving {c} on {day} days: offered load / "
                                             f"{TARGET_OCCUPANCY:.0%} occupancy, rounded up (at least 1 agent)"]
    how = {"agents": "agents present per interval (first answer to last end of each day, less idle gaps of 10 min or "
                     "more while their callers waited), time-average, mean over days, rounded up beyond "
                     f"{ROUND_SLACK:g} agent; {_pct(cal.confidence)} t interval over days",
           "load": "no agent column: offered load (offered calls x mean handle time / interval) / "
                   f"{TARGET_OCCUPANCY:.0%} occupancy, rounded up",
           "given": "staffing as given"}
    for name, cts in groups.items():
        gp = g + ("groups", name)
        prof = profile[name]
        if not len(prof):
            continue
        src = str(prof["source"].iloc[0])
        p.set(gp + ("skills",), [names[c] for c in cts],
              f"call types making >= 5% of each agent's answered calls ({int(cal.group_sizes.get(name, 0))} agents)"
              if src == "agents" else "")
        p.set(gp + ("queues",), [names[c] for c in cts])
        items = [f"{clock(s)}  mean {fmt(m)}" + (f" {_ci(lo, hi)}" if math.isfinite(lo) else "")
                 for s, m, lo, hi in zip(prof["start"], prof["mean"], prof["ci_low"], prof["ci_high"])]
        p.set(gp + ("staffing",), [int(x) for x in prof["agents"]], above=how[src], items=items)


# --------------------------------------------------------------------------- TOML text
BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if BARE.match(k) else _string(k)


def _string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _comment(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", text)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if not math.isfinite(v):
            raise ValueError("a calibrated figure is not finite")
        return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}" if v else "{}"
    raise TypeError(type(v).__name__)


def _inline(path: Path, v: Any) -> bool:
    return not isinstance(v, dict) or (("dist" in v and "values" not in v) or path[-1] == "ivr" or not v)


def to_toml(p: Plan) -> str:
    """The plan as TOML text, comments included."""
    out: list[str] = []

    def line(path: Path, value: Any) -> None:
        for text in p.above.get(path, []):
            out.append("# " + _comment(text))
        head = f"{_key(path[-1])} = "
        tail = f"   # {_comment(p.after[path])}" if path in p.after else ""
        if isinstance(value, list) and path in p.items:
            out.append(head + "[" + tail)
            width = max((len(_value(x)) for x in value), default=1) + 1
            for x, c in zip(value, p.items[path]):
                out.append(f"  {(_value(x) + ','):<{width}}  # {_comment(c)}")
            out.append("]")
        elif isinstance(value, list) and len(value) > 12:
            out.append(head + "[" + tail)
            for i in range(0, len(value), 10):
                out.append("  " + ", ".join(_value(x) for x in value[i:i + 10]) + ",")
            out.append("]")
        else:
            out.append(head + _value(value) + tail)

    def table(path: Path, node: dict) -> None:
        for k, v in node.items():
            if _inline(path + (k,), v):
                line(path + (k,), v)
        for k, v in node.items():
            if not _inline(path + (k,), v):
                here = path + (k,)
                if p.above.get(here) or any(_inline(here + (j,), x) for j, x in v.items()):
                    out.append("")
                    out.extend("# " + _comment(text) for text in p.above.get(here, []))
                    out.append("[" + ".".join(_key(x) for x in here) + "]")
                table(here, v)
    table((), p.data)
    return "\n".join(out) + "\n"


__all__ = ["Plan", "build", "to_toml", "MIN_INTERVAL"]
