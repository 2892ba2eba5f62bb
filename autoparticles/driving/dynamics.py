"""Numba kernels of the driving world: integration, collision onsets, raw observations, and
the frames actions are expressed in.

All take plain arrays: x, v, headings (N, 2); box (2,) edges.
"""

import numba
import numpy as np

from autoparticles.invariants.space import minimum_image


def motion_directions(velocities: np.ndarray, headings: np.ndarray) -> np.ndarray:
    """(N, 2) unit vectors v/|v|; a particle at rest uses its heading (as `integrate` does)."""
    speed = np.linalg.norm(velocities, axis=1, keepdims=True)
    return np.where(speed > 0, velocities / np.where(speed > 0, speed, 1), headings)


def bearings(direction: np.ndarray, velocities: np.ndarray, headings: np.ndarray) -> np.ndarray:
    """(N, 2) (cos, sin) of the angle from each particle's direction of motion to the unit
    vector `direction` (N, 2) towards its watched neighbour (zeros: none)."""
    own = motion_directions(velocities, headings)
    return np.stack([np.einsum("nd,nd->n", direction, own),
                     own[:, 0] * direction[:, 1] - own[:, 1] * direction[:, 0]], axis=1)


def pair_to_vehicle(pair_actions: np.ndarray, bearing: np.ndarray) -> np.ndarray:
    """Pair-frame actions (α, β) (along and across r̂) as (throttle, steer) along and across
    the direction of motion, given the (cos, sin) `bearing` of r̂ seen from that direction."""
    alpha, beta = pair_actions[:, 0], pair_actions[:, 1]
    cos, sin = bearing[:, 0], bearing[:, 1]
    return np.stack([alpha * cos - beta * sin, alpha * sin + beta * cos], axis=1)


@numba.njit(cache=True)
def integrate(x, v, headings, actions, frames, box, v0, v_max, a_max, tau, dt, vehicle,
              a_int):
    """Semi-implicit Euler for the moving rows 0..M-1 (M = len(actions)): a = (v0 ê − v)/τ +
    a_int; v clipped to |v| <= v_max; x wrapped into the box.

    v0, v_max, a_max: (M,) per particle. actions: (M, 2) in [-1, 1]²; pair mode: a_int =
    a_max(α r̂ + β r̂⊥) with r̂ = frames[i] (zero: no neighbour, no action); vehicle mode:
    (throttle, steer) along v̂ and v̂⊥. |a_int| is capped at a_max. Writes a_int (M, 2)."""
    for i in range(actions.shape[0]):
        alpha = min(max(actions[i, 0], -1.0), 1.0)
        beta = min(max(actions[i, 1], -1.0), 1.0)
        if vehicle:
            speed = np.sqrt(v[i, 0] ** 2 + v[i, 1] ** 2)
            if speed > 0.0:
                ex, ey = v[i, 0] / speed, v[i, 1] / speed
            else:
                ex, ey = headings[i, 0], headings[i, 1]
        else:
            ex, ey = frames[i, 0], frames[i, 1]
        ax = a_max[i] * (alpha * ex - beta * ey)
        ay = a_max[i] * (alpha * ey + beta * ex)
        norm = np.sqrt(ax * ax + ay * ay)
        if norm > a_max[i]:
            ax, ay = ax * a_max[i] / norm, ay * a_max[i] / norm
        a_int[i, 0], a_int[i, 1] = ax, ay
        v[i, 0] += ((v0[i] * headings[i, 0] - v[i, 0]) / tau + ax) * dt
        v[i, 1] += ((v0[i] * headings[i, 1] - v[i, 1]) / tau + ay) * dt
        speed = np.sqrt(v[i, 0] ** 2 + v[i, 1] ** 2)
        if speed > v_max[i]:
            v[i, 0] *= v_max[i] / speed
            v[i, 1] *= v_max[i] / speed
        for d in range(2):
            x[i, d] = x[i, d] + v[i, d] * dt
        wrap(x, i, box)


@numba.njit(cache=True, inline="always")
def wrap(x, i, box):
    """Row i of x into [0, box) on every axis."""
    for d in range(2):
        x[i, d] = x[i, d] % box[d]
        if x[i, d] >= box[d]:
            x[i, d] -= box[d]


@numba.njit(cache=True)
def collisions(x, v, box, indptr, indices, radii, n_moving, groups, previous, elastic, counts,
               pair_counts):
    """Count overlap onsets: pairs closer than R_i + R_j now whose key i*N + j (i < j) is not
    in the sorted `previous`. Adds 1 to counts[i] and counts[j] per onset and to
    pair_counts[g_i, g_j] (and [g_j, g_i]) of their groups. Rows >= n_moving are obstacles:
    a disk overlapping one is pushed out to touch it and loses its velocity into it. elastic=
    True swaps the normal velocity components of overlapping, approaching moving pairs.
    Returns the sorted keys of the pairs overlapping now."""
    n = x.shape[0]
    keys = np.empty(max(1, indices.shape[0] // 2), dtype=np.int64)
    m = 0
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j <= i or i >= n_moving:
                continue
            rx = minimum_image(x[j, 0] - x[i, 0], box[0])
            ry = minimum_image(x[j, 1] - x[i, 1], box[1])
            d2 = rx * rx + ry * ry
            contact = radii[i] + radii[j]
            if d2 >= contact * contact:
                continue
            key = i * n + j
            keys[m] = key
            m += 1
            slot = np.searchsorted(previous, key)
            if slot == previous.shape[0] or previous[slot] != key:
                counts[i] += 1
                counts[j] += 1
                pair_counts[groups[i], groups[j]] += 1
                if groups[i] != groups[j]:
                    pair_counts[groups[j], groups[i]] += 1
            if d2 == 0.0:
                continue
            dist = np.sqrt(d2)
            nx, ny = rx / dist, ry / dist
            if j >= n_moving:
                x[i, 0] -= nx * (contact - dist)
                x[i, 1] -= ny * (contact - dist)
                wrap(x, i, box)
                into = v[i, 0] * nx + v[i, 1] * ny
                if into > 0.0:
                    v[i, 0] -= into * nx
                    v[i, 1] -= into * ny
                continue
            closing = (v[j, 0] - v[i, 0]) * nx + (v[j, 1] - v[i, 1]) * ny
            if elastic and closing < 0.0:
                v[i, 0] += closing * nx
                v[i, 1] += closing * ny
                v[j, 0] -= closing * nx
                v[j, 1] -= closing * ny
    return np.sort(keys[:m])


@numba.njit(cache=True)
def raw_observation(x, v, neighbours, box, v_max, out):
    """World-frame (x/L, y/L, vx/v_max, vy/v_max) of each particle, then of its neighbours
    (rows of `neighbours`, -1 padded with zeros)."""
    for i in range(x.shape[0]):
        _raw_row(x, v, i, box, v_max, out, i, 0)
        for s in range(neighbours.shape[1]):
            j = neighbours[i, s]
            if j < 0:
                for c in range(4):
                    out[i, 4 + 4 * s + c] = 0.0
            else:
                _raw_row(x, v, j, box, v_max, out, i, 4 + 4 * s)


@numba.njit(cache=True, inline="always")
def _raw_row(x, v, j, box, v_max, out, row, col):
    out[row, col] = x[j, 0] / box[0]
    out[row, col + 1] = x[j, 1] / box[1]
    out[row, col + 2] = v[j, 0] / v_max
    out[row, col + 3] = v[j, 1] / v_max
