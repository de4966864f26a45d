"""Small, fast scenarios shared by the tests (plain dicts, validated with scenario_from_dict)."""
from __future__ import annotations

import copy
from pathlib import Path

import ccsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "experiments" / "scenarios"


def two_skill_center(mode: str = "cold", **top) -> dict:
    """A small two-department center (billing, tech) as a plain dict; every caller needs billing then tech."""
    d = {
        "name": f"two_{mode}", "horizon": 4 * 3600.0, "interval": 1800.0, "warmup": 0.0, "sl_threshold": 20.0,
        "demand": {
            "skills": ["billing", "tech"],
            "work": {"billing": {"talk": {"dist": "exponential", "mean": 200}, "acw": 20},
                     "tech": {"talk": {"dist": "lognormal", "mean": 300, "cv": 0.7}, "acw": 30}},
            "call_types": {"mixed": {"arrival_rate": 4 / 60, "needs": ["billing", "tech"],
                                     "patience": {"dist": "exponential", "mean": 90}}},
        },
        "design": {
            "name": mode, "transfer_mode": mode, "transfer_time": 20, "reexplain_time": 40, "handoff_time": 25,
            "queues": {"billing": {}, "tech": {}},
            "groups": {"billing_agents": {"skills": ["billing"], "queues": ["billing"], "staffing": 12},
                       "tech_agents": {"skills": ["tech"], "queues": ["tech"], "staffing": 16}},
            # billing is only ever the first need, so its route stays cold (a warm route back would be a cycle)
            "routes": {"billing": {"queue": "billing", "mode": "cold"}, "tech": "tech"},
        },
    }
    d.update(top)
    return d


def build(d: dict) -> ccsim.Scenario:
    return ccsim.scenario_from_dict(copy.deepcopy(d))


