"""`ParticleVecEnv`: an SB3 VecEnv with one slot per particle of one world (shared policy)."""

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from autoparticles.envs.spaces import (action_space, as_actions, as_observation, build_world,
                                       observation_space, particle_values, world_values)


class ParticleVecEnv(VecEnv):
    """num_envs = N: slot i is particle i of `world` (or of the world that settings such as a
    `DrivingConfig` make). Each slot's info carries the world's `slot_info` values of its
    particle, slot 0's also the world-wide numbers. All slots truncate together after
    `world.episode_steps`, with `terminal_observation` and `TimeLimit.truncated` in each
    slot's info, then the world resets (as SB3's DummyVecEnv does)."""

    def __init__(self, world, seed: int | None = None):
        self.world = build_world(world, seed)
        self.render_mode = None
        self._seed = seed
        self._episode = 0
        self._actions = None
        super().__init__(self.world.n_particles, observation_space(self.world.obs_dim),
                         action_space(self.world.action_dim))

    @property
    def config(self):
        """The world's settings (for code written against the first round's shell)."""
        return self.world.config

    def reset(self):
        seed = self._seeds[0] if self._seeds[0] is not None else self._seed
        if seed is not None:
            seed = seed + self._episode
        self._reset_seeds()
        self._episode += 1
        return as_observation(self.world.reset(seed))

    def step_async(self, actions):
        self._actions = as_actions(actions, (self.num_envs, self.world.action_dim))

    def step_wait(self):
        world = self.world
        obs, rewards, info = world.step(self._actions)
        obs = as_observation(obs)
        n = self.num_envs
        infos = particle_values(info, world.slot_info)
        infos[0].update(world_values(info))
        done = world.steps >= world.episode_steps
        if done:
            for i in range(n):
                infos[i]["terminal_observation"] = obs[i]
                infos[i]["TimeLimit.truncated"] = True
            obs = self.reset()
        return obs, rewards.astype(np.float32), np.full(n, done), infos

    def close(self):
        pass

    def seed(self, seed=None):
        self._seed, self._episode = seed, 0
        return [seed] * self.num_envs

    def get_attr(self, attr_name, indices=None):
        return [getattr(self, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name, value, indices=None):
        setattr(self, attr_name, value)

    def env_method(self, method_name, *args, indices=None, **kwargs):
        result = getattr(self, method_name)(*args, **kwargs)
        return [result] * len(self._indices(indices))

    def env_is_wrapped(self, wrapper_class, indices=None):
        return [False] * len(self._indices(indices))

    def _indices(self, indices):
        if indices is None:
            return range(self.num_envs)
        return [indices] if isinstance(indices, int) else indices
