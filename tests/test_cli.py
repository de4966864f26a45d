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
    assert "Service level, first queue (20 s)" in res.stdout and str(out) in res.stdout


def test_run_prints_kpis_by_call_type(tmp_path):
    msk = str(SCENARIOS / "contactcenters" / "simplemsk.toml")
    res = run_cli("run", msk, "--reps", "2", "--no-calls", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert "by call type" in res.stdout and all(f"{t} (20 s)" in res.stdout for t in ("t0", "t1", "t2"))
    assert (tmp_path / "out" / "call_types.parquet").is_file()
    one = run_cli("run", ERLANG_A, *SMALL, "--no-calls", "--out", str(tmp_path / "one"))
    assert "by call type" not in one.stdout          # one call type: the summary says it all


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
    assert "Service level, first queue (20 s)" in res.stdout and "91.2%" in res.stdout  # exact Erlang A: 0.9120
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


# --------------------------------------------------------------------------- output for people
def _strict_json(text: str) -> dict:
    """JSON without NaN or Infinity (json.loads would accept them)."""
    def refuse(name):
        raise AssertionError(f"{name} in JSON output")
    return json.loads(text, parse_constant=refuse)


def test_run_prints_the_next_step_with_the_actual_folder(tmp_path):
    out = tmp_path / "my run"
    res = run_cli("run", ERLANG_A, *SMALL, "--out", str(out))
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines()[-1] == f"next: ccsim report '{out}'"
    res = run_cli("run", ERLANG_A, *SMALL, "--out", str(tmp_path / "j"), "--json")
    assert res.exit_code == 0, res.output
    _strict_json(res.stdout)  # stdout stays pure JSON: the next step goes to stderr
    assert f"next: ccsim report {tmp_path / 'j'}" in res.stderr


def test_run_shows_costs_in_the_scenario_currency(tmp_path):
    base = ["run", ERLANG_A, *SMALL, "--set", "design.groups.agents.cost_per_hour=30", "--set", "horizon=1800",
            "--set", "warmup=0"]
    # 55 agents x 30 an hour x half an hour: 825 in every replication (agents finishing calls add a little)
    plain = run_cli(*base, "--out", str(tmp_path / "a"))
    eur = run_cli(*base, "--set", 'currency="EUR"', "--out", str(tmp_path / "b"))
    usd = run_cli(*base, "--set", 'currency="$"', "--out", str(tmp_path / "c"))
    for res in (plain, eur, usd):
        assert res.exit_code == 0, res.output
    row = {name: next(line for line in res.stdout.splitlines() if label("cost") in line)
           for name, res in (("plain", plain), ("eur", eur), ("usd", usd))}
    cost = row["plain"].split("│")[2].strip()
    assert cost.replace(",", "").isdigit() and 825 <= int(cost.replace(",", "")) < 900, row
    assert f"{cost} EUR" in row["eur"] and f"${cost}" in row["usd"] and "$" not in row["plain"]
    assert "EUR" not in eur.stdout.replace(row["eur"], "")  # money only


def test_clock_times():
    from ccsim.cli import _clock
    assert _clock(18.5 * 3600) == "18:30" and _clock(0) == "00:00" and _clock(1800) == "00:30"
    assert _clock(86400 + 18.5 * 3600, multi_day=True) == "d2 18:30" and _clock(45 * 60, True) == "d1 00:45"


def test_validate_shows_surges_and_notifications_as_clock_times():
    res = run_cli("validate", str(SCENARIOS / "silo.toml"),
                  "--set", "demand.surges=[{start=36000, end=66600, multiplier=3.0}]",
                  "--set", "design.deflections=[{start=36000, end=50400, share=0.3}]")
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "Surge: volume x3 from 10:00 to 18:30 (every call type)." in text
    assert "Proactive notifications deflect 30% of callers from 10:00 to 14:00." in text
    assert "18.5" not in text and res.stderr == ""


def test_staff_plan_starts_are_clock_times_and_it_prints_the_next_step(tmp_path):
    res = run_cli("staff", ERLANG_A, "--target", "service_level>=0.8", "--by", "interval", "--reps", "5",
                  "--set", "horizon=5400", "--set", "warmup=600", "--set", 'currency="EUR"',
                  "--set", "design.groups.agents.cost_per_hour=30", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert all(t in res.stdout for t in ("│ 00:00 │", "│ 00:30 │", "│ 01:00 │"))
    assert " EUR " in next(line for line in res.stdout.splitlines() if label("cost") in line)
    assert "/3 " in res.stdout and "/3.0" not in res.stdout  # busy intervals: whole numbers
    assert res.stdout.strip().splitlines()[-1] == f"next: ccsim run {tmp_path / 'erlang_a_staffed.toml'}"
    assert (tmp_path / "erlang_a_staffed.toml").is_file()


def test_sweep_prints_currency_and_the_next_step(tmp_path):
    base = tmp_path / "base.toml"
    text = (SCENARIOS / "erlang_a.toml").read_text().replace("horizon = 28800", "horizon = 1800")
    text = text.replace("warmup = 3600", "warmup = 0").replace("staffing = 55", "staffing = 55\ncost_per_hour = 30")
    base.write_text('currency = "$"\n' + text)
    sweep = tmp_path / "tiny.toml"
    sweep.write_text(f'name = "tiny"\nbase = "{base.as_posix()}"\nreps = 2\nseed = 1\n'
                     '[factors]\n"design.groups.agents.staffing" = [54, 56]\n')
    out = tmp_path / "out"
    res = run_cli("sweep", str(sweep), "--out", str(out), "--workers", "1")
    assert res.exit_code == 0, res.output
    assert label("cost") in res.stdout and "$8" in res.stdout  # about $810 and $840 for half an hour
    assert res.stdout.strip().splitlines()[-1] == f"next: ccsim report {out}"


# --------------------------------------------------------------------------- ccsim erlang
ERLANG_100_AN_HOUR = ["erlang", "--calls-per-hour", "100", "--aht", "3min"]


def erlang_json(*args: str) -> dict:
    res = run_cli("erlang", *args, "--json")
    assert res.exit_code == 0, res.output
    return _strict_json(res.stdout)


def test_erlang_agents_needed_by_hand():
    """100 calls an hour, AHT 3 min (5 erlangs), 80/20: 8 agents by hand (tests/test_erlang.py: 7 answer 74.0%)."""
    from ccsim.erlang import erlang_a, required_agents
    data = erlang_json("--calls-per-hour", "100", "--aht", "3min", "--service-level", "0.8", "--threshold", "20")
    assert data["agents"] == 8 == required_agents(100 / 3600, 180, None, 20, service_level=0.8)
    assert data["targets"] == {"service_level": 0.8} and data["overloaded"] is False
    assert data["offered_load"] == pytest.approx(5.0) and data["aht"] == 180 and data["patience"] is None
    assert data["calls_per_hour"] == pytest.approx(100) and data["arrival_rate"] == pytest.approx(100 / 3600)
    assert data["kpis"] == pytest.approx(erlang_a(100 / 3600, 180, 8, None, 20))
    assert data["kpis"]["service_level"] == pytest.approx(0.88015, abs=1e-5)
    res = run_cli(*ERLANG_100_AN_HOUR, "--service-level", "0.8")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("agents needed: 8 (the fewest meeting")
    assert f"{label('service_level', 20)} ≥ 80.0%" in res.stdout and "88.0%" in res.stdout
    # with patience and two targets: the Erlang A inverse
    data = erlang_json("--calls-per-hour", "600", "--aht", "5min", "--patience", "2min",
                       "--service-level", "0.8", "--abandon-rate", "0.05")
    assert data["agents"] == required_agents(1 / 6, 300, 120, 20, service_level=0.8, abandon_rate=0.05)
    assert data["targets"] == {"service_level": 0.8, "abandon_rate": 0.05}


def test_erlang_time_units_and_calls_per_hour():
    ref = erlang_json("--arrival-rate", str(1 / 6), "--aht", "300", "--agents", "55", "--patience", "120")
    assert ref["kpis"]["service_level"] == pytest.approx(0.9120, abs=5e-5)  # the exact Erlang A value of README
    for aht in ("300", "300s", "5min", "5 min", "0.0833333333333333333h", "3e2"):
        for patience in ("120", "2min", "2m", "120sec"):
            got = erlang_json("--calls-per-hour", "600", "--aht", aht, "--agents", "55", "--patience", patience)
            assert got["kpis"] == pytest.approx(ref["kpis"], rel=1e-9), (aht, patience)
            assert got["aht"] == pytest.approx(300) and got["patience"] == pytest.approx(120)
    assert erlang_json(*ERLANG_100_AN_HOUR[1:], "--agents", "8", "--threshold", "0.5min")["threshold"] == 30


def test_erlang_overloaded_says_so_instead_of_infinity():
    res = run_cli(*ERLANG_100_AN_HOUR, "--agents", "5")  # 5 erlangs on 5 agents, nobody hangs up
    assert res.exit_code == 0, res.output
    assert "overloaded (offered load ≥ agents: the queue grows without bound)" in res.stdout
    assert "∞" not in res.stdout and "at least 6 agents" in res.stdout
    data = erlang_json(*ERLANG_100_AN_HOUR[1:], "--agents", "4")
    assert data["overloaded"] is True and data["kpis"]["asa"] is None and data["kpis"]["mean_wait"] is None
    # with patience the same load has a steady state
    data = erlang_json(*ERLANG_100_AN_HOUR[1:], "--agents", "4", "--patience", "1min")
    assert data["overloaded"] is False and all(v is not None for v in data["kpis"].values())
    assert 0 < data["kpis"]["abandon_rate"] < 1


def test_erlang_json_is_what_its_help_says():
    help_text = run_cli("erlang", "--help").stdout
    for mode in (["--agents", "8"], ["--agents", "3"], ["--service-level", "0.8"]):
        data = erlang_json(*ERLANG_100_AN_HOUR[1:], *mode)
        assert set(data) == {"arrival_rate", "calls_per_hour", "aht", "patience", "threshold", "offered_load",
                             "agents", "targets", "overloaded", "kpis"}
        for key in data:
            assert f'"{key}"' in help_text, key
        assert set(data["kpis"]) == {"service_level", "abandon_rate", "asa", "mean_wait", "p_wait", "occupancy"}
        assert (data["targets"] is None) == (mode[0] == "--agents")


@pytest.mark.parametrize("args, words", [
    (["--calls-per-hour", "100", "--arrival-rate", "0.1", "--aht", "300", "--agents", "3"], ["exactly one", "--calls-per-hour"]),
    (["--aht", "300", "--agents", "3"], ["--arrival-rate", "--calls-per-hour"]),
    (["--calls-per-hour", "0", "--aht", "300", "--agents", "3"], ["--calls-per-hour", "positive"]),
    (["--calls-per-hour", "100", "--aht", "5 parsecs", "--agents", "3"], ["--aht", "5min"]),
    (["--calls-per-hour", "100", "--aht", "0s", "--agents", "3"], ["--aht", "more than 0"]),
    (["--calls-per-hour", "100", "--aht", "300", "--agents", "3", "--patience", "-2min"], ["--patience"]),
    (["--calls-per-hour", "100", "--aht", "300"], ["--agents", "--service-level"]),
    (["--calls-per-hour", "100", "--aht", "300", "--agents", "9", "--service-level", "0.8"], ["--agents", "not both"]),
    (["--calls-per-hour", "100", "--aht", "300", "--service-level", "80"], ["--service-level", "0.8"]),
    (["--calls-per-hour", "100", "--aht", "300", "--abandon-rate", "0.05"], ["--abandon-rate", "--patience"]),
    (["--calls-per-hour", "100", "--aht", "300", "--agents", "0"], ["--agents", "at least 1"]),
])
def test_erlang_bad_input_is_one_line_exit_2(args, words):
    _assert_user_error(run_cli("erlang", *args), *words)


# --------------------------------------------------------------------------- implausible load
PER_HOUR_TYPO = ["--set", "demand.call_types.calls.arrival_rate=600"]


def test_validate_warns_once_about_a_rate_typed_per_hour():
    res = run_cli("validate", ERLANG_A, *PER_HOUR_TYPO)
    assert res.exit_code == 0, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: "), res.stderr
    assert "is demand.call_types.calls.arrival_rate per second?" in lines[0] and "180,000 erlangs" in lines[0]
    assert "is valid" in res.stdout


def test_run_warns_once_about_a_rate_typed_per_hour(tmp_path):
    res = run_cli("run", ERLANG_A, "--reps", "1", "--set", "horizon=60", "--set", "warmup=0", "--no-calls",
                  *PER_HOUR_TYPO, "--out", str(tmp_path / "out"), "--json")
    assert res.exit_code == 0, res.output
    warnings = [line for line in res.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "arrival_rate per second?" in warnings[0]
    _strict_json(res.stdout)


@pytest.mark.parametrize("name", ["erlang_a", "silo", "team"])
def test_no_warning_for_the_bundled_scenarios(name):
    res = run_cli("validate", str(SCENARIOS / f"{name}.toml"))
    assert res.exit_code == 0 and res.stderr == "", res.output


# --------------------------------------------------------------------------- misspelled names in --set
def test_set_with_a_misspelled_group_names_the_known_ones():
    res = run_cli("validate", str(SCENARIOS / "silo.toml"), "--set", "design.groups.tech_agent.staffing=3")
    _assert_user_error(res, "design.groups: unknown group 'tech_agent' (known: billing_agents, tech_agents, "
                            "sales_agents)")
    assert "required" not in res.stderr


def test_set_can_still_add_whole_entries():
    res = run_cli("validate", ERLANG_A, "--set", "design.queues.new={}", "--set",
                  'design.groups.new_agents={skills=["service"], queues=["new"], staffing=2}')
    assert res.exit_code == 0, res.output
    assert "Queues: service, new." in " ".join(res.stdout.split())


def test_a_reader_that_stops_early_gets_no_error_message():
    p = subprocess.Popen([sys.executable, "-m", "ccsim.cli", *ERLANG_100_AN_HOUR, "--service-level", "0.8"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # like `| head` gone before the first line
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 1 and err == "", err
