"""Structural and thermal observables of water trajectories (numpy, outside any step loop).

Molecules are not stored anywhere: each H belongs to its nearest O in the frame at hand.
"""

from dataclasses import dataclass

import numpy as np

from autoparticles.molecular.units import AMU_A2_PER_FS2_TO_EV, BOLTZMANN_EV_PER_K


def temperature(velocities: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """Kinetic temperature [K] per frame; velocities (F, N, 3) or (N, 3) [Å/fs], masses (N,)
    [u]; 3N - 3 degrees of freedom (the total momentum is fixed)."""
    v = np.asarray(velocities)
    kinetic = 0.5 * np.einsum("...nd,n->...", v * v, masses) * AMU_A2_PER_FS2_TO_EV
    dof = 3 * len(masses) - 3
    return 2.0 * kinetic / (dof * BOLTZMANN_EV_PER_K)


def _min_image(delta: np.ndarray, box: np.ndarray) -> np.ndarray:
    return delta - box * np.round(delta / box)


def owner_oxygen(positions: np.ndarray, numbers: np.ndarray, box: np.ndarray) -> np.ndarray:
    """(F, N_H) index (into all atoms) of each hydrogen's nearest oxygen, per frame."""
    o, h = np.nonzero(numbers == 8)[0], np.nonzero(numbers == 1)[0]
    delta = _min_image(positions[:, h][:, :, None, :] - positions[:, o][:, None, :, :], box)
    return o[np.argmin(np.einsum("fhod,fhod->fho", delta, delta), axis=2)]


def bond_lengths_and_angles(positions, numbers, box) -> tuple[np.ndarray, np.ndarray]:
    """Intramolecular O–H distances [Å] (all H) and H–O–H angles [degrees] (oxygens that own
    exactly two hydrogens), pooled over frames. positions: (F, N, 3) [Å]."""
    positions = np.asarray(positions)
    h = np.nonzero(numbers == 1)[0]
    owner = owner_oxygen(positions, numbers, box)
    frames = np.arange(len(positions))[:, None]
    bond = _min_image(positions[:, h, :] - positions[frames, owner, :], box)
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
        delta = _min_image(positions[f][a][:, None, :] - positions[f][b][None, :, :], box)
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
