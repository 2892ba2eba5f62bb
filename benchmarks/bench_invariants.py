"""Neighbour search + driving invariants throughput, 2-D periodic box at fixed density.

    python benchmarks/bench_invariants.py [--seconds 1.0] [--out benchmarks/results]

Prints particle-steps/s for N = 1e2..1e5 (numba cell list) and the dense numpy all-pairs
version at N = 1e2, 1e3, and writes invariants.csv. Target: >= 1e6 particle-steps/s on one
core, flat within 2x across sizes.
"""

from autoparticles.bench import benchmark_main, invariants_throughput

if __name__ == "__main__":
    benchmark_main(__doc__, invariants_throughput, "invariants.csv")
