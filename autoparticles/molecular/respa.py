"""Multiple time steps for a fitted water model (r-RESPA: Tuckerman, Berne & Martyna,
J. Chem. Phys. 97, 1990, 1992).

The split of the energy E = Σ_i H_{A_i}(φ(i)):
- stiff part  E_s = Σ_i H_{A_i}(φ̄_{A_i} + φ_b(i)), φ_b(i) the radial invariants of atom i's
  pairs inside its own molecule (O–H, O–H, H–H) and φ̄_A the mean over the atoms of species A
  of the rest of their invariants (φ - φ_b) at the start, held fixed: the bonds and the bend
  in a frozen, average surrounding. Cheap (three pairs a molecule), it is integrated every
  step dt.
- slow part   E - E_s, the surrounding's share: applied as a kick every k steps (k·dt).

Both parts are energies, so the scheme stays symplectic and time-reversible; what it costs is
checked by the NVE drift and the validation table (README).
"""

import numpy as np

from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.radial import contract_gradient, radial_invariants
from autoparticles.invariants.space import displacement
from autoparticles.molecular.agent import WaterModel


def nearest_oxygen(positions, numbers, nlist: NeighbourList) -> np.ndarray:
    """(N_H,) index of each hydrogen's nearest oxygen among its listed neighbours (-1: none
    listed), hydrogens in atom order; nlist up to date for positions (N, 3) [Å]."""
    numbers = np.asarray(numbers)
    rows = np.repeat(np.arange(len(numbers)), np.diff(nlist.indptr))
    hit = (numbers[rows] == 1) & (numbers[nlist.indices] == 8)
    h, o = rows[hit], nlist.indices[hit]
    d2 = np.sum(displacement(positions[h], positions[o], nlist.box) ** 2, axis=1)
    order = np.lexsort((d2, h))
    first = order[np.r_[True, h[order][1:] != h[order][:-1]]] if len(order) else order
    owner = np.full(len(numbers), -1)
    owner[h[first]] = o[first]
    return owner[numbers == 1]


class MoleculePairs:
    """The pairs inside each molecule, in a neighbour list's CSR form (indptr (N+1,),
    indices, mirror: the entry of (j, i) for (i, j)) so the radial kernels read them; fixed
    for the run (learned water keeps its molecules intact); each H belongs to its nearest O
    at the start (among its neighbours in nlist, up to date there). cutoff: that of the
    basis (every bonded pair lies well inside it)."""

    def __init__(self, positions, numbers, nlist: NeighbourList, cutoff: float):
        numbers = np.asarray(numbers)
        owner = nearest_oxygen(positions, numbers, nlist)
        hydrogens = np.nonzero(numbers == 1)[0]
        oxygens, counts = np.unique(owner, return_counts=True)
        if (len(oxygens) != np.count_nonzero(numbers == 8) or np.any(counts != 2)
                or np.any(owner < 0)):
            raise ValueError("multiple time steps (mts > 1) need intact water molecules: every "
                             "O with exactly two nearest H at the start")
        by_owner = hydrogens[np.argsort(owner, kind="stable")]  # each O's two H side by side
        pairs = np.concatenate([np.stack([owner, hydrogens], axis=1),
                                np.stack([by_owner[0::2], by_owner[1::2]], axis=1)])
        rows = np.concatenate([pairs, pairs[:, ::-1]])  # both directions
        order = np.lexsort((rows[:, 1], rows[:, 0]))
        rows = rows[order]
        self.indptr = np.searchsorted(rows[:, 0], np.arange(len(numbers) + 1)).astype(np.int64)
        self.indices = rows[:, 1].astype(np.int64)
        # the set of entries is symmetric: sorted by (j, i) it lists, at place p, the reverse of
        # the p-th entry sorted by (i, j)
        self.mirror = np.lexsort((rows[:, 0], rows[:, 1])).astype(np.int64)
        self.box = nlist.box
        self.cutoff = cutoff


class StiffPart:
    """E_s of the module docstring for `model` (conservative) on atoms of `species` (N,)
    with atomic numbers (N,), set up at positions (N, 3) [Å] whose full invariants are
    phi (N, F) and whose neighbour list (box included) is nlist.

    With t = φ̄_A - φ_c + φ_b (φ_c the loss centre) the quadratic loss H = c·t + ½ tᵀCt reads,
    in the bonded radial invariants φ_b alone, H = h_A + a_A·φ_b + ½ φ_bᵀ C_rr φ_b with
    a_A = c + C(φ̄_A - φ_c) and h_A = H(φ̄_A) (C_rr: C's radial block): a small quadratic
    per species, evaluated here."""

    def __init__(self, model: WaterModel, positions, species, numbers, nlist: NeighbourList,
                 phi):
        if model.mode != "conservative":
            raise ValueError("multiple time steps (mts > 1) need a conservative model (the "
                             "agent mode's forces are no energy's gradient)")
        self.model, self.species = model, np.asarray(species)
        self.pairs = MoleculePairs(positions, numbers, nlist, model.basis.cutoff)
        bonded = self._bonded(positions).values
        r = bonded.shape[1]
        self.rows, self.terms = [], []
        for s, loss in enumerate(model.species_losses):
            rows = np.nonzero(self.species == s)[0]
            surrounding = phi[rows].mean(axis=0)
            surrounding[:r] -= bonded[rows].mean(axis=0)
            level, slope = loss.value_and_gradient(surrounding[None])
            self.rows.append(rows)
            self.terms.append((float(level[0]), slope[0, :r], loss.quadratic[:r, :r]))

    def _bonded(self, positions):
        return radial_invariants(positions, self.species, self.pairs, self.model.basis,
                                 both_sides=False)

    def evaluate(self, positions) -> tuple[np.ndarray, np.ndarray]:
        """(losses (N,) [eV], forces (N, 3) [eV/Å]) of the stiff part at positions (N, 3)."""
        bonded = self._bonded(positions)
        weights = np.empty_like(bonded.values)
        losses = np.empty(len(weights))
        for rows, (level, slope, curvature) in zip(self.rows, self.terms):
            phi_b = bonded.values[rows]
            bent = phi_b @ curvature
            weights[rows] = slope + bent
            losses[rows] = level + phi_b @ slope + 0.5 * np.einsum("ij,ij->i", bent, phi_b)
        return losses, -contract_gradient(bonded, weights)
