"""The scenario: demand (who calls, what they need) and design (how the center meets it), validated.

A scenario is a TOML file (or the same structure built in Python). Every field is checked by pydantic;
cross-field rules (unknown skills or queues, routing loops, zero staff for a skill with demand) are
checked here too, and every problem surfaces as one :class:`ScenarioError` naming the field and the fix.
"""
from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .distributions import Deterministic, Distribution, Exponential
from .errors import ScenarioError

Prob = Field(ge=0.0, le=1.0)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


# --------------------------------------------------------------------------- demand
class Work(_Model):
    """Work content of one skill: talk time with the caller and the agent's after-call work (ACW)."""

    talk: Distribution
    acw: Distribution = Deterministic(value=0.0)


class NeedsOption(_Model):
    """One row of a needs probability table: with probability ``p`` the caller needs ``needs`` in order."""

    p: float = Prob
    needs: list[str] = Field(min_length=1)


class CallType(_Model):
    """A class of callers: volume, patience, needs, IVR behaviour and repeat-contact behaviour."""

    arrival_rate: float | None = Field(default=None, ge=0.0, description="calls per second, constant")
    volume: list[float] | None = Field(default=None, description="expected calls per interval")
    patience: Distribution | None = None
    needs: list[str] | list[NeedsOption] = Field(min_length=1)
    misroute_prob: float = Field(default=0.0, ge=0.0, le=1.0)
    resolution_prob: float = Field(default=1.0, ge=0.0, le=1.0)
    callback_prob: float = Field(default=0.0, ge=0.0, le=1.0)
    callback_delay: Distribution = Exponential(mean=4 * 3600.0)
    redial_prob: float = Field(default=0.0, ge=0.0, le=1.0)
    redial_delay: Distribution = Exponential(mean=600.0)
    max_attempts: int = Field(default=3, ge=1, le=50)

    @model_validator(mode="after")
    def _volume(self):
        if (self.arrival_rate is None) == (self.volume is None):
            raise ValueError("give exactly one of arrival_rate (calls per second) or volume (calls per interval)")
        if self.volume is not None and any((not math.isfinite(v)) or v < 0 for v in self.volume):
            raise ValueError("volume: every interval's expected calls must be finite and >= 0")
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

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    multiplier: float = Field(ge=0)
    call_types: list[str] | None = None  # None: every call type

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Demand(_Model):
    """Who calls and what they need; independent of the design and sampled once per seed."""

    skills: list[str] = Field(min_length=1, description="the IVR menu options, one per skill")
    work: dict[str, Work]
    call_types: dict[str, CallType] = Field(min_length=1)
    busyness_cv: float = Field(default=0.0, ge=0.0, description="cv of the gamma day-level volume multiplier")
    surges: list[Surge] = []


# --------------------------------------------------------------------------- design
class IVR(_Model):
    """The phone menu: callers spend ``levels * seconds_per_level`` before reaching a queue."""

    levels: int = Field(default=0, ge=0)
    seconds_per_level: float = Field(default=0.0, ge=0.0)

    @property
    def time(self) -> float:
        return self.levels * self.seconds_per_level


class Queue(_Model):
    """A FCFS queue; with ``priority_transfers`` transferred and handed-off calls go ahead of fresh ones."""

    priority_transfers: bool = False


class Group(_Model):
    """Agents who share skills, queues and a staffing schedule."""

    skills: dict[str, float] | list[str] = Field(description="skills served, optionally with a speed factor")
    queues: list[str] = Field(min_length=1, description="queues the agents take calls from, in preference order")
    staffing: int | list[int] = Field(description="agents on the phones, constant or one value per interval")
    cost_per_hour: float = Field(default=0.0, ge=0.0)

    @field_validator("staffing")
    @classmethod
    def _staffing(cls, v):
        st = [v] if isinstance(v, int) else v
        if not st:
            raise ValueError("give a number of agents or one value per interval")
        if any(s < 0 for s in st):
            raise ValueError("agents cannot be negative")
        return v

    @field_validator("skills")
    @classmethod
    def _speeds(cls, v):
        if isinstance(v, dict) and any(not (x > 0 and math.isfinite(x)) for x in v.values()):
            raise ValueError("speed factors must be > 0")
        return v

    def speed(self) -> dict[str, float]:
        """Skill -> speed factor (talk time is divided by it)."""
        return dict(self.skills) if isinstance(self.skills, dict) else {s: 1.0 for s in self.skills}

    def staffing_profile(self, n_intervals: int, scale: float = 1.0) -> list[int]:
        """Agents per interval, for exactly ``n_intervals`` intervals, times ``scale`` rounded to whole agents."""
        st = [self.staffing] * n_intervals if isinstance(self.staffing, int) else list(self.staffing[:n_intervals])
        return st if scale == 1.0 else [int(round(x * scale)) for x in st]


class Route(_Model):
    """Where callers needing one skill go: the queue the IVR option leads to, and how agents transfer to it."""

    queue: str
    transfer_queue: str | None = None  # default: queue
    mode: Literal["cold", "warm"] | None = None  # default: design.transfer_mode

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, v):
        return {"queue": v} if isinstance(v, str) else v


class Deflection(_Model):
    """Proactive notification: a share of callers who would call in the window do not."""

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    share: float = Prob


class Survey(_Model):
    """A post-call survey that costs the caller time, not the agent."""

    take_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    seconds: float = Field(default=60.0, ge=0.0)


class Design(_Model):
    """How the center meets demand: IVR, queues, agent groups, routing and transfer rules."""

    name: str = ""
    ivr: IVR = IVR()
    queues: dict[str, Queue] = Field(min_length=1)
    groups: dict[str, Group] = Field(min_length=1)
    routes: dict[str, Route] = Field(min_length=1)
    transfer_mode: Literal["cold", "warm"] = "cold"
    transfer_time: float = Field(default=30.0, ge=0.0, description="agent and caller time to cold-transfer")
    reexplain_time: float = Field(default=45.0, ge=0.0, description="caller retells the story after a cold transfer")
    handoff_time: float = Field(default=30.0, ge=0.0, description="both agents on the line in a warm handoff")
    resolution_factor: float = Field(default=1.0, ge=0.0, description="multiplies each call type's resolution_prob")
    cold_transfer_resolution_factor: float = Field(default=1.0, ge=0.0, le=1.0)
    survey: Survey | None = None
    deflections: list[Deflection] = []
    staffing_scale: float = Field(default=1.0, ge=0.0, description="multiplies every group's staffing (rounded)")

    def route(self, skill: str) -> tuple[str, str, str]:
        """(entry queue, transfer queue, mode) for callers needing ``skill``."""
        r = self.routes[skill]
        return r.queue, r.transfer_queue or r.queue, r.mode or self.transfer_mode


# --------------------------------------------------------------------------- scenario
class Scenario(_Model):
    """A complete, validated scenario: run length, demand and design. Times in seconds."""

    name: str = Field(min_length=1)
    description: str = ""
    horizon: float = Field(gt=0, description="arrivals happen in [0, horizon)")
    interval: float = Field(default=1800.0, gt=0, description="length of a staffing/volume interval")
    warmup: float = Field(default=0.0, ge=0)
    sl_threshold: float = Field(default=20.0, ge=0)
    max_drain: float = Field(default=4 * 3600.0, ge=0, description="time after the horizon to finish calls")
    demand: Demand
    design: Design

    @property
    def n_intervals(self) -> int:
        return max(1, math.ceil(self.horizon / self.interval - 1e-9))

    def override(self, changes: dict[str, Any]) -> "Scenario":
        """A new validated scenario with dotted-path fields replaced, e.g. {"design.groups.tech.staffing": 12}."""
        data = self.model_dump(mode="python", exclude_unset=False)
        for path, value in changes.items():
            _set_path(data, path, value)
        return scenario_from_dict(data)

    def with_design(self, design: Design | dict) -> "Scenario":
        """The same demand faced by another design (common random numbers apply)."""
        data = self.model_dump(mode="python")
        data["design"] = design.model_dump(mode="python") if isinstance(design, Design) else design
        return scenario_from_dict(data)


# --------------------------------------------------------------------------- loading
def _fmt_loc(loc: tuple) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and p in _DIST_TAGS)]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (("." if out else "") + p)
    return out


#: pydantic puts the tag of the union member it tried into an error's location; these are not fields
_DIST_TAGS = {"exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical",
              "list[str]", "list[NeedsOption]", "int", "list[int]", "dict[str,float]", "float"}


def _translate(err: ValidationError) -> ScenarioError:
    e = max(err.errors(), key=lambda x: len(x["loc"]))  # the deepest: the union member that came closest
    field = _fmt_loc(e["loc"])
    typ, msg = e["type"], e["msg"]
    if typ == "extra_forbidden":
        return ScenarioError(field, "unknown field", "remove it or check its spelling against docs/model.md")
    if typ == "missing":
        return ScenarioError(field, "required field is missing", "add it (see docs/model.md)")
    if typ == "union_tag_invalid" or typ == "union_tag_not_found":
        return ScenarioError(field, msg, "use dist = exponential | lognormal | gamma | deterministic | uniform | empirical")
    got = e.get("input")
    got_s = f" (got {got!r})" if not isinstance(got, (dict, list)) else ""
    msg = msg.removeprefix("Value error, ")
    ctx = e.get("ctx") or {}
    fix = None
    for key, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if key in ctx:
            fix = f"use a value {word} {ctx[key]}"
    return ScenarioError(field, f"{msg}{got_s}", fix)


def scenario_from_dict(data: dict) -> Scenario:
    """Validate a plain dict (as read from TOML) into a Scenario, or raise ScenarioError."""
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as err:
        raise _translate(err) from None
    check_scenario(sc)
    return sc


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_path(data: dict, path: str, value: Any) -> None:
    keys = [k for k in path.split(".") if k]
    if not keys:
        raise ScenarioError("--set", f"empty field path in {path!r}", "write PATH=VALUE, e.g. design.groups.tech.staffing=12")
    node = data
    for i, k in enumerate(keys[:-1]):
        nxt = node.get(k) if isinstance(node, dict) else None
        if nxt is None:
            nxt = node[k] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(".".join(keys[: i + 1]), "is a value, not a table", f"set {'.'.join(keys[: i + 1])} itself")
        node = nxt
    node[keys[-1]] = value


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Parse CLI ``PATH=VALUE`` strings; values are read as TOML (numbers, lists, strings)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError("--set", f"{item!r} has no '='", "write PATH=VALUE, e.g. design.groups.tech.staffing=12")
        k, v = item.split("=", 1)
        out[k.strip()] = _parse_value(v.strip())
    return out


def _read_toml(path: Path, field: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(field, f"file not found: {path}", "check the path") from None
    except OSError as e:
        raise ScenarioError(field, f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(field, f"{path} is not a UTF-8 text file", "save the scenario as UTF-8 TOML") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(str(path), f"not valid TOML: {e}", "fix the syntax at that line") from None


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario TOML file; ``demand``/``design`` may name other TOML files.

    ``overrides`` maps dotted paths to values (as ``--set`` does) and is validated like the file.
    """
    path = Path(path)
    data = _read_toml(path, "scenario")
    for part in ("demand", "design"):
        ref = data.get(part)
        if isinstance(ref, str):
            data[part] = _read_toml((path.parent / ref).resolve(), part)
    data.setdefault("name", path.stem)
    for k, v in (overrides or {}).items():
        _set_path(data, k, copy.deepcopy(v))
    return scenario_from_dict(data)


# --------------------------------------------------------------------------- cross-field rules
def skills_with_demand(sc: Scenario) -> set[str]:
    """Skills some caller with positive volume may need."""
    out: set[str] = set()
    for ct in sc.demand.call_types.values():
        if ct.has_volume():
            for p, needs in ct.needs_table():
                if p > 0:
                    out.update(needs)
    return out


def check_scenario(sc: Scenario) -> None:
    """Cross-field rules pydantic cannot see field by field; raises ScenarioError."""
    d, g = sc.demand, sc.design
    n_int = sc.n_intervals
    if sc.warmup >= sc.horizon:
        raise ScenarioError("warmup", f"{sc.warmup:g} s is not before the horizon ({sc.horizon:g} s)", "shorten the warm-up")
    skills = list(d.skills)
    if len(set(skills)) != len(skills):
        raise ScenarioError("demand.skills", "a skill is listed twice", "list each skill once")
    known = set(skills)
    for s in known - set(d.work):
        raise ScenarioError(f"demand.work.{s}", "missing work content for this skill", f"add [demand.work.{s}] with talk = ...")
    for s in set(d.work) - known:
        raise ScenarioError(f"demand.work.{s}", f"unknown skill {s!r}", f"add it to demand.skills or remove it ({sorted(known)})")
    for name, ct in d.call_types.items():
        f = f"demand.call_types.{name}"
        for i, (_, needs) in enumerate(ct.needs_table()):
            for s in needs:
                if s not in known:
                    raise ScenarioError(f"{f}.needs", f"unknown skill {s!r}", f"use one of {sorted(known)} or add it to demand.skills")
        if ct.volume is not None and len(ct.volume) < n_int:
            raise ScenarioError(f"{f}.volume", f"{len(ct.volume)} values for {n_int} intervals",
                                f"give one expected call count per {sc.interval:g}-s interval of the {sc.horizon:g}-s horizon")
        if ct.misroute_prob > 0 and len(skills) < 2:
            raise ScenarioError(f"{f}.misroute_prob", "a misroute needs at least two menu options", "set it to 0")
    for i, s in enumerate(d.surges):
        for ctn in s.call_types or []:
            if ctn not in d.call_types:
                raise ScenarioError(f"demand.surges[{i}].call_types", f"unknown call type {ctn!r}", f"use one of {list(d.call_types)}")
    # design
    for qn in g.queues:
        if not any(qn in gr.queues for gr in g.groups.values()):
            raise ScenarioError(f"design.queues.{qn}", "no agent group takes calls from this queue",
                                "add it to some group's queues or remove it")
    for gn, gr in g.groups.items():
        for qn in gr.queues:
            if qn not in g.queues:
                raise ScenarioError(f"design.groups.{gn}.queues", f"unknown queue {qn!r}", f"use one of {list(g.queues)}")
        for s in gr.speed():
            if s not in known:
                raise ScenarioError(f"design.groups.{gn}.skills", f"unknown skill {s!r}", f"use one of {sorted(known)}")
        if isinstance(gr.staffing, list) and len(gr.staffing) < n_int:
            raise ScenarioError(f"design.groups.{gn}.staffing", f"{len(gr.staffing)} values for {n_int} intervals",
                                f"give one agent count per {sc.interval:g}-s interval, or a single number")
    for s in g.routes:
        if s not in known:
            raise ScenarioError(f"design.routes.{s}", f"unknown skill {s!r}", f"route only the skills in demand.skills {sorted(known)}")
    for s in skills:
        if s not in g.routes:
            raise ScenarioError(f"design.routes.{s}", "missing route for this menu option", f"add design.routes.{s} = \"QUEUE\"")
        r = g.routes[s]
        for fld, qn in (("queue", r.queue), ("transfer_queue", r.transfer_queue)):
            if qn is not None and qn not in g.queues:
                raise ScenarioError(f"design.routes.{s}.{fld}", f"unknown queue {qn!r}", f"use one of {list(g.queues)}")
    # a caller transferred for skill s must land with agents who can serve s, or it would loop forever
    demanded = skills_with_demand(sc)
    serving = {qn: [gn for gn, gr in g.groups.items() if qn in gr.queues] for qn in g.queues}
    for s in skills:
        entry, tq, mode = g.route(s)
        bad = [gn for gn in serving[tq] if s not in g.groups[gn].speed()]
        if bad:
            raise ScenarioError(f"design.routes.{s}", f"routing loop: callers transferred for {s!r} go to queue {tq!r}, "
                                f"where group(s) {bad} cannot serve {s!r} and would transfer them again",
                                f"set transfer_queue to a queue taken only by groups with skill {s!r}")
        if s in demanded:
            staffed = [gn for gn in serving[tq] if max(g.groups[gn].staffing_profile(n_int, g.staffing_scale)) > 0]
            if not staffed:
                raise ScenarioError(f"design.groups.{serving[tq][0]}.staffing", f"zero staff for skill {s!r}, which callers need: no agent in "
                                    f"{serving[tq]} is ever staffed", f"staff a group with skill {s!r}")
            if not any(max(g.groups[gn].staffing_profile(n_int, g.staffing_scale)) > 0 for gn in serving[entry]):
                raise ScenarioError(f"design.routes.{s}.queue", f"queue {entry!r} never has staff", "staff a group that takes it")
    # warm handoffs hold the first agent: a cycle of warm handoffs between groups could deadlock
    edges: dict[str, set[str]] = {gn: set() for gn in g.groups}
    for gn, gr in g.groups.items():
        for s in skills:
            _, tq, mode = g.route(s)
            if mode == "warm" and s not in gr.speed():
                edges[gn].update(serving[tq])
    cycle = _find_cycle(edges)
    if cycle:
        raise ScenarioError("design.routes", "routing loop: warm handoffs between groups " + " -> ".join(cycle)
                            + " can hold every agent waiting for another", "make one of these routes mode = \"cold\"")
    for i, df in enumerate(g.deflections):
        if df.end <= df.start:
            raise ScenarioError(f"design.deflections[{i}]", f"end ({df.end:g}) must be after start ({df.start:g})")


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        color[u] = 1
        stack.append(u)
        for v in sorted(edges[u]):
            if color.get(v) == 1:
                return stack[stack.index(v):] + [v]
            if color.get(v) is None:
                c = visit(v)
                if c:
                    return c
        stack.pop()
        color[u] = 2
        return None

    for u in edges:
        if color.get(u) is None:
            c = visit(u)
            if c:
                return c
    return None
