"""Shifts and breaks: the shift types of a roster, and what a roster means for the engines.

A group staffed by a roster (``design.groups.<g>.roster = {shift type = agents}``) has the agents of each shift
type present from the shift's start to its end, every day of the run; each shift type's breaks (windows relative
to the shift's start) take agents off the phones for a while (docs/model.md §2, "Shifts and breaks"). Shifts
start and end on interval boundaries, so the agents scheduled per interval follow from the roster; breaks may
start at any second of their window. Each scheduled agent may be absent for the day (``absenteeism``).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, model_validator

from .distributions import Float, Seconds
from .errors import ScenarioError
from .limits import DAY, MAX_COST_PER_HOUR, StrictModel as _Model

#: breaks of one shift type; rows the engines keep for rosters (every shift of every day and each of its breaks)
MAX_BREAKS, MAX_SHIFT_ROWS = 10, 1_000_000


class Break(_Model):
    """A break or lunch: it starts at the first moment in [shift start + earliest, shift start + latest] when an
    agent is free with no caller to take, or after the current call when ``latest`` has passed; it lasts
    ``duration``. ``paid``: counted in the roster's paid hours."""

    earliest: Seconds
    latest: Seconds
    duration: Annotated[float, Field(gt=0)] = Field(le=DAY)
    paid: bool = True

    @model_validator(mode="after")
    def _window(self):
        if self.latest < self.earliest:
            raise ValueError(f"latest ({self.latest:g} s) is before earliest ({self.earliest:g} s): "
                             "give the window's earliest and latest start, in seconds after the shift starts")
        return self


class ShiftType(_Model):
    """A shift agents work every day: its start (seconds from the start of the day), its length, its breaks and
    its pay (``cost_per_hour``; absent: the group's rate)."""

    start: Seconds = Field(lt=DAY)
    length: Annotated[float, Field(gt=0)] = Field(le=DAY)
    breaks: list[Break] = Field(default=[], max_length=MAX_BREAKS)
    cost_per_hour: Float | None = Field(default=None, ge=0.0, le=MAX_COST_PER_HOUR)

    @model_validator(mode="after")
    def _breaks_fit(self):
        for j, b in enumerate(self.breaks):
            if b.latest + b.duration > self.length:
                raise ValueError(f"break {j} may end at {b.latest + b.duration:g} s, after the shift's "
                                 f"{self.length:g} s: give latest + duration <= length")
        return self

    def paid_hours(self) -> float:
        """Hours paid for one agent on this shift: its length less its unpaid breaks."""
        return (self.length - sum(b.duration for b in self.breaks if not b.paid)) / 3600.0


@dataclass(frozen=True)
class Shift:
    """One day's shift of one group: who works it (``agents`` scheduled, before absence), when, its breaks."""

    group: int
    name: str
    day: int
    start: float          # seconds from the start of the run
    end: float            # clipped to the last interval's end
    agents: int
    key: int              # the absence draws' key: a 40-bit hash of (group name, shift type name)
    absenteeism: float
    breaks: tuple[Break, ...]


def shift_key(group: str, shift: str) -> int:
    """A stable 40-bit number naming (group, shift type): the absence draws of its agents are keyed by it, so every
    design with this group and shift type sees the same agents absent (common random numbers)."""
    return int.from_bytes(hashlib.sha256(f"{group}\x00{shift}".encode()).digest()[:5], "little")


def check_shift_types(shift_types: dict[str, ShiftType], interval: float, n_days: int) -> None:
    """Shifts start and end on interval boundaries (and days are whole intervals when the run spans several)."""
    if shift_types and n_days > 1 and abs(DAY / interval - round(DAY / interval)) > 1e-9:
        raise ScenarioError("interval", f"{interval:g} s does not divide a day, which shifts repeat on",
                            "use an interval that divides 86400 s, e.g. 900, 1800 or 3600")
    for name, st in shift_types.items():
        for fld, v in (("start", st.start), ("length", st.length)):
            if abs(v / interval - round(v / interval)) > 1e-9:
                raise ScenarioError(f"design.shift_types.{name}.{fld}", f"{v:g} s is not a whole number of "
                                    f"{interval:g}-s intervals", "start and end shifts on interval boundaries")


def shift_cover(st: ShiftType, interval: float, n_int: int) -> list[tuple[int, int]]:
    """The ranges of intervals [i0, i1) the shift covers, one per day it meets the run's intervals."""
    per_day = round(DAY / interval)
    n_days = max(1, math.ceil(n_int * interval / DAY - 1e-9))
    i0, n = round(st.start / interval), round(st.length / interval)
    out = []
    for d in range(n_days):
        a, b = d * per_day + i0, min(d * per_day + i0 + n, n_int)
        if a < b:
            out.append((a, b))
    return out


def roster_profile(cover: list[tuple[int, list[tuple[int, int]]]], n_int: int, scale: float = 1.0) -> list[int]:
    """Agents scheduled per interval: every shift type's (scaled, rounded) agents over the intervals it covers."""
    out = [0] * n_int
    for agents, ranges in cover:
        n = agents if scale == 1.0 else int(round(agents * scale))
        for a, b in ranges:
            for i in range(a, min(b, n_int)):
                out[i] += n
    return out


def shifts_of(design, interval: float, n_int: int) -> list[Shift]:
    """Every day's shift of every rostered group, in group order, then shift type order (the roster's), then day."""
    out = []
    for gi, (gn, gr) in enumerate(design.groups.items()):
        for sn, agents in (gr.roster or {}).items():
            st = design.shift_types[sn]
            n = agents if design.staffing_scale == 1.0 else int(round(agents * design.staffing_scale))
            for a, b in shift_cover(st, interval, n_int):
                day = int(a * interval // DAY)
                out.append(Shift(gi, sn, day, a * interval, b * interval, n, shift_key(gn, sn), gr.absenteeism,
                                 tuple(st.breaks)))
    return out

