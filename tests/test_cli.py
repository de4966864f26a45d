"""The ``ccsim`` command line: run, validate, erlang, and one-line errors with exit code 2."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ccsim.cli import app
from ccsim.kpis import KPIS, label

SCENARIOS = Path(__file__).resolve().parents[1] / "experiments" / "scenarios"
ERLANG_A = str(SCENARIOS / "erlang_a.toml")
SMALL = ["--reps", "2", "--set", "horizon=3600", "--set", "warmup=600"]

runner = CliRunner()


def run_cli(*args: str):
    return runner.invoke(app, list(args))


def run_json(tmp_path: Path, *extra: str) -> dict:
    res = run_cli("run", ERLANG_A, *SMALL, "--out", str(tmp_path / "out"), "--json", *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_run_writes_results(tmp_path):
    out = tmp_path / "out"
    res = run_cli("run", ERLANG_A, *SMALL, "--seed", "7", "--out", str(out))
    assert res.exit_code == 0, res.output
    for name in ("kpis.parquet", "calls.parquet", "manifest.json"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "erlang_a" and manifest["seed"] == 7
    assert "Service level (20 s)" in res.stdout and str(out) in res.stdout


def test_run_no_calls_default_out_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run_cli("run", ERLANG_A, *SMALL, "--no-calls")
    assert res.exit_code == 0, res.output
    out = tmp_path / "results" / "erlang_a"
    assert (out / "kpis.parquet").is_file() and not (out / "calls.parquet").exists()


def test_run_json_is_pure_json(tmp_path):
    data = run_json(tmp_path)
    assert set(data) == {"kpis"}
    sl = data["kpis"]["service_level"]
    assert set(sl) == {"mean", "ci_low", "ci_high"}
    assert 0.0 <= sl["mean"] <= 1.0
    assert (tmp_path / "out" / "kpis.parquet").is_file()


def test_same_seed_same_json(tmp_path):
    assert run_json(tmp_path / "a") == run_json(tmp_path / "b")


def test_run_table_shows_the_registry_labels_and_the_manifest_keeps_overrides(tmp_path):
    res = run_cli("run", ERLANG_A, *SMALL, "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    for name in KPIS:
        assert label(name, 20) in res.stdout, name
    assert "abandon_rate " not in res.stdout  # people's labels, not the column names
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["overrides"] == {"horizon": 3600, "warmup": 600}


def test_set_changes_result(tmp_path):
    base = run_json(tmp_path / "a", "--set", "design.groups.agents.staffing=50")
    more = run_json(tmp_path / "b", "--set", "design.groups.agents.staffing=60")
    assert more["kpis"]["occupancy"]["mean"] < base["kpis"]["occupancy"]["mean"]


def _assert_user_error(res, *words: str) -> None:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.mark.parametrize("extra, words", [
    (["--set", "demand.call_types.calls.bogus=1"], ["demand.call_types.calls.bogus", "unknown field"]),
    (["--set", "demand.call_types.calls.arrival_rate=-1"], ["demand.call_types.calls.arrival_rate"]),
    (["--set", 'design.routes.service="nowhere"'], ["design.routes.service", "nowhere"]),
    (["--engine", "nosuch"], ["engine", "nosuch"]),
    (["--set", "design.groups.agents.staffing=0"], ["design.groups", "zero staff"]),
    (["--set", "missing-equals"], ["--set"]),
])
def test_bad_input_is_one_line_exit_2(tmp_path, extra, words):
    _assert_user_error(run_cli("run", ERLANG_A, *SMALL, "--out", str(tmp_path / "out"), *extra), *words)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["../../escaped", "..", "/tmp/ccsim-escaped", "a/b", "nul\x00byte", " lead"])
def test_no_scenario_name_writes_outside_results(tmp_path, monkeypatch, name):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = run_cli("run", ERLANG_A, *SMALL, "--set", f"name={json.dumps(name)}")
    _assert_user_error(res, "name", "folder name")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["work"]
    assert not Path("/tmp/ccsim-escaped").exists()


def test_usage_errors_are_one_line_exit_2():
    for args in (["run", ERLANG_A, "--reps", "abc"], ["run", ERLANG_A, "--bogus"], ["nosuchcommand"]):
        p = subprocess.run([sys.executable, "-m", "ccsim.cli", *args], capture_output=True, text=True, timeout=120)
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), (args, p.stderr)
        assert "--help" in lines[0] and "Traceback" not in p.stderr and "╭" not in p.stdout + p.stderr


def test_missing_file(tmp_path):
    _assert_user_error(run_cli("run", str(tmp_path / "nope.toml")), "nope.toml", "not found")
    _assert_user_error(run_cli("validate", str(tmp_path / "nope.toml")), "not found")


def test_validate_describes_scenario():
    res = run_cli("validate", str(SCENARIOS / "silo.toml"))
    assert res.exit_code == 0, res.output
    assert "silo" in res.stdout and "billing_agents" in res.stdout and "cold" in res.stdout


def test_validate_with_bad_set():
    _assert_user_error(run_cli("validate", ERLANG_A, "--set", "warmup=99999"), "warmup")


def test_erlang():
    res = run_cli("erlang", "--arrival-rate", "0.1666667", "--aht", "300", "--agents", "55", "--patience", "120")
    assert res.exit_code == 0, res.output
    assert "Service level (20 s)" in res.stdout and "91.2%" in res.stdout  # exact Erlang A: 0.9120
    res = run_cli("erlang", "--arrival-rate", "0.1666667", "--aht", "300", "--agents", "55", "--json")
    assert 0.0 <= json.loads(res.stdout)["kpis"]["service_level"] <= 1.0


def test_erlang_bad_agents():
    _assert_user_error(run_cli("erlang", "--arrival-rate", "0.1", "--aht", "300", "--agents", "0"), "agents")


def test_internal_error_has_no_traceback(monkeypatch, tmp_path):
    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("ccsim.cli.simulate", boom)
    res = run_cli("run", ERLANG_A, *SMALL, "--out", str(tmp_path / "out"))
    assert res.exit_code == 1
    assert res.stderr.startswith("error: internal error: RuntimeError: kaboom")
    assert "Traceback" not in res.output


def test_subprocess_json(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ccsim.cli", "run", ERLANG_A, *SMALL, "--out", str(tmp_path / "out"),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"offered", "service_level", "occupancy"} <= set(data["kpis"])
    assert set(data["kpis"]["service_level"]) == {"mean", "ci_low", "ci_high"}
    assert (tmp_path / "out" / "manifest.json").is_file()
