"""The staffing planner: targets, Erlang plans, the simulated search, validation with fresh seeds."""
from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import ccsim
from ccsim import OptionError
from ccsim.cli import app
from ccsim.engines import DEFAULT_ENGINE
from ccsim import staffing
from ccsim.staffing import Plan, Target, compare_plans, erlang_plan, plan_toml, simulated_plan

from centers import SCENARIOS

ENGINE = DEFAULT_ENGINE
TARGETS = [Target.parse("service_level>=0.8"), Target.parse("abandon_rate<=0.05")]


def test_targets_parse_and_reject():
    assert Target.parse(" asa <= 30 ") == Target("asa", "<=", 30.0)
    for bad in ("service_level>0.8", "service_level<=0.8", "occupancy>=0.5", "abandon_rate<=5", "sl=0.8"):
        with pytest.raises(OptionError, match="--target"):
            Target.parse(bad)
    t = Target.parse("service_level>=0.8")
    assert t.met(0.85, 0.04) and not t.met(0.85, 0.06)


@pytest.mark.parametrize("start", [45, 60])
def test_single_queue_plan_equals_exact_erlang_a_inverse(start):
    sc = ccsim.erlang_a(arrival_rate=10 / 60, mean_handle_time=300, agents=40, mean_patience=120,
                        horizon=8 * 3600, warmup=3600)
    exact = ccsim.erlang.required_agents(10 / 60, 300, 120, 20, service_level=0.8, abandon_rate=0.05)
    assert erlang_plan(sc, TARGETS, "A", by_interval=False)[0, 0] == exact
    plan = simulated_plan(sc, TARGETS, by_interval=False, reps=30, seed=1, engine=ENGINE,
                          start=np.full((1, sc.n_intervals), start))
    assert (plan.agents == exact).all()


@pytest.mark.parametrize("name", ["silo", "team"])
def test_day_plan_meets_every_target_in_every_interval_with_fresh_seeds(name):
    sc = ccsim.load_scenario(SCENARIOS / f"{name}.toml")
    plans, table = compare_plans(sc, TARGETS, by_interval=True, reps=20, seed=1, engine=ENGINE, shrinkage=0.3)
    sim = table.loc["simulated"]
    # every interval with enough calls to measure (>= 10 offered: 06:00 to midnight) meets every target
    assert sim["busy_intervals"] >= 34
    assert sim["intervals_without_significant_miss"] == sim["busy_intervals"]
    assert sim["intervals_met_on_average"] >= sim["busy_intervals"] - 2  # day-to-day busyness: near misses at most
    assert sim["service_level"] >= 0.8 and sim["abandon_rate"] <= 0.05
    if name == "silo":  # Erlang C ignores misroutes, transfers and repeat contacts: it under-staffs silos
        erl = table.loc["erlang_c"]
        assert erl["intervals_without_significant_miss"] < erl["busy_intervals"]
        assert erl["service_level"] < 0.8
    # shrinkage turns agents on the phones into agents to schedule
    assert (plans[-1].scheduled() == np.ceil(plans[-1].agents / 0.7 - 1e-9)).all()


def test_team_plan_for_service_level_alone_converges_and_meets_it_with_fresh_seeds():
    # the README's `ccsim staff team.toml --target "service_level>=0.8" --by interval` (20 reps, seed 1): the
    # search used to cycle forever from its 42nd iteration (18:00-19:00 blamed on the wrong removal, +1 agent
    # for every group and the locks dropped, then trimmed back to the same plan) and gave up after 300
    sl = [Target.parse("service_level>=0.8")]
    sc = ccsim.load_scenario(SCENARIOS / "team.toml")
    plans, table = compare_plans(sc, sl, by_interval=True, reps=20, seed=1, engine=ENGINE)
    sim = table.loc["simulated"]
    assert plans[-1].evaluations <= 100
    assert sim["busy_intervals"] >= 34
    assert sim["intervals_without_significant_miss"] == sim["busy_intervals"]
    assert sim["intervals_met_on_average"] >= sim["busy_intervals"] - 2
    assert sim["service_level"] >= 0.8


class _Neighbours:
    """A stand-in for the simulation: an interval meets its target when it and both its neighbours have their
    need (a short interval leaves a queue to the next; a short next interval keeps its late callers waiting)."""

    need = busy = None

    def __init__(self, *args):
        self.count = 0

    def stats(self, plan, by_interval):
        self.count += 1
        spare = np.pad(plan.sum(axis=0) - self.need, 1, constant_values=10**6)
        slack = np.minimum(np.minimum(spare[:-2], spare[1:-1]), spare[2:]) + 0.5
        return slack.astype(float), np.tile(self.busy[:, None], plan.shape[1])


def test_search_terminates_when_a_removal_breaks_neighbouring_intervals(monkeypatch):
    # the old search cycled forever on 9 of these 50 days; every miss now costs a removal for good
    monkeypatch.setattr(staffing, "_Evaluator", _Neighbours)
    sc = ccsim.load_scenario(SCENARIOS / "team.toml")
    rng = np.random.default_rng(0)
    for _ in range(50):
        _Neighbours.need, _Neighbours.busy = rng.integers(2, 8, sc.n_intervals), rng.random(2)
        start = rng.integers(1, 6, (2, sc.n_intervals))
        plan = simulated_plan(sc, [Target.parse("service_level>=0.8")], reps=5, start=start)
        assert (_Neighbours().stats(plan.agents, True)[0] > 0).all()
        assert plan.evaluations <= 3 * sc.n_intervals


def test_a_generous_start_is_trimmed_however_many_rounds_it_takes(monkeypatch):
    # max_iterations bounds the adding towards a first plan that meets the targets, not the trimming after it
    monkeypatch.setattr(staffing, "_Evaluator", _Neighbours)
    sc = ccsim.load_scenario(SCENARIOS / "team.toml")
    _Neighbours.need, _Neighbours.busy = np.full(sc.n_intervals, 2), np.array([0.3, 0.6])
    plan = simulated_plan(sc, [Target.parse("service_level>=0.8")], reps=5, max_iterations=10,
                          start=np.full((2, sc.n_intervals), 40))
    assert (_Neighbours().stats(plan.agents, True)[0] > 0).all()
    assert plan.agents.sum(axis=0).max() <= 4  # trimmed from 80 a interval, far more than 10 rounds


def test_plan_is_written_as_a_scenario_ccsim_accepts(tmp_path):
    sc = ccsim.load_scenario(SCENARIOS / "silo.toml")
    agents = np.array(erlang_plan(sc, TARGETS, "C"))
    text = plan_toml(sc, Plan("erlang_c", agents, tuple(sc.design.groups), sc.interval, 0.25))
    f = tmp_path / "staffed.toml"
    f.write_text(text)
    back = ccsim.load_scenario(f)
    for i, g in enumerate(back.design.groups.values()):
        assert g.staffing_profile(back.n_intervals) == list(agents[i])
    assert back.demand == sc.demand


def test_cli_staff(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["staff", str(SCENARIOS / "erlang_a.toml"), "--target", "service_level>=0.8",
                            "--reps", "5", "--set", "horizon=7200", "--set", "warmup=600", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "erlang_a_staffed.toml").exists() and "erlang_c" in r.output
    r = runner.invoke(app, ["staff", str(SCENARIOS / "erlang_a.toml"), "--target", "occupancy>=0.8"])
    assert r.exit_code == 2 and "--target" in r.output
