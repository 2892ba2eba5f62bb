"""Learned simulation vs the CP2K reference: the validation table of specs/water.md, its
report files and plots."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from autoparticles.molecular.analysis import (
    FIT_WINDOW_FS,
    PEAK_WINDOWS,
    bond_lengths_and_angles,
    diffusion_coefficient,
    mean_squared_displacement,
    rdf,
)
from autoparticles.molecular.config import RunSettings
from autoparticles.molecular.reference.dataset import ReferenceData
from autoparticles.molecular.world import Simulation, simulate, start_simulation, temperature

STABILITY_PS = 100.0
"""The spec's stability requirement."""
PEAK_HEIGHT_TOLERANCE = 0.10
"""Relative tolerance of every first RDF peak height (the spec's g_OH and g_HH ±15 %,
tightened to g_OO's ±10 %)."""
DIFFUSION_TOLERANCE = 0.20
"""Relative tolerance of D (the spec's ±30 %, tightened)."""
KNOWN_LIMITATION = (
    "What is known: the shipped default model's first RDF peaks were refined against the "
    "shipped 300 K reference (`water refine`), so against it those rows check the refinement "
    "and D, T, σ_T and the bonds are the independent rows; fitted models not refined come out "
    "over-structured (first peaks 5-12 % high, g_OH(inter) the most; README); single runs, the "
    "more so below 20 ps, scatter in the peak heights, temperature, σ_T and diffusion rows (the "
    "mean of 1 ps of temperature scatters by about 5 K). `water ensemble` gives means with "
    "their errors.")


@dataclass(frozen=True)
class Structure:
    """Everything the table compares, for one trajectory."""

    rdfs: dict
    peaks: dict
    lengths: np.ndarray
    angles: np.ndarray
    temperatures: np.ndarray
    diffusion: float
    msd: tuple


def analyse(positions, times, temperatures, numbers, box, max_frames: int = 400) -> Structure:
    """Structure of a trajectory: positions (F, N, 3) unwrapped [Å], times (F,) [fs]."""
    every = max(1, len(positions) // max_frames)
    sample = positions[::every]
    rdfs = {name: rdf(sample, numbers, box, a, b, inter) for name, (a, b, inter, _) in PEAK_WINDOWS.items()}
    peaks = {name: rdfs[name].first_maximum(*PEAK_WINDOWS[name][3]) for name in PEAK_WINDOWS}
    lengths, angles = bond_lengths_and_angles(sample, numbers, box)
    oxygens = np.nonzero(numbers == 8)[0]
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    diffusion = (diffusion_coefficient(positions, times, oxygens)
                 if span >= 1.2 * FIT_WINDOW_FS[1] else float("nan"))  # NaN: run too short
    return Structure(rdfs, peaks, lengths, angles, np.asarray(temperatures), diffusion,
                     mean_squared_displacement(positions, times, oxygens, 3000.0))


def reference_structure(data) -> Structure:
    return analyse(data.positions, data.times, temperature(data.velocities, data.masses),
                   data.numbers, data.box)


def validation_table(ref: Structure, learned: Structure, n_atoms: int,
                     temperature_k: float) -> pd.DataFrame:
    """Rows: property, reference, learned, tolerance, passed (specs/water.md's tolerances,
    the peak heights and D tightened as above)."""
    rows = []

    def add(name, r, l, tol, relative=False, unit=""):
        limit = tol * abs(r) if relative else tol
        rows.append({"property": name, "unit": unit, "reference": r, "learned": l,
                     "tolerance": f"±{tol:.0%}" if relative else f"±{tol:g}",
                     "passed": bool(abs(l - r) <= limit)})

    for name, pos_tol in (("g_OO", 0.03), ("g_OH", 0.05), ("g_HH", 0.05)):
        label = name if name == "g_OO" else f"{name} (intermolecular)"
        add(f"{label} 1st max position", ref.peaks[name][0], learned.peaks[name][0], pos_tol, unit="Å")
        add(f"{label} 1st max height", ref.peaks[name][1], learned.peaks[name][1],
            PEAK_HEIGHT_TOLERANCE, True)
    add("mean O–H distance", ref.lengths.mean(), learned.lengths.mean(), 0.01, unit="Å")
    add("mean H–O–H angle", ref.angles.mean(), learned.angles.mean(), 1.5, unit="°")
    # both temperature rows compare with the canonical values at the target temperature: the
    # reference's own mean over a few ps carries a statistical error of a few K
    add("mean temperature (target)", temperature_k, learned.temperatures.mean(), 2.0, unit="K")
    canonical = temperature_k * np.sqrt(2.0 / (3 * n_atoms))
    rows.append({"property": "temperature spread σ_T", "unit": "K", "reference": canonical,
                 "learned": learned.temperatures.std(), "tolerance": "±20%",
                 "passed": bool(abs(learned.temperatures.std() - canonical) <= 0.2 * canonical)})
    add("self-diffusion D (O)", ref.diffusion * 1e5, learned.diffusion * 1e5, DIFFUSION_TOLERANCE,
        True, "1e-5 cm²/s")
    return pd.DataFrame(rows)


def add_stability_row(table: pd.DataFrame, simulated_ps: float, required_ps: float, status: str):
    row = {"property": "stability (simulated without blow-up)", "unit": "ps",
           "reference": required_ps, "learned": simulated_ps, "tolerance": f">= {required_ps:g}",
           "passed": status == "ok" and simulated_ps >= required_ps - 1e-9}
    return pd.concat([table, pd.DataFrame([row])], ignore_index=True)


def table_markdown(table: pd.DataFrame) -> str:
    lines = ["| property | unit | reference | learned | tolerance | pass |", "|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.property} | {r.unit} | {r.reference:.4g} | {r.learned:.4g} | "
                     f"{r.tolerance} | {'yes' if r.passed else 'NO'} |")
    return "\n".join(lines)


def write_report(table: pd.DataFrame, ref: Structure, learned: Structure, out, header: str) -> None:
    """validation.md, validation.csv, validation.json and PNG plots in `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "validation.csv", index=False)
    (out / "validation.json").write_text(table_json(table))
    (out / "validation.md").write_text(f"{header}\n\n{table_markdown(table)}\n\n"
                                       "![RDFs](rdf.png)\n![bonds](bonds.png)\n![MSD](msd.png)\n")
    plot_structure(ref, learned, out)


def table_json(table: pd.DataFrame) -> str:
    return json.dumps(table.to_dict(orient="records"))


def plot_structure(ref: Structure, learned: Structure, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, name in zip(axes, PEAK_WINDOWS):
        for label, s, style in (("CP2K reference", ref, "-"), ("learned", learned, "--")):
            ax.plot(s.rdfs[name].r, s.rdfs[name].g, style, label=label)
        ax.set_title(name + (" (intermolecular)" if PEAK_WINDOWS[name][2] else ""))
        ax.set_xlabel("r [Å]")
        ax.set_xlim(0.5, None)
    axes[0].set_ylabel("g(r)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out / "rdf.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for label, s in (("CP2K reference", ref), ("learned", learned)):
        axes[0].hist(s.lengths, bins=80, range=(0.85, 1.15), density=True, histtype="step", label=label)
        axes[1].hist(s.angles, bins=80, range=(85, 125), density=True, histtype="step", label=label)
    axes[0].set_xlabel("O–H distance [Å]")
    axes[1].set_xlabel("H–O–H angle [°]")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out / "bonds.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, s in (("CP2K reference", ref), ("learned", learned)):
        ax.plot(s.msd[0] / 1000, s.msd[1], label=f"{label}: D = {s.diffusion * 1e5:.2f}e-5 cm²/s")
    ax.set_xlabel("lag [ps]")
    ax.set_ylabel("MSD of O [Å²]")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "msd.png", dpi=110)
    plt.close(fig)


def validate_model(model, data: ReferenceData, settings: RunSettings, out=None,
                   progress: bool = True, trajectory_path=None, log_path=None,
                   simulation=Simulation):
    """Run the learned simulation from a reference frame and compare; returns
    (table, trajectory). Writes the report into `out` when given. `simulation`: the class
    (or factory) that runs it (world.start_from_reference)."""
    sim = start_simulation(model, data, settings, simulation=simulation)
    traj = simulate(sim, trajectory_path=trajectory_path,
                    log_path=log_path, progress=progress)
    ref = reference_structure(data)
    simulated_ps = (traj.times[-1] - traj.times[0]) / 1000.0 if len(traj.times) > 1 else 0.0
    learned = analyse(traj.positions, traj.times, traj.temperatures, data.numbers, data.box)
    table = validation_table(ref, learned, len(data.numbers), settings.temperature)
    if settings.ps >= STABILITY_PS or traj.status != "ok":
        table = add_stability_row(table, simulated_ps, STABILITY_PS, traj.status)
    if out is not None:
        header = (f"# Validation: learned water vs CP2K reference\n\n"
                  f"{simulated_ps:.1f} ps of learned simulation ({sim.engine}, "
                  f"{model.mode} mode, "
                  f"{settings.thermostat}, dt {settings.dt} fs, {traj.steps_per_second:.0f} steps/s); "
                  f"status: {traj.status}.")
        write_report(table, ref, learned, Path(out), header)
    return table, traj


def print_table(table) -> str:
    """The table in markdown, the count of passing rows and, when rows fail, which ones, by how
    much, and why."""
    passed = int(table.passed.sum())
    text = table_markdown(table) + f"\n\n{passed}/{len(table)} rows pass"
    failed = table[~table.passed]
    if len(failed):
        text += "; failing: " + "; ".join(
            f"{r.property} {r.learned:.4g} vs {r.reference:.4g} {r.unit}".rstrip()
            for r in failed.itertuples()) + ".\n" + KNOWN_LIMITATION
    return text
