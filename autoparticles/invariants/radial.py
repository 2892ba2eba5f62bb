"""Species-resolved radial invariants of atoms (specs/water.md, "Invariants").

For atom k and neighbour species B:  φ_{B,n}(k) = Σ_{j≠k, type(j)=B} g_n(d_kj) f_c(d_kj),
with the smooth cutoff f_c(d) = ½(cos(πd/r_c) + 1) for d < r_c (0 beyond), minimum image, and a
basis g_n of inverse powers (1 Å/d)^n or Gaussians exp(-η(d - r_n)²). Column a = B·nb + n.

Gradients are analytic and returned per listed pair; `contract_gradient` applies the chain
rule ∂/∂x_m Σ_k Σ_a W[k, a] φ_a(k) for any per-atom weights W (for a loss, W = ∂H/∂φ).
"""

from dataclasses import dataclass, field

import numba
import numpy as np

from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.space import as_kernel_box, check_atoms, inverse_edges, nearest_image

INVERSE, GAUSSIAN = 0, 1
KINDS = {"inverse": INVERSE, "gaussian": GAUSSIAN}


@dataclass(frozen=True)
class RadialBasis:
    """kind: 'inverse' (centres = powers n) or 'gaussian' (centres = r_n [Å], width eta
    [1/Å²]); cutoff r_c [Å]."""

    kind: str
    centres: np.ndarray = field(repr=False)
    cutoff: float = 6.0
    eta: float = 0.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"basis kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        if not np.isfinite(self.cutoff) or self.cutoff <= 0:
            raise ValueError(f"cutoff must be positive, got {self.cutoff}")
        if self.kind == "gaussian" and self.eta <= 0:
            raise ValueError(f"gaussian basis needs eta > 0, got {self.eta}")
        object.__setattr__(self, "centres", np.asarray(self.centres, dtype=np.float64))

    @classmethod
    def inverse_powers(cls, cutoff: float = 6.0, powers=(1, 2, 3, 4, 6, 8, 10, 12)):
        return cls("inverse", np.asarray(powers, dtype=np.float64), cutoff)

    @classmethod
    def gaussians(cls, cutoff: float = 6.0, count: int = 16, start: float = 0.8,
                  stop: float | None = None, eta: float | None = None):
        """`count` Gaussians centred on an even grid from `start` to `stop` (default: cutoff);
        eta defaults to 1/(2 s²) with s the grid spacing."""
        centres = np.linspace(start, cutoff if stop is None else stop, count)
        spacing = centres[1] - centres[0] if count > 1 else 1.0
        return cls("gaussian", centres, cutoff, 0.5 / spacing**2 if eta is None else eta)

    @property
    def size(self) -> int:
        return len(self.centres)

    def table(self) -> "BasisTable":
        """Cubic Hermite table of h_n(d) = g_n(d) f_c(d), built once per basis."""
        cached = self.__dict__.get("_table")
        if cached is None:
            cached = _build_table(self)
            object.__setattr__(self, "_table", cached)
        return cached


TABLE_START = 0.4
"""Below this distance [Å] the basis is evaluated exactly instead of from the table."""
TABLE_STEP = 0.002
"""Table spacing [Å]; cubic Hermite interpolation errors are ~1e-12 relative."""


@dataclass(frozen=True)
class BasisTable:
    """values, slopes: (K + 1, nb) h_n and dh_n/dd at d_k = start + k·step (d_K = cutoff);
    tangents = slopes·step, the form the interpolation reads."""

    start: float
    step: float
    values: np.ndarray
    slopes: np.ndarray

    @property
    def tangents(self) -> np.ndarray:
        cached = self.__dict__.get("_tangents")
        if cached is None:
            cached = self.slopes * self.step
            object.__setattr__(self, "_tangents", cached)
        return cached


def basis_values(basis: "RadialBasis", distances) -> tuple[np.ndarray, np.ndarray]:
    """(values, slopes), each (K, nb): h_n(d) = g_n(d) f_c(d) and dh_n/dd, evaluated exactly
    at distances (K,) [Å] (zero at and beyond the cutoff)."""
    grid = np.ascontiguousarray(distances, dtype=np.float64)
    values = np.empty((len(grid), basis.size))
    slopes = np.empty_like(values)
    _exact_rows(KINDS[basis.kind], basis.centres, basis.eta, basis.cutoff, grid, values, slopes)
    return values, slopes


def _build_table(basis: "RadialBasis") -> BasisTable:
    count = int(np.ceil((basis.cutoff - TABLE_START) / TABLE_STEP))
    step = (basis.cutoff - TABLE_START) / count
    values, slopes = basis_values(basis, TABLE_START + step * np.arange(count + 1))
    return BasisTable(TABLE_START, step, values, slopes)


@numba.njit(cache=True, inline="always")
def _basis_value_and_slope(kind, centre, eta, d):
    if kind == INVERSE:
        g = d ** (-centre)
        return g, -centre * g / d
    g = np.exp(-eta * (d - centre) ** 2)
    return g, -2.0 * eta * (d - centre) * g


@numba.njit(cache=True, inline="always")
def _exact_one(kind, centres, eta, cutoff, d, n):
    """h_n(d) = g_n(d) f_c(d) and its derivative, evaluated directly."""
    if d >= cutoff:
        return 0.0, 0.0
    arg = np.pi * d / cutoff
    fc = 0.5 * (np.cos(arg) + 1.0)
    dfc = -0.5 * np.pi / cutoff * np.sin(arg)
    g, dg = _basis_value_and_slope(kind, centres[n], eta, d)
    return g * fc, dg * fc + g * dfc


@numba.njit(cache=True)
def _exact_rows(kind, centres, eta, cutoff, grid, values, slopes):
    for k in range(grid.shape[0]):
        for n in range(centres.shape[0]):
            values[k, n], slopes[k, n] = _exact_one(kind, centres, eta, cutoff, grid[k], n)


FAST = {"contract", "arcp", "reassoc"}
"""Floating-point freedoms of the kernels (no assumptions about NaN or infinity)."""


@numba.njit(cache=True, error_model="numpy", fastmath=FAST)
def _pair_geometry(x, box, indptr, indices, cutoff, distance, unit, pairs):
    """Pairs i < j of the list closer than the cutoff, in list order: distance (K,) [Å],
    unit (K, 3) r̂ = (x_j - x_i)/d, pairs (K, 3) (i, j, list entry of (i, j)); returns K."""
    inverse = inverse_edges(box)
    kept = 0
    for i in range(x.shape[0]):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j < i:
                continue
            rx = nearest_image(x[j, 0] - x[i, 0], box[0], inverse[0])
            ry = nearest_image(x[j, 1] - x[i, 1], box[1], inverse[1])
            rz = nearest_image(x[j, 2] - x[i, 2], box[2], inverse[2])
            d = np.sqrt(rx * rx + ry * ry + rz * rz)
            if d >= cutoff:
                continue
            distance[kept] = d
            unit[kept, 0], unit[kept, 1], unit[kept, 2] = rx / d, ry / d, rz / d
            pairs[kept, 0], pairs[kept, 1], pairs[kept, 2] = i, j, p
            kept += 1
    return kept


@numba.njit(cache=True, error_model="numpy", fastmath=FAST)
def _basis_rows(kind, centres, eta, cutoff, t_start, t_step, t_values, t_tangents, distance,
                values, slopes):
    """values, slopes (K, nb): h_n(d) and dh_n/dd of each distance from the cubic Hermite
    table (exact below t_start). The slope is the exact derivative of the interpolant, so
    forces stay the gradient of the interpolated loss. Rows are independent: this loop has
    no scatter and the compiler can vectorise it."""
    nb = centres.shape[0]
    last = t_values.shape[0] - 1
    inv_step = 1.0 / t_step
    for r in range(distance.shape[0]):
        d = distance[r]
        if d < t_start:
            for n in range(nb):
                values[r, n], slopes[r, n] = _exact_one(kind, centres, eta, cutoff, d, n)
            continue
        t = (d - t_start) * inv_step
        k = min(int(t), last - 1)
        u = t - k
        u2 = u * u
        u3 = u2 * u
        h00, h10, h01, h11 = 2 * u3 - 3 * u2 + 1, u3 - 2 * u2 + u, 3 * u2 - 2 * u3, u3 - u2
        d00, d10 = (6 * u2 - 6 * u) * inv_step, (3 * u2 - 4 * u + 1) * inv_step
        d01, d11 = (6 * u - 6 * u2) * inv_step, (3 * u2 - 2 * u) * inv_step
        for n in range(nb):
            y0, y1 = t_values[k, n], t_values[k + 1, n]
            m0, m1 = t_tangents[k, n], t_tangents[k + 1, n]
            values[r, n] = h00 * y0 + h10 * m0 + h01 * y1 + h11 * m1
            slopes[r, n] = d00 * y0 + d10 * m0 + d01 * y1 + d11 * m1


@numba.njit(cache=True)
def _add_pair_values(pairs, species, values, phi):
    """φ (N, S·nb) = Σ over pairs of h(d_ij), into column block type(j) of row i and block
    type(i) of row j (serial loop)."""
    nb = values.shape[1]
    phi[:, :] = 0.0
    for r in range(pairs.shape[0]):
        i, j = pairs[r, 0], pairs[r, 1]
        col_i, col_j = species[j] * nb, species[i] * nb
        for n in range(nb):
            phi[i, col_i + n] += values[r, n]
            phi[j, col_j + n] += values[r, n]


@numba.njit(cache=True)
def _both_sided(pairs, mirror, slopes, unit, slope_rows, unit_rows):
    """Spread packed pair rows to a row per list entry: (i, j) gets r̂, (j, i) gets -r̂, both
    the slopes, entries beyond the cutoff zero slopes; pairs' third column becomes the
    entry of (i, j). Entries beyond the cutoff get zero slopes and unit vectors."""
    slope_rows[:, :] = 0.0
    unit_rows[:, :] = 0.0
    for r in range(pairs.shape[0]):
        p = pairs[r, 2]
        q = mirror[p]
        for n in range(slopes.shape[1]):
            slope_rows[p, n] = slopes[r, n]
            slope_rows[q, n] = slopes[r, n]
        for d in range(3):
            unit_rows[p, d] = unit[r, d]
            unit_rows[q, d] = -unit[r, d]
        pairs[r, 2] = p


@dataclass(frozen=True)
class RadialInvariants:
    """values: (N, S·nb) φ; slope: (R, nb) dφ/dd; unit: (R, 3) r̂ = (x_j - x_i)/d;
    pairs: (K, 3) (i, j, row) of each pair i < j inside the cutoff, in list order, its slopes
    and unit vector at that row: ∂φ_{type(j)·nb+n}(i)/∂x_j = slope[row, n]·unit[row] =
    -∂/∂x_i of the same term. Both-sided invariants have a row per list entry (CSR order of
    indptr, indices; zero beyond the cutoff); one-sided ones row k for the k-th pair."""

    values: np.ndarray
    slope: np.ndarray
    unit: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    species: np.ndarray
    n_species: int
    pairs: np.ndarray


class RadialWorkspace:
    """Buffers one caller reuses from call to call of `radial_invariants` (fresh arrays of a
    megabyte cost more in page faults than the kernels take). The arrays of a result made with
    a workspace are views into it: the next call with the same workspace overwrites them."""

    def __init__(self):
        self.capacity, self.nb = 0, 0

    def arrays(self, pairs: int, nb: int):
        """(distance (P,), unit (P, 3), pairs (P, 3), values (P, nb), slopes (P, nb)), P >= pairs."""
        if pairs > self.capacity or nb != self.nb:
            self.capacity, self.nb = int(1.25 * pairs) + 16, nb
            self.buffers = (np.empty(self.capacity), np.empty((self.capacity, 3)),
                            np.empty((self.capacity, 3), dtype=np.int64),
                            np.empty((self.capacity, nb)), np.empty((self.capacity, nb)))
        return self.buffers


def radial_invariants(positions, species, nlist: NeighbourList, basis: RadialBasis,
                      n_species: int = 2, both_sides: bool = True,
                      workspace: RadialWorkspace | None = None) -> RadialInvariants:
    """φ for every atom. positions: (N, 3) [Å]; species: (N,) ints in [0, n_species);
    nlist: an up-to-date 3-D NeighbourList with cutoff >= basis.cutoff. both_sides=False
    keeps slopes and unit vectors of the pairs inside the cutoff only, packed (all
    `contract_gradient` reads: less memory to write and read than a row per list entry).
    workspace: buffers to reuse (see RadialWorkspace); None allocates new ones."""
    x, species = check_atoms(positions, species, nlist, basis.cutoff, n_species)
    listed = len(nlist.indices) // 2
    distance, unit, pairs, values, slope = (workspace or RadialWorkspace()).arrays(listed,
                                                                                 basis.size)
    kept = _pair_geometry(x, as_kernel_box(nlist.box, 3), nlist.indptr, nlist.indices,
                          basis.cutoff, distance, unit, pairs)
    pairs, distance, unit, values, slope = (a[:kept] for a in (pairs, distance, unit, values,
                                                                slope))
    table = basis.table()
    _basis_rows(KINDS[basis.kind], basis.centres, basis.eta, basis.cutoff, table.start,
                table.step, table.values, table.tangents, distance, values, slope)
    phi = np.empty((len(x), n_species * basis.size))
    _add_pair_values(pairs, species, values, phi)
    if both_sides:
        slope_rows, unit_rows = np.empty((2 * listed, basis.size)), np.empty((2 * listed, 3))
        _both_sided(pairs, nlist.mirror, slope, unit, slope_rows, unit_rows)
        slope, unit, pairs = slope_rows, unit_rows, pairs.copy()
    else:
        pairs[:, 2] = np.arange(kept)
    return RadialInvariants(phi, slope, unit, nlist.indptr, nlist.indices, species, n_species,
                            pairs)


@numba.njit(cache=True)
def _contract_kernel(pairs, species, slope, unit, weights, self_only, out):
    """G[i] = -Σ_j (c_ij + c_ji) r̂_ij (self_only: -Σ_j c_ij r̂_ij) with
    c_ij = Σ_n weights[i, type(j)·nb + n] slope[(i, j), n]; each pair once (i < j), both
    rows written (serial loop)."""
    nb = slope.shape[1]
    out[:, :] = 0.0
    for k in range(pairs.shape[0]):
        i, j, p = pairs[k, 0], pairs[k, 1], pairs[k, 2]
        ci, cj = species[i] * nb, species[j] * nb
        own = 0.0
        other = 0.0
        for n in range(nb):
            own += weights[i, cj + n] * slope[p, n]
            other += weights[j, ci + n] * slope[p, n]
        on_i = own if self_only else own + other
        on_j = other if self_only else own + other
        for d in range(3):
            out[i, d] -= on_i * unit[p, d]
            out[j, d] += on_j * unit[p, d]


def contract_gradient(inv: RadialInvariants, weights, self_only: bool = False) -> np.ndarray:
    """(N, 3) gradient ∂/∂x_m of Σ_k Σ_a weights[k, a] φ_a(k), weights held fixed.

    self_only=True keeps only the terms of each atom's own invariants (∂φ(m)/∂x_m), the
    'agent' reading in which an atom descends only its own loss."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.shape != inv.values.shape:
        raise ValueError(f"weights must have shape {inv.values.shape}, got {weights.shape}")
    out = np.zeros((len(weights), 3))
    _contract_kernel(inv.pairs, inv.species, inv.slope, inv.unit, weights, self_only, out)
    return out
