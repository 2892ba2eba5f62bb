"""Random, non-overlapping boxes of rigid-geometry water molecules (the start of a CP2K run)."""

from dataclasses import dataclass

import numpy as np

from autoparticles.invariants.space import displacement
from autoparticles.molecular.config import SPECIES, symbols
from autoparticles.molecular.units import AVOGADRO

OH_BOND_ANGSTROM = 0.9572
"""Starting O–H distance [Å] (TIP3P geometry, Jorgensen et al., J. Chem. Phys. 79, 926, 1983)."""

HOH_ANGLE_DEGREES = 104.52
"""Starting H–O–H angle [degrees] (TIP3P geometry, same source)."""

WATER_MASS = SPECIES[0].mass + 2 * SPECIES[1].mass


@dataclass(frozen=True)
class WaterBox:
    """Atoms of a cubic water box, ordered O, H, H per molecule.

    positions: (3M, 3) float64 [Å], wrapped into [0, L); numbers: (3M,) atomic numbers;
    box: (3,) edge lengths [Å].
    """

    positions: np.ndarray
    numbers: np.ndarray
    box: np.ndarray

    @property
    def symbols(self) -> list[str]:
        return symbols(self.numbers)


def cubic_edge_for_density(molecules: int, density_g_cm3: float) -> float:
    """Edge [Å] of the cube holding `molecules` waters at `density_g_cm3`."""
    if molecules <= 0:
        raise ValueError(f"molecules must be positive, got {molecules}")
    if density_g_cm3 <= 0:
        raise ValueError(f"density_g_cm3 must be positive, got {density_g_cm3}")
    volume_cm3 = molecules * WATER_MASS / (density_g_cm3 * AVOGADRO)
    return (volume_cm3 * 1e24) ** (1.0 / 3.0)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random 3×3 rotation matrix (QR of a Gaussian matrix, sign-fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _molecule_template() -> np.ndarray:
    """(3, 3) O, H, H positions [Å] of one molecule with O at the origin."""
    half = np.radians(HOH_ANGLE_DEGREES) / 2
    return OH_BOND_ANGSTROM * np.array(
        [[0.0, 0.0, 0.0], [np.sin(half), np.cos(half), 0.0], [-np.sin(half), np.cos(half), 0.0]]
    )


def build_water_box(
    molecules: int = 64,
    density_g_cm3: float = 0.997,
    seed: int = 0,
    min_oo: float = 2.5,
    min_intermolecular: float = 1.6,
    max_tries: int = 200_000,
) -> WaterBox:
    """Place `molecules` randomly oriented waters at random, rejecting overlaps.

    A trial molecule is rejected when its O is closer than `min_oo` [Å] to another O, or any
    of its atoms is closer than `min_intermolecular` [Å] to an atom of another molecule
    (minimum image in the periodic cube).
    """
    edge = cubic_edge_for_density(molecules, density_g_cm3)
    rng = np.random.default_rng(seed)
    template = _molecule_template()
    placed: list[np.ndarray] = []
    tries = 0
    while len(placed) < molecules:
        tries += 1
        if tries > max_tries:
            raise RuntimeError(
                f"could not place {molecules} waters in a {edge:.2f} Å box after {max_tries} "
                f"tries (placed {len(placed)}); lower min_oo / min_intermolecular"
            )
        trial = rng.uniform(0, edge, 3) + template @ _random_rotation(rng).T
        if placed:
            others = np.concatenate(placed)
            dist = np.linalg.norm(displacement(others[None], trial[:, None], edge), axis=-1)
            if dist[0, 0::3].min() < min_oo or dist.min() < min_intermolecular:
                continue
        placed.append(trial)
    positions = np.mod(np.concatenate(placed), edge)
    numbers = np.tile([SPECIES[0].number, SPECIES[1].number, SPECIES[1].number], molecules)
    return WaterBox(positions=positions, numbers=numbers, box=np.full(3, edge))
