"""Our own world walking the crowd scenes: the driving world's policies (`ttc`, `orca`, a
trained model) as trajectory producers beside JuPedSim, on the same geometry, starts, desired
speeds and goals.

Units. The driving world is dimensionless; a pedestrian scene is in metres and seconds. One
length unit is `LENGTH` = 0.5 m (the driving bottleneck's radius 0.4 is the pedestrians'
0.2 m) and one speed unit `SPEED` = 1.34 m/s (desired speed 1 is Weidmann's mean free walking
speed), so one time unit is 0.373 s. Every setting of the driving world is carried over in
these units — dt 0.1 → 0.037 s, relaxation time 1 → 0.37 s (Helbing & Molnár use 0.5 s),
sensing 5 → 2.5 m, urgency time 2 → 0.75 s, v_max 2 → 2.68 m/s, a_max 2 → 7.2 m/s² — so a
model trained on `--scenario bottleneck` sees here exactly the invariants it learned on.
Bodies are hard (`collision = "hard"`, settled in up to `CONTACT_PASSES` passes a step):
pedestrians cannot pass through each other or walls. A trained model walks a pedestrian who
is alone (nobody within sensing range) or watches a wall rather than another pedestrian
without its side preference (`mirror_alone`, `mirror_beside_walls`), and shows a pedestrian
who is alone only a wall it approaches or touches (`alone_walls`).
"""

from pathlib import Path

import numpy as np

from autoparticles.crowd.scenes import Scene, Starts
from autoparticles.crowd.trajectories import Trajectory

LENGTH = 0.5
"""Metres per driving length unit."""
SPEED = 1.34
"""Metres per second per driving speed unit (Weidmann 1993's mean free walking speed)."""
TIME = LENGTH / SPEED
FPS = 10.0
"""Frames per second aimed at for the recorded trajectory (as JuPedSim's runs); the exact
rate is one frame per whole number of steps (8.9 fps)."""
CONTACT_PASSES = 50
"""Hard-contact passes a step (`DrivingConfig.contact_passes`): bodies pressed together at a
door are pushed apart until no overlap is deeper than 1 % of the radius."""
SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "data" / "pedestrian_model.zip"
"""The pedestrian policy shipped with the package (`--policy learned`)."""


def world_config(scene: Scene, starts: Starts, **settings):
    """(DrivingConfig on the scene's geometry in SI units, offset (2,) [m] subtracted from
    crowd coordinates to get world coordinates); `settings` are further DrivingConfig fields
    (a trained model's `trained_settings`)."""
    from autoparticles.driving.config import DrivingConfig
    from autoparticles.driving.scene import Geometry, ParticleType
    from autoparticles.driving.scene import Scene as DrivingScene

    x0, y0, x1, y1 = scene.walkable.bounds
    if scene.periodic is not None:
        x0, x1 = scene.periodic
    offset = np.array([x0, y0])

    def shifted(box):
        a, b, c, d = box
        return (a - x0, b - y0, c - x0, d - y0)

    periodic = scene.periodic is not None
    walls = () if periodic else tuple(shifted(w) for w in scene.walls)
    geometry = Geometry(size=(x1 - x0, y1 - y0), periodic=(periodic, False), walls=walls)
    radius = scene.pedestrians.radius
    types = []
    for g in range(len(scene.goals)):
        count = int(np.sum(starts.goal == g))
        if not count:
            continue
        placed = tuple(map(tuple, (starts.positions[starts.goal == g] - offset).tolist()))
        goal = shifted(scene.goals[g].bounds)
        if periodic:  # walk on around the ring towards the goal's end
            heading = "east" if goal[0] > geometry.size[0] / 2 else "west"
            kind = dict(heading=heading)
        else:
            w, h = geometry.size
            inside = (max(goal[0], 0.0), max(goal[1], 0.0), min(goal[2], w), min(goal[3], h))
            kind = dict(heading="goal", goal=inside, leave=True)
        types.append(ParticleType(name=f"pedestrian_{g}", group="pedestrian", count=count,
                                  radius=radius, v0=SPEED, v_max=2 * SPEED,
                                  a_max=2 * LENGTH / TIME**2, positions=placed, **kind))
    driving = DrivingScene(scene.name, geometry, tuple(types), f"crowd {scene.name}")
    config = DrivingConfig(dt=0.1 * TIME, tau=TIME, sensing=5 * LENGTH, tau0=2 * TIME,
                           collision="hard", contact_passes=CONTACT_PASSES, episode_steps=10**9,
                           mirror_alone=True, mirror_beside_walls=True,
                           alone_walls="concerning", **settings)
    return config.for_scene(driving), offset


def run_ours(policy: str, scene: Scene, starts: Starts, seed: int) -> Trajectory:
    """Walk `scene` from `starts` with one of our policies ("ttc", "orca", "learned" for the
    shipped model, or a model .zip) and record it at FPS: a pedestrian stops appearing once
    it reached its goal, and one carried across a periodic seam goes on under a new id."""
    from autoparticles.driving.agent import POLICIES, resolve_policy, trained_settings
    from autoparticles.loop import Run

    policy_path = str(SHIPPED_MODEL) if policy == "learned" else policy
    settings = {} if policy in POLICIES else trained_settings(policy_path)
    config, offset = world_config(scene, starts, **settings)
    world = config.make_world(seed)  # at the crowd's starts, type by type (goal by goal)
    order = np.concatenate([np.nonzero(starts.goal == g)[0] for g in range(len(scene.goals))])
    world.particles.v0[:] = starts.v0[order]
    world.velocities = world.particles.v0[:, None] * world.headings
    world.observe()
    act = resolve_policy(policy_path, config)
    run = Run(world, act)
    every = max(1, round(1.0 / (FPS * config.dt)))
    fps = 1.0 / (every * config.dt)
    ids, next_id = order.copy(), len(order)
    rows, last = [], world.positions[:world.n_particles].copy()
    period = world.scene.geometry.size[0]
    frames = int(scene.duration * fps)
    for frame in range(frames):
        x = world.positions[:world.n_particles]
        if scene.periodic is not None:  # a jump by more than half the cell: across the seam
            jumped = np.abs(x[:, 0] - last[:, 0]) > period / 2
            ids[jumped] = np.arange(next_id, next_id + jumped.sum())
            next_id += int(jumped.sum())
        last = x.copy()
        here = ~world.left
        rows += [(frame, i, px, py) for i, (px, py) in zip(ids[here], x[here] + offset)]
        if not here.any():
            break
        run.run(every)
    return Trajectory.from_rows(rows, fps, producer=f"autoparticles:{policy}",
                                periodic=scene.periodic is not None)
