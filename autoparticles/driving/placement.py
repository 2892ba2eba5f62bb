"""Where a scene's particles start and where they want to go: non-overlapping starts on
grid sites, respawns after an arrival, desired directions (compass, goal points, shortest
paths through free space), and the checks that refuse a scene that cannot be built."""

import numpy as np

from autoparticles.config import ConfigError
from autoparticles.driving.scene import COMPASS, Scene
from autoparticles.invariants.walls import as_segments

PLACEMENT_SPACING = 2.2
"""Starts sit on random sites of a grid with this spacing in (largest) radii."""
FIELD_CELL = 0.25
"""Cell side of the shortest-path distance field, in the scene's length unit."""


def segment_distance(points: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """(M, S) distances from points (M, 2) to segments (S, 4) (x1, y1, x2, y2)."""
    a, b = segments[None, :, :2], segments[None, :, 2:]
    ab = b - a
    t = np.einsum("msd,msd->ms", points[:, None, :] - a, ab) / np.einsum("msd,msd->ms", ab, ab)
    closest = a + np.clip(t, 0.0, 1.0)[..., None] * ab
    return np.linalg.norm(points[:, None, :] - closest, axis=2)


def _region(t, size) -> np.ndarray:
    return np.array(t.spawn if t.spawn is not None else (0.0, 0.0, *size), dtype=float)


def _spacing(scene: Scene) -> float:
    return PLACEMENT_SPACING * max(t.radius for t in scene.types if not t.static or t.positions is None)


def _sites(scene: Scene) -> tuple[np.ndarray, float]:
    """(M, 2) lower-left corners of the placement grid's cells and the cell side."""
    w, h = scene.geometry.size
    spacing = _spacing(scene)
    nx, ny = max(1, int(w // spacing)), max(1, int(h // spacing))
    side = min(w / nx, h / ny)
    gx, gy = np.meshgrid(np.arange(nx) * (w / nx), np.arange(ny) * (h / ny), indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1), side


def _fixed_obstacles(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    rows = [(p, t.radius) for t in scene.types if t.static and t.positions is not None
            for p in t.positions]
    if not rows:
        return np.zeros((0, 2)), np.zeros(0)
    return np.array([r[0] for r in rows], float), np.array([r[1] for r in rows], float)


def _free_sites(scene: Scene) -> tuple[np.ndarray, float]:
    """Grid cells whose whole square is clear of walls and of fixed obstacles."""
    corners, side = _sites(scene)
    centres = corners + side / 2
    free = np.ones(len(corners), bool)
    half_diagonal = side / np.sqrt(2)
    segments = as_segments(scene.geometry.segments)
    if len(segments):
        free &= segment_distance(centres, segments).min(axis=1) > half_diagonal
    points, radii = _fixed_obstacles(scene)
    if len(points):
        gap = np.linalg.norm(centres[:, None] - points[None], axis=2) - radii[None]
        free &= gap.min(axis=1) > half_diagonal
    return corners[free], side


def check_scene(scene: Scene) -> None:
    """Refuse what cannot be built, naming the file and key: regions outside the world, goals
    inside walls, overlapping obstacles, more particles than fit their spawn region."""
    where, (w, h) = scene.where, scene.geometry.size
    for t in scene.types:
        for key in ("spawn", "goal"):
            box = getattr(t, key)
            if box is not None and (box[0] < 0 or box[1] < 0 or box[2] > w or box[3] > h):
                raise ConfigError(f"{where} [[types]] {t.name!r}: {key} {list(box)} lies outside "
                                  f"the world [0, 0, {w:g}, {h:g}]")
        if isinstance(t.heading, tuple) and not (0 <= t.heading[0] <= w and 0 <= t.heading[1] <= h):
            raise ConfigError(f"{where} [[types]] {t.name!r}: heading point {list(t.heading)} lies "
                              "outside the world")
        if t.goal is not None and not _open_cells(scene, t.goal, t.radius).any():
            raise ConfigError(f"{where} [[types]] {t.name!r}: goal {list(t.goal)} lies inside a wall "
                              "(no point of it is a radius away from every wall)")
    points, radii = _fixed_obstacles(scene)
    if len(points):
        gap = np.linalg.norm(points[:, None] - points[None], axis=2) - radii[:, None] - radii[None]
        np.fill_diagonal(gap, np.inf)
        if gap.min() < 0:
            i, j = np.unravel_index(np.argmin(gap), gap.shape)
            raise ConfigError(f"{where}: static obstacles at {points[i].tolist()} and "
                              f"{points[j].tolist()} overlap (positions)")
    placed_sites(scene, np.random.default_rng(0))


def placed_sites(scene: Scene, rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Type index -> (count, 2) non-overlapping start positions: random distinct free grid
    sites inside the type's spawn region, each jittered inside its cell (fixed obstacles keep
    their positions)."""
    corners, side = _free_sites(scene)
    taken = np.zeros(len(corners), bool)
    starts = {}
    for index, t in enumerate(scene.types):
        if t.positions is not None:
            starts[index] = np.array(t.positions, float).reshape(-1, 2)
            continue
        x1, y1, x2, y2 = _region(t, scene.geometry.size)
        inside = ((corners[:, 0] >= x1 - 1e-9) & (corners[:, 1] >= y1 - 1e-9)
                  & (corners[:, 0] + side <= x2 + 1e-9) & (corners[:, 1] + side <= y2 + 1e-9)
                  & ~taken)
        options = np.nonzero(inside)[0]
        if t.count > len(options):
            raise ConfigError(f"{scene.where} [[types]] {t.name!r}: count = {t.count} particles of "
                              f"radius {t.radius:g} do not fit their spawn region "
                              f"{[float(v) for v in (x1, y1, x2, y2)]} (at most {len(options)})")
        chosen = rng.choice(options, size=t.count, replace=False)
        taken[chosen] = True
        slack = side - 2 * t.radius
        starts[index] = corners[chosen] + t.radius + rng.uniform(0, slack, (t.count, 2))
    return starts


def _open_cells(scene: Scene, box, radius: float) -> np.ndarray:
    """Bool mask of distance-field cells inside `box` a radius away from every wall."""
    centres, _ = field_grid(scene)
    x1, y1, x2, y2 = box
    inside = ((centres[..., 0] >= x1) & (centres[..., 0] <= x2)
              & (centres[..., 1] >= y1) & (centres[..., 1] <= y2))
    return inside & _clear(scene, centres, radius)


def field_grid(scene: Scene) -> tuple[np.ndarray, float]:
    """(nx, ny, 2) cell centres of the distance field and the cell side."""
    w, h = scene.geometry.size
    nx, ny = max(2, int(round(w / FIELD_CELL))), max(2, int(round(h / FIELD_CELL)))
    gx, gy = np.meshgrid((np.arange(nx) + 0.5) * w / nx, (np.arange(ny) + 0.5) * h / ny,
                         indexing="ij")
    return np.stack([gx, gy], axis=-1), min(w / nx, h / ny)


def _clear(scene: Scene, centres: np.ndarray, radius: float) -> np.ndarray:
    segments = as_segments(scene.geometry.segments)
    if not len(segments):
        return np.ones(centres.shape[:-1], bool)
    flat = centres.reshape(-1, 2)
    return (segment_distance(flat, segments).min(axis=1) >= radius).reshape(centres.shape[:-1])


def crosses_walls(starts: np.ndarray, ends: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """(E,) whether the segment starts[e] → ends[e] (E, 2 each) meets any wall segment
    (S, 4), touching included."""

    def turn(o, p, q):  # z of (p - o) × (q - o), broadcast over (E, S)
        return ((p[..., 0] - o[..., 0]) * (q[..., 1] - o[..., 1])
                - (p[..., 1] - o[..., 1]) * (q[..., 0] - o[..., 0]))

    p, q = starts[:, None, :], ends[:, None, :]
    a, b = segments[None, :, :2], segments[None, :, 2:]
    straddle = (turn(a, b, p) * turn(a, b, q) <= 0) & (turn(p, q, a) * turn(p, q, b) <= 0)
    # collinear pieces pass both tests; they meet only where their bounding boxes overlap
    overlap = np.all((np.minimum(p, q) <= np.maximum(a, b)) & (np.minimum(a, b) <= np.maximum(p, q)),
                     axis=-1)
    return np.any(straddle & overlap, axis=1)


def goal_field(scene: Scene, goal, radius: float) -> np.ndarray:
    """(nx, ny, 2) unit directions of the shortest path through free space to the `goal`
    region (Dijkstra on the 8-connected grid of `field_grid`: cells closer to a wall than
    radius − one cell are blocked, and no step between two cells crosses a wall, whatever the
    radius): minus the gradient of the path length, or the step to the nearest neighbour cell
    where the gradient touches a blocked cell; zeros inside the goal and where no path
    exists."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    centres, cell = field_grid(scene)
    nx, ny = centres.shape[:2]
    free = _clear(scene, centres, max(radius - cell, 0.0)).ravel()
    flat = centres.reshape(-1, 2)
    segments = as_segments(scene.geometry.segments)
    index = np.arange(nx * ny).reshape(nx, ny)
    rows, cols, costs = [], [], []
    for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
        a = index[:nx - dx, max(0, -dy):ny - max(0, dy)].ravel()
        b = a + dx * ny + dy
        ok = free[a] & free[b]
        if len(segments):
            ok[ok] = ~crosses_walls(flat[a[ok]], flat[b[ok]], segments)
        rows += [a[ok], b[ok]]
        cols += [b[ok], a[ok]]
        costs += [np.full(2 * ok.sum(), np.hypot(dx, dy) * cell)]
    graph = coo_matrix((np.concatenate(costs), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(nx * ny, nx * ny)).tocsr()
    targets = np.nonzero(_open_cells(scene, goal, radius).ravel())[0]
    distance = dijkstra(graph, indices=targets, min_only=True).reshape(nx, ny)
    distance[~np.isfinite(distance)] = np.nan
    with np.errstate(invalid="ignore"):
        direction = -np.stack(np.gradient(distance, cell), axis=-1)
    steep = _steepest_step(distance)
    norm = np.linalg.norm(direction, axis=-1, keepdims=True)
    direction = np.where(np.isfinite(norm) & (norm > 0), direction / np.where(norm > 0, norm, 1), steep)
    direction[distance == 0] = 0.0
    return np.nan_to_num(direction)


def _steepest_step(distance: np.ndarray) -> np.ndarray:
    """(nx, ny, 2) unit steps towards the neighbour cell of least path length."""
    padded = np.pad(np.nan_to_num(distance, nan=np.inf), 1, constant_values=np.inf)
    nx, ny = distance.shape
    best = np.full((nx, ny), np.inf)
    step = np.zeros((nx, ny, 2))
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx == dy == 0:
                continue
            value = padded[1 + dx:1 + dx + nx, 1 + dy:1 + dy + ny]
            better = value < best
            best[better] = value[better]
            step[better] = np.array([dx, dy]) / np.hypot(dx, dy)
    return step


def fixed_headings(kind, count: int, rng: np.random.Generator) -> np.ndarray | None:
    """(count, 2) unit headings of a compass word, an angle or "random"; None for headings
    that depend on position (goal points, goal regions)."""
    if kind == "random":
        angle = rng.uniform(0, 2 * np.pi, count)
    elif isinstance(kind, str) and kind in COMPASS:
        angle = np.full(count, np.radians(COMPASS[kind]))
    elif isinstance(kind, (int, float)):
        angle = np.full(count, np.radians(float(kind)))
    else:
        return None
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)
