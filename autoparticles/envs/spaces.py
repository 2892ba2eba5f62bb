"""Gymnasium spaces of a particle world, where every observation and action lies in [-1, 1],
and the conversions and info fan-out the shells share."""

import numpy as np
from gymnasium import spaces


def observation_space(obs_dim: int) -> spaces.Box:
    return spaces.Box(-1.0, 1.0, shape=(obs_dim,), dtype=np.float32)


def action_space(action_dim: int) -> spaces.Box:
    return spaces.Box(-1.0, 1.0, shape=(action_dim,), dtype=np.float32)


def as_observation(obs: np.ndarray) -> np.ndarray:
    """float32 copy clipped to the space (rounding can step 1e-16 outside)."""
    return np.clip(obs, -1.0, 1.0).astype(np.float32)


def as_actions(actions, shape: tuple) -> np.ndarray:
    """float64 actions of `shape` ((A,) for one particle, (N, A) for all); an action of
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


def world_values(info: dict) -> dict:
    """The numbers of a world's step info that describe the whole world (not arrays)."""
    return {k: v for k, v in info.items() if isinstance(v, (int, float))}


def particle_values(info: dict, keys) -> list[dict]:
    """One dict per particle of its entries of the (N,) info arrays named in `keys`, as
    Python numbers (each array is converted once: this runs every step for every slot)."""
    columns = {k: info[k].tolist() for k in keys}
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def slot_keys(info: dict, n: int) -> list[str]:
    """Names of the (N,) per-particle arrays of a step info."""
    return [k for k, v in info.items() if isinstance(v, np.ndarray) and v.shape == (n,)]


def build_world(source, seed=None):
    """`source` itself when it is a world (has `step`), else the world its settings make
    (`source.make_world(seed)`); None is refused."""
    if hasattr(source, "step"):
        return source
    if hasattr(source, "make_world"):
        return source.make_world(seed)
    raise TypeError(f"expected a world or settings with make_world(), got {source!r:.60}")
