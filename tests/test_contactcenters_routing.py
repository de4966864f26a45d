"""ccsim against ContactCenters' multi-skill examples SimpleMSK and Bilingual (umontreal-simul/contactcenters,
doc/examples/{SimpleMSK,Bilingual}.{java,res,tex}): the router policies (a queue's order of groups, a random idle
agent, a freed agent's longest-waiting head), laws by period of arrival, a busyness shared by the call types,
trunk lines and retrials with the same patience, written as scenarios in experiments/scenarios/contactcenters/,
simulated, and every figure the examples print compared with its published value.

As in tests/test_contactcenters.py: each example prints, over 1,000 replications (days for SimpleMSK, weeks for
Bilingual), the mean of a per-replication figure or a "function of averages" (a ratio of sums over
replications, with a delta-method interval). ccsim's figures are estimated the same way from its
per-replication values, and each is compared with the published mean by a two-sample z test (the published
standard error is the printed standard deviation / sqrt(1,000), plus the rounding of the printed mean), with
Bonferroni over the comparisons of this file at a family-wise 1%.

The examples' statistics need what the KPI tables do not hold (the time the last contact left, each caller's
queue time summed over its attempts, busy time after the horizon, counts by call type and period of arrival),
so replications run one at a time through the numba engine with records, each reduced to its figures at once
(memory stays flat).

End of the day: Bilingual disconnects the callers still waiting once
the last agent serving their queue has left at 17:00, or when one of its busy agents goes home after finishing a
call past 17:00 (0.058 a week): ccsim's `when_unstaffed = "disconnect"`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.engines import get_engine
from ccsim.engines.compiled import compile_scenario
from ccsim.engines.output import ABANDONED, ANSWERED, BLOCKED, DISCONNECTED, IN_SYSTEM

SCEN = Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "contactcenters"
REPS = 1000              # NUMDAYS of both examples (weeks for Bilingual)
SEED = 20261124
MIN = 60.0               # the examples' time unit, in seconds
MSK_AWT = 20.0           # SimpleMSK's AWT (20 s): served (or abandoned) with a wait below it
MSK_WRAPUP_AGENTS = 9    # group 0's agents in SimpleMSK's wrap-up period (its last period's)
BIL_AWT = 60.0           # Bilingual's AWT (1 min), on a caller's queue time summed over its attempts
BIL_EXPARRIVALS = 2500.0  # Bilingual's EXPARRIVALS: fresh calls expected a week per type, the service level's denominator
BIL_EXPNUMAGENTS = {"english_only": 18900.0, "spanish_only": 18900.0, "bilingual": 10800.0}  # agent-minutes a week
LANGS = ("english", "spanish")

#: published figures: (mean, CI low, CI high, decimals of the mean, standard deviation), as printed in the
#: example's .res file (95% intervals; minutes there)
PUBLISHED = {
    "simplemsk": {
        "served": (4297.305, 4270.150, 4324.460, 3, 437.605),
        "abandoned": (910.335, 876.133, 944.537, 3, 551.164),
        "service_level": (0.501, 0.494, 0.509, 3, 0.128),     # good / (served + abandoned after AWT), of averages
        "occupancy": (0.881, 0.877, 0.884, 3, 0.058),         # group 0, wrap-up included, of averages
        # served within AWT, by call type and period of arrival
        "good_t0_p0": (170.154, 164.338, 175.970, 3, 93.722),
        "good_t0_p1": (599.334, 594.159, 604.509, 3, 83.392),
        "good_t0_p2": (15.490, 13.782, 17.198, 3, 27.520),
        "good_t1_p0": (262.936, 254.597, 271.275, 3, 134.377),
        "good_t1_p1": (511.648, 506.276, 517.020, 3, 86.571),
        "good_t1_p2": (34.697, 31.270, 38.124, 3, 55.230),
        "good_t2_p0": (259.806, 250.178, 269.434, 3, 155.150),
        "good_t2_p1": (613.732, 607.586, 619.878, 3, 99.046),
        "good_t2_p2": (24.888, 22.137, 27.639, 3, 44.327),
    },
    "bilingual": {  # a week each
        "arrivals_english": (2555.811, 2552.285, 2559.337, 3, 56.822),   # every attempt (retrials included)
        "arrivals_spanish": (2554.350, 2550.813, 2557.887, 3, 57.003),
        "arrivals_all": (5110.161, 5105.009, 5115.313, 3, 83.029),
        "retrials_english": (54.073, 53.236, 54.910, 3, 13.495),
        "retrials_spanish": (53.095, 52.273, 53.917, 3, 13.253),
        "retrials_all": (107.168, 105.841, 108.495, 3, 21.377),
        "served_english": (2483.933, 2480.916, 2486.950, 3, 48.612),
        "served_spanish": (2483.302, 2480.233, 2486.371, 3, 49.449),
        "served_all": (4967.235, 4962.946, 4971.524, 3, 69.111),
        "abandoned_english": (71.848, 70.815, 72.881, 3, 16.652),
        "abandoned_spanish": (71.020, 69.999, 72.041, 3, 16.459),
        "abandoned_all": (142.868, 141.209, 144.527, 3, 26.740),
        "in_target_english": (2448.662, 2445.778, 2451.546, 3, 46.470),  # served, summed queue time < 1 min
        "in_target_spanish": (2448.223, 2445.251, 2451.195, 3, 47.889),
        "in_target_all": (4896.885, 4892.789, 4900.981, 3, 66.002),
        "service_level_english": (97.946, 97.831, 98.062, 3, 1.859),     # 100 x in target / 2,500
        "service_level_spanish": (97.929, 97.810, 98.048, 3, 1.916),
        "service_level_all": (97.938, 97.856, 98.020, 3, 1.320),         # 100 x in target / 5,000
        "occupancy_english_only": (47.624, 47.563, 47.684, 3, 0.977),    # 100 x busy / scheduled agent-minutes
        "occupancy_spanish_only": (47.639, 47.580, 47.699, 3, 0.962),
        "occupancy_bilingual": (63.254, 63.197, 63.310, 3, 0.908),
        "occupancy_all": (51.103, 51.059, 51.148, 3, 0.719),
        "disconnected_english": (0.030, 0.016, 0.044, 3, 0.222),        # when_unstaffed = "disconnect"
        "disconnected_spanish": (0.028, 0.016, 0.040, 3, 0.193),
        "disconnected_all": (0.058, 0.040, 0.076, 3, 0.291),
    },
}
N_COMPARISONS = sum(len(v) for v in PUBLISHED.values())
ALPHA = 0.01 / N_COMPARISONS
Z_CRIT = stats.norm.isf(ALPHA / 2)

# the estimators of tests/test_contactcenters.py (a mean, or a function of averages with its delta-method error)
from test_contactcenters import Sample, estimate  # noqa: E402


def z_value(published: tuple, est: float, se: float) -> float:
    """The two-sample z of ccsim's estimate against the published mean."""
    pub, _, _, dec, sd = published
    rounding = 0.5 * 10.0**-dec / np.sqrt(3)                 # a printed mean is off by up to half a digit
    return float((est - pub) / np.hypot(se, np.hypot(sd / np.sqrt(REPS), rounding)))


def replications(name: str):
    """The compiled scenario and each replication's raw output (records), one at a time."""
    sc = ccsim.load_scenario(SCEN / f"{name}.toml")
    comp = compile_scenario(sc)
    run = get_engine("numba")
    return sc, comp, (run(comp, SEED, r) for r in range(REPS))


def simplemsk_figures(sc, comp, out) -> dict[str, float]:
    """One day's figures of SimpleMSK (counts; the two ratios' numerators and denominators)."""
    c = out.contacts
    assert not (c["outcome"] == IN_SYSTEM).any()                          # the day ran until the center was empty
    served, abandoned = c["outcome"] == ANSWERED, c["outcome"] == ABANDONED
    good = served & (c["wait"] < MSK_AWT)                                # wait 0 included
    f = {"served": served.sum(), "abandoned": abandoned.sum(), "good": good.sum(),
         "late_abandoned": (abandoned & (c["wait"] >= MSK_AWT)).sum()}
    period = (c["arrival"] // sc.interval).astype(np.int64)
    counts = np.zeros((len(sc.demand.call_types), comp.n_intervals), np.int64)
    np.add.at(counts, (c["call_type"][good], period[good]), 1)
    f |= {f"good_t{k}_p{p}": counts[k, p] for k in range(counts.shape[0]) for p in range(counts.shape[1])}
    # group 0's occupancy over [0, T_end], T_end the last event (the last contact leaving, or the start of the
    # wrap-up at the horizon): busy agent time, the wrap-up's included, over the agents present (scheduled, and
    # those finishing a call after a staffing cut). ccsim's present time after the horizon runs to the end of
    # max_drain, so the wrap-up's is its 9 agents until T_end (no agent finishes a call of period 2 after it:
    # checked).
    g0 = list(sc.design.groups).index("g0")
    t_end = max(sc.horizon, float(c["end"].max()))
    assert np.isclose(out.staffed[g0, -1], MSK_WRAPUP_AGENTS * sc.max_drain)
    f["busy"] = out.busy[g0].sum() / MIN
    f["present"] = (out.staffed[g0, :-1].sum() + MSK_WRAPUP_AGENTS * (t_end - sc.horizon)) / MIN
    return f


def bilingual_figures(sc, comp, out) -> dict[str, float]:
    """One week's figures of Bilingual, by call type and for all types."""
    c = out.contacts
    assert not (c["outcome"] == IN_SYSTEM).any()                          # the week ran until the center was empty
    types = list(sc.demand.call_types)
    # a caller's queue time summed over its attempts (the example's Contact.getTotalQueueTime, kept across
    # retrials): its contacts share (call type, caller); only its last attempt can be served
    _, caller = np.unique(c["call_type"].astype(np.int64) * (1 << 40) + c["caller"], return_inverse=True)
    total_wait = np.bincount(caller, weights=c["wait"])[caller]
    counts = {
        "arrivals": np.ones(c["caller"].size, bool),                     # every attempt, blocked ones included
        "retrials": c["attempt"] > 0,
        "served": c["outcome"] == ANSWERED,
        "disconnected": c["outcome"] == DISCONNECTED,
        "abandoned": c["outcome"] == ABANDONED,
        "in_target": (c["outcome"] == ANSWERED) & (total_wait < BIL_AWT),
        "blocked": c["outcome"] == BLOCKED,
    }
    f = {}
    for fig, mask in counts.items():
        per_type = np.bincount(c["call_type"][mask], minlength=len(types))
        f |= {f"{fig}_{t}": per_type[k] for k, t in enumerate(types)} | {f"{fig}_all": per_type.sum()}
    for t in LANGS:
        f[f"service_level_{t}"] = 100.0 * f[f"in_target_{t}"] / BIL_EXPARRIVALS
    f["service_level_all"] = 100.0 * f["in_target_all"] / (len(LANGS) * BIL_EXPARRIVALS)
    # busy agent-minutes over the whole week (calls finished after 17:00 included) / the scheduled ones
    busy = {g: out.busy[i].sum() / MIN for i, g in enumerate(sc.design.groups)}
    for g, scheduled in BIL_EXPNUMAGENTS.items():
        f[f"occupancy_{g}"] = 100.0 * busy[g] / scheduled
    f["occupancy_all"] = 100.0 * sum(busy.values()) / sum(BIL_EXPNUMAGENTS.values())
    return f


def ccsim_samples(name: str) -> dict[str, Sample]:
    """Every figure of the example, per replication, in its units."""
    sc, comp, outs = replications(name)
    if name == "simplemsk":
        assert sc.demand.call_types["t0"].volume[0] == 4.2 * 120        # rates a minute x 120 min
        rows = [simplemsk_figures(sc, comp, out) for out in outs]
    else:
        assert all(sum(ct.volume) == BIL_EXPARRIVALS for ct in sc.demand.call_types.values())
        assert list(sc.demand.call_types) == list(LANGS) and list(sc.design.groups) == list(BIL_EXPNUMAGENTS)
        for g, scheduled in BIL_EXPNUMAGENTS.items():                    # the constants are the scheduled time
            assert sum(sc.design.groups[g].staffing) * sc.interval / MIN == scheduled
        rows = [bilingual_figures(sc, comp, out) for out in outs]
    x = {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}
    if name == "simplemsk":
        x["service_level"] = (x["good"], x["served"] + x["late_abandoned"])
        x["occupancy"] = (x["busy"], x["present"])
    return x


@pytest.fixture(scope="module")
def samples() -> dict[str, dict[str, Sample]]:
    return {name: ccsim_samples(name) for name in PUBLISHED}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_reproduces_the_published_figures(name, samples):
    got = samples[name]
    misses = []
    for fig, pub in PUBLISHED[name].items():
        est, se = estimate(got[fig])
        z = z_value(pub, est, se)
        if not abs(z) <= Z_CRIT:
            misses.append(f"{fig}: ccsim {est:.5g} (se {se:.2g}) vs published {pub[0]} [{pub[1]}, {pub[2]}]: "
                          f"z = {z:.2f}")
    assert not misses, "; ".join(misses)


def test_bilingual_blocks_nobody(samples):
    """With 40 lines nobody is blocked, so that ccsim's redials of blocked contacts (the example makes none)
    play no part."""
    assert (samples["bilingual"]["blocked_all"] == 0).all()
