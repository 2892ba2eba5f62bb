"""PettingZoo ParallelEnv view of a particle world: agents named by the world's `agent_names`
(a typed scene's `car_0`, `pedestrian_3`, ...), else 'particle_0' ... 'particle_{N-1}'."""

import functools

import numpy as np
from pettingzoo import ParallelEnv

from autoparticles.envs.spaces import (action_space, as_actions, as_observation, build_world,
                                       observation_space, particle_values)


class ParticleParallelEnv(ParallelEnv):
    """Every particle of `world` (or of the world its settings make) is an agent; an agent's
    info carries the world's `slot_info` values of its particle; all truncate after
    `world.episode_steps`."""

    metadata = {"name": "autoparticles_v0", "render_modes": []}

    def __init__(self, world, name: str = "autoparticles_v0"):
        self.world = build_world(world, seed=0)
        self.metadata = {**self.metadata, "name": name}
        names = getattr(self.world, "agent_names", None)
        self.possible_agents = list(names or (f"particle_{i}" for i in range(self.world.n_particles)))
        self.agents = []

    @functools.lru_cache(maxsize=None)
    def observation_space(self, agent):
        return observation_space(self.world.obs_dim)

    @functools.lru_cache(maxsize=None)
    def action_space(self, agent):
        return action_space(self.world.action_dim)

    def _split(self, obs):
        obs = as_observation(obs)
        return {a: obs[i] for i, a in enumerate(self.possible_agents)}

    def reset(self, seed=None, options=None):
        self.agents = list(self.possible_agents)
        obs = self.world.reset(seed)
        return self._split(obs), {a: {} for a in self.agents}

    def step(self, actions):
        world = self.world
        joint = np.zeros((world.n_particles, world.action_dim))
        for i, agent in enumerate(self.possible_agents):
            if agent in actions:
                joint[i] = as_actions(actions[agent], (world.action_dim,))
        obs, rewards, info = world.step(joint)
        truncated = world.steps >= world.episode_steps
        names = self.possible_agents
        infos = dict(zip(names, particle_values(info, world.slot_info)))
        result = (self._split(obs), {a: float(rewards[i]) for i, a in enumerate(names)},
                  {a: False for a in names}, {a: truncated for a in names}, infos)
        if truncated:
            self.agents = []
        return result
