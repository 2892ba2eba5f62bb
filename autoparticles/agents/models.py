"""Loading trained stable-baselines3 models with checks against the requested world."""

from pathlib import Path

from autoparticles.envs.config import DrivingConfig


def load_model(path, config: DrivingConfig):
    """PPO/SAC model from `path`; raises ValueError when it cannot be read or its observation
    size differs from what `config` produces."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    from stable_baselines3 import PPO, SAC

    errors = []
    for algo in (PPO, SAC):
        try:
            model = algo.load(path, device="cpu")
            break
        except Exception as error:  # SB3 raises many types for foreign files
            errors.append(f"{algo.__name__}: {error}")
    else:
        raise ValueError(f"{path} is not a readable SB3 model ({'; '.join(errors)})")
    shape = model.observation_space.shape
    if shape != (config.obs_dim,):
        raise ValueError(
            f"{path} expects observations of shape {shape}, but observation="
            f"{config.observation!r}, neighbour_rule={config.neighbour_rule!r}, "
            f"action={config.action!r} gives ({config.obs_dim},)")
    return model
