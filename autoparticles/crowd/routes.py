"""The desired direction of a pedestrian: down the walking distance to its goal through the
free space, a distance field on a grid (what JuPedSim's router does on its navigation mesh,
for producers that have no router of their own)."""

from dataclasses import dataclass

import numpy as np
import shapely

from autoparticles.crowd.scenes import Scene


@dataclass(frozen=True)
class DistanceField:
    """Walking distance [m] to a goal on the grid nodes (x0 + j·h, y0 + i·h): `distance`
    (ny, nx), inf where a body of radius `clearance` does not fit; `nearest` (2, ny, nx) the
    nearest free node of each node."""

    x0: float
    y0: float
    h: float
    distance: np.ndarray
    nearest: np.ndarray
    gradient: np.ndarray  # (2, ny, nx): d distance / dx, d distance / dy at the free nodes

    def _nodes(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ny, nx = self.distance.shape
        j = np.clip(np.rint((xy[:, 0] - self.x0) / self.h).astype(int), 0, nx - 1)
        i = np.clip(np.rint((xy[:, 1] - self.y0) / self.h).astype(int), 0, ny - 1)
        return self.nearest[0, i, j], self.nearest[1, i, j]

    def __call__(self, xy) -> np.ndarray:
        """(n,) walking distance [m] from the points (n, 2) to the goal."""
        return self.distance[self._nodes(np.asarray(xy, dtype=float).reshape(-1, 2))]

    def direction(self, xy) -> np.ndarray:
        """(n, 2) unit vectors down the distance (towards the goal) at the points (n, 2)."""
        i, j = self._nodes(np.asarray(xy, dtype=float).reshape(-1, 2))
        step = -self.gradient[:, i, j].T
        return step / np.maximum(np.linalg.norm(step, axis=1, keepdims=True), 1e-12)


def distance_field(scene: Scene, goal: int = 0, spacing: float = 0.1,
                   clearance: float | None = None) -> DistanceField:
    """The walking distance to scene.goals[goal] for a body that keeps `clearance` (default:
    the pedestrian radius) from the walls, by Dijkstra on a 16-connected grid of `spacing` m (each pair of nodes linked both ways)."""
    from scipy.ndimage import distance_transform_edt
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    clearance = scene.pedestrians.radius if clearance is None else clearance
    x0, y0, x1, y1 = scene.walkable.bounds
    xs, ys = np.arange(x0, x1 + spacing / 2, spacing), np.arange(y0, y1 + spacing / 2, spacing)
    gx, gy = np.meshgrid(xs, ys)
    free = shapely.contains_xy(scene.walkable.buffer(-clearance), gx, gy)
    target = free & shapely.contains_xy(scene.goals[goal].buffer(1e-9), gx, gy)
    if not target.any():  # a goal narrower than the clearance: its nearest free nodes
        target = free & (shapely.distance(scene.goals[goal], shapely.points(gx, gy)) < spacing)
    index = np.full(free.shape, -1)
    index[free] = np.arange(free.sum())
    ny, nx = free.shape
    rows, cols, weights = [], [], []
    for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1), (1, 2), (2, 1), (1, -2), (2, -1)):
        left, right = max(0, -dj), nx - max(0, dj)
        a, b = index[:ny - di, left:right], index[di:, left + dj:right + dj]
        both = (a >= 0) & (b >= 0)
        rows += [a[both], b[both]]
        cols += [b[both], a[both]]
        weights += [np.full(2 * both.sum(), spacing * np.hypot(di, dj))]
    graph = coo_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(free.sum(),) * 2).tocsr()
    reached = dijkstra(graph, indices=index[target], min_only=True)
    distance = np.full(free.shape, np.inf)
    distance[free] = reached
    _, nearest = distance_transform_edt(~free, return_indices=True)
    return DistanceField(float(x0), float(y0), spacing, distance, nearest, _gradient(distance, spacing))


def _gradient(distance: np.ndarray, h: float) -> np.ndarray:
    """(2, ny, nx) finite differences of `distance` along x and y, central where both
    neighbours are finite, one-sided where one is, 0 where none is."""
    padded = np.pad(distance, 1, constant_values=np.inf)
    out = []
    for axis in (1, 0):
        with np.errstate(invalid="ignore"):
            ahead = np.roll(padded, -1, axis)[1:-1, 1:-1] - distance
            behind = distance - np.roll(padded, 1, axis)[1:-1, 1:-1]
        ok_a, ok_b = np.isfinite(ahead), np.isfinite(behind)
        both = np.where(ok_a & ok_b, (np.where(ok_a, ahead, 0) + np.where(ok_b, behind, 0)) / 2,
                        np.where(ok_a, ahead, np.where(ok_b, behind, 0.0)))
        out.append(both / h)
    return np.nan_to_num(np.stack(out), nan=0.0, posinf=0.0, neginf=0.0)
