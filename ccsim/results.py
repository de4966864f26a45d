"""Results of a simulation: per-call records, per-replication KPIs, summaries, and saving to disk."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Scenario
from .engines.compiled import Compiled
from .engines.output import LEG_KINDS, OUTCOMES, RunOutput
from .metrics import group_kpis, interval_kpis, journey_flows, queue_kpis, replication_kpis, summarize, wait_cdf


def _cat(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
    """Index codes (-1 = none) as a categorical of names."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=list(names))


def calls_frame(out: RunOutput, comp: Compiled, rep: int) -> pd.DataFrame:
    """One row per contact, with names instead of indices and the derived times callers live through."""
    c = out.contacts
    df = pd.DataFrame({
        "rep": np.full(c["caller"].shape, rep, dtype=np.int32),
        "caller": c["caller"], "attempt": c["attempt"],
        "call_type": _cat(c["call_type"], comp.call_types),
        "arrival": c["arrival"],
        "ivr_time": c["queue_arrival"] - c["arrival"],
        "first_queue": _cat(c["first_queue"], comp.queues),
        "first_wait": c["answered_at"] - c["queue_arrival"],
        "first_group": _cat(c["first_group"], comp.groups),
        "wait": c["wait"], "hold": c["hold"], "talk_time": c["talk_time"], "agent_time": c["agent_time"],
        "transfers": c["transfers"], "handoffs": c["handoffs"], "reexplanations": c["reexplanations"],
        "legs": c["n_legs"],
        "outcome": _cat(c["outcome"], OUTCOMES),
        "last_queue": _cat(c["last_queue"], comp.queues),
        "last_group": _cat(c["last_group"], comp.groups),
        "resolved": c["resolved"], "survey_time": c["survey"],
        "end": c["end"], "time_in_system": c["end"] - c["arrival"],
    })
    return df


def legs_frame(out: RunOutput, comp: Compiled, rep: int) -> pd.DataFrame:
    """One row per queue leg: where each contact waited, for how long, and who answered."""
    g = out.legs
    return pd.DataFrame({
        "rep": np.full(g["contact"].shape, rep, dtype=np.int32),
        "contact": g["contact"], "caller": out.contacts["caller"][g["contact"]], "leg": g["leg"],
        "queue": _cat(g["queue"], comp.queues), "kind": _cat(g["kind"].astype(np.int64), LEG_KINDS),
        "enter": g["enter"], "wait": g["wait"], "group": _cat(g["group"], comp.groups), "agent": g["agent"],
        "agent_end": g["agent_end"], "outcome": _cat(g["outcome"].astype(np.int64), OUTCOMES),
        "talk_time": g["talk"],
    })


@dataclass
class Results:
    """Everything a run produced; ``summary()`` is what planners read first."""

    scenario: Scenario
    engine: str
    seed: int
    reps: int
    kpis: pd.DataFrame                       # one row per replication
    intervals: pd.DataFrame                  # KPIs by interval, one block per replication
    queues: pd.DataFrame                     # the ACD view by queue, per replication
    groups: pd.DataFrame                     # by agent group, per replication
    journeys: pd.DataFrame                   # rep, metric, value: wait CDF points and journey flow counts
    calls: pd.DataFrame | None = None        # per-contact records (None when not kept)
    legs: pd.DataFrame | None = None         # per-leg records (None when not kept)
    started: str = ""
    finished: str = ""
    meta: dict = field(default_factory=dict)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """One row per KPI: mean, ci_low, ci_high (Student t over replications)."""
        return summarize(self.kpis, confidence)

    def interval_summary(self) -> pd.DataFrame:
        """Mean over replications of every interval KPI."""
        return self.intervals.drop(columns="rep").groupby("interval", as_index=False).mean()

    def manifest(self) -> dict:
        from . import __version__
        return {"scenario": self.scenario.name, "engine": self.engine, "seed": self.seed, "reps": self.reps,
                "ccsim_version": __version__, "started": self.started, "finished": self.finished,
                "scenario_definition": self.scenario.model_dump(mode="json"), **self.meta}

    def save(self, out_dir: str | Path) -> Path:
        """Write KPIs, intervals, queues, groups, records (Parquet) and a JSON manifest, each atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tables = {"kpis": self.kpis.reset_index(), "intervals": self.intervals, "queues": self.queues, "groups": self.groups,
                  "journeys": self.journeys,
                  "summary": self.summary().rename_axis("kpi").reset_index()}
        if self.calls is not None:
            tables["calls"] = self.calls
        if self.legs is not None:
            tables["legs"] = self.legs
        for name, df in tables.items():
            _atomic(out / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
        _atomic(out / "manifest.json", lambda p: Path(p).write_text(json.dumps(self.manifest(), indent=2, default=str)))
        return out


def _atomic(path: Path, write) -> None:
    """Write to a temporary file beside ``path`` and rename it into place: no half-written results."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _table(cols: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def collect(sc: Scenario, comp: Compiled, engine: str, seed: int, outputs, keep_calls: bool) -> Results:
    """Turn an iterable of (rep, RunOutput) into Results."""
    started = now_iso()
    kpis, calls, legs, journeys = [], [], [], []
    ints: dict[str, list] = {}
    qs: dict[str, list] = {}
    gs: dict[str, list] = {}

    def add(table: dict[str, list], cols: dict[str, np.ndarray], rep: int) -> None:
        n = len(next(iter(cols.values())))
        for k, v in {**cols, "rep": np.full(n, rep, dtype=np.int64)}.items():
            table.setdefault(k, []).append(v)

    for rep, out in outputs:
        kpis.append({"rep": rep, **replication_kpis(out, comp)})
        journeys.extend({"rep": rep, "metric": k, "value": v}
                        for k, v in {**wait_cdf(out, comp), **journey_flows(out, comp)}.items())
        add(ints, interval_kpis(out, comp), rep)
        add(qs, queue_kpis(out, comp), rep)
        add(gs, group_kpis(out, comp), rep)
        if keep_calls:
            calls.append(calls_frame(out, comp, rep))
            legs.append(legs_frame(out, comp, rep))
    return Results(
        scenario=sc, engine=engine, seed=seed, reps=len(kpis),
        kpis=pd.DataFrame(kpis).set_index("rep"),
        intervals=_table(ints), queues=_table(qs), groups=_table(gs),
        journeys=pd.DataFrame(journeys, columns=["rep", "metric", "value"]),
        calls=pd.concat(calls, ignore_index=True) if keep_calls else None,
        legs=pd.concat(legs, ignore_index=True) if keep_calls else None,
        started=started, finished=now_iso(),
    )
