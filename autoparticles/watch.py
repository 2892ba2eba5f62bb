"""`drive watch` and `water watch`: run or replay, then show in a window or record a file."""

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


def watch_water(record=None, trajectory=None, model=None, data=None, frames: int = 200,
                steps_per_frame: int = 10, size: int = 800):
    """Replay an extended-XYZ trajectory (at most `frames` evenly spaced frames) or run a
    model live from the reference for `frames` frames."""
    from autoparticles.molecular.extxyz import read_extxyz
    from autoparticles.render.recording import write_animation
    from autoparticles.render.water import WaterRenderer

    if trajectory is not None:
        replay = read_extxyz(trajectory)
        numbers = np.array([8 if s == "O" else 1 for s in replay["symbols"]])
        stride = max(1, -(-len(replay["positions"]) // frames))  # at most `frames` frames
        box = replay["box"]
        positions, infos = replay["positions"][::stride], replay["info"][::stride]

        def state(k):
            info = infos[k]
            hud = (f"t = {float(info.get('time_fs', 0)) / 1000:6.2f} ps   T = "
                   f"{float(info.get('temperature_k', 'nan')):5.0f} K   loss sum "
                   f"{float(info.get('loss_sum_ev', 'nan')):8.3f} eV")
            return positions[k], hud
        count = len(positions)
    else:
        from autoparticles.molecular.simulate import RunSettings
        from autoparticles.molecular.workflow import start_simulation

        sim = start_simulation(model, data, RunSettings(), "reference")
        numbers, box = sim.numbers, sim.box

        def state(k):
            if k:
                for _ in range(steps_per_frame):
                    sim.step()
            hud = (f"t = {sim.time / 1000:6.2f} ps   T = {sim.temperature():5.0f} K   "
                   f"loss sum {float(sim.losses.sum()):8.3f} eV")
            return sim.x, hud
        count = frames
    canvas = _frames_or_window(record, lambda human: WaterRenderer(box, size, human))
    yaw_per_frame = 2 * np.pi / 240
    if record is None:
        index = {"k": 0}

        def advance(n):
            index["k"] = min(index["k"] + n, count - 1)

        def draw():
            x, hud = state(index["k"])
            canvas.draw(x, numbers, index["k"] * yaw_per_frame, hud)
        from autoparticles.render.viewer import interactive

        interactive(canvas, advance, draw, count)
        canvas.close()
        return None
    images = []
    for k in range(count):
        x, hud = state(k)
        images.append(canvas.draw(x, numbers, k * yaw_per_frame, hud))
    canvas.close()
    return write_animation(images, record, fps=20)
