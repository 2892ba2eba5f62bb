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
    """values, slopes: (K + 1, nb) h_n and dh_n/dd at d_k = start + k·step (d_K = cutoff)."""

    start: float
    step: float
    values: np.ndarray
    slopes: np.ndarray


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


@numba.njit(cache=True, inline="always")
def hermite_weights(d, t_start, t_step, last):
    """Interval k of the table holding distance d (>= t_start) and the cubic Hermite weights
    (h00, h10, h01, h11) of the value and (d00, d10, d01, d11) of the slope there."""
    t = (d - t_start) / t_step
    k = min(int(t), last - 1)
    u = t - k
    u2 = u * u
    u3 = u2 * u
    return k, (2 * u3 - 3 * u2 + 1, u3 - 2 * u2 + u, 3 * u2 - 2 * u3, u3 - u2,
               6 * u2 - 6 * u, 3 * u2 - 4 * u + 1, 6 * u - 6 * u2, 3 * u2 - 2 * u)


@numba.njit(cache=True, inline="always")
def hermite_value(t_values, t_slopes, t_step, k, n, weights):
    """h_n and dh_n/dd interpolated in table interval k with `hermite_weights`."""
    h00, h10, h01, h11, d00, d10, d01, d11 = weights
    y0, y1 = t_values[k, n], t_values[k + 1, n]
    m0, m1 = t_slopes[k, n] * t_step, t_slopes[k + 1, n] * t_step
    return (h00 * y0 + h10 * m0 + h01 * y1 + h11 * m1,
            (d00 * y0 + d10 * m0 + d01 * y1 + d11 * m1) / t_step)


@numba.njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "reassoc"})
def _radial_kernel(x, species, n_species, box, indptr, indices, mirror, kind, centres, eta,
                   cutoff, t_start, t_step, t_values, t_slopes, phi, slope, unit, both, pairs):
    """φ, per-pair slopes and unit vectors; h_n from the cubic Hermite table (exact below
    t_start). The slope is the exact derivative of the interpolant, so forces stay the
    gradient of the interpolated loss. Each pair is evaluated once (i < j). With `both` its
    slopes and unit vector go to its entries (i, j) and (j, i) (serial loop: writing row j is
    safe); without, only pairs inside the cutoff are kept, packed in list order: row k of
    slope and unit. pairs (K, 3) gets (i, j, row) of each pair inside the cutoff; returns K."""
    nb = centres.shape[0]
    last = t_values.shape[0] - 1
    phi[:, :] = 0.0
    kept = 0
    inverse = inverse_edges(box)
    for i in range(x.shape[0]):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j < i:
                continue
            rx = nearest_image(x[j, 0] - x[i, 0], box[0], inverse[0])
            ry = nearest_image(x[j, 1] - x[i, 1], box[1], inverse[1])
            rz = nearest_image(x[j, 2] - x[i, 2], box[2], inverse[2])
            d = np.sqrt(rx * rx + ry * ry + rz * rz)
            q = mirror[p]
            if both:
                unit[q, 0], unit[q, 1], unit[q, 2] = -rx / d, -ry / d, -rz / d
                unit[p, 0], unit[p, 1], unit[p, 2] = rx / d, ry / d, rz / d
                if d >= cutoff:
                    for n in range(nb):
                        slope[p, n] = 0.0
                        slope[q, n] = 0.0
                    continue
            elif d >= cutoff:
                continue
            row = p if both else kept
            pairs[kept, 0], pairs[kept, 1], pairs[kept, 2] = i, j, row
            kept += 1
            if not both:
                unit[row, 0], unit[row, 1], unit[row, 2] = rx / d, ry / d, rz / d
            col_i, col_j = species[j] * nb, species[i] * nb
            if d < t_start:
                for n in range(nb):
                    h, dh = _exact_one(kind, centres, eta, cutoff, d, n)
                    phi[i, col_i + n] += h
                    phi[j, col_j + n] += h
                    slope[row, n] = dh
                    if both:
                        slope[q, n] = dh
                continue
            k, weights = hermite_weights(d, t_start, t_step, last)
            for n in range(nb):
                h, dh = hermite_value(t_values, t_slopes, t_step, k, n, weights)
                phi[i, col_i + n] += h
                phi[j, col_j + n] += h
                slope[row, n] = dh
                if both:
                    slope[q, n] = dh
    return kept


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


def radial_invariants(positions, species, nlist: NeighbourList, basis: RadialBasis,
                      n_species: int = 2, both_sides: bool = True) -> RadialInvariants:
    """φ for every atom. positions: (N, 3) [Å]; species: (N,) ints in [0, n_species);
    nlist: an up-to-date 3-D NeighbourList with cutoff >= basis.cutoff. both_sides=False
    keeps slopes and unit vectors of the pairs inside the cutoff only, packed (all
    `contract_gradient` reads: less memory to write and read than a row per list entry)."""
    x, species = check_atoms(positions, species, nlist, basis.cutoff, n_species)
    nb = basis.size
    phi = np.empty((len(x), n_species * nb))
    rows = len(nlist.indices) if both_sides else len(nlist.indices) // 2
    slope = np.empty((rows, nb))
    unit = np.empty((rows, 3))
    pairs = np.empty((len(nlist.indices) // 2, 3), dtype=np.int64)
    table = basis.table()
    kept = _radial_kernel(x, species, n_species, as_kernel_box(nlist.box, 3), nlist.indptr,
                          nlist.indices, nlist.mirror, KINDS[basis.kind], basis.centres,
                          basis.eta, basis.cutoff, table.start, table.step, table.values,
                          table.slopes, phi, slope, unit, both_sides, pairs)
    return RadialInvariants(phi, slope, unit, nlist.indptr, nlist.indices, species, n_species,
                            pairs[:kept])


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
