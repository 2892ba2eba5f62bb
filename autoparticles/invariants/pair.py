"""The four Galilean invariants a particle sees of a neighbour disk (specs/driving.md).

For the pair (i, j): r = x_j - x_i (minimum image), u = v_j - v_i.
  I1 gap             clip(|r| - 2R, 0, r_s) / r_s
  I2 closing rate    (r·u) / |r| / (2 v_max)          negative = approaching
  I3 transverse rate (r×u) / |r| / (2 v_max)          sign says which way to dodge
  I4 urgency         exp(-τc / τ0), τc the disk time to collision (0 if none)
All four are unchanged by a global translation, boost or rotation and by swapping i and j.
"""

from dataclasses import dataclass

import numba
import numpy as np

from autoparticles.invariants.neighbours import NeighbourList, insert_nearest
from autoparticles.invariants.rules import NO_NEIGHBOUR, RULES
from autoparticles.invariants.space import as_kernel_box, check_positions, minimum_image


@numba.njit(cache=True, inline="always")
def ttc_scalar(rx, ry, ux, uy, contact):
    """Time until two disks at separation r with relative velocity u touch (|r| = contact);
    inf when they never do or the contact lies in the past."""
    uu = ux * ux + uy * uy
    if uu == 0.0:
        return np.inf
    ru = rx * ux + ry * uy
    disc = ru * ru - uu * (rx * rx + ry * ry - contact * contact)
    if disc < 0.0:
        return np.inf
    tau = (-ru - np.sqrt(disc)) / uu
    return tau if tau > 0.0 else np.inf


def time_to_collision(r, u, radius: float) -> np.ndarray:
    """Vectorised disk time to collision; r, u: (..., 2); returns (...,), inf for none."""
    r, u = np.asarray(r, dtype=np.float64), np.asarray(u, dtype=np.float64)
    uu = np.einsum("...d,...d->...", u, u)
    ru = np.einsum("...d,...d->...", r, u)
    rr = np.einsum("...d,...d->...", r, r)
    disc = ru * ru - uu * (rr - 4.0 * radius * radius)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = (-ru - np.sqrt(np.maximum(disc, 0.0))) / uu
    return np.where((disc >= 0) & (uu > 0) & (tau > 0), tau, np.inf)


@numba.njit(cache=True, inline="always")
def separation(x, i, j, box):
    """Minimum-image r = x_j − x_i (rx, ry) and |r|."""
    rx = minimum_image(x[j, 0] - x[i, 0], box[0])
    ry = minimum_image(x[j, 1] - x[i, 1], box[1])
    return rx, ry, np.sqrt(rx * rx + ry * ry)


@numba.njit(cache=True, inline="always")
def write_features(out, row, col, rx, ry, ux, uy, dist, tau, contact, sensing, vmax, tau0):
    """I1..I4 into out[row, col:col + 4] for separation r, relative velocity u, |r| = dist,
    time to contact tau and the distance `contact` at which the two touch."""
    gap = min(max(dist - contact, 0.0), sensing)
    out[row, col] = gap / sensing
    out[row, col + 1] = (rx * ux + ry * uy) / dist / (2.0 * vmax)
    out[row, col + 2] = (rx * uy - ry * ux) / dist / (2.0 * vmax)
    out[row, col + 3] = np.exp(-tau / tau0) if np.isfinite(tau) else 0.0


@numba.njit(cache=True, inline="always")
def closeness(gap, urgency):
    """The rank of a watched block or wall under `frame_rule = "closest"`: the larger of its
    urgency I4 and 1 − its gap I1 (both normalised as in `write_features`)."""
    return max(urgency, 1.0 - gap)


@numba.njit(cache=True)
def _pair_kernel(x, v, box, indptr, indices, radius, sensing, vmax, tau0, rule, k,
                    out, chosen, direction):
    n = x.shape[0]
    best_d = np.empty(k)
    best_j = np.empty(k, dtype=np.int64)
    for i in range(n):
        nearest, nearest_d = -1, np.inf
        urgent, urgent_tau = -1, np.inf
        best_d[:] = np.inf
        best_j[:] = -1
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            rx, ry, dist = separation(x, i, j, box)
            if dist >= sensing or dist == 0.0:
                continue
            if dist < nearest_d or (dist == nearest_d and j < nearest):
                nearest, nearest_d = j, dist
            if rule == 1:
                tau = ttc_scalar(rx, ry, v[j, 0] - v[i, 0], v[j, 1] - v[i, 1], 2.0 * radius)
                if tau < urgent_tau or (tau == urgent_tau and tau < np.inf and j < urgent):
                    urgent, urgent_tau = j, tau
            elif rule == 2:
                insert_nearest(best_d, best_j, dist, j)
        pick = urgent if urgent >= 0 else nearest
        if rule == 2:
            for s in range(k):
                _fill_one(x, v, box, i, best_j[s], out, 4 * s, 2.0 * radius, sensing, vmax,
                          tau0, direction[i])
        _fill_one(x, v, box, i, pick, out, 0, 2.0 * radius, sensing, vmax, tau0, direction[i],
                  rule != 2)
        chosen[i] = pick


@numba.njit(cache=True, inline="always")
def _fill_one(x, v, box, i, j, out, col, contact, sensing, vmax, tau0, direction,
              features=True):
    """I1..I4 of neighbour j (touching at `contact`) into out[i, col:col + 4] (unless not
    `features`) and the unit r̂ towards it into direction (2,); j < 0: none, zeros."""
    if j < 0:
        if features:
            for c in range(4):
                out[i, col + c] = NO_NEIGHBOUR[c]
        direction[0], direction[1] = 0.0, 0.0
        return
    rx, ry, dist = separation(x, i, j, box)
    direction[0], direction[1] = rx / dist, ry / dist
    if features:
        ux, uy = v[j, 0] - v[i, 0], v[j, 1] - v[i, 1]
        write_features(out, i, col, rx, ry, ux, uy, dist, ttc_scalar(rx, ry, ux, uy, contact),
                       contact, sensing, vmax, tau0)


@dataclass(frozen=True)
class PairObservation:
    """features: (N, 4) or (N, 4K) float64; neighbour: (N,) index of the watched neighbour
    (-1: none in range); direction: (N, 2) unit vector r̂ towards it (zeros: none)."""

    features: np.ndarray
    neighbour: np.ndarray
    direction: np.ndarray


def pair_invariants(positions, velocities, nlist: NeighbourList, radius: float = 0.5,
                    sensing: float = 5.0, v_max: float = 2.0, tau0: float = 2.0,
                    rule: str = "most_urgent", k: int = 4) -> PairObservation:
    """Invariants of every particle's watched neighbour(s), one numba call for all particles.

    positions, velocities: (N, 2); nlist: an up-to-date 2-D NeighbourList with
    cutoff >= sensing; rule: 'most_urgent', 'nearest' or 'k_nearest' (K neighbours by distance).
    """
    x = check_positions(positions, "positions", dim=2)
    v = check_positions(velocities, "velocities", dim=2)
    if v.shape != x.shape:
        raise ValueError(f"velocities shape {v.shape} differs from positions shape {x.shape}")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {sorted(RULES)}, got {rule!r}")
    if nlist.cutoff < sensing:
        raise ValueError(f"neighbour list cutoff {nlist.cutoff} is below the sensing radius {sensing}")
    if len(nlist.indptr) != len(x) + 1:
        raise ValueError("neighbour list was built for a different number of particles")
    width = k if rule == "k_nearest" else 1
    if width < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    out = np.empty((len(x), 4 * width))
    chosen = np.empty(len(x), dtype=np.int64)
    direction = np.empty((len(x), 2))
    _pair_kernel(x, v, as_kernel_box(nlist.box, 2), nlist.indptr, nlist.indices, radius,
                    sensing, v_max, tau0, RULES[rule], width, out, chosen, direction)
    return PairObservation(out, chosen, direction)



@numba.njit(cache=True, error_model="numpy")
def _group_kernel(x, v, box, indptr, indices, radii, groups, n_groups, sensing, vmax, tau0,
                  out, chosen, direction):
    """Per particle i and group g: the most urgent listed neighbour (the nearest when none is
    on a collision course; ties to the lower index), its I1..I4 into out[i, 4g:4g + 4] and r̂
    into direction[i, g]. Squared distances select; the chosen one's time to contact is
    kept from the scan, not computed again."""
    best_tau = np.empty(n_groups)
    best_d2 = np.empty(n_groups)
    urgent = np.empty(n_groups, dtype=np.int64)
    nearest = np.empty(n_groups, dtype=np.int64)
    for i in range(x.shape[0]):
        for g in range(n_groups):
            best_tau[g], best_d2[g], urgent[g], nearest[g] = np.inf, np.inf, -1, -1
        xi, yi, vxi, vyi, ri = x[i, 0], x[i, 1], v[i, 0], v[i, 1], radii[i]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            rx = minimum_image(x[j, 0] - xi, box[0])
            ry = minimum_image(x[j, 1] - yi, box[1])
            d2 = rx * rx + ry * ry
            if d2 >= sensing * sensing or d2 == 0.0:
                continue
            g = groups[j]
            if d2 < best_d2[g] or (d2 == best_d2[g] and j < nearest[g]):
                nearest[g], best_d2[g] = j, d2
            tau = ttc_scalar(rx, ry, v[j, 0] - vxi, v[j, 1] - vyi, ri + radii[j])
            if tau < best_tau[g] or (tau == best_tau[g] and tau < np.inf and j < urgent[g]):
                urgent[g], best_tau[g] = j, tau
        for g in range(n_groups):
            j = urgent[g] if urgent[g] >= 0 else nearest[g]
            chosen[i, g] = j
            if j < 0:
                for c in range(4):
                    out[i, 4 * g + c] = NO_NEIGHBOUR[c]
                direction[i, g, 0], direction[i, g, 1] = 0.0, 0.0
                continue
            rx = minimum_image(x[j, 0] - xi, box[0])
            ry = minimum_image(x[j, 1] - yi, box[1])
            dist = np.sqrt(rx * rx + ry * ry)
            direction[i, g, 0], direction[i, g, 1] = rx / dist, ry / dist
            write_features(out, i, 4 * g, rx, ry, v[j, 0] - vxi, v[j, 1] - vyi, dist,
                           best_tau[g] if urgent[g] >= 0 else np.inf, ri + radii[j], sensing,
                           vmax, tau0)


@dataclass(frozen=True)
class GroupObservation:
    """features: (N, 4G) I1..I4 of the most urgent neighbour of each group g (the nearest
    when none is on a collision course; `NO_NEIGHBOUR` when none is in range); neighbour:
    (N, G) its index (-1: none); direction: (N, G, 2) unit r̂ towards it (zeros: none)."""

    features: np.ndarray
    neighbour: np.ndarray
    direction: np.ndarray


def group_invariants(positions, velocities, nlist: NeighbourList, radii, groups,
                     n_groups: int, sensing: float = 5.0, v_max: float = 2.0,
                     tau0: float = 2.0) -> GroupObservation:
    """Typed pair invariants: for every particle, the most urgent neighbour of each group.

    positions, velocities: (N, 2); radii: (N,) disk radii (contact at R_i + R_j); groups:
    (N,) group index in [0, n_groups); v_max: the speed scale of I2, I3 (one for all)."""
    x = check_positions(positions, "positions", dim=2)
    v = check_positions(velocities, "velocities", dim=2)
    radii = np.ascontiguousarray(radii, dtype=np.float64)
    groups = np.ascontiguousarray(groups, dtype=np.int64)
    if v.shape != x.shape or radii.shape != (len(x),) or groups.shape != (len(x),):
        raise ValueError("velocities, radii and groups must match positions row for row")
    if len(x) and (groups.min() < 0 or groups.max() >= n_groups):
        raise ValueError(f"groups must lie in [0, {n_groups})")
    if nlist.cutoff < sensing:
        raise ValueError(f"neighbour list cutoff {nlist.cutoff} is below the sensing radius {sensing}")
    out = np.empty((len(x), 4 * n_groups))
    chosen = np.empty((len(x), n_groups), dtype=np.int64)
    direction = np.empty((len(x), n_groups, 2))
    _group_kernel(x, v, as_kernel_box(nlist.box, 2), nlist.indptr, nlist.indices, radii,
                  groups, n_groups, sensing, v_max, tau0, out, chosen, direction)
    return GroupObservation(out, chosen, direction)
