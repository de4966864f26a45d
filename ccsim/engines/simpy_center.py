"""The SimPy reference engine's center: agent groups, queues and the router (who answers a caller joining a
queue, which queue a freed agent serves, overflow after a delay, staffing changes, clearing queues): the
model's dispatch rules (docs/model.md §3, "Dispatch") as plain classes, as ContactCenters keeps its router
apart from the model. :mod:`ccsim.engines.simpy_engine` runs the callers through it.
"""
from __future__ import annotations

import bisect
import heapq
import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import simpy
from simpy.events import Event

from .compiled import P_DEPART, SELECT_LONGEST_IDLE, SELECT_PREFERENCE, Compiled
from .output import FRESH, HANDOFF, LEG_COLUMNS, AgentClock

if TYPE_CHECKING:
    from .simpy_engine import Contact

_PRIORITY_BASE = 10  # our classes come after SimPy's own URGENT/NORMAL bookkeeping at the same instant
LEG_AGENT_END = list(LEG_COLUMNS).index("agent_end")


class Step(Event):
    """A timed step of a given priority class (SimPy's Timeout always has the same priority)."""

    def __init__(self, env: simpy.Environment, delay: float, priority: int):
        super().__init__(env)
        self._ok, self._value = True, None
        env.schedule(self, _PRIORITY_BASE + priority, delay)


class Agent:
    __slots__ = ("group", "id", "busy_since", "legs", "idle_seq")

    def __init__(self, group: int, agent_id: int):
        self.group, self.id = group, agent_id
        self.busy_since = math.nan
        self.idle_seq = -1                # when the agent last became idle, as a count (longest idle = lowest)
        self.legs: list[list] = []  # leg records this agent is serving (agent_end set on release)


class Ticket:
    """A contact waiting in a queue (or on hold with an agent, for a warm handoff)."""

    __slots__ = ("contact", "queue", "kind", "enter", "agent", "done", "key", "leg", "disconnected", "message",
                 "ahead", "virtual")

    def __init__(self, env, contact: Contact, queue: int, kind: int, key: tuple[int, int], leg: int):
        self.contact, self.queue, self.kind, self.key, self.leg = contact, queue, kind, key, leg
        self.enter = env.now
        self.agent: Agent | None = None   # who answered; None while waiting, and after abandoning
        self.done = env.event()           # succeeds when answered or when the caller hangs up
        self.disconnected = False         # the center closed while the caller waited
        self.message = False              # the queue's max_wait came first: the caller leaves a message
        self.ahead = 0                    # callers already waiting in the queue when this one joined
        self.virtual = False              # virtual hold: the caller hung up and waits for a callback


class Group:
    """Agents of one group at run time: who is idle (longest idle first), who is on site, who is leaving."""

    def __init__(self, index: int, max_agents: int):
        self.index = index
        self.idle: deque[Agent] = deque()
        self.present = 0           # agents on site (idle, busy or on a break)
        self.leaving = 0           # busy agents (or on a break) who leave when their current contact (or break) ends
        self.on_break = 0          # agents on a break (present, not on the phones)
        self.open: list[int] = []  # breaks opened that agents of this group still owe, in opening order
        self.free_ids = list(range(max_agents))
        self.since = 0.0           # last change of `present` or `on_break`

    @property
    def scheduled(self) -> int:
        return self.present - self.leaving


class Center:
    """Queues and agent groups; dispatches a call to an agent the instant both are available."""

    def __init__(self, env: simpy.Environment, comp: Compiled, clock: AgentClock):
        self.env, self.comp, self.clock = env, comp, clock
        self.queues: list[list[tuple[tuple[int, int], Ticket]]] = [[] for _ in comp.queues]
        self.groups = [Group(g, int(comp.staffing[g].max()) + 1) for g in range(len(comp.groups))]
        self.busy: dict[tuple[int, int], Agent] = {}
        self.seq = 0
        self.idle_seq = 0  # agents becoming idle, counted
        self.owed = [0] * len(comp.br_group)        # agents still owing each break (set when its window opens)
        self.forced = [False] * len(comp.br_group)  # its latest start has passed: taken after the current call
        self.on_free: Callable[[], None] | None = None  # the outbound dialer: told when a watched agent is freed

    # -- calls
    def enqueue(self, contact: Contact, queue: int, kind: int, leg: int, may_wait: bool = True,
                route_u: Callable[[], float] | None = None) -> Ticket:
        """The caller joins ``queue`` (FCFS within priority class); taken at once if an agent is idle (chosen by the
        design's agent selection; ``route_u`` gives the caller's uniform for a random choice). If nobody is
        idle and the caller may not wait (the center has closed), the ticket is disconnected at once."""
        # the call type's priority rank first, then transferred before fresh (if the queue says so), then FCFS
        cls = 2 * int(self.comp.ct_rank[contact.call_type]) + (0 if (kind != FRESH and self.comp.queue_priority[queue]) else 1)
        self.seq += 1
        t = Ticket(self.env, contact, queue, kind, (cls, self.seq), leg)
        t.ahead = len(self.queues[queue])
        agent = self._select_agent(queue, 0.0, route_u)
        if agent is not None:
            self._connect(t, agent)
            return t
        if not may_wait:
            t.disconnected = True
            return t
        bisect.insort(self.queues[queue], (t.key, t))
        return t

    def _select_agent(self, queue: int, waited: float, route_u: Callable[[], float] | None) -> Agent | None:
        """The idle agent who answers a caller of ``queue`` who has waited ``waited`` (only groups whose overflow
        delay for the queue is at most that take them), if any: the longest idle of the first group with one
        (preference), the longest idle of them all (longest_idle), or one drawn uniformly among them all (random:
        the caller's uniform u picks the int(u·n)-th of the n idle agents, groups in preference order, each longest
        idle first)."""
        c = self.comp
        idle = [self.groups[g].idle for g, after in zip(c.queue_groups[queue], c.queue_groups_after[queue])
                if after <= waited and self.groups[g].idle]
        if not idle:
            return None
        sel = self.comp.agent_selection
        if sel == SELECT_PREFERENCE:
            return idle[0].popleft()
        if sel == SELECT_LONGEST_IDLE:
            return min(idle, key=lambda d: d[0].idle_seq).popleft()
        n = sum(len(d) for d in idle)
        m = min(int(route_u() * n), n - 1)
        for d in idle:
            if m < len(d):
                agent = d[m]
                del d[m]
                return agent
            m -= len(d)
        raise AssertionError("unreachable")

    def disconnect_waiting(self, queues: range | list[int] | None = None, closing: bool = False) -> None:
        """The center closes (or these queues lost their last agent): every caller waiting in a queue, but those held
        by an agent (warm handoff), hangs up, queue by queue in queue order (priority class, then FCFS); virtual-hold
        callbacks (nobody on the line) are dropped at closing only."""
        for q in range(len(self.queues)) if queues is None else queues:
            waiting = self.queues[q]
            keep = []
            for key, t in waiting:
                if t.kind == HANDOFF or (t.virtual and not closing):
                    keep.append((key, t))
                else:
                    t.disconnected = True
                    t.done.succeed()
            self.queues[q] = keep

    def overflow(self, t: Ticket, j: int, route_u: Callable[[], float]) -> bool:
        """The caller has waited the queue's j-th overflow delay: more groups may take them now. Returns whether
        the caller is still waiting (then the next delay, if any, is timed)."""
        if t.done.triggered:                      # answered, hung up or disconnected meanwhile
            return False
        agent = self._select_agent(t.queue, self.comp.queue_delays[t.queue][j], route_u)
        if agent is None:
            return True
        self._unqueue(t)
        self._connect(t, agent)
        return False

    def _unqueue(self, t: Ticket) -> None:
        q = self.queues[t.queue]
        i = bisect.bisect_left(q, (t.key,))
        assert q[i][1] is t
        del q[i]

    def patience_runs_out(self, t: Ticket) -> None:
        """The caller hangs up if still waiting: leave the queue."""
        if t.agent is not None or t.disconnected:
            return
        self._unqueue(t)
        t.done.succeed()

    def offers_callback(self, t: Ticket) -> bool:
        """Virtual hold: whether a caller joining ``t.queue`` who waits is offered a callback: ``position`` callers
        already wait, or the expected wait (ahead + 1) x handle_time / max(1, s) reaches ``wait``, s the agents
        scheduled now in the groups taking the queue without an overflow delay."""
        c, q = self.comp, t.queue
        if not c.queue_cb[q]:
            return False
        if 0 <= c.queue_cb_position[q] <= t.ahead:
            return True
        if math.isfinite(c.queue_cb_wait[q]):
            s = sum(self.groups[g].scheduled for g, after in zip(c.queue_groups[q], c.queue_groups_after[q])
                    if after <= 0.0)
            return (t.ahead + 1) * float(c.queue_cb_handle[q]) / max(1, s) >= c.queue_cb_wait[q]
        return False

    def has_idle(self, queue: int) -> bool:
        """Whether a caller joining ``queue`` now would be answered at once (an idle agent, no overflow delay)."""
        c = self.comp
        return any(self.groups[g].idle for g, after in zip(c.queue_groups[queue], c.queue_groups_after[queue])
                   if after <= 0.0)

    def engage(self, queue: int, route_u: Callable[[], float]) -> Agent | None:
        """An idle agent of the groups taking ``queue`` (picked as for a caller joining it), now busy with a consult,
        or None if nobody is idle."""
        agent = self._select_agent(queue, 0.0, route_u)
        if agent is not None:
            self._engage(agent)
        return agent

    def _engage(self, agent: Agent) -> None:
        """The agent is busy from now."""
        agent.busy_since = self.env.now
        self.busy[agent.group, agent.id] = agent

    def _connect(self, t: Ticket, agent: Agent) -> None:
        self._engage(agent)
        t.agent = agent
        t.done.succeed()

    # -- agents
    def release(self, agent: Agent, acw: float) -> None:
        """The caller leaves this agent, who does ``acw`` seconds of after-call work, then is free."""
        if acw > 0:
            Step(self.env, acw, P_DEPART).callbacks.append(lambda _e: self._free(agent))
        else:
            self._free(agent)

    def _free(self, agent: Agent) -> None:
        now = self.env.now
        self.clock.add_busy(agent.group, agent.busy_since, now)
        for leg in agent.legs:
            leg[LEG_AGENT_END] = now
        agent.legs.clear()
        agent.busy_since = math.nan
        del self.busy[agent.group, agent.id]
        self._available(agent)
        if self.on_free is not None and self.comp.dial_test[agent.group]:
            self.on_free()

    def _available(self, agent: Agent) -> None:
        """An agent free after a call or a break: goes home if their shift ended, takes a break whose latest start
        has passed, else takes a call, else a break whose window is open, else waits idle."""
        grp = self.groups[agent.group]
        if grp.leaving > 0:  # a shift ended while this agent was busy: they go home now
            grp.leaving -= 1
            self._leave(grp, agent)
            if self.comp.disconnect_unstaffed and grp.scheduled == 0:
                self.disconnect_waiting(self.unstaffed(agent.group))
            return
        b = self._owed_break(grp, forced=True)
        if b >= 0:
            self._start_break(agent, b)
            return
        self._next_call(agent)

    def _next_call(self, agent: Agent) -> None:
        """A free agent takes the head of the first non-empty queue in the group's preference order, or (queue
        choice longest_waiting) the head that has waited longest in its queue, the first listed on a tie."""
        c, now = self.comp, self.env.now
        best, best_i, best_t = -1, -1, math.inf
        for q, after in zip(c.group_queues[agent.group], c.group_queues_after[agent.group]):
            i = self._head(q, after, now)
            if i >= 0 and (best < 0 or self.queues[q][i][1].enter < best_t):
                best, best_i, best_t = q, i, self.queues[q][i][1].enter
                if not c.group_longest_waiting[agent.group]:
                    break
        if best >= 0:
            _, t = self.queues[best].pop(best_i)
            self._connect(t, agent)
            return
        b = self._owed_break(self.groups[agent.group], forced=False)
        if b >= 0:  # nobody to take: a break whose window is open
            self._start_break(agent, b)
            return
        agent.idle_seq = self.idle_seq
        self.idle_seq += 1
        self.groups[agent.group].idle.append(agent)

    def _head(self, q: int, after: float, now: float) -> int:
        """Position of the caller a group with this overflow delay takes from queue q: the first of the queue
        (priority class, then FCFS) among the heads of its classes that have waited ``after`` (-1: none)."""
        seen = -1
        for i, (key, t) in enumerate(self.queues[q]):
            if key[0] == seen:
                continue
            if after == 0 or t.enter + after <= now:
                return i
            seen = key[0]
        return -1

    # -- breaks (docs/model.md §2, "Shifts and breaks")
    def open_break(self, b: int, agents: int) -> None:
        """Break b's window opens: ``agents`` of its group owe it; idle ones (the longest idle first) take it now."""
        grp = self.groups[self.comp.br_group[b]]
        self.owed[b] = agents
        grp.open.append(b)
        while self.owed[b] and grp.idle:
            self._start_break(grp.idle.popleft(), b)

    def force_break(self, b: int) -> None:
        """Break b's latest start has passed: agents owing it take it when their current call ends."""
        self.forced[b] = True

    def _owed_break(self, grp: Group, forced: bool) -> int:
        """The break a free agent of the group takes now (-1: none): of the breaks opened and still owed whose shift
        has not ended (with ``forced``: only those past their latest start), the one with the earliest latest start,
        the first opened on a tie."""
        c, now = self.comp, self.env.now
        grp.open = [b for b in grp.open if self.owed[b] > 0 and c.br_end[b] > now]
        best = -1
        for b in grp.open:
            if (self.forced[b] or not forced) and (best < 0 or c.br_latest[b] < c.br_latest[best]):
                best = b
        return best

    def _start_break(self, agent: Agent, b: int) -> None:
        grp = self.groups[agent.group]
        self._staffed_mark(grp)
        grp.on_break += 1
        self.owed[b] -= 1
        Step(self.env, float(self.comp.br_dur[b]), P_DEPART).callbacks.append(lambda _e: self._end_break(agent))

    def _end_break(self, agent: Agent) -> None:
        grp = self.groups[agent.group]
        self._staffed_mark(grp)
        grp.on_break -= 1
        self._available(agent)

    # -- staffing
    def _staffed_mark(self, grp: Group) -> None:
        """Agent time on the phones (present, not on a break) up to now."""
        self.clock.add_staffed(grp.index, grp.since, self.env.now, grp.present - grp.on_break)
        grp.since = self.env.now

    def unstaffed(self, group: int) -> list[int]:
        """The queues, in queue order, taken by ``group`` and left without a scheduled agent in any group."""
        c = self.comp
        return [q for q in sorted(c.group_queues[group]) if all(self.groups[g].scheduled == 0 for g in c.queue_groups[q])]

    def _leave(self, grp: Group, agent: Agent) -> None:
        self._staffed_mark(grp)
        grp.present -= 1
        heapq.heappush(grp.free_ids, agent.id)

    def set_staffing(self, g: int, target: int) -> None:
        """Shift change: new agents start taking calls; idle ones leave now, busy ones when their call ends."""
        grp = self.groups[g]
        have = grp.scheduled
        if target > have:
            back = min(grp.leaving, target - have)  # agents about to leave stay on instead
            grp.leaving -= back
            new = target - have - back
            if new:
                self._staffed_mark(grp)
                grp.present += new
                for _ in range(new):
                    self._next_call(Agent(g, heapq.heappop(grp.free_ids)))
        elif target < have:
            drop = have - target
            while drop and grp.idle:  # the longest idle leave first
                self._leave(grp, grp.idle.popleft())
                drop -= 1
            grp.leaving += drop

    def close(self) -> None:
        """End of run: count the busy and present agent time up to now."""
        for agent in self.busy.values():
            self.clock.add_busy(agent.group, agent.busy_since, self.env.now)
        for grp in self.groups:
            self._staffed_mark(grp)
