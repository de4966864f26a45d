"""Engines run replication r of seed s of a compiled scenario; each returns the same :class:`RunOutput`
(records), and an engine may also have a records-free path returning :class:`Tallies`."""
from __future__ import annotations

from collections.abc import Callable

from ..errors import OptionError

ENGINES = ("simpy", "numba")
DEFAULT_ENGINE = "numba"  # proven equal to the SimPy reference by tests/test_engine_equality.py, and far faster


def get_engine(name: str) -> Callable:
    """The run function of engine ``name``."""
    if name == "simpy":
        from .simpy_engine import run_simpy
        return run_simpy
    if name == "numba":
        from .numba_engine import run_numba
        return run_numba
    raise OptionError("engine", f"unknown engine {name!r}", f"use one of {', '.join(ENGINES)}")


def get_tally_engine(name: str) -> Callable | None:
    """The records-free run function of engine ``name`` (comp, seed, rep) -> Tallies, or None if it has none
    (then the tallies are made from its records)."""
    get_engine(name)  # one check of the name
    if name == "numba":
        from .numba_engine import run_numba_tallies
        return run_numba_tallies
    return None
