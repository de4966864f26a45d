"""The report's words and numbers, without a browser: clauses for better / worse / unclear changes, relative and
absolute wording, the single-design headline, the cards' registry labels, CI text, the typographic minus,
escaping, the refusal of a folder of unrelated runs, --set overrides in the notes, and the package's rules."""
from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import ccsim
from ccsim import kpis
from ccsim.kpis import REGISTRY, paired_difference, unpaired_difference
from ccsim.report import report, words
from ccsim.report.charts import make_charts
from ccsim.report.data import CARDS, Data, Point, Series, normalise
from ccsim.report.page import cards_html

REPORT_SRC = Path(ccsim.__file__).parent / "report"
EVIL = "<script>window.__pwned=1</script>"


# --------------------------------------------------------------------------- inputs
@pytest.fixture(scope="module")
def sc() -> ccsim.Scenario:
    """A small M/M/c+M center; its threshold is 30 s so that "{thr}" in labels is visibly filled in."""
    return ccsim.erlang_a(arrival_rate=10 / 60, mean_handle_time=300, agents=55, mean_patience=120,
                          horizon=2 * 3600, warmup=0, sl_threshold=30)


@pytest.fixture(scope="module")
def planned(sc) -> ccsim.Results:
    return ccsim.simulate(sc, reps=5, seed=1)


@pytest.fixture(scope="module")
def short(sc) -> ccsim.Results:
    """The same callers with 20% fewer agents: clearly worse service."""
    return ccsim.simulate(sc.override({"design.staffing_scale": 0.8}), reps=5, seed=1)


def hand_data(sc, base: dict, other: dict | None = None, paired: bool = True, labels=("base", "other")) -> Data:
    """Data of one or two designs whose replications are given by hand ({kpi: [value per replication]})."""
    def point(label, cols):
        return Point(series=label, staffing=None, factors={}, kpis=pd.DataFrame(cols), intervals=None, journeys=None)

    a = point(labels[0], base)
    series = [Series(label=labels[0], color="#000", mode="", points=[a], head=a)]
    data = Data(series=series, baseline=series[0], paired=paired, staffing_factor=None, scenario=sc, notes=[])
    if other is not None:
        b = point(labels[1], other)
        series.append(Series(label=labels[1], color="#111", mode="", points=[b], head=b))
        data.diffs[labels[1]] = (paired_difference if paired else unpaired_difference)(a.kpis, b.kpis)
    return data


def plus(xs, ds):
    return [x + d for x, d in zip(xs, ds)]


SL = [0.80, 0.82, 0.78, 0.81, 0.79]
ASA = [10.0, 12.0, 11.0, 9.0, 13.0]
AB = [0.04, 0.05, 0.06, 0.05, 0.05]


# --------------------------------------------------------------------------- clauses
def test_clauses_better_worse_and_unclear(sc):
    data = hand_data(sc, {"service_level": SL, "asa": ASA, "abandon_rate": AB},
                     {"service_level": plus(SL, [0.04, 0.05, 0.06, 0.05, 0.05]),      # +5 points: better
                      "asa": plus(ASA, [3, 4, 5, 4, 4]),                              # +4 s: worse
                      "abandon_rate": plus(AB, [0.01, -0.01, 0.02, -0.02, 0.0])})     # CI spans 0: unclear
    other = data.series[1]
    tone, text = words.clause(data, other, "service_level")
    assert tone == "good" and text.startswith("5.0 points more answered within 30 s")
    tone, text = words.clause(data, other, "asa")
    assert tone == "bad" and text.startswith("answered 4.0 s later")
    d = data.diffs["other"].loc["abandon_rate"]
    assert d["ci_low"] < 0 < d["ci_high"]
    tone, text = words.clause(data, other, "abandon_rate")
    assert tone == "flat" and text.startswith("no clear change in abandonment")
    assert "−" in text and not re.search(r"\d-|-\d", text)               # the interval, with typographic minus
    # the same unclear change of a KPI without words for "no clear change" is left unsaid
    flat_asa = hand_data(sc, {"asa": ASA}, {"asa": plus(ASA, [1, -1, 2, -2, 0])})
    assert words.clause(flat_asa, flat_asa.series[1], "asa") is None
    sentence = words.headline(data, other)
    assert sentence.index("5.0 points more") < sentence.index("but answered 4.0 s later")


def test_a_relative_fall_is_never_told_beyond_all_of_it(sc):
    """A paired t interval of a skewed difference can reach below minus the baseline: a KPI that is never
    negative cannot fall by more than 100%, so the interval is told up to 100%."""
    ab = [0.10, 0.12, 0.30, 0.28, 0.11]
    data = hand_data(sc, {"abandon_rate": ab}, {"abandon_rate": [0.03, 0.03, 0.06, 0.05, 0.03]})
    d = data.diffs["other"].loc["abandon_rate"]
    assert d["ci_low"] < -sum(ab) / len(ab)                         # the raw interval goes beyond -100%
    tone, text = words.clause(data, data.series[1], "abandon_rate")
    assert tone == "good" and text.startswith("78% fewer abandoned calls")
    assert "to 100%]" in text and not re.search(r"1[0-9][1-9]%|[2-9]\d\d%", text), text


def test_relative_and_absolute_wording(sc):
    cost = [1000.0, 1010.0, 990.0, 1005.0, 995.0]
    data = hand_data(sc, {"abandon_rate": AB, "service_level": SL, "cost": cost, "reexplanations_per_call": [0.3] * 5},
                     {"abandon_rate": [x * 1.5 for x in AB],                   # +50% of the baseline
                      "service_level": plus(SL, [-0.02, -0.03, -0.02, -0.03, -0.025]),
                      "cost": [x * 1.05 for x in cost],
                      "reexplanations_per_call": [0.2, 0.21, 0.19, 0.2, 0.2]})
    other = data.series[1]
    _, ab = words.clause(data, other, "abandon_rate")
    assert ab.startswith("50% more abandoned calls")                        # relative, in % of the baseline
    _, sl = words.clause(data, other, "service_level")
    assert sl.startswith("2.5 points fewer answered within 30 s") and "pts]" in sl   # absolute, in points
    _, co = words.clause(data, other, "cost")
    assert co.startswith("5.0% higher cost")
    _, rx = words.clause(data, other, "reexplanations_per_call")
    assert rx.startswith("10 fewer re-explanations per 100 calls")
    none = hand_data(sc, {"reexplanations_per_call": [0.3, 0.28, 0.3, 0.32, 0.3]},
                     {"reexplanations_per_call": [0.0] * 5})
    assert words.clause(none, none.series[1], "reexplanations_per_call") == (
        "good", "no caller tells the story twice (vs 30 in 100 calls with base)")
    # every saying keys off a registry KPI whose unit has wording
    assert set(words.SAYINGS) <= set(REGISTRY)
    assert all(REGISTRY[k].unit in words.UNIT_WORDS for k in words.SAYINGS)


def test_single_design_headline(sc, planned):
    data = normalise(planned)
    [sentence] = words.headlines(data)
    mean = planned.summary()["mean"]
    assert sentence.startswith(f"<strong>{sc.name}</strong>: ")
    assert f"{kpis.format('service_level', mean['service_level'])} of calls answered within 30 s" in sentence
    assert f"{kpis.format('abandon_rate', mean['abandon_rate'])} abandoned" in sentence
    # time in system in the registry's unit (seconds), not in minutes
    assert f"{kpis.format('time_in_system_answered', mean['time_in_system_answered'])} in the system" in sentence
    assert " min" not in sentence
    assert words.fine_print(data).startswith("Means over 5 replications")


# --------------------------------------------------------------------------- numbers and cards
def test_cards_use_the_registry(sc, planned, short):
    data = normalise({"planned": planned, "short": short})
    assert data.paired
    pd.testing.assert_frame_equal(data.diffs["short"], paired_difference(planned.kpis, short.kpis))
    base, other = (words.cards(data, s) for s in data.series)
    assert [c.title for c in base] == [REGISTRY[k].title(30) for k in CARDS]
    assert [c.hint for c in base] == [REGISTRY[k].hint.format(thr="30") for k in CARDS]
    assert base[0].title == "Service level, first queue (30 s)" and base[0].hint == "answered within 30 s"
    mean = short.summary()["mean"]
    assert [c.value for c in other] == [kpis.format(k, mean[k]).replace("-", "−") for k in CARDS]
    assert not any(c.delta for c in base)                                  # the baseline has no difference
    sl = other[0]
    d = data.diffs["short"].loc["service_level"]
    assert sl.delta == f"{kpis.format('service_level', d['diff'], diff=True).replace('-', '−')} vs planned worse"
    assert sl.tone == "bad" and d["ci_high"] < 0
    passed = other[CARDS.index("passed_per_call")]
    assert passed.extra == f"{kpis.format('transfers_per_call', 0)} cold · {kpis.format('handoffs_per_call', 0)} warm"


def test_page_kpi_labels_are_the_registry_titles(planned, short):
    html = report({"planned": planned, "short": short})
    titles = [REGISTRY[k].title(30) for k in CARDS]
    assert re.findall(r"<div class='k'>(.*?)</div>", html) == titles * 2
    fig = make_charts(normalise(planned))[0].fig
    assert [a.text.split(" (agent-hours")[0] for a in fig.layout.annotations[:len(CARDS)]] == titles


def test_ci_text_with_one_replication(sc):
    one = hand_data(sc, {"service_level": [0.8], "asa": [10.0]}, {"service_level": [0.85], "asa": [12.0]})
    card = words.card(one, one.series[1], "service_level")
    assert card.ci == "no CI (one replication)" and card.delta_ci == "no CI (one replication)"
    assert card.tone == "flat" and card.delta.startswith("+5.0 pts vs base")
    assert words.clause(one, one.series[1], "service_level") == (
        "good", "5.0 points more answered within 30 s <span class='ci'>[no CI]</span>")
    two = hand_data(sc, {"service_level": [0.8, 0.82]})
    assert words.card(two, two.series[0], "service_level").ci != "no CI (one replication)"


def test_typographic_minus_only_post_processes_the_registry():
    for name, v in (("asa", -1.5), ("service_level", -0.015), ("cost", -1234.0), ("passed_per_call", -0.25),
                    ("time_in_system_answered", -63.34)):
        assert words.diff(name, v) == kpis.format(name, v, diff=True).replace("-", "−")
        assert words.diff(name, v).startswith("−")
        assert words.value(name, -v) == kpis.format(name, -v)
    assert words.diff("service_level", -0.015) == "−1.5 pts"
    assert words.ci_text("asa", -2.0, 1.0, is_diff=True) == "−2.0 s to +1.0 s"


def test_hostile_design_label_is_escaped(planned, short):
    data = normalise({EVIL: planned, "short & 'co'": short})
    sentence = words.headlines(data)[0]
    cards = cards_html(data)
    for text in (sentence, cards, words.subtitle(data)):
        assert EVIL not in text and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in text
    assert "short &amp; &#x27;co&#x27;" in sentence
    html = report({EVIL: planned, "short & 'co'": short})
    assert EVIL not in html and "<script>window.__pwned" not in html


# --------------------------------------------------------------------------- the charts' words and numbers
def test_kpi_chart_shows_the_headline_differences(sc, planned, short):
    """Under the bars, each design's difference with the baseline and its 95% CI: the headline's numbers, said to
    be paired, or unpaired (Welch) when the runs faced different callers."""
    from ccsim.report.charts import kpis_chart
    data = normalise({"planned": planned, "short": short})
    fig = kpis_chart(data)
    dots = {tr.name: tr for tr in fig.data if tr.type == "scatter" and tr.error_x is not None}
    assert len(dots) == 1 and set(dots) == {"short − planned"}
    shown = [tr for tr in fig.data if tr.type == "scatter"]
    assert len(shown) == len(CARDS)                                          # one difference per KPI
    texts = [a.text for a in fig.layout.annotations]
    d = data.diffs["short"]
    for tr, name in zip(shown, CARDS):
        scale = 100 if REGISTRY[name].unit == "share" else 1
        assert tr.x[0] == pytest.approx(scale * d.loc[name, "diff"])
        assert tr.x[0] + tr.error_x.array[0] == pytest.approx(scale * d.loc[name, "ci_high"])
        assert tr.x[0] - tr.error_x.arrayminus[0] == pytest.approx(scale * d.loc[name, "ci_low"])
        said = words.ci_text(name, d.loc[name, "ci_low"], d.loc[name, "ci_high"], is_diff=True)
        assert any(f"short vs planned: {words.diff(name, d.loc[name, 'diff'])} [{said}]" in t for t in texts), name
        assert "paired difference over 5 replications" in tr.hovertemplate
    assert "(95% CI, paired)" in fig.layout.title.text and "paired: the designs faced" in fig.layout.title.subtitle.text
    # the same interval as the headline's clause (service level: points, both ends)
    _, clause = words.clause(data, data.series[1], "service_level")
    lo, hi = sorted(abs(100 * d.loc["service_level", c]) for c in ("ci_low", "ci_high"))
    assert f"{lo:.1f} to {hi:.1f} pts" in clause
    other = ccsim.simulate(sc, reps=5, seed=2)                              # other callers: unpaired (Welch)
    fig = kpis_chart(normalise({"a": planned, "b": other}))
    assert "(95% CI, unpaired)" in fig.layout.title.text and "unpaired (Welch)" in fig.layout.title.subtitle.text
    assert all("unpaired (Welch) difference" in tr.hovertemplate for tr in fig.data if tr.type == "scatter")
    assert not [tr for tr in kpis_chart(normalise(planned)).data if tr.type == "scatter"]   # one design: bars only


def staffed(sc, levels: dict) -> Data:
    """Data of designs at staffing levels given by hand: {design: {level: (service levels, abandon rates, cost)}}."""
    series = []
    for i, (label, pts) in enumerate(levels.items()):
        points = [Point(series=label, staffing=lv, factors={}, intervals=None, journeys=None,
                        kpis=pd.DataFrame({"service_level": sl, "abandon_rate": ab, "cost": [cost] * len(sl)}))
                  for lv, (sl, ab, cost) in pts.items()]
        series.append(Series(label=label, color=f"#00000{i}", mode="", points=points, head=points[0]))
    data = Data(series=series, baseline=series[0], paired=True, staffing_factor="design.staffing_scale",
                scenario=sc, notes=[])
    for s in series[1:]:
        data.diffs[s.label] = paired_difference(series[0].head.kpis, s.head.kpis)
    return data


def test_cost_chart_respects_every_target(sc):
    """The cost chart's answer meets every target of TARGETS at the pessimistic end of the 95% CI (service level's
    ci_low >= 80%, abandonment's ci_high <= 5%), and its title says which targets."""
    from ccsim.report.charts import cost_chart, frontier_chart
    from ccsim.report.data import TARGETS
    assert [str(t) for t in TARGETS] == ["service_level>=0.8", "abandon_rate<=0.05"]
    noisy = [0.70, 0.90, 0.75, 0.88, 0.80]           # mean 80.6%, but its CI reaches below 80%
    good, calm = [0.90, 0.91, 0.89, 0.90, 0.92], [0.02, 0.03, 0.02, 0.03, 0.02]
    data = staffed(sc, {"a": {1.0: (noisy, calm, 100.0), 1.1: (good, calm, 110.0)},
                        "b": {1.0: (good, [0.06, 0.05, 0.07, 0.06, 0.06], 90.0),    # too many hang up
                              1.1: (good, calm, 120.0)}})
    a1, a2 = data.series[0].points
    assert [t.kpi for t in a1.misses()] == ["service_level"] and not a2.misses()
    assert [t.kpi for t in data.series[1].points[0].misses()] == ["abandon_rate"]
    fig = cost_chart(data)
    targets = "≥80% answered within 30 s and ≤5% abandoned"
    assert fig.layout.title.text == f"Cheapest to meet {targets}: a ×1.10, cost 110"
    labels = [a.text for a in fig.layout.annotations if a.showarrow]
    assert labels == ["a ×1.10 (cheapest)", "b ×1.10"]                     # the key points only
    assert list(fig.data[0].marker.symbol) == ["circle-open", "circle"]     # hollow: misses a target
    assert "misses: service level (30 s)" in fig.data[0].customdata[0]
    assert frontier_chart(data).layout.title.text.startswith(f"To meet {targets}: a needs ×1.10, b ×1.10")
    # no point meets every target: said so, with the closest
    data = staffed(sc, {"a": {1.0: (noisy, calm, 100.0)}, "b": {1.0: (good, [0.06, 0.05, 0.07, 0.06, 0.06], 90.0)}})
    assert cost_chart(data).layout.title.text == (f"No design meets {targets}; the closest is b ×1.00 (misses "
                                                  "abandonment), cost 90")


def test_journey_names_order_and_room(sc):
    """The journey's nodes have people's names, the same columns and order for every design, places that fit
    their labels, and a legend of the links' colours."""
    from ccsim.report.journey import LINE, journey_chart

    def point(label, fl):
        return Point(series=label, staffing=None, factors={}, intervals=None, kpis=pd.DataFrame({"asa": ASA}),
                     journeys=pd.Series({f"flow:{a}|{b}": v for a, b, v in fl}))

    silo = [("IVR", "tech_desk #1", 600.0), ("IVR", "billing #1", 400.0), ("tech_desk #1", "tech_agents #1", 580.0),
            ("tech_desk #1", "abandoned", 20.0), ("billing #1", "billing_team #1", 400.0),
            ("tech_agents #1", "resolved", 400.0), ("tech_agents #1", "billing #2", 180.0),
            ("billing_team #1", "resolved", 300.0), ("billing_team #1", "tech_desk #2", 100.0),
            ("billing #2", "billing_team #2", 179.0), ("billing #2", "abandoned", 1.0),
            ("tech_desk #2", "tech_agents #2", 100.0), ("billing_team #2", "unresolved", 179.0),
            ("tech_agents #2", "resolved", 60.0), ("tech_agents #2", "tech_desk #3", 40.0),
            ("tech_desk #3", "tech_agents #3", 40.0), ("tech_agents #3", "still talking", 40.0)]
    team = [("IVR", "front #1", 1000.0), ("front #1", "triage #1", 990.0), ("front #1", "abandoned", 10.0),
            ("triage #1", "resolved", 990.0)]
    a, b = point("silo", silo), point("team", team)
    series = [Series("silo", "#0072B2", "", [a], a), Series("team", "#E69F00", "", [b], b)]
    data = Data(series=series, baseline=series[0], paired=True, staffing_factor=None, scenario=sc, notes=[])
    fig, note = journey_chart(data)
    assert note == ""
    first, second = fig.data
    names = list(first.node.customdata)
    assert names[:3] == ["IVR", "Billing queue (1st)", "Tech desk queue (1st)"]
    assert "Billing team (1st)" in names and "Tech agents (3rd)" in names and "Still talking at the end" in names
    assert names[-4:] == ["Resolved", "Unresolved", "Abandoned", "Still talking at the end"]
    assert not [n for n in names if "#" in n or "_" in n]
    # the same columns for both designs: x by kind and leg, outcomes last; in a column, top to bottom in order
    x = {n: v for d in (first, second) for n, v in zip(d.node.customdata, d.node.x)}
    assert x["IVR"] == second.node.x[0] and x["Resolved"] == max(first.node.x) == max(second.node.x)
    assert x["Front queue (1st)"] == x["Billing queue (1st)"] < x["Triage (1st)"] == x["Billing team (1st)"]
    for d in (first, second):
        assert list(d.node.x) == sorted(d.node.x)
        for col in set(d.node.x):
            inside = [y for xx, y in zip(d.node.x, d.node.y) if xx == col]
            assert inside == sorted(inside)
    assert [words.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "112th"]
    assert words.node_label("tech_desk #2", queue=True) == "Tech desk queue (2nd)"
    assert words.node_label("main_queue #1", queue=True) == "Main queue (1st)"
    # labels: one annotation per node, none over another in its column (estimated in px), none a code name
    labels = [an for an in fig.layout.annotations if an.xanchor == "left" and an.yanchor == "middle"]
    assert len(labels) == len(first.node.x) + len(second.node.x)
    plot_h = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    boxes = sorted((an.x, an.y * plot_h, (an.text.count("<br>") + 1) * LINE) for an in labels)
    for (x0, y0, h0), (x1, y1, h1) in zip(boxes, boxes[1:]):
        assert x0 != x1 or y1 - y0 >= (h0 + h1) / 2 - 0.5
    # more nodes, a taller chart; a legend of what the colours mean
    alone = Data(series=series[1:], baseline=series[1], paired=True, staffing_factor=None, scenario=sc, notes=[])
    assert journey_chart(alone)[0].layout.height < fig.layout.height
    legend = next(an.text for an in fig.layout.annotations if an.text.startswith("Links:"))
    for word in ("routed to a queue", "answered by agents", "passed to another queue", "resolved", "unresolved",
                 "abandoned", "(2nd)"):
        assert word in legend


# --------------------------------------------------------------------------- folders of runs
def test_folder_of_unrelated_runs_is_refused(sc, planned, short, tmp_path):
    busier = ccsim.simulate(sc.override({"demand.call_types.calls.arrival_rate": 12 / 60}), reps=5, seed=1)
    planned.save(tmp_path / "mixed" / "a")
    busier.save(tmp_path / "mixed" / "b")
    with pytest.raises(ccsim.InputError) as e:
        report(tmp_path / "mixed")
    msg = str(e.value)
    assert e.value.field == "RESULTS_DIR"
    assert "holds runs of different demand (a: demand.call_types.calls.arrival_rate = 0.166667, b: " \
           "demand.call_types.calls.arrival_rate = 0.2)" in msg
    assert "same demand and seed" in msg
    # same demand, another seed: refused too
    other_seed = ccsim.simulate(sc, reps=5, seed=2)
    planned.save(tmp_path / "seeds" / "a")
    other_seed.save(tmp_path / "seeds" / "b")
    with pytest.raises(ccsim.InputError, match=r"different seed \(a: 1, b: 2\)"):
        report(tmp_path / "seeds")
    # given explicitly as designs, runs of other seeds are compared, unpaired (Welch), and said to be
    data = normalise({"a": planned, "b": other_seed})
    assert not data.paired and "different seed" in words.fine_print(data) and "not paired" in words.fine_print(data)
    pd.testing.assert_frame_equal(data.diffs["b"], unpaired_difference(planned.kpis, other_seed.kpis))
    # the same demand and seed side by side: compared, paired
    planned.save(tmp_path / "same" / "a")
    short.save(tmp_path / "same" / "b")
    assert "paired differences" in report(tmp_path / "same")


def test_overrides_are_in_the_notes_and_the_subtitle(short, planned, tmp_path):
    tuned = dataclasses.replace(short, meta={**short.meta, "overrides": {"design.staffing_scale": 0.8}})
    tuned.save(tmp_path / "runs" / "b_short")
    planned.save(tmp_path / "runs" / "a_planned")
    html = report(tmp_path / "runs")
    notes = dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", html))
    assert notes["Set with --set"] == "a_planned: nothing; b_short: design.staffing_scale = 0.8"
    sub = re.search(r"<p class='sub'>(.*?)</p>", html).group(1)
    assert sub == "Designs compared: a_planned, b_short with design.staffing_scale = 0.8."
    single = report(tmp_path / "runs" / "b_short")
    assert "<tr><th>Set with --set</th><td>design.staffing_scale = 0.8</td></tr>" in single
    assert "with design.staffing_scale = 0.8 (set with --set)" in re.search(r"<p class='sub'>(.*?)</p>", single).group(1)
    assert "Set with --set" not in report(planned)


# --------------------------------------------------------------------------- the package
def test_import_ccsim_does_not_load_plotly():
    r = subprocess.run([sys.executable, "-c", "import ccsim, sys; assert 'plotly' not in sys.modules"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_ccsim_report_stays_callable(planned):
    import ccsim.report
    assert isinstance(ccsim.report, type(sys)) and callable(ccsim.report)
    assert ccsim.report(planned).startswith("<!DOCTYPE html>")
    code = "import ccsim; f = ccsim.report; import ccsim.report; assert callable(f) and callable(ccsim.report)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_the_report_reads_only_through_the_library():
    src = {p.name: p.read_text() for p in REPORT_SRC.glob("*.py")}
    for name, text in src.items():
        assert not re.search(r"json\.loads?\(|read_parquet|pivot_table|scipy", text), name
        assert len(text.splitlines()) <= 500, name
