"""The leadership report, tested as a person would: render it from real results, open it in headless Chromium
(DevTools protocol over a websocket), and look: no console errors, no network, every chart drawn, escaping.

``python tests/test_report.py --reference [SWEEP_DIR]`` regenerates docs/report.png from the flagship sweep
(experiments/sweeps/silo_vs_team.toml, run in about 30 s on 2 cores unless SWEEP_DIR holds its results).
"""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ccsim
from ccsim.report import report
from ccsim.results import SweepResults
from ccsim.sweep import Sweep

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "experiments" / "scenarios"
CHROMIUM = Path("/usr/bin/chromium")
EVIL = "<script>window.__pwned=1</script>"

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (CI installs it: "
                                                                  "apt-get install -y chromium)")


# --------------------------------------------------------------------------- a small DevTools client
class Browser:
    """Headless Chromium driven over the DevTools protocol (one websocket, flattened sessions per tab)."""

    def __init__(self, profile: Path):
        import websocket  # websocket-client

        self.profile = profile
        self.log = open(profile.parent / "chromium.log", "wb")
        self.proc = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1280,900", "about:blank"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"Chromium did not start (see {profile.parent / 'chromium.log'})")
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            r = json.loads(self.ws.recv())
            if r.get("id") == self.next_id:
                if "error" in r:
                    raise RuntimeError(f"{method}: {r['error']}")
                return r.get("result", {})
            self.events.append(r)

    def wait_event(self, method: str, session: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self.events.pop(i)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            self.events.append(json.loads(self.ws.recv()))

    def open(self, path: Path, width: int = 1280) -> "Page":
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=sid)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=sid)
        self.events = [e for e in self.events if e.get("sessionId") != sid]
        url = path.resolve().as_uri()
        t0 = time.perf_counter()
        self.send("Page.navigate", {"url": url}, session=sid)
        self.wait_event("Page.loadEventFired", sid, timeout=60)
        return Page(self, target, sid, url, time.perf_counter() - t0)

    def close(self) -> None:
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()


class Page:
    def __init__(self, browser: Browser, target: str, session: str, url: str, load_seconds: float):
        self.b, self.target, self.sid, self.url, self.load_seconds = browser, target, session, url, load_seconds

    def js(self, expression: str):
        r = self.b.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                        session=self.sid)
        if "exceptionDetails" in r:
            raise RuntimeError(f"page script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def drain(self) -> list[dict]:
        """Every event of this tab so far (console, log, network)."""
        try:  # pick up events already sent
            self.js("1")
        except RuntimeError:
            pass
        mine = [e for e in self.b.events if e.get("sessionId") == self.sid]
        self.b.events = [e for e in self.b.events if e.get("sessionId") != self.sid]
        self.seen = getattr(self, "seen", []) + mine
        return self.seen

    def errors(self) -> list[str]:
        out = []
        for e in self.drain():
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails", {}))[:500])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.drain() if e.get("method") == "Network.requestWillBeSent"]

    def charts_ready(self, timeout: float = 15.0) -> list[dict]:
        """Wait until every plotly chart has drawn its traces; return what each chart holds."""
        deadline = time.monotonic() + timeout
        probe = """[...document.querySelectorAll('.js-plotly-plot')].map(g => ({id: g.id,
            traces: (g._fullData || []).length, svg: !!g.querySelector('svg.main-svg'),
            drawn: g.querySelectorAll('.trace, .sankey, .bars, .scatterlayer path').length,
            title: (g.querySelector('.gtitle') || {}).textContent || ''}))"""
        while True:
            charts = self.js(probe)
            if charts and all(c["traces"] > 0 and c["svg"] and c["drawn"] > 0 for c in charts):
                return charts
            if time.monotonic() > deadline:
                return charts
            time.sleep(0.1)

    def screenshot(self, path: Path, max_height: int | None = None) -> Path:
        height = int(self.js("Math.ceil(document.documentElement.scrollHeight)"))
        if max_height:
            height = min(height, max_height)
        width = int(self.js("document.documentElement.clientWidth"))
        r = self.b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "fromSurface": True,
                                                   "clip": {"x": 0, "y": 0, "width": width, "height": height,
                                                            "scale": 1}}, session=self.sid)
        path.write_bytes(base64.b64decode(r["data"]))
        return path

    def close(self) -> None:
        self.b.send("Target.closeTarget", {"targetId": self.target})


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (CI installs it: apt-get install -y chromium)")
    b = Browser(tmp_path_factory.mktemp("chromium") / "profile")
    warm = tmp_path_factory.mktemp("warm") / "warm.html"   # let the browser finish starting up before timing
    warm.write_text("<!DOCTYPE html><title>warm</title><p>ready</p>")
    b.open(warm).close()
    yield b
    b.close()


# --------------------------------------------------------------------------- results to report on
def small_sweep(out: Path, horizon: float = 12 * 3600, reps: int = 2) -> SweepResults:
    """Silo vs team x two headcounts, a short day (midnight to noon, through the morning ramp)."""
    silo = ccsim.load_scenario(SCENARIOS / "silo.toml").override({"horizon": horizon})
    team = ccsim.load_scenario(SCENARIOS / "team.toml").override({"horizon": horizon})
    sw = Sweep("report_test", base=silo, factors={"design": {"silo": silo.design, "team": team.design},
                                                  "design.staffing_scale": [0.9, 1.0]},
               reps=reps, seed=1, engine="simpy", baseline={"design": "silo"}, chunk=reps)
    return sw.run(out, workers=1)


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "silo_vs_team"
    small_sweep(out)
    return out


@pytest.fixture(scope="module")
def runs() -> dict[str, ccsim.Results]:
    """Silo and team run with the same seed over a short day with a surge (paired designs)."""
    surge = [{"start": 8 * 3600.0, "end": 9.5 * 3600, "multiplier": 1.6, "call_types": ["tech"]}]
    out = {}
    for name in ("silo", "team"):
        sc = ccsim.load_scenario(SCENARIOS / f"{name}.toml").override({"horizon": 10 * 3600, "demand.surges": surge})
        out[name] = ccsim.simulate(sc, engine="simpy", reps=2, seed=3)
    return out


def check_page(browser: Browser, path: Path, shot: Path | None = None) -> tuple[Page, list[dict]]:
    """Open the page; assert no errors, no network, every chart drawn. Returns the page and its charts."""
    page = browser.open(path)
    charts = page.charts_ready()
    assert charts, "the page has no chart"
    for c in charts:
        assert c["traces"] > 0 and c["svg"] and c["drawn"] > 0, f"chart {c['id']} is not drawn: {c}"
    errors = page.errors()
    assert not errors, f"console errors: {errors}"
    foreign = [u for u in page.requests() if u != page.url and not u.startswith(("data:", "blob:"))]
    assert not foreign, f"the page made network requests: {foreign}"
    if shot is not None:
        page.screenshot(shot)
        assert shot.stat().st_size > 10_000
    return page, charts


#: every non-empty text of a chart, with its box on the screen
TEXT_BOXES = """(id => [...document.getElementById(id).querySelectorAll('svg text')]
    .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([s, r]) => s.trim() && r.width > 0 && r.height > 0)
    .map(([s, r]) => ({text: s, left: r.left, top: r.top, right: r.right, bottom: r.bottom})))"""
#: every node of the journey's Sankeys, with its box on the screen
NODE_BOXES = """[...document.querySelectorAll('#chart-journey rect.node-rect')].map(e => e.getBoundingClientRect())
    .filter(r => r.height > 0).map(r => ({text: 'node', left: r.left, top: r.top, right: r.right, bottom: r.bottom}))"""


def overlapping(boxes: list[dict], slack: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of boxes that overlap by more than ``slack`` px both ways."""
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if (min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
                    and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack):
                out.append((a["text"], b["text"]))
    return out


def assert_no_overlap(page: Page) -> None:
    """No two texts of any chart overlap, nor two nodes of the journey."""
    for chart in page.js("[...document.querySelectorAll('.js-plotly-plot')].map(g => g.id)"):
        boxes = page.js(f"{TEXT_BOXES}('{chart}')")
        assert len(boxes) > 5, chart
        assert not overlapping(boxes), f"{chart}: texts overlap: {overlapping(boxes)}"
    nodes = page.js(NODE_BOXES)
    assert len(nodes) > 10 and not overlapping(nodes), "journey nodes overlap"


# --------------------------------------------------------------------------- tests
def test_sweep_report_in_chromium(browser, sweep_dir, tmp_path):
    html = report(sweep_dir, out=tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == html
    from plotly.offline import get_plotlyjs
    assert html.count(get_plotlyjs()) == 1                                # plotly.js is embedded once
    rest = html.replace(get_plotlyjs(), "")
    assert "<script src" not in rest and "cdn.plot.ly" not in rest and "http" not in rest.split("<main>")[0]
    assert html.count("Plotly.newPlot") == 6
    page, charts = check_page(browser, tmp_path / "report.html", tmp_path / "report.png")
    ids = {c["id"] for c in charts}
    assert ids == {"chart-kpis", "chart-frontier", "chart-intraday", "chart-waits", "chart-journey", "chart-cost"}
    text = page.js("document.body.innerText")
    assert "silo vs team" in text.lower()
    assert "team (warm handoffs) vs silo:" in text                       # the headline sentence
    assert "same headcount" in text and "95% CI" in text
    titles = {c["id"]: c["title"] for c in charts}
    assert titles["chart-waits"].startswith("9 in 10 calls wait at most")
    assert "Passed on to another queue" in titles["chart-journey"]
    # consistent colours: the silo trace has the same colour in every chart that draws lines
    colours = page.js("""[...document.querySelectorAll('.js-plotly-plot')].flatMap(g => g._fullData
        .filter(t => t.name === 'silo' && t.line && t.line.color).map(t => t.line.color))""")
    assert colours and len(set(colours)) == 1
    page.close()


def test_labels_are_for_people_and_never_overlap(browser, sweep_dir, tmp_path):
    """The journey, cost and KPI charts as drawn by Chromium: no two texts overlap (nor two journey nodes), the
    journey's nodes have people's names and its links a legend, the cost chart labels only its key points."""
    report(sweep_dir, out=tmp_path / "report.html")
    page, _ = check_page(browser, tmp_path / "report.html")
    assert_no_overlap(page)
    texts = [b["text"] for b in page.js(f"{TEXT_BOXES}('chart-journey')")]
    joined = " ".join(texts).replace(" ", "")          # (a wrapped label's lines are tspans without a space)
    assert not [t for t in texts if re.search(r"#\d|_", t)], "code names in the journey"
    for name in ("Billing queue (1st)", "Billing agents (1st)", "Tech desk queue (2nd)", "Resolved", "Abandoned"):
        assert name.replace(" ", "") in joined, name
    assert "passedtoanotherqueue" in joined and "answeredbyagents" in joined and "abandoned(hungupwaiting)" in joined
    # the cost chart: the key points only are labelled; its title names every target
    cost = page.js("document.getElementById('chart-cost').layout")
    assert "≥80% answered within 20 s and ≤5% abandoned" in cost["title"]["text"]
    labels = [a["text"] for a in cost["annotations"] if a.get("showarrow")]
    # the cheapest design meeting the targets is labelled, or, when none does, the closest one
    key = "(cheapest)" if cost["title"]["text"].startswith("Cheapest to meet") else "(closest)"
    assert cost["title"]["text"].startswith(("Cheapest to meet", "No design meets"))
    assert 1 <= len(labels) <= 2 and any(key in t for t in labels), (cost["title"]["text"], labels)
    page.close()


def test_single_run_report(browser, runs, tmp_path):
    silo = runs["silo"]
    html = report(silo)
    assert "No staffing factor" in html                                  # the frontier is left out, with a note
    (tmp_path / "single.html").write_text(html, encoding="utf-8")
    page, charts = check_page(browser, tmp_path / "single.html")
    assert len(charts) == 5
    assert page.js("document.getElementById('chart-intraday').layout.shapes.length") >= 1   # the surge, shaded
    assert "surge ×1.6" in page.js("document.getElementById('chart-intraday').innerText || "
                                   "document.getElementById('chart-intraday').textContent")
    # the saved folder of the same run gives the same page, and so does the CLI
    silo.save(tmp_path / "silo")
    from typer.testing import CliRunner
    from ccsim.cli import app
    r = CliRunner().invoke(app, ["report", str(tmp_path / "silo"), "-o", str(tmp_path / "cli.html")])
    assert r.exit_code == 0, r.output
    assert "Plotly.newPlot" in (tmp_path / "cli.html").read_text(encoding="utf-8")
    page.close()


def test_designs_report_is_paired(runs):
    html = report(runs)
    assert "paired differences" in html and "team</strong> <span class='mode'>(warm handoffs)</span> vs silo" in html
    # different seeds: still a report, but the differences are not called paired
    other = ccsim.simulate(runs["team"].scenario, engine="simpy", reps=2, seed=4)
    assert "not paired" in report({"silo": runs["silo"], "team": other})


def test_user_text_is_escaped(browser, runs, tmp_path):
    evil_desc = "<img src=x onerror=window.__pwned=2>"
    silo = runs["silo"]
    silo.scenario = silo.scenario.override({"description": evil_desc})
    try:
        html = report({EVIL: silo, "team & 'co' \"x\"": runs["team"]}, out=tmp_path / "evil.html")
    finally:
        silo.scenario = silo.scenario.override({"description": ""})
    assert EVIL not in html and "<img src=x" not in html
    page, charts = check_page(browser, tmp_path / "evil.html")
    assert page.js("typeof window.__pwned") == "undefined"
    text = page.js("document.body.innerText")
    assert EVIL in text and "team & 'co' \"x\"" in text                 # shown as text
    # inside the charts too: titles, legends, tick labels show the text and run nothing
    svg_text = page.js("[...document.querySelectorAll('.js-plotly-plot .main-svg')].map(s => s.textContent).join(' ')")
    assert EVIL in svg_text and "team & 'co' \"x\"" in svg_text and "&quot;" not in svg_text
    assert page.js("document.scripts.length") == 2 + html.count("Plotly.newPlot")   # plotly.js, config, charts
    assert_no_overlap(page)                                                # long hostile labels too
    page.close()


def test_cli_errors_are_one_line(tmp_path):
    from typer.testing import CliRunner
    from ccsim.cli import app
    r = CliRunner().invoke(app, ["report", str(tmp_path / "nowhere")])
    assert r.exit_code == 2
    assert r.output.strip().startswith("error: RESULTS_DIR:") and len(r.output.strip().splitlines()) == 1


def synthetic_sweep(template: Path, n_staffing: int = 50) -> SweepResults:
    """A 100-point sweep (2 designs x 50 headcounts x 2 reps), its table made from a real small sweep's rows."""
    real = SweepResults.load(template)
    scales = [round(0.6 + 0.01 * i, 2) for i in range(n_staffing)]
    points = [{"design": d, "design.staffing_scale": s} for d in ("silo", "team") for s in scales]
    rng = np.random.default_rng(0)
    parts = []
    base_rows = real.table[real.table["design.staffing_scale"] == 1.0].drop(columns=["design.staffing_scale"])
    for i, p in enumerate(points):
        rows = base_rows[base_rows["design"] == p["design"]].copy()
        shift = p["design.staffing_scale"] - 1.0
        sl = rows["metric"].isin(["service_level", "fcr"])
        rows.loc[sl, "value"] = np.clip(rows.loc[sl, "value"] + 0.5 * shift + rng.normal(0, 0.01, sl.sum()), 0, 1)
        more = rows["metric"].isin(["cost", "agents"])
        rows.loc[more, "value"] *= p["design.staffing_scale"]
        rows["point"] = i
        rows["design.staffing_scale"] = p["design.staffing_scale"]
        parts.append(rows)
    table = pd.concat(parts, ignore_index=True)
    manifest = {**real.manifest, "points": points, "n_tasks": len(points),
                "baseline_of": [i % n_staffing for i in range(len(points))]}
    pts = pd.DataFrame(points)
    pts.insert(0, "point", range(len(points)))
    return SweepResults(table=table, points=pts, manifest=manifest)


def test_100_point_sweep_report_is_small_and_complete(browser, sweep_dir, tmp_path):
    """A 100-point sweep still makes one page under 10 MB with every chart drawn (its load time is a
    benchmark figure, printed here, never asserted: the suite runs on busy shared cores)."""
    big = synthetic_sweep(sweep_dir)
    assert len(big.points) == 100
    html = report(big, out=tmp_path / "big.html")
    size = (tmp_path / "big.html").stat().st_size
    assert size == len(html.encode("utf-8")) and size < 10 * 1024 * 1024, f"{size / 1e6:.1f} MB"
    page, charts = check_page(browser, tmp_path / "big.html")
    print(f"\n100-point report: {size / 1e6:.2f} MB, load event after {page.load_seconds:.2f} s")
    assert len(page.js("document.getElementById('chart-cost')._fullData[0].x")) == 50
    assert_no_overlap(page)                                      # 50 points a design: only the key ones labelled
    page.close()


def test_png_export(sweep_dir, tmp_path):
    pytest.importorskip("kaleido", reason="static export needs kaleido")
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (CI installs it: apt-get install -y chromium)")
    report(sweep_dir, png=tmp_path / "png")
    pngs = sorted(p.name for p in (tmp_path / "png").glob("*.png"))
    assert pngs == ["01-kpis.png", "02-frontier.png", "03-intraday.png", "04-waits.png", "05-journey.png", "06-cost.png"]
    assert all((tmp_path / "png" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_png_without_a_browser_is_one_clear_line(sweep_dir, tmp_path, monkeypatch):
    import importlib
    from typer.testing import CliRunner
    from ccsim.cli import app
    pytest.importorskip("kaleido", reason="static export needs kaleido")
    monkeypatch.setattr(importlib.import_module("ccsim.report.export"), "browser_path", lambda: None)
    r = CliRunner().invoke(app, ["report", str(sweep_dir), "-o", str(tmp_path / "r.html"), "--png", str(tmp_path / "p")])
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        "error: --png: static export needs Chromium and none was found (fix: apt-get install chromium, or set "
        "BROWSER_PATH to a Chrome/Chromium binary)"]


# --------------------------------------------------------------------------- the reference screenshot
def make_reference(out_png: Path = ROOT / "docs" / "report.png", sweep_dir: Path | None = None) -> None:
    """Run the flagship sweep (or read ``sweep_dir``), render its report and keep a screenshot 1280 px wide and
    under 500 KB: the whole page if it fits, else its top (headline, cards and the first charts)."""
    from ccsim.sweep import load_sweep

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        res = sweep_dir or load_sweep(ROOT / "experiments" / "sweeps" / "silo_vs_team.toml").run(tmp / "sweep", workers=2)
        report(res, out=tmp / "report.html")
        b = Browser(tmp / "profile")
        try:
            page, _ = check_page(b, tmp / "report.html")
            height = int(page.js("Math.ceil(document.documentElement.scrollHeight)"))
            while True:
                page.screenshot(tmp / "shot.png", max_height=height)
                if shutil.which("pngquant"):  # 256 colours: the whole page fits (apt-get install pngquant)
                    subprocess.run(["pngquant", "--force", "--skip-if-larger", "--quality=70-95", "--output",
                                    str(tmp / "shot.png"), str(tmp / "shot.png")], check=False)
                if (tmp / "shot.png").stat().st_size < 480_000 or height < 1000:
                    break
                height = int(height * 0.9)
        finally:
            b.close()
        shutil.copy(tmp / "shot.png", out_png)
    print(f"wrote {out_png} (1280 x {height} px, {out_png.stat().st_size / 1e3:.0f} KB)")


if __name__ == "__main__":
    if "--reference" in sys.argv:
        rest = [a for a in sys.argv[1:] if a != "--reference"]
        make_reference(sweep_dir=Path(rest[0]) if rest else None)
    else:
        print(__doc__)


def test_report_has_a_table_by_call_type_when_there_are_several(runs):
    msk = ccsim.load_scenario(Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "contactcenters"
                              / "simplemsk.toml")
    res = ccsim.simulate(msk, reps=3, seed=2, keep_calls=False)
    html = report(res)
    section = html[html.index("id='section-call-types'"):]
    section = section[: section.index("</section>")]
    summary = res.call_type_summary()
    for ct in ("t0", "t1", "t2"):        # each call type, its threshold and its mean service level
        assert f"{ct} (20 s)" in section
        assert format(summary.loc[ct, "service_level"], ".1%") in section
    assert "section-call-types" in report(runs["silo"])         # silo's day has several call types too
    one = ccsim.simulate(ccsim.load_scenario(SCENARIOS / "erlang_a.toml").override({"horizon": 7200}), reps=2, seed=1,
                         keep_calls=False)
    assert "section-call-types" not in report(one)              # one call type: the cards say it all
    assert "[-" not in section                                 # intervals clipped to what a KPI can be
