"""Speed of the driving world: `DrivingWorld` stepped by the run loop under the ttc policy,
and `ParticleVecEnv.step` with ttc actions computed from the observations, as a policy
would, at the default density (32 per 20 × 20)."""

import numpy as np
import pandas as pd

from autoparticles.bench import time_calls
from autoparticles.driving.agent import heuristic, ttc_pair_actions
from autoparticles.driving.config import DrivingConfig
from autoparticles.loop import Run


def _config(n: int) -> DrivingConfig:
    return DrivingConfig(n_particles=n, box=float(np.sqrt(n / (32 / 400.0))))


def _row(interface: str, n: int, steps: int, elapsed: float) -> dict:
    return {"interface": interface, "N": n, "steps_per_s": steps / elapsed,
            "particle_steps_per_s": n * steps / elapsed}


def typed_config(n: int) -> DrivingConfig:
    """A typed scene of n moving particles at the default density: cars, bikes and walkers
    (radii 0.5, 0.35, 0.25; random headings) in a street periodic along x with walls at its
    two long sides."""
    from autoparticles.driving.scene import Geometry, ParticleType, Scene

    side = float(np.sqrt(n / (32 / 400.0)))
    counts = (n // 2, n // 4, n - n // 2 - n // 4)
    kinds = (("car", 0.5, 1.0, 2.0), ("bike", 0.35, 0.7, 1.4), ("walker", 0.25, 0.4, 0.8))
    types = tuple(ParticleType(name=name, count=count, radius=radius, v0=v0, v_max=v_max)
                  for (name, radius, v0, v_max), count in zip(kinds, counts))
    return DrivingConfig().for_scene(Scene(f"bench-{n}", Geometry(size=(side, side),
                                                                  periodic=(True, False)), types))


def world_rate(n: int, min_seconds: float = 1.0, seed: int = 0, typed: bool = False) -> dict:
    """Steps/s of DrivingWorld.step driven by the ttc policy through the run loop (typed:
    the 3-type walled scene of `typed_config`)."""
    config = typed_config(n) if typed else _config(n)
    run = Run(config.make_world(seed), heuristic("ttc", config))
    run.step()  # compile / warm up
    label = "DrivingWorld.step, 3 types + walls" if typed else "DrivingWorld.step"
    return _row(label, n, *time_calls(run.step, min_seconds))


def vec_env_rate(n: int, min_seconds: float = 1.0, seed: int = 0) -> dict:
    """Steps/s of ParticleVecEnv.step (all N slots) with ttc actions from the observations."""
    from autoparticles.envs.vec_env import ParticleVecEnv

    config = _config(n)
    venv = ParticleVecEnv(config, seed=seed)
    state = {"obs": venv.reset()}

    def advance():
        actions = ttc_pair_actions(state["obs"].astype(np.float64), 2 * config.radius,
                                   config.sensing, config.v_max, config.tau0, a_max=config.a_max)
        state["obs"] = venv.step(actions)[0]

    advance()
    return _row("ParticleVecEnv.step", n, *time_calls(advance, min_seconds))


def driving_throughput(sizes=(100, 1_000, 10_000, 100_000), min_seconds: float = 1.0):
    """Table of world and VecEnv throughput at each size (ttc policy)."""
    rows = [world_rate(n, min_seconds) for n in sizes]
    rows += [world_rate(n, min_seconds, typed=True) for n in sizes]
    rows += [vec_env_rate(n, min_seconds) for n in sizes]
    return pd.DataFrame(rows)
