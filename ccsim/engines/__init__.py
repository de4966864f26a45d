"""Engines run a compiled scenario against sampled demand; each returns the same :class:`RunOutput`."""
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
