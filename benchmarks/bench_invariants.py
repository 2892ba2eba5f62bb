"""Neighbour search + driving invariants throughput, 2-D periodic box at fixed density.

    python benchmarks/bench_invariants.py [--seconds 1.0] [--out benchmarks/results]

Prints particle-steps/s for N = 1e2..1e5 (numba cell list) and the dense numpy all-pairs
version at N = 1e2, 1e3, and writes invariants.csv. Target: >= 1e6 particle-steps/s on one
core, flat within 2x across sizes.
"""

import argparse
from pathlib import Path

from autoparticles.bench import invariants_throughput


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum timing per size")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    table = invariants_throughput(min_seconds=args.seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "invariants.csv", index=False)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.3g}"))
    cell = table[table.method.str.startswith("cell")].particle_steps_per_s
    print(f"\ncell list: min {cell.min():,.0f}, max {cell.max():,.0f} particle-steps/s "
          f"(spread {cell.max() / cell.min():.2f}x); wrote {args.out / 'invariants.csv'}")


if __name__ == "__main__":
    main()
