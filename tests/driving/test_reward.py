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


def free_path_by_marching(x, v, radii, i, box, reach, step=5e-4):
    """Brute-force twin of the gap kernel's free distance: march i's disk along v̂_i until it
    touches any other disk (minimum image), inf when nothing within `reach`."""
    e = v[i] / np.linalg.norm(v[i])
    others = np.delete(np.arange(len(x)), i)
    for t in np.arange(0.0, reach, step):
        r = x[others] - (x[i] + t * e)
        r -= box * np.round(r / box)
        if np.any(np.linalg.norm(r, axis=1) <= radii[i] + radii[others]):
            return t
    return np.inf


def test_gap_excess_matches_marching_and_prices_speed_above_the_time_gap():
    from autoparticles.driving import dynamics
    from autoparticles.invariants.neighbours import NeighbourList

    rng = np.random.default_rng(4)
    box = np.array([12.0, 12.0])
    x = np.stack(np.meshgrid(np.arange(4) * 3.0, np.arange(4) * 3.0), -1).reshape(16, 2)[:14]
    x += rng.uniform(0, 1.6, (14, 2))  # no two touch
    v = 2 * rng.normal(size=(14, 2))
    radii = rng.uniform(0.2, 0.5, 14)
    nlist = NeighbourList(5.9, box, skin=0.0)
    nlist.update(x)
    v0, time_gap = np.full(14, 0.8), 3.0
    out = np.empty(14)
    dynamics.gap_excess(x, v, box, nlist.indptr, nlist.indices, radii, v0, time_gap, out)
    hits = 0
    for i in range(14):
        free = free_path_by_marching(x, v, radii, i, box, reach=4.5)
        speed = np.linalg.norm(v[i])
        if free < np.inf:
            hits += 1
            assert out[i] == pytest.approx(max(speed - free / time_gap, 0) / 0.8, abs=5e-4)
        else:
            assert out[i] <= max(speed - 4.5 / time_gap, 0) / 0.8
    assert hits >= 4 and np.count_nonzero(out) >= 2


def test_gap_penalty_charges_a_particle_closing_in_on_one_ahead():
    world = world_at_speeds([1.0, 0.0], reward_gap=5.0, time_gap=2.0)
    world.positions = [[5.0, 10.0], [7.0, 10.0]]  # free distance 1, allowed speed 0.5
    world.observe()
    c = world.config
    _, rewards, info = world.step(np.zeros((2, 2)))
    x, v = world.positions, world.velocities
    excess = max(v[0, 0] - (x[1, 0] - x[0, 0] - 1.0) / 2.0, 0)
    assert excess > 0
    assert info["reward_gap"][0] == pytest.approx(-5.0 * excess * c.dt)
    assert info["reward_gap"][1] == 0.0
    np.testing.assert_allclose(rewards, sum(value for key, value in info.items()
                                            if key.startswith("reward_")))


def test_clearance_deficit_matches_all_pairs_and_reads_one_in_contact():
    from autoparticles.driving import dynamics
    from autoparticles.invariants.neighbours import NeighbourList

    rng = np.random.default_rng(5)
    box = np.array([10.0, 10.0])
    x = rng.uniform(0, 10, (30, 2))
    radii = rng.uniform(0.2, 0.5, 30)
    nlist = NeighbourList(3.0, box, skin=0.0)
    nlist.update(x)
    margin, out = 1.5, np.empty(30)
    dynamics.clearance_deficit(x, box, nlist.indptr, nlist.indices, radii, margin, out)
    d = x[None] - x[:, None]
    d -= box * np.round(d / box)
    gaps = np.linalg.norm(d, axis=2) - radii[:, None] - radii[None]
    np.fill_diagonal(gaps, np.inf)
    expected = np.clip(1 - np.maximum(gaps.min(axis=1), 0) / (margin * radii), 0, None)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert (out == 1).any() and (out == 0).any() and ((out > 0) & (out < 1)).any()


def test_clearance_penalty_charges_both_of_a_close_pair_and_nobody_far():
    world = world_at_speeds([0.0, 0.0, 0.0], reward_clearance=4.0, clearance=0.5)
    world.positions = [[5.0, 10.0], [6.1, 10.0], [15.0, 10.0]]  # gap 0.1, margin 0.25
    world.observe()
    _, rewards, info = world.step(np.zeros((3, 2)))
    gap = world.positions[1, 0] - world.positions[0, 0] - 1.0
    expected = -4.0 * (1 - gap / 0.25) * world.config.dt
    assert info["reward_clearance"][:2] == pytest.approx([expected, expected])
    assert info["reward_clearance"][2] == 0.0
    np.testing.assert_allclose(rewards, sum(value for key, value in info.items()
                                            if key.startswith("reward_")))
