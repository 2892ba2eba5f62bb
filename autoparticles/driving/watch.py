"""`drive watch`: run the world under a policy, then show it in a window or record a file."""

import numpy as np

from autoparticles.driving.agent import resolve_policy
from autoparticles.driving.analysis import heads_up, new_metrics
from autoparticles.driving.config import DrivingConfig
from autoparticles.loop import Run


def renderer(config: DrivingConfig, human: bool, size: int = 600, world=None):
    """A DrivingRenderer of the config's scene at one frame per dt: a torus scene coloured
    by heading; a typed scene by group, with its walls, goals and a legend."""
    from autoparticles.render.driving import DrivingRenderer

    fps = int(round(1 / config.dt))
    scene = config.scene
    if not scene.typed:
        return DrivingRenderer(config.box, config.radius, size, human, fps=fps)
    world = world or config.make_world(0)
    p = world.particles
    return DrivingRenderer(scene.geometry.size, p.radius, size, human, fps=fps,
                           periodic=scene.geometry.periodic, walls=scene.geometry.segments,
                           goals=[t.goal for t in scene.types if t.goal is not None],
                           groups=p.group, legend=scene.groups)


def watch_driving(config: DrivingConfig, policy_name: str, steps: int, record=None,
                  seed: int = 0, size: int = 800, every: int = 1):
    """Run the world under a policy; returns the written path (record) or None (window)."""
    from autoparticles.render.viewer import open_canvas, show_or_record

    world = config.make_world(seed)
    run = Run(world, resolve_policy(policy_name, config))
    canvas = open_canvas(record, lambda human: renderer(config, human, size, world))
    metrics = new_metrics(world)
    run.attach(metrics.add)
    seen = {"onsets": np.zeros(world.n_particles), "total": 0}

    def count(info):
        seen["onsets"], seen["total"] = info["collisions"], seen["total"] + info["onsets"]

    run.attach(count)

    def draw():
        return canvas.draw(world.positions, world.velocities, world.headings,
                           world.watched, seen["onsets"], heads_up(metrics, seen["total"]))

    return show_or_record(canvas, run.run, draw, steps, record,
                          fps=int(round(1 / (config.dt * every))), every=every)
