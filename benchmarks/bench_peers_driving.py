"""Driving speed against the peers a user would pick instead, in one run on one machine.

    pip install -e ".[bench]"      # MPE2 and VMAS (optional; missing peers are skipped)
    python benchmarks/bench_peers_driving.py [--sizes 10 100 1000] [--seconds 2] [--rounds 2]

Times steps with random actions for N agents per world in the same process, alternating the
systems round by round: our DrivingWorld (numba cell list, default density, invariant
observations), MPE2 `simple_spread_v3` (PettingZoo, N agents, continuous actions) and VMAS
`simple_spread` (torch on the CPU, one environment, N agents). Prints particle-steps/s and
ratios, writes CSV and a log-log plot of cost per particle-step against N.
"""

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")


def ours(n, seed=0):
    from autoparticles.driving.config import DrivingConfig

    config = DrivingConfig(n_particles=n, box=float(max(np.sqrt(n / (32 / 400)), 10.5)))
    world = config.make_world(seed)
    rng = np.random.default_rng(seed)
    return lambda: world.step(rng.uniform(-1, 1, (n, 2)))


def mpe2(n, seed=0):
    from mpe2 import simple_spread_v3

    env = simple_spread_v3.parallel_env(N=n, max_cycles=10**9, continuous_actions=True)
    env.reset(seed=seed)
    spaces = {a: env.action_space(a) for a in env.agents}
    return lambda: env.step({a: s.sample() for a, s in spaces.items()})


def vmas_env(n, seed=0):
    import torch
    import vmas

    torch.set_num_threads(1)
    env = vmas.make_env("simple_spread", num_envs=1, device="cpu", continuous_actions=True,
                        seed=seed, n_agents=n)
    env.reset()

    def step():
        env.step([torch.rand(1, 2) * 2 - 1 for _ in range(n)])
    return step


SYSTEMS = {"autoparticles": ours, "MPE2": mpe2, "VMAS": vmas_env}


def rate(step, n, seconds):
    from autoparticles.bench import time_calls

    step()
    steps, elapsed = time_calls(step, seconds, min_calls=1)
    return n * steps / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        makers = {}
        for name, make in SYSTEMS.items():
            try:
                makers[name] = make(n)
            except ImportError as error:
                print(f"skipping {name}: {error} (pip install -e '.[bench]')")
        for round_ in range(args.rounds):  # alternate the systems
            for name, step in makers.items():
                rows.append({"system": name, "N": n, "round": round_,
                             "particle_steps_per_s": rate(step, n, args.seconds)})
                print(f"N={n:5d} {name:14s} {rows[-1]['particle_steps_per_s']:12,.0f} particle-steps/s", flush=True)
    table = pd.DataFrame(rows).groupby(["system", "N"], as_index=False).particle_steps_per_s.max()
    table["us_per_particle_step"] = 1e6 / table.particle_steps_per_s
    wide = table.pivot(index="N", columns="system", values="particle_steps_per_s")
    for peer in ("MPE2", "VMAS"):
        if peer in wide:
            wide[f"ours/{peer}"] = wide["autoparticles"] / wide[peer]
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "peers_driving.csv", index=False)
    print("\n" + wide.to_string(float_format=lambda v: f"{v:,.1f}"))
    plot(table, args.out / "peers_driving.png")


def plot(table, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, group in table.groupby("system"):
        ax.loglog(group.N, group.us_per_particle_step, "o-", label=name)
    ax.set_xlabel("agents per world N")
    ax.set_ylabel("cost per particle-step [µs]")
    ax.set_title("Random-action stepping, one CPU core")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
