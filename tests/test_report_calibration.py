"""The calibration page, tested as a planner would see it: calibrate the bundled call log (one call type renamed to
hostile markup, the file's name hostile too), backtest it with a few replications, write the page and open it in
headless Chromium: no console errors, no network, every chart drawn, texts never overlapping, titles whose numbers
are the data's, user text shown and never run; the page without a backtest; a tiny simulated center's log."""
from __future__ import annotations

import re

import numpy as np
import pytest

import ccsim
from ccsim.calibrate import backtest, calibrate
from ccsim.calibrate.common import fmt
from ccsim.calllog import COLUMNS, call_log_from_frame, read_call_log
from ccsim.errors import OptionError
from ccsim.report.calibration import calibration_page, write_calibration_page
from centers import ROOT, SCENARIOS
from test_report import EVIL, TEXT_BOXES, browser, check_page, overlapping  # noqa: F401 (browser: the fixture)

EVIL_FILE = "calls <img src=x onerror=window.__pwned=2>.parquet"
KPIS = {"service_level": "Service level", "abandon_rate": "Abandonment", "asa": "ASA (average wait)"}


@pytest.fixture(scope="module")
def calibrated():
    """The bundled log (3 weeks, 133k calls) with 'sales' renamed to hostile markup, its calibration and a
    3-replication backtest of its weekday."""
    log = read_call_log(ROOT / "experiments" / "data" / "call_log.parquet")
    df = log.frame[list(COLUMNS)].copy()
    df["call_type"] = df["call_type"].replace("sales", EVIL)
    log = call_log_from_frame(df, origin=str(log.origin), source=f"/data/{EVIL_FILE}")
    cal = calibrate(log)
    return log, cal, backtest(log, cal, reps=3, seed=1)


def _charts(page) -> dict[str, dict]:
    """Each chart's title and traces (name, x, y) as plotly holds them."""
    return page.js("""Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')].map(g => [g.id,
        {title: g.layout.title.text, traces: g._fullData.map(t => ({name: t.name || '', x: Array.from(t.x || []),
         y: Array.from(t.y || []), width: t.line ? t.line.width : null}))}]))""")


def test_calibration_page_in_chromium(browser, calibrated, tmp_path):
    log, cal, bt = calibrated
    path = write_calibration_page(log, cal, bt, tmp_path / "cal.html")
    html = path.read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs
    assert html.count(get_plotlyjs()) == 1 and "<script src" not in html.replace(get_plotlyjs(), "")
    page, charts = check_page(browser, path)
    n = len(cal.call_types)
    ids = {c["id"] for c in charts}
    assert ids == {f"chart-{k}-{i}" for k in ("arrivals", "handle", "patience") for i in range(n)} | {
        f"chart-backtest-{k}" for k in KPIS}
    for chart in ids:                                                    # no two texts of a chart overlap
        boxes = page.js(f"{TEXT_BOXES}('{chart}')")
        assert len(boxes) > 5 and not overlapping(boxes), (chart, overlapping(boxes))
    held, text = _charts(page), page.js("document.body.innerText")
    # (a) arrivals: the faint days average to the calibrated mean, which the scenario uses as its volume
    days = cal.days["day_type"].eq(cal.day).sum()
    for i, c in enumerate(cal.call_types):
        prof = cal.arrivals[(cal.arrivals["day_type"] == cal.day) & (cal.arrivals["call_type"] == c)]
        ch = held[f"chart-arrivals-{i}"]
        t = {tr["name"]: tr for tr in ch["traces"]}
        each = np.array([tr["y"][:-1] for tr in ch["traces"] if tr["name"].startswith("each ")])
        assert len(each) == days and np.allclose(each.mean(axis=0), prof["mean"])
        volume = cal.scenario_dict()["demand"]["call_types"][cal.labels[c]]["volume"]
        assert np.allclose(t["volume the scenario uses"]["y"][:-1], volume)
        assert np.allclose(t[f"observed mean over {days} days"]["y"], prof["mean"])
        assert f": {fmt(prof['mean'].sum())} first contacts a weekday;" in ch["title"]
    # (b) handle: the section's finding counts the laws by AIC; each chart's legend gives the AICs, the law used thick
    handle = cal.handle[cal.handle["group"] == ""].set_index("call_type")
    best = handle["best"].value_counts()
    finding = f"{best.index[0].capitalize()} fits handle time best for {best.iloc[0]} of {n} call types"
    assert finding.upper() in text                                      # (h2 is upper-cased by CSS)
    for i, c in enumerate(cal.call_types):
        r, traces = handle.loc[c], held[f"chart-handle-{i}"]["traces"]
        for law in ("lognormal", "gamma", "exponential"):
            tr = next(tr for tr in traces if tr["name"].startswith(f"{law}: AIC {r['aic_' + law]:,.0f}"))
            assert (tr["width"] == 3.5) == (law == r["law"]) and ("· used" in tr["name"]) == (law == r["law"])
        bars = traces[0]
        width = bars["x"][1] - bars["x"][0]
        assert sum(bars["y"]) * width == pytest.approx(0.99, abs=0.002)  # density, the 1% longest off the chart
    # (c) patience: Kaplan-Meier starts at 100%, never rises; legends name every fit's AIC, the chosen one used
    for i, c in enumerate(cal.call_types):
        fit, traces = cal.patience_fits[c], held[f"chart-patience-{i}"]["traces"]
        km = np.array(next(tr for tr in traces if tr["name"].startswith("Kaplan–Meier"))["y"])
        assert km[0] == 1.0 and np.all(np.diff(km) <= 1e-12) and km[-1] < 1
        for law, f in fit["fits"].items():
            assert any(tr["name"].startswith(f"{law}: AIC {f['aic']:,.0f}") and
                       (("· used" in tr["name"]) == (law == fit["chosen"])) for tr in traces)
        if np.isfinite(fit["km_median"]) and fit["km_median"] <= held[f"chart-patience-{i}"]["traces"][0]["x"][-1]:
            at = np.interp(fit["km_median"] - 1e-6, held[f"chart-patience-{i}"]["traces"][0]["x"], km)
            assert at >= 0.5 - 0.02
    # (d) backtest: each title's counts are the backtest's, and every disagreeing interval is listed with its why
    agree = compared = 0
    for k, name in KPIS.items():
        d = bt[bt["kpi"] == k]
        ok, m = int(d["agrees"].fillna(False).sum()), int(d["agrees"].notna().sum())
        agree, compared = agree + ok, compared + m
        assert held[f"chart-backtest-{k}"]["title"] == f"{name}: observed inside the simulated band in {ok} of {m} intervals"
        for r in d[d["agrees"].fillna(True) == False].itertuples():  # noqa: E712
            assert f"{r.start}: observed " in text and r.why[:40] in text
    h1 = page.js("document.querySelector('h1').textContent")
    assert h1 == (f"{n} call types calibrated from {log.n_calls:,} calls; the scenario of a weekday agrees with the "
                  f"log in {agree} of {compared} interval comparisons")
    # the paragraph: the file, calls, days, day types and the weekend test, interval
    p = cal.day_type_test
    assert f"From {EVIL_FILE} (generic log): {log.n_calls:,} calls over {len(cal.days)} days" in text
    assert "pooled as weekday-weekend (chosen by the weekend test: weekends differ at 1%" in text
    assert f"{fmt(p['weekday_mean'])} first contacts a weekday vs {fmt(p['weekend_mean'])} a weekend day" in text
    wd, we = (cal.days["day_type"] == "weekday").sum(), (cal.days["day_type"] == "weekend").sum()
    assert f"): {wd} weekdays, {we} weekend days. The scenario describes a weekday in 30-minute intervals." in text
    # the table of estimates: every row of cal.summary()
    assert page.js("document.querySelectorAll('table.est tr').length") == len(cal.summary()) + 1
    page.close()


def test_user_text_is_escaped(browser, calibrated, tmp_path):
    log, cal, bt = calibrated
    assert EVIL in cal.call_types and cal.labels[EVIL] == EVIL           # calibration keeps the name as it is
    html = calibration_page(log, cal, bt)
    assert EVIL not in html and "<img src=x" not in html
    (tmp_path / "evil.html").write_text(html, encoding="utf-8")
    page, _ = check_page(browser, tmp_path / "evil.html")
    assert page.js("typeof window.__pwned") == "undefined"
    text = page.js("document.body.innerText")
    assert EVIL in text and EVIL_FILE in text                            # shown as text
    svg = page.js("[...document.querySelectorAll('.js-plotly-plot .main-svg')].map(s => s.textContent).join(' ')")
    assert svg.count(EVIL) >= 3 and "&lt;" not in svg                  # in the charts' titles, as text
    assert page.js("document.scripts.length") == 2 + html.count("Plotly.newPlot")
    page.close()


def test_page_without_backtest(browser, calibrated, tmp_path):
    log, cal, _ = calibrated
    path = write_calibration_page(log, cal, None, tmp_path)              # a folder: calibration.html in it
    assert path == tmp_path / "calibration.html"
    page, charts = check_page(browser, path)
    assert len(charts) == 3 * len(cal.call_types) and not any("backtest" in c["id"] for c in charts)
    assert "No backtest was given" in page.js("document.getElementById('section-backtest').innerText")
    assert page.js("document.querySelector('h1').textContent") == (
        f"{len(cal.call_types)} call types calibrated from {log.n_calls:,} calls over {len(cal.days)} days")
    page.close()


def test_tiny_simulated_center(browser, tmp_path):
    """Two simulated mornings of the silo center, exported as a log: one day type, the weekend test not run."""
    sc = ccsim.load_scenario(SCENARIOS / "silo.toml").override({"horizon": 4 * 3600})
    frame = ccsim.simulate(sc, engine="numba", reps=2, seed=5).to_call_log()
    log = call_log_from_frame(frame, origin="2024-03-04")
    cal = calibrate(log, interval=3600)
    assert cal.day_type == "all" and len(cal.days) == 2
    html = calibration_page(log, cal, backtest(log, cal, reps=2))
    assert "(the default: the weekend test was not run" in html and "in 60-minute intervals" in html
    (tmp_path / "tiny.html").write_text(html, encoding="utf-8")
    _, charts = check_page(browser, tmp_path / "tiny.html")
    assert len(charts) >= len(cal.call_types) + 3
    with pytest.raises(OptionError, match="not calibrated from this log"):
        calibration_page(log, calibrate(call_log_from_frame(frame.iloc[: len(frame) // 2], origin="2024-03-04")))
    assert re.search(r"<h1>\d+ call types calibrated from [\d,]+ calls; ", html)
