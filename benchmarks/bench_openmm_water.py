"""The learned water on OpenMM against our own engine: steps/s for growing boxes.

    python benchmarks/bench_openmm_water.py [--molecules 64 512 4096] [--threads 1 2]
        [--forces kernels expressions] [--mts 1 4] [--seconds 20] [--model pair]

Both run the shipped pair model, or --model (conservative, Nosé–Hoover chain, 300 K, 0.5 fs;
the expressions form takes radial models only) from the same
box: the peers' random 64-molecule box, tiled k × k × k for 64·k³ molecules; OpenMM on its
CPU platform with 1 and 2 threads, the model in each of its forms (molecular/openmm_system.py:
our kernels in a PythonForce, or CustomGBForce expressions).
Each size is timed for at least --seconds (and at least 2 steps) after one warm-up step;
OpenMM's System and Context set-up is timed apart. Our engine runs once per --mts (1: plain
velocity Verlet; k: r-RESPA). Prints steps/s, writes CSV and a plot of the cost per step
against the box size (openmm_water.png).
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from bench_peers_water import water_box  # noqa: E402  (same folder: same boxes as the peers)

BASE = 64
"""Molecules of the random box that larger ones tile (random placement is O(N²))."""


def tiled_box(molecules):
    """(WaterBox, masses) of BASE·k³ molecules: the peers' random BASE box repeated k times
    per axis (atoms still ordered O, H, H per molecule)."""
    from autoparticles.molecular.box import WaterBox

    k = round((molecules / BASE) ** (1 / 3))
    if BASE * k**3 != molecules:
        raise SystemExit(f"--molecules must be {BASE}·k³ (64, 512, 4096, 32768, …), got {molecules}")
    box, masses = water_box(BASE)
    shifts = np.stack(np.meshgrid(*[np.arange(k)] * 3, indexing="ij"), -1).reshape(-1, 1, 3)
    positions = (box.positions[None] + shifts * box.box).reshape(-1, 3)
    return (WaterBox(positions, np.tile(box.numbers, k**3), box.box * k),
            np.tile(masses, k**3))


def rate(step, seconds: float) -> float:
    """Steps/s of step(n), timed for at least `seconds` and 2 steps after one warm-up step."""
    step(1)
    done, started = 0, time.perf_counter()
    while done < 2 or time.perf_counter() - started < seconds:
        step(1)
        done += 1
    return done / (time.perf_counter() - started)


def ours(model, molecules, seconds, settings):
    """(steps of dt per second, 0) of our engine (one Simulation.step takes mts of them)."""
    from autoparticles.molecular.world import Simulation, maxwell_boltzmann

    box, masses = tiled_box(molecules)
    v = maxwell_boltzmann(masses, 300.0, np.random.default_rng(0))
    sim = Simulation(model, box.positions, v, box.numbers, masses, box.box, settings)

    def step(n):
        for _ in range(n):
            sim.step()
    return rate(step, seconds) * settings.mts, 0.0


def on_openmm(model, molecules, seconds, settings, threads, forces):
    from autoparticles.molecular import openmm_system as omm
    from autoparticles.molecular.world import maxwell_boltzmann

    box, masses = tiled_box(molecules)
    started = time.perf_counter()
    integrator = omm.integrator(settings, 3 * len(masses) - 3)
    system = omm.model_system(model, box.numbers, masses, box.box, forces)
    context = omm.make_context(system, integrator, "CPU", threads)
    context.setPositions(box.positions / omm.NM)
    v = maxwell_boltzmann(masses, 300.0, np.random.default_rng(0))
    context.setVelocities(v / omm.VELOCITY_TO_A_PER_FS)
    setup = time.perf_counter() - started
    return rate(integrator.step, seconds), setup


def plot_cost(table, path) -> None:
    """Milliseconds per 0.5 fs step against the number of molecules, one line per engine,
    log-log, with the slope of cost ∝ N for reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for name, rows in table.groupby("engine", sort=False):
        ax.loglog(rows.molecules, 1000.0 / rows.steps_per_s, "o-", label=name)
    n = np.array(sorted(table.molecules.unique()), dtype=float)
    fastest = 1000.0 / table[table.molecules == n[0]].steps_per_s.max()
    ax.loglog(n, fastest * n / n[0], "k:", label="∝ N")
    ax.set(xlabel="H₂O molecules", ylabel="ms per 0.5 fs step",
           title="learned water: our engine and OpenMM (CPU)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    from autoparticles.molecular.agent import load_model
    from autoparticles.molecular.config import RunSettings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, nargs="+", default=[64, 512, 4096])
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2],
                        help="OpenMM CPU threads (none: our engine only)")
    parser.add_argument("--forces", nargs="+", default=["kernels", "expressions"],
                        choices=["kernels", "expressions"], help="the model's forms in OpenMM")
    parser.add_argument("--mts", type=int, nargs="+", default=[1, 4],
                        help="our engine's multiple-time-step factors, one row each")
    parser.add_argument("--seconds", type=float, default=20.0, help="least timing per row [s]")
    parser.add_argument("--model", default=None,
                        help="shipped model name or model file (default: the shipped pair model)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    model, settings = load_model(args.model), RunSettings()
    rows = []
    for molecules in args.molecules:
        runs = [("autoparticles" + (f", mts {k}" if k > 1 else ""),
                 lambda k=k: ours(model, molecules, args.seconds, RunSettings(mts=k)))
                for k in args.mts]
        runs += [(f"OpenMM CPU {forces}, {t} thread{'s' * (t > 1)}",
                  lambda t=t, f=forces: on_openmm(model, molecules, args.seconds, settings, t, f))
                 for forces in args.forces for t in args.threads]
        for name, run in runs:
            per_s, setup = run()
            rows.append({"engine": name, "molecules": molecules, "steps_per_s": per_s,
                         "atom_steps_per_s": per_s * 3 * molecules, "setup_s": setup})
            print(f"{molecules:6d} H2O {name:36s} {per_s:10.3g} steps/s (set-up {setup:.1f} s)",
                  flush=True)
    table = pd.DataFrame(rows)
    ours_rate = table[table.engine == "autoparticles"].set_index("molecules").steps_per_s
    table["ours_over_this"] = [ours_rate[m] / r for m, r in zip(table.molecules, table.steps_per_s)]
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "openmm_water.csv", index=False)
    plot_cost(table, args.out / "openmm_water.png")
    print(f"load: {os.getloadavg()[0]:.2f}\n" + table.to_string(index=False, float_format=lambda v: f"{v:,.3g}"))


if __name__ == "__main__":
    main()
