"""Multiple time steps for a fitted water model (r-RESPA: Tuckerman, Berne & Martyna,
J. Chem. Phys. 97, 1990, 1992).

The split of the energy E = Σ_i H_{A_i}(φ(i)):
- stiff part  E_s = Σ_i H_{A_i}(φ̄_{A_i} + φ_b(i)), φ_b(i) atom i's bonded invariants: the
  model's invariants with its neighbours restricted to its own molecule, i.e. the radial
  ones of its pairs (O–H, O–H, H–H) and, for a model with angular invariants, the angular
  ones of its one triple (H–O–H at the O, O–H–H at each H); φ̄_A the mean over the atoms of
  species A of the rest of their invariants (φ - φ_b) at the start, held fixed: the bonds
  and the bend in a frozen, average surrounding. Cheap (three pairs, and three triples, a
  molecule), it is integrated every step dt.
- slow part   E - E_s, the surrounding's share: applied as a kick every k steps (k·dt).

Both parts are energies, so the scheme stays symplectic and time-reversible; what it costs is
checked by the NVE drift and the validation table (README).
"""

import numba
import numpy as np

from autoparticles.invariants.angular import (
    _angular_list,
    _gradient_kernel,
    _values_kernel,
    pair_channels,
)
from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.radial import KINDS, _contract_kernel, _radial_kernel
from autoparticles.invariants.space import as_kernel_box, displacement
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
    indices, mirror: the entry of (j, i) for (i, j)) so the radial and angular kernels read
    them; fixed for the run (learned water keeps its molecules intact); each H belongs to its
    nearest O at the start (among its neighbours in nlist, up to date there)."""

    def __init__(self, positions, numbers, nlist: NeighbourList):
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


@numba.njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "reassoc"})
def _stiff_evaluate(x, species, terms, kernel_args, angular, losses, forces):
    """Losses (N,) [eV] and forces (N, 3) [eV/Å] of the stiff part at x (N, 3) [Å] into the
    given arrays. terms = (levels (S,), columns (S, K), slopes (S, K), curvatures (S, K, K))
    per species, columns: the K columns of phi its bonded invariants can fill (the other
    columns' weights stay zero); kernel_args: the molecules' pair list, radial basis table
    and work arrays of `_radial_kernel`, among them phi (N, B), the bonded invariants, radial
    columns first (`_radial_kernel` zeroes phi and fills those, `_contract_kernel` reads only
    those of the weights); angular: None (a radial model), or the angular basis (cutoff [Å],
    centres (R,) [Å], eta [1/Å²], channel (S, S), polynomial, shell_a, shell_b) and a work
    array (N, 3): its invariants over the same lists fill phi's other columns."""
    levels, columns, slopes, curvatures = terms
    (box, indptr, indices, mirror, kind, centres, eta, cutoff, t_start, t_step, t_values,
     t_slopes, phi, slope, unit, pairs) = kernel_args
    kept = _radial_kernel(x, species, slopes.shape[0], box, indptr, indices, mirror, kind,
                          centres, eta, cutoff, t_start, t_step, t_values, t_slopes, phi, slope,
                          unit, False, pairs)
    radial = slopes.shape[0] * centres.shape[0]
    if angular is not None:
        a_cutoff, a_centres, a_eta, channel, polynomial, shell_a, shell_b, grad = angular
        a_indptr, a_indices, u, dist, g, dg = _angular_list(x, box, indptr, indices, a_cutoff,
                                                            a_centres, a_eta)
        neighbour_species = species[a_indices]
        _values_kernel(neighbour_species, channel, a_indptr, u, g, polynomial, shell_a,
                       shell_b, phi[:, radial:])
    weights = np.zeros_like(phi)
    t = np.empty(columns.shape[1])
    for i in range(x.shape[0]):
        s = species[i]
        for a in range(t.shape[0]):
            t[a] = phi[i, columns[s, a]]
        total = levels[s]
        for a in range(t.shape[0]):
            bent = 0.0
            for b in range(t.shape[0]):
                bent += curvatures[s, a, b] * t[b]
            weights[i, columns[s, a]] = slopes[s, a] + bent
            total += t[a] * (slopes[s, a] + 0.5 * bent)
        losses[i] = total
    _contract_kernel(pairs[:kept], species, slope, unit, weights, False, forces)
    if angular is not None:
        _gradient_kernel(a_indices, neighbour_species, channel, a_indptr, u, dist, g, dg,
                         polynomial, shell_a, shell_b, weights[:, radial:], False, grad)
        for i in range(x.shape[0]):
            for d in range(3):
                forces[i, d] += grad[i, d]
    for i in range(x.shape[0]):
        for d in range(3):
            forces[i, d] = -forces[i, d]


@numba.njit(cache=True)
def _stiff_verlet(x, v, forces, inv_m, dt, steps, species, terms, kernel_args, angular,
                  losses):
    """`steps` velocity Verlet steps of dt [fs] under the stiff forces, in place: x (N, 3)
    [Å], v (N, 3) [Å/fs], forces (N, 3) (in: at x; out: at the new x), inv_m (N, 1) the
    acceleration per force."""
    for _ in range(steps):
        for i in range(x.shape[0]):
            for d in range(3):
                v[i, d] += 0.5 * dt * forces[i, d] * inv_m[i, 0]
                x[i, d] += dt * v[i, d]
        _stiff_evaluate(x, species, terms, kernel_args, angular, losses, forces)
        for i in range(x.shape[0]):
            for d in range(3):
                v[i, d] += 0.5 * dt * forces[i, d] * inv_m[i, 0]


def bonded_columns(model: WaterModel, species, pairs: MoleculePairs) -> np.ndarray:
    """(S, K) per species the columns of φ that its bonded invariants can fill: the radial
    ones and, for a model with angular invariants, the channel of its molecule's one triple
    (every atom has two molecule mates in pairs: an O its two H, an H its O and the other
    H); species (N,)."""
    radial = np.arange(2 * model.basis.size)
    if model.angular is None:
        return np.stack([radial, radial])
    size = model.angular.size
    mates = species[pairs.indices].reshape(len(species), 2)
    triple = pair_channels(2)[mates[:, 0], mates[:, 1]]
    return np.stack([np.r_[radial, radial.size + size * triple[species == s][0] + np.arange(size)]
                     for s in range(2)])


class StiffPart:
    """E_s of the module docstring for `model` (conservative) on atoms of `species` (N,)
    with atomic numbers (N,), set up at positions (N, 3) [Å] whose full invariants are
    phi (N, F) and whose neighbour list (box included) is nlist.

    The bonded invariants φ_b fill the first B columns of φ: the radial ones (B = 2·nb), and
    for a model with angular invariants the angular ones too (B = F); of those, an atom of
    species A can fill only its K columns b_A (`bonded_columns`). With t = φ̄_A - φ_c + φ_b
    (φ_c the loss centre) the quadratic loss H = c·t + ½ tᵀCt reads, in φ_b alone,
    H = h_A + a_A·φ_b + ½ φ_bᵀ C_bb φ_b with a_A the entries b_A of c + C(φ̄_A - φ_c),
    h_A = H(φ̄_A) and C_bb C's block of rows and columns b_A: a small quadratic per species,
    evaluated in one compiled kernel (and `advance` runs the inner steps there)."""

    def __init__(self, model: WaterModel, positions, species, numbers, nlist: NeighbourList,
                 phi):
        if model.mode != "conservative":
            raise ValueError("multiple time steps (mts > 1) need a conservative model (the "
                             "agent mode's forces are no energy's gradient)")
        self.species = np.ascontiguousarray(species, dtype=np.int64)
        self.pairs = MoleculePairs(positions, numbers, nlist)
        basis, table, three = model.basis, model.basis.table(), model.angular
        n, entries = len(self.species), len(self.pairs.indices)
        b = 2 * basis.size + (0 if three is None else three.n_features())
        self._bonded = np.empty((n, b))  # rewritten by every evaluation
        self._kernel_args = (
            as_kernel_box(nlist.box, 3), self.pairs.indptr, self.pairs.indices, self.pairs.mirror,
            KINDS[basis.kind], basis.centres, float(basis.eta), float(basis.cutoff),
            float(table.start), float(table.step), table.values, table.slopes, self._bonded,
            np.empty((entries, basis.size)), np.empty((entries, 3)),
            np.empty((entries, 3), dtype=np.int64))
        self._angular = None if three is None else (
            float(three.cutoff), three.centres, float(three.eta), pair_channels(2),
            three.polynomial, *three.shells, np.empty((n, 3)))
        columns = bonded_columns(model, self.species, self.pairs)
        k = columns.shape[1]
        self._terms = (np.zeros(2), columns, np.zeros((2, k)), np.zeros((2, k, k)))
        phi_b = self.bonded(positions)
        levels, slopes, curvatures = [], [], []
        for s, loss in enumerate(model.species_losses):
            rows = self.species == s
            surrounding = phi[rows].mean(axis=0)
            surrounding[:b] -= phi_b[rows].mean(axis=0)
            level, slope = loss.value_and_gradient(surrounding[None])
            levels.append(float(level[0]))
            slopes.append(slope[0, columns[s]])
            curvatures.append(loss.quadratic[np.ix_(columns[s], columns[s])])
        self._terms = (np.array(levels), columns, np.ascontiguousarray(slopes),
                       np.ascontiguousarray(curvatures))

    def evaluate(self, positions) -> tuple[np.ndarray, np.ndarray]:
        """(losses (N,) [eV], forces (N, 3) [eV/Å]) of the stiff part at positions (N, 3)."""
        losses, forces = np.empty(len(self.species)), np.empty((len(self.species), 3))
        _stiff_evaluate(np.ascontiguousarray(positions, dtype=np.float64), self.species,
                        self._terms, self._kernel_args, self._angular, losses, forces)
        return losses, forces

    def bonded(self, positions) -> np.ndarray:
        """(N, B) the bonded invariants φ_b at positions (N, 3) [Å]: radial, then angular."""
        self.evaluate(positions)
        return self._bonded.copy()

    def advance(self, x, v, forces, inv_m, dt: float, steps: int) -> None:
        """`steps` velocity Verlet steps of dt [fs] under the stiff forces, in place on x
        (N, 3) [Å], v (N, 3) [Å/fs] and forces (N, 3) [eV/Å] (those at x, then at the new
        x); inv_m (N, 1): acceleration per force."""
        _stiff_verlet(x, v, forces, inv_m, dt, steps, self.species, self._terms,
                      self._kernel_args, self._angular, np.empty(len(self.species)))
