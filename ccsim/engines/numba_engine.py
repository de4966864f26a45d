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
from .output import CONTACT_COLUMNS, LEG_COLUMNS, RunOutput

# where each output column sits in the kernel's float / int record arrays
_CONTACT_SRC = {
    "caller": ("i", nk.CI_CALLER), "attempt": ("i", nk.CI_ATTEMPT), "call_type": ("i", nk.CI_CALL_TYPE),
    "arrival": ("f", nk.CF_ARRIVAL), "queue_arrival": ("f", nk.CF_QARR), "first_queue": ("i", nk.CI_FIRST_QUEUE),
    "answered_at": ("f", nk.CF_ANSWERED_AT), "first_group": ("i", nk.CI_FIRST_GROUP),
    "wait": ("f", nk.CF_WAIT), "hold": ("f", nk.CF_HOLD), "talk_time": ("f", nk.CF_TALK),
    "agent_time": ("f", nk.CF_AGENT_TIME), "transfers": ("i", nk.CI_TRANSFERS), "handoffs": ("i", nk.CI_HANDOFFS),
    "reexplanations": ("i", nk.CI_REEXPL), "n_legs": ("i", nk.CI_NLEGS), "outcome": ("i", nk.CI_OUTCOME),
    "last_queue": ("i", nk.CI_LAST_QUEUE), "last_group": ("i", nk.CI_LAST_GROUP), "resolved": ("i", nk.CI_RESOLVED),
    "survey": ("f", nk.CF_SURVEY), "end": ("f", nk.CF_END),
}
_LEG_SRC = {
    "contact": ("i", nk.LI_CONTACT), "leg": ("i", nk.LI_LEG), "queue": ("i", nk.LI_QUEUE), "kind": ("i", nk.LI_KIND),
    "enter": ("f", nk.LF_ENTER), "wait": ("f", nk.LF_WAIT), "group": ("i", nk.LI_GROUP), "agent": ("i", nk.LI_AGENT),
    "agent_end": ("f", nk.LF_AGENT_END), "outcome": ("i", nk.LI_OUTCOME), "talk": ("f", nk.LF_TALK),
}
assert set(_CONTACT_SRC) == set(CONTACT_COLUMNS) and set(_LEG_SRC) == set(LEG_COLUMNS)


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


def run_numba_kpis(comp: Compiled, demand: DemandSample, small: bool = False
                   ) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """The records-free fast path: (window accumulators by :data:`~ccsim.engines.numba_kernel.KPI_FIELDS`,
    busy_window, staffed_window). Contact and leg slots are recycled, so memory stays flat.
    ``small`` (tests): start every growable array tiny, to exercise the growth paths."""
    _check(comp, demand)
    *_, busy_w, staffed_w, kpi = nk.run_kernel(*kernel_args(comp, demand, False), small=small)
    return dict(zip(nk.KPI_FIELDS, kpi.tolist())), busy_w, staffed_w


def _ratio(num: float, den: float) -> float:
    return float(num) / den if den else float("nan")


def numba_replication_kpis(comp: Compiled, demand: DemandSample, small: bool = False) -> dict[str, float]:
    """Every KPI of :func:`ccsim.metrics.replication_kpis` for one replication, without keeping records.

    Equal to ``replication_kpis(run_numba(comp, demand), comp)`` up to floating-point summation order.
    """
    k, busy_w, staffed_w = run_numba_kpis(comp, demand, small)
    off = k["offered"]
    out = {
        "offered": off, "answered": k["answered"], "abandoned": k["abandoned"], "in_system": k["in_system"],
        "abandon_rate": _ratio(k["abandoned"], off),
        "service_level": _ratio(k["within_sl"], off),
        "asa": _ratio(k["first_wait_sum"], k["answered"]),
        "mean_wait": _ratio(k["wait_sum"], off),
        "p_wait": _ratio(k["waited"], off),
        "occupancy": _ratio(busy_w.sum(), staffed_w.sum()),
        "transfers_per_call": _ratio(k["transfers"], off),
        "handoffs_per_call": _ratio(k["handoffs"], off),
        "reexplanations_per_call": _ratio(k["reexplanations"], off),
        "fcr": _ratio(k["first_resolved"], k["first_contacts"]),
        "mean_time_in_system": _ratio(k["time_in_system_sum"], k["ended"]),
        "aht": _ratio(k["agent_time_sum"], k["handled"]),
        "cost": float((staffed_w / 3600.0 * comp.cost_per_hour).sum()),
        "callers": k["first_contacts"],
        "repeat_contacts": off - k["first_contacts"],
        "abandoned_after_answer": k["abandoned_after_answer"],
    }
    return out
