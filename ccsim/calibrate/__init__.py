"""Calibrate a ccsim scenario from a call log (an ACD export): arrivals, day-to-day variation, handle time,
patience, IVR time, repeat contacts and staffing, each estimate with its sample size and confidence interval,
written as a scenario TOML with a comment on every figure; and a backtest of the calibrated scenario against
the log, interval by interval.

    from ccsim.calllog import read_call_log
    from ccsim.calibrate import calibrate, backtest
    cal = calibrate(read_call_log("calls.csv"))
    print(cal.to_toml())          # a scenario ccsim run accepts
    cal.summary()                 # every estimate, its interval, sample size and method
    backtest(read_call_log("calls.csv"), cal)
"""
from __future__ import annotations

from .arrivals import DAY_TYPES, arrival_profile, busyness, day_labels, weekend_test
from .backtest import backtest, observed_intervals
from .calibration import Calibration, calibrate
from .common import Estimate
from .durations import HANDLE_LAWS, fit_handle, handle_times, ivr_times
from .patience import fit_patience, patience
from .repeats import Repeats, mark_repeats, repeat_estimates
from .staffing import agent_groups, presence

__all__ = ["Calibration", "Estimate", "Repeats", "DAY_TYPES", "HANDLE_LAWS", "calibrate", "backtest",
           "observed_intervals", "arrival_profile", "busyness", "day_labels", "weekend_test", "fit_handle",
           "handle_times", "ivr_times", "fit_patience", "patience", "mark_repeats", "repeat_estimates",
           "agent_groups", "presence"]
