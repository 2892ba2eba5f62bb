"""Numba kernels of the driving world: integration, collision onsets, raw observations, and
the frames actions are expressed in.

All take plain arrays: x, v, headings (N, 2); box (2,) edges.
"""

import numba
import numpy as np

from autoparticles.invariants.pair import closeness
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
def collisions(x, v, box, indptr, indices, radii, n_moving, groups, previous, mode, counts,
               pair_counts, depth):
    """Count overlap onsets: pairs closer than R_i + R_j now whose key i*N + j (i < j) is not
    in the sorted `previous`. Adds 1 to counts[i] and counts[j] per onset and to
    pair_counts[g_i, g_j] (and [g_j, g_i]) of their groups. Rows >= n_moving are obstacles:
    a disk overlapping one is pushed out to touch it and loses its velocity into it. mode 1
    (elastic) swaps the normal velocity components of overlapping, approaching moving pairs;
    mode 2 (hard) moves both apart by half the overlap each and gives both their mean normal
    velocity (a perfectly inelastic contact); 0 (ghost) lets them pass. Adds each overlap
    R_i + R_j − |r| over the radius to depth[i] and depth[j]. Returns the sorted keys of the
    pairs overlapping now."""
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
            overlap = contact - np.sqrt(d2)
            depth[i] += overlap / radii[i]
            depth[j] += overlap / radii[j]
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
                _push_apart(x, i, j, nx, ny, contact - dist, 1.0, False, box)
                into = v[i, 0] * nx + v[i, 1] * ny
                if into > 0.0:
                    v[i, 0] -= into * nx
                    v[i, 1] -= into * ny
                continue
            closing = (v[j, 0] - v[i, 0]) * nx + (v[j, 1] - v[i, 1]) * ny
            share = 1.0 if mode == 1 else 0.5
            if mode > 0 and closing < 0.0:
                v[i, 0] += share * closing * nx
                v[i, 1] += share * closing * ny
                v[j, 0] -= share * closing * nx
                v[j, 1] -= share * closing * ny
            if mode == 2:
                _push_apart(x, i, j, nx, ny, contact - dist, 0.5, True, box)
    return np.sort(keys[:m])


@numba.njit(cache=True, inline="always")
def _push_apart(x, i, j, nx, ny, overlap, share, both, box):
    """Move row i back along the unit (nx, ny) from i to j by share · overlap and, when
    `both`, row j forward by as much; each moved row wrapped into the box."""
    step = share * overlap
    x[i, 0] -= step * nx
    x[i, 1] -= step * ny
    wrap(x, i, box)
    if both:
        x[j, 0] += step * nx
        x[j, 1] += step * ny
        wrap(x, j, box)


@numba.njit(cache=True)
def separate(x, box, indptr, indices, radii, n_moving):
    """One Gauss–Seidel pass of hard contacts over the listed pairs, positions only: two
    overlapping moving disks move apart by half the overlap each, a disk overlapping an
    obstacle (rows >= n_moving) out to touch it. Returns the deepest overlap met, over the
    smaller radius of its pair."""
    deepest = 0.0
    for i in range(min(x.shape[0], n_moving)):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j <= i:
                continue
            rx = minimum_image(x[j, 0] - x[i, 0], box[0])
            ry = minimum_image(x[j, 1] - x[i, 1], box[1])
            d2 = rx * rx + ry * ry
            contact = radii[i] + radii[j]
            if d2 >= contact * contact or d2 == 0.0:
                continue
            dist = np.sqrt(d2)
            deepest = max(deepest, (contact - dist) / min(radii[i], radii[j]))
            moving = j < n_moving
            _push_apart(x, i, j, rx / dist, ry / dist, contact - dist, 0.5 if moving else 1.0,
                        moving, box)
    return deepest


@numba.njit(cache=True)
def motion_terms(v, headings, a_int, v0, a_max, forward, tracking, effort, interaction):
    """Per moving row i < M = len(v0), in one pass: forward speed v·ê / v0, tracking error
    |v − v0 ê| / v0, effort (|a_int| / a_max)² and |a_int|, into the (M,) outputs."""
    for i in range(v0.shape[0]):
        vx, vy, ex, ey = v[i, 0], v[i, 1], headings[i, 0], headings[i, 1]
        forward[i] = (vx * ex + vy * ey) / v0[i]
        dx, dy = vx - v0[i] * ex, vy - v0[i] * ey
        tracking[i] = np.sqrt(dx * dx + dy * dy) / v0[i]
        a2 = a_int[i, 0] ** 2 + a_int[i, 1] ** 2
        effort[i] = a2 / a_max[i] ** 2
        interaction[i] = np.sqrt(a2)


@numba.njit(cache=True)
def gap_excess(x, v, box, indptr, indices, radii, v0, time_gap, out):
    """For each moving row i < M = len(out): out[i] = max(|v_i| − s_i / T, 0) / v0[i], with
    s_i the free distance along v̂_i before the disk of i would touch the first listed body in
    its way (moving or static; none: no excess), T = time_gap."""
    for i in range(out.shape[0]):
        out[i] = 0.0
        speed = np.sqrt(v[i, 0] ** 2 + v[i, 1] ** 2)
        if speed == 0.0:
            continue
        ex, ey = v[i, 0] / speed, v[i, 1] / speed
        free = np.inf
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            rx = minimum_image(x[j, 0] - x[i, 0], box[0])
            ry = minimum_image(x[j, 1] - x[i, 1], box[1])
            along = rx * ex + ry * ey
            across = rx * ey - ry * ex
            contact = radii[i] + radii[j]
            if along <= 0.0 or abs(across) >= contact:
                continue
            free = min(free, max(along - np.sqrt(contact * contact - across * across), 0.0))
        out[i] = max(speed - free / time_gap, 0.0) / v0[i]


@numba.njit(cache=True)
def clearance_deficit(x, box, indptr, indices, radii, margin, out):
    """For each moving row i < M = len(out): out[i] = max(1 − g_i / (margin r_i), 0), g_i the
    smallest surface gap |x_j − x_i| − r_i − r_j to a listed body (moving or static; an
    overlap counts as g = 0): 1 in contact, falling linearly to 0 at a gap of margin × the
    own radius."""
    for i in range(out.shape[0]):
        nearest = np.inf
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            rx = minimum_image(x[j, 0] - x[i, 0], box[0])
            ry = minimum_image(x[j, 1] - x[i, 1], box[1])
            nearest = min(nearest, np.sqrt(rx * rx + ry * ry) - radii[i] - radii[j])
        out[i] = max(1.0 - max(nearest, 0.0) / (margin * radii[i]), 0.0)


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


@numba.njit(cache=True)
def typed_observation(features, directions, neighbours, radii, group, wall_features,
                      wall_directions, onehot_column, out, frame, watched_features, contact,
                      watched, closest):
    """The typed observation of each moving particle i < M = out.shape[0]: one-hot of its
    group (column onehot_column[g], -1: none), then per group g (and for the wall when
    wall_features has rows): I1..I4 and the (cos, sin) of the angle from the frame r̂ to that
    block's r̂. The frame block is the most urgent one (highest I4; none urgent: the
    smallest gap), or with `closest` the one of largest max(I4, 1 − I1): a touching wall
    then outranks a distant neighbour on a slow collision course, and the choice does not
    jump when an urgency leaves zero. Writes frame (M, 2), its invariants (M, 4), contact
    distance (M,) and watched particle (M,; -1 for none or a wall).

    features: (N, 4G); directions: (N, G, 2); neighbours: (N, G); wall_features: (M, 4) or
    (0, 4); wall_directions: (M, 2)."""
    m = out.shape[0]
    n_groups = directions.shape[1]
    walls = wall_features.shape[0] > 0
    blocks = n_groups + (1 if walls else 0)
    start = 0
    for g in range(onehot_column.shape[0]):
        start = max(start, onehot_column[g] + 1)
    for i in range(m):
        best, pick = -1.0, 0
        for b in range(blocks):
            urgency = wall_features[i, 3] if b == n_groups else features[i, 4 * b + 3]
            gap = wall_features[i, 0] if b == n_groups else features[i, 4 * b]
            if closest:
                score = closeness(gap, urgency)
            else:
                score = 2.0 + urgency if urgency > 0.0 else 1.0 - gap
            if score > best:
                best, pick = score, b
        if pick == n_groups:
            fx, fy = wall_directions[i, 0], wall_directions[i, 1]
            contact[i], watched[i] = radii[i], -1
            for c in range(4):
                watched_features[i, c] = wall_features[i, c]
        else:
            fx, fy = directions[i, pick, 0], directions[i, pick, 1]
            j = neighbours[i, pick]
            contact[i] = radii[i] + (radii[j] if j >= 0 else radii[i])
            watched[i] = j
            for c in range(4):
                watched_features[i, c] = features[i, 4 * pick + c]
        frame[i, 0], frame[i, 1] = fx, fy
        for c in range(start):
            out[i, c] = 0.0
        if onehot_column[group[i]] >= 0:
            out[i, onehot_column[group[i]]] = 1.0
        for b in range(blocks):
            col = start + 6 * b
            if b == n_groups:
                dx, dy = wall_directions[i, 0], wall_directions[i, 1]
                for c in range(4):
                    out[i, col + c] = wall_features[i, c]
            else:
                dx, dy = directions[i, b, 0], directions[i, b, 1]
                for c in range(4):
                    out[i, col + c] = features[i, 4 * b + c]
            out[i, col + 4] = dx * fx + dy * fy
            out[i, col + 5] = fx * dy - fy * dx
