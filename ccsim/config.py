"""The scenario: demand (who calls, what they need) and design (how the center meets it), validated.

A scenario is a TOML file (or the same structure built in Python). Every field is checked by pydantic;
cross-field rules (unknown skills or queues, routing loops, zero staff for a skill with demand) are
checked in :mod:`ccsim.checks`, and every problem surfaces as one :class:`ScenarioError` naming the field and
the fix.

Hostile input is refused the same way, quickly and in bounded memory: numbers must be finite (no ``inf`` or
``nan``) and not booleans, every field has the bounds the engines can honour (the limits of :mod:`ccsim.limits`, and
those of distributions in :mod:`ccsim.distributions`), names of skills, queues, groups and call types follow :data:`LABEL_RULE`,
and files must be regular UTF-8 TOML files of at most :data:`MAX_FILE_BYTES`.
"""
from __future__ import annotations

import copy
import math
import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (AfterValidator, BeforeValidator, Discriminator, Field, Tag,
                      ValidationError, field_validator, model_serializer, model_validator)

from .distributions import KINDS, MIN_CV, Deterministic, Distribution, Exponential, Float, Seconds, not_a_boolean
from .checks import (OVERLOAD_FACTOR, check_scenario, law_at, law_means, offered_load, overload_warning,  # noqa: F401
                     rate_segments, segment_edges)
from .errors import OptionError, ScenarioError
from .limits import (BAD_LABEL, Int, LABEL_RULE, Label, MAX_ATTEMPTS, MAX_BUSYNESS_CV,
                     MAX_DESCRIPTION, MAX_FIRST_CONTACTS, MAX_HORIZON, MAX_INTERVALS,
                     MAX_MULTIPLIER, MAX_NAMES, MAX_NEEDS, MAX_ROWS, MAX_SHOWN, MIN_INTERVAL,
                     NAME_RULE, NOT_A_LABEL, Prob, RunTime, UNION_TAGS, clip, plain_text, safe_name,
                     StrictModel, is_folder_name, shape_tag, shown, value_or_list_tag)
from .tomlfile import include_path, read_toml, set_path

_Model = StrictModel


# --------------------------------------------------------------------------- demand
#: a law, or one law per interval of arrival (laws by period: the contact's arrival interval picks it)
Laws = Annotated[Annotated[Distribution, Tag(":value")]
                 | Annotated[list[Distribution], Field(min_length=1, max_length=MAX_INTERVALS), Tag(":list")],
                 Discriminator(value_or_list_tag)]


class Work(_Model):
    """Work content of one skill: talk time with the caller and the agent's after-call work (ACW), each a law
    or one law per interval of arrival."""

    talk: Laws
    acw: Laws = Deterministic(value=0.0)


class NeedsOption(_Model):
    """One row of a needs probability table: with probability ``p`` the caller needs ``needs`` in order."""

    p: Prob
    needs: list[Label] = Field(min_length=1, max_length=MAX_NEEDS)


class CallType(_Model):
    """A class of callers: volume, patience, needs, IVR behaviour and repeat-contact behaviour."""

    # rates and volumes are bounded by MAX_FIRST_CONTACTS (per second, per interval), and their total
    # over the horizon again in check_scenario
    arrival_rate: Float | None = Field(default=None, ge=0.0, le=MAX_FIRST_CONTACTS, description="calls per second, constant")
    volume: list[Annotated[float, BeforeValidator(not_a_boolean), Field(ge=0.0, le=MAX_FIRST_CONTACTS)]] | None = Field(
        default=None, max_length=MAX_INTERVALS, description="expected calls per interval")
    patience: Laws | None = None
    same_patience: bool = False  # a redialling caller keeps the patience (and balking) of their first attempt
    needs: Annotated[Annotated[list[Label], Field(min_length=1, max_length=MAX_NEEDS), Tag(":list")]
                     | Annotated[list[NeedsOption], Field(min_length=1, max_length=MAX_ROWS), Tag(":table")],
                     Discriminator(shape_tag)]
    misroute_prob: Prob = 0.0
    balk_prob: Prob = 0.0   # hangs up at once when not answered at once (on each leg not held by an agent)
    resolution_prob: Prob = 1.0
    callback_prob: Prob = 0.0
    callback_delay: Distribution = Exponential(mean=4 * 3600.0)
    redial_prob: Prob = 0.0
    redial_delay: Distribution = Exponential(mean=600.0)
    max_attempts: Int = Field(default=3, ge=1, le=MAX_ATTEMPTS)
    callback_accept: Prob = 0.0  # virtual hold: a caller offered a callback accepts it (hangs up, keeps the place)
    callback_answer: Prob = 1.0  # virtual hold: the caller answers when the agent calls back
    # outbound: customers the center's dialer calls (design.dialer), reached with this probability by interval of
    # the dial (right-party connect); a reached customer waits `patience` for an agent (a mismatch), never redials
    outbound: bool = False
    reach: Annotated[Annotated[Prob, Tag(":value")] | Annotated[list[Prob], Field(min_length=1, max_length=MAX_INTERVALS),
                                                                 Tag(":list")], Discriminator(value_or_list_tag)] = 1.0

    @model_validator(mode="after")
    def _volume(self):
        if self.outbound:
            if self.arrival_rate is not None or self.volume is not None:
                raise ValueError("an outbound call type is dialled by design.dialer: remove arrival_rate and volume")
            if self.redial_prob or self.callback_prob or self.misroute_prob:
                raise ValueError("outbound customers do not redial, call back or use the menu: remove redial_prob, "
                                 "callback_prob and misroute_prob")
        elif (self.arrival_rate is None) == (self.volume is None):
            raise ValueError("give exactly one of arrival_rate (calls per second) or volume (calls per interval)")
        elif self.reach != 1.0:
            raise ValueError("reach applies to outbound call types: add outbound = true, or remove reach")
        if self.needs and isinstance(self.needs[0], NeedsOption):
            total = sum(o.p for o in self.needs)  # type: ignore[union-attr]
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"needs: probabilities sum to {total:g}, they must sum to 1")
        return self

    def needs_table(self) -> list[tuple[float, list[str]]]:
        """The needs as a probability table [(p, [skill, ...]), ...]."""
        if isinstance(self.needs[0], NeedsOption):
            return [(o.p, list(o.needs)) for o in self.needs]  # type: ignore[union-attr]
        return [(1.0, list(self.needs))]  # type: ignore[arg-type]

    def max_needs(self) -> int:
        return max(len(n) for _, n in self.needs_table())

    def has_volume(self) -> bool:
        return (self.arrival_rate or 0) > 0 or any(v > 0 for v in (self.volume or []))


class Surge(_Model):
    """A window in which volume is multiplied (a storm that cancels flights)."""

    start: Seconds
    end: Seconds
    multiplier: Float = Field(ge=0, le=MAX_MULTIPLIER)
    call_types: list[Label] | None = Field(default=None, max_length=MAX_NAMES)  # None: every call type

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Demand(_Model):
    """Who calls and what they need; independent of the design (every caller's draws are keyed by the seed)."""

    skills: list[Label] = Field(min_length=1, max_length=MAX_NAMES, description="the IVR menu options, one per skill")
    work: dict[Label, Work] = Field(max_length=MAX_NAMES)
    call_types: dict[Label, CallType] = Field(min_length=1, max_length=MAX_NAMES)
    busyness_cv: Float = Field(default=0.0, ge=0.0, le=MAX_BUSYNESS_CV,
                               description="cv of the gamma day-level volume multiplier")
    surges: list[Surge] = Field(default=[], max_length=MAX_ROWS)

    @field_validator("busyness_cv")
    @classmethod
    def _cv(cls, v: float) -> float:
        if 0 < v < MIN_CV:
            raise ValueError(f"must be 0 (no day-to-day variation) or at least {MIN_CV:g} (got {v!r})")
        return v


from .design import (IVR, AfterService, Callback, Deflection, Design, Dialer, Group, Queue,  # noqa: E402,F401
                     Route, Survey)


# --------------------------------------------------------------------------- scenario
#: characters of a scenario's currency ("USD", "EUR", "$", "CHF", "US$")
MAX_CURRENCY = 8


class Scenario(_Model):
    """A complete, validated scenario: run length, demand and design. Times in seconds."""

    name: str = Field(min_length=1)
    description: Annotated[str, AfterValidator(plain_text)] = Field(default="", max_length=MAX_DESCRIPTION)

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, v: str) -> str:
        if not is_folder_name(v):
            raise ValueError(f"cannot be used as a folder name ({NAME_RULE})")
        return v

    horizon: Float = Field(gt=0, le=MAX_HORIZON, description="arrivals happen in [0, horizon)")
    interval: Float = Field(default=1800.0, ge=MIN_INTERVAL, le=MAX_HORIZON,
                            description="length of a staffing/volume interval (at most MAX_INTERVALS in the horizon)")
    warmup: RunTime = 0.0
    sl_threshold: Seconds = 20.0
    sl_thresholds: dict[Label, Seconds] = Field(
        default={}, max_length=MAX_NAMES, description="service-level threshold of some call types (others: sl_threshold)")
    max_drain: RunTime = Field(default=4 * 3600.0, description="time after the horizon to finish calls")
    currency: str = Field(default="", max_length=MAX_CURRENCY, description=(
        "how money is written in the command line's tables, for display only (costs are computed the same): "
        "a code or symbol ending in a letter follows the amount ('EUR' -> '1,234 EUR'), any other precedes it "
        "('$' -> '$1,234', 'US$' -> 'US$1,234'); empty: plain numbers"))
    demand: Demand
    design: Design

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if v != v.strip() or re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", v):
            raise ValueError('must be a currency code or symbol without spaces around it or control characters, '
                             'e.g. "USD", "EUR" or "$"')
        return v

    @model_serializer(mode="wrap")
    def _no_empty_currency(self, handler):
        # display only: a scenario without one dumps as before (same sweep fingerprints, same staffed TOML)
        data = handler(self)
        if isinstance(data, dict) and not self.currency:
            data.pop("currency", None)
        return data

    @property
    def n_intervals(self) -> int:
        return max(1, math.ceil(self.horizon / self.interval - 1e-9))

    def override(self, changes: dict[str, Any]) -> "Scenario":
        """A new validated scenario with dotted-path fields replaced, e.g. {"design.groups.tech.staffing": 12}."""
        if not isinstance(changes, dict):
            raise OptionError("changes", f"must map field paths to values (got {shown(changes)})",
                              "write e.g. {'design.groups.tech.staffing': 12}")
        data = self.model_dump(mode="python", exclude_unset=False)
        for path, value in changes.items():
            set_path(data, path, value)
        return scenario_from_dict(data)

    def with_design(self, design: Design | dict) -> "Scenario":
        """The same demand faced by another design (common random numbers apply)."""
        data = self.model_dump(mode="python")
        data["design"] = design.model_dump(mode="python") if isinstance(design, Design) else design
        return scenario_from_dict(data)


def with_currency(amount: str, currency: str) -> str:
    """An amount already formatted for people, with a scenario's currency (:attr:`Scenario.currency`): a code
    ending in a letter follows it ("45,324 EUR"), a symbol precedes it ("$45,324", "-$3,698", "+$3,698");
    no currency, or no amount ("–"), leaves it as it is."""
    if not currency or not amount or not any(ch.isdigit() for ch in amount):
        return amount
    if currency[-1].isalpha():
        return f"{amount} {currency}"
    sign = amount[0] if amount[0] in "+-−" else ""
    return f"{sign}{currency}{amount[len(sign):]}"


# --------------------------------------------------------------------------- plausibility
def _fmt_loc(loc: tuple) -> str:
    parts = [p for p in loc if not (isinstance(p, str) and (p in _DIST_TAGS or p in UNION_TAGS or p == "[key]"))]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
            continue
        p = str(p)
        if not p or BAD_LABEL.search(p) or len(p) > MAX_SHOWN or "." in p:
            p = clip(shown(p), 40)  # a user's key, quoted and cut (it may be huge or hold control characters)
        out += ("." if out else "") + p
    return out


#: pydantic puts the tag of the union member it tried into an error's location; these are not fields
_DIST_TAGS = set(KINDS)


def _bound(v: Any) -> str:
    return str(int(v)) if isinstance(v, (int, float)) and v == int(v) and abs(v) < 1e16 else f"{v:g}"


def _translate(err: ValidationError) -> ScenarioError:
    e = max(err.errors(), key=lambda x: len(x["loc"]))  # the deepest: the union member that came closest
    field = _fmt_loc(e["loc"]) or "scenario"
    typ, msg = e["type"], e["msg"]
    if typ == "extra_forbidden":
        return ScenarioError(field, "unknown field", "remove it or check its spelling against docs/model.md")
    if typ == "missing":
        return ScenarioError(field, "required field is missing", "add it (see docs/model.md)")
    if typ == "union_tag_invalid" or typ == "union_tag_not_found":
        tag = (e.get("ctx") or {}).get("tag")
        return ScenarioError(field, f"unknown distribution {shown(tag)}" if typ == "union_tag_invalid" else msg,
                             "use dist = " + " | ".join(KINDS))
    got = e.get("input")
    msg = msg.removeprefix("Value error, ")
    # a bad key is in the field already
    got_s = f" (got {shown(got)})" if "(got " not in msg and e["loc"][-1:] != ("[key]",) else ""
    ctx = e.get("ctx") or {}
    fix = None
    for key, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if key in ctx:
            fix = f"use a value {word} {_bound(ctx[key])}"
    if msg == NOT_A_LABEL:
        fix = "rename it: " + LABEL_RULE
    elif typ == "finite_number":
        fix = "write a finite number (inf and nan are not allowed)"
    elif msg == "a boolean is not a number":
        fix = "write a number, not true or false"
    elif typ in ("too_long", "string_too_long") and "max_length" in ctx:
        msg = f"too long: at most {ctx['max_length']:,} " + ("characters" if typ == "string_too_long" else "items")
        fix = "shorten it"
    elif typ in ("int_from_float", "int_parsing_size", "int_parsing"):
        msg, fix = "must be a whole number", "write a whole number within the field's limits (see docs/model.md)"
    elif typ == "model_attributes_type":  # only distributions are unions of models
        fix = 'write a number of seconds or a table like {dist = "exponential", mean = 60}'
    return ScenarioError(field, f"{msg}{got_s}", fix)


def scenario_from_dict(data: dict) -> Scenario:
    """Validate a plain dict (as read from TOML) into a Scenario, or raise ScenarioError."""
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as err:
        raise _translate(err) from None
    except RecursionError:
        raise ScenarioError("scenario", "nested too deeply", "write plain tables, lists and values") from None
    check_scenario(sc)
    return sc


def design_from_dict(data: Any, field: str = "design") -> Design:
    """Validate a design alone (a sweep's design factor), or raise ScenarioError naming ``field``; the
    cross-field rules run when it meets a demand, in :func:`scenario_from_dict`."""
    try:
        return data if isinstance(data, Design) else Design.model_validate(data)
    except ValidationError as err:
        e = _translate(err)
        raise ScenarioError(f"{field}.{e.field}" if e.field != "scenario" else field, e.problem, e.fix) from None
    except RecursionError:
        raise ScenarioError(field, "nested too deeply", "write plain tables, lists and values") from None


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario TOML file; ``demand``/``design`` may name other TOML files.

    ``overrides`` maps dotted paths to values (as ``--set`` does) and is validated like the file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise OptionError("path", f"must be a file path (got {shown(path)})")
    if not isinstance(overrides, (dict, type(None))):
        raise OptionError("overrides", f"must map field paths to values (got {shown(overrides)})",
                          "write e.g. {'design.groups.tech.staffing': 12}")
    path = Path(path)
    data = read_toml(path, "scenario")
    for part in ("demand", "design"):
        ref = data.get(part)
        if isinstance(ref, str):
            data[part] = read_toml(include_path(path, ref, part), part)
    data.setdefault("name", safe_name(path.stem))
    for k, v in (overrides or {}).items():
        try:
            v = copy.deepcopy(v)
        except RecursionError:
            raise ScenarioError(clip(str(k)), "the value is nested too deeply", "write a plain value or list") from None
        set_path(data, k, v)
    return scenario_from_dict(data)


