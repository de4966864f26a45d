"""The numba engine: thin glue between a Compiled scenario and the array kernel.

The kernel (:mod:`ccsim.engines.numba_kernel`) reproduces the SimPy reference engine's records exactly;
this module only packs the design and demand into the kernel's named tuples (once per compiled scenario),
calls it, and wraps what it returns into the same :class:`~ccsim.engines.output.RunOutput` (same columns,
dtypes and row order), or into :class:`~ccsim.engines.output.Tallies` without records.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .. import variates as rv
from ..limits import MAX_AFTER_SERVICE
from ..demand import check_replication_size
from ..kpis import SUMS
from . import numba_kernel as nk
from .compiled import CONSULT_SUB, REJOIN_SUB, Compiled, workforce
from .output import (ABANDONED, ANSWERED, BLOCKED, CB_ACCEPTED, CB_DECLINED, CB_NONE, CONTACT_COLUMNS, DISCONNECTED, MESSAGE, UNREACHED, CONTACT_SUMS, FRESH, HANDOFF, IN_SYSTEM, INTERVAL_SUMS,
                     LEG_COLUMNS, QUEUE_SUMS, TRANSFER, WAIT_GRID, RunOutput, Tallies)


def _sources(columns: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Where each record column sits in the kernel's float ("f") or int ("i") array: floats, then the rest,
    each in the declared column order (the kernel keeps literal indices, checked below)."""
    floats = [c for c, dt in columns.items() if dt == "float64"]
    ints = [c for c in columns if c not in floats]
    return {c: ("f", floats.index(c)) if c in floats else ("i", ints.index(c)) for c in columns}


_CONTACT_SRC = _sources(CONTACT_COLUMNS)
_LEG_SRC = _sources(LEG_COLUMNS)
# the kernel cannot import the layout (numba's cache does not track other files): check its constants here
_KERNEL_CONTACT = {
    "caller": nk.CI_CALLER, "attempt": nk.CI_ATTEMPT, "call_type": nk.CI_CALL_TYPE, "arrival": nk.CF_ARRIVAL,
    "queue_arrival": nk.CF_QARR, "first_queue": nk.CI_FIRST_QUEUE, "answered_at": nk.CF_ANSWERED_AT,
    "first_group": nk.CI_FIRST_GROUP, "wait": nk.CF_WAIT, "hold": nk.CF_HOLD, "talk_time": nk.CF_TALK,
    "agent_time": nk.CF_AGENT_TIME, "transfers": nk.CI_TRANSFERS, "handoffs": nk.CI_HANDOFFS,
    "reexplanations": nk.CI_REEXPL, "n_legs": nk.CI_NLEGS, "outcome": nk.CI_OUTCOME, "last_queue": nk.CI_LAST_QUEUE,
    "last_group": nk.CI_LAST_GROUP, "resolved": nk.CI_RESOLVED, "survey": nk.CF_SURVEY, "end": nk.CF_END,
    "callback": nk.CI_CALLBACK, "callback_wait": nk.CF_CB_WAIT, "dial_time": nk.CF_DIAL}
_KERNEL_LEG = {
    "contact": nk.LI_CONTACT, "leg": nk.LI_LEG, "queue": nk.LI_QUEUE, "kind": nk.LI_KIND, "enter": nk.LF_ENTER,
    "wait": nk.LF_WAIT, "group": nk.LI_GROUP, "agent": nk.LI_AGENT, "agent_end": nk.LF_AGENT_END,
    "outcome": nk.LI_OUTCOME, "talk": nk.LF_TALK}
assert {c: j for c, (_, j) in _CONTACT_SRC.items()} == _KERNEL_CONTACT, "kernel contact columns disagree with output.py"
assert {c: j for c, (_, j) in _LEG_SRC.items()} == _KERNEL_LEG, "kernel leg columns disagree with output.py"
assert (nk.N_CF_OUT, nk.N_CI_OUT) == tuple(sum(s == k for s, _ in _CONTACT_SRC.values()) for k in "fi")
assert (nk.N_LF_OUT, nk.N_LI_OUT) == tuple(sum(s == k for s, _ in _LEG_SRC.values()) for k in "fi")
assert (nk.ANSWERED, nk.ABANDONED, nk.IN_SYSTEM, nk.BLOCKED, nk.DISCONNECTED, nk.MESSAGE, nk.UNREACHED) == (
    ANSWERED, ABANDONED, IN_SYSTEM, BLOCKED, DISCONNECTED, MESSAGE, UNREACHED)
assert (nk.CB_NONE, nk.CB_DECLINED, nk.CB_ACCEPTED) == (CB_NONE, CB_DECLINED, CB_ACCEPTED)
assert (nk.CONSULT_SUB, nk.REJOIN_SUB) == (CONSULT_SUB, REJOIN_SUB)
assert (nk.FRESH, nk.TRANSFER, nk.HANDOFF) == (FRESH, TRANSFER, HANDOFF)
assert nk.KPI_FIELDS == CONTACT_SUMS == SUMS[: nk.N_KPI], "the kernel's accumulators must be the first of kpis.SUMS"
assert (nk.N_BI, nk.N_BQ) == (len(INTERVAL_SUMS), len(QUEUE_SUMS))
assert hashlib.sha256(Path(rv.__file__).read_bytes()).hexdigest()[:16] == nk.VARIATES_SHA256, (
    "ccsim/variates.py changed: set numba_kernel.VARIATES_SHA256 to the first 16 hex digits of its sha256, "
    "so that numba recompiles the cached kernel")


assert nk.N_CI - nk.CI_X0 == MAX_AFTER_SERVICE, "numba_kernel: one contact column per need post-service routing adds"


def _padded(lists: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged index lists as a (-1)-padded 2D array and the lengths."""
    width = max([len(x) for x in lists] + [1])
    out = np.full((len(lists), width), -1, dtype=np.int64)
    for i, x in enumerate(lists):
        out[i, : len(x)] = x
    return out, np.array([len(x) for x in lists], dtype=np.int64)


def _padded_f(lists: tuple[tuple[float, ...], ...]) -> np.ndarray:
    """Ragged float lists as a (0-padded) 2D array."""
    out = np.zeros((len(lists), max([len(x) for x in lists] + [1])))
    for i, x in enumerate(lists):
        out[i, : len(x)] = x
    return out


def _c(a, dtype=np.float64) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=dtype)


def _packed(comp: Compiled) -> tuple[nk.DESIGN, nk.DEMAND]:
    """The kernel's design and demand tuples (the demand's stream and busyness set per replication), made
    once per compiled scenario."""
    cached = comp.__dict__.get("_numba_packed")
    if cached is not None:
        return cached
    gq, gq_n = _padded(comp.group_queues)
    qg, qg_n = _padded(comp.queue_groups)
    staffing = _c(comp.staffing, np.int64)
    g_maxa = (staffing.max(axis=1) + 1) if staffing.size else np.ones(len(comp.groups), np.int64)
    dz = nk.DESIGN(
        horizon=float(comp.horizon), warmup=float(comp.warmup), interval=float(comp.interval),
        n_int=int(comp.n_intervals), end_time=float(comp.end_time), ct_sl=_c(comp.ct_sl),
        ivr_time=float(comp.ivr_time), ct_pool=_c(comp.ct_pool, np.int64),
        pool_lines=_c(comp.pool_lines, np.int64),
        disconnect_at_close=bool(comp.disconnect_at_close), disconnect_unstaffed=bool(comp.disconnect_unstaffed), transfer_time=float(comp.transfer_time),
        reexplain_time=float(comp.reexplain_time), handoff_time=float(comp.handoff_time),
        survey_time=float(comp.survey_time), survey_take_rate=float(comp.survey_take_rate),
        resolution_factor=float(comp.resolution_factor), cold_factor=float(comp.cold_factor),
        speed=_c(comp.speed), gq=gq, gq_n=gq_n, qg=qg, qg_n=qg_n,
        gq_after=_padded_f(comp.group_queues_after), qg_after=_padded_f(comp.queue_groups_after),
        q_delays=_padded_f(comp.queue_delays), q_nd=np.array([len(x) for x in comp.queue_delays], dtype=np.int64),
        agent_sel=int(comp.agent_selection), ct_rank=_c(comp.ct_rank, np.int64),
        n_cls=2 * (int(comp.ct_rank.max(initial=0)) + 1), g_lw=_c(comp.group_longest_waiting, np.bool_), q_prio=_c(comp.queue_priority, np.bool_),
        q_max_wait=_c(comp.queue_max_wait), q_message_time=_c(comp.queue_message_time),
        route_entry=_c(comp.route_entry, np.int64), route_transfer=_c(comp.route_transfer, np.int64),
        route_warm=_c(comp.route_warm, np.bool_), route_consult=_c(comp.route_consult, np.bool_), route_conference=_c(comp.route_conference, np.bool_),
        route_nowait=_c(comp.route_nowait, np.bool_), after_cum=_c(comp.after_cum),
        after_skill=_c(comp.after_skill, np.int64), max_after=int(comp.max_after), staffing=staffing, g_maxa=_c(g_maxa, np.int64),
        deflections=_c(comp.deflections).reshape(-1, 3), ct_resolution=_c(comp.ct_resolution),
        ct_callback=_c(comp.ct_callback), ct_redial=_c(comp.ct_redial),
        ct_max_attempts=_c(comp.ct_max_attempts, np.int64), wait_grid=_c(WAIT_GRID),
        q_cb=_c(comp.queue_cb, np.bool_), q_cb_pos=_c(comp.queue_cb_position, np.int64), q_cb_wait=_c(comp.queue_cb_wait),
        q_cb_handle=_c(comp.queue_cb_handle), q_cb_dial=_c(comp.queue_cb_dial),
        q_cb_retries=_c(comp.queue_cb_retries, np.int64), q_cb_delay=_c(comp.queue_cb_retry_delay),
        br_group=_c(comp.br_group, np.int64), br_latest=_c(comp.br_latest), br_dur=_c(comp.br_dur),
        br_end=_c(comp.br_end), br_n=_c(comp.sd_agents[comp.br_shift], np.int64), mk_t=_c(comp.mk_t),
        mk_kind=_c(comp.mk_kind, np.int64), mk_b=_c(comp.mk_b, np.int64),
        # one event may start a break for every agent (a window opening, a shift starting): heap room for them
        brk_room=int(g_maxa.sum()) if len(comp.br_group) else 0,
        ct_outbound=_c(comp.ct_outbound, np.bool_), ct_reach=_c(comp.ct_reach), dial_ct=int(comp.dial_ct),
        dial_target=_c(comp.dial_target, np.bool_), dial_test=_c(comp.dial_test, np.bool_),
        dial_min_free=int(comp.dial_min_free), dial_min_target=int(comp.dial_min_target),
        dial_per_free=float(comp.dial_per_free), dial_extra=int(comp.dial_extra), dial_start=float(comp.dial_start),
        dial_end=float(comp.dial_end), dial_max_waiting=int(comp.dial_max_waiting),
        dial_queues=_c(comp.dial_queues, np.bool_))
    d = comp.demand
    i64 = np.int64
    dm = nk.DEMAND(
        stream=0, busy=np.ones(d.n_days), seg_end=_c(d.seg_end), seg_rate=_c(d.seg_rate),
        seg_day=_c(d.seg_day, i64), ct_seg=_c(d.ct_seg, i64), needs_cum=_c(d.needs_cum),
        needs_rows=_c(d.needs_rows, i64), needs=_c(d.needs, i64), n_needs=_c(d.n_needs, i64),
        misroute=_c(d.misroute), balk=_c(d.balk),
        same_patience=_c(d.same_patience, np.bool_), law_interval=float(d.law_interval), n_skills=int(d.n_skills), dist_kind=_c(d.dist_kind, i64), dist_p=_c(d.dist_p),
        dist_off=_c(d.dist_off, i64), dist_n=_c(d.dist_n, i64), values=_c(d.values),
        ct_patience=_c(d.ct_patience, i64), ct_redial_delay=_c(d.ct_redial_delay, i64),
        ct_callback_delay=_c(d.ct_callback_delay, i64), skill_talk=_c(d.skill_talk, i64),
        skill_acw=_c(d.skill_acw, i64), vh_accept=_c(comp.ct_cb_accept), vh_answer=_c(comp.ct_cb_answer))
    object.__setattr__(comp, "_numba_packed", (dz, dm))  # a cache on the frozen dataclass
    return dz, dm


def _replication(comp: Compiled, seed: int, rep: int) -> tuple[nk.DESIGN, nk.DEMAND]:
    dz, dm = _packed(comp)
    stream = rv.stream_key(seed, rep)
    busy = comp.demand.busyness(stream)
    check_replication_size(comp.demand, busy, seed, rep)
    if comp.sd_absent.any():  # the day's agents: absent ones removed from the staffing and the breaks owed
        staffing, br_n = workforce(comp, seed, rep)
        dz = dz._replace(staffing=_c(staffing, np.int64), br_n=_c(br_n, np.int64))
    return dz, dm._replace(stream=stream, busy=busy)


def run_numba(comp: Compiled, seed: int, rep: int = 0, small: bool = False) -> RunOutput:
    """Simulate replication ``rep`` of ``seed`` with the numba engine, records kept: the SimPy engine's output.
    ``small`` (tests): start every growable array tiny, to exercise the growth paths."""
    dz, dm = _replication(comp, seed, rep)
    # room for the expected contacts at once (growing by doubling copies every record several times)
    d = comp.demand
    starts = np.concatenate([[0.0], d.seg_end[:-1]])
    starts[d.ct_seg[:-1]] = 0.0
    first = float(((d.seg_end - starts) * d.seg_rate * dm.busy[d.seg_day]).sum())
    repeat = float(np.max(np.maximum(comp.ct_redial, comp.ct_callback) * (comp.ct_max_attempts > 1), initial=0.0))
    cap = int(min(first * (1.0 + repeat) * 1.1 + 1024, 2e8))
    sl, ta, nc, nl = nk.run_kernel(True, dz, dm, 1, cap, cap + cap // 4, small=small)
    # one transpose per array, so that each column is contiguous before its cast
    src = {"f": sl.cf[:nc, : nk.N_CF_OUT].T.copy(), "i": sl.ci[:nc, : nk.N_CI_OUT].T.copy()}
    contacts = {k: src[s][j].astype(CONTACT_COLUMNS[k]) for k, (s, j) in _CONTACT_SRC.items()}
    lsrc = {"f": sl.lf[:nl, : nk.N_LF_OUT].T.copy(), "i": sl.li[:nl, : nk.N_LI_OUT].T.copy()}
    legs = {k: lsrc[s][j].astype(LEG_COLUMNS[k]) for k, (s, j) in _LEG_SRC.items()}
    return RunOutput(contacts, legs, ta.busy, ta.staffed, ta.busy_w, ta.staffed_w, ta.kpi[:, nk.K_DIALLED].copy())


def fast_path_applies(comp: Compiled) -> bool:
    """One queue, one group whose staffing never changes, every caller with one need the group serves, nobody
    redials or calls back, laws the same in every period: the fast loop (numba_kernel.fast_loop) gives the general loop's tallies."""
    d = comp.demand
    if (len(comp.queues) != 1 or len(comp.groups) != 1 or comp.staffing.size == 0 or comp.pool_lines.any() or comp.disconnect_at_close
            or len(comp.br_group) or comp.sd_absent.any() or comp.dial_ct >= 0
            or np.isfinite(comp.queue_max_wait).any() or d.skill_talk.shape[1] > 1 or any(comp.queue_delays)
            or comp.ct_rank.max(initial=0) > 0 or comp.max_after > 0 or comp.queue_cb.any()):
        return False
    staff = comp.staffing[0]
    if staff[0] <= 0 or (staff != staff[0]).any():
        return False
    rows = np.arange(d.needs.shape[1])[None, :] < d.needs_rows[:, None]   # the rows that exist
    if (d.n_needs[rows] != 1).any() or (comp.speed[0, d.needs[:, :, 0][rows]] <= 0).any():
        return False
    retries = (comp.ct_max_attempts > 1) & ((comp.ct_redial > 0) | (comp.ct_callback > 0))
    return not retries.any()


def run_numba_tallies(comp: Compiled, seed: int, rep: int = 0, small: bool = False,
                      fast: bool | None = None) -> Tallies:
    """The records-free path: every tally the KPI tables need, accumulated in the loop as contacts end;
    contact and leg slots are recycled, so memory stays flat whatever the horizon. ``fast`` (tests): force or
    forbid the fast path; by default it is taken where it applies (:func:`fast_path_applies`)."""
    dz, dm = _replication(comp, seed, rep)
    n_legs = comp.max_legs
    if fast is None:
        fast = comp.__dict__.get("_numba_fast")
        if fast is None:  # once per compiled scenario (a cache on the frozen dataclass)
            fast = fast_path_applies(comp)
            object.__setattr__(comp, "_numba_fast", fast)
        fast = fast and not small
    if fast:
        ta = nk.run_fast(dz, dm, n_legs)
    else:
        _, ta, _, _ = nk.run_kernel(False, dz, dm, n_legs, 1024, 1024, small=small)
    return Tallies(window=ta.kpi.sum(axis=0), by_type=ta.kpi, by_interval=ta.by_interval, by_queue=ta.by_queue, by_group=ta.by_group,
                   wait_hist=ta.wait_hist, flow_in=ta.flow_in, flow_out=ta.flow_out, flow_end=ta.flow_end,
                   busy=ta.busy, staffed=ta.staffed, busy_window=ta.busy_w, staffed_window=ta.staffed_w)
