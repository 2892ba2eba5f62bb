"""The driving world and its gymnasium / SB3 / PettingZoo faces.

`DrivingWorld` (numba), `ParticleVecEnv` (stable-baselines3, hence torch) and `parallel_env`
(PettingZoo) load on first use, so that `import autoparticles` stays light and the command
line sets thread counts before numba or torch start.
"""

from autoparticles.envs.config import DrivingConfig

ENV_ID = "autoparticles/Driving-v0"


def register_envs() -> None:
    """Register `autoparticles/Driving-v0` with gymnasium (idempotent)."""
    import gymnasium

    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point="autoparticles.envs.gym_env:DrivingEnv")


def __getattr__(name):
    if name == "DrivingWorld":
        from autoparticles.envs.world import DrivingWorld

        return DrivingWorld
    if name == "ParticleVecEnv":
        from autoparticles.envs.vec_env import ParticleVecEnv

        return ParticleVecEnv
    if name in ("parallel_env", "DrivingParallelEnv"):
        from autoparticles.envs import parallel

        return getattr(parallel, name)
    if name == "DrivingEnv":
        from autoparticles.envs.gym_env import DrivingEnv

        return DrivingEnv
    raise AttributeError(f"module 'autoparticles.envs' has no attribute {name!r}")


__all__ = ["DrivingConfig", "DrivingWorld", "ENV_ID", "register_envs", "ParticleVecEnv",
           "parallel_env", "DrivingEnv"]
