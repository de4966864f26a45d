"""Fixtures: the bundled scenarios."""
from __future__ import annotations

import pytest

import ccsim
from centers import SCENARIOS


@pytest.fixture(scope="session")
def silo() -> ccsim.Scenario:
    return ccsim.load_scenario(SCENARIOS / "silo.toml")


@pytest.fixture(scope="session")
def team() -> ccsim.Scenario:
    return ccsim.load_scenario(SCENARIOS / "team.toml")
