"""`drive watch`: run the world under a policy, then show it in a window or record a file."""

import numpy as np

from autoparticles.driving.agent import resolve_policy
from autoparticles.driving.analysis import EpisodeMetrics, heads_up
from autoparticles.driving.config import DrivingConfig
from autoparticles.loop import Run


def renderer(config: DrivingConfig, human: bool, size: int = 600):
    """A DrivingRenderer of the config's box at one frame per dt."""
    from autoparticles.render.driving import DrivingRenderer

    return DrivingRenderer(config.box, config.radius, size, human, fps=int(round(1 / config.dt)))


def watch_driving(config: DrivingConfig, policy_name: str, steps: int, record=None,
                  seed: int = 0, size: int = 800, every: int = 1):
    """Run the world under a policy; returns the written path (record) or None (window)."""
    from autoparticles.render.viewer import open_canvas, show_or_record

    world = config.make_world(seed)
    run = Run(world, resolve_policy(policy_name, config))
    canvas = open_canvas(record, lambda human: renderer(config, human, size))
    metrics = EpisodeMetrics(config.n_particles, config.dt)
    run.attach(metrics.add)
    seen = {"onsets": np.zeros(config.n_particles), "total": 0}

    def count(info):
        seen["onsets"], seen["total"] = info["collisions"], seen["total"] + info["onsets"]

    run.attach(count)

    def draw():
        return canvas.draw(world.positions, world.velocities, world.headings,
                           world.sensed.neighbour, seen["onsets"], heads_up(metrics, seen["total"]))

    return show_or_record(canvas, run.run, draw, steps, record,
                          fps=int(round(1 / (config.dt * every))), every=every)
