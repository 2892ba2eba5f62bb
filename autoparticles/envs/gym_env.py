"""The single-agent gymnasium view of a particle world: the learner drives particle 0, the
others follow a policy. Episodes end by gymnasium's `TimeLimit` (the shell counts nothing)."""

import gymnasium as gym

from autoparticles.envs.spaces import (action_space, as_actions, as_observation, build_world,
                                       observation_space, slot_keys, world_values)
from autoparticles.loop import Run


class ParticleEnv(gym.Env):
    """world: a world with `percept()`, `reset(seed)`, `step(actions)` (or settings that make
    one); others: the policy (Percept -> actions (N, A)) of particles 1..N-1. The step info
    holds particle 0's per-particle values and the world-wide numbers. Subclasses draw frames
    in `_frame()`; `run` is the loop that steps the world (attach observers to it)."""

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 10}

    def __init__(self, world, others, render_mode: str | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        self.world = build_world(world, seed=0)
        self.others = others
        self.observation_space = observation_space(self.world.obs_dim)
        self.action_space = action_space(self.world.action_dim)
        self.run = Run(self.world, self._joint_actions)
        self._action = None

    def _joint_actions(self, percept):
        actions = self.others(percept)
        actions[0] = self._action
        return actions

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        obs = self.world.reset(seed=int(self.np_random.integers(2**62)))
        if self.render_mode == "human":
            self.render()
        return as_observation(obs[0]), {}

    def step(self, action):
        self._action = as_actions(action, (self.world.action_dim,))
        obs, rewards, info = self.run.step()
        own = {**{k: info[k][0].item() for k in slot_keys(info, self.world.n_particles)},
               **world_values(info)}
        if self.render_mode == "human":
            self.render()
        return as_observation(obs[0]), float(rewards[0]), False, False, own

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array'")
            return None
        return self._frame()

    def _frame(self):
        raise NotImplementedError(f"{type(self).__name__} draws no frames")
