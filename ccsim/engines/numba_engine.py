"""The numba engine: thin glue between a Compiled scenario, the demand arrays and the array kernel.

The kernel (:mod:`ccsim.engines.numba_kernel`) reproduces the SimPy reference engine's records exactly;
this module only flattens the design into padded arrays, calls it, and wraps what it returns into the
same :class:`~ccsim.engines.output.RunOutput` (same columns, dtypes and row order).
"""
from __future__ import annotations

import numpy as np

from ..demand import DemandSample
from . import numba_kernel as nk
from .compiled import Compiled
from ..kpis import SUMS, from_sums
from .output import (ABANDONED, ANSWERED, CONTACT_COLUMNS, FRESH, HANDOFF, IN_SYSTEM, LEG_COLUMNS, TRANSFER, RunOutput,
                     agent_sums)


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
    "last_group": nk.CI_LAST_GROUP, "resolved": nk.CI_RESOLVED, "survey": nk.CF_SURVEY, "end": nk.CF_END}
_KERNEL_LEG = {
    "contact": nk.LI_CONTACT, "leg": nk.LI_LEG, "queue": nk.LI_QUEUE, "kind": nk.LI_KIND, "enter": nk.LF_ENTER,
    "wait": nk.LF_WAIT, "group": nk.LI_GROUP, "agent": nk.LI_AGENT, "agent_end": nk.LF_AGENT_END,
    "outcome": nk.LI_OUTCOME, "talk": nk.LF_TALK}
assert {c: j for c, (_, j) in _CONTACT_SRC.items()} == _KERNEL_CONTACT, "kernel contact columns disagree with output.py"
assert {c: j for c, (_, j) in _LEG_SRC.items()} == _KERNEL_LEG, "kernel leg columns disagree with output.py"
assert (nk.N_CF_OUT, nk.N_CI_OUT) == tuple(sum(s == k for s, _ in _CONTACT_SRC.values()) for k in "fi")
assert (nk.N_LF, nk.N_LI_OUT) == tuple(sum(s == k for s, _ in _LEG_SRC.values()) for k in "fi")
assert (nk.ANSWERED, nk.ABANDONED, nk.IN_SYSTEM) == (ANSWERED, ABANDONED, IN_SYSTEM)
assert (nk.FRESH, nk.TRANSFER, nk.HANDOFF) == (FRESH, TRANSFER, HANDOFF)
assert nk.KPI_FIELDS == SUMS[: nk.N_KPI], "the kernel's accumulators must be the first of ccsim.kpis.SUMS"


def _padded(lists: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged index lists as a (-1)-padded 2D array and the lengths."""
    width = max([len(x) for x in lists] + [1])
    out = np.full((len(lists), width), -1, dtype=np.int64)
    for i, x in enumerate(lists):
        out[i, : len(x)] = x
    return out, np.array([len(x) for x in lists], dtype=np.int64)


def _c(a: np.ndarray, dtype) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=dtype)


def kernel_args(comp: Compiled, d: DemandSample, records: bool) -> tuple:
    """The kernel's arguments: scalars, then design arrays, then demand arrays, then initial capacities."""
    gq, gq_n = _padded(comp.group_queues)
    qg, qg_n = _padded(comp.queue_groups)
    staffing = _c(comp.staffing, np.int64)
    g_maxa = (staffing.max(axis=1) + 1) if staffing.size else np.ones(len(comp.groups), np.int64)
    n = d.n_callers
    cap_c = max(64, int(n * 1.3) + 64) if records else 1024
    cap_l = max(64, int(cap_c * 1.3)) if records else 1024
    return (
        bool(records),
        float(comp.horizon), float(comp.warmup), float(comp.interval), int(comp.n_intervals), float(comp.end_time),
        float(comp.sl_threshold), float(comp.ivr_time), float(comp.transfer_time), float(comp.reexplain_time),
        float(comp.handoff_time), float(comp.survey_time), float(comp.survey_take_rate),
        float(comp.resolution_factor), float(comp.cold_factor),
        _c(comp.speed, np.float64), gq, gq_n, qg, qg_n, _c(comp.queue_priority, np.bool_),
        _c(comp.route_entry, np.int64), _c(comp.route_transfer, np.int64), _c(comp.route_warm, np.bool_),
        staffing, _c(g_maxa, np.int64), _c(comp.deflections, np.float64).reshape(-1, 3),
        _c(comp.ct_resolution, np.float64), _c(comp.ct_callback, np.float64), _c(comp.ct_redial, np.float64),
        _c(comp.ct_max_attempts, np.int64),
        _c(d.arrival, np.float64), _c(d.call_type, np.int64), _c(d.n_needs, np.int64), _c(d.needs, np.int64),
        _c(d.deflect_u, np.float64), _c(d.option, np.int64), _c(d.patience, np.float64), _c(d.talk, np.float64),
        _c(d.acw, np.float64), _c(d.resolve_u, np.float64), _c(d.retry_u, np.float64),
        _c(d.redial_delay, np.float64), _c(d.callback_delay, np.float64), _c(d.survey_u, np.float64),
        int(cap_c), int(cap_l),
    )


def _check(comp: Compiled, d: DemandSample) -> None:
    if d.option.shape[1] > 63:
        raise ValueError("the numba engine supports at most 63 contact attempts per caller")


def run_numba(comp: Compiled, demand: DemandSample) -> RunOutput:
    """Simulate one replication with the numba engine (records kept): the SimPy engine's output, faster."""
    return _run_records(comp, demand)


def _run_records(comp: Compiled, demand: DemandSample, small: bool = False) -> RunOutput:
    """``small`` (tests): start every growable array tiny, to exercise the growth paths."""
    _check(comp, demand)
    cf, ci, lf, li, busy, staffed, busy_w, staffed_w, _ = nk.run_kernel(*kernel_args(comp, demand, True), small=small)
    # one transpose per array, so that each column is contiguous before its cast
    src = {"f": cf[:, : nk.N_CF_OUT].T.copy(), "i": ci[:, : nk.N_CI_OUT].T.copy()}
    contacts = {k: src[s][j].astype(CONTACT_COLUMNS[k]) for k, (s, j) in _CONTACT_SRC.items()}
    lsrc = {"f": lf[:, : nk.N_LF].T.copy(), "i": li[:, : nk.N_LI_OUT].T.copy()}
    legs = {k: lsrc[s][j].astype(LEG_COLUMNS[k]) for k, (s, j) in _LEG_SRC.items()}
    return RunOutput(contacts, legs, busy, staffed, busy_w, staffed_w)


def run_numba_sums(comp: Compiled, demand: DemandSample, small: bool = False) -> dict[str, float]:
    """The records-free fast path: the window sums of :data:`ccsim.kpis.SUMS`, accumulated in the loop.
    Contact and leg slots are recycled, so memory stays flat.
    ``small`` (tests): start every growable array tiny, to exercise the growth paths."""
    _check(comp, demand)
    *_, busy_w, staffed_w, kpi = nk.run_kernel(*kernel_args(comp, demand, False), small=small)
    return dict(zip(nk.KPI_FIELDS, kpi.tolist())) | agent_sums(busy_w, staffed_w, comp)


def numba_replication_kpis(comp: Compiled, demand: DemandSample, small: bool = False) -> dict[str, float]:
    """Every KPI of the registry for one replication, without keeping records.

    Equal to ``replication_kpis(run_numba(comp, demand), comp)`` up to floating-point summation order.
    """
    return from_sums(run_numba_sums(comp, demand, small))
