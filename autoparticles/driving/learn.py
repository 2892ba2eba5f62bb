"""How the drivers are trained: one policy shared by all particles, every particle a slot of
`ParticleVecEnv`, with the shared SB3 layer (`agents.sb3`).

The output folder holds `config.json` (the resolved world config), `train.json` (learner
settings), `progress.csv` (collision rate, forward speed and reward against particle-steps),
`checkpoint.zip`, with `select_every` the best model on validation episodes (`best.zip`,
`best.json`) and, at the end, `model.zip`. Starting again on the same folder resumes.
"""

from pathlib import Path

import numpy as np

from autoparticles.agents.sb3 import TrainSettings, check_mirror, load_progress, train_model
from autoparticles.config import claim_folder
from autoparticles.driving.analysis import EpisodeMetrics, ballistic_rate
from autoparticles.driving.config import DrivingConfig

__all__ = ["TrainSettings", "train", "load_progress"]


class RolloutTracker:
    """Metrics of the rollout steps between two progress rows, from the VecEnv's infos
    (per-slot `collisions`, world values in slot 0) through `EpisodeMetrics`."""

    columns = ("collision_rate", "relative_collision_rate", "forward_speed", "reward_per_step")

    def __init__(self, config: DrivingConfig, n_particles: int):
        self.config, self.n_particles = config, n_particles
        self.ballistic = ballistic_rate(config)

    def clear(self) -> None:
        self.metrics = EpisodeMetrics(self.n_particles, self.config.dt)
        self.reward = 0.0

    def add(self, sb3_locals: dict) -> None:
        infos = sb3_locals["infos"]
        self.metrics.add({**infos[0], **{key: [info[key] for info in infos]
                                         for key in ("collisions", "present")}})
        self.reward += float(np.mean(sb3_locals["rewards"]))

    def row(self) -> tuple:
        summary = self.metrics.summary()
        rate = summary["collision_rate"]
        return (rate, rate / self.ballistic, summary["forward_speed"],
                self.reward / self.metrics.steps)

    def postfix(self, row: tuple) -> str:
        if np.isfinite(row[1]):
            return f"collisions {row[1]:.1%} of ballistic, speed {row[2]:.2f}"
        return f"collisions {row[0]:.4f}/particle/time, speed {row[2]:.2f}"


def demonstrations(config: DrivingConfig, policy: str, steps: int, seed: int = 0):
    """(observations (M, obs_dim) float32 clipped to [-1, 1], actions (M, 2)) of about
    `steps` particle-steps of the world under a built-in policy, from fresh episodes."""
    from autoparticles.driving.agent import heuristic
    from autoparticles.driving.world import DrivingWorld

    act = heuristic(policy, config)
    world = DrivingWorld(config, seed=seed + 1_000_000)
    observations, actions = [], []
    while sum(len(a) for a in actions) < steps:
        if world.steps >= config.episode_steps:
            world.reset()
        percept = world.percept()
        action = act(percept)
        observations.append(np.clip(percept.observation, -1, 1).astype(np.float32))
        actions.append(action)
        world.step(action)
    return np.concatenate(observations), np.concatenate(actions)


VALIDATION_SEED = 900_000
"""First world seed of the validation episodes that `select_every` scores models on (episode
k: VALIDATION_SEED + k), far from the seeds evaluations use (0, 10000, 20000, ...)."""


def validation_score(config: DrivingConfig, episodes: int):
    """model -> the mean reward per particle and step of its deterministic policy over
    `episodes` full validation episodes (the honest reward the learner maximises)."""
    from autoparticles.agents.policies import model_policy
    from autoparticles.driving.agent import percept_policy
    from autoparticles.driving.world import DrivingWorld

    world = DrivingWorld(config, seed=VALIDATION_SEED)

    def score(model) -> float:
        policy = percept_policy(model_policy(model), config)
        total = 0.0
        for episode in range(episodes):
            world.reset(VALIDATION_SEED + episode)
            for _ in range(config.episode_steps):
                total += world.step(policy(world.percept()))[1].mean()
        return total / (episodes * config.episode_steps)

    return score


def train(config: DrivingConfig, settings: TrainSettings, out, progress: bool = True) -> Path:
    """Train (or resume) and return the path of the final `model.zip`; with
    `settings.imitate` ("ttc", ...) a new policy first clones that policy's actions."""
    from autoparticles.driving.agent import POLICIES
    from autoparticles.envs.vec_env import ParticleVecEnv

    if settings.imitate and settings.imitate not in POLICIES:
        raise ValueError(f"imitate must be one of {sorted(POLICIES)}, got {settings.imitate!r}")
    mirror = config.mirror_columns() if settings.mirror else None  # refused before any file
    check_mirror(settings, mirror)
    out = claim_folder(out, {"config": config, "train": settings}, free=("steps",))
    venv = ParticleVecEnv(config, seed=settings.seed)
    return train_model(settings, venv, out, RolloutTracker(config, venv.num_envs), progress,
                       lambda: demonstrations(config, settings.imitate, settings.imitate_steps,
                                              settings.seed),
                       mirror,
                       validation_score(config, settings.select_episodes)
                       if settings.select_every else None)
