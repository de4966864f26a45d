"""``simulate``: run replications of a scenario through an engine (common random numbers: replication r of
seed s draws the same callers whatever the design)."""
from __future__ import annotations

import numbers
from collections.abc import Callable

from .config import Scenario
from .engines import DEFAULT_ENGINE, get_engine, get_tally_engine
from .engines.compiled import compile_scenario
from .errors import OptionError
from .limits import shown
from .metrics import tallies
from .results import Results, collect


#: replications, seeds and replication numbers: numpy's SeedSequence takes any whole number >= 0, but the
#: replication number and the seed are stored as 64-bit integers in results
MAX_WHOLE = 2**63 - 1


def _whole(name: str, value, low: int) -> int:
    """``value`` as a Python int if it is a whole number (numpy integers too, booleans not) in [low, 2^63)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= MAX_WHOLE:
        raise OptionError(name, f"must be a whole number >= {low} (got {shown(value)})")
    return int(value)


def simulate(scenario: Scenario, engine: str = DEFAULT_ENGINE, reps: int = 10, seed: int = 1, *,
             keep_calls: bool = True, progress: Callable[[int, int], None] | None = None,
             first_rep: int = 0) -> Results:
    """Run replications ``first_rep .. first_rep + reps - 1`` of ``scenario``; replication r of seed s always
    sees the same callers, whatever the design, process or machine.

    ``keep_calls=False`` keeps every table but the per-call records, which are never made on the numba engine
    (memory stays flat whatever the horizon); ``progress(done, total)`` is called per replication.
    """
    reps = _whole("reps", reps, 1)
    first_rep = _whole("first_rep", first_rep, 0)
    seed = _whole("seed", seed, 0)
    if first_rep + reps - 1 > MAX_WHOLE:
        raise OptionError("first_rep", f"replications {first_rep} to {first_rep + reps - 1} go beyond {MAX_WHOLE}")
    if not isinstance(scenario, Scenario):
        raise OptionError("scenario", f"must be a ccsim.Scenario (got {type(scenario).__name__})",
                          "make one with ccsim.load_scenario or ccsim.scenario_from_dict")
    run, lean = get_engine(engine), get_tally_engine(engine)
    comp = compile_scenario(scenario)

    def outputs():
        for i, r in enumerate(range(first_rep, first_rep + reps)):
            if keep_calls or lean is None:
                out = run(comp, seed, r)
                yield r, out, tallies(out, comp)
            else:  # records-free: memory flat in the horizon
                yield r, None, lean(comp, seed, r)
            if progress:
                progress(i + 1, reps)

    return collect(scenario, comp, engine, seed, outputs(), keep_calls)
