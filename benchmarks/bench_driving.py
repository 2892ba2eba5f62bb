"""Driving world throughput through DrivingWorld.step and ParticleVecEnv.step (ttc policy).

    python benchmarks/bench_driving.py [--seconds 1.0] [--out benchmarks/results]

N = 1e2..1e5 at the default density (32 per 20 x 20). Targets (one core): world >= 1e6
particle-steps/s; VecEnv >= 5,000 env-steps/s at N = 100 and >= 500 at N = 1,000 (an
env-step is one slot's step: N per VecEnv step).
"""

import argparse
from pathlib import Path

from autoparticles.bench import driving_throughput


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum timing per size")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    table = driving_throughput(min_seconds=args.seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "driving.csv", index=False)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    print(f"\nwrote {args.out / 'driving.csv'}")


if __name__ == "__main__":
    main()
