"""What a crowd researcher measures in a run, computed with PedPy on the trajectory of any
producer: the N–t curve and flow through the exit line, specific flow, Voronoi density and
speed in the measurement area, overlaps between bodies and with walls, and who got out.

Definitions (all in metrics.json):
- crossing_times [s]: when each pedestrian first crossed the exit line (PedPy compute_n_t);
  the N–t curve is their cumulative count.
- flow [1/s]: the steady flow through the exit line, (k1 − k0) / (t[k1] − t[k0]) between the
  crossings k0 = ⌊0.1 n⌋ and k1 = ⌈0.9 n⌉ − 1 of the n crossings (the first and last tenth,
  start-up and stragglers, left out; in a corridor only crossings after the warm-up count);
  specific_flow [1/(m·s)] = flow / scene width.
- density [1/m²] and speed [m/s]: Voronoi density and Voronoi speed in the measurement area
  (Steffen & Seyfried 2010; PedPy compute_voronoi_density / compute_voronoi_speed; cells not
  cut off, since a cut-off leaves area uncovered, which the Voronoi speed counts as standing
  still: at 0.5 /m² a 1 m cut-off read 0.86 m/s for pedestrians walking 1.15 m/s), sampled every 0.5 s and averaged over the steady window (between the
  crossings k0 and k1 in a bottleneck, after the warm-up in a corridor) where the area is
  occupied; individual speeds from displacements over ±0.5 s (PedPy, single-sided at the ends
  of a trajectory). density_classic: people in the area / its area, and speed_classic: their
  mean speed (PedPy compute_classic_density, compute_mean_speed_per_frame), averaged the same
  way.
- overlaps: pairs of bodies closer than two radii (across the periodic seam too when the
  trajectory says it is periodic) and bodies closer than a radius to a wall, over all frames: `pairs` (distinct pairs ever overlapping), `pair_frames` (pair × frame
  contacts), `max_pair_depth` ((2r − d) / r, 0 when none), the same for walls
  (`walls`, `wall_frames`, `max_wall_depth` = (r − d) / r), and `deeper_than_5pct` (contacts
  deeper than 5 % of the radius).
- agents_density [1/m²]: the pedestrians per m² of the spawn region at the start (in a
  corridor: the set density).
- evacuated: the fraction of the scene's pedestrians that crossed the exit line (bottleneck;
  None in a periodic corridor), `evacuated_count` the number, `evacuation_time` [s] the last
  crossing when everybody crossed (else None).
"""

import math

import numpy as np
import pedpy
from scipy.spatial import cKDTree

from autoparticles.crowd.scenes import Scene
from autoparticles.crowd.trajectories import Trajectory

WARMUP_FRACTION = 1 / 3
"""Part of a corridor run left out of the averages while the flow settles."""
SAMPLE_EVERY = 0.5
"""Seconds between the frames used for Voronoi density and speed."""


def steady_flow(times: np.ndarray) -> tuple[float | None, float, float]:
    """(flow [1/s], t0, t1 [s]) from sorted crossing times (n,) between crossings ⌊0.1 n⌋ and
    ⌈0.9 n⌉ − 1; flow None when fewer than 3 crossings or no time passed."""
    n = len(times)
    if n < 3:
        return None, 0.0, 0.0
    k0, k1 = int(0.1 * n), math.ceil(0.9 * n) - 1
    t0, t1 = float(times[k0]), float(times[k1])
    return ((k1 - k0) / (t1 - t0) if t1 > t0 else None), t0, t1


def overlaps(trajectory: Trajectory, scene: Scene) -> dict:
    """Overlaps of bodies (radius r) with each other and with the scene's wall segments."""
    r = scene.pedestrians.radius
    walls = np.asarray(scene.walls, dtype=float).reshape(-1, 4)
    pairs, pair_frames, wall_ids, wall_frames, deep = set(), 0, set(), 0, 0
    max_pair = max_wall = 0.0
    period = None
    if trajectory.periodic and scene.periodic:
        period = (scene.periodic[0], scene.periodic[1] - scene.periodic[0])
    order = np.argsort(trajectory.frame, kind="stable")
    frames, starts = np.unique(trajectory.frame[order], return_index=True)
    for start, stop in zip(starts, [*starts[1:], len(order)]):
        rows = order[start:stop]
        ids, xy = trajectory.id[rows], np.stack([trajectory.x[rows], trajectory.y[rows]], axis=1)
        close, gaps = _close_pairs(xy, 2 * r, period)
        if len(close):
            depth = (2 * r - gaps) / r
            pair_frames += len(close)
            deep += int((depth > 0.05).sum())
            max_pair = max(max_pair, float(depth.max()))
            pairs |= {tuple(sorted(p)) for p in ids[close].tolist()}
        gap = _wall_distance(xy, walls)
        touching = gap < r
        if touching.any():
            depth = (r - gap[touching]) / r
            wall_frames += int(touching.sum())
            deep += int((depth > 0.05).sum())
            max_wall = max(max_wall, float(depth.max()))
            wall_ids |= set(ids[touching].tolist())
    return {"pairs": len(pairs), "pair_frames": pair_frames, "max_pair_depth": max_pair,
            "walls": len(wall_ids), "wall_frames": wall_frames, "max_wall_depth": max_wall,
            "deeper_than_5pct": deep, "depth_unit": "radius"}


def _close_pairs(xy: np.ndarray, within: float, period) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (m, 2) of the points (n, 2) [m] closer than `within`, and their distances
    (m,); with `period` = (x_min, length) across the periodic seam too (minimum image)."""
    if period is None:
        pairs = cKDTree(xy).query_pairs(within, output_type="ndarray")
        return pairs, np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)
    x_min, length = period
    wrapped = np.stack([(xy[:, 0] - x_min) % length, xy[:, 1] - xy[:, 1].min()], axis=1)
    tree = cKDTree(wrapped, boxsize=[length, np.ptp(wrapped[:, 1]) + 2 * within + 1.0])
    pairs = tree.query_pairs(within, output_type="ndarray")
    step = wrapped[pairs[:, 0]] - wrapped[pairs[:, 1]]
    step[:, 0] -= length * np.round(step[:, 0] / length)
    return pairs, np.linalg.norm(step, axis=1)


def _wall_distance(xy: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """(n,) distance [m] of each point (n, 2) to the nearest of the segments (m, 4)."""
    if not len(walls):
        return np.full(len(xy), np.inf)
    a, b = walls[None, :, :2], walls[None, :, 2:]
    ab, ap = b - a, xy[:, None, :] - a
    s = np.clip((ap * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
    return np.linalg.norm(ap - s[..., None] * ab, axis=-1).min(axis=1)


def _voronoi(data: pedpy.TrajectoryData, scene: Scene, window: tuple[float, float]) -> dict:
    """Mean Voronoi density [1/m²] and speed [m/s] and classic density in the measurement
    area over the frames every SAMPLE_EVERY s inside `window` [s] where it is occupied."""
    fps = data.frame_rate
    step = max(1, round(SAMPLE_EVERY * fps))
    frames = data.data.frame
    chosen = (frames % step == 0) & frames.between(window[0] * fps, window[1] * fps)
    if not chosen.any():
        return dict.fromkeys(("density", "speed", "density_classic", "speed_classic"))
    sample = pedpy.TrajectoryData(data=data.data[chosen].copy(), frame_rate=fps)
    speed = pedpy.compute_individual_speed(
        traj_data=data, frame_step=max(1, round(0.5 * fps)),
        speed_calculation=pedpy.SpeedCalculation.BORDER_SINGLE_SIDED)
    cells = pedpy.compute_individual_voronoi_polygons(traj_data=sample,
                                                      walkable_area=scene.walkable_area())
    density, intersecting = pedpy.compute_voronoi_density(
        individual_voronoi_data=cells, measurement_area=scene.measurement_area)
    speeds = pedpy.compute_voronoi_speed(
        traj_data=sample, individual_speed=speed, individual_voronoi_intersection=intersecting,
        measurement_area=scene.measurement_area)
    classic = pedpy.compute_classic_density(traj_data=sample,
                                            measurement_area=scene.measurement_area)
    mean_speed = pedpy.compute_mean_speed_per_frame(
        traj_data=sample, individual_speed=speed, measurement_area=scene.measurement_area)
    kept = sorted(set(sample.data.frame))
    table = density.set_index("frame").loc[kept].join(speeds.set_index("frame"))
    table = table.join(classic.set_index("frame").rename(columns={"density": "classic"}))
    table = table.join(mean_speed.set_index("frame").rename(columns={"speed": "mean_speed"}))
    table = table[table["density"] > 0]
    if table.empty:
        return dict.fromkeys(("density", "speed", "density_classic", "speed_classic"))
    return {"density": float(table["density"].mean()), "speed": float(table["speed"].mean()),
            "density_classic": float(table["classic"].fillna(0).mean()),
            "speed_classic": float(table["mean_speed"].mean())}


def compute_metrics(trajectory: Trajectory, scene: Scene) -> dict:
    """metrics.json of one run (see the module docstring for every key)."""
    data = trajectory.to_pedpy()
    _, crossing = pedpy.compute_n_t(traj_data=data, measurement_line=scene.exit_line)
    times = np.sort(crossing["frame"].to_numpy()) / trajectory.fps
    duration = trajectory.frames / trajectory.fps
    warmup = WARMUP_FRACTION * duration if scene.periodic else 0.0
    flow, t0, t1 = steady_flow(times[times >= warmup])
    window = (warmup, duration) if scene.periodic else (t0, t1)
    crossed = len(times)
    metrics = {
        "scene": scene.name, "producer": trajectory.producer, "agents": scene.agents,
        "agents_density": scene.agents / scene.spawn.area,
        "width": scene.width, "fps": trajectory.fps, "duration": duration,
        "flow": flow, "specific_flow": None if flow is None else flow / scene.width,
        "flow_window": [t0, t1], "crossings": crossed,
        **_voronoi(data, scene, window),
        "density_method": "voronoi (PedPy, no cut-off); classic also given",
        "overlaps": overlaps(trajectory, scene),
        "crossing_times": [round(float(t), 3) for t in times],
    }
    if scene.periodic:
        metrics.update(evacuated=None, evacuated_count=None, evacuation_time=None)
    else:
        done = crossed >= scene.agents
        metrics.update(evacuated=crossed / scene.agents, evacuated_count=crossed,
                       evacuation_time=float(times[-1]) if done and crossed else None)
    return metrics
