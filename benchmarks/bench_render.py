"""Rendering speed: frames per second at 800 x 800, headless (SDL_VIDEODRIVER=dummy).

    python benchmarks/bench_render.py [--seconds 2] [--out benchmarks/results]

Drivers: N = 100 and 1,000 at the default density; water: 64 and 512 molecules. Target:
>= 60 fps at N = 1,000 drivers.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


def fps(draw, seconds: float) -> float:
    draw(0)
    frames, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        frames += 1
        draw(frames)
    return frames / (time.perf_counter() - started)


def main():
    from autoparticles.molecular.box import build_water_box
    from autoparticles.render.driving import DrivingRenderer
    from autoparticles.render.water import WaterRenderer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for n in (100, 1000):
        box = float(np.sqrt(n / (32 / 400)))
        x, v = rng.uniform(0, box, (n, 2)), rng.normal(size=(n, 2))
        e = v / np.linalg.norm(v, axis=1, keepdims=True)
        watched = rng.integers(0, n, n)
        renderer = DrivingRenderer(box, 0.5, size=800)
        rows.append({"scene": f"driving N={n}", "fps": fps(
            lambda k: renderer.draw(np.mod(x + 0.1 * k * v, box), v, e, watched, hud="t"), args.seconds)})
    for molecules in (64, 512):
        water = build_water_box(molecules, seed=0)
        renderer = WaterRenderer(water.box, size=800)
        rows.append({"scene": f"water {molecules} H2O", "fps": fps(
            lambda k: renderer.draw(water.positions, water.numbers, 0.02 * k, "t"), args.seconds)})
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "render.csv", index=False)
    print(table.to_string(index=False, float_format=lambda f: f"{f:,.1f}"))


if __name__ == "__main__":
    main()
