"""Species-resolved three-body (angular) invariants of atoms (issue 13).

For atom i and each unordered pair of neighbours j ≠ k closer than the angular cutoff r_a:
    ψ_{c,m,s}(i) = Σ_{j<k} (1 + λ_m cos θ_jik)^ζ_m · ½[g_a(d_ij) g_b(d_ik) + g_b(d_ij) g_a(d_ik)]
with c the channel of the species pair (type(j), type(k)) (OO, OH, HH), m an angular term
(λ_m = ±1, ζ_m a whole number from 1 to 16), s = (a <= b) a pair of radial shells
g_n(d) = exp(-η(d - r_n)²) f_c(d), f_c(d) = ½(cos(πd/r_a) + 1), minimum image.
Column = (c·M + m)·S + s.

Neighbours come from the radial neighbour list, filtered to d < r_a (with their unit vectors
and shells, computed once). (1 + λ cos)^ζ is a polynomial in cos, so each atom sums the
moments Σ_jk cos^k g_a g_b over its triples and takes the columns from them at the end; the
gradient folds the weights into the same polynomials first. Gradients are analytic,
stored per kept entry p = (i, j) as the (F, 3) block ∂ψ(i)/∂x_j (translation invariance gives
∂ψ(i)/∂x_i = -Σ_j of them); `contract_gradient` applies the chain rule for any weights.
Without stored blocks (`jacobian=False`, what a simulation needs), `contract_gradient` runs
the triple loop again with the weights folded in: no (P, F, 3) array to fill and read.
"""

import functools
import math
from dataclasses import dataclass, field

import numba
import numpy as np

from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.space import as_kernel_box, check_atoms, inverse_edges, nearest_image


@functools.cache
def pair_channels(n_species: int) -> np.ndarray:
    """(S, S) channel index of each unordered species pair, row-major over a <= b (read-only,
    built once per S)."""
    table = np.empty((n_species, n_species), dtype=np.int64)
    for c, (a, b) in enumerate(zip(*np.triu_indices(n_species))):
        table[a, b] = table[b, a] = c
    table.flags.writeable = False
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
    polynomial: np.ndarray = field(init=False, repr=False, compare=False)
    shells: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        for name in ("centres", "lambdas", "zetas"):
            object.__setattr__(self, name, np.atleast_1d(np.asarray(getattr(self, name), dtype=np.float64)))
        if not np.isfinite(self.cutoff) or self.cutoff <= 0:
            raise ValueError(f"cutoff must be positive, got {self.cutoff}")
        if self.eta <= 0:
            raise ValueError(f"eta must be positive, got {self.eta}")
        if self.lambdas.shape != self.zetas.shape:
            raise ValueError(f"lambdas {self.lambdas.shape} and zetas {self.zetas.shape} differ")
        if (np.any(np.abs(self.lambdas) != 1) or np.any(self.zetas < 1) or np.any(self.zetas > 16)
                or np.any(self.zetas != np.floor(self.zetas))):
            raise ValueError("angular terms need λ = ±1 and ζ a whole number from 1 to 16")
        # (1 + λ cos)^ζ = Σ_k C(ζ, k) λ^k cos^k: (M, K+1) coefficients, K the largest ζ
        top = int(self.zetas.max())
        poly = np.zeros((len(self.zetas), top + 1))
        for m, (lam, zeta) in enumerate(zip(self.lambdas, self.zetas.astype(int))):
            poly[m, :zeta + 1] = [math.comb(zeta, k) * lam**k for k in range(zeta + 1)]
        object.__setattr__(self, "polynomial", poly)
        # the shell pairs a <= b, (S,) each
        a, b = np.triu_indices(len(self.centres))
        object.__setattr__(self, "shells", (a.astype(np.int64), b.astype(np.int64)))

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


@numba.njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "reassoc"})
def _angular_list(x, box, indptr, indices, cutoff, centres, eta):
    """The entries of the radial list closer than cutoff, with what every triple reads:
    (indptr (N+1,), indices (P,), u (P, 3) unit vectors i → j, dist (P,) [Å],
    g (P, R) radial shells g_n(d_ij), dg (P, R) their derivatives in d_ij)."""
    n, nr, size = x.shape[0], centres.shape[0], indices.shape[0]
    keep_indptr = np.empty(n + 1, dtype=np.int64)
    keep = np.empty(size, dtype=np.int64)
    u = np.empty((size, 3))
    dist = np.empty(size)
    inverse = inverse_edges(box)
    delta = np.empty(3)
    p = 0
    for i in range(n):
        keep_indptr[i] = p
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            r2 = 0.0
            for d in range(3):
                delta[d] = nearest_image(x[j, d] - x[i, d], box[d], inverse[d])
                r2 += delta[d] * delta[d]
            if r2 >= cutoff * cutoff:
                continue
            r = np.sqrt(r2)
            keep[p], dist[p] = j, r
            for d in range(3):
                u[p, d] = delta[d] / r
            p += 1
    keep_indptr[n] = p
    g = np.empty((p, nr))
    dg = np.empty((p, nr))
    for q in range(p):
        r = dist[q]
        arg = np.pi * r / cutoff
        fc = 0.5 * (np.cos(arg) + 1.0)
        dfc = -0.5 * np.pi / cutoff * np.sin(arg)
        for m in range(nr):
            gauss = np.exp(-eta * (r - centres[m]) ** 2)
            g[q, m] = gauss * fc
            dg[q, m] = gauss * (dfc - 2.0 * eta * (r - centres[m]) * fc)
    return keep_indptr, keep[:p].copy(), u[:p].copy(), dist[:p].copy(), g, dg


@numba.njit(cache=True, inline="always")
def _cos_powers(cos, powers):
    """powers[k] = cos^k, k = 0 .. K."""
    powers[0] = 1.0
    for k in range(1, powers.shape[0]):
        powers[k] = powers[k - 1] * cos


@numba.njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "reassoc"})
def _values_kernel(neighbour_species, channel, indptr, u, g, polynomial, shell_a, shell_b,
                   phi):
    """ψ (N, F) into phi over the filtered list (`_angular_list`); neighbour_species (P,),
    polynomial (M, K+1) the angular terms' coefficients in cos^k. Each atom sums the moments
    T[c, k, s] = Σ_jk cos^k pair_s over its triples, then ψ[c, m, s] = Σ_k poly[m, k] T[c, k, s]:
    no power per term and triple."""
    n_ang, n_pow, n_sh = polynomial.shape[0], polynomial.shape[1], shell_a.shape[0]
    n_channels = phi.shape[1] // (n_ang * n_sh)
    powers = np.empty(n_pow)
    moments = np.empty((n_channels, n_pow, n_sh))
    for i in range(phi.shape[0]):
        moments[:, :, :] = 0.0
        for t in range(indptr[i], indptr[i + 1]):
            sj = neighbour_species[t]
            for v in range(t + 1, indptr[i + 1]):
                c = channel[sj, neighbour_species[v]]
                _cos_powers(u[t, 0] * u[v, 0] + u[t, 1] * u[v, 1] + u[t, 2] * u[v, 2], powers)
                for s in range(n_sh):
                    a, b = shell_a[s], shell_b[s]
                    pair = 0.5 * (g[t, a] * g[v, b] + g[t, b] * g[v, a])
                    for k in range(n_pow):
                        moments[c, k, s] += powers[k] * pair
        for c in range(n_channels):
            for m in range(n_ang):
                for s in range(n_sh):
                    total = 0.0
                    for k in range(n_pow):
                        total += polynomial[m, k] * moments[c, k, s]
                    phi[i, (c * n_ang + m) * n_sh + s] = total


@numba.njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "reassoc"})
def _jacobian_kernel(neighbour_species, channel, indptr, u, dist, g, dg, polynomial, shell_a,
                     shell_b, jac):
    """jac (P, F, 3) = ∂ψ(i)/∂x_j per entry p = (i, j) of the filtered list."""
    n_ang, n_pow, n_sh = polynomial.shape[0], polynomial.shape[1], shell_a.shape[0]
    width = n_ang * n_sh
    powers = np.empty(n_pow)
    ang = np.empty(n_ang)
    dang = np.empty(n_ang)
    jac[:, :, :] = 0.0
    for i in range(indptr.shape[0] - 1):
        for t in range(indptr[i], indptr[i + 1]):
            sj = neighbour_species[t]
            for v in range(t + 1, indptr[i + 1]):
                col0 = channel[sj, neighbour_species[v]] * width
                cos = u[t, 0] * u[v, 0] + u[t, 1] * u[v, 1] + u[t, 2] * u[v, 2]
                _cos_powers(cos, powers)
                for m in range(n_ang):
                    ang[m] = polynomial[m, 0]
                    dang[m] = 0.0
                    for k in range(1, n_pow):
                        ang[m] += polynomial[m, k] * powers[k]
                        dang[m] += k * polynomial[m, k] * powers[k - 1]
                for s in range(n_sh):
                    a, b = shell_a[s], shell_b[s]
                    pair = 0.5 * (g[t, a] * g[v, b] + g[t, b] * g[v, a])
                    d_j = 0.5 * (dg[t, a] * g[v, b] + dg[t, b] * g[v, a])
                    d_k = 0.5 * (g[t, a] * dg[v, b] + g[t, b] * dg[v, a])
                    for m in range(n_ang):
                        col = col0 + m * n_sh + s
                        # ∂ψ/∂x_j = along_j û_j + across_j û_k with ∂cos/∂x_j = (û_k - cos û_j)/d_ij;
                        # j ↔ k likewise
                        across_j = pair * dang[m] / dist[t]
                        across_k = pair * dang[m] / dist[v]
                        along_j = ang[m] * d_j - across_j * cos
                        along_k = ang[m] * d_k - across_k * cos
                        for d in range(3):
                            jac[t, col, d] += along_j * u[t, d] + across_j * u[v, d]
                            jac[v, col, d] += along_k * u[v, d] + across_k * u[t, d]


@numba.njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "reassoc"})
def _gradient_kernel(indices, neighbour_species, channel, indptr, u, dist, g, dg, polynomial,
                     shell_a, shell_b, weights, self_only, grad):
    """grad (N, 3) = ∂/∂x_m Σ_i Σ_a weights[i, a] ψ_a(i) (self_only: only the m = i terms).
    The weights are folded into the cos polynomials first, per atom and channel:
    W[c, k, s] = Σ_m w[c, m, s] poly[m, k]; per triple A_s = Σ_k W cos^k and its derivative
    B_s, and the force on j is (Σ_s A_s ∂pair_s/∂d_ij - cos·c_j) û_j + c_j û_k with
    c_j = Σ_s B_s pair_s / d_ij (and j ↔ k)."""
    n_ang, n_pow, n_sh = polynomial.shape[0], polynomial.shape[1], shell_a.shape[0]
    n_channels = weights.shape[1] // (n_ang * n_sh)
    max_deg = 0
    for i in range(indptr.shape[0] - 1):
        max_deg = max(max_deg, indptr[i + 1] - indptr[i])
    powers = np.empty(n_pow)
    folded = np.empty((n_channels, n_sh, n_pow))
    slope = np.empty((n_channels, n_sh, n_pow))  # slope[.., k] = (k + 1) folded[.., k + 1]
    on = np.empty((max_deg, 3))
    grad[:, :] = 0.0
    for i in range(indptr.shape[0] - 1):
        start = indptr[i]
        for c in range(n_channels):
            for s in range(n_sh):
                for k in range(n_pow):
                    total = 0.0
                    for m in range(n_ang):
                        total += weights[i, (c * n_ang + m) * n_sh + s] * polynomial[m, k]
                    folded[c, s, k] = total
                for k in range(n_pow):
                    slope[c, s, k] = (k + 1) * folded[c, s, k + 1] if k + 1 < n_pow else 0.0
        on[:, :] = 0.0
        for t in range(start, indptr[i + 1]):
            sj = neighbour_species[t]
            for v in range(t + 1, indptr[i + 1]):
                c = channel[sj, neighbour_species[v]]
                cos = u[t, 0] * u[v, 0] + u[t, 1] * u[v, 1] + u[t, 2] * u[v, 2]
                _cos_powers(cos, powers)
                radial_j, radial_k, turn = 0.0, 0.0, 0.0
                for s in range(n_sh):
                    a, b = shell_a[s], shell_b[s]
                    big_a, big_b = 0.0, 0.0
                    for k in range(n_pow):
                        big_a += folded[c, s, k] * powers[k]
                        big_b += slope[c, s, k] * powers[k]
                    turn += big_b * 0.5 * (g[t, a] * g[v, b] + g[t, b] * g[v, a])
                    radial_j += big_a * 0.5 * (dg[t, a] * g[v, b] + dg[t, b] * g[v, a])
                    radial_k += big_a * 0.5 * (g[t, a] * dg[v, b] + g[t, b] * dg[v, a])
                across_j, across_k = turn / dist[t], turn / dist[v]
                along_j, along_k = radial_j - across_j * cos, radial_k - across_k * cos
                for d in range(3):
                    on[t - start, d] += along_j * u[t, d] + across_j * u[v, d]
                    on[v - start, d] += along_k * u[v, d] + across_k * u[t, d]
        for t in range(start, indptr[i + 1]):
            for d in range(3):
                grad[i, d] -= on[t - start, d]
                if not self_only:
                    grad[indices[t], d] += on[t - start, d]


@dataclass(frozen=True)
class AngularInvariants:
    """values: (N, F) ψ; jacobian: (P, F, 3) ∂ψ(i)/∂x_j of each entry p = (i, j) of the
    list filtered to d < r_a (CSR indptr, indices), or None when not stored; geometry: the
    rest of `_angular_list`'s output (u, dist, g, dg), species of the neighbours, the basis
    and n_species: what the triple loop needs to run again (contract_gradient)."""

    values: np.ndarray
    jacobian: np.ndarray | None
    indptr: np.ndarray
    indices: np.ndarray
    geometry: tuple = field(repr=False)
    neighbour_species: np.ndarray = field(repr=False)
    basis: AngularBasis = field(repr=False)
    n_species: int


def angular_invariants(positions, species, nlist: NeighbourList, basis: AngularBasis,
                       n_species: int = 2, jacobian: bool = True) -> AngularInvariants:
    """ψ for every atom. positions: (N, 3) [Å]; species: (N,) ints in [0, n_species);
    nlist: an up-to-date 3-D NeighbourList with cutoff >= basis.cutoff. jacobian=False
    stores no gradient blocks (contract_gradient then computes the gradient directly)."""
    x, species = check_atoms(positions, species, nlist, basis.cutoff, n_species)
    box = as_kernel_box(nlist.box, 3)
    indptr, indices, u, dist, g, dg = _angular_list(x, box, nlist.indptr, nlist.indices,
                                                    basis.cutoff, basis.centres, basis.eta)
    neighbour_species = species[indices]
    channel = pair_channels(n_species)
    shell_a, shell_b = basis.shells
    values = np.empty((len(x), basis.n_features(n_species)))
    _values_kernel(neighbour_species, channel, indptr, u, g, basis.polynomial, shell_a,
                   shell_b, values)
    jac = None
    if jacobian:
        jac = np.empty((len(indices), values.shape[1], 3))
        _jacobian_kernel(neighbour_species, channel, indptr, u, dist, g, dg, basis.polynomial,
                         shell_a, shell_b, jac)
    return AngularInvariants(values, jac, indptr, indices, (u, dist, g, dg), neighbour_species,
                             basis, n_species)


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
        u, dist, g, dg = inv.geometry
        shell_a, shell_b = inv.basis.shells
        _gradient_kernel(inv.indices, inv.neighbour_species, pair_channels(inv.n_species),
                         inv.indptr, u, dist, g, dg, inv.basis.polynomial, shell_a, shell_b,
                         weights, self_only, out)
        return out
    _contract_kernel(inv.indptr, inv.indices, inv.jacobian, weights, self_only, out)
    return out
