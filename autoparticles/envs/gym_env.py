"""`autoparticles/Driving-v0`: the learner drives particle 0, the others follow a controller."""

import gymnasium as gym
import numpy as np

from autoparticles.envs.config import DrivingConfig
from autoparticles.envs.controllers import controller
from autoparticles.envs.metrics import EpisodeMetrics, heads_up
from autoparticles.envs.spaces import action_space, as_actions, as_observation, observation_space
from autoparticles.envs.world import DrivingWorld


class DrivingEnv(gym.Env):
    """Single-agent view of the driving world.

    config: a DrivingConfig (or None for defaults); others: controller of particles 1..N-1
    ('ttc', 'ballistic' or a callable world -> actions); further keyword arguments override
    config fields (`gym.make("autoparticles/Driving-v0", n_particles=64)`)."""

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 10}

    def __init__(self, config: DrivingConfig | None = None, others="ttc",
                 render_mode: str | None = None, **overrides):
        config = config or DrivingConfig()
        self.config = config.replace(**overrides) if overrides else config
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": int(round(1.0 / self.config.dt))}
        self.others = controller(others)
        self.observation_space = observation_space(self.config)
        self.action_space = action_space()
        self.world = DrivingWorld(self.config, seed=0)
        self._steps = 0
        self._renderer = None
        self._onsets = np.zeros(self.config.n_particles, dtype=np.int64)
        self._total_onsets = 0
        self._metrics = EpisodeMetrics(self.config.n_particles, self.config.dt)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        obs = self.world.reset(seed=int(self.np_random.integers(2**62)))
        self._steps = 0
        self._onsets[:] = 0
        self._total_onsets = 0
        self._metrics = EpisodeMetrics(self.config.n_particles, self.config.dt)
        if self.render_mode == "human":
            self.render()
        return as_observation(obs[0]), {}

    def step(self, action):
        actions = self.others(self.world)
        actions[0] = as_actions(action, (2,))
        obs, rewards, info = self.world.step(actions)
        self._steps += 1
        self._onsets = info["collisions"]
        self._total_onsets += info["onsets"]
        self._metrics.add(info)
        truncated = self._steps >= self.config.episode_steps
        own = {k: float(v[0]) for k, v in info.items() if k.startswith("reward_")}
        own.update(collisions=int(info["collisions"][0]), onsets=info["onsets"],
                   forward_speed=info["forward_speed"], interaction=info["interaction"])
        if self.render_mode == "human":
            self.render()
        return as_observation(obs[0]), float(rewards[0]), False, truncated, own

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array'")
            return None
        if self._renderer is None:
            from autoparticles.render.driving import DrivingRenderer

            self._renderer = DrivingRenderer(self.config.box, self.config.radius,
                                             human=self.render_mode == "human",
                                             fps=self.metadata["render_fps"])
        w = self.world
        return self._renderer.draw(w.positions, w.velocities, w.headings, w.sensed.neighbour,
                                   self._onsets, heads_up(self._metrics, self._total_onsets))

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
