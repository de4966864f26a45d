"""Scenario builders for textbook cases (researchers start from these)."""
from __future__ import annotations

from .config import Scenario, scenario_from_dict


def erlang_a(arrival_rate: float, mean_handle_time: float, agents: int, mean_patience: float | None = None,
             horizon: float = 8 * 3600.0, warmup: float = 3600.0, sl_threshold: float = 20.0,
             name: str | None = None) -> Scenario:
    """The M/M/c+M queue as a scenario: Poisson arrivals, exponential handle time and patience, one queue.

    ``mean_patience=None`` means callers never hang up (Erlang C, M/M/c).
    """
    patience = None if mean_patience is None else {"dist": "exponential", "mean": mean_patience}
    call = {"arrival_rate": arrival_rate, "needs": ["service"]}
    if patience is not None:
        call["patience"] = patience
    return scenario_from_dict({
        "name": name or ("erlang_c" if mean_patience is None else "erlang_a"),
        "description": "M/M/c" + ("" if mean_patience is None else "+M") + " textbook queue",
        "horizon": horizon, "interval": horizon, "warmup": warmup, "sl_threshold": sl_threshold,
        "demand": {"skills": ["service"],
                   "work": {"service": {"talk": {"dist": "exponential", "mean": mean_handle_time}}},
                   "call_types": {"calls": call}},
        "design": {"name": "single queue", "queues": {"service": {}},
                   "groups": {"agents": {"skills": ["service"], "queues": ["service"], "staffing": agents}},
                   "routes": {"service": "service"}},
    })
