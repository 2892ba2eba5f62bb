"""The one neighbour search: a cell list with a skin producing a full Verlet list.

The list holds every pair (i, j), i != j, closer than `cutoff + skin`, from both sides, in
compressed-row form: the neighbours of i are `indices[indptr[i]:indptr[i + 1]]`. It is rebuilt
only when some particle has moved more than half the skin since the last build. A brute-force
O(N²) twin (`brute_force_pairs`) exists for the tests.
"""

import functools
import itertools

import numba
import numpy as np

from autoparticles.invariants.space import (
    as_kernel_box,
    check_box,
    check_cutoff,
    check_positions,
    displacement,
    inverse_edges,
    minimum_image,
    nearest_image,
)


CELL_REACH = {2: 1, 3: 2}
"""Per dimension (others: 1): cells are at least list_range / reach wide and each scans the
(2·reach + 1)^D cells around it. In 3-D, reach 2 searches 125/8 ≈ 16 cell volumes of
list_range³ per particle instead of 27 (and small boxes get more than 3 cells a side: a
512-H₂O build 2× faster); in 2-D at the driving density the smaller cells hold under one
particle each and reach 1 builds faster (14 against 20 ms at N = 10⁴)."""


def _grid(positions: np.ndarray, box: np.ndarray | None, cell_min: float):
    """Origin (D,), cell size (D,) and cell counts (D,) of a grid with cells >= cell_min."""
    if box is not None:
        ncell = np.maximum(1, np.floor(box / cell_min).astype(np.int64))
        return np.zeros_like(box), box / ncell, ncell
    low = positions.min(axis=0)
    extent = positions.max(axis=0) - low + 1e-9
    ncell = np.maximum(1, np.floor(extent / cell_min).astype(np.int64))
    budget = max(1, 4 * len(positions))
    while np.prod(ncell) > budget:
        ncell = np.maximum(1, ncell // 2)
    return low, extent / ncell, ncell


@functools.lru_cache(maxsize=16)
def _neighbour_cells(shape: tuple[int, ...], periodic: bool) -> np.ndarray:
    """(C, (2·reach + 1)^D) flat indices of each cell's distinct neighbour cells (reach:
    CELL_REACH of the dimension), padded with -1."""
    ncell = np.array(shape)
    dim = len(ncell)
    index = np.stack(np.unravel_index(np.arange(np.prod(ncell)), ncell), axis=1)
    reach = CELL_REACH.get(dim, 1)
    offsets = np.array(list(itertools.product(range(-reach, reach + 1), repeat=dim)))
    near = index[:, None, :] + offsets[None, :, :]
    if periodic:
        valid = np.ones(near.shape[:2], dtype=bool)
        near = np.mod(near, ncell)
    else:
        valid = np.all((near >= 0) & (near < ncell), axis=2)
        near = np.clip(near, 0, ncell - 1)
    flat = np.ravel_multi_index(tuple(near.transpose(2, 0, 1)), ncell)
    flat = np.where(valid, flat, -1)
    flat.sort(axis=1)
    duplicate = np.zeros_like(valid)
    duplicate[:, 1:] = flat[:, 1:] == flat[:, :-1]
    flat[duplicate] = -1
    return flat


@numba.njit(cache=True)
def _cell_of(positions, origin, cell_size, ncell, periodic):
    n, dim = positions.shape
    cells = np.empty(n, dtype=np.int64)
    for i in range(n):
        flat = 0
        for d in range(dim):
            c = int(np.floor((positions[i, d] - origin[d]) / cell_size[d]))
            if periodic:
                c = c % ncell[d]
            else:
                c = min(max(c, 0), ncell[d] - 1)
            flat = flat * ncell[d] + c
        cells[i] = flat
    return cells


@numba.njit(cache=True)
def _bin_by_cell(cells, n_cells):
    """Counting sort: (n_cells + 1) start offsets and the particle order grouped by cell."""
    start = np.zeros(n_cells + 1, dtype=np.int64)
    for c in cells:
        start[c + 1] += 1
    for c in range(n_cells):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    order = np.empty(cells.shape[0], dtype=np.int64)
    for i in range(cells.shape[0]):
        order[fill[cells[i]]] = i
        fill[cells[i]] += 1
    return start, order


@numba.njit(cache=True)
def _full_list(positions, box, rlist2, cells, cell_start, cell_atoms, neighbour_cells,
               capacity):
    """CSR (indptr, indices) of all pairs closer than sqrt(rlist2), both directions, mirror:
    the position of (j, i) for the entry (i, j), and the entry count; when that exceeds
    `capacity` the arrays are incomplete: ask again with the count. One pass, each distance
    checked once (from the lower index): row i holds first its neighbours j < i, handed on
    by row j, then those j > i it finds itself."""
    n, dim = positions.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices = np.empty(capacity, dtype=np.int64)
    mirror = np.empty(capacity, dtype=np.int64)
    lower = np.zeros(n, dtype=np.int64)  # per row i: entries (j, i) found with j < i
    waiting = np.full(n, -1, dtype=np.int64)  # the last of them
    earlier = np.empty(capacity, dtype=np.int64)  # the one found before it
    finder = np.empty(capacity, dtype=np.int64)  # j, the row holding the entry
    inverse = inverse_edges(box)
    count = 0
    for i in range(n):
        if count + lower[i] > capacity:
            count += lower[i]
        else:
            p = waiting[i]
            while p >= 0:
                indices[count], mirror[count], mirror[p] = finder[p], p, count
                count += 1
                p = earlier[p]
        for k in range(neighbour_cells.shape[1]):
            cc = neighbour_cells[cells[i], k]
            if cc < 0:
                continue
            for q in range(cell_start[cc], cell_start[cc + 1]):
                j = cell_atoms[q]
                if j <= i:
                    continue
                d2 = 0.0
                for d in range(dim):
                    delta = nearest_image(positions[j, d] - positions[i, d], box[d], inverse[d])
                    d2 += delta * delta
                if d2 < rlist2:
                    lower[j] += 1
                    if count < capacity:
                        indices[count], finder[count] = j, i
                        earlier[count], waiting[j] = waiting[j], count
                    count += 1
        indptr[i + 1] = count
    return indptr, indices[:count], mirror[:count], count


@numba.njit(cache=True)
def _scanned_list(positions, box, rlist2, cells, cell_start, cell_atoms, neighbour_cells,
                  capacity):
    """CSR (indptr, indices) of all pairs closer than sqrt(rlist2), both directions, and the
    entry count (over `capacity`: incomplete, ask again with the count). Every row scans its
    own cells, so each distance is checked twice, against positions copied into cell order
    (contiguous per cell): no hand-on of entries and no mirror, 1.8× faster than
    `_full_list` in the 2-D driving world at N = 10⁴."""
    n, dim = positions.shape
    ordered = np.empty((n, dim))
    for q in range(n):
        for d in range(dim):
            ordered[q, d] = positions[cell_atoms[q], d]
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices = np.empty(capacity + 1, dtype=np.int64)  # + a slot that takes the rejected
    inverse = inverse_edges(box)
    count = 0
    three = dim == 3
    for i in range(n):
        xi, yi, zi = positions[i, 0], positions[i, 1], positions[i, dim - 1]
        for k in range(neighbour_cells.shape[1]):
            cc = neighbour_cells[cells[i], k]
            if cc < 0:
                continue
            for q in range(cell_start[cc], cell_start[cc + 1]):
                # written out, not looped over dim: 1.4× faster
                dx = nearest_image(ordered[q, 0] - xi, box[0], inverse[0])
                dy = nearest_image(ordered[q, 1] - yi, box[1], inverse[1])
                d2 = dx * dx + dy * dy
                if three:
                    dz = nearest_image(ordered[q, 2] - zi, box[2], inverse[2])
                    d2 += dz * dz
                j = cell_atoms[q]
                # branch-free: always store, keep by advancing (a kept pair is a coin flip
                # for the branch predictor)
                indices[min(count, capacity)] = j
                count += (d2 < rlist2) & (j != i)
        indptr[i + 1] = count
    return indptr, indices[:min(count, capacity)], count


@numba.njit(cache=True)
def _max_shift2(positions, reference, box):
    n, dim = positions.shape
    worst = 0.0
    for i in range(n):
        d2 = 0.0
        for d in range(dim):
            delta = minimum_image(positions[i, d] - reference[i, d], box[d])
            d2 += delta * delta
        worst = max(worst, d2)
    return worst


class NeighbourList:
    """Full Verlet list on a cell list, with a skin.

    cutoff: interaction range (<= L/2 in a periodic box, so one image of a pair at most is in
    range); skin: extra margin so the list stays valid until a particle moved skin/2. The list
    holds the pairs whose minimum-image distance is below cutoff + skin, which may exceed L/2:
    a pair outside it at the build cannot come within the cutoff before one of its two
    particles moved skin/2 (each image moves as the pair does). box: None for free space or
    (D,) edges; reorder: when True, each rebuild sorts particles by cell and `update` returns
    the permutation the caller must apply to its own arrays; mirrored: when False, `mirror`
    (the entry of (j, i) for each entry (i, j), which pair-force kernels use) is not kept
    (None) and the list is built by a faster scan.
    """

    def __init__(self, cutoff: float, box=None, skin: float | None = None, dim: int = 2,
                 reorder: bool = False, mirrored: bool = True):
        self.box = check_box(box, dim)
        self.dim = dim
        self.cutoff = check_cutoff(cutoff, self.box)
        skin = 0.2 * cutoff if skin is None else float(skin)
        if skin < 0:
            raise ValueError(f"skin must be >= 0, got {skin}")
        self.skin = skin
        self.reorder = reorder
        self.mirrored = mirrored
        self.indptr = np.zeros(1, dtype=np.int64)
        self.indices = np.zeros(0, dtype=np.int64)
        self.mirror = np.zeros(0, dtype=np.int64)
        self.builds = 0
        self._capacity = 0  # entry slots the next build allocates (the last count + 25 %)
        self._reference: np.ndarray | None = None

    @property
    def list_range(self) -> float:
        return self.cutoff + self.skin

    def needs_rebuild(self, positions: np.ndarray) -> bool:
        if self._reference is None or self._reference.shape != positions.shape:
            return True
        shift2 = _max_shift2(positions, self._reference, as_kernel_box(self.box, self.dim))
        return shift2 > (0.5 * self.skin) ** 2

    def update(self, positions) -> np.ndarray | None:
        """Rebuild when needed. Returns the applied cell-order permutation (reorder=True and
        a rebuild happened: apply `arr = arr[perm]` to every per-particle array), else None."""
        positions = check_positions(positions, dim=self.dim)
        if not self.needs_rebuild(positions):
            return None
        return self.build(positions)

    def build(self, positions) -> np.ndarray | None:
        positions = check_positions(positions, dim=self.dim)
        periodic = self.box is not None
        origin, size, ncell = _grid(positions, self.box, self.list_range / CELL_REACH.get(self.dim, 1))
        cells = _cell_of(positions, origin, size, ncell, periodic)
        n_cells = int(np.prod(ncell))
        cell_start, order = _bin_by_cell(cells, n_cells)
        perm = None
        if self.reorder:
            perm = order
            positions, cells = positions[perm], cells[perm]
            order = np.arange(len(positions))
        stencil = _neighbour_cells(tuple(int(c) for c in ncell), periodic)
        box = as_kernel_box(self.box, self.dim)
        while True:
            if self.mirrored:
                self.indptr, self.indices, self.mirror, count = _full_list(
                    positions, box, self.list_range**2, cells, cell_start, order, stencil,
                    self._capacity)
            else:
                self.indptr, self.indices, count = _scanned_list(
                    positions, box, self.list_range**2, cells, cell_start, order, stencil,
                    self._capacity)
                self.mirror = None
            if count <= self._capacity:
                break
            self._capacity = count
        self._capacity = count + count // 4
        self._reference = positions.copy()
        self.builds += 1
        return perm

    def pairs_within(self, positions, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """(i, j) index arrays of listed pairs closer than `radius` (<= cutoff + skin)."""
        positions = check_positions(positions, dim=self.dim)
        i = np.repeat(np.arange(len(positions)), np.diff(self.indptr))
        j = self.indices
        delta = displacement(positions[i], positions[j], self.box)
        keep = np.einsum("pd,pd->p", delta, delta) < radius ** 2
        return i[keep], j[keep]


@numba.njit(cache=True)
def insert_nearest(best_d, best_j, dist, j):
    """Keep (best_d, best_j) sorted by distance with the k closest seen so far."""
    k = best_d.shape[0]
    slot = k
    while slot > 0 and dist < best_d[slot - 1]:
        slot -= 1
    if slot < k:
        for s in range(k - 1, slot, -1):
            best_d[s], best_j[s] = best_d[s - 1], best_j[s - 1]
        best_d[slot], best_j[slot] = dist, j


@numba.njit(cache=True)
def _nearest_kernel(x, box, indptr, indices, radius, out):
    k = out.shape[1]
    best_d = np.empty(k)
    for i in range(x.shape[0]):
        best_d[:] = np.inf
        out[i, :] = -1
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            d2 = 0.0
            for d in range(x.shape[1]):
                delta = minimum_image(x[j, d] - x[i, d], box[d])
                d2 += delta * delta
            if d2 < radius * radius:
                insert_nearest(best_d, out[i], np.sqrt(d2), j)


def nearest_neighbours(positions, nlist: "NeighbourList", k: int, radius: float) -> np.ndarray:
    """(N, k) indices of each particle's k nearest listed neighbours closer than `radius`,
    nearest first, padded with -1."""
    positions = check_positions(positions, dim=nlist.dim)
    out = np.empty((len(positions), k), dtype=np.int64)
    _nearest_kernel(positions, as_kernel_box(nlist.box, nlist.dim), nlist.indptr,
                    nlist.indices, radius, out)
    return out


def brute_force_pairs(positions, radius: float, box=None) -> tuple[np.ndarray, np.ndarray]:
    """All ordered pairs (i, j), i != j, closer than radius; O(N²) numpy (tests only)."""
    positions = check_positions(positions)
    box = check_box(box, positions.shape[1])
    delta = displacement(positions[:, None, :], positions[None, :, :], box)
    d2 = np.einsum("ijd,ijd->ij", delta, delta)
    np.fill_diagonal(d2, np.inf)
    i, j = np.nonzero(d2 < radius ** 2)
    return i, j
