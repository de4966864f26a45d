"""The design half of a scenario: how the center meets demand (IVR, queues, agent groups and their staffing or
rosters, routing and transfer rules, the outbound dialer), validated field by field.

:mod:`ccsim.config` assembles it with the demand into a scenario; cross-field rules (unknown names, routing loops,
zero staff) run in :mod:`ccsim.checks`.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (AfterValidator, BeforeValidator, Discriminator, Field, PrivateAttr, Tag, field_validator,
                      model_validator)

from .distributions import Float, Seconds, not_a_boolean
from .errors import ScenarioError
from .limits import (MAX_CALLBACK_POSITION, MAX_CALLBACK_RETRIES, MAX_COST_PER_HOUR, MAX_DESIGN_NAME, MAX_IVR_LEVELS,
                     MAX_MULTIPLIER, MAX_NAMES, MAX_ROWS, MAX_SPEED, MAX_TOTAL_AGENTS, MIN_SPEED, Agents, Int, Label,
                     Prob, StrictModel as _Model, plain_text, shape_tag, value_or_list_tag, MAX_INTERVALS)
from .shifts import ShiftType, roster_profile


# --------------------------------------------------------------------------- design
class IVR(_Model):
    """The phone menu: callers spend ``levels * seconds_per_level`` before reaching a queue."""

    levels: Int = Field(default=0, ge=0, le=MAX_IVR_LEVELS)
    seconds_per_level: Seconds = 0.0

    @property
    def time(self) -> float:
        return self.levels * self.seconds_per_level


class Callback(_Model):
    """Virtual hold (queued callbacks): a caller reaching the queue from the IVR who cannot be answered at once is
    offered a callback when ``position`` callers already wait or the expected wait reaches ``wait``; one who accepts
    hangs up and keeps the place, and the agent who takes it dials (``dial_time``), retrying ``retries`` times."""

    position: Annotated[int, BeforeValidator(not_a_boolean), Field(ge=0, le=MAX_CALLBACK_POSITION)] | None = None
    wait: Seconds | None = None          # offer when (callers waiting + 1) x handle_time / agents >= wait
    handle_time: Seconds | None = None   # the handle time the expected wait is computed with
    dial_time: Seconds = 0.0             # agent time to dial the caller back (each try)
    retries: Annotated[int, BeforeValidator(not_a_boolean), Field(ge=0, le=MAX_CALLBACK_RETRIES)] = 0
    retry_delay: Seconds = 0.0           # an unanswered callback rejoins the back of the queue this much later

    @model_validator(mode="after")
    def _offer_rule(self):
        if self.position is None and self.wait is None:
            raise ValueError("give position (callers waiting) or wait (expected wait in seconds), or both: when "
                             "a callback is offered")
        if self.wait is not None and self.handle_time is None:
            raise ValueError("wait needs handle_time (seconds per call) to compute the expected wait: add it")
        return self


class Queue(_Model):
    """A FCFS queue; with ``priority_transfers`` transferred and handed-off calls go ahead of fresh ones."""

    priority_transfers: bool = False
    max_wait: Seconds | None = None  # a caller not held by an agent leaves for a message after waiting this long
    message_time: Seconds = 0.0      # then spends this long recording it (or hearing an announcement), line held
    groups: list[Label] | None = Field(default=None, max_length=MAX_NAMES,
                                       description="the groups tried first for a caller joining the queue, in order")
    callback: Callback | None = None  # virtual hold: callers from the IVR may be offered a callback


class AfterService(_Model):
    """A row of a post-service routing table: with probability ``p`` the caller then needs ``skill`` too."""

    p: Prob
    skill: Label


class Group(_Model):
    """Agents who share skills, queues and a staffing schedule."""

    skills: Annotated[Annotated[dict[Label, Annotated[Float, Field(ge=MIN_SPEED, le=MAX_SPEED)]],
                                Field(max_length=MAX_NAMES), Tag(":table")]
                      | Annotated[list[Label], Field(max_length=MAX_NAMES), Tag(":list")], Discriminator(shape_tag)] = Field(
        description="skills served, optionally with a speed factor (talk time is divided by it)")
    queues: list[Label] = Field(min_length=1, max_length=MAX_NAMES,
                                description="queues the agents take calls from, in preference order")
    # whole numbers (3.0 is read as 3, 3.5 is an error), each at most MAX_AGENTS
    staffing: Annotated[Annotated[Agents, Tag(":value")] | Annotated[list[Agents], Field(max_length=MAX_INTERVALS), Tag(":list")],
                        Discriminator(value_or_list_tag)] | None = Field(
        default=None, description="agents on the phones, constant or one value per interval (or give a roster)")
    roster: dict[Label, Agents] | None = Field(
        default=None, max_length=MAX_NAMES, description="agents on each shift type of design.shift_types (instead of staffing)")
    absenteeism: Prob = Field(default=0.0, description="probability each rostered agent is absent on a given day")
    cost_per_hour: Float = Field(default=0.0, ge=0.0, le=MAX_COST_PER_HOUR)
    #: (agents, interval ranges) per shift type of the roster, set by the cross-field checks (they know the interval)
    _cover: list | None = PrivateAttr(default=None)
    overflow_after: dict[Label, Seconds] = Field(
        default={}, max_length=MAX_NAMES,
        description="queues of the list this group takes callers from only once they have waited this long there")
    after_service: list[AfterService] = Field(
        default=[], max_length=MAX_ROWS,
        description="post-service routing: when this group has served a caller's needs, rows {p, skill} add one more")
    queue_choice: Literal["priority", "longest_waiting"] = Field(
        default="priority", description="a freed agent takes the first non-empty queue, or the longest-waiting head")

    @field_validator("staffing")
    @classmethod
    def _staffing(cls, v):
        st = [v] if isinstance(v, int) else v
        if st is not None and not st:
            raise ValueError("give a number of agents or one value per interval")
        return v

    @model_validator(mode="after")
    def _staffing_or_roster(self):
        if (self.staffing is None) == (self.roster is None):
            raise ValueError("give either staffing (agents per interval) or roster (agents per shift type), not "
                             + ("both" if self.roster is not None else "neither"))
        if self.absenteeism and self.roster is None:
            raise ValueError("absenteeism applies to rostered agents: give a roster, or remove absenteeism")
        return self

    def speed(self) -> dict[str, float]:
        """Skill -> speed factor (talk time is divided by it)."""
        return dict(self.skills) if isinstance(self.skills, dict) else {s: 1.0 for s in self.skills}

    def staffing_profile(self, n_intervals: int, scale: float = 1.0) -> list[int]:
        """Agents per interval, for exactly ``n_intervals`` intervals, times ``scale`` rounded to whole agents
        (a roster: the agents scheduled on its shifts, before absence)."""
        if self.roster is not None:
            if self._cover is None:
                raise ScenarioError("design.groups", "a rostered group's staffing needs the scenario's interval",
                                    "validate the scenario with scenario_from_dict")
            return roster_profile(self._cover, n_intervals, scale)
        st = [self.staffing] * n_intervals if isinstance(self.staffing, int) else list(self.staffing[:n_intervals])
        return st if scale == 1.0 else [int(round(x * scale)) for x in st]


class Route(_Model):
    """Where callers needing one skill go: the queue the IVR option leads to, and how agents transfer to it."""

    queue: Label
    transfer_queue: Label | None = None  # default: queue
    mode: Literal["cold", "warm", "consult", "conference"] | None = None  # default: design.transfer_mode
    wait: bool = True  # False: a caller transferred (cold) for this skill who finds no idle agent is disconnected

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, v):
        return {"queue": v} if isinstance(v, str) else v


class Deflection(_Model):
    """Proactive notification: a share of callers who would call in the window do not."""

    start: Seconds
    end: Seconds
    share: Prob


class Survey(_Model):
    """A post-call survey that costs the caller time, not the agent."""

    take_rate: Prob = 1.0
    seconds: Seconds = 60.0


class Dialer(_Model):
    """A blended outbound dialer (docs/model.md §3, "Outbound dialer"): each time an agent of ``free_groups`` finishes
    a contact (and once at ``start``), while at least ``min_free`` of them and ``min_free_target`` of ``groups`` are
    idle, it dials round(per_free_agent x idle agents of ``groups``) + extra numbers of ``call_type``."""

    call_type: Label
    groups: list[Label] = Field(min_length=1, max_length=MAX_NAMES, description="the agents outbound calls are for")
    free_groups: list[Label] | None = Field(default=None, max_length=MAX_NAMES,
                                            description="whose idle agents count for min_free (default: every group)")
    min_free: Annotated[int, BeforeValidator(not_a_boolean), Field(ge=0, le=MAX_TOTAL_AGENTS)] = 1
    min_free_target: Annotated[int, BeforeValidator(not_a_boolean), Field(ge=1, le=MAX_TOTAL_AGENTS)] = 1
    per_free_agent: Float = Field(default=1.0, ge=0.0, le=100.0)
    extra: Annotated[int, BeforeValidator(not_a_boolean), Field(ge=-MAX_TOTAL_AGENTS, le=MAX_TOTAL_AGENTS)] = 0
    start: Seconds = 0.0
    end: Seconds | None = None  # default: the horizon
    max_waiting: Annotated[int, BeforeValidator(not_a_boolean), Field(ge=1, le=MAX_TOTAL_AGENTS)] = Field(
        default=100, description="no dialling while this many callers wait in the queues reached customers join")


class Design(_Model):
    """How the center meets demand: IVR, queues, agent groups, routing and transfer rules."""

    name: Annotated[str, AfterValidator(plain_text)] = Field(default="", max_length=MAX_DESIGN_NAME)
    ivr: IVR = IVR()
    queues: dict[Label, Queue] = Field(min_length=1, max_length=MAX_NAMES)
    groups: dict[Label, Group] = Field(min_length=1, max_length=MAX_NAMES)
    routes: dict[Label, Route] = Field(min_length=1, max_length=MAX_NAMES)
    transfer_mode: Literal["cold", "warm"] = "cold"
    transfer_time: Seconds = Field(default=30.0, description="agent and caller time to cold-transfer")
    reexplain_time: Seconds = Field(default=45.0, description="caller retells the story after a cold transfer")
    handoff_time: Seconds = Field(default=30.0, description="both agents on the line in a warm handoff")
    resolution_factor: Float = Field(default=1.0, ge=0.0, le=MAX_MULTIPLIER,
                                     description="multiplies each call type's resolution_prob")
    cold_transfer_resolution_factor: Prob = 1.0
    survey: Survey | None = None
    deflections: list[Deflection] = Field(default=[], max_length=MAX_ROWS)
    at_closing: Literal["serve", "disconnect"] = Field(
        default="serve", description="callers still waiting in a queue at the horizon are served, or disconnected")
    call_type_lines: dict[Label, Annotated[int, BeforeValidator(not_a_boolean), Field(ge=1, le=MAX_TOTAL_AGENTS)]] = Field(
        default={}, max_length=MAX_NAMES,
        description="lines of a call type's own number: its contacts hold these, not the shared trunk_lines")
    when_unstaffed: Literal["wait", "disconnect"] = Field(
        default="wait", description="callers waiting in a queue whose last scheduled agent leaves wait, or are disconnected")
    trunk_lines: Annotated[int, BeforeValidator(not_a_boolean)] | None = Field(
        default=None, ge=1, le=MAX_TOTAL_AGENTS,
        description="telephone lines: a contact finding them all busy is blocked; a line is held from arrival to leaving")
    call_type_priority: dict[Label, Annotated[int, BeforeValidator(not_a_boolean), Field(ge=1, le=MAX_NAMES)]] = Field(
        default={}, max_length=MAX_NAMES,
        description="priority level of call types in every queue: 1 first; call types not listed come last")
    agent_selection: Literal["preference", "longest_idle", "random"] = Field(
        default="preference", description="which idle agent answers a caller joining a queue")
    staffing_scale: Float = Field(default=1.0, ge=0.0, le=MAX_MULTIPLIER,
                                  description="multiplies every group's staffing (rounded)")
    dialer: Dialer | None = None
    shift_types: dict[Label, ShiftType] = Field(
        default={}, max_length=MAX_NAMES, description="shifts agents work every day: start, length, breaks (rosters)")

    def route(self, skill: str) -> tuple[str, str, str]:
        """(entry queue, transfer queue, mode) for callers needing ``skill``."""
        r = self.routes[skill]
        return r.queue, r.transfer_queue or r.queue, r.mode or self.transfer_mode
