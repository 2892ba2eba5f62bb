"""`water watch`: replay a trajectory or run a model live, then show it in a window or record
a file."""

import numpy as np

from autoparticles.molecular.config import RunSettings, atomic_numbers
from autoparticles.molecular.io import read_extxyz
from autoparticles.molecular.world import start_simulation
from autoparticles.render.viewer import open_canvas, show_or_record


def watch_water(record=None, trajectory=None, model=None, data=None, frames: int = 200,
                steps_per_frame: int = 10, size: int = 800, settings: RunSettings | None = None):
    """Replay an extended-XYZ trajectory (at most `frames` evenly spaced frames) or run a
    model live from the reference for `frames` frames under `settings` (default
    RunSettings())."""
    from autoparticles.render.water import WaterRenderer

    view = {"k": 0}
    if trajectory is not None:
        replay = read_extxyz(trajectory)
        numbers = atomic_numbers(replay["symbols"])
        stride = max(1, -(-len(replay["positions"]) // frames))  # at most `frames` frames
        box = replay["box"]
        positions, infos = replay["positions"][::stride], replay["info"][::stride]
        count = len(positions)

        def state():
            info = infos[view["k"]]
            hud = (f"t = {float(info.get('time_fs', 0)) / 1000:6.2f} ps   T = "
                   f"{float(info.get('temperature_k', 'nan')):5.0f} K   loss sum "
                   f"{float(info.get('loss_sum_ev', 'nan')):8.3f} eV")
            return positions[view["k"]], hud

        def advance(n):
            view["k"] = min(view["k"] + n, count - 1)
    else:
        sim = start_simulation(model, data, settings or RunSettings())
        numbers, box, count = sim.numbers, sim.box, frames

        def state():
            hud = (f"t = {sim.time / 1000:6.2f} ps   T = {sim.temperature():5.0f} K   "
                   f"loss sum {float(sim.losses.sum()):8.3f} eV")
            return sim.x, hud

        def advance(n):
            for _ in range(n * steps_per_frame):
                sim.step()
            view["k"] += n
    canvas = open_canvas(record, lambda human: WaterRenderer(box, size, human))
    yaw_per_frame = 2 * np.pi / 240

    def draw():
        x, hud = state()
        return canvas.draw(x, numbers, view["k"] * yaw_per_frame, hud)

    return show_or_record(canvas, advance, draw, count, record, fps=20)
