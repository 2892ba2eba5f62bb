"""`water watch`: replay or run, then show in a window or record a file (the driving part is
`autoparticles.driving.watch`; this one moves to the water system's folder)."""

import numpy as np

from autoparticles.render.viewer import open_canvas


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
    canvas = open_canvas(record, lambda human: WaterRenderer(box, size, human))
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
