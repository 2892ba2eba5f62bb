"""Driving world throughput through DrivingWorld.step and ParticleVecEnv.step (ttc policy).

    python benchmarks/bench_driving.py [--seconds 1.0] [--out benchmarks/results]

N = 1e2..1e5 at the default density (32 per 20 x 20). Targets (one core): world >= 1e6
particle-steps/s; VecEnv >= 5,000 env-steps/s at N = 100 and >= 500 at N = 1,000 (an
env-step is one slot's step: N per VecEnv step).
"""

from autoparticles.bench import benchmark_main
from autoparticles.driving.bench import driving_throughput

if __name__ == "__main__":
    benchmark_main(__doc__, driving_throughput, "driving.csv")
