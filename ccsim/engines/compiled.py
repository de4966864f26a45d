"""The compiled scenario: the design and demand parameters as flat arrays, shared by every engine.

Engines index skills, queues, groups and call types by position (the order of the scenario file), so
the SimPy reference engine and the array kernels read exactly the same description of the center.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import variates as rv
from ..config import Scenario
from ..limits import MAX_AFTER_SERVICE
from ..demand import CompiledDemand, compile_demand
from ..shifts import shifts_of

# Order of simultaneous events (lower first), then by the order they were scheduled (docs/model.md).
P_STAFF = 0      # staffing changes at interval boundaries
P_DEPART = 1     # end of a phase with an agent: talk, transfer, handoff briefing, after-call work
P_ABANDON = 2    # patience runs out
P_ARRIVE = 3     # a contact arrives, or reaches a queue after the IVR

# agent selection (design.agent_selection): who answers a caller joining a queue with idle agents
SELECT_PREFERENCE, SELECT_LONGEST_IDLE, SELECT_RANDOM = 0, 1, 2
SELECTIONS = ("preference", "longest_idle", "random")
#: the caller number of the n-th number the outbound dialer dials: DIALLED_ID + n (apart from inbound callers)
DIALLED_ID = 1 << 40
#: the route uniform's sub of the random choice of the agent consulted for need j: CONSULT_SUB + j
CONSULT_SUB = 1 << 20
#: the route uniform's sub of the random choice of the agent taking a virtual-hold callback rejoining its queue
#: after its i-th unanswered dial: REJOIN_SUB + i
REJOIN_SUB = 1 << 21


@dataclass(frozen=True)
class Compiled:
    """Everything an engine needs from the scenario, by index."""

    skills: tuple[str, ...]
    queues: tuple[str, ...]
    groups: tuple[str, ...]
    call_types: tuple[str, ...]
    # time frame
    horizon: float
    warmup: float
    interval: float
    n_intervals: int
    end_time: float              # horizon + max_drain: the simulation stops here
    ct_sl: np.ndarray            # (C,) service-level threshold of each call type (sl_threshold, sl_thresholds)
    # design
    ivr_time: float
    ct_pool: np.ndarray          # (C,) int: the line pool a call type's contacts hold (0: the shared trunk lines)
    pool_lines: np.ndarray       # (P,) int: lines of each pool, trunk_lines first (0: as many as needed)
    disconnect_at_close: bool    # callers waiting at the horizon are disconnected
    disconnect_unstaffed: bool   # callers waiting in a queue whose last scheduled agent leaves are disconnected
    transfer_time: float
    reexplain_time: float
    handoff_time: float
    survey_time: float
    survey_take_rate: float
    resolution_factor: float
    cold_factor: float
    speed: np.ndarray            # (G, S) talk-time speed factor, 0 = cannot serve
    group_queues: tuple[tuple[int, ...], ...]   # queues each group takes calls from, in preference order
    queue_groups: tuple[tuple[int, ...], ...]   # groups taking calls from each queue, in preference order
    group_queues_after: tuple[tuple[float, ...], ...]  # as group_queues: wait before the group takes a caller (overflow)
    queue_groups_after: tuple[tuple[float, ...], ...]  # as queue_groups: the same delays, by queue
    queue_delays: tuple[tuple[float, ...], ...]        # each queue's distinct positive delays, increasing
    agent_selection: int         # SELECT_PREFERENCE, SELECT_LONGEST_IDLE or SELECT_RANDOM
    ct_rank: np.ndarray          # (C,) int: rank of the call type's priority level (0 first), for queue classes
    group_longest_waiting: np.ndarray  # (G,) bool: a freed agent takes the longest-waiting head of its queues
    queue_priority: np.ndarray   # (Q,) bool: transferred/handed-off calls go first
    queue_max_wait: np.ndarray   # (Q,) seconds before a caller leaves for a message (inf: never)
    queue_message_time: np.ndarray  # (Q,) seconds spent leaving the message, the line held
    queue_cb: np.ndarray         # (Q,) bool: virtual hold, callers from the IVR may be offered a callback
    queue_cb_position: np.ndarray  # (Q,) int: offered when this many callers already wait (-1: no position rule)
    queue_cb_wait: np.ndarray    # (Q,) offered when the expected wait reaches this (inf: no wait rule)
    queue_cb_handle: np.ndarray  # (Q,) the handle time of the expected wait
    queue_cb_dial: np.ndarray    # (Q,) agent time to dial a caller back
    queue_cb_retries: np.ndarray  # (Q,) int: dials after the first at most
    queue_cb_retry_delay: np.ndarray  # (Q,) an unanswered callback rejoins the queue this much later
    route_entry: np.ndarray      # (S,) queue the IVR option leads to
    route_transfer: np.ndarray   # (S,) queue agents transfer callers needing the skill to
    route_warm: np.ndarray       # (S,) bool: warm handoff (else cold transfer)
    route_consult: np.ndarray    # (S,) bool: consult an idle agent of the transfer queue's groups (else skipped)
    route_conference: np.ndarray  # (S,) bool: warm if an agent of the transfer queue is idle, else cold
    route_nowait: np.ndarray     # (S,) bool: a caller cold-transferred for the skill may not wait (disconnected)
    after_cum: np.ndarray        # (G, R) post-service routing: cumulative probabilities of each group's rows
    after_skill: np.ndarray      # (G, R) int: the skill each row adds (-1: padding)
    max_after: int               # needs a contact may gain from the tables (0 when no group has one)
    staffing: np.ndarray         # (G, n_intervals) agents on the phones
    cost_per_hour: np.ndarray    # (G,)
    deflections: np.ndarray      # (D, 3) start, end, share
    # call types
    ct_resolution: np.ndarray    # (C,)
    ct_callback: np.ndarray      # (C,)
    ct_redial: np.ndarray        # (C,)
    ct_max_attempts: np.ndarray  # (C,) int
    ct_cb_accept: np.ndarray     # (C,) virtual hold: probability a caller offered a callback accepts
    ct_cb_answer: np.ndarray     # (C,) virtual hold: probability the caller answers the agent's dial
    demand: CompiledDemand       # arrival segments, needs tables, distributions
    # rosters (docs/model.md §2, "Shifts and breaks"): one row per shift of a day (group, day, shift type)
    sd_group: np.ndarray         # (H,) int
    sd_day: np.ndarray           # (H,) int
    sd_key: np.ndarray           # (H,) int: the (group, shift type) key of its absence draws
    sd_agents: np.ndarray        # (H,) int: agents scheduled (before absence)
    sd_i0: np.ndarray            # (H,) int: first interval covered
    sd_i1: np.ndarray            # (H,) int: end of the intervals covered (exclusive)
    sd_absent: np.ndarray        # (H,) probability each agent is absent that day
    # breaks, by window opening (then shift, then break): one row per break of each shift of a day
    br_group: np.ndarray         # (B,) int
    br_shift: np.ndarray         # (B,) int: its row of sd_*
    br_latest: np.ndarray        # (B,) latest start
    br_dur: np.ndarray           # (B,) duration
    br_end: np.ndarray           # (B,) its shift's end: a break not started by then is not taken
    # the break clock: window openings (kind 0) and latest starts (kind 1), by time, then kind, then break
    mk_t: np.ndarray             # (M,)
    mk_kind: np.ndarray          # (M,) int
    mk_b: np.ndarray             # (M,) int
    # the outbound dialer (docs/model.md §3, "Outbound dialer"); dial_ct = -1: none
    ct_outbound: np.ndarray      # (C,) bool: dialled by the center, never calling in
    ct_reach: np.ndarray         # (C, n_intervals) right-party-connect probability by interval of the dial
    dial_ct: int
    dial_target: np.ndarray      # (G,) bool: the groups it dials for
    dial_test: np.ndarray        # (G,) bool: whose idle agents count for min_free, and whose freed agents trigger it
    dial_min_free: int
    dial_min_target: int
    dial_per_free: float
    dial_extra: int
    dial_start: float
    dial_end: float
    dial_max_waiting: int        # no dialling while this many callers wait in the dial_queues
    dial_queues: np.ndarray      # (Q,) bool: the queues reached customers join (their first needs' routes)

    @property
    def max_legs(self) -> int:
        """Queue legs a contact can have: one per need, the post-service needs included, and the first."""
        return self.demand.max_needs() + self.max_after + 1

    def staff_at(self, g: int, t: float) -> int:
        """Scheduled agents of group g at time t (the last interval's value holds after the horizon)."""
        i = min(int(t // self.interval), self.n_intervals - 1)
        return int(self.staffing[g, i])

    def deflect_share(self, t: float) -> float:
        share = 0.0
        for start, end, s in self.deflections:
            if start <= t < end:
                share = max(share, s)
        return share


def workforce(comp: Compiled, seed: int, rep: int) -> tuple[np.ndarray, np.ndarray]:
    """The day's agents of a replication: the staffing per group and interval once absent agents are removed,
    and how many agents owe each break (the agents present on its shift). Without absenteeism: the schedule."""
    staffing = comp.staffing
    present = comp.sd_agents
    if comp.sd_absent.any():
        stream = rv.stream_key(seed, rep)
        present = np.array([rv.present_agents(stream, int(k), int(d), int(n), float(p)) for k, d, n, p in
                            zip(comp.sd_key, comp.sd_day, comp.sd_agents, comp.sd_absent)], dtype=np.int64)
        staffing = staffing.copy()
        for h in np.flatnonzero(present < comp.sd_agents):
            staffing[comp.sd_group[h], comp.sd_i0[h]:comp.sd_i1[h]] -= comp.sd_agents[h] - present[h]
    return staffing, present[comp.br_shift]


def _roster_arrays(sc: Scenario) -> dict[str, np.ndarray]:
    """The shifts of every day and their breaks, as Compiled's sd_*, br_* and mk_* arrays."""
    shifts = shifts_of(sc.design, sc.interval, sc.n_intervals)
    rows = []  # (open, shift row, break index, latest, duration, shift end)
    for h, sh in enumerate(shifts):
        for j, b in enumerate(sh.breaks):
            if sh.start + b.earliest < sh.end:
                rows.append((sh.start + b.earliest, h, j, sh.start + b.latest, b.duration, sh.end))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    marks = sorted([(r[0], 0, i) for i, r in enumerate(rows)] + [(r[3], 1, i) for i, r in enumerate(rows)])
    i64 = np.int64
    return dict(
        sd_group=np.array([s.group for s in shifts], dtype=i64), sd_day=np.array([s.day for s in shifts], dtype=i64),
        sd_key=np.array([s.key for s in shifts], dtype=i64), sd_agents=np.array([s.agents for s in shifts], dtype=i64),
        sd_i0=np.array([round(s.start / sc.interval) for s in shifts], dtype=i64),
        sd_i1=np.array([round(s.end / sc.interval) for s in shifts], dtype=i64),
        sd_absent=np.array([s.absenteeism for s in shifts], dtype=float),
        br_group=np.array([shifts[r[1]].group for r in rows], dtype=i64), br_shift=np.array([r[1] for r in rows], dtype=i64),
        br_latest=np.array([r[3] for r in rows], dtype=float), br_dur=np.array([r[4] for r in rows], dtype=float),
        br_end=np.array([r[5] for r in rows], dtype=float),
        mk_t=np.array([m[0] for m in marks], dtype=float), mk_kind=np.array([m[1] for m in marks], dtype=i64),
        mk_b=np.array([m[2] for m in marks], dtype=i64))


def _dialer_arrays(sc: Scenario) -> dict:
    """The dialer and the outbound call types, as Compiled's ct_outbound, ct_reach and dial_* fields."""
    d, g, n = sc.demand, sc.design, sc.n_intervals
    reach = np.ones((len(d.call_types), n))
    for i, ct in enumerate(d.call_types.values()):
        reach[i] = ct.reach[:n] if isinstance(ct.reach, list) else ct.reach
    dl = g.dialer
    groups = list(g.groups)
    test = groups if dl is None or dl.free_groups is None else dl.free_groups
    return dict(
        ct_outbound=np.array([ct.outbound for ct in d.call_types.values()], dtype=bool), ct_reach=reach,
        dial_ct=-1 if dl is None else list(d.call_types).index(dl.call_type),
        dial_target=np.array([dl is not None and gn in dl.groups for gn in groups], dtype=bool),
        dial_test=np.array([dl is not None and gn in test for gn in groups], dtype=bool),
        dial_min_free=0 if dl is None else dl.min_free, dial_min_target=1 if dl is None else dl.min_free_target,
        dial_per_free=0.0 if dl is None else dl.per_free_agent, dial_extra=0 if dl is None else dl.extra,
        dial_start=0.0 if dl is None else dl.start,
        dial_end=0.0 if dl is None else (sc.horizon if dl.end is None else dl.end),
        dial_max_waiting=0 if dl is None else dl.max_waiting,
        dial_queues=np.array([dl is not None and any(g.routes[need[0]].queue == q for _, need in
                                                     d.call_types[dl.call_type].needs_table()) for q in g.queues], dtype=bool))


def priority_ranks(levels: list[int | None]) -> np.ndarray:
    """Call types' priority levels (None: not listed, after every listed level) as ranks 0, 1, ..."""
    order = sorted({x for x in levels if x is not None})
    return np.array([order.index(x) if x is not None else len(order) for x in levels], dtype=np.int64)


def _callbacks(design) -> dict[str, np.ndarray]:
    """The queues' virtual-hold (callback offer) rules as arrays (absent: never offered)."""
    cbs = [q.callback for q in design.queues.values()]
    return dict(
        queue_cb=np.array([cb is not None for cb in cbs], dtype=bool),
        queue_cb_position=np.array([-1 if cb is None or cb.position is None else cb.position for cb in cbs],
                                   dtype=np.int64),
        queue_cb_wait=np.array([np.inf if cb is None or cb.wait is None else cb.wait for cb in cbs], dtype=float),
        queue_cb_handle=np.array([0.0 if cb is None or cb.handle_time is None else cb.handle_time for cb in cbs]),
        queue_cb_dial=np.array([0.0 if cb is None else cb.dial_time for cb in cbs], dtype=float),
        queue_cb_retries=np.array([0 if cb is None else cb.retries for cb in cbs], dtype=np.int64),
        queue_cb_retry_delay=np.array([0.0 if cb is None else cb.retry_delay for cb in cbs], dtype=float))


def compile_scenario(sc: Scenario) -> Compiled:
    """Flatten a validated scenario into index arrays."""
    d, g = sc.demand, sc.design
    skills = tuple(d.skills)
    queues = tuple(g.queues)
    groups = tuple(g.groups)
    s_ix = {s: i for i, s in enumerate(skills)}
    q_ix = {q: i for i, q in enumerate(queues)}
    speed = np.zeros((len(groups), len(skills)))
    for gi, gr in enumerate(g.groups.values()):
        for s, f in gr.speed().items():
            speed[gi, s_ix[s]] = f
    group_queues = tuple(tuple(q_ix[q] for q in gr.queues) for gr in g.groups.values())
    g_ix = {n: i for i, n in enumerate(groups)}

    def preference(qi: int, q) -> tuple[int, ...]:
        """The groups taking queue qi: those the queue lists first, in its order, then the others in design order."""
        first = [g_ix[n] for n in (q.groups or [])]
        return tuple(first + [gi for gi in range(len(groups)) if qi in group_queues[gi] and gi not in first])
    queue_groups = tuple(preference(qi, q) for qi, q in enumerate(g.queues.values()))
    grs = list(g.groups.values())
    after = {(gi, q_ix[q]): float(t) for gi, gr in enumerate(grs) for q, t in gr.overflow_after.items()}
    R = max([len(gr.after_service) for gr in grs] + [1])
    after_cum = np.full((len(groups), R), 2.0)       # 2: never below a uniform
    after_skill = np.full((len(groups), R), -1, dtype=np.int64)
    for gi, gr in enumerate(grs):
        after_cum[gi, : len(gr.after_service)] = np.cumsum([r.p for r in gr.after_service])
        after_skill[gi, : len(gr.after_service)] = [s_ix[r.skill] for r in gr.after_service]
    queue_groups_after = tuple(tuple(after.get((gi, qi), 0.0) for gi in queue_groups[qi]) for qi in range(len(queues)))
    routes = [g.route(s) for s in skills]
    n_int = sc.n_intervals
    cts = list(d.call_types.values())
    return Compiled(
        skills=skills, queues=queues, groups=groups, call_types=tuple(d.call_types),
        horizon=sc.horizon, warmup=sc.warmup, interval=sc.interval, n_intervals=n_int,
        end_time=sc.horizon + sc.max_drain,
        ct_sl=np.array([sc.sl_thresholds.get(n, sc.sl_threshold) for n in d.call_types], dtype=float),
        ivr_time=g.ivr.time,
        ct_pool=np.array([1 + list(g.call_type_lines).index(n) if n in g.call_type_lines else 0
                          for n in d.call_types], dtype=np.int64),
        pool_lines=np.array([int(g.trunk_lines or 0), *g.call_type_lines.values()], dtype=np.int64),
        disconnect_at_close=g.at_closing == "disconnect",
        disconnect_unstaffed=g.when_unstaffed == "disconnect", transfer_time=g.transfer_time, reexplain_time=g.reexplain_time,
        handoff_time=g.handoff_time,
        survey_time=g.survey.seconds if g.survey else 0.0,
        survey_take_rate=g.survey.take_rate if g.survey else 0.0,
        resolution_factor=g.resolution_factor, cold_factor=g.cold_transfer_resolution_factor,
        speed=speed, group_queues=group_queues, queue_groups=queue_groups,
        group_queues_after=tuple(tuple(after.get((gi, qi), 0.0) for qi in group_queues[gi]) for gi in range(len(groups))),
        queue_groups_after=queue_groups_after,
        queue_delays=tuple(tuple(sorted({t for t in a if t > 0})) for a in queue_groups_after),
        agent_selection=SELECTIONS.index(g.agent_selection),
        ct_rank=priority_ranks([g.call_type_priority.get(n) for n in d.call_types]),
        group_longest_waiting=np.array([gr.queue_choice == "longest_waiting" for gr in g.groups.values()], dtype=bool),
        queue_priority=np.array([q.priority_transfers for q in g.queues.values()], dtype=bool),
        queue_message_time=np.array([q.message_time for q in g.queues.values()], dtype=float),
        queue_max_wait=np.array([np.inf if q.max_wait is None else q.max_wait for q in g.queues.values()]),
        **_callbacks(g),
        route_entry=np.array([q_ix[r[0]] for r in routes], dtype=np.int32),
        route_transfer=np.array([q_ix[r[1]] for r in routes], dtype=np.int32),
        route_warm=np.array([r[2] == "warm" for r in routes], dtype=bool),
        route_consult=np.array([r[2] == "consult" for r in routes], dtype=bool),
        route_conference=np.array([r[2] == "conference" for r in routes], dtype=bool),
        route_nowait=np.array([not g.routes[s].wait for s in skills], dtype=bool),
        after_cum=after_cum, after_skill=after_skill,
        max_after=MAX_AFTER_SERVICE if any(gr.after_service for gr in grs) else 0,
        staffing=np.array([gr.staffing_profile(n_int, g.staffing_scale) for gr in g.groups.values()], dtype=np.int64),
        cost_per_hour=np.array([gr.cost_per_hour for gr in g.groups.values()]),
        deflections=np.array([[x.start, x.end, x.share] for x in g.deflections], dtype=float).reshape(-1, 3),
        ct_resolution=np.array([min(1.0, c.resolution_prob) for c in cts]),
        ct_callback=np.array([c.callback_prob for c in cts]),
        ct_redial=np.array([c.redial_prob for c in cts]),
        ct_max_attempts=np.array([c.max_attempts for c in cts], dtype=np.int64),
        ct_cb_accept=np.array([c.callback_accept for c in cts], dtype=float),
        ct_cb_answer=np.array([c.callback_answer for c in cts], dtype=float),
        demand=compile_demand(sc),
        **_roster_arrays(sc),
        **_dialer_arrays(sc),
    )
