"""Benchmark calibration on a large call log: reading and validating it, calibrating, the backtest.

    python benchmarks/calibration.py            # about 1 million calls (150 simulated days)
    python benchmarks/calibration.py --days 20  # smaller

The log is the center of experiments/make_call_log.py (weekdays only), simulated for ``--days`` days and
exported with ``Results.to_call_log()``, then written as CSV and Parquet; each step is timed once in this
process (the machine may be shared: figures are indicative).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "experiments"))

import ccsim  # noqa: E402
from ccsim.calibrate import backtest, calibrate  # noqa: E402
from ccsim.calllog import read_call_log  # noqa: E402


def timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    print(f"  {label:<34} {time.perf_counter() - t:7.2f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=150, help="simulated days in the log (about 6,700 calls a day)")
    args = ap.parse_args()
    import make_call_log as made

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    res = timed(f"simulate {args.days} days (records)",
                lambda: ccsim.simulate(made.center(False), reps=args.days, seed=made.SEED))
    log = timed("export with to_call_log", lambda: res.to_call_log())
    print(f"  {len(log):,} calls")
    with tempfile.TemporaryDirectory() as tmp:
        csv, pq = Path(tmp) / "calls.csv", Path(tmp) / "calls.parquet"
        timed("write CSV and Parquet", lambda: (log.to_csv(csv, index=False), log.to_parquet(pq, index=False)))
        print(f"  CSV {csv.stat().st_size / 1e6:.0f} MB, Parquet {pq.stat().st_size / 1e6:.0f} MB")
        calls = timed("read + validate CSV", lambda: read_call_log(csv))
        timed("read + validate Parquet", lambda: read_call_log(pq))
        cal = timed("calibrate", lambda: calibrate(calls))
        timed("to_toml", cal.to_toml)
        timed("backtest, 20 replications", lambda: backtest(calls, cal, reps=20))
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB (whole process)")


if __name__ == "__main__":
    main()
