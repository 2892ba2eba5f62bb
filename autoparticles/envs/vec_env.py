"""`ParticleVecEnv`: an SB3 VecEnv with one slot per particle of one world (shared policy)."""

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from autoparticles.envs.config import DrivingConfig
from autoparticles.envs.spaces import action_space, as_actions, as_observation, observation_space
from autoparticles.envs.world import DrivingWorld


SHARED_INFO = ("onsets", "forward_speed", "overspeed", "tracking_error", "interaction")
"""World-wide step values carried in slot 0's info."""


class ParticleVecEnv(VecEnv):
    """num_envs = N: slot i is particle i. All slots truncate together at episode end, with
    `terminal_observation` and `TimeLimit.truncated` in each slot's info, then the world
    resets (as SB3's DummyVecEnv does)."""

    def __init__(self, config: DrivingConfig | None = None, seed: int | None = None):
        self.config = config or DrivingConfig()
        self.render_mode = None
        self.world = DrivingWorld(self.config, seed=seed)
        self._seed = seed
        self._episode = 0
        self._steps = 0
        self._actions = None
        super().__init__(self.config.n_particles, observation_space(self.config), action_space())

    def reset(self):
        seed = self._seeds[0] if self._seeds[0] is not None else self._seed
        if seed is not None:
            seed = seed + self._episode
        self._reset_seeds()
        self._episode += 1
        self._steps = 0
        return as_observation(self.world.reset(seed))

    def step_async(self, actions):
        self._actions = as_actions(actions, (self.num_envs, 2))

    def step_wait(self):
        obs, rewards, info = self.world.step(self._actions)
        self._steps += 1
        obs = as_observation(obs)
        n = self.num_envs
        infos = [{"collisions": int(info["collisions"][i])} for i in range(n)]
        infos[0].update({key: info[key] for key in SHARED_INFO})
        done = self._steps >= self.config.episode_steps
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
