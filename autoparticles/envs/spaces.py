"""Gymnasium spaces of the driving world: every observation and action lies in [-1, 1]."""

import numpy as np
from gymnasium import spaces

from autoparticles.envs.config import DrivingConfig


def observation_space(config: DrivingConfig) -> spaces.Box:
    return spaces.Box(-1.0, 1.0, shape=(config.obs_dim,), dtype=np.float32)


def action_space() -> spaces.Box:
    return spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)


def as_observation(obs: np.ndarray) -> np.ndarray:
    """float32 copy clipped to the space (rounding can step 1e-16 outside)."""
    return np.clip(obs, -1.0, 1.0).astype(np.float32)
