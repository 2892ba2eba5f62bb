"""How we know the water is right: structural and thermal observables of trajectories, the
self-diffusion coefficient, the dataset summary of `water describe` and the force errors of
a fit (numpy, outside any step loop).

Molecules are not stored anywhere: each H belongs to its nearest O in the frame at hand.
"""

from dataclasses import dataclass

import numpy as np

from autoparticles.invariants.space import displacement
from autoparticles.molecular.agent import WaterModel, invariant_names
from autoparticles.molecular.config import SPECIES_NAMES, FitSettings, species_indices
from autoparticles.molecular.learn import fit_model, split_frames, target_forces
from autoparticles.molecular.reference.dataset import ReferenceData
from autoparticles.molecular.world import temperature

PEAK_WINDOWS = {"g_OO": (8, 8, False, (2.3, 3.3)), "g_OH": (8, 1, True, (1.5, 2.4)),
                "g_HH": (1, 1, True, (2.0, 3.0))}
"""Pair, intermolecular flag and search window [Å] of each first maximum."""
ANGSTROM2_PER_FS_TO_CM2_PER_S = 0.1
"""1 Å²/fs = 1e-16 cm² / 1e-15 s."""
FIT_WINDOW_FS = (1000.0, 2500.0)
"""Lag times over which the MSD slope is fitted [fs]."""


# ------------------------------------------------------------------ structure
def owner_oxygen(positions: np.ndarray, numbers: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(F, N_H) index (into all atoms) of each hydrogen's nearest oxygen, per frame."""
    o, h = np.nonzero(numbers == 8)[0], np.nonzero(numbers == 1)[0]
    delta = displacement(positions[:, o][:, None, :, :], positions[:, h][:, :, None, :], box)
    return o[np.argmin(np.einsum("fhod,fhod->fho", delta, delta), axis=2)]


def bond_lengths_and_angles(positions, numbers, box) -> tuple[np.ndarray, np.ndarray]:
    """Intramolecular O–H distances [Å] (all H) and H–O–H angles [degrees] (oxygens that own
    exactly two hydrogens), pooled over frames. positions: (F, N, 3) [Å]."""
    positions = np.asarray(positions)
    h = np.nonzero(numbers == 1)[0]
    owner = owner_oxygen(positions, numbers, box)
    frames = np.arange(len(positions))[:, None]
    bond = displacement(positions[frames, owner, :], positions[:, h, :], box)
    lengths = np.linalg.norm(bond, axis=2)
    angles = []
    for f in range(len(positions)):
        order = np.argsort(owner[f], kind="stable")
        owners, counts = np.unique(owner[f], return_counts=True)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pairs = order[starts[counts == 2, None] + np.array([0, 1])]
        a, b = bond[f, pairs[:, 0]], bond[f, pairs[:, 1]]
        cosine = np.einsum("md,md->m", a, b) / (lengths[f, pairs[:, 0]] * lengths[f, pairs[:, 1]])
        angles.append(np.degrees(np.arccos(np.clip(cosine, -1, 1))))
    return lengths.ravel(), np.concatenate(angles)


@dataclass(frozen=True)
class RDF:
    """r: (B,) bin centres [Å]; g: (B,) pair distribution."""

    r: np.ndarray
    g: np.ndarray

    def first_maximum(self, low: float, high: float) -> tuple[float, float]:
        """(position [Å], height) of the highest point in [low, high], refined by a
        least-squares parabola through the 5 bins around it."""
        inside = np.nonzero((self.r >= low) & (self.r <= high))[0]
        top = inside[np.argmax(self.g[inside])]
        window = np.arange(max(top - 2, 0), min(top + 3, len(self.r)))
        a, b, c = np.polyfit(self.r[window], self.g[window], 2)
        if a >= 0:
            return float(self.r[top]), float(self.g[top])
        peak = float(np.clip(-b / (2 * a), self.r[window[0]], self.r[window[-1]]))
        return peak, float(np.polyval([a, b, c], peak))


def rdf(positions, numbers, box, first: int, second: int, intermolecular: bool = False,
        r_max: float | None = None, bin_width: float = 0.02) -> RDF:
    """g_AB(r) between atomic numbers `first` and `second` (minimum image, up to L/2);
    intermolecular=True drops pairs of the same molecule (H assigned to its nearest O)."""
    positions = np.asarray(positions)
    r_max = 0.5 * float(np.min(box)) if r_max is None else r_max
    a, b = np.nonzero(numbers == first)[0], np.nonzero(numbers == second)[0]
    edges = np.arange(0.0, r_max + bin_width, bin_width)
    counts = np.zeros(len(edges) - 1)
    molecule = np.broadcast_to(np.arange(len(numbers)), positions.shape[:2]).copy()
    if intermolecular:
        molecule[:, numbers == 1] = owner_oxygen(positions, numbers, box)
    for f in range(len(positions)):
        delta = displacement(positions[f][b][None, :, :], positions[f][a][:, None, :], box)
        dist = np.linalg.norm(delta, axis=2)
        mask = a[:, None] != b[None, :]
        if intermolecular:
            mask &= molecule[f, a][:, None] != molecule[f, b][None, :]
        counts += np.histogram(dist[mask], bins=edges)[0]
    volume = float(np.prod(box))
    pairs = len(a) * len(b) - (len(a) if first == second else 0)
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    g = counts / (len(positions) * pairs / volume * shell)
    return RDF(0.5 * (edges[1:] + edges[:-1]), g)


# ------------------------------------------------------------------ diffusion
def mean_squared_displacement(positions: np.ndarray, times: np.ndarray, atoms: np.ndarray,
                              max_lag_fs: float) -> tuple[np.ndarray, np.ndarray]:
    """(lags [fs], MSD [Å²]) of the selected atoms, averaged over all time origins, after
    removing the drift of the whole system's centre. positions: (F, N, 3) unwrapped [Å]."""
    dt = float(np.median(np.diff(times)))
    x = positions[:, atoms] - positions.mean(axis=1, keepdims=True)
    lags = np.arange(1, min(len(times) - 1, int(max_lag_fs / dt)) + 1)
    msd = np.array([np.mean(np.sum((x[lag:] - x[:-lag]) ** 2, axis=2)) for lag in lags])
    return lags * dt, msd


def diffusion_coefficient(positions, times, atoms, window=FIT_WINDOW_FS) -> float:
    """D [cm²/s] from a straight-line fit of MSD(t) = 6 D t + c over `window` [fs]."""
    lags, msd = mean_squared_displacement(positions, times, atoms, window[1])
    inside = (lags >= window[0]) & (lags <= window[1])
    if inside.sum() < 2:
        raise ValueError(f"trajectory too short for the MSD fit window {window} fs")
    slope = np.polyfit(lags[inside], msd[inside], 1)[0]
    return slope / 6.0 * ANGSTROM2_PER_FS_TO_CM2_PER_S


# ------------------------------------------------------------------ a dataset, a fit
def summary(data: ReferenceData) -> dict:
    """Numbers of the summary (frames, time span, temperature, geometry, g_OO per half)."""
    every = max(1, data.n_frames // 500)
    sample = data.positions[::every]
    lengths, angles = bond_lengths_and_angles(sample, data.numbers, data.box)
    out = {
        "frames": data.n_frames,
        "atoms": len(data.numbers),
        "time_span_ps": float(data.times[-1] - data.times[0]) / 1000.0,
        "mean_oh_angstrom": float(lengths.mean()),
        "mean_hoh_degrees": float(angles.mean()),
        "box_angstrom": data.box.tolist(),
    }
    if data.velocities is not None:
        temps = temperature(data.velocities, data.masses)
        out["temperature_mean_k"] = float(temps.mean())
        out["temperature_std_k"] = float(temps.std())
    half = data.n_frames // 2
    for label, part in (("all", data.positions), ("first_half", data.positions[:half]),
                        ("second_half", data.positions[half:])):
        peak = rdf(part[::every], data.numbers, data.box, 8, 8).first_maximum(*PEAK_WINDOWS["g_OO"][3])
        out[f"goo_peak_{label}"] = {"position_angstrom": peak[0], "height": peak[1]}
    return out


def describe_text(data: ReferenceData) -> str:
    s = summary(data)
    meta = data.metadata
    lines = [
        f"frames          {s['frames']} ({s['atoms']} atoms), {s['time_span_ps']:.3f} ps"
        f" every {meta.get('stride', '?')} steps of {meta.get('timestep_fs', '?')} fs",
        f"box             {' x '.join(f'{x:.3f}' for x in s['box_angstrom'])} Å",
        f"model           {meta.get('model', '?')} ({meta.get('cp2k_version', '?')})",
    ]
    if "temperature_mean_k" in s:
        lines.append(f"temperature     {s['temperature_mean_k']:.1f} ± {s['temperature_std_k']:.1f} K"
                     f" (target {meta.get('temperature_k', '?')} K)")
    lines += [
        f"mean O–H        {s['mean_oh_angstrom']:.4f} Å",
        f"mean H–O–H      {s['mean_hoh_degrees']:.2f}°",
    ]
    for label in ("all", "first_half", "second_half"):
        peak = s[f"goo_peak_{label}"]
        lines.append(f"g_OO 1st max    {peak['position_angstrom']:.3f} Å, height "
                     f"{peak['height']:.2f}  ({label.replace('_', ' ')})")
    return "\n".join(lines)


def force_errors(model: WaterModel, data: ReferenceData, frames: np.ndarray,
                 targets: np.ndarray) -> dict:
    """Per species: RMSE and MAE [eV/Å], relative RMSE ‖F - F̂‖/‖F‖, R² over `frames`."""
    species = species_indices(data.numbers)
    nlist = model.new_neighbour_list(data.box)
    predicted = np.stack([model.evaluate(data.positions[k], species, nlist)[1] for k in frames])
    reference = targets[frames]
    out = {}
    for s, name in enumerate(SPECIES_NAMES):
        err = (predicted[:, species == s] - reference[:, species == s]).ravel()
        ref = reference[:, species == s].ravel()
        out[name] = {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err))),
                     "rel_rmse": float(np.linalg.norm(err) / np.linalg.norm(ref)),
                     "r2": float(1 - np.sum(err**2) / np.sum((ref - ref.mean()) ** 2))}
    return out


def sensitivities(model: WaterModel, data: ReferenceData, frames: np.ndarray) -> dict:
    """Per species, invariants ranked by ⟨|∂H/∂φ_a|⟩·σ(φ_a): the loss change [eV] per
    standard deviation of each invariant."""
    species = species_indices(data.numbers)
    nlist = model.new_neighbour_list(data.box)
    phi = np.concatenate([model.evaluate(data.positions[k], species, nlist)[2] for k in frames])
    every = np.tile(species, len(frames))
    names = invariant_names(model.basis, model.angular)
    out = {}
    for s, name in enumerate(SPECIES_NAMES):
        rows = phi[every == s]
        score = np.abs(model.species_losses[s].gradient(rows)).mean(axis=0) * rows.std(axis=0)
        order = np.argsort(score)[::-1]
        out[name] = [(names[a], float(score[a])) for a in order]
    return out


def split_errors(model: WaterModel, data: ReferenceData, parts=("test",),
                 from_positions: bool = False) -> dict:
    """{species: {part: force_errors}} on every 4th frame of each time block of the fit's
    split (learn.SPLIT)."""
    frames = split_frames(data.n_frames)
    targets = target_forces(data, from_positions)
    errors = {part: force_errors(model, data, frames[part][::4], targets) for part in parts}
    return {name: {part: errors[part][name] for part in parts} for name in SPECIES_NAMES}


def format_test_errors(errors: dict) -> str:
    """A table of the test frames' relative force RMSE per species; errors: {model name:
    split_errors(...)}."""
    width = max(map(len, errors)) + 2
    lines = [f"relative force RMSE on the test frames\n{'model':{width}s}{'O':>8s}{'H':>8s}"]
    lines += [f"{name:{width}s}{e['O']['test']['rel_rmse']:8.3f}{e['H']['test']['rel_rmse']:8.3f}"
              for name, e in errors.items()]
    return "\n".join(lines)


def fit_report(data: ReferenceData, settings: FitSettings, progress: bool = True):
    """Fit and measure: returns (model, report) with per-species train/test errors and the
    invariants ranked by sensitivity."""
    model, info = fit_model(data, settings, progress)
    report = split_errors(model, data, ("train", "test"), settings.from_positions)
    test = split_frames(data.n_frames)["test"]
    return model, {"errors": report, "ridge": info["ridge"], "frames": info["frames"],
                   "sensitivity": sensitivities(model, data, test[::10])}


def format_fit_report(report: dict, top: int = 6) -> str:
    lines = [f"ridge λ = {report['ridge']:.0e}; frames train/validation/test = "
             f"{report['frames']['train']}/{report['frames']['validation']}/{report['frames']['test']}",
             "", f"{'species':8s}{'part':7s}{'RMSE':>9s}{'MAE':>9s}{'rel RMSE':>10s}{'R²':>8s}   [eV/Å]"]
    for name, parts in report["errors"].items():
        for part, e in parts.items():
            lines.append(f"{name:8s}{part:7s}{e['rmse']:9.4f}{e['mae']:9.4f}{e['rel_rmse']:10.3f}{e['r2']:8.3f}")
    for name, ranked in report["sensitivity"].items():
        lines.append(f"\nmost sensitive invariants of {name} (loss change per σ, eV):")
        lines += [f"  {label:18s}{score:9.4f}" for label, score in ranked[:top]]
    return "\n".join(lines)
