"""Numba kernels of the fit's design matrix: force on every atom per unit loss parameter.

For pair p = (i, j) with dφ/dd slopes s[p, n] and r̂_ij, let D_ij[a] = s[p, n] when feature
a = (species of j, n), else 0. A loss parameter θ of species A gives atom i the weights
W_θ[i] (agents.losses.design_weights) and c_ij(θ) = Σ_a W_θ[i, a] D_ij[a], so that
    F_i(θ) = Σ_j (c_ij(θ) + c_ji(θ)) r̂_ij       (conservative)
    F_i(θ) = Σ_j c_ij(θ) r̂_ij                   (agent: own loss only)
Angular invariants ψ (after the radial ones in the feature vector) add, per atom i and listed
neighbour m, the Jacobian block J = ∂ψ(i)/∂x_m: F_m(θ) -= W_θ[i]·J (m = i included; in agent
mode only m = i).
Columns: species O parameters, then species H parameters, each (c, upper triangle of C).
"""

import numba
import numpy as np

from autoparticles.agents.losses import parameter_count
from autoparticles.invariants.angular import AngularInvariants
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


@numba.njit(cache=True, inline="always")
def _subtract_block(row, block, phi_row, base, f0, n_features, tri_a, tri_b, tri_q, out):
    """out[row:row+3, θ] -= W_θ·block for a (F_a, 3) Jacobian block of the features
    f0.. (tri_*: the quadratic parameters q = (a, b) with b >= f0)."""
    for a in range(block.shape[0]):
        for d in range(3):
            out[row + d, base + f0 + a] -= block[a, d]
    for t in range(tri_q.shape[0]):
        a, b, q = tri_a[t], tri_b[t], tri_q[t]
        for d in range(3):
            value = phi_row[a] * block[b - f0, d] if a != b else 0.0
            if a >= f0:
                value += phi_row[b] * block[a - f0, d]
            out[row + d, base + n_features + q] -= value


@numba.njit(cache=True)
def _angular_design_kernel(indptr, indices, species, jac, phi_centred, f0, self_only, tri_a,
                           tri_b, tri_q, n_params, out):
    own = np.empty(jac.shape[1:])
    for i in range(indptr.shape[0] - 1):
        base = species[i] * n_params
        own[:, :] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            own -= jac[p]
            if not self_only:
                _subtract_block(3 * indices[p], jac[p], phi_centred[i], base, f0,
                                phi_centred.shape[1], tri_a, tri_b, tri_q, out)
        _subtract_block(3 * i, own, phi_centred[i], base, f0, phi_centred.shape[1], tri_a,
                        tri_b, tri_q, out)


def force_design(inv: RadialInvariants, centres, self_only: bool,
                 angular: AngularInvariants | None = None) -> np.ndarray:
    """(3N, 2P) forces per unit parameter; rows (atom, xyz), P = parameters of one species.
    centres: per species (F,) means φ̄ the losses are centred on; features: the radial
    invariants, then the angular ones (if given)."""
    species = inv.species
    values = inv.values if angular is None else np.hstack([inv.values, angular.values])
    phi_centred = values - np.asarray(centres)[species]
    f, f0 = values.shape[1], inv.values.shape[1]
    tri_a, tri_b = (t.astype(np.int64) for t in np.triu_indices(f))
    n_params = parameter_count(f)
    out = np.zeros((3 * len(species), 2 * n_params))
    radial_q = np.flatnonzero(tri_a < f0)  # the leading run of q: a pair with a radial feature
    _design_kernel(inv.indptr, inv.indices, species, inv.slope, inv.unit, phi_centred,
                   self_only, tri_a[radial_q], tri_b[radial_q], n_params, out)
    if angular is not None:
        angular_q = np.flatnonzero(tri_b >= f0)
        _angular_design_kernel(angular.indptr, angular.indices, species, angular.jacobian,
                               phi_centred, f0, self_only, tri_a[angular_q], tri_b[angular_q],
                               angular_q, n_params, out)
    return out
