"""``simulate``: sample demand per replication (common random numbers) and run it through an engine."""
from __future__ import annotations

from collections.abc import Callable

from .config import Scenario
from .demand import sample_demand
from .engines import DEFAULT_ENGINE, get_engine
from .engines.compiled import compile_scenario
from .errors import ScenarioError
from .results import Results, collect


def simulate(scenario: Scenario, engine: str = DEFAULT_ENGINE, reps: int = 10, seed: int = 1, *,
             keep_calls: bool = True, progress: Callable[[int, int], None] | None = None,
             first_rep: int = 0) -> Results:
    """Run replications ``first_rep .. first_rep + reps - 1`` of ``scenario``; replication r of seed s always
    sees the same callers, whatever the design, process or machine.

    ``keep_calls=False`` keeps only KPIs (memory stays flat); ``progress(done, total)`` is called per replication.
    """
    if not isinstance(reps, int) or reps < 1:
        raise ScenarioError("reps", f"must be a whole number >= 1 (got {reps!r})")
    if not isinstance(first_rep, int) or first_rep < 0:
        raise ScenarioError("first_rep", f"must be a whole number >= 0 (got {first_rep!r})")
    if not isinstance(seed, int) or seed < 0:
        raise ScenarioError("seed", f"must be a whole number >= 0 (got {seed!r})")
    run = get_engine(engine)
    comp = compile_scenario(scenario)

    def outputs():
        for i, r in enumerate(range(first_rep, first_rep + reps)):
            out = run(comp, sample_demand(scenario, seed, r))
            if progress:
                progress(i + 1, reps)
            yield r, out

    return collect(scenario, comp, engine, seed, outputs(), keep_calls)
