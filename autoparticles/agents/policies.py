"""Policies usable wherever one is needed: the world, the envs, evaluation and the CLI.

A policy here is `act(observations (N, obs_dim), world) -> actions (N, 2)`. The built-in
heuristics come from the world's controllers; a trained SB3 model is loaded from a path.
"""

from pathlib import Path
from typing import Callable

import numpy as np

from autoparticles.envs.config import DrivingConfig
from autoparticles.envs.controllers import CONFIG_CHECKS, CONTROLLERS

Policy = Callable[[np.ndarray, object], np.ndarray]


def heuristic(name: str, config: DrivingConfig) -> Policy:
    """A built-in controller ('ballistic', 'ttc', 'orca') as a policy for worlds of `config`;
    refuses a config the controller cannot act in."""
    if name not in CONTROLLERS:
        raise ValueError(f"unknown policy {name!r}; built-in: {sorted(CONTROLLERS)} or a model path")
    if name in CONFIG_CHECKS:
        CONFIG_CHECKS[name](config)
    control = CONTROLLERS[name]
    return lambda observations, world: control(world)


def load_model_policy(path, config: DrivingConfig) -> Policy:
    """A trained SB3 model (.zip) as a deterministic policy; refuses a model whose
    observation size does not match `config`."""
    from autoparticles.agents.models import load_model

    model = load_model(path, config)
    return lambda observations, world: model.predict(
        np.clip(observations, -1, 1).astype(np.float32), deterministic=True)[0]


def resolve_policy(name_or_path: str, config: DrivingConfig) -> Policy:
    if name_or_path in CONTROLLERS:
        return heuristic(name_or_path, config)
    if Path(name_or_path).suffix == ".zip" or Path(name_or_path).exists():
        return load_model_policy(name_or_path, config)
    raise ValueError(f"unknown policy {name_or_path!r}: use {sorted(CONTROLLERS)} or a model .zip path")
