"""Make the bundled synthetic call log: three weeks of a three-queue center with stated parameters, as an ACD
would record it (experiments/data/call_log.parquet, the generic format of docs/call-log.md).

    python3 experiments/make_call_log.py            # rewrites experiments/data/call_log.parquet

The center as it ran: the demand curves of experiments/scenarios/demand/day.toml (weekdays; weekends at
55% of the volume), one need per caller, one agent group per queue staffed as in silo.toml, a 40-s menu,
and the laws below. ``calibrate_and_compare.py`` starts from this log and checks what calibration recovers
against these stated values.
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ccsim  # noqa: E402

from _common import SCENARIOS, console  # noqa: E402

#: the stated parameters (seconds): handle time (talk, no separate after-call work in an ACD log), patience
STATED = {
    "billing": {"talk": {"dist": "lognormal", "mean": 345, "cv": 0.75},
                "patience": {"dist": "weibull", "shape": 0.8, "scale": 280}},
    "tech": {"talk": {"dist": "lognormal", "mean": 540, "cv": 0.85},
             "patience": {"dist": "exponential", "mean": 360}},
    "sales": {"talk": {"dist": "gamma", "mean": 390, "cv": 0.7},
              "patience": {"dist": "lognormal", "mean": 240, "cv": 1.0}},
}
IVR_SECONDS = 40.0
REDIAL_PROB, REDIAL_MEAN = 0.4, 900.0
BUSYNESS_CV = 0.10
STAFFING_SCALE = 0.72     # silo.toml's staffing is sized for transfers this center does not have
WEEKEND_FACTOR = 0.55
FIRST_DAY = pd.Timestamp("2026-03-02")   # a Monday
WEEKS = 3
SEED = 20261124
OUT = HERE / "data" / "call_log.parquet"


def center(weekend: bool) -> ccsim.Scenario:
    """The center as it ran: silo.toml's queues, groups and staffing, the stated laws, one need a caller."""
    silo = ccsim.load_scenario(SCENARIOS / "silo.toml")
    d = silo.model_dump(mode="json")
    dem = d["demand"]
    dem["busyness_cv"] = BUSYNESS_CV
    for name, ct in dem["call_types"].items():
        ct.update(needs=[name], misroute_prob=0.0, resolution_prob=1.0, callback_prob=0.0, redial_prob=REDIAL_PROB,
                  redial_delay={"dist": "exponential", "mean": REDIAL_MEAN}, max_attempts=3,
                  patience=copy.deepcopy(STATED[name]["patience"]))
        if weekend:
            ct["volume"] = [v * WEEKEND_FACTOR for v in ct["volume"]]
        dem["work"][name] = {"talk": copy.deepcopy(STATED[name]["talk"]), "acw": 0}
    d["design"]["ivr"] = {"levels": 1, "seconds_per_level": IVR_SECONDS}
    d["design"]["survey"] = None
    d["design"]["staffing_scale"] = STAFFING_SCALE
    d["name"] = "as_it_ran_weekend" if weekend else "as_it_ran"
    return ccsim.scenario_from_dict(d)


def make_log(weeks: int = WEEKS, seed: int = SEED) -> pd.DataFrame:
    """The call log of ``weeks`` weeks from Monday FIRST_DAY: each day one replication of its day type."""
    runs = {w: ccsim.simulate(center(w), reps=(2 if w else 5) * weeks, seed=seed + w) for w in (False, True)}
    used = {False: 0, True: 0}
    days = []
    for day in range(7 * weeks):
        weekend = day % 7 >= 5
        res = runs[weekend]
        log = res.to_call_log(rep=int(res.kpis.index[used[weekend]]))
        used[weekend] += 1
        date = FIRST_DAY + pd.Timedelta(days=day)
        for col in ("arrival", "queue_enter", "answer", "end"):
            log[col] = date + pd.to_timedelta(log[col], unit="s")
        log["call_id"] = f"{date:%m%d}-" + log["call_id"]
        log["customer_id"] = f"{date:%m%d}-" + log["customer_id"]
        days.append(log)
    return pd.concat(days, ignore_index=True)


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weeks", type=int, default=WEEKS)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    log = make_log(args.weeks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for col in ("arrival", "queue_enter", "answer", "end"):   # whole seconds, as ACDs record
        log[col] = log[col].dt.round("s")
    log.to_parquet(args.out, index=False, compression="zstd", compression_level=19,
                   column_encoding={c: "DELTA_BINARY_PACKED" for c in ("arrival", "queue_enter", "answer", "end")},
                   use_dictionary=["call_type", "agent", "outcome"])
    console.print(f"{len(log):,} calls over {7 * args.weeks} days -> {args.out} "
                  f"({args.out.stat().st_size / 1e6:.1f} MB); outcomes: "
                  + ", ".join(f"{k} {v:,}" for k, v in log["outcome"].value_counts().items()))
    return args.out


if __name__ == "__main__":
    main()
