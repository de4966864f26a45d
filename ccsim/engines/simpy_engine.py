"""The SimPy reference engine: the model of docs/model.md written as the domain reads.

Callers are SimPy processes (IVR, queue, agent, transfer or handoff, survey); agents and queues belong to
a :class:`~ccsim.engines.simpy_center.Center` (the router) that dispatches calls the instant an agent or a call
becomes available. Every random
quantity is a :class:`~ccsim.demand.Caller`'s, drawn on demand from the caller's key by the same compiled
functions the numba kernel calls (:mod:`ccsim.variates`).
Simultaneous events follow the documented order (staffing, departures, abandonments, arrivals, then
the order they were scheduled): each timed step is scheduled with its priority class.
"""
from __future__ import annotations

import math

import numpy as np
import simpy

from .. import variates as rv
from ..demand import Caller, check_replication_size
from .compiled import CONSULT_SUB, REJOIN_SUB, P_ABANDON, P_ARRIVE, P_DEPART, P_STAFF, DIALLED_ID, Compiled, workforce
from .simpy_center import Agent, Center, Step, Ticket
from .output import (ABANDONED, ANSWERED, BLOCKED, CB_ACCEPTED, CB_DECLINED, CB_NONE, CONTACT_COLUMNS, DISCONNECTED,
                     MESSAGE, FRESH, HANDOFF, IN_SYSTEM, LEG_COLUMNS, TRANSFER, UNREACHED, AgentClock, RunOutput)

# a leg record is a list in LEG_COLUMNS order; the positions this engine writes to, by name
(LEG_CONTACT, LEG_KIND, LEG_ENTER, LEG_WAIT, LEG_GROUP, LEG_AGENT, LEG_AGENT_END, LEG_OUTCOME, LEG_TALK) = (
    list(LEG_COLUMNS).index(c) for c in ("contact", "kind", "enter", "wait", "group", "agent", "agent_end", "outcome",
                                         "talk"))
#: a leg record as it opens (who and where are filled in): not waited yet, nobody answered, still in the system
_LEG_OPEN = [{"wait": math.nan, "group": -1, "agent": -1, "agent_end": math.nan, "outcome": IN_SYSTEM,
              "talk": 0.0}.get(c, 0) for c in LEG_COLUMNS]
LEG_LEG, LEG_QUEUE = (list(LEG_COLUMNS).index(c) for c in ("leg", "queue"))


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
        self.callback, self.callback_wait, self.dial_time = CB_NONE, math.nan, 0.0


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
        self.lines = [0] * len(comp.pool_lines)  # telephone lines in use per pool (callers from arrival to leaving)
        self.closed = False  # with at_closing = "disconnect": the horizon has passed
        self.staff, self.break_agents = workforce(comp, seed, rep)  # the day's agents, absent ones removed
        self.dialled = 0                                  # numbers the dialer has dialled
        self.last_dial = -math.inf                        # when it last dialled: once an instant at most
        self.dials = np.zeros(len(comp.call_types))       # of them, dialled in [warmup, horizon), by call type
        if comp.dial_ct >= 0:
            self.center.on_free = self.dial

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
                self.center.set_staffing(g, int(self.staff[g, i]))
            for g in range(len(c.groups)):              # the last scheduled agent of a group left: its queues
                if c.disconnect_unstaffed and before[g] > 0 and self.center.groups[g].scheduled == 0:
                    self.center.disconnect_waiting(self.center.unstaffed(g))

    def break_clock(self):
        """Break windows open and reach their latest start, in time order (docs/model.md §2)."""
        c = self.comp
        for t, kind, b in zip(c.mk_t, c.mk_kind, c.mk_b):
            yield Step(self.env, float(t) - self.env.now, P_STAFF)
            if kind == 0:
                self.center.open_break(int(b), int(self.break_agents[b]))
            else:
                self.center.force_break(int(b))

    def dialer(self):
        """The outbound dialer starts: it dials once now, then each time an agent it watches is freed."""
        yield Step(self.env, self.comp.dial_start - self.env.now, P_STAFF)
        self.dial()

    def dial(self) -> None:
        """While at least min_free agents of the watched groups and min_free_target of the dialer's groups are idle,
        dial round(per_free_agent x the latter) + extra numbers; each reaches its customer (the right party) with the
        reach probability of the interval, and a reached customer's contact starts now (docs/model.md §3)."""
        c, env = self.comp, self.env
        now = env.now
        if not c.dial_start <= now < c.dial_end or now == self.last_dial:
            return
        if sum(len(self.center.queues[q]) for q in range(len(c.queues)) if c.dial_queues[q]) >= c.dial_max_waiting:
            return                                        # pacing: customers already wait for an agent
        groups = self.center.groups
        free = sum(len(groups[g].idle) for g in range(len(groups)) if c.dial_test[g])
        target = sum(len(groups[g].idle) for g in range(len(groups)) if c.dial_target[g])
        if free < c.dial_min_free or target < c.dial_min_target:
            return
        ct = c.dial_ct
        reach = float(c.ct_reach[ct, min(int(now // c.interval), c.n_intervals - 1)])
        k = math.floor(c.dial_per_free * target + 0.5) + c.dial_extra
        if k > 0:
            self.last_dial = now
        for _ in range(max(0, k)):
            seq = self.dialled
            self.dialled += 1
            if c.warmup <= now < c.horizon:
                self.dials[ct] += 1
            caller = Caller(self.dem, self.stream, DIALLED_ID + seq, ct, seq)
            if rv.uniform(caller.key, 0, rv.REACH, 0, 0) < reach:
                env.process(self.contact(caller, 0))

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
        self.center.disconnect_waiting(closing=True)

    def _time_overflow(self, caller: Caller, k: int, t: Ticket, j: int) -> None:
        """Time the j-th overflow delay of the caller's queue (after the previous one, or after joining)."""
        delays = self.comp.queue_delays[t.queue]
        if j < len(delays):
            def fire(_e):
                if self.center.overflow(t, j, lambda: caller.uniform(k, rv.ROUTE, t.leg, j + 1)):
                    self._time_overflow(caller, k, t, j + 1)
            Step(self.env, delays[j] - (delays[j - 1] if j else 0.0), P_ABANDON).callbacks.append(fire)

    def free_line(self, pool: int) -> None:
        self.lines[pool] -= 1

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
        pool = int(c.ct_pool[caller.call_type])                    # the shared lines, or the call type's own
        if c.pool_lines[pool] and self.lines[pool] >= c.pool_lines[pool]:   # every line busy: a busy signal
            rec.outcome, rec.end = BLOCKED, env.now
            self.redial_maybe(caller, k)
            return
        self.lines[pool] += 1
        needs = list(caller.needs)                                 # post-service routing may add needs
        n_needs, extra = len(needs), 0
        per = self.dem.period_of(rec.arrival)                      # laws by period: the arrival's interval

        yield Step(env, 0.0 if c.ct_outbound[caller.call_type] else c.ivr_time, P_ARRIVE)  # the menu (inbound)
        rec.queue_arrival = env.now
        queue = int(c.route_entry[caller.option(k)])
        need, leg, kind, skill = 0, 0, FRESH, -1
        skipped = False                                            # a consult found nobody free
        holder: Agent | None = None                                # agent holding the caller (warm)
        holder_acw = 0.0
        while True:
            may_wait = not (self.closed and holder is None) and not (kind == TRANSFER and c.route_nowait[skill])
            ticket = center.enqueue(rec, queue, kind, leg, may_wait=may_wait,
                                    route_u=lambda: caller.uniform(k, rv.ROUTE, leg, 0))
            leg_row = self._leg_open(rec, ticket)
            if ticket.agent is None:
                if not ticket.disconnected:
                    if not (kind == FRESH and not c.ct_outbound[caller.call_type]
                            and self._virtual_hold(caller, k, rec, ticket, pool)):  # an offer to inbound callers
                        patience = caller.patience(k, leg, per) if holder is None else math.inf  # held: never hangs up
                        if holder is None and c.queue_max_wait[queue] < patience:   # a message first
                            patience, ticket.message = float(c.queue_max_wait[queue]), True
                        if math.isfinite(patience):
                            Step(env, patience, P_ABANDON).callbacks.append(
                                lambda _e, t=ticket: center.patience_runs_out(t))
                    self._time_overflow(caller, k, ticket, 0)
                    yield ticket.done                              # on hold with an agent: never abandons
                if ticket.agent is None and ticket.virtual:        # a callback still queued at closing
                    self._unreached(rec, leg_row, ticket)
                    return
                if ticket.agent is None:                           # left unanswered: closed, a message, or hung up
                    outcome = DISCONNECTED if ticket.disconnected else MESSAGE if ticket.message else ABANDONED
                    self._leg_close(rec, leg_row, ticket, outcome, holder is not None)
                    rec.outcome, rec.last_queue, rec.end = outcome, queue, env.now
                    mt = float(c.queue_message_time[queue]) if outcome == MESSAGE else 0.0
                    if mt > 0:                                     # recording the message, the line held
                        rec.end = env.now + mt
                        Step(env, mt, P_DEPART).callbacks.append(lambda _e: self.free_line(pool))
                    else:
                        self.lines[pool] -= 1                      # the line is free
                    if outcome == ABANDONED:
                        self.redial_maybe(caller, k)
                    return
            tries = 0
            while ticket.virtual:                                  # virtual hold: the agent dials the caller back
                yield Step(env, float(c.queue_cb_dial[queue]), P_DEPART)
                rec.dial_time += float(c.queue_cb_dial[queue])
                if caller.uniform(k, rv.VHOLD, leg, 1 + tries) < c.ct_cb_answer[caller.call_type]:
                    ticket.virtual = False                         # the caller answers: connected
                    rec.callback_wait = env.now - self.legs[leg_row][LEG_ENTER]
                    break
                self._release(rec, ticket.agent, 0.0)              # no answer: the agent is free, no ACW
                if tries >= c.queue_cb_retries[queue]:
                    self._unreached(rec, leg_row, ticket)
                    return
                tries += 1
                yield Step(env, float(c.queue_cb_retry_delay[queue]), P_ARRIVE)   # rejoins the back of the queue
                ticket = center.enqueue(rec, queue, FRESH, leg, may_wait=not self.closed,
                                        route_u=lambda: caller.uniform(k, rv.ROUTE, leg, REJOIN_SUB + tries))
                ticket.virtual = True
                if ticket.agent is None and not ticket.disconnected:
                    self._time_overflow(caller, k, ticket, 0)
                    yield ticket.done
                if ticket.agent is None:                           # the center has closed: nobody calls back
                    self._unreached(rec, leg_row, ticket)
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
            while True:
                while need < n_needs:
                    if c.speed[g, needs[need]] > 0:                # serve every need this agent can
                        talk = caller.talk(k, need, per, needs[need]) / c.speed[g, needs[need]]
                        yield Step(env, talk, P_DEPART)
                        rec.talk_time += talk
                        self.legs[leg_row][LEG_TALK] += talk
                        acw += caller.acw(k, need, per, needs[need])
                        need += 1
                        continue
                    skill = int(needs[need])
                    if not c.route_consult[skill]:
                        break
                    # consult: an idle agent of the route's groups serves this need with both on the line
                    expert = center.engage(int(c.route_transfer[skill]),
                                           lambda: caller.uniform(k, rv.ROUTE, leg, CONSULT_SUB + need))
                    if expert is None:                             # nobody free: skipped, the need is left
                        skipped = True
                        break
                    talk = caller.talk(k, need, per, needs[need]) / c.speed[expert.group, skill]
                    yield Step(env, talk, P_DEPART)
                    rec.talk_time += talk
                    self.legs[leg_row][LEG_TALK] += talk
                    self._release(rec, expert, caller.acw(k, need, per, needs[need]))   # the expert's ACW of that need
                    need += 1
                if need == n_needs and extra < c.max_after:        # the group's post-service routing table
                    more = self._after_service(caller, k, g, extra)
                    if more >= 0:
                        needs.append(more)
                        n_needs += 1
                        extra += 1
                        continue
                break
            rec.last_group = g
            if need == n_needs or skipped:
                self._release(rec, agent, acw)
                break
            skill = int(needs[need])                               # the next need is not this agent's
            queue = int(c.route_transfer[skill])
            leg += 1
            if c.route_warm[skill] or (c.route_conference[skill] and center.has_idle(queue)):  # conference: warm
                holder, holder_acw, kind = agent, acw, HANDOFF                                     # if one is free
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
        rec.resolved = bool(caller.u(k, rv.RESOLVE) < p) and not skipped   # a need left unserved: unresolved
        rec.end = done + rec.survey
        if c.pool_lines[pool] and rec.callback != CB_ACCEPTED:     # the line is free after the survey
            if rec.survey > 0:
                Step(env, rec.survey, P_DEPART).callbacks.append(lambda _e: self.free_line(pool))
            else:
                self.free_line(pool)
        if (not rec.resolved and k + 1 < c.ct_max_attempts[rec.call_type]
                and caller.u(k, rv.RETRY) < c.ct_callback[rec.call_type]):
            self.retry(caller, k + 1, rec.survey + caller.callback_delay(k))

    # ---------------------------------------------------------------- bookkeeping
    def _virtual_hold(self, caller: Caller, k: int, rec: Contact, t: Ticket, pool: int) -> bool:
        """A fresh caller who waits may be offered a callback (not one who balks); one who accepts hangs up at once,
        freeing the line, and keeps the place: the ticket stays queued, virtual, with no patience."""
        c = self.comp
        kp = 0 if self.dem.same_patience[caller.call_type] else k
        if rv.balks(caller.key, kp, t.leg, self.dem.balk[caller.call_type]) or not self.center.offers_callback(t):
            return False
        rec.callback = CB_DECLINED
        if caller.uniform(k, rv.VHOLD, t.leg, 0) >= c.ct_cb_accept[caller.call_type]:
            return False
        rec.callback, t.virtual = CB_ACCEPTED, True
        self.lines[pool] -= 1
        return True

    def _unreached(self, rec: Contact, leg_row: int, t: Ticket) -> None:
        """The callback never reached the caller: the leg and the contact end (no line is held)."""
        self._leg_close(rec, leg_row, t, UNREACHED, False)
        rec.outcome, rec.last_queue, rec.end = UNREACHED, t.queue, self.env.now

    def _after_service(self, caller: Caller, k: int, g: int, extra: int) -> int:
        """The skill group g's post-service routing table adds (the caller's ``after`` uniform of that step picks
        the row), or -1: the caller leaves."""
        u = caller.uniform(k, rv.AFTER, extra)
        for cum, skill in zip(self.comp.after_cum[g], self.comp.after_skill[g]):
            if u < cum:
                return int(skill)
        return -1

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
        leg = self.legs[row]
        wait = now - leg[LEG_ENTER]                 # a virtual-hold callback: from first joining the queue
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
        if len(c.mk_t):
            env.process(self.break_clock())
        if c.dial_ct >= 0:
            env.process(self.dialer())
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
        return RunOutput(contacts, legs, ck.busy, ck.staffed, ck.busy_window, ck.staffed_window, self.dials)


def run_simpy(comp: Compiled, seed: int, rep: int = 0) -> RunOutput:
    """Simulate replication ``rep`` of ``seed`` with the SimPy reference engine."""
    return SimpyModel(comp, seed, rep).run()
