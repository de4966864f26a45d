"""The numba kernel: the model of docs/model.md as an array-based event loop.

Everything here takes numpy arrays (grouped in a few named tuples, built by :mod:`ccsim.engines.numba_engine`)
and returns arrays. Random quantities are drawn on demand from the callers' keys with the compiled functions
of :mod:`ccsim.variates`, exactly as the SimPy reference engine draws them; first arrivals are generated one
at a time. Nothing is proportional to the number of callers but the records, when they are kept.

The loop mirrors the SimPy reference engine event for event, so that simultaneous events resolve
identically:

- timed steps go into a binary heap keyed by (time, priority class, sequence number); the sequence
  number is taken when the step is scheduled, exactly when SimPy schedules its ``Step`` (times are
  computed as ``now + delay`` like SimPy does);
- a caller answered or abandoning while waiting is resumed through a FIFO of "instant" events,
  processed before any further timed step, as SimPy's NORMAL-priority ``succeed()`` events are;
- each contact is a small state machine whose states are the ``yield`` points of the SimPy process
  (:func:`advance`); each other kind of event has its handler (``on_*``).

Two variants share the code: ``records=True`` keeps one row per contact and per leg (the RunOutput
records); ``records=False`` recycles contact and leg slots and adds every contact and leg to the tallies
the KPI tables are made of (:class:`ccsim.engines.output.Tallies`) as it ends.

Inputs: ``dz`` the design (:data:`DESIGN`), ``dm`` the demand (:data:`DEMAND`); state: ``ag`` agents and
queues (:data:`AGENTS`), ``sl`` contact and leg slots (:data:`SLOTS`), ``ev`` events (:data:`EVENTS`),
``ta`` tallies (:data:`TALLY`), ``ist``/``stf`` integer and float scalars (``IS_*``, ``SF_*``).
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .. import variates as rv

# ---------------------------------------------------------------------------- the named structures
DESIGN = namedtuple("DESIGN", [
    "horizon", "warmup", "interval", "n_int", "end_time", "ct_sl", "ivr_time", "ct_pool", "pool_lines", "disconnect_at_close", "disconnect_unstaffed", "transfer_time",
    "reexplain_time", "handoff_time", "survey_time", "survey_take_rate", "resolution_factor", "cold_factor",
    "speed", "gq", "gq_n", "qg", "qg_n", "gq_after", "qg_after", "q_delays", "q_nd", "agent_sel", "g_lw", "ct_rank", "n_cls", "q_prio", "q_max_wait", "q_message_time", "route_entry", "route_transfer", "route_warm", "route_consult", "route_conference", "route_nowait", "after_cum", "after_skill", "max_after", "staffing",
    "q_cb", "q_cb_pos", "q_cb_wait", "q_cb_handle", "q_cb_dial", "q_cb_retries", "q_cb_delay",
    "g_maxa", "deflections", "ct_resolution", "ct_callback", "ct_redial", "ct_max_attempts", "wait_grid",
    "br_group", "br_latest", "br_dur", "br_end", "br_n", "mk_t", "mk_kind", "mk_b", "brk_room",
    "ct_outbound", "ct_reach", "dial_ct", "dial_target", "dial_test", "dial_min_free", "dial_min_target",
    "dial_per_free", "dial_extra", "dial_start", "dial_end", "dial_max_waiting", "dial_queues"])
DEMAND = namedtuple("DEMAND", [
    "stream", "busy", "seg_end", "seg_rate", "seg_day", "ct_seg", "needs_cum", "needs_rows", "needs", "n_needs",
    "misroute", "balk", "same_patience", "law_interval", "n_skills", "dist_kind", "dist_p", "dist_off", "dist_n", "values", "ct_patience", "ct_redial_delay",
    "ct_callback_delay", "skill_talk", "skill_acw", "vh_accept", "vh_answer"])
AGENTS = namedtuple("AGENTS", [
    "g_off", "ag_group", "ag_busy_since", "ag_busy", "ag_leg", "ag_order", "id_used", "gr_present", "gr_leaving",
    "gr_since", "idle_buf", "idle_head", "idle_n", "ag_idle_seq", "micro", "q_head", "q_tail", "q_live",
    "gr_brk", "gr_owe", "br_owed", "br_forced", "dial_last"])
SLOTS = namedtuple("SLOTS", ["cf", "ci", "lf", "li", "c_free", "l_free"])
EVENTS = namedtuple("EVENTS", ["ht", "hk", "hp", "ft", "fk", "fc", "nt", "ns", "nq"])
TALLY = namedtuple("TALLY", [  # kpi: (C, N_KPI) the window sums by call type
    "busy", "staffed", "busy_w", "staffed_w", "kpi", "by_interval", "by_queue", "by_group", "wait_hist",
    "flow_in", "flow_out", "flow_end"])

# ---------------------------------------------------------------------------- constants
# priority classes (as ccsim.engines.compiled)
P_STAFF, P_DEPART, P_ABANDON, P_ARRIVE = 0, 1, 2, 3
CLS_SHIFT = 1 << 56
SEQ_MASK = CLS_SHIFT - 1

# agent selection (as ccsim.engines.compiled)
SELECT_PREFERENCE, SELECT_LONGEST_IDLE, SELECT_RANDOM = 0, 1, 2

# event types (low 4 bits of the payload)
EV_STAFF, EV_ARRIVAL, EV_RESUME, EV_PATIENCE, EV_ACW, EV_RETRY, EV_LINE, EV_CLOSE, EV_OVERFLOW, EV_BREAK, EV_BRK_END, \
    EV_DIAL_START = range(12)
EV_BITS, EV_MASK = 4, 15

# outcomes and leg kinds (as ccsim.engines.output)
ANSWERED, ABANDONED, IN_SYSTEM, BLOCKED, DISCONNECTED, MESSAGE, UNREACHED = 0, 1, 2, 3, 4, 5, 6
CB_NONE, CB_DECLINED, CB_ACCEPTED = 0, 1, 2  # the contact's virtual-hold state (ccsim.engines.output)
FRESH, TRANSFER, HANDOFF = 0, 1, 2

# ticket (leg) states
T_WAITING, T_CONNECTED, T_DEAD, T_DISCONNECTED, T_MESSAGE = 0, 1, 2, 3, 4

# contact program points: the yield points of the SimPy process, and internal labels
PC_IVR, PC_WAIT, PC_HANDOFF, PC_REEXPLAIN, PC_TALK, PC_TRANSFER, PC_DONE, PC_CONSULT, PC_DIAL, PC_REJOIN = range(10)
L_ENQUEUE, L_ANSWERED, L_LOOP, L_AFTER, L_FINISH, L_RELEASE, L_YIELD, L_UNREACHED, L_RETRY_WAIT = range(10, 19)

# contact float columns (output first, in CONTACT_COLUMNS order of floats)
CF_ARRIVAL, CF_QARR, CF_ANSWERED_AT, CF_WAIT, CF_HOLD, CF_TALK, CF_AGENT_TIME, CF_SURVEY, CF_END, CF_CB_WAIT, CF_DIAL = range(11)
CF_HOLDER_ACW, CF_ACW = 11, 12
N_CF_OUT, N_CF = 11, 13
# contact int columns
(CI_CALLER, CI_ATTEMPT, CI_CALL_TYPE, CI_FIRST_QUEUE, CI_FIRST_GROUP, CI_TRANSFERS, CI_HANDOFFS, CI_REEXPL,
 CI_NLEGS, CI_OUTCOME, CI_LAST_QUEUE, CI_LAST_GROUP, CI_RESOLVED, CI_CALLBACK) = range(14)
(CI_PC, CI_NEED, CI_LEG, CI_KIND, CI_HOLDER, CI_QUEUE, CI_TICKET, CI_AGENT, CI_KEY, CI_ROW, CI_PREV_GROUP,
 CI_RETRY, CI_EXPERT, CI_SKIPPED, CI_NX, CI_TRIES, CI_X0) = range(14, 31)
N_CI_OUT, N_CI = 14, 31 + 2  # CI_X0 .. CI_X0 + 2: the needs post-service routing added (MAX_AFTER_SERVICE)
CONSULT_SUB = 1 << 20  # as ccsim.engines.compiled
REJOIN_SUB = 1 << 21   # as ccsim.engines.compiled
# leg float columns
LF_ENTER, LF_WAIT, LF_AGENT_END, LF_TALK = 0, 1, 2, 3
LF_QENTER = 4  # when the ticket (last) joined its queue: a virtual-hold callback rejoins after an unanswered dial
N_LF_OUT, N_LF = 4, 5
# leg int columns
LI_CONTACT, LI_LEG, LI_QUEUE, LI_KIND, LI_GROUP, LI_AGENT, LI_OUTCOME = range(7)
LI_NEXT, LI_STATE, LI_AG, LI_PREV, LI_PSEQ, LI_MESSAGE, LI_OSEQ, LI_OJ, LI_VIRTUAL = 7, 8, 9, 10, 11, 12, 13, 14, 15
N_LI_OUT, N_LI = 7, 16

#: KPI accumulators of the records-free variant (contacts arriving in [warmup, horizon))
KPI_FIELDS = ("offered", "answered", "abandoned", "in_system", "within_sl", "first_wait_sum", "wait_sum",
              "waited", "transfers", "handoffs", "reexplanations", "first_contacts", "first_resolved",
              "ended", "time_in_system_sum", "handled", "agent_time_sum", "abandoned_after_answer",
              "first_handled", "first_abandoned", "answered_ended", "tis_answered_sum", "abandoned_ended",
              "tis_abandoned_sum", "within_sl_caller", "wait_answered_sum", "blocked", "disconnected", "messages",
              "vhold_offered", "vhold_accepted", "vhold_completed", "vhold_wait_sum", "unreached", "vhold_dial_sum",
              "dialled")
(K_OFFERED, K_ANSWERED, K_ABANDONED, K_IN_SYSTEM, K_WITHIN_SL, K_FIRST_WAIT, K_WAIT, K_WAITED, K_TRANSFERS,
 K_HANDOFFS, K_REEXPL, K_FIRST, K_FIRST_RESOLVED, K_ENDED, K_TIS, K_HANDLED, K_AGENT_TIME, K_AAA,
 K_FIRST_HANDLED, K_FIRST_ABANDONED, K_ANSWERED_ENDED, K_TIS_ANSWERED, K_ABANDONED_ENDED, K_TIS_ABANDONED,
 K_WITHIN_SL_CALLER, K_WAIT_ANSWERED, K_BLOCKED, K_DISCONNECTED, K_MESSAGES, K_VH_OFFERED, K_VH_ACCEPTED,
 K_VH_COMPLETED, K_VH_WAIT, K_UNREACHED, K_VH_DIAL, K_DIALLED) = range(36)
N_KPI = 36
# columns of the interval and queue tallies (as ccsim.engines.output)
BI_OFFERED, BI_ANSWERED, BI_ABANDONED, BI_WITHIN_SL, BI_FIRST_WAIT, BI_WAIT = range(6)
N_BI = 6
BQ_OFFERED, BQ_ANSWERED, BQ_ABANDONED, BQ_WITHIN_SL, BQ_ANSWERED_WAIT, BQ_WAIT, BQ_TRANSFER, BQ_HANDOFF = range(8)
N_BQ = 8
EPS = 1e-9  # waits within the threshold "up to rounding"

# integer scalars of the event loop kept between calls (ist)
(IS_ORDER, IS_MT, IS_HN, IS_SEQ, IS_NC, IS_NL, IS_MH, IS_NCF, IS_NLF, IS_STARTED, IS_ARR_CT, IS_ARR_SEQ, IS_ARR_K,
 IS_FH, IS_FN, IS_CALLER, IS_ARR_ID, IS_CLOSED, IS_IDLE_SEQ, IS_BR_LO, IS_BR_HI, IS_DIAL_SEQ, IS_DIAL_PEND) = range(23)
N_IS = 23  # IS_BR_LO: no break before it is still owed; IS_BR_HI: breaks whose window has opened;
#            IS_DIAL_SEQ: numbers dialled; IS_DIAL_PEND: the first whose contact has not started (SimPy's new processes)
DIALLED_ID = 1 << 40  # as ccsim.engines.compiled
IS_POOLS = N_IS  # then the lines in use of each line pool (dz.pool_lines): ist has N_IS + pools entries
# float scalars: the clock, the pending first arrival's time
SF_NOW, SF_ARR_T = 0, 1
# what the event loop returns
RUN_DONE, RUN_GROW_HEAP, RUN_GROW_CONTACTS, RUN_GROW_LEGS, RUN_GROW_FIFO = 0, 1, 2, 3, 4

_JIT = dict(cache=True, _nrt=False, error_model="numpy")
#: the hot handlers and helpers are inlined into the event loop (numba IR): passing the named tuples to a real
#: call copies every array's descriptor; the cold ones (staffing changes, retries) stay calls, for compile time
_INL = dict(_JIT, inline="always")
#: the generator this kernel was compiled with: numba's disk cache tracks only this file, so a change to
#: ccsim/variates.py must change this line too (numba_engine refuses to run otherwise)
VARIATES_SHA256 = "ae8db079d8fdbbee"


# ---------------------------------------------------------------------------- small helpers
@njit(**_INL)
def clock_add(bins, window, g, start, end, n, warmup, horizon, interval, n_int):
    """Agent-seconds into interval bins and the KPI window (AgentClock._add, operation for operation)."""
    if end <= start or n == 0:
        return
    lo = max(start, warmup)
    hi = min(end, horizon)
    if hi > lo:
        window[g] += n * (hi - lo)
    t = start
    while t < end:
        i = int(t // interval)
        if i >= n_int or t >= horizon:
            bins[g, n_int] += n * (end - t)
            return
        b = (i + 1) * interval
        stop = min(end, b, horizon)
        if stop <= t:  # floating point at a boundary
            stop = min(end, np.nextafter(b, np.inf))
        bins[g, i] += n * (stop - t)
        t = stop


@njit(**_INL)
def _sift_up(ht, hk, hp, i, t, k, p):
    """Place (t, k, p) at hole i or above it, moving larger parents down."""
    while i > 0:
        j = (i - 1) >> 1
        tj = ht[j]
        if tj < t or (tj == t and hk[j] < k):
            break
        ht[i] = tj
        hk[i] = hk[j]
        hp[i] = hp[j]
        i = j
    ht[i] = t
    hk[i] = k
    hp[i] = p


@njit(**_INL)
def schedule(ev, ist, t, cls, payload):
    """A timed step at ``t`` of priority class ``cls``: takes the next sequence number (SimPy's ``Step``)."""
    seq = ist[IS_SEQ]
    n = ist[IS_HN]
    _sift_up(ev.ht, ev.hk, ev.hp, n, t, cls * CLS_SHIFT + seq, payload)
    ist[IS_HN] = n + 1
    ist[IS_SEQ] = seq + 1
    return seq


@njit(**_INL)
def heap_pop_fix(ht, hk, hp, n):
    """Remove the root of a heap of size n (the caller has read it); returns the new size.

    Bottom-up: the hole goes down along the smaller children to a leaf, then the last element goes up
    from there (keys are unique, so the order of pops does not depend on the layout)."""
    n -= 1
    if n == 0:
        return 0
    t = ht[n]
    k = hk[n]
    p = hp[n]
    i = 0
    c = 1
    while c < n:
        r = c + 1
        if r < n and (ht[r] < ht[c] or (ht[r] == ht[c] and hk[r] < hk[c])):
            c = r
        ht[i] = ht[c]
        hk[i] = hk[c]
        hp[i] = hp[c]
        i = c
        c = 2 * i + 1
    _sift_up(ht, hk, hp, i, t, k, p)
    return n


@njit(**_INL)
def take_slot(records, free, ist, n_at, free_at):
    """A row for a new contact or leg: the next one (records kept) or a recycled one from ``free``; ``n_at`` and
    ``free_at`` are the ``ist`` places of the rows used and of the free list's length (IS_NC/IS_NCF, IS_NL/IS_NLF)."""
    if records or ist[free_at] == 0:
        r = ist[n_at]
        ist[n_at] = r + 1
        return r
    ist[free_at] -= 1
    return free[ist[free_at]]


@njit(**_INL)
def free_leg(sl, ist, tk):
    sl.l_free[ist[IS_NLF]] = tk
    ist[IS_NLF] += 1


@njit(**_INL)
def deflect_share(t, deflections):
    share = 0.0
    for r in range(deflections.shape[0]):
        if deflections[r, 0] <= t < deflections[r, 1]:
            share = max(share, deflections[r, 2])
    return share


@njit(**_INL)
def ddraw(dm, m, ck, attempt, purpose, index):
    """A variate of the demand's distribution ``m`` (ccsim.demand.Caller._draw)."""
    return rv.dist_draw(m, dm.dist_kind, dm.dist_p, dm.dist_off, dm.dist_n, dm.values, ck, attempt, purpose, index)


# ---------------------------------------------------------------------------- agents and queues
@njit(**_JIT)
def after_service(dz, ck, k, g, nx):
    """The skill group g's post-service routing table adds as the caller's (nx+1)-th added need, or -1
    (SimpyModel._after_service)."""
    u = rv.uniform(ck, k, rv.AFTER, nx, 0)
    for r in range(dz.after_cum.shape[1]):
        if u < dz.after_cum[g, r]:
            return dz.after_skill[g, r]
    return -1


@njit(**_JIT)
def has_idle(dz, ag, q):
    """Whether a caller joining queue q now would be answered at once (Center.has_idle)."""
    for j in range(dz.qg_n[q]):
        if dz.qg_after[q, j] <= 0.0 and ag.idle_n[dz.qg[q, j]] > 0:
            return True
    return False


@njit(**_JIT)
def offers_callback(dz, ag, q, ahead):
    """Virtual hold: whether a caller joining queue q behind ``ahead`` waiting callers, not answered at once, is
    offered a callback (Center.offers_callback): ``position`` callers already wait, or the expected wait
    (ahead + 1) x handle_time / max(1, s) reaches ``wait``, s the agents scheduled in the groups taking q at once."""
    if not dz.q_cb[q]:
        return False
    if 0 <= dz.q_cb_pos[q] <= ahead:
        return True
    if math.isfinite(dz.q_cb_wait[q]):
        s = 0
        for j in range(dz.qg_n[q]):
            if dz.qg_after[q, j] <= 0.0:
                g = dz.qg[q, j]
                s += ag.gr_present[g] - ag.gr_leaving[g]
        return (ahead + 1) * dz.q_cb_handle[q] / max(1, s) >= dz.q_cb_wait[q]
    return False


@njit(**_INL)
def need_skill(dm, ci, c, ct, row, need):
    """The skill of a contact's need-th need: the caller's own, then those post-service routing added."""
    n0 = dm.n_needs[ct, row]
    return dm.needs[ct, row, need] if need < n0 else ci[c, CI_X0 + need - n0]


@njit(**_INL)
def ticket_cls(dz, q, kind, ct):
    """A waiting caller's class in queue q (Center.enqueue): the call type's priority rank, then transferred or
    handed-off callers before fresh ones if the queue says so; FCFS within a class."""
    return 2 * dz.ct_rank[ct] + (0 if (kind != FRESH and dz.q_prio[q]) else 1)


@njit(**_INL)
def queue_push(dz, ag, q, cls, tk, li):
    """The caller joins the back of its priority class in queue q (a doubly linked list of tickets)."""
    x = q * dz.n_cls + cls
    t = ag.q_tail[x]
    li[tk, LI_PREV] = t
    li[tk, LI_NEXT] = -1
    if t < 0:
        ag.q_head[x] = tk
    else:
        li[t, LI_NEXT] = tk
    ag.q_tail[x] = tk
    ag.q_live[q] += 1


@njit(**_INL)
def queue_remove(dz, ag, q, cls, tk, li):
    """A waiting caller hangs up: unlink the ticket."""
    x = q * dz.n_cls + cls
    p = li[tk, LI_PREV]
    n = li[tk, LI_NEXT]
    if p < 0:
        ag.q_head[x] = n
    else:
        li[p, LI_NEXT] = n
    if n < 0:
        ag.q_tail[x] = p
    else:
        li[n, LI_PREV] = p
    ag.q_live[q] -= 1


@njit(**_INL)
def engage(ag, a, now, ist, tk):
    """Agent ``a`` is busy from now, with the leg ``tk`` (-1: a consult) (Center.engage)."""
    ag.ag_busy_since[a] = now
    ag.ag_busy[a] = True
    ag.ag_order[a] = ist[IS_ORDER]
    ist[IS_ORDER] += 1
    ag.ag_leg[a] = tk


@njit(**_INL)
def connect(ag, tk, a, now, li, ist):
    """Agent ``a`` answers ticket ``tk`` (Center._connect)."""
    engage(ag, a, now, ist, tk)
    li[tk, LI_STATE] = T_CONNECTED
    li[tk, LI_AG] = a


@njit(**_INL)
def resume_now(ag, ist, c):
    """The waiting caller resumes at once (SimPy: ``ticket.done.succeed()``)."""
    m = ist[IS_MT]
    if m >= ag.micro.shape[0]:
        raise RuntimeError("instant-event FIFO overflow")
    ag.micro[m] = c
    ist[IS_MT] = m + 1


@njit(**_INL)
def next_call(dz, ag, a, g, now, li, lf, ist):
    """A free agent takes the head of the first non-empty queue of its group (or, queue choice longest_waiting,
    the head that has waited longest, the first listed on a tie) and returns True; False if none (then
    :func:`rest`: Center._next_call)."""
    best = -1
    best_h = -1
    best_cls = 0
    best_t = 0.0
    for j in range(dz.gq_n[g]):
        q = dz.gq[g, j]
        if ag.q_live[q] > 0:
            tau = dz.gq_after[g, j]  # overflow: only callers who have waited this long (heads of each class)
            h = -1
            cls = 0
            for x in range(dz.n_cls):
                hx = ag.q_head[q * dz.n_cls + x]
                if hx >= 0 and (tau == 0.0 or lf[hx, LF_QENTER] + tau <= now):
                    h = hx
                    cls = x
                    break
            if h < 0:
                continue
            if best < 0 or lf[h, LF_QENTER] < best_t:
                best = q
                best_h = h
                best_cls = cls
                best_t = lf[h, LF_QENTER]
                if not dz.g_lw[g]:
                    break
    if best >= 0:
        tk = best_h
        queue_remove(dz, ag, best, best_cls, tk, li)
        connect(ag, tk, a, now, li, ist)
        resume_now(ag, ist, li[tk, LI_CONTACT])
        return True
    return False


@njit(**_INL)
def rest(dz, ag, ta, ev, ist, a, g, now):
    """A free agent with no caller to take: a break whose window is open, else the idle FIFO."""
    if ag.gr_owe[g] > 0:
        b = owed_break(dz, ag, ist, g, now, False)
        if b >= 0:
            start_break(dz, ag, ta, ev, ist, a, b, now)
            return
    ag.ag_idle_seq[a] = ist[IS_IDLE_SEQ]
    ist[IS_IDLE_SEQ] += 1
    cap = ag.idle_buf.shape[1]
    ag.idle_buf[g, (ag.idle_head[g] + ag.idle_n[g]) % cap] = a
    ag.idle_n[g] += 1


@njit(**_INL)
def idle_take(ag, g, m):
    """Take the m-th agent of group g's idle FIFO (0: the longest idle), closing the gap."""
    cap = ag.idle_buf.shape[1]
    h = ag.idle_head[g]
    a = ag.idle_buf[g, (h + m) % cap]
    for j in range(m, ag.idle_n[g] - 1):
        ag.idle_buf[g, (h + j) % cap] = ag.idle_buf[g, (h + j + 1) % cap]
    ag.idle_n[g] -= 1
    return a


@njit(**_INL)
def select_agent(dz, ag, q, ck, k, leg, waited, sub):
    """The idle agent who answers a caller of queue q who has waited ``waited`` (groups whose overflow delay is at
    most that), or -1 (Center._select_agent): the longest idle of the first group with one (preference), the
    longest idle of them all, or the int(u·n)-th of the n idle agents (the caller's route uniform ``sub``)."""
    if dz.agent_sel == SELECT_PREFERENCE:
        for j in range(dz.qg_n[q]):
            g = dz.qg[q, j]
            if ag.idle_n[g] > 0 and dz.qg_after[q, j] <= waited:
                return idle_pop(ag, g)
        return -1
    return select_other(dz, ag, q, ck, k, leg, waited, sub)


@njit(**_JIT)
def select_other(dz, ag, q, ck, k, leg, waited, sub):
    """select_agent's longest-idle and random rules (a real call: they cost compile time, not run time)."""
    if dz.agent_sel == SELECT_LONGEST_IDLE:
        best = -1
        for j in range(dz.qg_n[q]):
            g = dz.qg[q, j]
            if ag.idle_n[g] > 0 and dz.qg_after[q, j] <= waited and (
                    best < 0 or ag.ag_idle_seq[ag.idle_buf[g, ag.idle_head[g]]]
                    < ag.ag_idle_seq[ag.idle_buf[best, ag.idle_head[best]]]):
                best = g
        return idle_pop(ag, best) if best >= 0 else -1
    n = 0
    for j in range(dz.qg_n[q]):
        if dz.qg_after[q, j] <= waited:
            n += ag.idle_n[dz.qg[q, j]]
    if n == 0:
        return -1
    m = min(int(rv.uniform(ck, k, rv.ROUTE, leg, sub) * n), n - 1)
    for j in range(dz.qg_n[q]):
        if dz.qg_after[q, j] <= waited:
            g = dz.qg[q, j]
            if m < ag.idle_n[g]:
                return idle_take(ag, g, m)
            m -= ag.idle_n[g]
    return -1


@njit(**_JIT)
def on_overflow(dz, ag, sl, ev, ist, tk, seq, now):
    """The caller of ticket tk has waited its queue's j-th overflow delay: more groups may take them now; if none
    does, the next delay is timed (Center.overflow, SimpyModel._time_overflow)."""
    li, ci = sl.li, sl.ci
    if li[tk, LI_STATE] != T_WAITING or li[tk, LI_OSEQ] != seq:
        return
    q = li[tk, LI_QUEUE]
    j = li[tk, LI_OJ]
    c = li[tk, LI_CONTACT]
    a = select_agent(dz, ag, q, ci[c, CI_KEY], ci[c, CI_ATTEMPT], li[tk, LI_LEG], dz.q_delays[q, j], j + 1)
    if a >= 0:
        queue_remove(dz, ag, q, ticket_cls(dz, q, li[tk, LI_KIND], ci[c, CI_CALL_TYPE]), tk, li)
        connect(ag, tk, a, now, li, ist)
        resume_now(ag, ist, c)
    elif j + 1 < dz.q_nd[q]:
        li[tk, LI_OJ] = j + 1
        li[tk, LI_OSEQ] = schedule(ev, ist, now + (dz.q_delays[q, j + 1] - dz.q_delays[q, j]), P_ABANDON,
                                   (tk << EV_BITS) | EV_OVERFLOW)


@njit(**_INL)
def idle_pop(ag, g):
    a = ag.idle_buf[g, ag.idle_head[g]]
    ag.idle_head[g] = (ag.idle_head[g] + 1) % ag.idle_buf.shape[1]
    ag.idle_n[g] -= 1
    return a


@njit(**_JIT)
def staffed_mark(dz, ag, ta, g, now):
    clock_add(ta.staffed, ta.staffed_w, g, ag.gr_since[g], now, float(ag.gr_present[g] - ag.gr_brk[g]), dz.warmup,
              dz.horizon, dz.interval, dz.n_int)
    ag.gr_since[g] = now


@njit(**_JIT)
def leave(dz, ag, ta, g, a, now):
    """An agent goes home (Center._leave)."""
    staffed_mark(dz, ag, ta, g, now)
    ag.gr_present[g] -= 1
    ag.id_used[a] = False


@njit(**_JIT)
def owed_break(dz, ag, ist, g, now, forced):
    """The break a free agent of group g takes now (-1: none): of the breaks opened and still owed whose shift has
    not ended (``forced``: only those past their latest start), the earliest latest start, the first opened on a
    tie (Center._owed_break)."""
    lo, hi = ist[IS_BR_LO], ist[IS_BR_HI]
    while lo < hi and (ag.br_owed[lo] == 0 or dz.br_end[lo] <= now):  # done with for good
        ag.gr_owe[dz.br_group[lo]] -= ag.br_owed[lo]
        ag.br_owed[lo] = 0
        lo += 1
    ist[IS_BR_LO] = lo
    best = -1
    for b in range(lo, hi):
        if dz.br_group[b] != g or ag.br_owed[b] == 0:
            continue
        if dz.br_end[b] <= now:  # its shift has ended: nobody owes it any more
            ag.gr_owe[g] -= ag.br_owed[b]
            ag.br_owed[b] = 0
            continue
        if (ag.br_forced[b] or not forced) and (best < 0 or dz.br_latest[b] < dz.br_latest[best]):
            best = b
    return best


@njit(**_JIT)
def start_break(dz, ag, ta, ev, ist, a, b, now):
    """Agent a takes break b (Center._start_break): off the phones until the break ends."""
    g = ag.ag_group[a]
    staffed_mark(dz, ag, ta, g, now)
    ag.gr_brk[g] += 1
    ag.br_owed[b] -= 1
    ag.gr_owe[g] -= 1
    schedule(ev, ist, now + dz.br_dur[b], P_DEPART, (a << EV_BITS) | EV_BRK_END)


@njit(**_JIT)
def on_break_mark(dz, ag, ta, ev, ist, m, now):
    """Mark m of the break clock: a window opens (the agents of its shift owe the break; idle ones, the longest
    idle first, take it now) or reaches its latest start; then the next mark is timed (SimpyModel.break_clock)."""
    b = dz.mk_b[m]
    if dz.mk_kind[m] == 0:
        g = dz.br_group[b]
        ag.br_owed[b] = dz.br_n[b]
        ag.gr_owe[g] += dz.br_n[b]
        ist[IS_BR_HI] = b + 1
        while ag.br_owed[b] > 0 and ag.idle_n[g] > 0:
            start_break(dz, ag, ta, ev, ist, idle_pop(ag, g), b, now)
    else:
        ag.br_forced[b] = True
    if m + 1 < dz.mk_t.shape[0]:
        schedule(ev, ist, now + (dz.mk_t[m + 1] - now), P_STAFF, ((m + 1) << EV_BITS) | EV_BREAK)


@njit(**_INL)
def available(records, dz, ag, ta, sl, ev, a, now, ist):
    """An agent free after a call or a break: leaves if their shift ended, takes a break past its latest start, else
    a call, else a break whose window is open, else waits idle (Center._available)."""
    g = ag.ag_group[a]
    if ag.gr_leaving[g] > 0:
        ag.gr_leaving[g] -= 1
        leave(dz, ag, ta, g, a, now)
        if dz.disconnect_unstaffed and ag.gr_present[g] - ag.gr_leaving[g] == 0:
            clear_unstaffed(dz, ag, sl, ist, g)
        return
    if ag.gr_owe[g] > 0:
        b = owed_break(dz, ag, ist, g, now, True)
        if b >= 0:
            start_break(dz, ag, ta, ev, ist, a, b, now)
            return
    if not next_call(dz, ag, a, g, now, sl.li, sl.lf, ist):
        rest(dz, ag, ta, ev, ist, a, g, now)


@njit(**_JIT)
def on_break_end(records, dz, ag, ta, sl, ev, a, now, ist):
    """Agent a's break ends (Center._end_break)."""
    g = ag.ag_group[a]
    staffed_mark(dz, ag, ta, g, now)
    ag.gr_brk[g] -= 1
    available(records, dz, ag, ta, sl, ev, a, now, ist)


@njit(**_INL)
def on_agent_free(records, dz, ag, ta, sl, ev, a, now, ist):
    """The agent is free (after the call and its ACW): leaves if their shift ended, else takes a call
    (Center._free)."""
    g = ag.ag_group[a]
    clock_add(ta.busy, ta.busy_w, g, ag.ag_busy_since[a], now, 1.0, dz.warmup, dz.horizon, dz.interval, dz.n_int)
    tk = ag.ag_leg[a]
    if tk >= 0:
        if records:
            sl.lf[tk, LF_AGENT_END] = now
        ag.ag_leg[a] = -1
    ag.ag_busy_since[a] = np.nan
    ag.ag_busy[a] = False
    available(records, dz, ag, ta, sl, ev, a, now, ist)
    if dz.dial_ct >= 0 and dz.dial_test[g]:
        dial(dz, ag, ta, ist, now)


@njit(**_JIT)
def dial(dz, ag, ta, ist, now):
    """The outbound dialer (SimpyModel.dial): while enough agents are idle, dial round(per_free x idle agents of its
    groups) + extra numbers; their contacts start before anything else at this instant (:func:`on_dialled`)."""
    if not (dz.dial_start <= now and now < dz.dial_end) or now == ag.dial_last[0]:  # once an instant at most
        return
    waiting = 0
    for q in range(dz.dial_queues.shape[0]):
        if dz.dial_queues[q]:
            waiting += ag.q_live[q]
    if waiting >= dz.dial_max_waiting:  # pacing: customers already wait for an agent
        return
    free = 0
    target = 0
    for g in range(dz.dial_test.shape[0]):
        if dz.dial_test[g]:
            free += ag.idle_n[g]
        if dz.dial_target[g]:
            target += ag.idle_n[g]
    if free < dz.dial_min_free or target < dz.dial_min_target:
        return
    k = int(math.floor(dz.dial_per_free * target + 0.5)) + dz.dial_extra
    if k <= 0:
        return
    ist[IS_DIAL_SEQ] += k
    ag.dial_last[0] = now
    if now >= dz.warmup and now < dz.horizon:
        ta.kpi[dz.dial_ct, K_DIALLED] += k


@njit(**_JIT)
def on_dialled(records, dz, dm, sl, ev, ist, now):
    """The next dialled number that reaches its customer starts its contact (SimPy: the dialled contact's process
    starts); numbers not reached are passed over. Returns the contact's slot, or -1 when none was reached."""
    ct = dz.dial_ct
    reach = dz.ct_reach[ct, min(int(now // dz.interval), dz.n_int - 1)]
    while ist[IS_DIAL_PEND] < ist[IS_DIAL_SEQ]:
        seq = ist[IS_DIAL_PEND]
        ist[IS_DIAL_PEND] += 1
        ck = rv.caller_key(dm.stream, ct, seq)
        if rv.uniform(ck, 0, rv.REACH, 0, 0) < reach:
            row = rv.needs_row(ck, dm.needs_cum[ct], dm.needs_rows[ct])
            c = take_slot(records, sl.c_free, ist, IS_NC, IS_NCF)
            start_contact(records, dz, dm, sl, ev, ist, now, c, DIALLED_ID + seq, ct, ck, row, 0)
            return c
    return -1


@njit(**_JIT)
def set_staffing(dz, ag, ta, sl, ev, g, target, now, ist):
    """Shift change: new agents start taking calls; idle ones leave now, busy ones when their call ends
    (Center.set_staffing)."""
    have = ag.gr_present[g] - ag.gr_leaving[g]
    if target > have:
        back = min(ag.gr_leaving[g], target - have)
        ag.gr_leaving[g] -= back
        new = target - have - back
        if new:
            staffed_mark(dz, ag, ta, g, now)
            ag.gr_present[g] += new
            for _ in range(new):
                a = -1
                for j in range(dz.g_maxa[g]):  # ids are reused lowest-first
                    if not ag.id_used[ag.g_off[g] + j]:
                        a = ag.g_off[g] + j
                        break
                ag.id_used[a] = True
                ag.ag_busy_since[a] = np.nan
                ag.ag_leg[a] = -1
                if not next_call(dz, ag, a, g, now, sl.li, sl.lf, ist):
                    rest(dz, ag, ta, ev, ist, a, g, now)
    elif target < have:
        drop = have - target
        while drop and ag.idle_n[g] > 0:  # the longest idle leave first
            leave(dz, ag, ta, g, idle_pop(ag, g), now)
            drop -= 1
        ag.gr_leaving[g] += drop


# ---------------------------------------------------------------------------- tallies (records=False)
@njit(**_INL)
def in_window(dz, arrival):
    return arrival >= dz.warmup and arrival < dz.horizon


@njit(**_INL)
def tally_leg(dz, ta, sl, c, tk):
    """A closed (or, at the end, still open) leg into the queue, group and journey tallies
    (metrics.queue_kpis, group_kpis, journey_flows)."""
    cf, ci, lf, li = sl.cf, sl.ci, sl.lf, sl.li
    if not in_window(dz, cf[c, CF_ARRIVAL]):
        return
    G = ta.by_group.shape[0]
    q = li[tk, LI_QUEUE]
    out = li[tk, LI_OUTCOME]
    w = lf[tk, LF_WAIT]
    ta.by_queue[q, BQ_OFFERED] += 1.0
    ta.by_queue[q, BQ_WAIT] += w
    kind = li[tk, LI_KIND]
    if kind == TRANSFER:
        ta.by_queue[q, BQ_TRANSFER] += 1.0
    elif kind == HANDOFF:
        ta.by_queue[q, BQ_HANDOFF] += 1.0
    leg = li[tk, LI_LEG]
    ta.flow_in[leg, ci[c, CI_PREV_GROUP] + 1, q] += 1.0
    if out == ANSWERED:
        g = li[tk, LI_GROUP]
        ta.by_queue[q, BQ_ANSWERED] += 1.0
        ta.by_queue[q, BQ_ANSWERED_WAIT] += w
        if w <= dz.ct_sl[ci[c, CI_CALL_TYPE]] + EPS:
            ta.by_queue[q, BQ_WITHIN_SL] += 1.0
        ta.by_group[g] += 1.0
        ta.flow_out[leg, q, g] += 1.0
    elif out == ABANDONED:
        ta.by_queue[q, BQ_ABANDONED] += 1.0
        ta.flow_out[leg, q, G] += 1.0
    elif out == DISCONNECTED:
        ta.flow_out[leg, q, G + 2] += 1.0
    elif out == MESSAGE:
        ta.flow_out[leg, q, G + 3] += 1.0
    elif out == UNREACHED:
        ta.flow_out[leg, q, G + 4] += 1.0
    else:
        ta.flow_out[leg, q, G + 1] += 1.0


@njit(**_INL)
def tally_contact(dz, ta, sl, c):
    """A finished (or, at the end, still open) contact into the window's KPI accumulators, the interval
    tallies, the wait histogram and the journey's last step (metrics.contact_sums, interval_kpis, wait_cdf,
    journey_flows)."""
    cf, ci, li = sl.cf, sl.ci, sl.li
    kpi = ta.kpi
    ct = ci[c, CI_CALL_TYPE]  # the window sums are kept by call type
    thr = dz.ct_sl[ct] + EPS
    arr = cf[c, CF_ARRIVAL]
    out = ci[c, CI_OUTCOME]
    e = cf[c, CF_END]
    w = cf[c, CF_WAIT]
    fw = cf[c, CF_ANSWERED_AT] - cf[c, CF_QARR]
    # by interval of arrival: every contact
    i = min(int(arr // dz.interval), dz.n_int - 1)
    bi = ta.by_interval
    bi[i, BI_OFFERED] += 1.0
    bi[i, BI_WAIT] += w
    if out == ANSWERED:
        bi[i, BI_ANSWERED] += 1.0
        bi[i, BI_FIRST_WAIT] += fw
        if fw <= thr:
            bi[i, BI_WITHIN_SL] += 1.0
    elif out == ABANDONED:
        bi[i, BI_ABANDONED] += 1.0
    if not in_window(dz, arr):
        return
    # the wait histogram: bin j holds waits within wait_grid[j] (and above the previous point)
    grid = dz.wait_grid
    j = 0
    while j < grid.shape[0] and not w <= grid[j] + EPS:
        j += 1
    ta.wait_hist[j] += 1.0
    # the journey's last step: from the last agent's group to the contact's ending
    tk = ci[c, CI_TICKET]
    if tk >= 0 and li[tk, LI_OUTCOME] == ANSWERED:
        ending = 2
        if out == ANSWERED:
            ending = 0 if ci[c, CI_RESOLVED] else 1
        ta.flow_end[li[tk, LI_LEG], li[tk, LI_GROUP], ending] += 1.0
    kpi[ct, K_OFFERED] += 1.0
    handled = ci[c, CI_FIRST_GROUP] >= 0
    first = ci[c, CI_ATTEMPT] == 0
    if out == ANSWERED:
        kpi[ct, K_ANSWERED] += 1.0
        kpi[ct, K_FIRST_WAIT] += fw
        if fw <= thr:
            kpi[ct, K_WITHIN_SL] += 1.0
        kpi[ct, K_WAIT_ANSWERED] += w
        if w <= thr:
            kpi[ct, K_WITHIN_SL_CALLER] += 1.0
        if not math.isnan(e):
            kpi[ct, K_ANSWERED_ENDED] += 1.0
            kpi[ct, K_TIS_ANSWERED] += e - arr
    elif out == ABANDONED:
        kpi[ct, K_ABANDONED] += 1.0
        if handled:
            kpi[ct, K_AAA] += 1.0
        if first:
            kpi[ct, K_FIRST_ABANDONED] += 1.0
        if not math.isnan(e):
            kpi[ct, K_ABANDONED_ENDED] += 1.0
            kpi[ct, K_TIS_ABANDONED] += e - arr
    elif out == BLOCKED:
        kpi[ct, K_BLOCKED] += 1.0
    elif out == DISCONNECTED:
        kpi[ct, K_DISCONNECTED] += 1.0
    elif out == MESSAGE:
        kpi[ct, K_MESSAGES] += 1.0
    elif out == UNREACHED:
        kpi[ct, K_UNREACHED] += 1.0
    else:
        kpi[ct, K_IN_SYSTEM] += 1.0
    if ci[c, CI_CALLBACK] >= CB_DECLINED:
        kpi[ct, K_VH_OFFERED] += 1.0
        if ci[c, CI_CALLBACK] == CB_ACCEPTED:
            kpi[ct, K_VH_ACCEPTED] += 1.0
        if not math.isnan(cf[c, CF_CB_WAIT]):
            kpi[ct, K_VH_COMPLETED] += 1.0
            kpi[ct, K_VH_WAIT] += cf[c, CF_CB_WAIT]
    kpi[ct, K_VH_DIAL] += cf[c, CF_DIAL]
    kpi[ct, K_WAIT] += w
    if w > 0:
        kpi[ct, K_WAITED] += 1.0
    kpi[ct, K_TRANSFERS] += ci[c, CI_TRANSFERS]
    kpi[ct, K_HANDOFFS] += ci[c, CI_HANDOFFS]
    kpi[ct, K_REEXPL] += ci[c, CI_REEXPL]
    if first:
        kpi[ct, K_FIRST] += 1.0
        if handled:
            kpi[ct, K_FIRST_HANDLED] += 1.0
        if ci[c, CI_RESOLVED]:
            kpi[ct, K_FIRST_RESOLVED] += 1.0
    if not math.isnan(e):
        kpi[ct, K_ENDED] += 1.0
        kpi[ct, K_TIS] += e - arr
    if handled:
        kpi[ct, K_HANDLED] += 1.0
        kpi[ct, K_AGENT_TIME] += cf[c, CF_AGENT_TIME]


# ---------------------------------------------------------------------------- event handlers
@njit(**_INL)
def pend_next_arrival(dz, dm, ev, ist, stf, now):
    """The arrivals process: the next first contact that is not deflected becomes the pending arrival, with
    the next sequence number (SimpyModel.arrivals' next ``yield Step``)."""
    while True:
        t, ct, seq = rv.arrivals_pop(dm.stream, dm.busy, dm.seg_end, dm.seg_rate, dm.seg_day, dm.ct_seg, ev.nt, ev.ns,
                                     ev.nq)
        if ct < 0:
            ist[IS_ARR_CT] = -1
            return
        caller = ist[IS_CALLER]
        ist[IS_CALLER] = caller + 1
        share = deflect_share(t, dz.deflections)
        if share > 0.0 and rv.uniform(rv.caller_key(dm.stream, ct, seq), 0, rv.DEFLECT, 0, 0) < share:
            continue
        stf[SF_ARR_T] = now + (t - now)
        ist[IS_ARR_K] = P_ARRIVE * CLS_SHIFT + ist[IS_SEQ]
        ist[IS_SEQ] += 1
        ist[IS_ARR_CT] = ct
        ist[IS_ARR_SEQ] = seq
        ist[IS_ARR_ID] = caller
        return


@njit(**_JIT)
def start_contact(records, dz, dm, sl, ev, ist, now, c, caller, ct, ck, row, k):
    """A contact starts in slot ``c`` and enters the IVR (SimpyModel.contact, up to its first yield)."""
    cf, ci = sl.cf, sl.ci
    for x in range(N_CF):
        cf[c, x] = 0.0
    cf[c, CF_ARRIVAL] = now
    cf[c, CF_QARR] = np.nan
    cf[c, CF_ANSWERED_AT] = np.nan
    cf[c, CF_END] = np.nan
    cf[c, CF_CB_WAIT] = np.nan
    ci[c, CI_CALLBACK] = CB_NONE
    ci[c, CI_TRIES] = 0
    ci[c, CI_CALLER] = caller
    ci[c, CI_ATTEMPT] = k
    ci[c, CI_CALL_TYPE] = ct
    ci[c, CI_FIRST_QUEUE] = -1
    ci[c, CI_FIRST_GROUP] = -1
    ci[c, CI_TRANSFERS] = 0
    ci[c, CI_HANDOFFS] = 0
    ci[c, CI_REEXPL] = 0
    ci[c, CI_NLEGS] = 0
    ci[c, CI_OUTCOME] = IN_SYSTEM
    ci[c, CI_LAST_QUEUE] = -1
    ci[c, CI_LAST_GROUP] = -1
    ci[c, CI_RESOLVED] = 0
    ci[c, CI_PC] = PC_IVR
    ci[c, CI_NEED] = 0
    ci[c, CI_LEG] = 0
    ci[c, CI_KIND] = FRESH
    ci[c, CI_HOLDER] = -1
    ci[c, CI_QUEUE] = -1
    ci[c, CI_TICKET] = -1
    ci[c, CI_AGENT] = -1
    ci[c, CI_KEY] = ck
    ci[c, CI_ROW] = row
    ci[c, CI_PREV_GROUP] = -1
    ci[c, CI_RETRY] = 0
    ci[c, CI_EXPERT] = -1
    ci[c, CI_SKIPPED] = 0
    ci[c, CI_NX] = 0
    pool = IS_POOLS + dz.ct_pool[ct]  # the shared trunk lines, or the call type's own
    if dz.pool_lines[pool - IS_POOLS] > 0 and ist[pool] >= dz.pool_lines[pool - IS_POOLS]:  # all busy: a busy signal
        ci[c, CI_OUTCOME] = BLOCKED
        cf[c, CF_END] = now
        retry_maybe(dz, dm, sl, ev, ist, c, now, dz.ct_redial[ct], dm.ct_redial_delay[ct], rv.REDIAL_DELAY, 0.0)
        ci[c, CI_PC] = PC_DONE
        return
    ist[pool] += 1
    if dz.ct_outbound[ct]:  # a dialled customer: no menu, the queue at once (after the events of this instant)
        schedule(ev, ist, now + 0.0, P_ARRIVE, (c << EV_BITS) | EV_RESUME)
        return
    # the IVR end: a FIFO ring, as a constant delay after a non-decreasing clock keeps it sorted
    fmask = ev.ft.shape[0] - 1
    x = (ist[IS_FH] + ist[IS_FN]) & fmask
    ev.ft[x] = now + dz.ivr_time
    ev.fk[x] = P_ARRIVE * CLS_SHIFT + ist[IS_SEQ]
    ev.fc[x] = c
    ist[IS_FN] += 1
    ist[IS_SEQ] += 1


@njit(**_INL)
def on_arrival(records, dz, dm, sl, ev, ist, stf, now):
    """The pending first contact arrives: the next one is made pending, then the contact starts."""
    ct = ist[IS_ARR_CT]
    seq = ist[IS_ARR_SEQ]
    caller = ist[IS_ARR_ID]
    pend_next_arrival(dz, dm, ev, ist, stf, now)
    ck = rv.caller_key(dm.stream, ct, seq)
    row = rv.needs_row(ck, dm.needs_cum[ct], dm.needs_rows[ct])
    c = take_slot(records, sl.c_free, ist, IS_NC, IS_NCF)
    start_contact(records, dz, dm, sl, ev, ist, now, c, caller, ct, ck, row, 0)
    return c


@njit(**_JIT)
def on_retry(records, dz, dm, sl, ev, ist, now, old):
    """A redial or callback: attempt k+1 of the caller of contact ``old`` (whose slot was kept for it)."""
    ci = sl.ci
    c = take_slot(records, sl.c_free, ist, IS_NC, IS_NCF) if records else old
    start_contact(records, dz, dm, sl, ev, ist, now, c, ci[old, CI_CALLER], ci[old, CI_CALL_TYPE], ci[old, CI_KEY],
                  ci[old, CI_ROW], ci[old, CI_ATTEMPT] + 1)
    return c


@njit(**_INL)
def on_patience(dz, ag, sl, ist, tk, seq):
    """Patience runs out: the caller leaves the queue if still waiting (Center.patience_runs_out); the
    sequence check guards against a recycled slot."""
    li = sl.li
    if li[tk, LI_STATE] == T_WAITING and li[tk, LI_PSEQ] == seq:
        li[tk, LI_STATE] = T_MESSAGE if li[tk, LI_MESSAGE] else T_DEAD
        q = li[tk, LI_QUEUE]
        queue_remove(dz, ag, q, ticket_cls(dz, q, li[tk, LI_KIND], sl.ci[li[tk, LI_CONTACT], CI_CALL_TYPE]), tk, li)
        resume_now(ag, ist, li[tk, LI_CONTACT])


@njit(**_JIT)
def on_close(dz, ag, sl, ist):
    """The center closes (at_closing = "disconnect"): every caller waiting in a queue, but those held by an
    agent in a warm handoff, is disconnected, queue by queue, priority class then FCFS (SimpyModel.closing);
    virtual-hold callbacks still queued are dropped (unreached)."""
    ist[IS_CLOSED] = 1
    for q in range(ag.q_live.shape[0]):
        clear_queue(dz, ag, sl, ist, q, True)


@njit(**_JIT)
def clear_queue(dz, ag, sl, ist, q, closing):
    """Every caller waiting in queue q, but those held by an agent in a warm handoff (and virtual-hold callbacks,
    but at ``closing``), is disconnected, priority class then FCFS (Center.disconnect_waiting)."""
    li = sl.li
    for cls in range(dz.n_cls):
        tk = ag.q_head[q * dz.n_cls + cls]
        while tk >= 0:
            nxt = li[tk, LI_NEXT]
            if li[tk, LI_KIND] != HANDOFF and (closing or li[tk, LI_VIRTUAL] == 0):
                queue_remove(dz, ag, q, cls, tk, li)
                li[tk, LI_STATE] = T_DISCONNECTED
                resume_now(ag, ist, li[tk, LI_CONTACT])
            tk = nxt


@njit(**_JIT)
def clear_unstaffed(dz, ag, sl, ist, dropped):
    """when_unstaffed = "disconnect": the queues (in queue order) taken by group ``dropped`` and left without a
    scheduled agent in any group are cleared (Center.unstaffed)."""
    for q in range(ag.q_live.shape[0]):
        mine = False
        for j in range(dz.gq_n[dropped]):
            if dz.gq[dropped, j] == q:
                mine = True
        if not mine or ag.q_live[q] == 0:
            continue
        empty = True
        for j in range(dz.qg_n[q]):
            g = dz.qg[q, j]
            if ag.gr_present[g] - ag.gr_leaving[g] > 0:
                empty = False
        if empty:
            clear_queue(dz, ag, sl, ist, q, False)


@njit(**_JIT)
def on_staff(dz, ag, ta, sl, ev, ist, now, i):
    """Interval ``i`` starts: every group's staffing changes (with when_unstaffed = "disconnect", queues whose
    last agent left are cleared); the next change is scheduled (SimpyModel.staffing)."""
    G = dz.speed.shape[0]
    for g in range(G):
        set_staffing(dz, ag, ta, sl, ev, g, dz.staffing[g, i], now, ist)
    if dz.disconnect_unstaffed:  # groups whose last scheduled agent just left (scheduled = the staffing)
        for g in range(G):
            if i > 0 and dz.staffing[g, i - 1] > 0 and dz.staffing[g, i] == 0:
                clear_unstaffed(dz, ag, sl, ist, g)
    i += 1
    if i < dz.n_int:
        t = i * dz.interval
        if t < dz.horizon:
            schedule(ev, ist, now + (t - now), P_STAFF, (i << EV_BITS) | EV_STAFF)


@njit(**_JIT)
def retry_maybe(dz, dm, sl, ev, ist, c, now, prob, delay_row, purpose, extra):
    """After a contact ends: the caller comes back (attempt k+1) with probability ``prob``, ``extra`` +
    a delay later, if before the horizon (SimpyModel.retry)."""
    ci = sl.ci
    k = ci[c, CI_ATTEMPT]
    ct = ci[c, CI_CALL_TYPE]
    ck = ci[c, CI_KEY]
    if k + 1 < dz.ct_max_attempts[ct] and rv.uniform(ck, k, rv.RETRY, 0, 0) < prob:
        delay = extra + ddraw(dm, delay_row, ck, k, purpose, 0)
        if now + delay < dz.horizon:
            schedule(ev, ist, now + delay, P_ARRIVE, (c << EV_BITS) | EV_RETRY)
            ci[c, CI_RETRY] = 1


@njit(**_INL)
def end_unanswered(records, dz, ta, sl, c, tk, outcome, now):
    """The waiting leg tk ends unanswered with ``outcome``, and so does its contact (SimpyModel._leg_close and the
    contact's outcome)."""
    cf, ci, lf, li = sl.cf, sl.ci, sl.lf, sl.li
    wait = now - lf[tk, LF_ENTER]
    lf[tk, LF_WAIT] = wait
    li[tk, LI_OUTCOME] = outcome
    cf[c, CF_WAIT] += wait
    if ci[c, CI_HOLDER] >= 0:
        cf[c, CF_HOLD] += wait
    if not records:
        tally_leg(dz, ta, sl, c, tk)
    ci[c, CI_OUTCOME] = outcome
    ci[c, CI_LAST_QUEUE] = ci[c, CI_QUEUE]
    cf[c, CF_END] = now


@njit(**_INL)
def leave_waiting(records, dz, ta, sl, ev, ist, c, tk, outcome, now):
    """The caller leaves the queue unanswered (hung up, or disconnected at closing): the leg and the contact end,
    the line is free (SimpyModel.contact's branches after ``yield ticket.done``)."""
    cf, ci = sl.cf, sl.ci
    end_unanswered(records, dz, ta, sl, c, tk, outcome, now)
    mt = dz.q_message_time[ci[c, CI_QUEUE]] if outcome == MESSAGE else 0.0
    if mt > 0.0:  # recording the message, the line held
        cf[c, CF_END] = now + mt
        schedule(ev, ist, now + mt, P_DEPART, (dz.ct_pool[ci[c, CI_CALL_TYPE]] << EV_BITS) | EV_LINE)
    else:
        ist[IS_POOLS + dz.ct_pool[ci[c, CI_CALL_TYPE]]] -= 1


@njit(**_INL)
def advance(records, dz, dm, ag, ta, sl, ev, ist, c, lbl, now):
    """The contact process of slot ``c`` from program point ``lbl`` to its next yield or its end: the body of
    SimpyModel.contact (each ``PC_*`` label is one of its yields, each ``L_*`` a place in it)."""
    cf, ci, lf, li = sl.cf, sl.ci, sl.lf, sl.li
    k = ci[c, CI_ATTEMPT]
    ct = ci[c, CI_CALL_TYPE]
    ck = ci[c, CI_KEY]
    row = ci[c, CI_ROW]
    n_base = dm.n_needs[ct, row]  # the caller's own needs (post-service routing adds ci[c, CI_NX] more)
    per = 0  # laws by period: the column of the contact's arrival interval
    if dm.skill_talk.shape[1] > 1:
        per = min(int(cf[c, CF_ARRIVAL] // dm.law_interval), dm.skill_talk.shape[1] - 1)
    y_t = 0.0
    y_pc = 0
    rel_a = 0
    rel_acw = 0.0
    rel_next = 0
    while True:
        if lbl == PC_IVR:  # the menu is over: the option pressed leads to a queue
            cf[c, CF_QARR] = now
            opt = rv.option_pressed(ck, k, dm.needs[ct, row, 0], dm.misroute[ct], dm.n_skills)
            ci[c, CI_QUEUE] = dz.route_entry[opt]
            lbl = L_ENQUEUE
        elif lbl == L_ENQUEUE:  # a queue leg opens (Center.enqueue, SimpyModel._leg_open)
            q = ci[c, CI_QUEUE]
            kind = ci[c, CI_KIND]
            cls = ticket_cls(dz, q, kind, ct)
            old = ci[c, CI_TICKET]
            if not records and old >= 0:  # the previous leg's slot is free now
                free_leg(sl, ist, old)
            tk = take_slot(records, sl.l_free, ist, IS_NL, IS_NLF)
            li[tk, LI_CONTACT] = c
            li[tk, LI_LEG] = ci[c, CI_LEG]
            li[tk, LI_QUEUE] = q
            li[tk, LI_KIND] = kind
            li[tk, LI_GROUP] = -1
            li[tk, LI_AGENT] = -1
            li[tk, LI_OUTCOME] = IN_SYSTEM
            li[tk, LI_NEXT] = -1
            li[tk, LI_PREV] = -1
            li[tk, LI_STATE] = T_WAITING
            li[tk, LI_AG] = -1
            li[tk, LI_PSEQ] = -1
            li[tk, LI_MESSAGE] = 0
            li[tk, LI_OSEQ] = -1
            li[tk, LI_OJ] = 0
            li[tk, LI_VIRTUAL] = 0
            lf[tk, LF_ENTER] = now
            lf[tk, LF_QENTER] = now
            ahead = ag.q_live[q]  # callers already waiting (a callback offer may depend on it)
            lf[tk, LF_WAIT] = np.nan
            lf[tk, LF_AGENT_END] = np.nan
            lf[tk, LF_TALK] = 0.0
            ci[c, CI_TICKET] = tk
            a = select_agent(dz, ag, q, ck, k, ci[c, CI_LEG], 0.0, 0)
            if a >= 0:
                connect(ag, tk, a, now, li, ist)
            elif (ist[IS_CLOSED] == 1 and ci[c, CI_HOLDER] < 0) or (
                    kind == TRANSFER and dz.route_nowait[need_skill(dm, ci, c, ct, row, ci[c, CI_NEED])]):  # closed, or may not wait
                li[tk, LI_STATE] = T_DISCONNECTED
            else:
                queue_push(dz, ag, q, cls, tk, li)
            if ci[c, CI_NLEGS] == 0:
                ci[c, CI_FIRST_QUEUE] = q
            ci[c, CI_NLEGS] += 1
            if a < 0:
                if li[tk, LI_STATE] == T_DISCONNECTED:
                    lbl = PC_WAIT
                    continue
                if ci[c, CI_HOLDER] < 0:  # held by an agent: never hangs up
                    leg = ci[c, CI_LEG]
                    kp = 0 if dm.same_patience[ct] else k
                    balk = rv.balks(ck, kp, leg, dm.balk[ct])
                    if (kind == FRESH and not dz.ct_outbound[ct] and not balk
                            and offers_callback(dz, ag, q, ahead)):  # virtual hold offered (to inbound callers)
                        ci[c, CI_CALLBACK] = CB_DECLINED
                        if rv.uniform(ck, k, rv.VHOLD, leg, 0) < dm.vh_accept[ct]:  # accepted: hangs up, line free
                            ci[c, CI_CALLBACK] = CB_ACCEPTED
                            li[tk, LI_VIRTUAL] = 1
                            ist[IS_POOLS + dz.ct_pool[ct]] -= 1
                    if li[tk, LI_VIRTUAL] == 0:
                        p = 0.0 if balk else ddraw(dm, dm.ct_patience[ct, per], ck, kp, rv.PATIENCE, leg)
                        if dz.q_max_wait[q] < p:  # the queue sends the caller to leave a message first
                            p = dz.q_max_wait[q]
                            li[tk, LI_MESSAGE] = 1
                        if math.isfinite(p):
                            li[tk, LI_PSEQ] = schedule(ev, ist, now + p, P_ABANDON, (tk << EV_BITS) | EV_PATIENCE)
                if dz.q_nd[q] > 0:  # overflow: the first delay after which more groups take the caller
                    li[tk, LI_OSEQ] = schedule(ev, ist, now + dz.q_delays[q, 0], P_ABANDON, (tk << EV_BITS) | EV_OVERFLOW)
                ci[c, CI_PC] = PC_WAIT
                return
            lbl = L_ANSWERED
        elif lbl == PC_WAIT:  # resumed: answered, disconnected at closing, or patience ran out first
            tk = ci[c, CI_TICKET]
            if li[tk, LI_STATE] == T_CONNECTED:
                lbl = L_ANSWERED
                continue
            if li[tk, LI_VIRTUAL] == 1:  # a callback still queued when the center closed
                lbl = L_UNREACHED
                continue
            if li[tk, LI_STATE] == T_DISCONNECTED or li[tk, LI_STATE] == T_MESSAGE:  # closed, or a message
                leave_waiting(records, dz, ta, sl, ev, ist, c, tk,
                              DISCONNECTED if li[tk, LI_STATE] == T_DISCONNECTED else MESSAGE, now)
                ci[c, CI_PC] = PC_DONE
                return
            leave_waiting(records, dz, ta, sl, ev, ist, c, tk, ABANDONED, now)
            retry_maybe(dz, dm, sl, ev, ist, c, now, dz.ct_redial[ct], dm.ct_redial_delay[ct], rv.REDIAL_DELAY, 0.0)
            ci[c, CI_PC] = PC_DONE
            return
        elif lbl == L_ANSWERED:  # an agent answered (SimpyModel._leg_close)
            tk = ci[c, CI_TICKET]
            a = li[tk, LI_AG]
            if li[tk, LI_VIRTUAL] == 1:  # virtual hold: the agent dials the caller back first
                ci[c, CI_AGENT] = a
                y_t = now + dz.q_cb_dial[ci[c, CI_QUEUE]]
                y_pc = PC_DIAL
                lbl = L_YIELD
                continue
            g = ag.ag_group[a]
            wait = now - lf[tk, LF_ENTER]
            lf[tk, LF_WAIT] = wait
            li[tk, LI_OUTCOME] = ANSWERED
            cf[c, CF_WAIT] += wait
            holder = ci[c, CI_HOLDER]
            if holder >= 0:
                cf[c, CF_HOLD] += wait
            li[tk, LI_GROUP] = g
            li[tk, LI_AGENT] = a - ag.g_off[g]
            if not records:
                tally_leg(dz, ta, sl, c, tk)
            if ci[c, CI_FIRST_GROUP] < 0:
                ci[c, CI_FIRST_GROUP] = g
                cf[c, CF_ANSWERED_AT] = now
            ci[c, CI_AGENT] = a
            if holder >= 0:  # warm handoff: brief the teammate
                y_t = now + dz.handoff_time
                y_pc = PC_HANDOFF
                lbl = L_YIELD
            elif ci[c, CI_KIND] == TRANSFER:  # cold transfer: tell the story again
                y_t = now + dz.reexplain_time
                y_pc = PC_REEXPLAIN
                lbl = L_YIELD
            else:
                cf[c, CF_ACW] = 0.0
                lbl = L_LOOP
        elif lbl == PC_HANDOFF:  # the briefing is over: the first agent is released
            ci[c, CI_HANDOFFS] += 1
            rel_a = ci[c, CI_HOLDER]
            rel_acw = cf[c, CF_HOLDER_ACW]
            rel_next = L_LOOP
            ci[c, CI_HOLDER] = -1
            cf[c, CF_ACW] = 0.0
            lbl = L_RELEASE
        elif lbl == PC_REEXPLAIN:
            ci[c, CI_REEXPL] += 1
            cf[c, CF_ACW] = 0.0
            lbl = L_LOOP
        elif lbl == L_LOOP:  # serve every need this agent can
            need = ci[c, CI_NEED]
            g = ag.ag_group[ci[c, CI_AGENT]]
            if need < n_base + ci[c, CI_NX]:
                skill = need_skill(dm, ci, c, ct, row, need)
                sp = dz.speed[g, skill]
                if sp > 0:
                    y_t = now + ddraw(dm, dm.skill_talk[skill, per], ck, k, rv.TALK, need) / sp
                    y_pc = PC_TALK
                    lbl = L_YIELD
                    continue
            lbl = L_AFTER
        elif lbl == PC_TALK:  # a need is served; its ACW is added to the agent's
            need = ci[c, CI_NEED]
            g = ag.ag_group[ci[c, CI_AGENT]]
            skill = need_skill(dm, ci, c, ct, row, need)
            dt = ddraw(dm, dm.skill_talk[skill, per], ck, k, rv.TALK, need) / dz.speed[g, skill]
            cf[c, CF_TALK] += dt
            lf[ci[c, CI_TICKET], LF_TALK] += dt
            cf[c, CF_ACW] += ddraw(dm, dm.skill_acw[skill, per], ck, k, rv.ACW, need)
            ci[c, CI_NEED] = need + 1
            lbl = L_LOOP
        elif lbl == L_AFTER:  # done with this agent: finished, or the next need is not this agent's
            a = ci[c, CI_AGENT]
            g = ag.ag_group[a]
            need = ci[c, CI_NEED]
            if need == n_base + ci[c, CI_NX]:
                nx = ci[c, CI_NX]
                if nx < dz.max_after:  # the group's post-service routing table may add a need
                    more = after_service(dz, ck, k, g, nx)
                    if more >= 0:
                        ci[c, CI_X0 + nx] = more
                        ci[c, CI_NX] = nx + 1
                        lbl = L_LOOP
                        continue
                ci[c, CI_LAST_GROUP] = g  # as SimPy: set when the caller leaves this agent
                rel_a = a
                rel_acw = cf[c, CF_ACW]
                rel_next = L_FINISH
                lbl = L_RELEASE
                continue
            skill = need_skill(dm, ci, c, ct, row, need)
            if dz.route_consult[skill]:  # consult an idle agent of the route's groups, both on the line
                e = select_agent(dz, ag, dz.route_transfer[skill], ck, k, ci[c, CI_LEG], 0.0, CONSULT_SUB + need)
                if e < 0:  # nobody free: the consult is skipped, the need is left (the contact is unresolved)
                    ci[c, CI_SKIPPED] = 1
                    ci[c, CI_LAST_GROUP] = g
                    rel_a = a
                    rel_acw = cf[c, CF_ACW]
                    rel_next = L_FINISH
                    lbl = L_RELEASE
                    continue
                engage(ag, e, now, ist, -1)
                ci[c, CI_EXPERT] = e
                y_t = now + ddraw(dm, dm.skill_talk[skill, per], ck, k, rv.TALK, need) / dz.speed[ag.ag_group[e], skill]
                y_pc = PC_CONSULT
                lbl = L_YIELD
                continue
            ci[c, CI_LAST_GROUP] = g
            ci[c, CI_QUEUE] = dz.route_transfer[skill]
            ci[c, CI_LEG] += 1
            ci[c, CI_PREV_GROUP] = g
            if dz.route_warm[skill] or (dz.route_conference[skill] and has_idle(dz, ag, dz.route_transfer[skill])):
                ci[c, CI_HOLDER] = a
                cf[c, CF_HOLDER_ACW] = cf[c, CF_ACW]
                ci[c, CI_KIND] = HANDOFF
                lbl = L_ENQUEUE
            else:
                y_t = now + dz.transfer_time
                y_pc = PC_TRANSFER
                lbl = L_YIELD
        elif lbl == PC_CONSULT:  # the consulted agent served the need: released, with that need's ACW
            need = ci[c, CI_NEED]
            e = ci[c, CI_EXPERT]
            skill = need_skill(dm, ci, c, ct, row, need)
            dt = ddraw(dm, dm.skill_talk[skill, per], ck, k, rv.TALK, need) / dz.speed[ag.ag_group[e], skill]
            cf[c, CF_TALK] += dt
            lf[ci[c, CI_TICKET], LF_TALK] += dt
            rel_a = e
            rel_acw = ddraw(dm, dm.skill_acw[skill, per], ck, k, rv.ACW, need)
            rel_next = L_LOOP
            ci[c, CI_NEED] = need + 1
            lbl = L_RELEASE
        elif lbl == PC_TRANSFER:  # the cold transfer is made: the agent is released, the caller re-queues
            ci[c, CI_TRANSFERS] += 1
            ci[c, CI_KIND] = TRANSFER
            rel_a = ci[c, CI_AGENT]
            rel_acw = cf[c, CF_ACW]
            rel_next = L_ENQUEUE
            lbl = L_RELEASE
        elif lbl == PC_DIAL:  # the dial is over: the caller answers (connected), or the agent is free (no ACW)
            tk = ci[c, CI_TICKET]
            q = ci[c, CI_QUEUE]
            cf[c, CF_DIAL] += dz.q_cb_dial[q]
            tries = ci[c, CI_TRIES]
            if rv.uniform(ck, k, rv.VHOLD, ci[c, CI_LEG], 1 + tries) < dm.vh_answer[ct]:
                li[tk, LI_VIRTUAL] = 0
                cf[c, CF_CB_WAIT] = now - lf[tk, LF_ENTER]
                lbl = L_ANSWERED
                continue
            rel_a = ci[c, CI_AGENT]
            ag.ag_leg[rel_a] = -1  # not the leg's answering agent: the record keeps no agent end
            rel_acw = 0.0
            if tries >= dz.q_cb_retries[q]:
                rel_next = L_UNREACHED
            else:
                ci[c, CI_TRIES] = tries + 1
                rel_next = L_RETRY_WAIT
            lbl = L_RELEASE
        elif lbl == L_RETRY_WAIT:  # the unanswered callback rejoins the back of its queue retry_delay later
            schedule(ev, ist, now + dz.q_cb_delay[ci[c, CI_QUEUE]], P_ARRIVE, (c << EV_BITS) | EV_RESUME)
            ci[c, CI_PC] = PC_REJOIN
            return
        elif lbl == PC_REJOIN:  # the callback rejoins its queue: taken at once by an idle agent, or waits again
            tk = ci[c, CI_TICKET]
            q = ci[c, CI_QUEUE]
            li[tk, LI_STATE] = T_WAITING
            li[tk, LI_AG] = -1
            li[tk, LI_PSEQ] = -1
            li[tk, LI_OSEQ] = -1
            li[tk, LI_OJ] = 0
            lf[tk, LF_QENTER] = now
            a = select_agent(dz, ag, q, ck, k, ci[c, CI_LEG], 0.0, REJOIN_SUB + ci[c, CI_TRIES])
            if a >= 0:
                connect(ag, tk, a, now, li, ist)
                lbl = L_ANSWERED
                continue
            if ist[IS_CLOSED] == 1:  # the center has closed: nobody calls back
                lbl = L_UNREACHED
                continue
            queue_push(dz, ag, q, ticket_cls(dz, q, FRESH, ct), tk, li)
            if dz.q_nd[q] > 0:
                li[tk, LI_OSEQ] = schedule(ev, ist, now + dz.q_delays[q, 0], P_ABANDON, (tk << EV_BITS) | EV_OVERFLOW)
            ci[c, CI_PC] = PC_WAIT
            return
        elif lbl == L_UNREACHED:  # the callback never reached the caller: the leg and the contact end (no line held)
            end_unanswered(records, dz, ta, sl, c, ci[c, CI_TICKET], UNREACHED, now)
            ci[c, CI_PC] = PC_DONE
            return
        elif lbl == L_YIELD:  # a phase with an agent: resume at its end
            schedule(ev, ist, y_t, P_DEPART, (c << EV_BITS) | EV_RESUME)
            ci[c, CI_PC] = y_pc
            return
        elif lbl == L_RELEASE:  # the caller leaves agent rel_a, who does rel_acw of after-call work
            cf[c, CF_AGENT_TIME] += now + rel_acw - ag.ag_busy_since[rel_a]
            if rel_acw > 0:
                schedule(ev, ist, now + rel_acw, P_DEPART, (rel_a << EV_BITS) | EV_ACW)
            else:
                on_agent_free(records, dz, ag, ta, sl, ev, rel_a, now, ist)
            lbl = rel_next
        else:  # L_FINISH: every need served
            ci[c, CI_OUTCOME] = ANSWERED
            ci[c, CI_LAST_QUEUE] = ci[c, CI_QUEUE]
            if dz.survey_take_rate > 0.0 and rv.uniform(ck, k, rv.SURVEY, 0, 0) < dz.survey_take_rate:
                cf[c, CF_SURVEY] = dz.survey_time
            p = min(1.0, dz.ct_resolution[ct] * dz.resolution_factor
                    * math.pow(dz.cold_factor, float(ci[c, CI_TRANSFERS])))
            resolved = rv.uniform(ck, k, rv.RESOLVE, 0, 0) < p and ci[c, CI_SKIPPED] == 0
            ci[c, CI_RESOLVED] = 1 if resolved else 0
            sv = cf[c, CF_SURVEY]
            cf[c, CF_END] = now + sv
            if dz.pool_lines[dz.ct_pool[ct]] > 0 and ci[c, CI_CALLBACK] != CB_ACCEPTED:  # the line is free when
                # the caller leaves, after the survey (a callback holds no line: dialled on lines not modelled)
                if sv > 0:
                    schedule(ev, ist, now + sv, P_DEPART, (dz.ct_pool[ct] << EV_BITS) | EV_LINE)
                else:
                    ist[IS_POOLS + dz.ct_pool[ct]] -= 1
            if not resolved:
                retry_maybe(dz, dm, sl, ev, ist, c, now, dz.ct_callback[ct], dm.ct_callback_delay[ct],
                            rv.CALLBACK_DELAY, sv)
            ci[c, CI_PC] = PC_DONE
            return


# ---------------------------------------------------------------------------- the event loop
@njit(**_JIT)
def event_loop(records, dz, dm, ag, ta, sl, ev, ist, stf):
    """Process events until the end of the run (returns RUN_DONE) or until an array is full (returns
    which one; the driver grows it and calls again). Scalars live in ``ist``/``stf`` between calls.

    Timed steps come from three sources merged by the same (time, class, sequence) key: the binary heap;
    the pending first arrival (one at a time, as SimPy's arrivals process); and the IVR ends, a FIFO ring."""
    now = stf[SF_NOW]
    if ist[IS_STARTED] == 0:
        # SimPy starts the staffing process, then the arrivals process, each scheduling its first step
        ist[IS_STARTED] = 1
        if dz.n_int > 0 and 0.0 < dz.horizon:
            schedule(ev, ist, now + (0.0 - now), P_STAFF, EV_STAFF)
        if dz.mk_t.shape[0] > 0:  # then the break clock
            schedule(ev, ist, now + (dz.mk_t[0] - now), P_STAFF, EV_BREAK)
        if dz.dial_ct >= 0:  # then the dialer
            schedule(ev, ist, now + (dz.dial_start - now), P_STAFF, EV_DIAL_START)
        rv.arrivals_start(dm.stream, dm.busy, dm.seg_end, dm.seg_rate, dm.seg_day, dm.ct_seg, ev.nt, ev.ns, ev.nq)
        pend_next_arrival(dz, dm, ev, ist, stf, now)
        if dz.disconnect_at_close:  # SimPy starts the closing process third
            schedule(ev, ist, now + (dz.horizon - now), P_ARRIVE, EV_CLOSE)
    fmask = ev.ft.shape[0] - 1
    code = RUN_DONE
    while True:
        c = -1
        # room for what one event can create; if not, return to the driver, which grows the arrays
        if ist[IS_HN] + 8 + dz.brk_room > ev.ht.shape[0]:
            code = RUN_GROW_HEAP
        elif (records or ist[IS_NCF] < 2) and ist[IS_NC] + 2 > sl.cf.shape[0]:
            code = RUN_GROW_CONTACTS
        elif (records or ist[IS_NLF] < 4) and ist[IS_NL] + 4 > sl.lf.shape[0]:
            code = RUN_GROW_LEGS
        elif ist[IS_FN] + 2 > ev.ft.shape[0]:
            code = RUN_GROW_FIFO
        if code != RUN_DONE:
            break

        lbl = PC_WAIT
        if ist[IS_DIAL_PEND] < ist[IS_DIAL_SEQ]:  # dialled contacts start first (SimPy: urgent process starts)
            c = on_dialled(records, dz, dm, sl, ev, ist, now)
            if c < 0:
                continue
            lbl = -1
        elif ist[IS_MH] < ist[IS_MT]:  # an instant event: a waiting caller resumes
            c = ag.micro[ist[IS_MH]]
            ist[IS_MH] += 1
        else:
            ist[IS_MH] = 0
            ist[IS_MT] = 0
            # the earliest of: heap top, pending arrival, IVR FIFO head
            src = -1
            bt = np.inf
            bk = 0
            if ist[IS_HN] > 0:
                src = 0
                bt = ev.ht[0]
                bk = ev.hk[0]
            if ist[IS_ARR_CT] >= 0:
                at = stf[SF_ARR_T]
                ak = ist[IS_ARR_K]
                if at < bt or (at == bt and ak < bk):
                    src = 1
                    bt = at
                    bk = ak
            if ist[IS_FN] > 0:
                fh = ist[IS_FH]
                x = ev.ft[fh]
                if x < bt or (x == bt and ev.fk[fh] < bk):
                    src = 2
                    bt = x
                    bk = ev.fk[fh]
            if src < 0 or bt >= dz.end_time:
                break
            now = bt
            stf[SF_NOW] = now
            if src == 1:
                c = on_arrival(records, dz, dm, sl, ev, ist, stf, now)
                lbl = -1  # in the IVR, or blocked
            elif src == 2:
                fh = ist[IS_FH]
                c = ev.fc[fh]
                ist[IS_FH] = (fh + 1) & fmask
                ist[IS_FN] -= 1
                lbl = PC_IVR
            else:
                pay = ev.hp[0]
                ist[IS_HN] = heap_pop_fix(ev.ht, ev.hk, ev.hp, ist[IS_HN])
                typ = pay & EV_MASK
                pid = pay >> EV_BITS
                if typ == EV_RESUME:
                    c = pid
                    lbl = sl.ci[c, CI_PC]
                elif typ == EV_PATIENCE:
                    on_patience(dz, ag, sl, ist, pid, bk & SEQ_MASK)
                    continue
                elif typ == EV_ACW:
                    on_agent_free(records, dz, ag, ta, sl, ev, pid, now, ist)
                    continue
                elif typ == EV_BREAK:
                    on_break_mark(dz, ag, ta, ev, ist, pid, now)
                    continue
                elif typ == EV_BRK_END:
                    on_break_end(records, dz, ag, ta, sl, ev, pid, now, ist)
                    continue
                elif typ == EV_DIAL_START:
                    dial(dz, ag, ta, ist, now)
                    continue
                elif typ == EV_STAFF:
                    on_staff(dz, ag, ta, sl, ev, ist, now, pid)
                    continue
                elif typ == EV_LINE:  # a caller left after the survey or a message: their line is free
                    ist[IS_POOLS + pid] -= 1
                    continue
                elif typ == EV_CLOSE:
                    on_close(dz, ag, sl, ist)
                    continue
                elif typ == EV_OVERFLOW:
                    on_overflow(dz, ag, sl, ev, ist, pid, bk & SEQ_MASK, now)
                    continue
                else:  # EV_RETRY
                    c = on_retry(records, dz, dm, sl, ev, ist, now, pid)
                    lbl = -1  # in the IVR, or blocked
        if lbl >= 0:
            advance(records, dz, dm, ag, ta, sl, ev, ist, c, lbl, now)  # the contact's process, to its next yield
        if sl.ci[c, CI_PC] == PC_DONE and not records:  # count it now and recycle its slots
            tally_contact(dz, ta, sl, c)
            tk = sl.ci[c, CI_TICKET]
            if tk >= 0:
                free_leg(sl, ist, tk)
                sl.ci[c, CI_TICKET] = -1
            if sl.ci[c, CI_RETRY] == 0:  # a slot with a retry pending is reused by it
                sl.c_free[ist[IS_NCF]] = c
                ist[IS_NCF] += 1
    stf[SF_NOW] = now
    return code


# ---------------------------------------------------------------------------- the end of the run
@njit(**_JIT)
def finish(records, dz, ag, ta, sl, busy_order, live, nc, nl):
    """Callers still waiting get their wait up to the end; busy and present agent time is counted up to it.

    ``busy_order``: agents still busy, in the order they answered (the SimPy engine's dict order);
    ``live`` (records=False): the contact slots still in the system, which are tallied here.
    """
    now = dz.end_time
    cf, ci, lf, li = sl.cf, sl.ci, sl.lf, sl.li
    if records:
        for tk in range(nl):
            if li[tk, LI_OUTCOME] == IN_SYSTEM and math.isnan(lf[tk, LF_WAIT]):
                lf[tk, LF_WAIT] = now - lf[tk, LF_ENTER]
                cf[li[tk, LI_CONTACT], CF_WAIT] += lf[tk, LF_WAIT]
                if li[tk, LI_KIND] == HANDOFF:  # still on hold with an agent
                    cf[li[tk, LI_CONTACT], CF_HOLD] += lf[tk, LF_WAIT]
    else:
        for c in range(nc):
            if live[c] and ci[c, CI_PC] != PC_DONE:
                tk = ci[c, CI_TICKET]
                if tk >= 0 and li[tk, LI_OUTCOME] == IN_SYSTEM and math.isnan(lf[tk, LF_WAIT]):
                    lf[tk, LF_WAIT] = now - lf[tk, LF_ENTER]
                    cf[c, CF_WAIT] += lf[tk, LF_WAIT]
                    if li[tk, LI_KIND] == HANDOFF:
                        cf[c, CF_HOLD] += lf[tk, LF_WAIT]
                    tally_leg(dz, ta, sl, c, tk)
                tally_contact(dz, ta, sl, c)
    for x in range(busy_order.shape[0]):
        a = busy_order[x]
        clock_add(ta.busy, ta.busy_w, ag.ag_group[a], ag.ag_busy_since[a], now, 1.0, dz.warmup, dz.horizon,
                  dz.interval, dz.n_int)
    for g in range(ag.gr_present.shape[0]):
        staffed_mark(dz, ag, ta, g, now)


# ---------------------------------------------------------------------------- the driver (plain Python)
def _grow(a: np.ndarray, n: int) -> np.ndarray:
    b = np.empty((a.shape[0] * 2,) + a.shape[1:], a.dtype)
    b[:n] = a[:n]
    return b


def _new_tally(dz: DESIGN, n_legs: int) -> TALLY:
    """Zeroed tallies (agent time by interval, and the KPI tables' sums of contacts with up to n_legs legs)."""
    G, Q, n_int, L = dz.speed.shape[0], dz.qg.shape[0], dz.n_int, n_legs
    return TALLY(
        busy=np.zeros((G, n_int + 1)), staffed=np.zeros((G, n_int + 1)), busy_w=np.zeros(G), staffed_w=np.zeros(G),
        kpi=np.zeros((dz.ct_sl.shape[0], N_KPI)), by_interval=np.zeros((n_int, N_BI)), by_queue=np.zeros((Q, N_BQ)),
        by_group=np.zeros(G), wait_hist=np.zeros(dz.wait_grid.shape[0] + 1), flow_in=np.zeros((L, G + 1, Q)),
        flow_out=np.zeros((L, Q, G + 5)), flow_end=np.zeros((L, G, 3)))


def _new_events(cap: int, C: int) -> EVENTS:
    """The event heap, the IVR-end FIFO ring (capacity a power of two), the pending caller of each call type."""
    return EVENTS(ht=np.empty(cap), hk=np.empty(cap, np.int64), hp=np.empty(cap, np.int64), ft=np.empty(cap),
                  fk=np.empty(cap, np.int64), fc=np.empty(cap, np.int64), nt=np.empty(C), ns=np.empty(C, np.int64),
                  nq=np.empty(C, np.int64))


def run_kernel(records: bool, dz: DESIGN, dm: DEMAND, n_legs: int, cap_contacts: int, cap_legs: int,
               small: bool = False):
    """One replication: allocate the state, run the compiled event loop (growing arrays when it asks), finish.

    Returns (slots, tallies, nc, nl): the record arrays (rows 0..nc-1 and 0..nl-1 when ``records``) and the
    tallies (agent time always; the rest only without records). ``n_legs``: legs a contact can have at
    most (journey tallies). ``small`` (tests): start every growable array tiny, to exercise the growth paths.
    """
    G = dz.speed.shape[0]
    Q = dz.qg.shape[0]
    C = dm.ct_seg.shape[0] - 1
    g_maxa = dz.g_maxa
    # agents: global index = g_off[g] + id, ids 0 .. g_maxa[g]-1
    g_off = np.zeros(G + 1, np.int64)
    g_off[1:] = np.cumsum(g_maxa)
    A = int(g_off[G])
    ag = AGENTS(
        g_off=g_off, ag_group=np.repeat(np.arange(G, dtype=np.int64), g_maxa), ag_busy_since=np.full(A, np.nan),
        ag_busy=np.zeros(A, np.bool_), ag_leg=np.full(A, -1, np.int64), ag_order=np.zeros(A, np.int64),
        id_used=np.zeros(A, np.bool_), gr_present=np.zeros(G, np.int64), gr_leaving=np.zeros(G, np.int64),
        gr_since=np.zeros(G), idle_buf=np.zeros((G, max(1, int(g_maxa.max(initial=1)))), np.int64),
        # instant events: each agent and each contact at most once (closing disconnects every waiting contact)
        idle_head=np.zeros(G, np.int64), idle_n=np.zeros(G, np.int64), ag_idle_seq=np.zeros(A, np.int64),
        micro=np.zeros(A + 8 + (4 if small else max(cap_contacts, 16)), np.int64),
        # queues: a FIFO doubly linked list per class (ticket_cls) of each queue, through the ticket (leg) rows
        q_head=np.full(dz.n_cls * Q, -1, np.int64), q_tail=np.full(dz.n_cls * Q, -1, np.int64),
        q_live=np.zeros(Q, np.int64), gr_brk=np.zeros(G, np.int64), gr_owe=np.zeros(G, np.int64),
        br_owed=np.zeros(dz.br_group.shape[0], np.int64), br_forced=np.zeros(dz.br_group.shape[0], np.bool_),
        dial_last=np.full(1, -np.inf))
    ta = _new_tally(dz, n_legs if not records else 1)
    cap_c, cap_l, cap_h = (4, 4, 16) if small else (max(cap_contacts, 16), max(cap_legs, 16), 1024)
    sl = SLOTS(cf=np.empty((cap_c, N_CF)), ci=np.empty((cap_c, N_CI), np.int64), lf=np.empty((cap_l, N_LF)),
               li=np.empty((cap_l, N_LI), np.int64), c_free=np.empty(cap_c, np.int64), l_free=np.empty(cap_l, np.int64))
    ev = _new_events(cap_h, C)
    ist = np.zeros(N_IS + dz.pool_lines.shape[0], np.int64)
    stf = np.zeros(2)
    while True:
        code = event_loop(records, dz, dm, ag, ta, sl, ev, ist, stf)
        if code == RUN_DONE:
            break
        if code == RUN_GROW_HEAP:
            n = int(ist[IS_HN])
            ev = ev._replace(ht=_grow(ev.ht, n), hk=_grow(ev.hk, n), hp=_grow(ev.hp, n))
        elif code == RUN_GROW_CONTACTS:
            n = int(ist[IS_NC])
            sl = sl._replace(cf=_grow(sl.cf, n), ci=_grow(sl.ci, n), c_free=_grow(sl.c_free, int(ist[IS_NCF])))
            micro = np.zeros(A + 8 + sl.cf.shape[0], np.int64)
            micro[: int(ist[IS_MT])] = ag.micro[: int(ist[IS_MT])]
            ag = ag._replace(micro=micro)
        elif code == RUN_GROW_LEGS:
            n = int(ist[IS_NL])
            sl = sl._replace(lf=_grow(sl.lf, n), li=_grow(sl.li, n), l_free=_grow(sl.l_free, int(ist[IS_NLF])))
        else:  # unroll the ring into a twice larger one
            h, n = int(ist[IS_FH]), int(ist[IS_FN])
            order = (h + np.arange(n)) % ev.ft.shape[0]
            ft, fk, fc = (np.concatenate([a[order], np.empty(2 * a.shape[0] - n, a.dtype)])
                          for a in (ev.ft, ev.fk, ev.fc))
            ev = ev._replace(ft=ft, fk=fk, fc=fc)
            ist[IS_FH] = 0
    nc, nl = int(ist[IS_NC]), int(ist[IS_NL])
    live = np.zeros(nc, np.bool_)
    if not records:
        live[:] = True
        live[sl.c_free[: int(ist[IS_NCF])]] = False
    busy_agents = np.flatnonzero(ag.ag_busy)
    busy_order = busy_agents[np.argsort(ag.ag_order[busy_agents], kind="stable")].astype(np.int64)
    finish(records, dz, ag, ta, sl, busy_order, live, nc, nl)
    return sl, ta, nc, nl


# ---------------------------------------------------------------------------- the fast path: one FCFS queue
@njit(**_INL)
def _heap_replace_top(h, x):
    """Replace the smallest of a binary min-heap of floats by x and restore the heap."""
    n = h.shape[0]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and h[c + 1] < h[c]:
            c += 1
        if h[c] >= x:
            break
        h[i] = h[c]
        i = c
    h[i] = x


@njit(**_JIT)
def fast_loop(dz, dm, ta, sl, ev, ist, stf, free):
    """One FCFS queue served by one group of identical agents whose number never changes, every caller with
    one need the group serves, no redial or callback: the general loop's results without its events.

    Callers are taken in arrival order; each is answered by the agent free earliest (``free``: a min-heap
    of the agents' free times, all present from time 0) at max(reaching the queue, that time), unless their
    patience runs out strictly before (at a tie the agent's departure comes first, as in the general loop's
    order of simultaneous events); a caller answered or hanging up takes nothing else from the queue. Times
    are computed by the very expressions of the general loop, and every contact and leg goes through the same
    tallies (one row of ``sl`` reused), so the results are the general loop's (tests/test_engine_equality.py).
    """
    cf, ci, lf, li = sl.cf, sl.ci, sl.lf, sl.li
    end = dz.end_time
    c = 0
    tk = 0
    rv.arrivals_start(dm.stream, dm.busy, dm.seg_end, dm.seg_rate, dm.seg_day, dm.ct_seg, ev.nt, ev.ns, ev.nq)
    pend_next_arrival(dz, dm, ev, ist, stf, 0.0)
    while ist[IS_ARR_CT] >= 0:
        now = stf[SF_ARR_T]
        if now >= end:
            break
        ct = ist[IS_ARR_CT]
        ck = rv.caller_key(dm.stream, ct, ist[IS_ARR_SEQ])
        pend_next_arrival(dz, dm, ev, ist, stf, now)
        row = rv.needs_row(ck, dm.needs_cum[ct], dm.needs_rows[ct])
        cf[c, CF_ARRIVAL] = now
        cf[c, CF_QARR] = np.nan
        cf[c, CF_ANSWERED_AT] = np.nan
        cf[c, CF_END] = np.nan
        cf[c, CF_WAIT] = 0.0
        cf[c, CF_AGENT_TIME] = 0.0
        cf[c, CF_CB_WAIT] = np.nan
        cf[c, CF_DIAL] = 0.0
        ci[c, CI_CALLBACK] = CB_NONE
        ci[c, CI_ATTEMPT] = 0
        ci[c, CI_CALL_TYPE] = ct
        ci[c, CI_FIRST_GROUP] = -1
        ci[c, CI_TRANSFERS] = 0
        ci[c, CI_HANDOFFS] = 0
        ci[c, CI_REEXPL] = 0
        ci[c, CI_OUTCOME] = IN_SYSTEM
        ci[c, CI_RESOLVED] = 0
        ci[c, CI_TICKET] = -1
        ci[c, CI_PREV_GROUP] = -1
        q_t = now + dz.ivr_time
        if q_t >= end:  # still in the menu at the end
            tally_contact(dz, ta, sl, c)
            continue
        cf[c, CF_QARR] = q_t
        ci[c, CI_TICKET] = tk
        li[tk, LI_CONTACT] = c
        li[tk, LI_LEG] = 0
        li[tk, LI_QUEUE] = 0
        li[tk, LI_KIND] = FRESH
        li[tk, LI_GROUP] = -1
        li[tk, LI_OUTCOME] = IN_SYSTEM
        lf[tk, LF_ENTER] = q_t
        f = free[0]
        start = q_t
        if f > q_t:  # every agent is busy: the caller waits
            ab = q_t + (0.0 if rv.balks(ck, 0, 0, dm.balk[ct]) else ddraw(dm, dm.ct_patience[ct, 0], ck, 0, rv.PATIENCE, 0))
            if ab < f and ab < end:  # hangs up first
                wait = ab - q_t
                lf[tk, LF_WAIT] = wait
                li[tk, LI_OUTCOME] = ABANDONED
                cf[c, CF_WAIT] = wait
                tally_leg(dz, ta, sl, c, tk)
                ci[c, CI_OUTCOME] = ABANDONED
                cf[c, CF_END] = ab
                tally_contact(dz, ta, sl, c)
                continue
            if f >= end:  # still waiting at the end
                wait = end - q_t
                lf[tk, LF_WAIT] = wait
                cf[c, CF_WAIT] = wait
                tally_leg(dz, ta, sl, c, tk)
                tally_contact(dz, ta, sl, c)
                continue
            start = f
        wait = start - q_t
        lf[tk, LF_WAIT] = wait
        li[tk, LI_OUTCOME] = ANSWERED
        li[tk, LI_GROUP] = 0
        cf[c, CF_WAIT] = wait
        tally_leg(dz, ta, sl, c, tk)
        ci[c, CI_FIRST_GROUP] = 0
        cf[c, CF_ANSWERED_AT] = start
        skill = dm.needs[ct, row, 0]
        talk_end = start + ddraw(dm, dm.skill_talk[skill, 0], ck, 0, rv.TALK, 0) / dz.speed[0, skill]
        if talk_end >= end:  # talking at the end: the agent is busy to the end
            clock_add(ta.busy, ta.busy_w, 0, start, end, 1.0, dz.warmup, dz.horizon, dz.interval, dz.n_int)
            _heap_replace_top(free, np.inf)
            tally_contact(dz, ta, sl, c)
            continue
        acw = ddraw(dm, dm.skill_acw[skill, 0], ck, 0, rv.ACW, 0)
        cf[c, CF_AGENT_TIME] = talk_end + acw - start
        free_at = talk_end + acw
        clock_add(ta.busy, ta.busy_w, 0, start, min(free_at, end), 1.0, dz.warmup, dz.horizon, dz.interval, dz.n_int)
        _heap_replace_top(free, free_at)
        ci[c, CI_OUTCOME] = ANSWERED
        sv = 0.0
        if dz.survey_take_rate > 0.0 and rv.uniform(ck, 0, rv.SURVEY, 0, 0) < dz.survey_take_rate:
            sv = dz.survey_time
        p = min(1.0, dz.ct_resolution[ct] * dz.resolution_factor)  # no transfer: cold_factor^0 = 1 exactly
        ci[c, CI_RESOLVED] = 1 if rv.uniform(ck, 0, rv.RESOLVE, 0, 0) < p else 0
        cf[c, CF_END] = talk_end + sv
        tally_contact(dz, ta, sl, c)
    ag_present = free.shape[0]
    clock_add(ta.staffed, ta.staffed_w, 0, 0.0, end, float(ag_present), dz.warmup, dz.horizon, dz.interval, dz.n_int)


def run_fast(dz: DESIGN, dm: DEMAND, n_legs: int) -> TALLY:
    """One replication on the fast path (:func:`fast_loop`; the caller checked that the center qualifies)."""
    ta = _new_tally(dz, n_legs)
    sl = SLOTS(cf=np.zeros((1, N_CF)), ci=np.zeros((1, N_CI), np.int64), lf=np.zeros((1, N_LF)),
               li=np.zeros((1, N_LI), np.int64), c_free=np.empty(1, np.int64), l_free=np.empty(1, np.int64))
    fast_loop(dz, dm, ta, sl, _new_events(1, dm.ct_seg.shape[0] - 1), np.zeros(N_IS + dz.pool_lines.shape[0], np.int64), np.zeros(2),
              np.zeros(int(dz.staffing[0, 0])))
    return ta
