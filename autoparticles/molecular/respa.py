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

from autoparticles.invariants.radial import contract_gradient, radial_invariants
from autoparticles.molecular.agent import WaterModel
from autoparticles.molecular.analysis import owner_oxygen


class MoleculePairs:
    """The pairs inside each molecule, in a neighbour list's CSR form (indptr (N+1,),
    indices, mirror: the entry of (j, i) for (i, j)) so the radial kernels read them; fixed
    for the run (learned water keeps its molecules intact). cutoff: that of the basis (every
    bonded pair lies well inside it)."""

    def __init__(self, positions, numbers, box, cutoff: float):
        numbers = np.asarray(numbers)
        owner = owner_oxygen(np.asarray(positions)[None], numbers, box)[0]
        hydrogens = np.nonzero(numbers == 1)[0]
        oxygens, counts = np.unique(owner, return_counts=True)
        if len(oxygens) != np.count_nonzero(numbers == 8) or np.any(counts != 2):
            raise ValueError("multiple time steps (mts > 1) need intact water molecules: every "
                             "O with exactly two nearest H at the start")
        pairs = [(o, h) for o, h in zip(owner, hydrogens)]
        for o in oxygens:
            h1, h2 = hydrogens[owner == o]
            pairs.append((h1, h2))
        pairs = np.array(pairs)
        rows = np.concatenate([pairs, pairs[:, ::-1]])  # both directions
        order = np.lexsort((rows[:, 1], rows[:, 0]))
        rows = rows[order]
        self.indptr = np.searchsorted(rows[:, 0], np.arange(len(numbers) + 1)).astype(np.int64)
        self.indices = rows[:, 1].astype(np.int64)
        entry = {(int(i), int(j)): p for p, (i, j) in enumerate(rows)}
        self.mirror = np.array([entry[int(j), int(i)] for i, j in rows], dtype=np.int64)
        self.box = np.asarray(box, dtype=float)
        self.cutoff = cutoff


class StiffPart:
    """E_s of the module docstring for `model` (conservative) on atoms of `species` (N,)
    with atomic numbers (N,) in `box` (3,) [Å], set up at positions (N, 3) [Å] whose full
    invariants are phi (N, F)."""

    def __init__(self, model: WaterModel, positions, species, numbers, box, phi):
        if model.mode != "conservative":
            raise ValueError("multiple time steps (mts > 1) need a conservative model (the "
                             "agent mode's forces are no energy's gradient)")
        self.model, self.species = model, np.asarray(species)
        self.pairs = MoleculePairs(positions, numbers, box, model.basis.cutoff)
        bonded = self._embedded(self._bonded(positions).values)
        self.surrounding = np.zeros_like(phi)  # (N, F): φ̄ of each atom's species
        for s in range(len(model.species_losses)):
            rows = self.species == s
            self.surrounding[rows] = (phi[rows] - bonded[rows]).mean(axis=0)

    def _bonded(self, positions):
        return radial_invariants(positions, self.species, self.pairs, self.model.basis,
                                 both_sides=False)

    def _embedded(self, radial_values):
        """(N, F): the radial columns filled, the angular ones (if any) zero."""
        out = np.zeros((len(radial_values), self.model.n_features))
        out[:, :radial_values.shape[1]] = radial_values
        return out

    def evaluate(self, positions) -> tuple[np.ndarray, np.ndarray]:
        """(losses (N,) [eV], forces (N, 3) [eV/Å]) of the stiff part at positions (N, 3)."""
        bonded = self._bonded(positions)
        psi = self.surrounding + self._embedded(bonded.values)
        weights = np.empty_like(psi)
        losses = np.empty(len(psi))
        for s, loss in enumerate(self.model.species_losses):
            rows = self.species == s
            losses[rows], weights[rows] = loss.value_and_gradient(psi[rows])
        return losses, -contract_gradient(bonded, weights[:, :bonded.values.shape[1]])
