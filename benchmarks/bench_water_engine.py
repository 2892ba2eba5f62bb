"""Our water engine alone: steps of 0.5 fs per CPU second, plain and with multiple time steps.

    python benchmarks/bench_water_engine.py [--molecules 64 512] [--mts 1 4]
    PYTHONPATH=/path/to/another/checkout python benchmarks/bench_water_engine.py   # its code

The shipped model on the peers' random box (bench_peers_water.learned_simulation), timed by
the process's CPU clock after 40 warm-up steps, so that runs of different versions of the
code (a worktree of each commit on PYTHONPATH) compare on a shared machine.
"""

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from bench_peers_water import has_mts, learned_simulation  # noqa: E402  (same folder)

STEPS = {64: 2000, 512: 200}
"""Timed steps per box size (others: 200)."""


def main():
    import autoparticles

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, nargs="+", default=[64, 512])
    parser.add_argument("--mts", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    print(f"code: {os.path.dirname(os.path.dirname(autoparticles.__file__))}")
    for molecules in args.molecules:
        for k in args.mts if has_mts() else [1]:
            sim = learned_simulation(molecules, k)
            sim.run(40)
            steps = k * (STEPS.get(molecules, 200) // k)
            started = time.process_time()
            sim.run(steps)
            rate = steps / (time.process_time() - started)
            print(f"{molecules:6d} H2O  mts {k}  {rate:10.1f} steps/s", flush=True)


if __name__ == "__main__":
    main()
