"""Replica ensembles of the learned water: K independent runs, replica k from its own frame
of the reference dataset (spread over its second half) with fresh Maxwell–Boltzmann
velocities of seed `settings.seed + k`; every replica is one task (`tasks`). The validation
table of `validation` gives, per row, the mean ± standard error over replicas and how many
replicas pass; the RDF and MSD plots show the replica mean with a ±1 standard-error band
beside the CP2K reference."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from autoparticles.config import as_dict, claim_folder
from autoparticles.molecular.analysis import PEAK_WINDOWS
from autoparticles.molecular.config import RunSettings
from autoparticles.molecular.validation import (STABILITY_PS, Structure, add_stability_row,
                                                analyse, reference_structure, validation_table)
from autoparticles.molecular.world import Simulation, maxwell_boltzmann, simulate
from autoparticles.stats import mean_error
from autoparticles.tasks import Task, failures, run_tasks


def replica_frames(n_frames: int, replicas: int) -> list[int]:
    """Start frames of the replicas, evenly spread from 50 % of the dataset to its end."""
    return [int(n_frames * (0.5 + 0.5 * k / replicas)) for k in range(replicas)]


def replica_start(data, frame: int, settings: RunSettings) -> dict:
    """The start of a replica: the frame's positions (N, 3) [Å] with Maxwell–Boltzmann
    velocities (N, 3) [Å/fs] at settings.temperature from settings.seed; numbers (N,),
    masses (N,) [u], box (3,) [Å]."""
    velocities = maxwell_boltzmann(data.masses, settings.temperature,
                                   np.random.default_rng(settings.seed))
    return {"positions": data.positions[frame], "velocities": velocities,
            "numbers": data.numbers, "masses": data.masses, "box": data.box}


def run_replica(folder, model, start: dict, settings: RunSettings, ref: Structure) -> dict:
    """One task: `settings.ps` of learned simulation from `start` (see replica_start),
    compared with the reference structure `ref`. Returns {"status", "steps_per_second",
    "table": the validation table's columns, "r": (B,) [Å], "rdf": {pair: g (B,)},
    "lag_fs": (L,), "msd": (L,) [Å²]}."""
    traj = simulate(Simulation(model, settings=settings, **start), progress=False)
    learned = analyse(traj.positions, traj.times, traj.temperatures, start["numbers"],
                      start["box"])
    table = validation_table(ref, learned, len(start["numbers"]), settings.temperature)
    simulated_ps = (traj.times[-1] - traj.times[0]) / 1000.0 if len(traj.times) > 1 else 0.0
    if settings.ps >= STABILITY_PS or traj.status != "ok":
        table = add_stability_row(table, simulated_ps, STABILITY_PS, traj.status)
    first = next(iter(learned.rdfs.values()))
    return {"status": traj.status, "steps_per_second": traj.steps_per_second,
            "table": table.to_dict(orient="list"), "r": first.r,
            "rdf": {name: curve.g for name, curve in learned.rdfs.items()},
            "lag_fs": learned.msd[0], "msd": learned.msd[1]}


def run_ensemble(out, model, data, settings: RunSettings, replicas: int, names: dict,
                 progress: bool = True, backend: str = "local", address: str | None = None,
                 workers: int | None = None) -> dict:
    """Run `replicas` replicas into out/replicaK (re-running resumes) and write ensemble.md,
    .csv, .json and ensemble.png (RDFs and MSD with bands); `names`: how the model and data were given (kept in
    each task's spec). Returns {"table": DataFrame, "markdown": report text}."""
    out = claim_folder(out, {"settings": settings})
    ref = reference_structure(data)
    tasks = []
    for k, frame in enumerate(replica_frames(data.n_frames, replicas)):
        own = settings.replace(seed=settings.seed + k)
        tasks.append(Task(f"replica {k}", out / f"replica{k}", run_replica,
                          {"model": model, "start": replica_start(data, frame, own),
                           "settings": own, "ref": ref},
                          {**names, "mode": model.mode, "frame": frame, **as_dict(own)}))
    outcomes = run_tasks(tasks, backend, address, workers, progress)
    if error := failures(outcomes, out):
        raise error
    results = [o.result for o in outcomes]
    table = ensemble_table([pd.DataFrame(r["table"]) for r in results])
    statuses = sorted({r["status"] for r in results})
    text = (f"# Ensemble: learned water vs CP2K reference\n\n{replicas} replica(s) of "
            f"{settings.ps:g} ps ({model.mode} mode, {settings.thermostat}, dt {settings.dt} fs), "
            f"frames {', '.join(str(t.spec['frame']) for t in tasks)} of the reference, velocity "
            f"seeds {settings.seed}–{settings.seed + replicas - 1}; status: "
            f"{'; '.join(statuses)}.\n\n{ensemble_markdown(table)}\n\n"
            "![RDFs and MSD](ensemble.png)\n")
    table.to_csv(out / "ensemble.csv", index=False)
    (out / "ensemble.json").write_text(json.dumps(table.to_dict(orient="records")))
    (out / "ensemble.md").write_text(text)
    plot_bands(ref, results, out / "ensemble.png")
    return {"table": table, "markdown": text}


def ensemble_table(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows: property, unit, reference, learned (mean over replicas), error (its standard
    error), tolerance, passing (replicas whose row passes), replicas (that have the row)."""
    rows = []
    for name, group in pd.concat(tables, ignore_index=True).groupby("property", sort=False):
        mean, error = mean_error(group.learned)
        rows.append({"property": name, "unit": group.unit.iloc[0],
                     "reference": group.reference.iloc[0], "learned": mean, "error": error,
                     "tolerance": group.tolerance.iloc[0], "passing": int(group.passed.sum()),
                     "replicas": len(group)})
    return pd.DataFrame(rows)


def ensemble_markdown(table: pd.DataFrame) -> str:
    lines = ["| property | unit | reference | learned (mean ± s.e.) | tolerance | replicas passing |",
             "|---|---|---|---|---|---|"]
    for r in table.itertuples():
        learned = f"{r.learned:.4g}" + ("" if np.isnan(r.error) else f" ± {r.error:.2g}")
        lines.append(f"| {r.property} | {r.unit} | {r.reference:.4g} | {learned} | "
                     f"{r.tolerance} | {r.passing}/{r.replicas} |")
    return "\n".join(lines)


def _band(ax, x, curves, label) -> None:
    """Mean of `curves` (R, X) against x with a ±1 standard-error band."""
    curves = np.asarray(curves)
    mean = curves.mean(axis=0)
    error = curves.std(axis=0, ddof=1) / np.sqrt(len(curves)) if len(curves) > 1 else 0 * mean
    line, = ax.plot(x, mean, "--", label=f"{label} (mean of {len(curves)}, band ±1 s.e.)")
    ax.fill_between(x, mean - error, mean + error, color=line.get_color(), alpha=0.3)


def plot_bands(ref: Structure, results: list[dict], path: Path) -> None:
    """g_OO, g_OH, g_HH and the O MSD in one figure: the reference, and the replica mean with
    a ±1 standard-error band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PEAK_WINDOWS) + 1, figsize=(17, 3.8))
    for ax, name in zip(axes, PEAK_WINDOWS):
        ax.plot(ref.rdfs[name].r, ref.rdfs[name].g, label="CP2K reference")
        _band(ax, results[0]["r"], [r["rdf"][name] for r in results], "learned")
        ax.set_title(name + (" (intermolecular)" if PEAK_WINDOWS[name][2] else ""))
        ax.set(xlabel="r [Å]", ylabel="g(r)", xlim=(0.5, None))
    length = min(len(r["msd"]) for r in results)
    msd_ax = axes[-1]
    msd_ax.plot(ref.msd[0] / 1000, ref.msd[1], label="CP2K reference")
    _band(msd_ax, np.asarray(results[0]["lag_fs"][:length]) / 1000,
          [r["msd"][:length] for r in results], "learned")
    msd_ax.set(title="mean squared displacement", xlabel="lag [ps]", ylabel="MSD of O [Å²]")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_summary(table: pd.DataFrame) -> str:
    """The table and how many rows pass in every replica."""
    everywhere = int((table.passing == table.replicas).sum())
    return (ensemble_markdown(table) + f"\n\n{everywhere}/{len(table)} rows pass in every "
            "replica")
