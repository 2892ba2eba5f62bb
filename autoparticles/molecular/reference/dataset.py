"""The reference dataset: CP2K water trajectories as numpy arrays in the package's units.

Stored as one compressed `.npz`: positions [Å], forces [eV/Å] and velocities [Å/fs] per frame
(float32), atomic numbers, masses [u], box [Å], times [fs] and a JSON metadata record (time
step, stride, temperature, seed, CP2K version, model name).
"""

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from autoparticles.molecular.config import symbols
from autoparticles.molecular.io import as_atoms, atomic_savez, read_npz

FORMAT_VERSION = 1
SHIPPED = "water_reference.npz"


@dataclass(frozen=True)
class ReferenceData:
    """positions, forces, velocities: (frames, atoms, 3) float64 [Å, eV/Å, Å/fs];
    numbers, masses: (atoms,) [atomic number, u]; box: (3,) [Å]; times: (frames,) [fs]."""

    positions: np.ndarray
    forces: np.ndarray | None
    velocities: np.ndarray | None
    numbers: np.ndarray
    masses: np.ndarray
    box: np.ndarray
    times: np.ndarray
    metadata: dict = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return self.positions.shape[0]

    @property
    def symbols(self) -> list[str]:
        return symbols(self.numbers)

    def to_dataframe(self):
        """Long-form pandas table: one row per (frame, atom)."""
        import pandas as pd

        frames, atoms = self.positions.shape[:2]
        table = {
            "frame": np.repeat(np.arange(frames), atoms),
            "time_fs": np.repeat(self.times, atoms),
            "atom": np.tile(np.arange(atoms), frames),
            "symbol": np.tile(np.array(self.symbols), frames),
        }
        for prefix, arr in (("", self.positions), ("f", self.forces), ("v", self.velocities)):
            if arr is not None:
                for axis, name in enumerate("xyz"):
                    table[f"{prefix}{name}"] = arr[:, :, axis].ravel()
        return pd.DataFrame(table)

    def to_ase(self):
        """List of `ase.Atoms` (periodic cell, velocities, forces on a SinglePointCalculator)."""
        from ase.calculators.singlepoint import SinglePointCalculator

        images = []
        for k in range(self.n_frames):
            atoms = as_atoms(self.numbers, self.positions[k], self.box,
                             None if self.velocities is None else self.velocities[k],
                             atom_masses=self.masses)
            if self.forces is not None:
                atoms.calc = SinglePointCalculator(atoms, forces=self.forces[k])
            images.append(atoms)
        return images


def save_reference(data: ReferenceData, path) -> Path:
    """Write the dataset atomically."""
    arrays = {"positions": data.positions.astype(np.float32), "numbers": data.numbers,
              "masses": data.masses, "box": data.box, "times": data.times,
              "metadata": np.array(json.dumps({**data.metadata, "format": FORMAT_VERSION}))}
    for name in ("forces", "velocities"):
        if getattr(data, name) is not None:
            arrays[name] = getattr(data, name).astype(np.float32)
    return atomic_savez(Path(path), arrays)


SHIPPED_AT = {"300K": SHIPPED, "330K": "water_reference_330K.npz"}
"""Names of the shipped datasets (`--data 330K`): the default one at 300 K, and a second,
independent CP2K run of the same model at 330 K (seed 2, 1 ps CSVR + 3 ps Nosé–Hoover)."""


def shipped_reference_path(name: str = "300K") -> Path:
    return Path(str(resources.files("autoparticles") / "data" / SHIPPED_AT[name]))


def _frames_array(path: Path, arrays: dict, name: str, frames: int, atoms: int):
    """arrays[name] as float64 of shape (frames, atoms, 3), all finite (None if absent)."""
    if name not in arrays:
        return None
    try:
        value = arrays[name].astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: {name} holds {arrays[name].dtype} values, not numbers") from None
    if value.shape != (frames, atoms, 3):
        raise ValueError(f"{path}: {name} has shape {value.shape}, expected {(frames, atoms, 3)}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{path}: {name} holds NaN or infinite values")
    return value


def load_reference(path=None) -> ReferenceData:
    """The shipped 64-water CP2K dataset at 300 K, the one named by `path` if it is a key of
    SHIPPED_AT, or the dataset file at `path`; refuses files whose arrays are missing, of the
    wrong shape or type, or not finite, naming the file."""
    if path is None or str(path) in SHIPPED_AT:
        path = shipped_reference_path("300K" if path is None else str(path))
    path = Path(path)
    arrays = read_npz(path, "reference dataset")
    missing = {"positions", "numbers", "masses", "box", "times", "metadata"} - set(arrays)
    if missing:
        raise ValueError(f"{path} lacks {', '.join(sorted(missing))}; not a reference dataset")
    try:
        metadata = json.loads(str(arrays["metadata"]))
        numbers, masses = arrays["numbers"].astype(np.int64), arrays["masses"].astype(np.float64)
        box, times = arrays["box"].astype(np.float64), arrays["times"].astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path} is not a reference dataset: {error}") from None
    frames = len(arrays["positions"])
    if numbers.ndim != 1 or masses.shape != numbers.shape or box.shape != (3,) \
            or times.shape != (frames,):
        raise ValueError(f"{path}: numbers {numbers.shape}, masses {masses.shape}, box "
                         f"{box.shape}, times {times.shape} do not fit {frames} frames")
    if not (np.all(np.isfinite(box)) and np.all(box > 0) and np.all(masses > 0)):
        raise ValueError(f"{path}: box and masses must be positive and finite")
    as64 = {k: _frames_array(path, arrays, k, frames, len(numbers))
            for k in ("positions", "forces", "velocities")}
    return ReferenceData(numbers=numbers, masses=masses, box=box, times=times,
                         metadata=metadata, **as64)
