"""The driving world behind gymnasium, SB3 and PettingZoo: `autoparticles/Driving-v0` (the
learner drives particle 0, the others follow a policy; `TimeLimit` ends episodes after
`episode_steps`), its frames, and the PettingZoo view."""

from gymnasium.wrappers import TimeLimit

from autoparticles.driving.agent import resolve_policy
from autoparticles.driving.analysis import heads_up, new_metrics
from autoparticles.driving.config import DrivingConfig
from autoparticles.envs.gym_env import ParticleEnv
from autoparticles.envs.parallel import ParticleParallelEnv

ENV_ID = "autoparticles/Driving-v0"


class DrivingEnv(ParticleEnv):
    """Single-agent view of the driving world.

    config: a DrivingConfig (or None for defaults); others: policy of particles 1..N-1
    ('ttc', 'ballistic', 'orca', a model path or a callable Percept -> actions); further
    keyword arguments override config fields (`gym.make(ENV_ID, n_particles=64)`)."""

    def __init__(self, config: DrivingConfig | None = None, others="ttc",
                 render_mode: str | None = None, **overrides):
        config = (config or DrivingConfig()).replace(**overrides)
        self.config = config
        self.metadata = {**self.metadata, "render_fps": int(round(1.0 / config.dt))}
        super().__init__(config.make_world(seed=0), resolve_policy(others, config), render_mode)
        self._renderer = None
        self._clear()
        self.run.attach(self._count)

    def reset(self, *, seed=None, options=None):
        self._clear()
        return super().reset(seed=seed, options=options)

    def _clear(self):
        self._metrics = new_metrics(self.world)
        self._onsets, self._total_onsets = None, 0

    def _count(self, info):
        self._metrics.add(info)
        self._onsets, self._total_onsets = info["collisions"], self._total_onsets + info["onsets"]

    def _frame(self):
        if self._renderer is None:
            from autoparticles.driving.watch import renderer

            self._renderer = renderer(self.config, self.render_mode == "human", world=self.world)
        w = self.world
        return self._renderer.draw(w.positions, w.velocities, w.headings, w.watched,
                                   self._onsets, heads_up(self._metrics, self._total_onsets))

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def make_env(config: DrivingConfig | None = None, others="ttc", render_mode=None, **overrides):
    """The gymnasium entry point: a DrivingEnv inside a TimeLimit of its `episode_steps`."""
    env = DrivingEnv(config, others, render_mode, **overrides)
    return TimeLimit(env, max_episode_steps=env.config.episode_steps)


def register_envs() -> None:
    """Register `autoparticles/Driving-v0` with gymnasium (idempotent)."""
    from autoparticles.envs import register

    register({ENV_ID: "autoparticles.driving.env:make_env"})


def parallel_env(config: DrivingConfig | None = None, **overrides) -> ParticleParallelEnv:
    """The PettingZoo view; keyword arguments override config fields."""
    config = (config or DrivingConfig()).replace(**overrides)
    return ParticleParallelEnv(config, name="autoparticles_driving_v0")


DrivingParallelEnv = ParticleParallelEnv
