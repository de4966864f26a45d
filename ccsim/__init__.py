"""ccsim: discrete-event simulation of call centers.

    import ccsim
    sc = ccsim.load_scenario("experiments/scenarios/silo.toml")
    res = ccsim.simulate(sc, reps=10, seed=1)
    res.summary()
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import erlang
from .builders import erlang_a
from .config import Demand, Design, Scenario, load_scenario, scenario_from_dict
from .demand import DemandSample, sample_demand
from .errors import ScenarioError
from .results import Results
from .simulate import simulate
from .sweep import Sweep, SweepResults, load_sweep



def __getattr__(name: str):
    """``ccsim.report`` loads plotly only when a report is made (keeps ``import ccsim`` light)."""
    if name == "report":
        from .reports import report
        return report
    raise AttributeError(f"module 'ccsim' has no attribute {name!r}")


__all__ = ["Demand", "DemandSample", "Design", "Results", "Scenario", "ScenarioError", "Sweep", "SweepResults",
           "erlang", "erlang_a", "load_scenario", "load_sweep", "report", "sample_demand", "scenario_from_dict",
           "simulate", "__version__"]
