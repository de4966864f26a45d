"""Calibration from call logs (ccsim.calibrate): each estimator alone on data with a known answer, the scenario and
TOML it writes, the backtest, bad input, and the round trip (the acceptance test): simulate a center with known
laws for 60 days, export the log, calibrate, and find every true value inside its confidence interval.

The round trip compares 18 parameters and 48 volume intervals (16 busy intervals x 3 call types) with the truth:
M = 66 comparisons, each interval at the Bonferroni level 1 - 0.05 / 66, so that the chance of any miss at all is
at most 5% when the estimators are right (a union bound: it holds although the volume intervals share the days'
busyness and miss together). The volumes get a binomial allowance of one miss on top.
"""
from __future__ import annotations

import math
import re
import tomllib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ccsim
from ccsim import OptionError
from ccsim.calibrate import Calibration, backtest, calibrate, fit_handle, fit_patience, mark_repeats
from ccsim.calibrate.durations import MAX_EMPIRICAL, empirical_values
from ccsim.calibrate.repeats import FIRST, REDIAL, RETURN, repeat_estimates
from ccsim.calibrate.staffing import time_per_interval
from ccsim.calllog import call_log_from_frame
from ccsim.cli import app

CHECKS, VOLUME_CHECKS = 18, 48
LEVEL = 1 - 0.05 / (CHECKS + VOLUME_CHECKS)
SHAPE = np.array([0.5, 0.7, 0.9, 1.1, 1.2, 1.25, 1.2, 1.1, 1.0, 1.0, 1.05, 1.1, 1.0, 0.9, 0.7, 0.5])
BASE = {"PS": 100, "NE": 70, "VIP": 20}


def truth() -> ccsim.Scenario:
    """Three call types with known laws over an 8-hour day (then 1 quiet hour, so that repeats are not cut by the
    horizon): PS exponential patience 180 s, lognormal handle 300 s cv 0.7, 10% returns after 1,200 s; NE Weibull
    patience (0.8, 240 s), gamma handle 240 s cv 1.3; VIP patience 1,200 s with short waits (heavy censoring)."""
    def ct(name, patience, **kw):
        vol = [round(float(x), 1) for x in BASE[name] * SHAPE] + [0.0, 0.0]
        return {"volume": vol, "needs": [name], "patience": patience, "redial_prob": 0.3,
                "redial_delay": {"dist": "exponential", "mean": 900}, "max_attempts": 10, **kw}

    def staff(name, mean, extra=0):
        return [int(math.ceil(x)) + extra for x in BASE[name] * SHAPE * mean / 1800] + [8, 8]
    return ccsim.scenario_from_dict({
        "name": "truth", "horizon": 18 * 1800, "interval": 1800, "sl_threshold": 20,
        "demand": {"skills": ["PS", "NE", "VIP"], "busyness_cv": 0.15,
                   "work": {"PS": {"talk": {"dist": "lognormal", "mean": 300, "cv": 0.7}},
                            "NE": {"talk": {"dist": "gamma", "mean": 240, "cv": 1.3}},
                            "VIP": {"talk": {"dist": "lognormal", "mean": 200, "cv": 0.5}}},
                   "call_types": {
                       "PS": ct("PS", {"dist": "exponential", "mean": 180}, resolution_prob=0.9, callback_prob=1.0,
                                callback_delay={"dist": "exponential", "mean": 1200}),
                       "NE": ct("NE", {"dist": "weibull", "shape": 0.8, "scale": 240}),
                       "VIP": ct("VIP", {"dist": "exponential", "mean": 1200})}},
        "design": {"ivr": {"levels": 1, "seconds_per_level": 12},
                   "queues": {"PS": {}, "NE": {}, "VIP": {}}, "routes": {"PS": "PS", "NE": "NE", "VIP": "VIP"},
                   "groups": {"ps_agents": {"skills": ["PS"], "queues": ["PS"], "staffing": staff("PS", 330)},
                              "ne_agents": {"skills": ["NE"], "queues": ["NE"], "staffing": staff("NE", 240)},
                              "vip_agents": {"skills": ["VIP"], "queues": ["VIP"], "staffing": staff("VIP", 200, 2)}}},
    })


@pytest.fixture(scope="module")
def log():
    res = ccsim.simulate(truth(), reps=60, seed=1, keep_calls=True)
    return call_log_from_frame(res.to_call_log())


@pytest.fixture(scope="module")
def cal(log) -> Calibration:
    return calibrate(log, day_type="all", confidence=LEVEL)


def inside(lo: float, hi: float, true: float) -> bool:
    return lo <= true <= hi


def test_round_trip_recovers_every_known_parameter(cal):
    pat = cal.patience_fits

    def ci(c: str, law: str, what: str, true: float) -> tuple[float, float, float]:
        f = pat[c]["fits"][law]
        return f[f"{what}_low"], f[f"{what}_high"], true
    checks = {"PS patience mean": ci("PS", "exponential", "mean", 180),   # name: (ci_low, ci_high, true value)
              "NE Weibull shape": ci("NE", "weibull", "shape", 0.8),
              "NE Weibull scale": ci("NE", "weibull", "scale", 240),
              "VIP patience mean": ci("VIP", "exponential", "mean", 1200)}
    h = cal.handle[cal.handle["group"] == ""].set_index("call_type")
    for c, mean, cv in (("PS", 300, 0.7), ("NE", 240, 1.3), ("VIP", 200, 0.5)):
        checks[f"{c} handle mean"] = (h.loc[c, "mean_low"], h.loc[c, "mean_high"], mean)
        checks[f"{c} handle cv"] = (h.loc[c, "cv_low"], h.loc[c, "cv_high"], cv)
    b = cal.busyness.set_index("day_type").loc["all"]
    checks["busyness cv"] = (b["cv_low"], b["cv_high"], 0.15)
    r = cal.repeats.set_index(["call_type", "kind"])
    for c in ("PS", "NE", "VIP"):
        checks[f"{c} redial prob"] = (r.loc[(c, "redial"), "prob_low"], r.loc[(c, "redial"), "prob_high"], 0.3)
    for c in ("PS", "NE"):
        checks[f"{c} redial delay"] = (r.loc[(c, "redial"), "delay_low"], r.loc[(c, "redial"), "delay_high"], 900)
    checks["PS return share"] = (r.loc[("PS", "return"), "prob_low"], r.loc[("PS", "return"), "prob_high"], 0.1)
    checks["PS return delay"] = (r.loc[("PS", "return"), "delay_low"], r.loc[("PS", "return"), "delay_high"], 1200)
    assert len(checks) == CHECKS
    missed = {k: v for k, v in checks.items() if not inside(*v)}
    assert not missed, missed
    # the laws chosen where the choice is clear, in ccsim's terms
    assert cal.patience_laws["NE"]["dist"] == "weibull"
    assert cal.handle_laws["PS"]["dist"] == "lognormal" and cal.handle_laws["NE"]["dist"] == "gamma"
    assert pat["VIP"]["censored_share"] > 0.95           # the heavy-censoring case
    assert cal.ivr.set_index("call_type").loc["", "mean"] == pytest.approx(12)
    assert cal.groups == {"agents_PS": ["PS"], "agents_NE": ["NE"], "agents_VIP": ["VIP"]}


def test_round_trip_volume_per_interval_within_its_interval(cal):
    a = cal.arrivals[cal.arrivals["day_type"] == "all"]
    missed = []
    for c, k in BASE.items():
        v = a[a["call_type"] == c].sort_values("interval")
        true = np.r_[np.round(k * SHAPE, 1), np.zeros(len(v) - len(SHAPE))]
        out = ~((v["ci_low"].to_numpy() <= true + 1e-9) & (true - 1e-9 <= v["ci_high"].to_numpy()))
        missed += [(c, i) for i in np.flatnonzero(out[: len(SHAPE)])]
        assert not out[len(SHAPE):].any()                     # no first contact after 8 h
    assert len(SHAPE) * len(BASE) == VOLUME_CHECKS and len(missed) <= 1, missed


def test_the_toml_runs_and_says_where_every_figure_came_from(cal, tmp_path):
    text = cal.to_toml()
    path = tmp_path / "calibrated.toml"
    path.write_text(text)
    sc = ccsim.load_scenario(path)
    assert sc.horizon == 86400 and sc.interval == 1800 and sc.n_intervals == 48
    assert sc.model_dump(mode="json") == ccsim.scenario_from_dict(cal.scenario_dict()).model_dump(mode="json")
    assert sc.demand.work["PS"].acw.mean_value == 0 and sc.demand.busyness_cv > 0
    assert sc.demand.call_types["PS"].callback_prob == 1 and 0.85 < sc.demand.call_types["PS"].resolution_prob < 0.95
    assert set(sc.design.groups) == {"agents_PS", "agents_NE", "agents_VIP"}
    res = CliRunner().invoke(app, ["run", str(path), "--reps", "1", "--json", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    lines = text.splitlines()
    for key in ("busyness_cv", "talk", "acw", "patience", "redial_prob", "redial_delay", "resolution_prob", "ivr",
                "callback_delay", "max_attempts"):
        mine = [ln for ln in lines if ln.startswith(f"{key} = ")]
        assert mine and all("   # " in ln for ln in mine), key
    assert all("#" in ln for ln in lines if re.match(r"^  \d", ln))   # every volume and staffing value
    for said in ("Clopper-Pearson", "chi-square", "by AIC", "KS D", "optimistic", "Kaplan-Meier", "t over days",
                 "after-call work", "quasi-Poisson", "dispersion index", "balking"):
        assert said in text, said


def test_summary_lists_every_estimate_with_its_interval_and_method(cal):
    s = cal.summary()
    assert list(s.columns) == ["topic", "day_type", "call_type", "name", "value", "ci_low", "ci_high", "n", "method"]
    topics = {"day_type", "busyness", "arrivals", "handle", "patience", "ivr", "redial", "return", "staffing"}
    assert topics <= set(s["topic"])
    day = s[s["topic"] == "day_type"].iloc[0]
    assert "quasi-Poisson likelihood-ratio test" in day["method"]
    assert (s["method"].str.len() > 0).all()
    pat = cal.patience().set_index("call_type")
    assert pat.loc["NE", "law"] == "weibull" and pat.loc["VIP", "censored_share"] > 0.95


def test_backtest_agrees_on_the_round_trip_and_explains_disagreements(log):
    c = calibrate(log, day_type="all")
    bt = backtest(log, c, reps=20, seed=3)
    assert {"interval", "start", "kpi", "observed", "simulated", "sim_low", "sim_high", "band_low", "band_high",
            "agrees", "why"} <= set(bt.columns)
    day = bt[bt["interval"] < 16]                                  # the 8 busy hours
    assert day["agrees"].mean() >= 0.85, day[~day["agrees"]]
    differ = ~bt["agrees"].fillna(True).to_numpy(dtype=bool)
    assert (bt.loc[differ, "why"].str.len() > 0).all() and (bt.loc[~differ, "why"] == "").all()
    both = bt.dropna(subset=["band_low", "sim_low"])
    assert ((both["band_high"] - both["band_low"]) >= (both["sim_high"] - both["sim_low"]) - 1e-9).all()


# --------------------------------------------------------------------------- the estimators alone
def frame(rows: list[dict]) -> pd.DataFrame:
    """A generic-format log from rows of numeric seconds (missing columns empty)."""
    cols = ["call_id", "customer_id", "call_type", "arrival", "queue_enter", "answer", "end", "agent", "outcome"]
    df = pd.DataFrame(rows)
    for col in cols:
        if col not in df:
            df[col] = np.nan
    df["call_id"] = [f"c{i}" for i in range(len(df))]
    return df[cols]


def poisson_days(days: int, weekend_factor: float, seed: int, cv: float = 0.0) -> pd.DataFrame:
    """Answered calls with Poisson volume (x weekend_factor on Saturdays and Sundays, x a gamma busyness of cv),
    no customer ids and no agents; day 0 is 1970-01-01, a Thursday."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        weekend = (d + 3) % 7 >= 5
        busy = rng.gamma(1 / cv**2, cv**2) if cv else 1.0
        for i in range(16, 36):                                        # 08:00 to 18:00
            n = rng.poisson(20 * (weekend_factor if weekend else 1.0) * busy)
            t = d * 86400 + i * 1800 + np.sort(rng.uniform(0, 1800, n))
            wait = rng.exponential(10, n)
            talk = rng.exponential(200, n)
            rows += [{"call_type": "calls", "arrival": a, "queue_enter": a + 5, "answer": a + 5 + w,
                      "end": a + 5 + w + h, "outcome": "answered"} for a, w, h in zip(t, wait, talk)]
    return frame(rows).drop(columns=["customer_id", "agent"])


def test_auto_day_type_splits_weekends_only_when_they_differ():
    quiet = calibrate(call_log_from_frame(poisson_days(28, 0.4, seed=1)))
    assert quiet.day_type == "weekday-weekend" and quiet.day_type_test["p_value"] < 0.01 and quiet.day == "weekday"
    v = quiet.arrivals.groupby("day_type")["mean"].sum()
    assert v["weekend"] / v["weekday"] == pytest.approx(0.4, rel=0.1)
    same = calibrate(call_log_from_frame(poisson_days(28, 1.0, seed=2)))
    assert same.day_type == "all" and same.day_type_test["p_value"] > 0.01
    # Poisson days need no busyness; no ids: every call is a first contact; no agents: load-based staffing
    assert not same.busyness["needed"].iloc[0] and same.scenario_dict()["demand"]["busyness_cv"] == 0
    assert not same.has_customer_ids and same.scenario_dict()["demand"]["call_types"]["calls"]["redial_prob"] == 0
    assert same.staffing_source == "load" and "offered load" in same.to_toml()
    each = calibrate(call_log_from_frame(poisson_days(14, 1.0, seed=3)), day_type="each-weekday", day="sunday")
    assert each.day == "sunday" and set(each.day_types()) == {"monday", "tuesday", "wednesday", "thursday", "friday",
                                                               "saturday", "sunday"}
    assert ccsim.scenario_from_dict(each.scenario_dict(day="monday")).n_intervals == 48


def test_overdispersed_days_give_busyness_cv():
    c = calibrate(call_log_from_frame(poisson_days(60, 1.0, seed=4, cv=0.2)), day_type="all")
    b = c.busyness.iloc[0]
    assert b["needed"] and b["p_value"] < 1e-6 and b["cv_low"] <= 0.2 <= b["cv_high"]


def test_redials_and_returns_are_told_apart_by_customer():
    day = 86400.0
    def call(who, a, end, answer=None):
        return dict(customer_id=who, call_type="x", arrival=a, queue_enter=a + 10, answer=answer, end=end,
                    outcome="abandoned" if answer is None else "answered")
    rows = [call("c1", 1000, 1100), call("c1", 1700, 2000, 1720),        # an abandonment, then a redial
            call("c1", 2000 + 2 * day, 2100 + 2 * day, 2020 + 2 * day),   # two days later: a first contact
            call("c2", 3000, 3300, 3020), call("c2", 4300, 4400, 4320),  # an answered call, then a return
            call(None, 4350, 4400), call(None, 4500, 4600, 4520),        # no customer id: first contacts
            call("c9", 5 * day, 5 * day + 60, 5 * day + 16)]
    log = call_log_from_frame(frame(rows))
    rep = mark_repeats(log, window=day)
    kinds = dict(zip(log.frame["arrival"], rep.kind))
    assert kinds[1700] == REDIAL and kinds[4300] == RETURN and kinds[2000 + 2 * day] == FIRST
    assert kinds[1000] == FIRST and kinds[4350] == FIRST and rep.longest_chain == 2
    est = repeat_estimates(log, rep, ["x"], 0.95).set_index("kind")
    assert est.loc["redial", "base"] == 1 and est.loc["redial", "prob"] == 1 and est.loc["redial", "delay_mean"] == 600
    # answered with an id and a whole day before the log's end: 1700, 2000 + 2 days, 3000, 4300; one return (3000)
    assert est.loc["return", "base"] == 4 and est.loc["return", "prob"] == 0.25
    assert est.loc["return", "delay_mean"] == 1000
    c = calibrate(log, day_type="all")
    assert c.arrivals["mean"].sum() * len(c.days) == pytest.approx(6)   # 8 calls less a redial and a return
    ct = c.scenario_dict()["demand"]["call_types"]["x"]
    assert ct["resolution_prob"] == 0.75 and ct["callback_prob"] == 1 and ct["max_attempts"] == 2


def test_handle_time_laws_are_chosen_by_aic_and_cover_the_truth():
    rng = np.random.default_rng(5)
    n = 20_000
    s2 = math.log1p(0.7**2)
    samples = {"lognormal": np.exp(rng.normal(math.log(300) - s2 / 2, math.sqrt(s2), n)),
               "gamma": rng.gamma(1 / 1.3**2, 240 * 1.3**2, n), "exponential": rng.exponential(200, n)}
    truth_ = {"lognormal": (300, 0.7), "gamma": (240, 1.3), "exponential": (200, 1.0)}
    for law, x in samples.items():
        fit = fit_handle(x, 0.99)
        assert fit["chosen"] == law or (law == "exponential" and fit["chosen"] == "gamma")
        f = fit["fits"][law]
        assert f["mean_low"] <= truth_[law][0] <= f["mean_high"], law
        assert f["cv_low"] <= truth_[law][1] <= f["cv_high"], law
        assert fit["ks_p"] > 0.001
    v = empirical_values(samples["gamma"])
    assert len(v) == MAX_EMPIRICAL and v == empirical_values(samples["gamma"]) and v == sorted(v)
    assert set(v) <= set(np.round(samples["gamma"], 3))


def test_censored_patience_fits_agree_with_lifelines():
    from lifelines import LogNormalFitter, WeibullFitter
    rng = np.random.default_rng(6)
    n = 4000
    pat = 240 * rng.weibull(0.8, n)
    wait = rng.exponential(120, n)
    t, e = np.minimum(pat, wait), pat <= wait
    fit = fit_patience(t, e, 0.95)
    wb = WeibullFitter().fit(t, e)
    assert fit["fits"]["weibull"]["shape"] == pytest.approx(wb.rho_, rel=1e-3)
    assert fit["fits"]["weibull"]["scale"] == pytest.approx(wb.lambda_, rel=1e-3)
    ln = LogNormalFitter().fit(t, e)
    assert fit["fits"]["lognormal"]["mean"] == pytest.approx(math.exp(ln.mu_ + ln.sigma_**2 / 2), rel=1e-3)
    assert fit["chosen"] == "weibull" and fit["balked"] == int((e & (t < 1)).sum())
    pat = rng.exponential(300, n)
    t, e = np.minimum(pat, wait), pat <= wait
    f = fit_patience(t, e, 0.95)["fits"]["exponential"]
    assert f["mean"] == pytest.approx(t.sum() / e.sum()) and f["mean_low"] <= 300 <= f["mean_high"]


def test_agents_present_per_interval_and_groups_by_call_types():
    # spans [0, 100) and [1700, 5500) over 1,800-s intervals
    got = time_per_interval(np.array([0.0, 1700.0]), np.array([100.0, 5500.0]), np.array([0, 0]), 1, 1800.0, 48)
    assert got[0, :4].tolist() == [200.0, 1800.0, 1800.0, 100.0] and got[0, 4:].sum() == 0
    base = 8 * 3600.0

    def call(agent, ct, a, e, wait=0.0, outcome="answered"):
        return dict(call_type=ct, arrival=base + a - wait, queue_enter=base + a - wait,
                    answer=base + a if outcome == "answered" else np.nan, end=base + e, agent=agent, outcome=outcome)
    rows = [call("ann", "PS", 0, 600), call("ann", "PS", 900, 1800),               # ann: 08:00 to 08:30
            call("bob", "PS", 0, 100), call("bob", "NE", 200, 300), call("bob", "NE", 3000, 3600),   # PS + NE
            call("cy", "PS", 0, 100), call("cy", "PS", 5300, 5400)]   # a long gap, and a PS caller waited in it
    rows.append(call(None, "PS", 3700, 4000, wait=0, outcome="abandoned"))
    c = calibrate(call_log_from_frame(frame(rows)))
    assert c.groups == {"agents_PS": ["PS"], "agents_PS_NE": ["PS", "NE"]}
    st = c.staffing.set_index(["group", "interval"])["mean"]
    assert st[("agents_PS", 16)] == pytest.approx(1 + 100 / 1800)     # ann all of 08:00, cy until 08:01:40
    assert st[("agents_PS", 17)] == 0 and st[("agents_PS", 18)] == pytest.approx(100 / 1800)
    assert st[("agents_PS_NE", 16)] == 1 and st[("agents_PS_NE", 17)] == 1
    groups = c.scenario_dict()["design"]["groups"]
    assert groups["agents_PS"]["staffing"][16:19] == [1, 0, 1] and groups["agents_PS_NE"]["staffing"][16:18] == [1, 1]


def test_given_staffing_and_ivr_only_calls():
    rows = [dict(call_type="billing", arrival=100.0 * i, queue_enter=100.0 * i + 20, answer=100.0 * i + 30,
                 end=100.0 * i + 200, outcome="answered") for i in range(30)]
    rows += [dict(call_type="billing", arrival=5000.0 + i, end=5030.0 + i, outcome="ivr_only") for i in range(10)]
    c = calibrate(call_log_from_frame(frame(rows).drop(columns="agent")), staffing={"billing": 3})
    sd = c.scenario_dict()
    assert sd["design"]["groups"]["agents_billing"]["staffing"] == [3] * 48 and c.staffing_source == "given"
    assert sd["design"]["ivr"] == {"levels": 1, "seconds_per_level": 20}
    ivr = c.ivr.set_index("call_type").loc["billing"]
    assert ivr["ivr_only"] == 10 and ivr["ivr_only_share"] == pytest.approx(0.25)
    assert sum(sd["demand"]["call_types"]["billing"]["volume"]) == 30     # IVR-only calls are not modelled
    with pytest.raises(OptionError, match=r"^staffing\.sales: unknown group \(fix: use one of agents_billing\)$"):
        calibrate(call_log_from_frame(frame(rows)), staffing={"sales": 3})


@pytest.mark.parametrize("kwargs, message", [
    ({"interval": 30}, r"^interval: must be a number of seconds >= 60"),
    ({"day_type": "weekly"}, r"^day_type: 'weekly' is not one of auto, all, weekday-weekend, each-weekday"),
    ({"handle_law": "weibull"}, r"^handle_law: 'weibull' is not one of"),
    ({"confidence": 1.5}, r"^confidence: must be a number between 0 and 1 \(got 1.5\) \(fix: give e.g. 0.95\)$"),
    ({"day": "weekend"}, r"^day: 'weekend' is not a day type of this log under day_type='all' "
                         r"\(fix: use one of all\)$"),
    ({"redial_window": -1}, r"^redial_window: must be a number of seconds > 0"),
])
def test_bad_arguments_are_one_line_naming_the_field(kwargs, message):
    log = call_log_from_frame(poisson_days(3, 1.0, seed=7))
    with pytest.raises(OptionError, match=message) as e:
        calibrate(log, **({"day_type": "all"} | kwargs))
    assert "\n" not in str(e.value)


def test_not_a_log_says_how_to_make_one():
    with pytest.raises(OptionError, match=r"^log: must be a ccsim.calllog.CallLog \(got list\)"):
        calibrate([1, 2, 3])


def test_odd_names_unqueued_call_types_and_empirical_laws_make_a_valid_toml():
    rng = np.random.default_rng(8)
    rows = []
    for d in range(5):
        for i in range(40):
            a = d * 86400 + 9 * 3600 + i * 300.0
            rows += [dict(customer_id=f"k{d}-{i}", call_type='Ventes "B2B"', arrival=a, queue_enter=a + 10,
                          answer=a + 15, end=a + 15 + rng.exponential(200), agent=f"é{i % 3}", outcome="answered"),
                     dict(call_type="a:b", arrival=a + 1, queue_enter=a + 11, end=a + 40, outcome="abandoned"),
                     dict(call_type="menu", arrival=a + 2, end=a + 30, outcome="ivr_only")]
    c = calibrate(call_log_from_frame(frame(rows)), handle_law="empirical")
    sc = ccsim.scenario_from_dict(tomllib.loads(c.to_toml()))
    assert sc.demand.skills == ['Ventes "B2B"', "a_b"] and c.modelled == ['Ventes "B2B"', "a:b"]
    talk = sc.demand.work['Ventes "B2B"'].talk
    assert talk.dist == "empirical" and len(talk.values) == 200
    assert sc.demand.work["a_b"].talk.dist == "exponential"             # no answered call: every answered call's mean
    assert sc.design.groups['agents_Ventes "B2B"'].skills == ['Ventes "B2B"', "a_b"]
    assert any("never reached a queue" in n for n in c.notes) and any("no agent answered a:b" in n for n in c.notes)
    assert ccsim.simulate(sc, reps=1).kpis["offered"].iloc[0] > 0
