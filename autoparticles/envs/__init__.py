"""Gymnasium, SB3 VecEnv and PettingZoo shells over any particle world.

A world has `n_particles`, `obs_dim`, `action_dim`, `episode_steps`, `steps` (since the last
reset), `slot_info` (per-particle info keys each slot carries), `reset(seed) -> (N, obs_dim)`,
`percept()` (what policies see) and `step(actions (N, A)) -> (obs, rewards (N,), info)`.
Shells take a world or settings that make one (`settings.make_world(seed)`).

`ParticleEnv` (gymnasium), `ParticleVecEnv` (SB3, hence torch) and `ParticleParallelEnv`
(PettingZoo) load on first use. `register(table)` registers gymnasium ids by entry-point
strings. The first round's driving names (`DrivingConfig`, `DrivingWorld`, `DrivingEnv`,
`parallel_env`, `ENV_ID`, `register_envs`) still resolve here, lazily, from
`autoparticles.driving`.
"""

from autoparticles.exports import lazy_exports

__getattr__ = lazy_exports(__name__, {
    "ParticleEnv": "autoparticles.envs.gym_env",
    "ParticleVecEnv": "autoparticles.envs.vec_env",
    "ParticleParallelEnv": "autoparticles.envs.parallel",
    "DrivingConfig": "autoparticles.driving.config",
    "DrivingWorld": "autoparticles.driving.world",
    "DrivingEnv": "autoparticles.driving.env",
    "parallel_env": "autoparticles.driving.env",
    "ENV_ID": "autoparticles.driving.env",
    "register_envs": "autoparticles.driving.env",
})


def register(table: dict) -> None:
    """Register gymnasium ids (id -> "module:callable" entry point), once each."""
    import gymnasium

    for env_id, entry_point in table.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point)


__all__ = ["ParticleEnv", "ParticleVecEnv", "ParticleParallelEnv", "register",
           "DrivingConfig", "DrivingWorld", "DrivingEnv", "parallel_env", "ENV_ID",
           "register_envs"]
