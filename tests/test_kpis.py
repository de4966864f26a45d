"""The KPI registry: one definition per KPI, agreeing with docs/model.md and README; its formatter; and its
statistics (Student-t summaries, paired and Welch differences) checked against scipy.stats."""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ccsim
from ccsim import kpis
from ccsim.engines.compiled import compile_scenario
from ccsim.engines.numba_engine import run_numba, run_numba_tallies
from ccsim.metrics import replication_kpis, tallies

from centers import ROOT, build, two_skill_center


def _doc_table() -> dict[str, list[str]]:
    text = (ROOT / "docs" / "model.md").read_text()
    head = text.index("| KPI | label | unit | better | definition |")
    rows = {}
    for line in text[head:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_docs_kpi_table_is_the_registry():
    doc = _doc_table()
    assert list(doc) == list(kpis.KPIS)
    for name, (label, unit, better, definition) in doc.items():
        k = kpis.REGISTRY[name]
        assert (label, unit, definition) == (k.label, k.unit, k.definition), name
        assert better == {1: "higher", -1: "lower", 0: "–"}[k.better], name


def test_readme_names_the_registry_kpis():
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"\*\*KPIs\*\*[^`]*((?:`[a-z_]+`,?\s*)+)", readme)
    assert line, "README's model summary lists the KPIs as **KPIs** ... `name`, `name`"
    assert re.findall(r"`([a-z_]+)`", line.group(1)) == list(kpis.KPIS)


def test_every_kpi_is_made_of_known_sums():
    for k in kpis.REGISTRY.values():
        terms = re.findall(r"[a-z_]+", k.num) + ([k.den] if k.den else [])
        assert set(terms) <= set(kpis.SUMS), k.name
        assert k.unit in kpis.UNITS and k.better in (-1, 0, 1), k.name


def test_from_sums_divides_and_guards_empty_denominators():
    s = {n: 0.0 for n in kpis.SUMS} | {"offered": 8.0, "within_sl": 6.0, "transfers": 2.0, "handoffs": 1.0,
                                       "first_contacts": 5.0, "busy": 30.0, "staffed": 40.0}
    k = kpis.from_sums(s)
    assert k["service_level"] == 0.75 and k["passed_per_call"] == 3 / 8 and k["repeat_contacts"] == 3.0
    assert k["occupancy"] == 0.75 and math.isnan(k["asa"])  # nobody answered: no ASA, not 0
    arr = kpis.from_sums({"offered": np.array([4.0, 0.0]), "abandoned": np.array([1.0, 0.0])}, ("abandon_rate",))
    assert arr["abandon_rate"][0] == 0.25 and math.isnan(arr["abandon_rate"][1])


def test_both_engine_paths_give_every_registry_kpi():
    sc = build(two_skill_center(horizon=3600.0))
    comp = compile_scenario(sc)
    rec = replication_kpis(tallies(run_numba(comp, 1, 0), comp), comp)
    fast = replication_kpis(run_numba_tallies(comp, 1, 0), comp)
    assert list(rec) == list(fast) == list(kpis.KPIS)
    np.testing.assert_allclose([fast[k] for k in kpis.KPIS], [rec[k] for k in kpis.KPIS], rtol=1e-12)


@pytest.mark.parametrize("name, value, diff, text", [
    ("service_level", 0.8461, False, "84.6%"),
    ("service_level", 0.015, True, "+1.5 pts"),
    ("abandon_rate", -0.003, True, "-0.3 pts"),
    ("asa", 7.94, False, "7.9 s"),
    ("mean_time_in_system", -63.3, True, "-63.3 s"),
    ("offered", 7946.2, False, "7,946"),
    ("cost", 3698.4, True, "+3,698"),
    ("transfers_per_call", 0.2923, False, "0.292"),
    ("asa", float("nan"), False, "–"),
])
def test_format(name, value, diff, text):
    assert kpis.format(name, value, diff) == text


def test_labels_fill_in_the_threshold():
    assert kpis.label("service_level", 30) == "Service level, first queue (30 s)"
    assert kpis.label("service_level_caller", 15) == "Service level, whole wait (15 s)"
    assert kpis.label("asa") == "ASA, first queue"
    assert kpis.label("wait_cdf:20") == "wait_cdf:20"  # not a KPI: shown as is


def test_half_width_and_summary_match_scipy():
    rng = np.random.default_rng(3)
    x = rng.normal(10, 2, size=7)
    lo, hi = stats.t.interval(0.9, 6, loc=x.mean(), scale=stats.sem(x))
    s = kpis.summarize(pd.DataFrame({"asa": x, "fcr": np.r_[x[:6], np.nan]}), confidence=0.9)
    assert s.loc["asa", "ci_low"] == pytest.approx(lo) and s.loc["asa", "ci_high"] == pytest.approx(hi)
    assert s.loc["fcr", "reps"] == 6  # NaN replications (nothing offered) are left out
    assert math.isnan(kpis.summarize(pd.DataFrame({"asa": [1.0]})).loc["asa", "ci_low"])
    assert kpis.t_half_width(np.array([1.0, 2.0]), np.array([1, 4])) == pytest.approx(
        [np.nan, stats.t.ppf(0.975, 3) * 2 / 2], nan_ok=True)


def test_paired_and_welch_differences_match_scipy():
    rng = np.random.default_rng(5)
    a = pd.DataFrame({"asa": rng.normal(10, 3, 12)})
    b = pd.DataFrame({"asa": a["asa"] + rng.normal(1, 0.5, 12)})
    p = kpis.paired_difference(a, b).loc["asa"]
    d = b["asa"] - a["asa"]
    lo, hi = stats.t.interval(0.95, 11, loc=d.mean(), scale=stats.sem(d))
    assert (p["diff"], p["ci_low"], p["ci_high"]) == pytest.approx((d.mean(), lo, hi))
    w = kpis.unpaired_difference(a, b).loc["asa"]
    ci = stats.ttest_ind(b["asa"], a["asa"], equal_var=False).confidence_interval(0.95)
    assert (w["ci_low"], w["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert w["ci_high"] - w["ci_low"] > 3 * (p["ci_high"] - p["ci_low"])  # pairing removes the shared noise


def test_paired_differences_are_narrower_than_unpaired(silo, team):
    short = {"horizon": 12 * 3600.0}   # midnight to noon: the morning peak
    a = ccsim.simulate(silo.override(short), reps=8, seed=4, keep_calls=False)
    b = ccsim.simulate(team.override(short), reps=8, seed=4, keep_calls=False)
    paired = kpis.paired_difference(a.kpis, b.kpis)
    unpaired = kpis.unpaired_difference(a.kpis, b.kpis)
    for kpi, most in (("offered", 0.3), ("service_level", 0.5), ("fcr", 0.8), ("abandon_rate", 0.8),
                      ("mean_time_in_system", 0.9)):
        paired_half = (paired.loc[kpi, "ci_high"] - paired.loc[kpi, "ci_low"]) / 2
        unpaired_half = (unpaired.loc[kpi, "ci_high"] - unpaired.loc[kpi, "ci_low"]) / 2
        assert paired_half < most * unpaired_half, kpi
