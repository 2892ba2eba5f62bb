"""PettingZoo ParallelEnv view of the driving world: agents 'particle_0' ... 'particle_{N-1}'."""

import functools

import numpy as np
from pettingzoo import ParallelEnv

from autoparticles.envs.config import DrivingConfig
from autoparticles.envs.spaces import action_space, as_actions, as_observation, observation_space
from autoparticles.envs.world import DrivingWorld


class DrivingParallelEnv(ParallelEnv):
    metadata = {"name": "autoparticles_driving_v0", "render_modes": []}

    def __init__(self, config: DrivingConfig | None = None):
        self.config = config or DrivingConfig()
        self.possible_agents = [f"particle_{i}" for i in range(self.config.n_particles)]
        self.world = DrivingWorld(self.config, seed=0)
        self.agents = []
        self._steps = 0

    @functools.lru_cache(maxsize=None)
    def observation_space(self, agent):
        return observation_space(self.config)

    @functools.lru_cache(maxsize=None)
    def action_space(self, agent):
        return action_space()

    def _split(self, obs):
        obs = as_observation(obs)
        return {a: obs[i] for i, a in enumerate(self.possible_agents)}

    def reset(self, seed=None, options=None):
        self.agents = list(self.possible_agents)
        self._steps = 0
        obs = self.world.reset(seed)
        return self._split(obs), {a: {} for a in self.agents}

    def step(self, actions):
        joint = np.zeros((self.config.n_particles, 2))
        for i, agent in enumerate(self.possible_agents):
            if agent in actions:
                joint[i] = as_actions(actions[agent], (2,))
        obs, rewards, info = self.world.step(joint)
        self._steps += 1
        truncated = self._steps >= self.config.episode_steps
        names = self.possible_agents
        infos = {a: {"collisions": int(info["collisions"][i])} for i, a in enumerate(names)}
        result = (self._split(obs), {a: float(rewards[i]) for i, a in enumerate(names)},
                  {a: False for a in names}, {a: truncated for a in names}, infos)
        if truncated:
            self.agents = []
        return result


def parallel_env(config: DrivingConfig | None = None, **overrides) -> DrivingParallelEnv:
    """The PettingZoo view; keyword arguments override config fields."""
    config = config or DrivingConfig()
    return DrivingParallelEnv(config.replace(**overrides) if overrides else config)
