"""The numba kernels: the model of docs/model.md as an array-based event loop.

Everything here takes numpy arrays and scalars and returns arrays: no Python objects, no random draws
(every random quantity comes from the pre-sampled demand arrays). The Python glue that flattens a
:class:`~ccsim.engines.compiled.Compiled` and wraps the result lives in :mod:`ccsim.engines.numba_engine`.

The loop mirrors the SimPy reference engine event for event, so that simultaneous events resolve
identically:

- timed steps go into a binary heap keyed by (time, priority class, sequence number); the sequence
  number is taken when the step is scheduled, exactly when SimPy schedules its ``Step`` (times are
  computed as ``now + delay`` like SimPy does);
- a caller answered or abandoning while waiting is resumed through a FIFO of "instant" events,
  processed before any further timed step, as SimPy's NORMAL-priority ``succeed()`` events are;
- each contact is a small state machine whose states are the ``yield`` points of the SimPy process.

Two variants share the code: ``records=True`` keeps one row per contact and per leg (the RunOutput
records); ``records=False`` recycles contact and leg slots and accumulates the KPIs of the window
directly (see :data:`KPI_FIELDS`).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

# ---------------------------------------------------------------------------- constants
# priority classes (as ccsim.engines.compiled)
P_STAFF, P_DEPART, P_ABANDON, P_ARRIVE = 0, 1, 2, 3
CLS_SHIFT = 1 << 56
SEQ_MASK = CLS_SHIFT - 1

# event types (low 3 bits of the payload)
EV_STAFF, EV_ARRIVAL, EV_RESUME, EV_PATIENCE, EV_ACW, EV_RETRY = 0, 1, 2, 3, 4, 5

# outcomes and leg kinds (as ccsim.engines.output)
ANSWERED, ABANDONED, IN_SYSTEM = 0, 1, 2
FRESH, TRANSFER, HANDOFF = 0, 1, 2

# ticket (leg) states
T_WAITING, T_CONNECTED, T_DEAD = 0, 1, 2

# contact program points: the yield points of the SimPy process, and internal labels
PC_IVR, PC_WAIT, PC_HANDOFF, PC_REEXPLAIN, PC_TALK, PC_TRANSFER, PC_DONE = 0, 1, 2, 3, 4, 5, 6
L_ENQUEUE, L_ANSWERED, L_LOOP, L_AFTER, L_FINISH, L_RELEASE, L_YIELD = 10, 11, 12, 13, 14, 15, 16

# contact float columns (output first, in CONTACT_COLUMNS order of floats)
CF_ARRIVAL, CF_QARR, CF_ANSWERED_AT, CF_WAIT, CF_HOLD, CF_TALK, CF_AGENT_TIME, CF_SURVEY, CF_END = range(9)
CF_HOLDER_ACW, CF_ACW = 9, 10
N_CF_OUT, N_CF = 9, 11
# contact int columns
(CI_CALLER, CI_ATTEMPT, CI_CALL_TYPE, CI_FIRST_QUEUE, CI_FIRST_GROUP, CI_TRANSFERS, CI_HANDOFFS, CI_REEXPL,
 CI_NLEGS, CI_OUTCOME, CI_LAST_QUEUE, CI_LAST_GROUP, CI_RESOLVED) = range(13)
CI_PC, CI_NEED, CI_LEG, CI_KIND, CI_HOLDER, CI_QUEUE, CI_TICKET, CI_AGENT = 13, 14, 15, 16, 17, 18, 19, 20
N_CI_OUT, N_CI = 13, 21
# leg float columns
LF_ENTER, LF_WAIT, LF_AGENT_END, LF_TALK = 0, 1, 2, 3
N_LF = 4
# leg int columns
LI_CONTACT, LI_LEG, LI_QUEUE, LI_KIND, LI_GROUP, LI_AGENT, LI_OUTCOME = range(7)
LI_NEXT, LI_STATE, LI_AG, LI_PREV, LI_PSEQ = 7, 8, 9, 10, 11
N_LI_OUT, N_LI = 7, 12

#: KPI accumulators of the records-free variant (contacts arriving in [warmup, horizon))
KPI_FIELDS = ("offered", "answered", "abandoned", "in_system", "within_sl", "first_wait_sum", "wait_sum",
              "waited", "transfers", "handoffs", "reexplanations", "first_contacts", "first_resolved",
              "ended", "time_in_system_sum", "handled", "agent_time_sum", "abandoned_after_answer",
              "first_handled", "first_abandoned", "answered_ended", "tis_answered_sum", "abandoned_ended",
              "tis_abandoned_sum", "within_sl_caller", "wait_answered_sum")
(K_OFFERED, K_ANSWERED, K_ABANDONED, K_IN_SYSTEM, K_WITHIN_SL, K_FIRST_WAIT, K_WAIT, K_WAITED, K_TRANSFERS,
 K_HANDOFFS, K_REEXPL, K_FIRST, K_FIRST_RESOLVED, K_ENDED, K_TIS, K_HANDLED, K_AGENT_TIME, K_AAA,
 K_FIRST_HANDLED, K_FIRST_ABANDONED, K_ANSWERED_ENDED, K_TIS_ANSWERED, K_ABANDONED_ENDED, K_TIS_ABANDONED,
 K_WITHIN_SL_CALLER, K_WAIT_ANSWERED) = range(26)
N_KPI = 26

# integer scalars of the event loop kept between calls (ist)
IS_ORDER, IS_MT, IS_HN, IS_SEQ, IS_NC, IS_NL, IS_MH, IS_NCF, IS_NLF, IS_STARTED, IS_ARR_C, IS_ARR_K, IS_FH, IS_FN = \
    range(14)
N_IS = 14
# what the event loop returns
RUN_DONE, RUN_GROW_HEAP, RUN_GROW_CONTACTS, RUN_GROW_LEGS, RUN_GROW_FIFO = 0, 1, 2, 3, 4


# ---------------------------------------------------------------------------- small helpers
@njit(cache=True, _nrt=False, error_model="numpy")
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


@njit(cache=True, _nrt=False, error_model="numpy", inline="always")
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


@njit(cache=True, _nrt=False, error_model="numpy")
def heap_push(ht, hk, hp, n, t, k, p):
    """Push (t, k) with payload p on the heap of size n; returns the new size."""
    _sift_up(ht, hk, hp, n, t, k, p)
    return n + 1


@njit(cache=True, _nrt=False, error_model="numpy")
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


@njit(cache=True, _nrt=False, error_model="numpy", inline="always")
def take_slot(records, n, n_free, free):
    """A row for a new contact or leg: the next one (records kept) or a recycled one; (row, n, n_free)."""
    if records or n_free == 0:
        return n, n + 1, n_free
    return free[n_free - 1], n, n_free - 1


@njit(cache=True, _nrt=False, error_model="numpy")
def deflect_share(t, deflections):
    share = 0.0
    for r in range(deflections.shape[0]):
        if deflections[r, 0] <= t < deflections[r, 1]:
            share = max(share, deflections[r, 2])
    return share


@njit(cache=True, _nrt=False, error_model="numpy")
def next_caller(i, arrival, deflect_u, deflections):
    """The next caller from i on who is not deflected by a proactive notification."""
    n = arrival.shape[0]
    if deflections.shape[0] == 0:
        return i
    while i < n and deflect_u[i] < deflect_share(arrival[i], deflections):
        i += 1
    return i


# ---------------------------------------------------------------------------- agents and queues
@njit(cache=True, _nrt=False, error_model="numpy")
def queue_push(q, cls, tk, q_head, q_tail, q_live, lg_i):
    """The caller joins the back of its priority class in queue q (a doubly linked list of tickets)."""
    x = 2 * q + cls
    t = q_tail[x]
    lg_i[tk, LI_PREV] = t
    lg_i[tk, LI_NEXT] = -1
    if t < 0:
        q_head[x] = tk
    else:
        lg_i[t, LI_NEXT] = tk
    q_tail[x] = tk
    q_live[q] += 1


@njit(cache=True, _nrt=False, error_model="numpy")
def queue_remove(q, cls, tk, q_head, q_tail, q_live, lg_i):
    """A waiting caller hangs up: unlink the ticket."""
    x = 2 * q + cls
    p = lg_i[tk, LI_PREV]
    n = lg_i[tk, LI_NEXT]
    if p < 0:
        q_head[x] = n
    else:
        lg_i[p, LI_NEXT] = n
    if n < 0:
        q_tail[x] = p
    else:
        lg_i[n, LI_PREV] = p
    q_live[q] -= 1


@njit(cache=True, _nrt=False, error_model="numpy")
def queue_pop(q, q_head, q_tail, q_live, lg_i):
    """The head of queue q: priority class 0 first, FCFS within a class."""
    for cls in range(2):
        x = 2 * q + cls
        h = q_head[x]
        if h >= 0:
            n = lg_i[h, LI_NEXT]
            q_head[x] = n
            if n < 0:
                q_tail[x] = -1
            else:
                lg_i[n, LI_PREV] = -1
            q_live[q] -= 1
            return h
    return -1


@njit(cache=True, _nrt=False, error_model="numpy")
def connect(tk, a, now, ag_busy_since, ag_busy, ag_leg, ag_order, lg_i, ist):
    ag_busy_since[a] = now
    ag_busy[a] = True
    ag_order[a] = ist[0]
    ist[0] += 1
    ag_leg[a] = tk
    lg_i[tk, LI_STATE] = T_CONNECTED
    lg_i[tk, LI_AG] = a


@njit(cache=True, _nrt=False, error_model="numpy")
def next_call(a, g, now, gq, gq_n, q_head, q_tail, q_live, lg_i, ag_busy_since, ag_busy, ag_leg, ag_order,
              idle_buf, idle_head, idle_n, micro, ist):
    """A free agent takes the head of the first non-empty queue of its group, or joins the idle FIFO."""
    for j in range(gq_n[g]):
        q = gq[g, j]
        if q_live[q] > 0:
            tk = queue_pop(q, q_head, q_tail, q_live, lg_i)
            connect(tk, a, now, ag_busy_since, ag_busy, ag_leg, ag_order, lg_i, ist)
            m = ist[1]
            if m >= micro.shape[0]:
                raise RuntimeError("instant-event FIFO overflow")
            micro[m] = lg_i[tk, LI_CONTACT]  # the waiting caller resumes (SimPy: ticket.done.succeed())
            ist[1] = m + 1
            return
    cap = idle_buf.shape[1]
    idle_buf[g, (idle_head[g] + idle_n[g]) % cap] = a
    idle_n[g] += 1


@njit(cache=True, _nrt=False, error_model="numpy")
def idle_pop(g, idle_buf, idle_head, idle_n):
    a = idle_buf[g, idle_head[g]]
    idle_head[g] = (idle_head[g] + 1) % idle_buf.shape[1]
    idle_n[g] -= 1
    return a


@njit(cache=True, _nrt=False, error_model="numpy")
def staffed_mark(g, now, gr_present, gr_since, staffed, staffed_w, warmup, horizon, interval, n_int):
    clock_add(staffed, staffed_w, g, gr_since[g], now, float(gr_present[g]), warmup, horizon, interval, n_int)
    gr_since[g] = now


@njit(cache=True, _nrt=False, error_model="numpy")
def leave(g, a, now, g_off, id_used, gr_present, gr_since, staffed, staffed_w, warmup, horizon, interval, n_int):
    staffed_mark(g, now, gr_present, gr_since, staffed, staffed_w, warmup, horizon, interval, n_int)
    gr_present[g] -= 1
    id_used[a] = False


@njit(cache=True, _nrt=False, error_model="numpy")
def free_agent(a, now, ag_group, ag_busy_since, ag_busy, ag_leg, ag_order, lg_f, lg_i, records,
               busy, busy_w, staffed, staffed_w, gr_present, gr_leaving, gr_since, g_off, id_used,
               gq, gq_n, q_head, q_tail, q_live, idle_buf, idle_head, idle_n, micro, ist,
               warmup, horizon, interval, n_int):
    """The agent is free (after the call and its ACW): leaves if their shift ended, else takes a call."""
    g = ag_group[a]
    clock_add(busy, busy_w, g, ag_busy_since[a], now, 1.0, warmup, horizon, interval, n_int)
    tk = ag_leg[a]
    if tk >= 0:
        if records:
            lg_f[tk, LF_AGENT_END] = now
        ag_leg[a] = -1
    ag_busy_since[a] = np.nan
    ag_busy[a] = False
    if gr_leaving[g] > 0:
        gr_leaving[g] -= 1
        leave(g, a, now, g_off, id_used, gr_present, gr_since, staffed, staffed_w, warmup, horizon, interval, n_int)
        return
    next_call(a, g, now, gq, gq_n, q_head, q_tail, q_live, lg_i, ag_busy_since, ag_busy, ag_leg, ag_order,
              idle_buf, idle_head, idle_n, micro, ist)


@njit(cache=True, _nrt=False, error_model="numpy")
def set_staffing(g, target, now, ag_busy_since, ag_busy, ag_leg, ag_order, lg_i,
                 staffed, staffed_w, gr_present, gr_leaving, gr_since, g_off, g_maxa, id_used,
                 gq, gq_n, q_head, q_tail, q_live, idle_buf, idle_head, idle_n, micro, ist,
                 warmup, horizon, interval, n_int):
    """Shift change: new agents start taking calls; idle ones leave now, busy ones when their call ends."""
    have = gr_present[g] - gr_leaving[g]
    if target > have:
        back = min(gr_leaving[g], target - have)
        gr_leaving[g] -= back
        new = target - have - back
        if new:
            staffed_mark(g, now, gr_present, gr_since, staffed, staffed_w, warmup, horizon, interval, n_int)
            gr_present[g] += new
            for _ in range(new):
                a = -1
                for j in range(g_maxa[g]):  # ids are reused lowest-first
                    if not id_used[g_off[g] + j]:
                        a = g_off[g] + j
                        break
                id_used[a] = True
                ag_busy_since[a] = np.nan
                ag_leg[a] = -1
                next_call(a, g, now, gq, gq_n, q_head, q_tail, q_live, lg_i, ag_busy_since, ag_busy, ag_leg,
                          ag_order, idle_buf, idle_head, idle_n, micro, ist)
    elif target < have:
        drop = have - target
        while drop and idle_n[g] > 0:  # the longest idle leave first
            a = idle_pop(g, idle_buf, idle_head, idle_n)
            leave(g, a, now, g_off, id_used, gr_present, gr_since, staffed, staffed_w, warmup, horizon, interval,
                  n_int)
            drop -= 1
        gr_leaving[g] += drop


@njit(cache=True, _nrt=False, error_model="numpy")
def kpi_add_contact(kpi, cf, ci, c, sl_threshold, warmup, horizon):
    """Add one finished (or still open at the end) contact to the window's KPI accumulators."""
    arr = cf[c, CF_ARRIVAL]
    if not (arr >= warmup and arr < horizon):
        return
    kpi[K_OFFERED] += 1.0
    out = ci[c, CI_OUTCOME]
    handled = ci[c, CI_FIRST_GROUP] >= 0
    first = ci[c, CI_ATTEMPT] == 0
    e = cf[c, CF_END]
    w = cf[c, CF_WAIT]
    if out == ANSWERED:
        kpi[K_ANSWERED] += 1.0
        fw = cf[c, CF_ANSWERED_AT] - cf[c, CF_QARR]
        kpi[K_FIRST_WAIT] += fw
        if fw <= sl_threshold + 1e-9:
            kpi[K_WITHIN_SL] += 1.0
        kpi[K_WAIT_ANSWERED] += w
        if w <= sl_threshold + 1e-9:
            kpi[K_WITHIN_SL_CALLER] += 1.0
        if not math.isnan(e):
            kpi[K_ANSWERED_ENDED] += 1.0
            kpi[K_TIS_ANSWERED] += e - arr
    elif out == ABANDONED:
        kpi[K_ABANDONED] += 1.0
        if handled:
            kpi[K_AAA] += 1.0
        if first:
            kpi[K_FIRST_ABANDONED] += 1.0
        if not math.isnan(e):
            kpi[K_ABANDONED_ENDED] += 1.0
            kpi[K_TIS_ABANDONED] += e - arr
    else:
        kpi[K_IN_SYSTEM] += 1.0
    kpi[K_WAIT] += w
    if w > 0:
        kpi[K_WAITED] += 1.0
    kpi[K_TRANSFERS] += ci[c, CI_TRANSFERS]
    kpi[K_HANDOFFS] += ci[c, CI_HANDOFFS]
    kpi[K_REEXPL] += ci[c, CI_REEXPL]
    if first:
        kpi[K_FIRST] += 1.0
        if handled:
            kpi[K_FIRST_HANDLED] += 1.0
        if ci[c, CI_RESOLVED]:
            kpi[K_FIRST_RESOLVED] += 1.0
    if not math.isnan(e):
        kpi[K_ENDED] += 1.0
        kpi[K_TIS] += e - arr
    if handled:
        kpi[K_HANDLED] += 1.0
        kpi[K_AGENT_TIME] += cf[c, CF_AGENT_TIME]


# ---------------------------------------------------------------------------- the event loop
@njit(cache=True, _nrt=False, error_model="numpy")
def event_loop(
        records, horizon, warmup, interval, n_int, end_time, sl_threshold, ivr_time, transfer_time, reexplain_time,
        handoff_time, survey_time, survey_take_rate, resolution_factor, cold_factor,
        speed, gq, gq_n, qg, qg_n, q_prio, route_entry, route_transfer, route_warm, staffing, g_maxa, deflections,
        ct_resolution, ct_callback, ct_redial, ct_max_attempts,
        arrival, call_type, n_needs, needs, deflect_u, option, patience, talk, acw, resolve_u, retry_u,
        redial_delay, callback_delay, survey_u,
        g_off, ag_group, ag_busy_since, ag_busy, ag_leg, ag_order, id_used, gr_present, gr_leaving, gr_since,
        idle_buf, idle_head, idle_n, micro, q_head, q_tail, q_live, busy, staffed, busy_w, staffed_w, kpi,
        cf, ci, lf, li, c_free, l_free, ht, hk, hp, ft, fk, fc, ist, stf):
    """Process events until the end of the run (returns RUN_DONE) or until an array is full (returns
    which one; the driver grows it and calls again). Scalars live in ``ist``/``stf`` between calls.

    Timed steps come from three sources merged by the same (time, class, sequence) key: the binary heap;
    the next first-contact arrival (one pending at a time, as SimPy's arrivals process); and the IVR ends,
    a FIFO ring (``ft``/``fk``/``fc``), since a constant delay after a non-decreasing clock, scheduled in
    sequence order, keeps them sorted by key."""
    G = speed.shape[0]
    n_callers = arrival.shape[0]
    now = stf[0]
    hn = ist[IS_HN]
    seq = ist[IS_SEQ]
    nc = ist[IS_NC]
    nl = ist[IS_NL]
    mh = ist[IS_MH]
    nc_free = ist[IS_NCF]
    nl_free = ist[IS_NLF]
    arr_c = ist[IS_ARR_C]
    arr_k = ist[IS_ARR_K]
    arr_t = stf[1]
    fh = ist[IS_FH]
    fn = ist[IS_FN]
    fmask = ft.shape[0] - 1
    if ist[IS_STARTED] == 0:
        # SimPy starts the staffing process, then the arrivals process, each scheduling its first step
        ist[IS_STARTED] = 1
        if n_int > 0 and 0.0 < horizon:
            hn = heap_push(ht, hk, hp, hn, now + (0.0 - now), P_STAFF * CLS_SHIFT + seq, EV_STAFF)
            seq += 1
        nxt = next_caller(0, arrival, deflect_u, deflections)
        arr_c = -1
        if nxt < n_callers:
            arr_t = now + (arrival[nxt] - now)
            arr_k = P_ARRIVE * CLS_SHIFT + seq
            arr_c = nxt
            seq += 1
    code = RUN_DONE
    while True:
        # room for what one event can create; if not, return to the driver, which grows the arrays
        if hn + 8 > ht.shape[0]:
            code = RUN_GROW_HEAP
        elif (records or nc_free < 2) and nc + 2 > cf.shape[0]:
            code = RUN_GROW_CONTACTS
        elif (records or nl_free < 4) and nl + 4 > lf.shape[0]:
            code = RUN_GROW_LEGS
        elif fn + 2 > ft.shape[0]:
            code = RUN_GROW_FIFO
        if code != RUN_DONE:
            break

        c = -1
        lbl = -1
        if mh < ist[IS_MT]:
            c = micro[mh]
            mh += 1
            lbl = PC_WAIT
        else:
            mh = 0
            ist[IS_MT] = 0
            # the earliest of: heap top, pending arrival, IVR FIFO head
            src = -1
            bt = np.inf
            bk = 0
            if hn > 0:
                src = 0
                bt = ht[0]
                bk = hk[0]
            if arr_c >= 0 and (arr_t < bt or (arr_t == bt and arr_k < bk)):
                src = 1
                bt = arr_t
                bk = arr_k
            if fn > 0:
                x = ft[fh]
                if x < bt or (x == bt and fk[fh] < bk):
                    src = 2
                    bt = x
                    bk = fk[fh]
            if src < 0 or bt >= end_time:
                break
            now = bt
            key = bk
            if src == 0:
                pay = hp[0]
                hn = heap_pop_fix(ht, hk, hp, hn)
            elif src == 1:
                pay = (arr_c << 3) | EV_ARRIVAL
                arr_c = -1
            else:
                pay = (fc[fh] << 3) | EV_RESUME
                fh = (fh + 1) & fmask
                fn -= 1
            typ = pay & 7
            pid = pay >> 3
            if typ == EV_RESUME:
                c = pid
                lbl = ci[c, CI_PC]
            elif typ == EV_PATIENCE:
                tk = pid
                # still waiting (the sequence check guards against a recycled slot): leave the queue
                if li[tk, LI_STATE] == T_WAITING and li[tk, LI_PSEQ] == (key & SEQ_MASK):
                    li[tk, LI_STATE] = T_DEAD
                    q = li[tk, LI_QUEUE]
                    queue_remove(q, 0 if (li[tk, LI_KIND] != FRESH and q_prio[q]) else 1, tk, q_head, q_tail,
                                 q_live, li)
                    micro[ist[IS_MT]] = li[tk, LI_CONTACT]
                    ist[IS_MT] += 1
                continue
            elif typ == EV_ACW:
                free_agent(pid, now, ag_group, ag_busy_since, ag_busy, ag_leg, ag_order, lf, li, records,
                           busy, busy_w, staffed, staffed_w, gr_present, gr_leaving, gr_since, g_off, id_used,
                           gq, gq_n, q_head, q_tail, q_live, idle_buf, idle_head, idle_n, micro, ist,
                           warmup, horizon, interval, n_int)
                continue
            elif typ == EV_STAFF:
                i = pid
                for g in range(G):
                    set_staffing(g, staffing[g, i], now, ag_busy_since, ag_busy, ag_leg, ag_order, li,
                                 staffed, staffed_w, gr_present, gr_leaving, gr_since, g_off, g_maxa, id_used,
                                 gq, gq_n, q_head, q_tail, q_live, idle_buf, idle_head, idle_n, micro, ist,
                                 warmup, horizon, interval, n_int)
                i += 1
                if i < n_int:
                    t = i * interval
                    if t < horizon:
                        hn = heap_push(ht, hk, hp, hn, now + (t - now), P_STAFF * CLS_SHIFT + seq,
                                       (i << 3) | EV_STAFF)
                        seq += 1
                continue
            else:  # EV_ARRIVAL or EV_RETRY: a contact starts
                if typ == EV_ARRIVAL:
                    caller = pid
                    k = 0
                    j = next_caller(caller + 1, arrival, deflect_u, deflections)
                    if j < n_callers:
                        arr_t = now + (arrival[j] - now)
                        arr_k = P_ARRIVE * CLS_SHIFT + seq
                        arr_c = j
                        seq += 1
                else:
                    caller = pid >> 6
                    k = pid & 63
                c, nc, nc_free = take_slot(records, nc, nc_free, c_free)
                for x in range(N_CF):
                    cf[c, x] = 0.0
                cf[c, CF_ARRIVAL] = now
                cf[c, CF_QARR] = np.nan
                cf[c, CF_ANSWERED_AT] = np.nan
                cf[c, CF_END] = np.nan
                ci[c, CI_CALLER] = caller
                ci[c, CI_ATTEMPT] = k
                ci[c, CI_CALL_TYPE] = call_type[caller]
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
                x = (fh + fn) & fmask  # the IVR end
                ft[x] = now + ivr_time
                fk[x] = P_ARRIVE * CLS_SHIFT + seq
                fc[x] = c
                fn += 1
                seq += 1
                continue

        # ------------------------------------------------ the contact process, from label lbl to its next yield
        caller = ci[c, CI_CALLER]
        k = ci[c, CI_ATTEMPT]
        ct = ci[c, CI_CALL_TYPE]
        y_t = 0.0
        y_pc = 0
        rel_a = 0
        rel_acw = 0.0
        rel_next = 0
        while True:
            if lbl == PC_IVR:
                cf[c, CF_QARR] = now
                ci[c, CI_QUEUE] = route_entry[option[caller, k]]
                lbl = L_ENQUEUE
            elif lbl == L_ENQUEUE:
                q = ci[c, CI_QUEUE]
                kind = ci[c, CI_KIND]
                cls = 0 if (kind != FRESH and q_prio[q]) else 1
                tk, nl, nl_free = take_slot(records, nl, nl_free, l_free)
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
                lf[tk, LF_ENTER] = now
                lf[tk, LF_WAIT] = np.nan
                lf[tk, LF_AGENT_END] = np.nan
                lf[tk, LF_TALK] = 0.0
                old = ci[c, CI_TICKET]
                if not records and old >= 0:  # the previous leg's slot is free now
                    l_free[nl_free] = old
                    nl_free += 1
                ci[c, CI_TICKET] = tk
                a = -1
                for j in range(qg_n[q]):  # the longest idle agent of the first group with one
                    g = qg[q, j]
                    if idle_n[g] > 0:
                        a = idle_pop(g, idle_buf, idle_head, idle_n)
                        break
                if a >= 0:
                    connect(tk, a, now, ag_busy_since, ag_busy, ag_leg, ag_order, li, ist)
                else:
                    queue_push(q, cls, tk, q_head, q_tail, q_live, li)
                if ci[c, CI_NLEGS] == 0:
                    ci[c, CI_FIRST_QUEUE] = q
                ci[c, CI_NLEGS] += 1
                if a < 0:
                    if ci[c, CI_HOLDER] < 0:
                        p = patience[caller, k, ci[c, CI_LEG]]
                        if math.isfinite(p):
                            li[tk, LI_PSEQ] = seq
                            hn = heap_push(ht, hk, hp, hn, now + p, P_ABANDON * CLS_SHIFT + seq,
                                           (tk << 3) | EV_PATIENCE)
                            seq += 1
                    ci[c, CI_PC] = PC_WAIT
                    break
                lbl = L_ANSWERED
            elif lbl == PC_WAIT:
                tk = ci[c, CI_TICKET]
                if li[tk, LI_STATE] == T_CONNECTED:
                    lbl = L_ANSWERED
                    continue
                # patience ran out first
                wait = now - lf[tk, LF_ENTER]
                lf[tk, LF_WAIT] = wait
                li[tk, LI_OUTCOME] = ABANDONED
                cf[c, CF_WAIT] += wait
                if ci[c, CI_HOLDER] >= 0:
                    cf[c, CF_HOLD] += wait
                ci[c, CI_OUTCOME] = ABANDONED
                ci[c, CI_LAST_QUEUE] = ci[c, CI_QUEUE]
                cf[c, CF_END] = now
                if k + 1 < ct_max_attempts[ct] and retry_u[caller, k] < ct_redial[ct]:
                    delay = redial_delay[caller, k]
                    if now + delay < horizon:
                        hn = heap_push(ht, hk, hp, hn, now + delay, P_ARRIVE * CLS_SHIFT + seq,
                                       (((caller << 6) | (k + 1)) << 3) | EV_RETRY)
                        seq += 1
                ci[c, CI_PC] = PC_DONE
                break
            elif lbl == L_ANSWERED:
                tk = ci[c, CI_TICKET]
                a = li[tk, LI_AG]
                g = ag_group[a]
                wait = now - lf[tk, LF_ENTER]
                lf[tk, LF_WAIT] = wait
                li[tk, LI_OUTCOME] = ANSWERED
                cf[c, CF_WAIT] += wait
                holder = ci[c, CI_HOLDER]
                if holder >= 0:
                    cf[c, CF_HOLD] += wait
                li[tk, LI_GROUP] = g
                li[tk, LI_AGENT] = a - g_off[g]
                if ci[c, CI_FIRST_GROUP] < 0:
                    ci[c, CI_FIRST_GROUP] = g
                    cf[c, CF_ANSWERED_AT] = now
                ci[c, CI_AGENT] = a
                if holder >= 0:  # warm handoff: brief the teammate
                    y_t = now + handoff_time
                    y_pc = PC_HANDOFF
                    lbl = L_YIELD
                elif ci[c, CI_KIND] == TRANSFER:  # cold transfer: tell the story again
                    y_t = now + reexplain_time
                    y_pc = PC_REEXPLAIN
                    lbl = L_YIELD
                else:
                    cf[c, CF_ACW] = 0.0
                    lbl = L_LOOP
            elif lbl == PC_HANDOFF:
                ci[c, CI_HANDOFFS] += 1
                rel_a = ci[c, CI_HOLDER]  # the first agent is released
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
                g = ag_group[ci[c, CI_AGENT]]
                if need < n_needs[caller]:
                    sp = speed[g, needs[caller, need]]
                    if sp > 0:
                        y_t = now + talk[caller, k, need] / sp
                        y_pc = PC_TALK
                        lbl = L_YIELD
                        continue
                lbl = L_AFTER
            elif lbl == PC_TALK:
                need = ci[c, CI_NEED]
                g = ag_group[ci[c, CI_AGENT]]
                dt = talk[caller, k, need] / speed[g, needs[caller, need]]
                cf[c, CF_TALK] += dt
                lf[ci[c, CI_TICKET], LF_TALK] += dt
                cf[c, CF_ACW] += acw[caller, k, need]
                ci[c, CI_NEED] = need + 1
                lbl = L_LOOP
            elif lbl == L_AFTER:
                a = ci[c, CI_AGENT]
                g = ag_group[a]
                need = ci[c, CI_NEED]
                ci[c, CI_LAST_GROUP] = g
                if need == n_needs[caller]:
                    rel_a = a
                    rel_acw = cf[c, CF_ACW]
                    rel_next = L_FINISH
                    lbl = L_RELEASE
                    continue
                skill = needs[caller, need]  # the next need is not this agent's
                ci[c, CI_QUEUE] = route_transfer[skill]
                ci[c, CI_LEG] += 1
                if route_warm[skill]:
                    ci[c, CI_HOLDER] = a
                    cf[c, CF_HOLDER_ACW] = cf[c, CF_ACW]
                    ci[c, CI_KIND] = HANDOFF
                    lbl = L_ENQUEUE
                else:
                    y_t = now + transfer_time
                    y_pc = PC_TRANSFER
                    lbl = L_YIELD
            elif lbl == PC_TRANSFER:
                ci[c, CI_TRANSFERS] += 1
                ci[c, CI_KIND] = TRANSFER
                rel_a = ci[c, CI_AGENT]
                rel_acw = cf[c, CF_ACW]
                rel_next = L_ENQUEUE
                lbl = L_RELEASE
            elif lbl == L_YIELD:  # a phase with an agent: resume at its end
                hn = heap_push(ht, hk, hp, hn, y_t, P_DEPART * CLS_SHIFT + seq, (c << 3) | EV_RESUME)
                seq += 1
                ci[c, CI_PC] = y_pc
                break
            elif lbl == L_RELEASE:  # the caller leaves agent rel_a, who does rel_acw of after-call work
                cf[c, CF_AGENT_TIME] += now + rel_acw - ag_busy_since[rel_a]
                if rel_acw > 0:
                    hn = heap_push(ht, hk, hp, hn, now + rel_acw, P_DEPART * CLS_SHIFT + seq, (rel_a << 3) | EV_ACW)
                    seq += 1
                else:
                    free_agent(rel_a, now, ag_group, ag_busy_since, ag_busy, ag_leg, ag_order, lf, li, records,
                               busy, busy_w, staffed, staffed_w, gr_present, gr_leaving, gr_since, g_off, id_used,
                               gq, gq_n, q_head, q_tail, q_live, idle_buf, idle_head, idle_n, micro, ist,
                               warmup, horizon, interval, n_int)
                lbl = rel_next
            else:  # L_FINISH: every need served
                ci[c, CI_OUTCOME] = ANSWERED
                ci[c, CI_LAST_QUEUE] = ci[c, CI_QUEUE]
                done = now
                if survey_u[caller, k] < survey_take_rate:
                    cf[c, CF_SURVEY] = survey_time
                p = min(1.0, ct_resolution[ct] * resolution_factor * math.pow(cold_factor, float(ci[c, CI_TRANSFERS])))
                resolved = resolve_u[caller, k] < p
                ci[c, CI_RESOLVED] = 1 if resolved else 0
                sv = cf[c, CF_SURVEY]
                cf[c, CF_END] = done + sv
                if not resolved and k + 1 < ct_max_attempts[ct] and retry_u[caller, k] < ct_callback[ct]:
                    delay = sv + callback_delay[caller, k]
                    if now + delay < horizon:
                        hn = heap_push(ht, hk, hp, hn, now + delay, P_ARRIVE * CLS_SHIFT + seq,
                                       (((caller << 6) | (k + 1)) << 3) | EV_RETRY)
                        seq += 1
                ci[c, CI_PC] = PC_DONE
                break

        if ci[c, CI_PC] == PC_DONE:
            if not records:  # count it now and recycle its slots
                kpi_add_contact(kpi, cf, ci, c, sl_threshold, warmup, horizon)
                tk = ci[c, CI_TICKET]
                if tk >= 0:
                    l_free[nl_free] = tk
                    nl_free += 1
                c_free[nc_free] = c
                nc_free += 1

    stf[0] = now
    ist[IS_HN] = hn
    ist[IS_SEQ] = seq
    ist[IS_NC] = nc
    ist[IS_NL] = nl
    ist[IS_MH] = mh
    ist[IS_NCF] = nc_free
    ist[IS_NLF] = nl_free
    ist[IS_ARR_C] = arr_c
    ist[IS_ARR_K] = arr_k
    stf[1] = arr_t
    ist[IS_FH] = fh
    ist[IS_FN] = fn
    return code


# ---------------------------------------------------------------------------- the end of the run
@njit(cache=True, _nrt=False, error_model="numpy")
def finish(records, end_time, warmup, horizon, interval, n_int, sl_threshold, ag_group, ag_busy_since, busy_order,
           gr_present, gr_since, busy, staffed, busy_w, staffed_w, kpi, cf, ci, lf, li, live, nc, nl):
    """Callers still waiting get their wait up to the end; busy and present agent time is counted up to it.

    ``busy_order``: agents still busy, in the order they answered (the SimPy engine's dict order);
    ``live`` (records=False): the contact slots still in the system, which are counted in the KPIs here.
    """
    now = end_time
    if records:
        for tk in range(nl):
            if li[tk, LI_OUTCOME] == IN_SYSTEM and math.isnan(lf[tk, LF_WAIT]):
                lf[tk, LF_WAIT] = end_time - lf[tk, LF_ENTER]
                cf[li[tk, LI_CONTACT], CF_WAIT] += lf[tk, LF_WAIT]
                if li[tk, LI_KIND] == HANDOFF:  # still on hold with an agent
                    cf[li[tk, LI_CONTACT], CF_HOLD] += lf[tk, LF_WAIT]
    else:
        for c in range(nc):
            if live[c]:
                tk = ci[c, CI_TICKET]
                if tk >= 0 and li[tk, LI_OUTCOME] == IN_SYSTEM and math.isnan(lf[tk, LF_WAIT]):
                    lf[tk, LF_WAIT] = end_time - lf[tk, LF_ENTER]
                    cf[c, CF_WAIT] += lf[tk, LF_WAIT]
                    if li[tk, LI_KIND] == HANDOFF:
                        cf[c, CF_HOLD] += lf[tk, LF_WAIT]
                kpi_add_contact(kpi, cf, ci, c, sl_threshold, warmup, horizon)
    for x in range(busy_order.shape[0]):
        a = busy_order[x]
        clock_add(busy, busy_w, ag_group[a], ag_busy_since[a], now, 1.0, warmup, horizon, interval, n_int)
    for g in range(gr_present.shape[0]):
        staffed_mark(g, now, gr_present, gr_since, staffed, staffed_w, warmup, horizon, interval, n_int)


# ---------------------------------------------------------------------------- the driver (plain Python)
def _grow(a: np.ndarray, n: int) -> np.ndarray:
    b = np.empty((a.shape[0] * 2,) + a.shape[1:], a.dtype)
    b[:n] = a[:n]
    return b


def run_kernel(
        records,
        # time frame and design scalars
        horizon, warmup, interval, n_int, end_time, sl_threshold, ivr_time, transfer_time, reexplain_time,
        handoff_time, survey_time, survey_take_rate, resolution_factor, cold_factor,
        # design arrays
        speed, gq, gq_n, qg, qg_n, q_prio, route_entry, route_transfer, route_warm, staffing, g_maxa, deflections,
        ct_resolution, ct_callback, ct_redial, ct_max_attempts,
        # demand
        arrival, call_type, n_needs, needs, deflect_u, option, patience, talk, acw, resolve_u, retry_u,
        redial_delay, callback_delay, survey_u,
        # initial capacities
        cap_contacts, cap_legs, small=False):
    """One replication: allocate the state, run the compiled event loop (growing arrays when it asks), finish.

    Returns (contact floats, contact ints, leg floats, leg ints, busy, staffed, busy_window, staffed_window,
    kpi); with ``records=False`` the record arrays are empty and ``kpi`` holds the window's accumulators
    (:data:`KPI_FIELDS`). Allocation lives here, in numpy, so that only the loop itself is compiled.
    ``small`` (tests): start every growable array tiny, to exercise the growth paths.
    """
    G = speed.shape[0]
    Q = qg.shape[0]
    # agents: global index = g_off[g] + id, ids 0 .. g_maxa[g]-1
    g_off = np.zeros(G + 1, np.int64)
    g_off[1:] = np.cumsum(g_maxa)
    A = int(g_off[G])
    ag_group = np.repeat(np.arange(G, dtype=np.int64), g_maxa)
    ag_busy_since = np.full(A, np.nan)
    ag_busy = np.zeros(A, np.bool_)
    ag_leg = np.full(A, -1, np.int64)
    ag_order = np.zeros(A, np.int64)
    id_used = np.zeros(A, np.bool_)
    gr_present = np.zeros(G, np.int64)
    gr_leaving = np.zeros(G, np.int64)
    gr_since = np.zeros(G)
    idle_buf = np.zeros((G, max(1, int(g_maxa.max(initial=1)))), np.int64)
    idle_head = np.zeros(G, np.int64)
    idle_n = np.zeros(G, np.int64)
    micro = np.zeros(A + 8, np.int64)
    ist = np.zeros(N_IS, np.int64)  # integer scalars of the event loop (IS_*)
    stf = np.zeros(2)               # the clock, the pending arrival's time
    # queues: two FIFO doubly linked lists (priority classes) per queue, through the ticket (leg) rows
    q_head = np.full(2 * Q, -1, np.int64)
    q_tail = np.full(2 * Q, -1, np.int64)
    q_live = np.zeros(Q, np.int64)
    # agent time and KPI accumulators
    busy = np.zeros((G, n_int + 1))
    staffed = np.zeros((G, n_int + 1))
    busy_w = np.zeros(G)
    staffed_w = np.zeros(G)
    kpi = np.zeros(N_KPI)
    # records (or, without records, recycled process slots) and their free lists
    cap_c, cap_l, cap_h = (4, 4, 16) if small else (max(cap_contacts, 16), max(cap_legs, 16), 1024)
    cf = np.empty((cap_c, N_CF))
    ci = np.empty((cap_c, N_CI), np.int64)
    lf = np.empty((cap_l, N_LF))
    li = np.empty((cap_l, N_LI), np.int64)
    c_free = np.empty(cf.shape[0], np.int64)
    l_free = np.empty(lf.shape[0], np.int64)
    # the event heap
    ht = np.empty(cap_h)
    hk = np.empty(cap_h, np.int64)
    hp = np.empty(cap_h, np.int64)
    # the IVR-end FIFO ring (capacity a power of two)
    ft = np.empty(cap_h)
    fk = np.empty(cap_h, np.int64)
    fc = np.empty(cap_h, np.int64)

    while True:
        code = event_loop(
            records, horizon, warmup, interval, n_int, end_time, sl_threshold, ivr_time, transfer_time,
            reexplain_time, handoff_time, survey_time, survey_take_rate, resolution_factor, cold_factor,
            speed, gq, gq_n, qg, qg_n, q_prio, route_entry, route_transfer, route_warm, staffing, g_maxa,
            deflections, ct_resolution, ct_callback, ct_redial, ct_max_attempts,
            arrival, call_type, n_needs, needs, deflect_u, option, patience, talk, acw, resolve_u, retry_u,
            redial_delay, callback_delay, survey_u,
            g_off, ag_group, ag_busy_since, ag_busy, ag_leg, ag_order, id_used, gr_present, gr_leaving, gr_since,
            idle_buf, idle_head, idle_n, micro, q_head, q_tail, q_live, busy, staffed, busy_w, staffed_w, kpi,
            cf, ci, lf, li, c_free, l_free, ht, hk, hp, ft, fk, fc, ist, stf)
        if code == RUN_DONE:
            break
        if code == RUN_GROW_HEAP:
            n = int(ist[IS_HN])
            ht, hk, hp = _grow(ht, n), _grow(hk, n), _grow(hp, n)
        elif code == RUN_GROW_CONTACTS:
            n = int(ist[IS_NC])
            cf, ci, c_free = _grow(cf, n), _grow(ci, n), _grow(c_free, int(ist[IS_NCF]))
        elif code == RUN_GROW_LEGS:
            n = int(ist[IS_NL])
            lf, li, l_free = _grow(lf, n), _grow(li, n), _grow(l_free, int(ist[IS_NLF]))
        else:  # unroll the ring into a twice larger one
            h, n = int(ist[IS_FH]), int(ist[IS_FN])
            order = (h + np.arange(n)) % ft.shape[0]
            ft, fk, fc = (np.concatenate([a[order], np.empty(2 * a.shape[0] - n, a.dtype)]) for a in (ft, fk, fc))
            ist[IS_FH] = 0
    nc, nl = int(ist[IS_NC]), int(ist[IS_NL])
    live = np.zeros(nc, np.bool_)
    if not records:
        live[:] = True
        live[c_free[: int(ist[IS_NCF])]] = False
    busy_agents = np.flatnonzero(ag_busy)
    busy_order = busy_agents[np.argsort(ag_order[busy_agents], kind="stable")].astype(np.int64)
    finish(records, end_time, warmup, horizon, interval, n_int, sl_threshold, ag_group, ag_busy_since, busy_order,
           gr_present, gr_since, busy, staffed, busy_w, staffed_w, kpi, cf, ci, lf, li, live, nc, nl)
    if records:
        return cf[:nc], ci[:nc], lf[:nl], li[:nl], busy, staffed, busy_w, staffed_w, kpi
    return cf[:0], ci[:0], lf[:0], li[:0], busy, staffed, busy_w, staffed_w, kpi
