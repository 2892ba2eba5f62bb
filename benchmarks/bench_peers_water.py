"""Water speed against the peers, same box and machine, in one run.

    pip install -e ".[bench]"     # OpenMM and ASE (optional; missing peers are skipped)
    python benchmarks/bench_peers_water.py [--molecules 64 512] [--steps 2000] [--cp2k-steps 20]
        [--mts 1 4] [--model angular.npz …]

Systems (300 K, 0.5 fs, NVT where the peer offers it):
  autoparticles  the default learned model (conservative, Nosé–Hoover chain), cutoff 6 Å;
                 one row per --mts (1: plain velocity Verlet; k: r-RESPA, the bonds every
                 0.5 fs step and the rest every k steps); --model adds fitted model files
                 (e.g. an angular one), each with every --mts
  OpenMM (CPU)   flexible SPC/Fw (Wu, Tepper & Voth, J. Chem. Phys. 124, 024503, 2006),
                 PME with a 6 Å real-space cutoff, Nosé–Hoover integrator, 1 CPU thread
  ASE            its numpy TIP3P calculator (rc = 6 Å) with RATTLE-fixed bonds, VelocityVerlet
  CP2K           the reference NNP water model (64 H2O only), when cp2k.psmp is installed
Prints steps/s, atom-steps/s and ratios; writes CSV.
"""

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")

SPCFW = {"q_o": -0.82, "q_h": 0.41, "sigma_nm": 0.3165492, "epsilon_kj": 0.650299,
         "r_oh_nm": 0.1012, "k_oh": 443153.38, "theta_deg": 113.24, "k_theta": 317.5656}
"""SPC/Fw parameters (Wu, Tepper & Voth 2006) in OpenMM units (nm, kJ/mol, rad)."""


def water_box(molecules):
    from autoparticles.invariants.space import displacement
    from autoparticles.molecular.box import build_water_box
    from autoparticles.molecular.config import masses

    box = build_water_box(molecules, seed=1)
    # whole molecules (H next to its O, not folded across the box), as bonded codes expect
    x = box.positions.reshape(molecules, 3, 3)
    x[:, 1:] = x[:, :1] + displacement(x[:, :1], x[:, 1:], box.box)
    return box, masses(box.numbers)


def time_steps(step, steps):
    step(20)
    started = time.perf_counter()
    step(steps)
    return steps / (time.perf_counter() - started)


def has_mts() -> bool:
    """Whether the code on the path has multiple time steps (RunSettings.mts); code from
    before it runs with mts 1 (bench_water_engine.py times older commits)."""
    import dataclasses

    from autoparticles.molecular.config import RunSettings

    return "mts" in {f.name for f in dataclasses.fields(RunSettings)}


def learned_simulation(molecules, mts=1, model_path=None):
    """Our engine on `water_box(molecules)` at 300 K: the model file (default: the shipped
    model), Nosé–Hoover, `mts` multiple time steps (given explicitly, as the default is
    automatic; ignored by code without them, see has_mts)."""
    from autoparticles.molecular.agent import load_model
    from autoparticles.molecular.config import RunSettings
    from autoparticles.molecular.world import Simulation, maxwell_boltzmann

    box, masses = water_box(molecules)
    v = maxwell_boltzmann(masses, 300.0, np.random.default_rng(0))
    settings = RunSettings(mts=mts) if has_mts() else RunSettings()
    return Simulation(load_model(model_path), box.positions, v, box.numbers, masses, box.box,
                      settings)


def ours(molecules, steps, mts=1, model_path=None):
    return time_steps(learned_simulation(molecules, mts, model_path).run, mts * (steps // mts))


def openmm_spcfw(molecules, steps):
    import openmm
    from openmm import unit

    box, masses = water_box(molecules)
    p = SPCFW
    system = openmm.System()
    edge = box.box[0] / 10.0
    system.setDefaultPeriodicBoxVectors(openmm.Vec3(edge, 0, 0), openmm.Vec3(0, edge, 0), openmm.Vec3(0, 0, edge))
    bonds, angles = openmm.HarmonicBondForce(), openmm.HarmonicAngleForce()
    nonbonded = openmm.NonbondedForce()
    nonbonded.setNonbondedMethod(openmm.NonbondedForce.PME)
    nonbonded.setCutoffDistance(0.6)
    for m in masses:
        system.addParticle(m)
    for k in range(molecules):
        o, h1, h2 = 3 * k, 3 * k + 1, 3 * k + 2
        nonbonded.addParticle(p["q_o"], p["sigma_nm"], p["epsilon_kj"])
        nonbonded.addParticle(p["q_h"], 1.0, 0.0)
        nonbonded.addParticle(p["q_h"], 1.0, 0.0)
        bonds.addBond(o, h1, p["r_oh_nm"], p["k_oh"])
        bonds.addBond(o, h2, p["r_oh_nm"], p["k_oh"])
        angles.addAngle(h1, o, h2, np.radians(p["theta_deg"]), p["k_theta"])
        for a, b in ((o, h1), (o, h2), (h1, h2)):
            nonbonded.addException(a, b, 0.0, 1.0, 0.0)
    for force in (bonds, angles, nonbonded):
        system.addForce(force)
    integrator = openmm.NoseHooverIntegrator(300 * unit.kelvin, 10 / unit.picosecond, 0.0005 * unit.picoseconds)
    platform = openmm.Platform.getPlatformByName("CPU")
    context = openmm.Context(system, integrator, platform, {"Threads": "1"})
    context.setPositions(box.positions / 10.0)
    context.setVelocitiesToTemperature(300 * unit.kelvin)
    return time_steps(integrator.step, steps)


def ase_tip3p(molecules, steps):
    import ase
    from ase import units
    from ase.calculators.tip3p import TIP3P
    from ase.constraints import FixBondLengths
    from ase.md.verlet import VelocityVerlet

    box, _ = water_box(molecules)
    atoms = ase.Atoms(numbers=box.numbers, positions=box.positions, cell=box.box, pbc=True)
    atoms.calc = TIP3P(rc=6.0)
    atoms.constraints = FixBondLengths([(3 * i + j, 3 * i + (j + 1) % 3)
                                        for i in range(molecules) for j in range(3)])
    dyn = VelocityVerlet(atoms, 0.5 * units.fs)
    return time_steps(dyn.run, steps)


def cp2k(molecules, steps):
    from autoparticles.molecular.io import write_xyz
    from autoparticles.molecular.reference.cp2k_input import Thermostat, find_nnp_member, md_input
    from autoparticles.molecular.reference.cp2k_run import cp2k_executable

    exe = cp2k_executable()
    box, _ = water_box(molecules)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_xyz(folder / "start.xyz", box.numbers, box.positions)

        def run(n):
            text = md_input("bench", "start.xyz", box.box, n, 300.0, 0.5, Thermostat("nose", 100.0), 1000,
                            1, find_nnp_member(1), restart_every=10**6)
            (folder / "bench.inp").write_text(text)
            started = time.perf_counter()
            subprocess.run([exe, "-i", "bench.inp", "-o", "bench.out"], cwd=folder, check=True,
                           env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True)
            return time.perf_counter() - started

        startup = run(1)
        total = run(steps + 1)
        return steps / max(total - startup, 1e-9)


OURS = "autoparticles"
PEERS = {"OpenMM CPU (SPC/Fw)": openmm_spcfw, "ASE (TIP3P)": ase_tip3p, "CP2K (NNP)": cp2k}


def our_variants(model_paths, mts_values) -> dict:
    """{row name: (ratio column, run)} for the shipped model and each model file, each with
    every mts: 'autoparticles' / ours_over_this, 'autoparticles angular, mts 4' /
    angular_mts_4_over_this, …"""
    out = {}
    for path in [None] + list(model_paths):
        for k in mts_values:
            name = OURS + (f" {path.stem}" if path else "") + (f", mts {k}" if k > 1 else "")
            parts = ([path.stem] if path else []) + ([f"mts_{k}"] if k > 1 else [])
            column = "_".join(parts) if parts else "ours"
            out[name] = (f"{column}_over_this", lambda m, n, k=k, path=path: ours(m, n, k, path))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, nargs="+", default=[64, 512])
    parser.add_argument("--steps", type=int, default=2000, help="steps for the fast systems")
    parser.add_argument("--ase-steps", type=int, default=100)
    parser.add_argument("--cp2k-steps", type=int, default=20)
    parser.add_argument("--mts", type=int, nargs="+", default=[1, 4],
                        help="our engine's multiple-time-step factors, one row each")
    parser.add_argument("--model", type=Path, nargs="*", default=[],
                        help="more fitted model files to time beside the shipped one")
    parser.add_argument("--skip", nargs="*", default=[], help="systems to leave out (e.g. ASE)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    rows = []
    variants = our_variants(args.model, args.mts)
    systems = {name: run for name, (_, run) in variants.items()} | PEERS
    for molecules in args.molecules:
        for name, run in systems.items():
            if (name.startswith("CP2K") and molecules != 64) or name.split()[0] in args.skip:
                continue
            steps = {"ASE (TIP3P)": args.ase_steps, "CP2K (NNP)": args.cp2k_steps}.get(name, args.steps)
            try:
                per_s = run(molecules, steps)
            except (ImportError, FileNotFoundError) as error:
                print(f"skipping {name}: {error}")
                continue
            rows.append({"system": name, "molecules": molecules, "steps_per_s": per_s,
                         "atom_steps_per_s": per_s * 3 * molecules})
            print(f"{molecules:4d} H2O {name:22s} {per_s:10.2f} steps/s", flush=True)
    table = pd.DataFrame(rows)
    for name, (column, _) in variants.items():
        rate = table[table.system == name].set_index("molecules").steps_per_s
        table[column] = [rate.get(m, np.nan) / r for m, r in zip(table.molecules, table.steps_per_s)]
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "peers_water.csv", index=False)
    print("\n" + table.to_string(index=False, float_format=lambda v: f"{v:,.3g}"))


if __name__ == "__main__":
    main()
