"""`drive watch`: run, then show in a window or record a file (and the window-or-file choice
every system's watch shares)."""

import numpy as np

from autoparticles.render.canvas import has_display

NO_DISPLAY = "no display available for a window; add --record FILE.gif (or .mp4) to write the animation"


def _frames_or_window(record, canvas_factory):
    if record is None and not has_display():
        raise RuntimeError(NO_DISPLAY)
    return canvas_factory(human=record is None)


def watch_driving(config, policy_name: str, steps: int, record=None, seed: int = 0,
                  size: int = 800, every: int = 1):
    """Run the world under a policy; returns the written path (record) or None (window)."""
    from autoparticles.agents.policies import resolve_policy
    from autoparticles.envs.metrics import EpisodeMetrics, heads_up
    from autoparticles.envs.world import DrivingWorld
    from autoparticles.render.driving import DrivingRenderer
    from autoparticles.render.recording import write_animation
    from autoparticles.render.viewer import interactive

    world = DrivingWorld(config, seed=seed)
    policy = resolve_policy(policy_name, config)
    canvas = _frames_or_window(record, lambda human: DrivingRenderer(
        config.box, config.radius, size, human, fps=int(round(1 / config.dt))))
    metrics = EpisodeMetrics(config.n_particles, config.dt)
    state = {"obs": world.observe(), "onsets": np.zeros(config.n_particles), "total": 0}

    def advance(n):
        for _ in range(n):
            state["obs"], _, info = world.step(policy(state["obs"], world))
            metrics.add(info)
            state["onsets"], state["total"] = info["collisions"], state["total"] + info["onsets"]

    def draw():
        return canvas.draw(world.positions, world.velocities, world.headings,
                           world.sensed.neighbour, state["onsets"],
                           heads_up(metrics, state["total"]))

    if record is None:
        interactive(canvas, advance, draw, steps)
        canvas.close()
        return None
    frames = []
    for _ in range(0, steps, every):
        advance(every)
        frames.append(draw())
    canvas.close()
    return write_animation(frames, record, fps=int(round(1 / (config.dt * every))))
