"""The SimPy side of the speed targets: an M/M/8 at utilisation 0.8
(arrivals 640/s, services 10 ms), one million customers, timed end to end.

    python3 mm8_simpy.py
"""
import random
import time

import simpy

LAMBDA, MU, SERVERS, CUSTOMERS = 640.0, 100.0, 8, 1_000_000


def customer(env, servers, rng, waits):
    arrived = env.now
    with servers.request() as req:
        yield req
        yield env.timeout(rng.expovariate(MU))
    waits.append(env.now - arrived)


def source(env, servers, rng, waits):
    for _ in range(CUSTOMERS):
        yield env.timeout(rng.expovariate(LAMBDA))
        env.process(customer(env, servers, rng, waits))


def main():
    rng = random.Random(1)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    waits = []
    start = time.perf_counter()
    env.process(source(env, servers, rng, waits))
    env.run()
    secs = time.perf_counter() - start
    print(f"{len(waits)} customers in {secs:.2f} s: {len(waits) / secs:,.0f}/s; "
          f"mean response {sum(waits) / len(waits) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
