"""The reference dataset: CP2K water trajectories as numpy arrays in the package's units.

Stored as one compressed `.npz`: positions [Å], forces [eV/Å] and velocities [Å/fs] per frame
(float32), atomic numbers, masses [u], box [Å], times [fs] and a JSON metadata record (time
step, stride, temperature, seed, CP2K version, model name).
"""

import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from autoparticles.molecular.cp2k_parsers import check_matching, read_cp2k_xyz
from autoparticles.molecular.units import (
    ATOMIC_MASS,
    BOHR_PER_ATOMIC_TIME_TO_ANGSTROM_PER_FS,
    HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM,
    NUMBER,
    SYMBOL,
)

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
        return [SYMBOL[int(z)] for z in self.numbers]

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
        try:
            import ase
            from ase.calculators.singlepoint import SinglePointCalculator
            from ase.units import fs
        except ImportError as error:
            raise ImportError("to_ase() needs ASE: pip install ase") from error
        images = []
        for k in range(self.n_frames):
            atoms = ase.Atoms(numbers=self.numbers, positions=self.positions[k], cell=self.box,
                              pbc=True, masses=self.masses)
            if self.velocities is not None:
                atoms.set_velocities(self.velocities[k] / fs)
            if self.forces is not None:
                atoms.calc = SinglePointCalculator(atoms, forces=self.forces[k])
            images.append(atoms)
        return images


def atomic_savez(path: Path, arrays: dict) -> Path:
    """Compressed .npz written to a temporary file first, then renamed: a crash never leaves
    half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    os.close(handle)
    try:
        with open(tmp, "wb") as out:
            np.savez_compressed(out, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a dataset is meant to be shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def save_reference(data: ReferenceData, path) -> Path:
    """Write the dataset atomically."""
    arrays = {"positions": data.positions.astype(np.float32), "numbers": data.numbers,
              "masses": data.masses, "box": data.box, "times": data.times,
              "metadata": np.array(json.dumps({**data.metadata, "format": FORMAT_VERSION}))}
    for name in ("forces", "velocities"):
        if getattr(data, name) is not None:
            arrays[name] = getattr(data, name).astype(np.float32)
    return atomic_savez(Path(path), arrays)


def shipped_reference_path() -> Path:
    return Path(str(resources.files("autoparticles") / "data" / SHIPPED))


def read_npz(path: Path, what: str) -> dict:
    """All arrays of an .npz file; errors name the file and what it should have been."""
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a {what}")
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic != b"PK\x03\x04":  # every .npz is a zip archive
        raise ValueError(f"{path} is not a {what}: " + ("an empty file" if not magic else
                                                          "not an .npz archive"))
    try:
        with np.load(path, allow_pickle=False) as store:
            return {k: store[k] for k in store.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"{path} is not a readable {what} (truncated or damaged .npz: "
                         f"{error})") from None


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
    """The shipped 64-water CP2K dataset, or the dataset file at `path`; refuses files whose
    arrays are missing, of the wrong shape or type, or not finite, naming the file."""
    path = shipped_reference_path() if path is None else Path(path)
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


def reference_from_cp2k(production_dir, box: np.ndarray, metadata: dict) -> ReferenceData:
    """Join a production stage's segments (see cp2k_run) into one dataset, converting units.

    Each segment contributes the frames from its start step up to and including the next
    segment's start (a continued CP2K run does not print its first frame again), so steps
    re-simulated after an interruption are taken once."""
    from autoparticles.molecular.cp2k_run import stage_segments

    segments = stage_segments(Path(production_dir))
    if not segments:
        raise FileNotFoundError(f"no CP2K segments in {production_dir}")
    parts = {"pos": [], "vel": [], "frc": []}
    steps, times, symbols, last_step = [], [], None, None
    for k, seg in enumerate(segments):
        end = segments[k + 1].start_step if k + 1 < len(segments) else None
        if not seg.output("pos").is_file():
            continue
        frames = {kind: read_cp2k_xyz(seg.output(kind), stop_at_step=end) for kind in parts}
        for kind in ("vel", "frc"):
            check_matching(frames["pos"], frames[kind])
        keep = frames["pos"].steps >= seg.start_step
        if last_step is not None:
            keep &= frames["pos"].steps > last_step
        if keep.any():
            last_step = int(frames["pos"].steps[keep][-1])
        for kind in parts:
            parts[kind].append(frames[kind].values[keep])
        steps.append(frames["pos"].steps[keep])
        times.append(frames["pos"].times[keep])
        symbols = frames["pos"].symbols
    numbers = np.array([NUMBER[s] for s in symbols])
    return ReferenceData(
        positions=np.concatenate(parts["pos"]),
        forces=np.concatenate(parts["frc"]) * HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM,
        velocities=np.concatenate(parts["vel"]) * BOHR_PER_ATOMIC_TIME_TO_ANGSTROM_PER_FS,
        numbers=numbers,
        masses=np.array([ATOMIC_MASS[z] for z in numbers]),
        box=np.asarray(box, dtype=np.float64),
        times=np.concatenate(times),
        metadata={**metadata, "first_step": int(steps[0][0]), "last_step": last_step},
    )
