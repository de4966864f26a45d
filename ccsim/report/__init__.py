"""The leadership report: a run, a set of designs or a sweep as one self-contained HTML page.

    import ccsim
    html = ccsim.report(results)                       # Results, SweepResults, {label: Results} or a path
    ccsim.report("results/silo_vs_team_sweep", out="report.html", png="slides/")

The page opens with no network (plotly.js is embedded once), states each finding in words computed from
the results (with 95% confidence intervals: paired differences when the designs faced the same callers),
shows KPI cards per design and six charts, and ends with where the numbers come from. Every piece of user
text (scenario, design and factor names) is escaped, in the HTML and inside the charts.

Modules: :mod:`.data` (results -> what the page shows), :mod:`.words` (sentences and numbers),
:mod:`.charts` (the plotly figures), :mod:`.journey` (the journey Sankey), :mod:`.page` (the HTML), :mod:`.export` (PNG), :mod:`.style` (the look).
"""
from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

from ..store import atomic_write
from .charts import make_charts
from .data import normalise
from .export import export_png
from .page import render_page

__all__ = ["export_png", "report"]


def report(results: Any, out: str | Path | None = None, *, png: str | Path | None = None) -> str:
    """The leadership report of a run or a sweep, as one self-contained HTML page (returned as a string).

    ``results``: a :class:`~ccsim.results.Results`, a :class:`~ccsim.results.SweepResults`, ``{label: Results}``
    (designs to compare; paired when run with the same seed and demand), or the path of a results folder
    (``ccsim run`` / ``Results.save``, ``ccsim sweep``, or a folder holding several saved runs of the same
    demand and seed). ``out``: also write the page there. ``png``: also write every chart as a PNG into that
    folder (needs kaleido and Chromium).
    """
    data = normalise(results)
    charts = make_charts(data)
    page = render_page(data, charts)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, lambda p: Path(p).write_text(page, encoding="utf-8"))  # never half a page
    if png is not None:
        export_png(charts, png)
    return page


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> str:
        return report(*args, **kwargs)


# importing this package rebinds the attribute ccsim.report (the function) to the package: keep it callable
sys.modules[__name__].__class__ = _CallableModule
