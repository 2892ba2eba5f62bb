"""The honest reward: forward progress is paid up to v0, overspeed costs, and the metrics that
expose driving faster than desired."""

import numpy as np
import pytest

from autoparticles.driving.analysis import EpisodeMetrics
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.world import DrivingWorld


def world_at_speeds(speeds, **options):
    """Particles far apart (no interaction), all heading +x at the given speeds [v0]."""
    config = DrivingConfig(n_particles=len(speeds), **options)
    world = DrivingWorld(config, seed=0)
    world.positions = [[2.0 + 6.0 * k, 10.0] for k in range(len(speeds))]
    world.headings = np.tile([1.0, 0.0], (len(speeds), 1))
    world.velocities = [[s * config.v0, 0.0] for s in speeds]
    world.observe()
    return world


def after_one_step(speeds, config):
    """Forward speeds [v0] after one ballistic step from `speeds` (the drive term relaxes)."""
    decay = 1 - config.dt / config.tau
    return 1 + (np.asarray(speeds) - 1) * decay


def test_speed_term_pays_only_up_to_v0_and_overspeed_costs():
    speeds = [0.5, 1.0, 1.6]
    world = world_at_speeds(speeds)
    c = world.config
    _, _, info = world.step(np.zeros((world.n_particles, 2)))
    forward = after_one_step(speeds, c)
    np.testing.assert_allclose(info["reward_speed"], c.reward_speed * np.minimum(forward, 1) * c.dt)
    np.testing.assert_allclose(info["reward_overspeed"],
                               -c.reward_overspeed * np.maximum(forward - 1, 0) * c.dt)
    assert info["reward_overspeed"][2] < 0 == info["reward_overspeed"][0]


def test_v_max_cap_reproduces_the_first_round_reward():
    speeds = [0.5, 1.6]
    world = world_at_speeds(speeds, reward_speed_cap="v_max")
    c = world.config
    _, rewards, info = world.step(np.zeros((world.n_particles, 2)))
    forward = after_one_step(speeds, c)
    np.testing.assert_allclose(info["reward_speed"], forward * c.dt)
    np.testing.assert_allclose(info["reward_overspeed"], 0.0)
    np.testing.assert_allclose(rewards, forward * c.dt)


def test_overspeed_and_tracking_error_metrics():
    speeds = [0.5, 1.0, 1.6, 1.8]
    world = world_at_speeds(speeds)
    metrics = EpisodeMetrics(world.config.n_particles, world.config.dt)
    _, _, info = world.step(np.zeros((world.n_particles, 2)))
    metrics.add(info)
    forward = after_one_step(speeds, world.config)
    summary = metrics.summary()
    assert summary["overspeed"] == pytest.approx(np.mean(forward > 1.05)) == 0.5
    assert summary["tracking_error"] == pytest.approx(np.mean(np.abs(forward - 1)))


def test_unknown_speed_cap_is_refused():
    with pytest.raises(ValueError, match="reward_speed_cap"):
        DrivingConfig(reward_speed_cap="v1")
