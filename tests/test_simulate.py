"""ccsim.simulate: argument checks (a bad argument is an OptionError naming it), replication numbering
(first_rep), reproducibility, keep_calls and progress, on both engines."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ccsim
from ccsim import OptionError
from ccsim.engines import ENGINES

from centers import build, two_skill_center

TABLES = ("kpis", "intervals", "queues", "groups", "journeys")  # always kept
RECORDS = ("calls", "legs")                                     # kept unless keep_calls=False


@pytest.fixture(scope="module")
def center() -> ccsim.Scenario:
    """Two departments with cold transfers and abandonment: every table has several queues, groups, legs."""
    return build(two_skill_center("cold", horizon=2 * 3600.0))


@pytest.fixture(scope="module")
def queue() -> ccsim.Scenario:
    """The cheapest scenario: one M/M/c+M queue for an hour."""
    return ccsim.erlang_a(arrival_rate=0.1, mean_handle_time=180, agents=20, mean_patience=120, horizon=3600, warmup=600)


def assert_same_tables(a: ccsim.Results, b: ccsim.Results, names=TABLES + RECORDS, exact: bool = True) -> None:
    """Equal tables; ``exact=False``: sums of times may differ in the last bits (another summation order)."""
    for name in names:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=exact, rtol=1e-12, obj=name)


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("arg, value", [
    ("reps", 0), ("reps", -2), ("reps", 2.0), ("reps", "3"), ("reps", None),
    ("seed", -1), ("seed", 1.5), ("seed", "1"), ("seed", None),
    ("first_rep", -1), ("first_rep", 0.5), ("first_rep", "0"), ("first_rep", None),
])
def test_bad_argument_is_named(queue, arg, value):
    calls = []
    with pytest.raises(OptionError) as e:
        ccsim.simulate(queue, **{"reps": 1, arg: value}, progress=lambda i, n: calls.append(i))
    assert e.value.field == arg
    assert repr(value) in str(e.value)
    assert calls == []  # rejected before any replication ran


@pytest.mark.parametrize("arg", ["reps", "seed", "first_rep"])
def test_booleans_are_not_counts(queue, arg):
    with pytest.raises(OptionError, match=arg):
        ccsim.simulate(queue, **{"reps": 1, arg: True})


@pytest.mark.parametrize("arg", ["reps", "seed", "first_rep"])
def test_numpy_integers_are_whole_numbers(queue, arg):
    res = ccsim.simulate(queue, **{"reps": 1, arg: np.int64(3)})
    assert len(res.kpis) == (3 if arg == "reps" else 1)


def test_smallest_valid_arguments(queue):
    res = ccsim.simulate(queue, engine="simpy", reps=1, seed=0, first_rep=0)
    assert (res.engine, res.seed, res.reps) == ("simpy", 0, 1)
    assert list(res.kpis.index) == [0] and res.kpis.loc[0, "offered"] > 0


def test_unknown_engine_is_named(queue):
    with pytest.raises(OptionError) as e:
        ccsim.simulate(queue, engine="ciw", reps=1)
    assert e.value.field == "engine" and "'ciw'" in str(e.value)
    assert all(name in str(e.value) for name in ENGINES)


# --------------------------------------------------------------------------- replications and seeds
@pytest.mark.parametrize("engine", ENGINES)
def test_first_rep_runs_the_same_replications_in_parts(center, engine):
    whole = ccsim.simulate(center, engine, reps=5, seed=3)
    head = ccsim.simulate(center, engine, reps=2, seed=3)
    tail = ccsim.simulate(center, engine, reps=3, seed=3, first_rep=2)
    assert list(whole.kpis.index) == [0, 1, 2, 3, 4]
    assert list(tail.kpis.index) == [2, 3, 4] and tail.reps == 3
    joined = pd.concat([head.kpis, tail.kpis])
    for kpi in whole.kpis.columns:
        pd.testing.assert_series_equal(whole.kpis[kpi], joined[kpi], check_exact=True)
    for name in TABLES[1:] + RECORDS:
        joined = pd.concat([getattr(head, name), getattr(tail, name)], ignore_index=True)
        pd.testing.assert_frame_equal(getattr(whole, name), joined, check_exact=True, obj=name)
    assert sorted(tail.calls["rep"].unique()) == [2, 3, 4]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_same_seed_same_numbers_other_seed_other_numbers(engine, mode):
    center = build(two_skill_center(mode, horizon=2 * 3600.0))
    a = ccsim.simulate(center, engine, reps=2, seed=5)
    b = ccsim.simulate(center, engine, reps=2, seed=5)
    c = ccsim.simulate(center, engine, reps=2, seed=6)
    assert_same_tables(a, b)
    assert (a.kpis != c.kpis).any(axis=None)
    assert not np.array_equal(a.calls["arrival"].to_numpy()[:50], c.calls["arrival"].to_numpy()[:50])
    # replications of one seed are different days, too
    assert not np.array_equal(a.calls.loc[a.calls["rep"] == 0, "arrival"].to_numpy()[:50],
                              a.calls.loc[a.calls["rep"] == 1, "arrival"].to_numpy()[:50])


# --------------------------------------------------------------------------- keep_calls and progress
@pytest.mark.parametrize("engine", ENGINES)
def test_keep_calls_false_keeps_every_kpi_and_no_records(center, engine):
    kept = ccsim.simulate(center, engine, reps=2, seed=4)
    lean = ccsim.simulate(center, engine, reps=2, seed=4, keep_calls=False)
    assert lean.calls is None and lean.legs is None
    assert len(kept.calls) > 0 and len(kept.legs) > len(kept.calls)  # transfers add legs
    # numba: the records-free kernel's tallies; simpy: the same tallies from its records
    assert_same_tables(kept, lean, TABLES, exact=engine == "simpy")


@pytest.mark.parametrize("engine", ENGINES)
def test_progress_is_called_once_per_replication(queue, engine):
    seen = []
    res = ccsim.simulate(queue, engine, reps=3, seed=2, first_rep=7, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert list(res.kpis.index) == [7, 8, 9]
