"""The same Erlang A case (M/M/55+M: 10 calls/min, AHT 5 min, patience 2 min) on other Python simulators.

Idiomatic SimPy (a caller process, a Resource, a patience race with AnyOf) and Ciw (``pip install
ccsim[bench]``; reneging via ``reneging_time_distributions``), for comparison with ccsim's engines in
``benchmarks/engines.py``. Prints callers per second; each also prints its abandonment as a sanity check
(exact Erlang A: 2.86%).
"""
from __future__ import annotations

import random
import time

LAM, MU, THETA, C = 10 / 60, 1 / 300, 1 / 120, 55


def idiomatic_simpy(horizon: float, seed: int = 1) -> tuple[int, int]:
    """Textbook SimPy M/M/c+M: (callers, abandoned)."""
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=C)
    stats = [0, 0]

    def caller():
        stats[0] += 1
        with agents.request() as req:
            got = yield req | env.timeout(rng.expovariate(THETA))
            if req not in got:
                stats[1] += 1
                return
            yield env.timeout(rng.expovariate(MU))

    def source():
        while True:
            yield env.timeout(rng.expovariate(LAM))
            env.process(caller())

    env.process(source())
    env.run(until=horizon)
    return stats[0], stats[1]


def ciw_run(horizon: float, seed: int = 1) -> tuple[int, int]:
    """Ciw M/M/c+M: (callers, abandoned)."""
    import ciw

    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=LAM)],
                             service_distributions=[ciw.dists.Exponential(rate=MU)],
                             number_of_servers=[C],
                             reneging_time_distributions=[ciw.dists.Exponential(rate=THETA)])
    ciw.seed(seed)
    q = ciw.Simulation(net)
    q.simulate_until_max_time(horizon)
    recs = q.get_all_records()
    served = sum(1 for r in recs if r.record_type == "service")
    reneged = sum(1 for r in recs if r.record_type == "renege")
    return served + reneged, reneged


def main() -> None:
    horizon = 2 * 86400.0
    for name, fn in (("idiomatic SimPy", idiomatic_simpy), ("Ciw", ciw_run)):
        try:
            t0 = time.perf_counter()
            n, ab = fn(horizon)
            dt = time.perf_counter() - t0
        except ImportError as e:
            print(f"{name:16s} not installed ({e.name}): pip install 'ccsim[bench]'")
            continue
        print(f"{name:16s} {n / dt:12,.0f} callers/s   ({n:,} callers in {dt:.1f} s, abandoned {ab / n:.2%})")


if __name__ == "__main__":
    main()
