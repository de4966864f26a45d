"""The raw output every engine returns: per-contact and per-leg columns and agent time by interval.

Engines fill plain arrays (numba-friendly); :mod:`ccsim.results` turns them into DataFrames and KPIs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .compiled import Compiled

OUTCOMES = ("answered", "abandoned", "in_system", "blocked", "disconnected", "message", "unreached")
ANSWERED, ABANDONED, IN_SYSTEM, BLOCKED, DISCONNECTED, MESSAGE, UNREACHED = 0, 1, 2, 3, 4, 5, 6
#: the contact column ``callback`` (virtual hold): not offered, offered and declined, accepted
CB_NONE, CB_DECLINED, CB_ACCEPTED = 0, 1, 2
LEG_KINDS = ("fresh", "transfer", "handoff")
FRESH, TRANSFER, HANDOFF = 0, 1, 2

#: column -> dtype of the per-contact records (one row per contact)
CONTACT_COLUMNS: dict[str, str] = {
    "caller": "int64", "attempt": "int32", "call_type": "int32",
    "arrival": "float64", "queue_arrival": "float64", "first_queue": "int32",
    "answered_at": "float64", "first_group": "int32",
    "wait": "float64", "hold": "float64", "talk_time": "float64", "agent_time": "float64",
    "transfers": "int32", "handoffs": "int32", "reexplanations": "int32", "n_legs": "int32",
    "outcome": "int8", "last_queue": "int32", "last_group": "int32", "resolved": "bool",
    "survey": "float64", "end": "float64",
    # virtual hold: CB_NONE/CB_DECLINED/CB_ACCEPTED; accepting to the connection (NaN: never connected); dialling
    "callback": "int8", "callback_wait": "float64", "dial_time": "float64",
}
#: column -> dtype of the per-leg records (one row per queue leg of a contact)
LEG_COLUMNS: dict[str, str] = {
    "contact": "int64", "leg": "int32", "queue": "int32", "kind": "int8",
    "enter": "float64", "wait": "float64", "group": "int32", "agent": "int32",
    "agent_end": "float64", "outcome": "int8", "talk": "float64",
}


#: the window sums the kernel accumulates (the first of ccsim.kpis.SUMS; the rest are agent time)
CONTACT_SUMS = ("offered", "answered", "abandoned", "in_system", "within_sl", "first_wait_sum", "wait_sum",
                "waited", "transfers", "handoffs", "reexplanations", "first_contacts", "first_resolved",
                "ended", "time_in_system_sum", "handled", "agent_time_sum", "abandoned_after_answer",
                "first_handled", "first_abandoned", "answered_ended", "tis_answered_sum", "abandoned_ended",
                "tis_abandoned_sum", "within_sl_caller", "wait_answered_sum", "blocked", "disconnected", "messages",
                "vhold_offered", "vhold_accepted", "vhold_completed", "vhold_wait_sum", "unreached", "vhold_dial_sum",
                "dialled")
#: sums by interval of arrival (every contact), and by queue (every leg of a contact in the window)
INTERVAL_SUMS = ("offered", "answered", "abandoned", "within_sl", "first_wait_sum", "wait_sum")
QUEUE_SUMS = ("offered", "answered", "abandoned", "within_sl", "first_wait_sum", "wait_sum", "transferred_in",
              "handed_off_in")
#: waiting-time grid (seconds) of the wait CDF
WAIT_GRID = (0, 10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800)
#: how a journey ends after its last agent (flow_end's last axis)
ENDINGS = ("resolved", "unresolved", "still talking")


@dataclass
class Tallies:
    """Everything the KPI tables of one replication are made of, without records: made in the records-free
    kernel as contacts end, or from records by ccsim.metrics.tallies (tested equal). Window = contacts
    arriving in [warmup, horizon)."""

    window: np.ndarray        # (len(CONTACT_SUMS),) window sums
    by_type: np.ndarray       # (C, len(CONTACT_SUMS)) window sums by call type (service level at its threshold)
    by_interval: np.ndarray   # (n_intervals, len(INTERVAL_SUMS)) by interval of arrival, every contact
    by_queue: np.ndarray      # (Q, len(QUEUE_SUMS)) legs of window contacts by queue
    by_group: np.ndarray      # (G,) legs of window contacts answered by each group
    wait_hist: np.ndarray     # (len(WAIT_GRID) + 1,) window contacts by the first grid point their wait is within
    flow_in: np.ndarray       # (L, G + 1, Q) leg l entered queue q from the IVR (0) or after group g (g + 1)
    flow_out: np.ndarray      # (L, Q, G + 5) leg l left queue q to group g, abandoned (G), still waiting (G + 1),
    #                           disconnected at closing (G + 2), left a message (G + 3), a callback unreached (G + 4)
    flow_end: np.ndarray      # (L, G, len(ENDINGS)) the contact ended after group g's agent on leg l
    busy: np.ndarray          # as RunOutput
    staffed: np.ndarray
    busy_window: np.ndarray
    staffed_window: np.ndarray


def agent_sums(busy_window: np.ndarray, staffed_window: np.ndarray, comp: Compiled) -> dict[str, float]:
    """The agent-side window sums of :data:`ccsim.kpis.SUMS`: busy and present agent-seconds, and their cost."""
    return {"busy": float(busy_window.sum()), "staffed": float(staffed_window.sum()),
            "cost": float((staffed_window / 3600.0 * comp.cost_per_hour).sum())}


@dataclass
class RunOutput:
    """One replication's raw output."""

    contacts: dict[str, np.ndarray]
    legs: dict[str, np.ndarray]
    busy: np.ndarray            # (G, n_intervals + 1) agent-seconds busy; last bin = after the horizon
    staffed: np.ndarray         # (G, n_intervals + 1) agent-seconds present
    busy_window: np.ndarray     # (G,) busy agent-seconds in [warmup, horizon)
    staffed_window: np.ndarray  # (G,) present agent-seconds in [warmup, horizon)
    dials: np.ndarray | None = None  # (C,) numbers the outbound dialer dialled in [warmup, horizon), by call type


class AgentClock:
    """Accumulates agent-seconds into interval bins and the KPI window, exactly (splitting at boundaries)."""

    def __init__(self, comp: Compiled):
        G = len(comp.groups)
        self.comp = comp
        self.busy = np.zeros((G, comp.n_intervals + 1))
        self.staffed = np.zeros((G, comp.n_intervals + 1))
        self.busy_window = np.zeros(G)
        self.staffed_window = np.zeros(G)

    def _add(self, bins: np.ndarray, window: np.ndarray, g: int, start: float, end: float, n: float) -> None:
        if end <= start or n == 0:
            return
        c = self.comp
        lo, hi = max(start, c.warmup), min(end, c.horizon)
        if hi > lo:
            window[g] += n * (hi - lo)
        t = start
        while t < end:
            i = int(t // c.interval)
            if i >= c.n_intervals or t >= c.horizon:
                bins[g, c.n_intervals] += n * (end - t)
                return
            stop = min(end, (i + 1) * c.interval, c.horizon)
            if stop <= t:  # floating point at a boundary
                stop = min(end, np.nextafter((i + 1) * c.interval, np.inf))
            bins[g, i] += n * (stop - t)
            t = stop

    def add_busy(self, g: int, start: float, end: float) -> None:
        self._add(self.busy, self.busy_window, g, start, end, 1.0)

    def add_staffed(self, g: int, start: float, end: float, agents: int) -> None:
        self._add(self.staffed, self.staffed_window, g, start, end, float(agents))
