"""Species-resolved three-body (angular) invariants of atoms (issue 13).

For atom i and each unordered pair of neighbours j ≠ k closer than the angular cutoff r_a:
    ψ_{c,m,s}(i) = Σ_{j<k} (1 + λ_m cos θ_jik)^ζ_m · ½[g_a(d_ij) g_b(d_ik) + g_b(d_ij) g_a(d_ik)]
with c the channel of the species pair (type(j), type(k)) (OO, OH, HH), m an angular term
(λ_m = ±1, ζ_m >= 1), s = (a <= b) a pair of radial shells g_n(d) = exp(-η(d - r_n)²) f_c(d),
f_c(d) = ½(cos(πd/r_a) + 1), minimum image. Column = (c·M + m)·S + s.

Neighbours come from the radial neighbour list, filtered to d < r_a. Gradients are analytic,
stored per kept entry p = (i, j) as the (F, 3) block ∂ψ(i)/∂x_j (translation invariance gives
∂ψ(i)/∂x_i = -Σ_j of them); `contract_gradient` applies the chain rule for any weights.
Without stored blocks (`jacobian=False`, what a simulation needs), `contract_gradient` runs
the triple loop again with the weights folded in: no (P, F, 3) array to fill and read.
"""

from dataclasses import dataclass, field

import numba
import numpy as np

from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.space import (as_kernel_box, check_atoms, inverse_edges,
                                           minimum_image, nearest_image)


def pair_channels(n_species: int) -> np.ndarray:
    """(S, S) channel index of each unordered species pair, row-major over a <= b."""
    table = np.empty((n_species, n_species), dtype=np.int64)
    for c, (a, b) in enumerate(zip(*np.triu_indices(n_species))):
        table[a, b] = table[b, a] = c
    return table


@dataclass(frozen=True)
class AngularBasis:
    """centres: (R,) radial shell centres r_n [Å] of width eta [1/Å²]; lambdas, zetas: (M,)
    angular terms; cutoff r_a [Å]. Every shell pair a <= b is used: S = R(R+1)/2."""

    centres: np.ndarray = field(repr=False)
    eta: float
    lambdas: np.ndarray = field(repr=False)
    zetas: np.ndarray = field(repr=False)
    cutoff: float = 3.5

    def __post_init__(self):
        for name in ("centres", "lambdas", "zetas"):
            object.__setattr__(self, name, np.atleast_1d(np.asarray(getattr(self, name), dtype=np.float64)))
        if not np.isfinite(self.cutoff) or self.cutoff <= 0:
            raise ValueError(f"cutoff must be positive, got {self.cutoff}")
        if self.eta <= 0:
            raise ValueError(f"eta must be positive, got {self.eta}")
        if self.lambdas.shape != self.zetas.shape:
            raise ValueError(f"lambdas {self.lambdas.shape} and zetas {self.zetas.shape} differ")
        if np.any(np.abs(self.lambdas) != 1) or np.any(self.zetas < 1):
            raise ValueError("angular terms need λ = ±1 and ζ >= 1")

    @property
    def shells(self) -> tuple[np.ndarray, np.ndarray]:
        a, b = np.triu_indices(len(self.centres))
        return a.astype(np.int64), b.astype(np.int64)

    @property
    def size(self) -> int:
        """Invariants per species-pair channel, M·S."""
        return len(self.lambdas) * len(self.shells[0])

    def n_features(self, n_species: int = 2) -> int:
        return n_species * (n_species + 1) // 2 * self.size

    def header(self) -> dict:
        """JSON-ready description (centres included), read back by `from_header`."""
        return {"centres": self.centres.tolist(), "eta": self.eta, "lambdas": self.lambdas.tolist(),
                "zetas": self.zetas.tolist(), "cutoff": self.cutoff}

    @classmethod
    def from_header(cls, header: dict) -> "AngularBasis":
        return cls(header["centres"], header["eta"], header["lambdas"], header["zetas"],
                   header["cutoff"])


@numba.njit(cache=True)
def _within(x, box, indptr, indices, cutoff, keep):
    """keep[p]: listed entry p is closer than cutoff."""
    for i in range(x.shape[0]):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            d2 = 0.0
            for d in range(3):
                delta = minimum_image(x[j, d] - x[i, d], box[d])
                d2 += delta * delta
            keep[p] = d2 < cutoff * cutoff


@numba.njit(cache=True, inline="always")
def _power(base, zeta):
    """base^zeta for base >= 0: repeated products for a whole zeta (1, 2, 4, …: the usual
    ones, and several times faster than pow), pow otherwise."""
    if zeta == np.floor(zeta) and zeta <= 16.0:
        out = 1.0
        for _ in range(int(zeta)):
            out *= base
        return out
    return base ** zeta


VALUES, JACOBIAN, GRADIENT = 0, 1, 2
"""What `_angular_kernel` computes: ψ; ψ and its blocks; or the weighted gradient alone."""


@numba.njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "reassoc"})
def _angular_kernel(x, species, channel, box, indptr, indices, centres, eta, cutoff, lambdas,
                    zetas, shell_a, shell_b, what, phi, jac, weights, self_only, grad):
    """Over the filtered list: ψ into phi (N, F) (what = VALUES or JACOBIAN; GRADIENT leaves
    it as it is), jac (P, F, 3) = ∂ψ(i)/∂x_j per entry (JACOBIAN), or grad (N, 3) =
    ∂/∂x_m Σ_i Σ_a weights[i, a] ψ_a(i) (GRADIENT; self_only: only the m = i terms)."""
    nr, n_ang, n_sh = centres.shape[0], lambdas.shape[0], shell_a.shape[0]
    width = n_ang * n_sh
    max_deg = 0
    for i in range(x.shape[0]):
        max_deg = max(max_deg, indptr[i + 1] - indptr[i])
    g = np.empty((max_deg, nr))
    dg = np.empty((max_deg, nr))
    u = np.empty((max_deg, 3))
    dist = np.empty(max_deg)
    ang = np.empty(n_ang)
    dang = np.empty(n_ang)
    if what != GRADIENT:  # (GRADIENT reads the values' array untouched)
        phi[:, :] = 0.0
    jac[:, :, :] = 0.0
    grad[:, :] = 0.0
    inverse = inverse_edges(box)
    for i in range(x.shape[0]):
        start, deg = indptr[i], indptr[i + 1] - indptr[i]
        for t in range(deg):
            j = indices[start + t]
            r2 = 0.0
            for d in range(3):
                u[t, d] = nearest_image(x[j, d] - x[i, d], box[d], inverse[d])
                r2 += u[t, d] * u[t, d]
            r = np.sqrt(r2)
            dist[t] = r
            for d in range(3):
                u[t, d] /= r
            arg = np.pi * r / cutoff
            fc = 0.5 * (np.cos(arg) + 1.0)
            dfc = -0.5 * np.pi / cutoff * np.sin(arg)
            for n in range(nr):
                e = np.exp(-eta * (r - centres[n]) ** 2)
                g[t, n] = e * fc
                dg[t, n] = e * (dfc - 2.0 * eta * (r - centres[n]) * fc)
        for t in range(deg):
            p = start + t
            sj = species[indices[p]]
            for v in range(t + 1, deg):
                q = start + v
                col0 = channel[sj, species[indices[q]]] * width
                cos = u[t, 0] * u[v, 0] + u[t, 1] * u[v, 1] + u[t, 2] * u[v, 2]
                for m in range(n_ang):
                    base = max(1.0 + lambdas[m] * cos, 0.0)
                    below = _power(base, zetas[m] - 1.0)
                    ang[m] = below * base
                    dang[m] = zetas[m] * lambdas[m] * below
                # ∂ψ_col(i)/∂x_j = along_j û_j + across_j û_k, ∂/∂x_k likewise (j ↔ k);
                # GRADIENT sums the four coefficients over the columns, weighted
                sum_aj, sum_cj, sum_ak, sum_ck = 0.0, 0.0, 0.0, 0.0
                for s in range(n_sh):
                    a, b = shell_a[s], shell_b[s]
                    pair = 0.5 * (g[t, a] * g[v, b] + g[t, b] * g[v, a])
                    if what == VALUES:
                        for m in range(n_ang):
                            phi[i, col0 + m * n_sh + s] += ang[m] * pair
                        continue
                    d_j = 0.5 * (dg[t, a] * g[v, b] + dg[t, b] * g[v, a])
                    d_k = 0.5 * (g[t, a] * dg[v, b] + g[t, b] * dg[v, a])
                    for m in range(n_ang):
                        col = col0 + m * n_sh + s
                        # ∂cos/∂x_j = (û_k - cos û_j)/d_ij, and j ↔ k
                        turn = pair * dang[m]
                        along_j = ang[m] * d_j - turn * cos / dist[t]
                        along_k = ang[m] * d_k - turn * cos / dist[v]
                        if what == GRADIENT:
                            w = weights[i, col]
                            sum_aj += w * along_j
                            sum_cj += w * turn / dist[t]
                            sum_ak += w * along_k
                            sum_ck += w * turn / dist[v]
                            continue
                        phi[i, col] += ang[m] * pair
                        for d in range(3):
                            jac[p, col, d] += along_j * u[t, d] + turn / dist[t] * u[v, d]
                            jac[q, col, d] += along_k * u[v, d] + turn / dist[v] * u[t, d]
                if what == GRADIENT:
                    j, k = indices[p], indices[q]
                    for d in range(3):
                        on_j = sum_aj * u[t, d] + sum_cj * u[v, d]
                        on_k = sum_ak * u[v, d] + sum_ck * u[t, d]
                        grad[i, d] -= on_j + on_k
                        if not self_only:
                            grad[j, d] += on_j
                            grad[k, d] += on_k


@dataclass(frozen=True)
class AngularInvariants:
    """values: (N, F) ψ; jacobian: (P, F, 3) ∂ψ(i)/∂x_j of each entry p = (i, j) of the
    list filtered to d < r_a (CSR indptr, indices), or None when not stored; x, species,
    box, basis, n_species: what the triple loop needs to run again (contract_gradient)."""

    values: np.ndarray
    jacobian: np.ndarray | None
    indptr: np.ndarray
    indices: np.ndarray
    x: np.ndarray
    species: np.ndarray
    box: np.ndarray
    basis: AngularBasis
    n_species: int


def _run_kernel(inv: AngularInvariants, what, jac, weights, self_only, grad):
    """`_angular_kernel` over the atoms and filtered list of `inv`, ψ into inv.values."""
    b = inv.basis
    shell_a, shell_b = b.shells
    _angular_kernel(inv.x, inv.species, pair_channels(inv.n_species), inv.box, inv.indptr,
                    inv.indices, b.centres, b.eta, b.cutoff, b.lambdas, b.zetas, shell_a,
                    shell_b, what, inv.values, jac, weights, self_only, grad)


def angular_invariants(positions, species, nlist: NeighbourList, basis: AngularBasis,
                       n_species: int = 2, jacobian: bool = True) -> AngularInvariants:
    """ψ for every atom. positions: (N, 3) [Å]; species: (N,) ints in [0, n_species);
    nlist: an up-to-date 3-D NeighbourList with cutoff >= basis.cutoff. jacobian=False
    stores no gradient blocks (contract_gradient then computes the gradient directly)."""
    x, species = check_atoms(positions, species, nlist, basis.cutoff, n_species)
    box = as_kernel_box(nlist.box, 3)
    keep = np.empty(len(nlist.indices), dtype=np.bool_)
    _within(x, box, nlist.indptr, nlist.indices, basis.cutoff, keep)
    rows = np.repeat(np.arange(len(x)), np.diff(nlist.indptr))[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(x)))]).astype(np.int64)
    indices = np.ascontiguousarray(nlist.indices[keep])
    f = basis.n_features(n_species)
    jac = np.empty((len(indices), f, 3)) if jacobian else None
    inv = AngularInvariants(np.empty((len(x), f)), jac, indptr, indices, x, species, box, basis,
                            n_species)
    _run_kernel(inv, JACOBIAN if jacobian else VALUES, np.empty((0, f, 3)) if jac is None else jac,
                np.empty((0, f)), False, np.empty((0, 3)))
    return inv


@numba.njit(cache=True)
def _contract_kernel(indptr, indices, jac, weights, self_only, out):
    """G[m] = Σ_i Σ_a weights[i, a] ∂ψ_a(i)/∂x_m (self_only: the m = i terms only)."""
    out[:, :] = 0.0
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            for d in range(3):
                c = 0.0
                for a in range(jac.shape[1]):
                    c += weights[i, a] * jac[p, a, d]
                out[i, d] -= c
                if not self_only:
                    out[j, d] += c


def contract_gradient(inv: AngularInvariants, weights, self_only: bool = False) -> np.ndarray:
    """(N, 3) gradient ∂/∂x_m of Σ_k Σ_a weights[k, a] ψ_a(k), weights held fixed;
    self_only=True keeps each atom's own invariants only (∂ψ(m)/∂x_m, the agent reading)."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.shape != inv.values.shape:
        raise ValueError(f"weights must have shape {inv.values.shape}, got {weights.shape}")
    out = np.empty((len(weights), 3))
    if inv.jacobian is None:
        _run_kernel(inv, GRADIENT, np.empty((0, weights.shape[1], 3)), weights, self_only, out)
        return out
    _contract_kernel(inv.indptr, inv.indices, inv.jacobian, weights, self_only, out)
    return out
