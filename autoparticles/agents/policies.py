"""Policies of any particle system from trained stable-baselines3 models."""

from typing import Callable

import numpy as np


def model_policy(model) -> Callable[[np.ndarray], np.ndarray]:
    """Deterministic actions (N, A) of an SB3 model for observations (N, D), which are
    clipped to the [-1, 1] observation space and cast to float32 as in training."""
    return lambda observations: model.predict(
        np.clip(observations, -1, 1).astype(np.float32), deterministic=True)[0]
