"""MirrorPolicy: its mean action and value obey π(M o) = M π(o) and V(M o) = V(o), and a
world driven by it evolves into the mirror image of the reflected world's evolution."""


import numpy as np
import pytest
import torch

from autoparticles.agents.policies import model_policy
from autoparticles.agents.sb3 import TrainSettings, make_model
from autoparticles.driving.world import DrivingWorld
from autoparticles.envs.vec_env import ParticleVecEnv
from autoparticles.loop import Run
from tests.invariants.test_typed import mixed_scene, transformed


def fresh_model(config, mirror: bool, tmp_path):
    settings = TrainSettings(mirror=mirror, seed=1, log_std_init=-1.0, n_steps=32, batch_size=64)
    return make_model(settings, ParticleVecEnv(config, seed=0), tmp_path / "none.zip",
                      config.mirror_columns())


def test_mirror_policy_is_equivariant_and_survives_save_and_load(tmp_path):
    from stable_baselines3 import PPO

    config = mixed_scene(True, observe_drive=True)
    model = fresh_model(config, True, tmp_path)
    torch.nn.init.normal_(model.policy.action_net.weight)  # a chiral start is averaged away
    odd, odd_actions = config.mirror_columns()
    obs = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, (50, config.obs_dim)),
                          dtype=torch.float32)
    flipped = obs.clone()
    flipped[:, odd] *= -1
    with torch.no_grad():
        mean = model.policy.get_distribution(obs).distribution.mean
        mirrored = model.policy.get_distribution(flipped).distribution.mean
        values, mirrored_values = model.policy.predict_values(obs), model.policy.predict_values(flipped)
    mirrored[:, odd_actions] *= -1
    torch.testing.assert_close(mirrored, mean)
    torch.testing.assert_close(mirrored_values, values)
    assert mean[:, 1].abs().max() > 1e-3  # the transverse action is not simply zero
    model.save(tmp_path / "model.zip")
    loaded = PPO.load(tmp_path / "model.zip", device="cpu")
    assert loaded.policy.odd_observations == odd
    np.testing.assert_allclose(model.predict(obs.numpy(), deterministic=True)[0],
                               loaded.predict(obs.numpy(), deterministic=True)[0])


def test_mirror_needs_ppo_and_a_defined_reflection(tmp_path):
    config = mixed_scene(True)
    venv = ParticleVecEnv(config, seed=0)
    with pytest.raises(ValueError, match="mirror needs algo 'ppo'"):
        make_model(TrainSettings(mirror=True, algo="sac"), venv, tmp_path / "none.zip", ([2], [1]))
    with pytest.raises(ValueError, match="mirror needs"):
        make_model(TrainSettings(mirror=True), venv, tmp_path / "none.zip", None)


@pytest.mark.parametrize("mirror", [True, False])
def test_a_reflected_world_moves_as_the_mirror_image_only_under_a_mirror_policy(mirror, tmp_path):
    config = mixed_scene(True, observe_drive=True)
    model = fresh_model(config, mirror, tmp_path)
    torch.nn.init.normal_(model.policy.action_net.weight, std=0.5)
    act = model_policy(model)
    world = DrivingWorld(config, seed=4)
    reflection = np.diag([-1.0, 1.0])
    other = transformed(config, world, reflection, np.zeros(2))
    Run(world, lambda p: act(p.observation)).run(30)
    Run(other, lambda p: act(p.observation)).run(30)
    want = (world.positions - 30.0) @ reflection.T + 30.0
    assert np.allclose(other.positions, want, atol=1e-6) == mirror


def test_a_particle_alone_walks_mirror_symmetrically_and_one_in_company_as_trained():
    """mirrored_when_alone: alone, π̄(o) = ½(π(o) + R π(R o)), so π̄(R o) = R π̄(o); with a
    neighbour in range, π itself. Percept.alone follows the sensing range."""
    from types import SimpleNamespace

    from autoparticles.driving.agent import mirrored_when_alone

    config = mixed_scene(True, observe_drive=True, mirror_alone=True)
    odd, odd_actions = config.mirror_columns()
    weights = np.random.default_rng(1).normal(size=(config.obs_dim, 2))
    act = lambda obs: np.tanh(obs @ weights)  # a chiral policy
    policy = mirrored_when_alone(act, config)
    obs = np.random.default_rng(2).uniform(-1, 1, (6, config.obs_dim))
    flipped = obs.copy()
    flipped[:, odd] *= -1
    alone = np.array([True, False, True, False, True, True])
    out = policy(SimpleNamespace(observation=obs, alone=alone))
    out_flipped = policy(SimpleNamespace(observation=flipped, alone=alone))
    out_flipped[:, odd_actions] *= -1
    np.testing.assert_allclose(out[~alone], act(obs)[~alone])
    np.testing.assert_allclose(out_flipped[alone], out[alone])
    assert np.abs(out_flipped[~alone] - out[~alone]).max() > 1e-3  # the plain policy is chiral

    world = DrivingWorld(mixed_scene(False, mirror_alone=True), seed=0)
    k = np.arange(world.n_particles)
    x = 7.0 * np.stack([k % 8, k // 8], axis=1) + 1.0  # 7 m apart: nobody within 5 m
    x[1] = x[0] + [2.0, 0.0]                             # but these two
    world.positions = x
    assert world.percept().alone.tolist() == [False, False] + [True] * (world.n_particles - 2)


def test_beside_walls_a_particle_watching_no_other_walks_the_mirror_average():
    """mirror_beside_walls: the mirror average also for a particle in company whose frame is
    a wall or nothing (Percept.watched < 0), the plain policy for one that watches another."""
    from types import SimpleNamespace

    from autoparticles.driving.agent import mirrored_when_alone

    config = mixed_scene(True, observe_drive=True, mirror_alone=True, mirror_beside_walls=True)
    odd, odd_actions = config.mirror_columns()
    weights = np.random.default_rng(3).normal(size=(config.obs_dim, 2))
    act = lambda obs: np.tanh(obs @ weights)
    policy = mirrored_when_alone(act, config)
    obs = np.random.default_rng(4).uniform(-1, 1, (4, config.obs_dim))
    alone = np.array([True, False, False, False])
    watched = np.array([-1, -1, 7, 2])  # alone; in company beside a wall; watching others
    out = policy(SimpleNamespace(observation=obs, alone=alone, watched=watched))
    flipped = obs.copy()
    flipped[:, odd] *= -1
    mirrored = act(flipped)
    mirrored[:, odd_actions] *= -1
    np.testing.assert_allclose(out[:2], 0.5 * (act(obs)[:2] + mirrored[:2]))
    np.testing.assert_allclose(out[2:], act(obs)[2:])

    world = DrivingWorld(config, seed=0)
    np.testing.assert_array_equal(world.percept().watched, world.watched[:world.n_particles])


@pytest.mark.parametrize("alone_walls", ["all", "concerning"])
def test_a_particle_alone_is_shown_only_the_walls_that_concern_it(alone_walls):
    """alone_walls="concerning": a lone particle sees a wall it approaches or nearly touches,
    not one it rests beside or walks away from; with someone in range it sees every wall."""
    from autoparticles.invariants.rules import NO_NEIGHBOUR

    world = DrivingWorld(mixed_scene(True, alone_walls=alone_walls), seed=0)
    j = np.arange(world.n_particles - 2)
    parked = np.stack([2 + 5.5 * (j % 5), 40 + 5.5 * (j // 5)], axis=1)  # far from 0, 1, walls
    normal = np.array([-0.3, 1.0]) / np.hypot(0.3, 1.0)  # of the wall (25, 25)-(35, 28)
    along = np.array([1.0, 0.3]) / np.hypot(1.0, 0.3)
    wall_block = slice(2 + 6 * 2, 2 + 6 * 2 + 4)  # after the one-hot and the two groups

    def wall_seen(gap, speed, company=False):
        x0 = np.array([30.0, 26.5]) - (gap + 0.5) * normal  # a car, radius 0.5, below the wall
        world.positions = np.vstack([x0, x0 + (2.0 if company else 30.0) * along, parked])
        v = np.zeros((world.n_particles, 2))
        v[0] = speed * normal  # > 0: towards the wall
        world.velocities = v
        return not np.allclose(world.observe()[0, wall_block], NO_NEIGHBOUR)

    hides = alone_walls == "concerning"
    assert wall_seen(2.5, 0.5) and wall_seen(0.1, 0.0)  # approached; all but touched
    assert wall_seen(2.5, -0.5) != hides and wall_seen(2.5, 0.0) != hides  # leaving; beside it
    assert wall_seen(2.5, -0.5, company=True)
