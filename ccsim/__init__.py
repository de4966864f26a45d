"""ccsim: discrete-event simulation of call centers.

    import ccsim
    sc = ccsim.load_scenario("experiments/scenarios/silo.toml")
    res = ccsim.simulate(sc, reps=10, seed=1)
    res.summary()
"""
from __future__ import annotations

from . import erlang, kpis
from .builders import erlang_a
from .config import Demand, Design, Scenario, load_scenario, scenario_from_dict
from .demand import Arrivals, first_arrivals
from .errors import InputError, OptionError, ResultsError, ScenarioError
from .results import Results, SweepResults
from .simulate import simulate
from .sweep import Sweep, load_sweep
from .version import __version__



def __getattr__(name: str):
    """``ccsim.report`` loads plotly only when a report is made (keeps ``import ccsim`` light)."""
    if name == "report":
        from .report import report
        return report
    raise AttributeError(f"module 'ccsim' has no attribute {name!r}")


__all__ = ["Arrivals", "Demand", "Design", "InputError", "OptionError", "Results", "ResultsError", "Scenario", "ScenarioError", "Sweep", "SweepResults",
           "erlang", "erlang_a", "kpis", "load_scenario", "load_sweep", "first_arrivals", "report", "scenario_from_dict",
           "simulate", "__version__"]
