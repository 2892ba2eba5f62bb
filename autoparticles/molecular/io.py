"""Files of the water system: extended XYZ trajectories and plain XYZ through `ase.io`
(readable by ASE, OVITO and VMD), and `.npz` archives read with checks that name the file."""

import zipfile
import zlib
from pathlib import Path

import numpy as np

from autoparticles.files import atomic_write
from autoparticles.molecular.config import masses


def as_atoms(numbers, positions, box, velocities=None, info: dict | None = None,
             atom_masses=None):
    """`ase.Atoms` of positions (N, 3) [Å] in an orthorhombic periodic box (3,) [Å], with
    velocities (N, 3) [Å/fs] if given, scalar `info` entries and masses [u] (default: the
    species' atomic masses)."""
    import ase
    from ase.units import fs

    atoms = ase.Atoms(numbers=numbers, positions=positions, cell=box, pbc=True,
                      masses=masses(numbers) if atom_masses is None else atom_masses)
    if velocities is not None:
        atoms.set_velocities(np.asarray(velocities) / fs)
    atoms.info.update(info or {})
    return atoms


def write_frame(handle, numbers, positions, box, velocities=None, info=None) -> None:
    """Append one extended-XYZ frame (see `as_atoms`) to an open text file."""
    import ase.io

    ase.io.write(handle, as_atoms(numbers, positions, box, velocities, info), format="extxyz")


def write_xyz(path, numbers, positions, comment: str = "") -> None:
    """Plain XYZ file (CP2K's start coordinates); positions (N, 3) [Å]."""
    import ase
    import ase.io

    ase.io.write(path, ase.Atoms(numbers=numbers, positions=positions), format="xyz",
                 comment=comment)


def read_extxyz(path) -> dict:
    """Frames of an extended XYZ file: {'symbols', 'positions' (F, N, 3) [Å], 'box' (3,) [Å],
    'info' (list of dicts)}; a file that is not one raises a ValueError naming the file and
    the line."""
    import ase.io

    path = Path(path)
    frames = []
    try:
        for atoms in ase.io.iread(path, index=":", format="extxyz"):
            frames.append(atoms)
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a text file (extended XYZ expected)") from None
    except (ValueError, IndexError, KeyError) as error:
        line = _frame_line(path, len(frames), len(frames[0]) if frames else None)
        raise ValueError(f"{path}:{line}: not an extended XYZ frame: {error}") from None
    if not frames:
        raise ValueError(f"{path} holds no frames")
    names = frames[0].get_chemical_symbols()
    if any(atoms.get_chemical_symbols() != names for atoms in frames):
        raise ValueError(f"{path}: the atoms differ between frames")
    return {"symbols": names, "positions": np.array([a.positions for a in frames]),
            "box": frames[0].cell.lengths(), "info": [a.info for a in frames]}


def _frame_line(path: Path, frame: int, atoms: int | None) -> int:
    """1-based line of the first atom line of `frame` that is not 'SYMBOL x y z ...' (else the
    frame's first line); frames of `atoms` atoms (None: read from the first line)."""
    lines = path.read_text().splitlines()
    atoms = int(lines[0]) if atoms is None and lines and lines[0].strip().isdigit() else atoms
    if atoms is None:
        return 1
    start = frame * (atoms + 2)
    for k in range(start + 2, min(start + 2 + atoms, len(lines))):
        try:
            [float(v) for v in lines[k].split()[1:4]]
        except ValueError:
            return k + 1
    return start + 1


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


def atomic_savez(path: Path, arrays: dict) -> Path:
    """Compressed .npz written atomically (`files.atomic_write`): a crash never leaves half a
    file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: np.savez_compressed(tmp, **arrays))

