import gymnasium as gym
import numpy as np
import pytest

import autoparticles  # noqa: F401  (registers the env)
from autoparticles.envs import DrivingConfig, ParticleVecEnv, parallel_env


def test_gymnasium_and_sb3_checkers_pass():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    for kwargs in ({}, {"observation": "raw"}, {"action": "vehicle"}):
        env = gym.make("autoparticles/Driving-v0", **kwargs)
        check_env(env.unwrapped)
        sb3_check_env(env.unwrapped)


def test_gym_env_is_deterministic_under_a_seed():
    def rollout(seed):
        env = gym.make("autoparticles/Driving-v0", others="ttc")
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
        out = [obs]
        for _ in range(50):
            obs, reward, *_ = env.step(env.action_space.sample())
            out.append(np.append(obs, reward))
        return np.concatenate(out)

    np.testing.assert_array_equal(rollout(3), rollout(3))
    assert not np.array_equal(rollout(3), rollout(4))


def test_gym_env_truncates_and_renders():
    env = gym.make("autoparticles/Driving-v0", episode_steps=5, render_mode="rgb_array")
    env.reset(seed=0)
    flags = [env.step(np.zeros(2, dtype=np.float32))[3] for _ in range(5)]
    assert flags == [False] * 4 + [True]
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    with pytest.raises(ValueError, match="unknown key"):
        gym.make("autoparticles/Driving-v0", speed=3)


def test_vec_env_truncation_infos_and_ppo_learns():
    from stable_baselines3 import PPO

    venv = ParticleVecEnv(DrivingConfig(n_particles=8, episode_steps=6), seed=1)
    obs = venv.reset()
    assert obs.shape == (8, 4) and obs.dtype == np.float32
    for step in range(6):
        obs, rewards, dones, infos = venv.step(np.zeros((8, 2)))
    assert dones.all() and rewards.shape == (8,)
    assert all(info["TimeLimit.truncated"] for info in infos)
    assert all(info["terminal_observation"].shape == (4,) for info in infos)
    model = PPO("MlpPolicy", venv, n_steps=16, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=256)
    assert model.num_timesteps >= 256


def test_pettingzoo_parallel_api():
    from pettingzoo.test import parallel_api_test

    parallel_api_test(parallel_env(episode_steps=20, n_particles=6), num_cycles=40)


def test_wrong_action_shapes_name_the_expected_shape():
    config = DrivingConfig(n_particles=4)
    venv = ParticleVecEnv(config, seed=0)
    venv.reset()
    with pytest.raises(ValueError, match=r"shape \(4, 2\), got shape \(3,\)"):
        venv.step_async(np.zeros(3))
    env = gym.make("autoparticles/Driving-v0", n_particles=4)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2,\), got shape \(3,\)"):
        env.unwrapped.step(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        env.unwrapped.step(np.array([np.nan, 0.0]))
    par = parallel_env(config)
    par.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        par.step({agent: np.zeros(3) for agent in par.agents})
