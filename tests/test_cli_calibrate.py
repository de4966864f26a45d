"""``ccsim calibrate``: a call log in, a scenario ``ccsim run`` accepts out, with a backtest and a report; bad
input is one line naming what to fix, exit code 2, nothing written."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ccsim

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "experiments" / "data" / "call_log.parquet"
BANK = ROOT / "tests" / "data" / "anonymous_bank_sample.txt"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ccsim.cli", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd)


def test_calibrate_writes_a_scenario_that_runs(tmp_path):
    out = tmp_path / "cal" / "scenario.toml"
    p = cli("calibrate", str(LOG), "-o", str(out), "--backtest-reps", "3")
    assert p.returncode == 0, p.stderr
    sc = ccsim.load_scenario(out)
    assert set(sc.demand.call_types) == {"billing", "tech", "sales"}
    assert "backtest (3 reps): simulated service level within the observed band in" in p.stdout
    assert f"ccsim run {out}" in p.stdout.replace("\n", "")
    # every figure says where it came from
    text = out.read_text()
    assert text.count("#") > 50 and "censored" in text and "AIC" in text


def test_calibrate_the_anonymous_bank_format_with_a_report(tmp_path):
    out, page = tmp_path / "bank.toml", tmp_path / "bank.html"
    p = cli("calibrate", str(BANK), "--format", "anonymous-bank", "-o", str(out), "--report", str(page),
            "--backtest-reps", "2", "--day-type", "all")
    assert p.returncode == 0, p.stderr
    assert ccsim.load_scenario(out).demand.call_types
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or "<html" in html[:200]


@pytest.mark.parametrize("args, words", [
    (["missing.csv", "-o", "x.toml"], ["missing.csv"]),
    ([str(LOG), "-o", "x.toml", "--format", "excel"], ["--format", "generic, anonymous-bank"]),
    ([str(LOG), "-o", "x.toml", "--day-type", "fortnight"], ["--day-type"]),
    ([str(LOG), "-o", "x.toml", "--handle-law", "pareto"], ["--handle-law"]),
    ([str(LOG), "-o", "x.toml", "--backtest-reps", "-1"], ["--backtest-reps"]),
    ([str(LOG), "-o", "x.toml", "--interval", "-5"], ["interval"]),
    ([str(LOG), "-o", "x.toml", "--interval", "nan"], ["interval"]),
    ([str(LOG), "-o", "x.toml", "--day", "holiday"], ["day"]),
    ([str(BANK), "-o", "x.toml"], ["column"]),                        # the bank log read as the generic format
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, words):
    p = cli("calibrate", *args, cwd=tmp_path)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    assert all(w in lines[0] for w in words), lines[0]
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "x.toml").exists()


def test_a_malformed_row_is_named(tmp_path):
    bad = tmp_path / "calls.csv"
    bad.write_text("call_id,call_type,arrival,queue_enter,answer,end,outcome\n"
                   "1,billing,2026-03-02T09:00:00,2026-03-02T09:00:30,2026-03-02T09:01:00,2026-03-02T09:05:00,answered\n"
                   "2,billing,2026-03-02T09:02:00,2026-03-02T09:02:30,2026-03-02T09:01:00,2026-03-02T09:05:00,answered\n")
    p = cli("calibrate", str(bad), "-o", str(tmp_path / "x.toml"))
    assert p.returncode == 2 and "row 2" in p.stderr and "answer" in p.stderr, p.stderr
    assert not (tmp_path / "x.toml").exists()


def test_staffing_can_be_given_as_a_file(tmp_path):
    """Agents per group from a file instead of the log's agent column: the scenario holds them as given."""
    st = tmp_path / "staffing.toml"
    st.write_text("[staffing]\nbilling = 30\ntech = 25\nsales = [" + ", ".join(["12"] * 48) + "]\n", encoding="utf-8")
    out = tmp_path / "s.toml"
    p = cli("calibrate", str(LOG), "-o", str(out), "--staffing", str(st), "--backtest-reps", "0")
    assert p.returncode == 0, p.stderr
    groups = ccsim.load_scenario(out).design.groups
    profile = {g: set(gr.staffing_profile(48)) for g, gr in groups.items()}
    assert {30} in profile.values() and {25} in profile.values() and {12} in profile.values(), profile
    bad = tmp_path / "bad.toml"
    bad.write_text("[staffing]\nnobody = 3\n", encoding="utf-8")
    p = cli("calibrate", str(LOG), "-o", str(tmp_path / "x.toml"), "--staffing", str(bad))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "staffing" in p.stderr, p.stderr
