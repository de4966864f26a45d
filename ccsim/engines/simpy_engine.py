"""The SimPy reference engine: the model of docs/model.md written as the domain reads.

Callers are SimPy processes (IVR, queue, agent, transfer or handoff, survey); agents and queues belong to
a :class:`Center` that dispatches calls the instant an agent or a call becomes available. Every random
quantity is a :class:`~ccsim.demand.Caller`'s, drawn on demand from the caller's key by the same compiled
functions the numba kernel calls (:mod:`ccsim.variates`).
Simultaneous events follow the documented order (staffing, departures, abandonments, arrivals, then
the order they were scheduled): each timed step is scheduled with its priority class.
"""
from __future__ import annotations

import bisect
import heapq
import math
from collections import deque
from collections.abc import Callable

import numpy as np
import simpy
from simpy.events import Event

from .. import variates as rv
from ..demand import Caller, check_replication_size
from .compiled import P_ABANDON, P_ARRIVE, P_DEPART, P_STAFF, SELECT_LONGEST_IDLE, SELECT_PREFERENCE, Compiled
from .output import (ABANDONED, ANSWERED, BLOCKED, CONTACT_COLUMNS, DISCONNECTED, MESSAGE, FRESH, HANDOFF, IN_SYSTEM, LEG_COLUMNS, TRANSFER,
                     AgentClock, RunOutput)

_PRIORITY_BASE = 10  # our classes come after SimPy's own URGENT/NORMAL bookkeeping at the same instant
# a leg record is a list in LEG_COLUMNS order; the positions this engine writes to, by name
(LEG_CONTACT, LEG_KIND, LEG_ENTER, LEG_WAIT, LEG_GROUP, LEG_AGENT, LEG_AGENT_END, LEG_OUTCOME, LEG_TALK) = (
    list(LEG_COLUMNS).index(c) for c in ("contact", "kind", "enter", "wait", "group", "agent", "agent_end", "outcome",
                                         "talk"))
#: a leg record as it opens (who and where are filled in): not waited yet, nobody answered, still in the system
_LEG_OPEN = [{"wait": math.nan, "group": -1, "agent": -1, "agent_end": math.nan, "outcome": IN_SYSTEM,
              "talk": 0.0}.get(c, 0) for c in LEG_COLUMNS]
LEG_LEG, LEG_QUEUE = (list(LEG_COLUMNS).index(c) for c in ("leg", "queue"))


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


class Contact:
    """One contact (call attempt) of a caller and its record as it happens."""

    __slots__ = ("row", *CONTACT_COLUMNS)  # the record's columns, as declared once in output.py

    def __init__(self, row: int, caller: int, attempt: int, call_type: int, arrival: float):
        self.row, self.caller, self.attempt, self.call_type, self.arrival = row, caller, attempt, call_type, arrival
        self.queue_arrival = self.answered_at = self.end = math.nan
        self.first_queue = self.first_group = self.last_queue = self.last_group = -1
        self.wait = self.hold = self.talk_time = self.agent_time = self.survey = 0.0
        self.transfers = self.handoffs = self.reexplanations = self.n_legs = 0
        self.outcome, self.resolved = IN_SYSTEM, False


class Ticket:
    """A contact waiting in a queue (or on hold with an agent, for a warm handoff)."""

    __slots__ = ("contact", "queue", "kind", "enter", "agent", "done", "key", "leg", "disconnected", "message")

    def __init__(self, env, contact: Contact, queue: int, kind: int, key: tuple[int, int], leg: int):
        self.contact, self.queue, self.kind, self.key, self.leg = contact, queue, kind, key, leg
        self.enter = env.now
        self.agent: Agent | None = None   # who answered; None while waiting, and after abandoning
        self.done = env.event()           # succeeds when answered or when the caller hangs up
        self.disconnected = False         # the center closed while the caller waited
        self.message = False              # the queue's max_wait came first: the caller leaves a message


class Group:
    """Agents of one group at run time: who is idle (longest idle first), who is on site, who is leaving."""

    def __init__(self, index: int, max_agents: int):
        self.index = index
        self.idle: deque[Agent] = deque()
        self.present = 0           # agents on site (idle or busy)
        self.leaving = 0           # busy agents who leave when their current contact ends
        self.free_ids = list(range(max_agents))
        self.since = 0.0           # last change of `present`

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

    def disconnect_waiting(self, queues: range | list[int] | None = None) -> None:
        """The center closes (or these queues lost their last agent): every caller waiting in a queue, but those held
        by an agent (warm handoff), hangs up, queue by queue in queue order (priority class, then FCFS)."""
        for q in range(len(self.queues)) if queues is None else queues:
            waiting = self.queues[q]
            keep = []
            for key, t in waiting:
                if t.kind == HANDOFF:
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

    def _connect(self, t: Ticket, agent: Agent) -> None:
        agent.busy_since = self.env.now
        self.busy[agent.group, agent.id] = agent
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
        grp = self.groups[agent.group]
        if grp.leaving > 0:  # a shift ended while this agent was busy: they go home now
            grp.leaving -= 1
            self._leave(grp, agent)
            if self.comp.disconnect_unstaffed and grp.scheduled == 0:
                self.disconnect_waiting(self.unstaffed(agent.group))
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

    # -- staffing
    def _staffed_mark(self, grp: Group) -> None:
        self.clock.add_staffed(grp.index, grp.since, self.env.now, grp.present)
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


class SimpyModel:
    """One replication: the center, its staffing, and a process per caller contact."""

    def __init__(self, comp: Compiled, seed: int, rep: int):
        self.comp, self.dem = comp, comp.demand
        self.stream = int(rv.stream_key(seed, rep))
        self.busy = self.dem.busyness(self.stream)
        check_replication_size(self.dem, self.busy, seed, rep)
        self.env = simpy.Environment()
        self.clock = AgentClock(comp)
        self.contacts: list[Contact] = []
        self.legs: list[list] = []
        self.center = Center(self.env, comp, self.clock)
        self.lines = 0  # telephone lines in use (callers from arrival to leaving)
        self.closed = False  # with at_closing = "disconnect": the horizon has passed

    # ---------------------------------------------------------------- processes
    def staffing(self):
        c = self.comp
        for i in range(c.n_intervals):
            t = i * c.interval
            if t >= c.horizon:
                break
            yield Step(self.env, t - self.env.now, P_STAFF)
            before = [self.center.groups[g].scheduled for g in range(len(c.groups))]
            for g in range(len(c.groups)):
                self.center.set_staffing(g, int(c.staffing[g, i]))
            for g in range(len(c.groups)):              # the last scheduled agent of a group left: its queues
                if c.disconnect_unstaffed and before[g] > 0 and self.center.groups[g].scheduled == 0:
                    self.center.disconnect_waiting(self.center.unstaffed(g))

    def arrivals(self):
        """First contacts, generated one at a time in arrival order (the next caller of every call type is
        pending; the earliest comes first); callers deflected by a proactive notification never call."""
        dem, c = self.dem, self.comp
        C = len(c.call_types)
        pending = (np.empty(C), np.empty(C, np.int64), np.empty(C, np.int64))  # time, segment, number
        segs = (self.stream, self.busy, dem.seg_end, dem.seg_rate, dem.seg_day, dem.ct_seg)
        rv.arrivals_start(*segs, *pending)
        caller_id = 0
        while True:
            t, ct, seq = rv.arrivals_pop(*segs, *pending)
            if ct < 0:
                return
            caller = Caller(dem, self.stream, caller_id, int(ct), int(seq))
            caller_id += 1
            if caller.deflected(c.deflect_share(t)):
                continue
            yield Step(self.env, t - self.env.now, P_ARRIVE)
            self.env.process(self.contact(caller, 0))

    def closing(self):
        """At the horizon the center closes (at_closing = "disconnect"): nobody waits any more."""
        yield Step(self.env, self.comp.horizon - self.env.now, P_ARRIVE)
        self.closed = True
        self.center.disconnect_waiting()

    def _time_overflow(self, caller: Caller, k: int, t: Ticket, j: int) -> None:
        """Time the j-th overflow delay of the caller's queue (after the previous one, or after joining)."""
        delays = self.comp.queue_delays[t.queue]
        if j < len(delays):
            def fire(_e):
                if self.center.overflow(t, j, lambda: caller.uniform(k, rv.ROUTE, t.leg, j + 1)):
                    self._time_overflow(caller, k, t, j + 1)
            Step(self.env, delays[j] - (delays[j - 1] if j else 0.0), P_ABANDON).callbacks.append(fire)

    def free_line(self) -> None:
        self.lines -= 1

    def redial_maybe(self, caller: Caller, k: int) -> None:
        """A caller who hung up or got a busy signal redials with the call type's redial probability."""
        c = self.comp
        if k + 1 < c.ct_max_attempts[caller.call_type] and caller.u(k, rv.RETRY) < c.ct_redial[caller.call_type]:
            self.retry(caller, k + 1, caller.redial_delay(k))

    def retry(self, caller: Caller, attempt: int, delay: float) -> None:
        """A redial or a callback: the same caller comes back as a new contact, if before the horizon."""
        if self.env.now + delay < self.comp.horizon:
            Step(self.env, delay, P_ARRIVE).callbacks.append(
                lambda _e: self.env.process(self.contact(caller, attempt)))

    def contact(self, caller: Caller, k: int):
        """One contact: IVR, then queue legs until every need is served or the caller hangs up."""
        env, c, center = self.env, self.comp, self.center
        rec = Contact(len(self.contacts), caller.id, k, caller.call_type, env.now)
        self.contacts.append(rec)
        if c.trunk_lines and self.lines >= c.trunk_lines:          # every line busy: a busy signal
            rec.outcome, rec.end = BLOCKED, env.now
            self.redial_maybe(caller, k)
            return
        self.lines += 1
        needs, n_needs = caller.needs, len(caller.needs)
        per = self.dem.period_of(rec.arrival)                      # laws by period: the arrival's interval

        yield Step(env, c.ivr_time, P_ARRIVE)                      # the phone menu
        rec.queue_arrival = env.now
        queue = int(c.route_entry[caller.option(k)])
        need, leg, kind = 0, 0, FRESH
        holder: Agent | None = None                                # agent holding the caller (warm)
        holder_acw = 0.0
        while True:
            ticket = center.enqueue(rec, queue, kind, leg, may_wait=not (self.closed and holder is None),
                                    route_u=lambda: caller.uniform(k, rv.ROUTE, leg, 0))
            leg_row = self._leg_open(rec, ticket)
            if ticket.agent is None:
                if not ticket.disconnected:
                    patience = caller.patience(k, leg, per) if holder is None else math.inf  # held: never hangs up
                    if holder is None and c.queue_max_wait[queue] < patience:   # a message first
                        patience, ticket.message = float(c.queue_max_wait[queue]), True
                    if math.isfinite(patience):
                        Step(env, patience, P_ABANDON).callbacks.append(
                            lambda _e, t=ticket: center.patience_runs_out(t))
                    self._time_overflow(caller, k, ticket, 0)
                    yield ticket.done                              # on hold with an agent: never abandons
                if ticket.agent is None:                           # left unanswered: closed, a message, or hung up
                    outcome = DISCONNECTED if ticket.disconnected else MESSAGE if ticket.message else ABANDONED
                    self._leg_close(rec, leg_row, ticket, outcome, holder is not None)
                    rec.outcome, rec.last_queue, rec.end = outcome, queue, env.now
                    mt = float(c.queue_message_time[queue]) if outcome == MESSAGE else 0.0
                    if mt > 0:                                     # recording the message, the line held
                        rec.end = env.now + mt
                        Step(env, mt, P_DEPART).callbacks.append(lambda _e: self.free_line())
                    else:
                        self.lines -= 1                            # the line is free
                    if outcome == ABANDONED:
                        self.redial_maybe(caller, k)
                    return
            agent = ticket.agent
            self._leg_close(rec, leg_row, ticket, ANSWERED, holder is not None)
            agent.legs.append(self.legs[leg_row])
            if holder is not None:                                 # warm handoff: brief the teammate
                yield Step(env, c.handoff_time, P_DEPART)
                rec.handoffs += 1
                self._release(rec, holder, holder_acw)
                holder = None
            elif kind == TRANSFER:                                 # cold transfer: tell the story again
                yield Step(env, c.reexplain_time, P_DEPART)
                rec.reexplanations += 1
            acw = 0.0
            g = agent.group
            while need < n_needs and c.speed[g, needs[need]] > 0:  # serve every need this agent can
                talk = caller.talk(k, need, per) / c.speed[g, needs[need]]
                yield Step(env, talk, P_DEPART)
                rec.talk_time += talk
                self.legs[leg_row][LEG_TALK] += talk
                acw += caller.acw(k, need, per)
                need += 1
            rec.last_group = g
            if need == n_needs:
                self._release(rec, agent, acw)
                break
            skill = int(needs[need])                               # the next need is not this agent's
            queue = int(c.route_transfer[skill])
            leg += 1
            if c.route_warm[skill]:
                holder, holder_acw, kind = agent, acw, HANDOFF
            else:
                yield Step(env, c.transfer_time, P_DEPART)
                rec.transfers += 1
                self._release(rec, agent, acw)
                kind = TRANSFER

        rec.outcome, rec.last_queue = ANSWERED, queue
        done = env.now
        if caller.u(k, rv.SURVEY) < c.survey_take_rate:
            rec.survey = c.survey_time
        p = min(1.0, c.ct_resolution[rec.call_type] * c.resolution_factor * c.cold_factor ** rec.transfers)
        rec.resolved = bool(caller.u(k, rv.RESOLVE) < p)
        rec.end = done + rec.survey
        if c.trunk_lines:                                          # the line is free after the survey
            if rec.survey > 0:
                Step(env, rec.survey, P_DEPART).callbacks.append(lambda _e: self.free_line())
            else:
                self.free_line()
        if (not rec.resolved and k + 1 < c.ct_max_attempts[rec.call_type]
                and caller.u(k, rv.RETRY) < c.ct_callback[rec.call_type]):
            self.retry(caller, k + 1, rec.survey + caller.callback_delay(k))

    # ---------------------------------------------------------------- bookkeeping
    def _release(self, rec: Contact, agent: Agent, acw: float) -> None:
        rec.agent_time += self.env.now + acw - agent.busy_since
        self.center.release(agent, acw)

    def _leg_open(self, rec: Contact, t: Ticket) -> int:
        if rec.n_legs == 0:
            rec.first_queue = t.queue
        rec.n_legs += 1
        leg = list(_LEG_OPEN)
        leg[LEG_CONTACT], leg[LEG_LEG], leg[LEG_QUEUE], leg[LEG_KIND], leg[LEG_ENTER] = (
            rec.row, t.leg, t.queue, t.kind, t.enter)
        self.legs.append(leg)
        return len(self.legs) - 1

    def _leg_close(self, rec: Contact, row: int, t: Ticket, outcome: int, on_hold: bool) -> None:
        now = self.env.now
        wait = now - t.enter
        leg = self.legs[row]
        leg[LEG_WAIT], leg[LEG_OUTCOME] = wait, outcome
        rec.wait += wait
        if on_hold:
            rec.hold += wait
        if outcome == ANSWERED:
            leg[LEG_GROUP], leg[LEG_AGENT] = t.agent.group, t.agent.id
            if rec.first_group < 0:
                rec.first_group, rec.answered_at = t.agent.group, now

    # ---------------------------------------------------------------- run
    def run(self) -> RunOutput:
        """Simulate until the horizon plus the drain time; what is unfinished then is ``in_system``."""
        env, c = self.env, self.comp
        env.process(self.staffing())
        env.process(self.arrivals())
        if c.disconnect_at_close:
            env.process(self.closing())
        env.run(until=c.end_time)
        for leg in self.legs:  # callers still waiting at the end
            if leg[LEG_OUTCOME] == IN_SYSTEM and math.isnan(leg[LEG_WAIT]):
                leg[LEG_WAIT] = c.end_time - leg[LEG_ENTER]
                self.contacts[leg[LEG_CONTACT]].wait += leg[LEG_WAIT]
                if leg[LEG_KIND] == HANDOFF:  # still on hold with an agent
                    self.contacts[leg[LEG_CONTACT]].hold += leg[LEG_WAIT]
        self.center.close()
        return self._output()

    def _output(self) -> RunOutput:
        contacts = {k: np.array([getattr(r, k) for r in self.contacts], dtype=dt) for k, dt in CONTACT_COLUMNS.items()}
        cols = list(zip(*self.legs)) if self.legs else [()] * len(LEG_COLUMNS)
        legs = {k: np.array(col, dtype=dt) for (k, dt), col in zip(LEG_COLUMNS.items(), cols)}
        ck = self.clock
        return RunOutput(contacts, legs, ck.busy, ck.staffed, ck.busy_window, ck.staffed_window)


def run_simpy(comp: Compiled, seed: int, rep: int = 0) -> RunOutput:
    """Simulate replication ``rep`` of ``seed`` with the SimPy reference engine."""
    return SimpyModel(comp, seed, rep).run()
