"""Numba kernel of the fit's design matrix: force on every atom per unit loss parameter.

For pair p = (i, j) with dφ/dd slopes s[p, n] and r̂_ij, let D_ij[a] = s[p, n] when feature
a = (species of j, n), else 0. A loss parameter θ of species A gives atom i the weights
W_θ[i] (agents.losses.design_weights) and c_ij(θ) = Σ_a W_θ[i, a] D_ij[a], so that
    F_i(θ) = Σ_j (c_ij(θ) + c_ji(θ)) r̂_ij       (conservative)
    F_i(θ) = Σ_j c_ij(θ) r̂_ij                   (agent: own loss only)
Columns: species O parameters, then species H parameters, each (c, upper triangle of C).
"""

import numba
import numpy as np

from autoparticles.agents.losses import parameter_count
from autoparticles.invariants.radial import RadialInvariants


@numba.njit(cache=True, inline="always")
def _add_pair_terms(row, sign_unit, owner_species, phi_row, other_species, slope_p, nb,
                    n_features, n_params, tri_a, tri_b, out):
    """Add c(θ)·sign_unit to out[row:row+3, θ] for the loss of an atom of owner_species whose
    neighbour has other_species."""
    base = owner_species * n_params
    col0 = other_species * nb
    for n in range(nb):
        s = slope_p[n]
        for d in range(3):
            out[row + d, base + col0 + n] += s * sign_unit[d]
    for q in range(tri_a.shape[0]):
        a, b = tri_a[q], tri_b[q]
        value = 0.0
        if col0 <= a < col0 + nb:
            value += phi_row[b] * slope_p[a - col0]
        if a != b and col0 <= b < col0 + nb:
            value += phi_row[a] * slope_p[b - col0]
        if value != 0.0:
            for d in range(3):
                out[row + d, base + n_features + q] += value * sign_unit[d]


@numba.njit(cache=True)
def _design_kernel(indptr, indices, species, slope, unit, phi_centred, self_only, tri_a,
                   tri_b, n_params, out):
    nb = slope.shape[1]
    n_features = phi_centred.shape[1]
    r = np.empty(3)
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            r[0], r[1], r[2] = unit[p, 0], unit[p, 1], unit[p, 2]
            _add_pair_terms(3 * i, r, species[i], phi_centred[i], species[j], slope[p], nb,
                            n_features, n_params, tri_a, tri_b, out)
            if not self_only:
                _add_pair_terms(3 * i, r, species[j], phi_centred[j], species[i], slope[p], nb,
                                n_features, n_params, tri_a, tri_b, out)


def force_design(inv: RadialInvariants, centres, self_only: bool) -> np.ndarray:
    """(3N, 2P) forces per unit parameter; rows (atom, xyz), P = parameters of one species.
    centres: per species (F,) means φ̄ the losses are centred on."""
    species = inv.species
    phi_centred = inv.values - np.asarray(centres)[species]
    f = inv.values.shape[1]
    tri_a, tri_b = np.triu_indices(f)
    n_params = parameter_count(f)
    out = np.zeros((3 * len(species), 2 * n_params))
    _design_kernel(inv.indptr, inv.indices, species, inv.slope, inv.unit, phi_centred,
                   self_only, tri_a.astype(np.int64), tri_b.astype(np.int64), n_params, out)
    return out
