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


def as_actions(actions, shape: tuple) -> np.ndarray:
    """float64 actions of `shape` ((2,) for one particle, (N, 2) for all); an action of
    another size or with non-finite entries is refused with a message naming the shape."""
    try:
        array = np.asarray(actions, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"actions must be numbers of shape {shape}, got {actions!r:.60}") from None
    if array.size != int(np.prod(shape)):
        raise ValueError(f"actions must have shape {shape}, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("actions hold NaN or infinite values")
    return array.reshape(shape)
