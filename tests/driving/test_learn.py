import dataclasses
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from autoparticles import config as settings
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.learn import TrainSettings, train
from autoparticles.driving.world import DrivingWorld
from tests.signals import default_sigint

SMALL = DrivingConfig(n_particles=8, episode_steps=50)
CLI = [sys.executable, "-m", "autoparticles.cli"]


def test_training_writes_outputs_and_resumes(tmp_path):
    learner = TrainSettings(steps=2048, n_steps=64, batch_size=256, n_epochs=1,
                            checkpoint_every=1024, log_every=512)
    model = train(SMALL, learner, tmp_path, progress=False)
    assert model.exists() and (tmp_path / "checkpoint.zip").exists()
    assert settings.load(DrivingConfig, tmp_path / "config.json") == SMALL
    first = pd.read_csv(tmp_path / "progress.csv")
    assert list(first.columns)[:3] == ["particle_steps", "collision_rate", "relative_collision_rate"]
    train(SMALL, dataclasses.replace(learner, steps=4096), tmp_path, progress=False)
    both = pd.read_csv(tmp_path / "progress.csv")
    assert len(both) > len(first) and np.all(np.diff(both.particle_steps) > 0)
    from stable_baselines3 import PPO

    assert PPO.load(tmp_path / "model.zip").num_timesteps >= 4096


def test_selection_keeps_the_best_validated_model_across_a_resume(tmp_path):
    import json

    from stable_baselines3 import PPO

    from autoparticles.driving.learn import validation_score

    learner = TrainSettings(steps=1024, n_steps=32, batch_size=256, n_epochs=1,
                            select_every=256, select_episodes=1, learning_rate=3e-3)
    train(SMALL, learner, tmp_path, progress=False)
    score = validation_score(SMALL, 1)
    first = json.loads((tmp_path / "best.json").read_text())
    best = PPO.load(tmp_path / "best.zip", device="cpu")
    assert best.num_timesteps == first["timesteps"] <= 1024
    assert score(best) == pytest.approx(first["score"])  # validation episodes are seeded
    assert score(PPO.load(tmp_path / "model.zip", device="cpu")) <= first["score"]
    train(SMALL, dataclasses.replace(learner, steps=2048), tmp_path, progress=False)
    second = json.loads((tmp_path / "best.json").read_text())
    assert second["score"] >= first["score"]  # the resumed run competes with the kept best
    assert score(PPO.load(tmp_path / "model.zip", device="cpu")) <= second["score"]
    with pytest.raises(ValueError, match="select_every needs"):
        from autoparticles.agents.sb3 import train_model

        train_model(learner, None, tmp_path / "other", None)


def test_cgd_optimizer_reaches_the_policy_and_resumes(tmp_path):
    from stable_baselines3 import PPO

    from autoparticles.agents.optim import CGD

    learner = TrainSettings(steps=512, n_steps=64, batch_size=256, n_epochs=1, net=(8,),
                            optimizer="cgd-full", log_every=512)
    model = PPO.load(train(SMALL, learner, tmp_path, progress=False))
    assert isinstance(model.policy.optimizer, CGD)
    assert model.policy.optimizer.param_groups[0]["full"] and model.policy.optimizer.state
    again = PPO.load(train(SMALL, dataclasses.replace(learner, steps=1024), tmp_path,
                           progress=False))
    assert again.num_timesteps >= 1024 and again.policy.optimizer.state


def test_interrupted_training_continues_from_the_checkpoint(tmp_path):
    def command(steps):
        return CLI + ["drive", "train", "--steps", str(steps), "--set", "n_particles=8",
                      "--checkpoint-every", "4096", "--log-every", "512", "--out", str(tmp_path)]

    args = command(400_000)
    first = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             preexec_fn=default_sigint)
    deadline = time.monotonic() + 240
    while not (tmp_path / "checkpoint.zip").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1.0)
    first.send_signal(signal.SIGINT)
    first.wait(timeout=240)  # a PPO update under way finishes first; slow under load
    err = first.stderr.read().decode()
    assert first.returncode == 130 and "Traceback" not in err, err
    assert f"interrupted; partial results, if any, in {tmp_path}" in err and "resume" in err
    assert (tmp_path / "checkpoint.zip").exists() and not (tmp_path / "model.zip").exists()
    from stable_baselines3 import PPO

    saved = PPO.load(tmp_path / "checkpoint.zip").num_timesteps
    resumed = subprocess.run(command(saved + 4096), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert PPO.load(tmp_path / "model.zip").num_timesteps >= saved + 4096
    steps = pd.read_csv(tmp_path / "progress.csv").particle_steps
    assert np.all(np.diff(steps) > 0)  # the interval redone after the checkpoint is logged once


def test_training_bar_is_throttled_whole_and_stops_at_its_total(tmp_path, capfd):
    learner = TrainSettings(steps=2000, n_steps=64, batch_size=256, n_epochs=1, log_every=512)
    train(SMALL, learner, tmp_path, progress=True)  # 4 rollouts of 512 overshoot 2,000
    err = capfd.readouterr().err
    assert err.count("\r") < 20  # was one redraw per SB3 step (250)
    assert "2,000/2,000" in err and "2,048" not in err and ".0/" not in err


def test_bad_input_is_refused_clearly(tmp_path):
    unknown = subprocess.run(CLI + ["drive", "train", "--set", "n_particle=8", "--out", str(tmp_path / "a")],
                             capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 2 and "unknown key(s) in --set: n_particle" in unknown.stderr
    blocked = tmp_path / "file"
    blocked.write_text("x")
    denied = subprocess.run(CLI + ["drive", "train", "--steps", "100", "--out", str(blocked / "sub")],
                            capture_output=True, text=True, timeout=120)
    assert denied.returncode == 2 and "cannot write to output folder" in denied.stderr
    raw = train(dataclasses.replace(SMALL, observation="raw"), TrainSettings(steps=512, n_steps=64, batch_size=256, n_epochs=1),
                tmp_path / "raw", progress=False)
    mismatch = subprocess.run(CLI + ["drive", "eval", "--policy", str(raw)], capture_output=True, text=True, timeout=120)
    assert mismatch.returncode == 2 and "expects observations of shape (36,)" in mismatch.stderr
    junk = tmp_path / "junk.zip"
    junk.write_text("not a model")
    broken = subprocess.run(CLI + ["drive", "eval", "--policy", str(junk)], capture_output=True, text=True, timeout=120)
    assert broken.returncode == 2 and "not a readable SB3 model" in broken.stderr
    # a different config on the same folder is refused, and the earlier files stay
    other = subprocess.run(CLI + ["drive", "train", "--steps", "512", "--set", "n_particles=9",
                                  "--out", str(tmp_path / "raw")], capture_output=True, text=True, timeout=120)
    assert other.returncode == 2 and "different config" in other.stderr
    assert (tmp_path / "raw" / "model.zip").exists()


def test_sac_trains_and_its_model_evaluates(tmp_path):
    from autoparticles.driving.agent import load_model_policy
    from autoparticles.driving.analysis import evaluate

    model = train(SMALL, TrainSettings(algo="sac", steps=600, batch_size=64), tmp_path, progress=False)
    summary = evaluate(load_model_policy(model, SMALL), SMALL, episodes=1)
    assert 0 <= summary["collision_rate"] and summary["particle_steps"] == 8 * 50


def test_optimizer_comparison_trains_every_method_and_tables_the_best_rate(tmp_path):
    from autoparticles.driving.optimizers import METHODS, compare_optimizers

    table = compare_optimizers(tmp_path, seeds=1, steps=256, episodes=1, rates=(1e-3, 1e-2),
                               progress=False)
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert len(runs) == len(METHODS) * 2 and all(m in table for m in METHODS)
    assert (tmp_path / "learning_curves.png").stat().st_size > 0
    assert compare_optimizers(tmp_path, seeds=1, steps=256, episodes=1, rates=(1e-3, 1e-2),
                              progress=False) == table  # a rerun resumes: nothing retrained


def test_action_prior_adds_ttc_and_a_residual_model_refuses_a_world_without_it(tmp_path):
    from autoparticles.driving.agent import heuristic, resolve_policy
    from autoparticles.loop import Run

    residual = dataclasses.replace(SMALL, action_prior="ttc")
    worlds = [DrivingWorld(residual, seed=3), DrivingWorld(SMALL, seed=3),
              DrivingWorld(SMALL, seed=3)]
    Run(worlds[0], heuristic("ballistic", residual)).run(30)
    Run(worlds[1], heuristic("ttc", SMALL)).run(30)
    Run(worlds[2], heuristic("ballistic", SMALL)).run(30)
    np.testing.assert_array_equal(worlds[0].positions, worlds[1].positions)
    assert not np.allclose(worlds[0].positions, worlds[2].positions)  # the prior acted

    learner = TrainSettings(steps=1024, n_steps=64, batch_size=256, n_epochs=1, log_every=512)
    model = train(residual, learner, tmp_path, progress=False)
    resolve_policy(str(model), residual)
    with pytest.raises(ValueError, match="trained with action_prior = 'ttc'"):
        resolve_policy(str(model), SMALL)
    (tmp_path / "config.json").write_text('{"action_pri')  # truncated
    with pytest.raises(ValueError, match="config.json.*is not a JSON object"):
        resolve_policy(str(model), residual)


def test_a_model_names_the_settings_it_was_trained_with(tmp_path):
    from autoparticles.driving.agent import resolve_policy, trained_settings

    run, shipped = tmp_path / "run", tmp_path / "shipped"
    run.mkdir(), shipped.mkdir()
    (run / "model.zip").write_bytes(b"")
    (run / "config.json").write_text('{"observe_drive": true, "action_prior": "", "box": 20}')
    assert trained_settings(run / "model.zip") == {"observe_drive": True, "action_prior": ""}
    with pytest.raises(ValueError, match="trained with observe_drive = True; run it with "
                                         "--set observe_drive=true"):
        resolve_policy(str(run / "model.zip"), SMALL)
    (shipped / "walker.zip").write_bytes(b"")  # a shipped model: NAME.json holds its config
    (shipped / "walker.json").write_text('{"command": "...", "config": {"action_prior": "ttc"}}')
    assert trained_settings(shipped / "walker.zip") == {"action_prior": "ttc"}


def test_mirror_is_refused_before_any_file_where_no_reflection_is_defined(tmp_path):
    raw = dataclasses.replace(SMALL, observation="raw")
    with pytest.raises(settings.ConfigError, match="reflection is defined for the invariants"):
        train(raw, TrainSettings(mirror=True), tmp_path / "run", progress=False)
    with pytest.raises(ValueError, match="mirror needs algo 'ppo'"):
        train(SMALL, TrainSettings(mirror=True, algo="sac"), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()
