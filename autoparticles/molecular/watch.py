"""`water watch`: replay a trajectory or run a model live, then show it in a window or record
a file."""

import numpy as np

from autoparticles.molecular.config import RunSettings, atomic_numbers
from autoparticles.molecular.io import read_extxyz
from autoparticles.molecular.world import start_simulation
from autoparticles.watch import _frames_or_window


def watch_water(record=None, trajectory=None, model=None, data=None, frames: int = 200,
                steps_per_frame: int = 10, size: int = 800):
    """Replay an extended-XYZ trajectory (at most `frames` evenly spaced frames) or run a
    model live from the reference for `frames` frames."""
    from autoparticles.render.recording import write_animation
    from autoparticles.render.water import WaterRenderer

    if trajectory is not None:
        replay = read_extxyz(trajectory)
        numbers = atomic_numbers(replay["symbols"])
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
        sim = start_simulation(model, data, RunSettings())
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
