"""A typed scene as a user meets it: the gymnasium, SB3 and PettingZoo faces, `drive eval
--json` per type, a scene file of the user's own that trains, evaluates and renders, and bad
scene files on the command line."""

import json

import numpy as np
import pytest

from autoparticles.cli import main
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.env import DrivingEnv, parallel_env

USER_SCENE = """
name = "plaza"
[world]
size = [16.0, 16.0]
periodic = [false, false]
walls = [[8.0, 0.0, 8.0, 5.0]]
[[types]]
name = "cyclist"
count = 6
radius = 0.4
v0 = 1.0
heading = "random"
[[types]]
name = "walker"
count = 8
radius = 0.3
v0 = 0.5
v_max = 1.0
a_max = 1.0
heading = [12.0, 12.0]
[[types]]
name = "bench"
count = 2
radius = 0.6
static = true
"""


def test_gym_and_sb3_checkers_pass_on_a_typed_scene():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = DrivingEnv(DrivingConfig(scenario="street", episode_steps=20))
    check_env(env)
    sb3_check_env(env)


def test_pettingzoo_names_carry_the_type_and_the_api_test_passes():
    from pettingzoo.test import parallel_api_test

    env = parallel_env(scenario="street", episode_steps=15)
    names = env.possible_agents
    assert names[0] == "car_east_0" and "pedestrian_south_15" in names
    assert not any(name.startswith("building") for name in names)  # obstacles are no agents
    parallel_api_test(env, num_cycles=30)


def test_eval_json_reports_per_type_and_type_pairs(capsys):
    assert main(["drive", "eval", "--scenario", "street", "--policy", "ballistic",
                 "--episodes", "1", "--json", "--set", "episode_steps=200"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(summary["per_type"]) == {"car", "pedestrian"}  # buildings do not move
    for values in summary["per_type"].values():
        assert {"collision_rate", "forward_speed", "wall_collision_rate"} <= set(values)
    assert "car-pedestrian" in summary["pair_collisions"]
    assert summary["pair_collisions"]["car-pedestrian"] > 0  # ballistic drivers hit walkers


def test_a_user_scene_trains_evaluates_and_renders(tmp_path, capsys):
    scene = tmp_path / "plaza.toml"
    scene.write_text(USER_SCENE)
    out = tmp_path / "run"
    assert main(["drive", "train", "--scenario", str(scene), "--steps", "3000",
                 "--out", str(out), "--set", "episode_steps=50"]) == 0
    assert (out / "model.zip").exists()
    assert main(["drive", "eval", "--scenario", str(scene), "--policy", str(out / "model.zip"),
                 "--episodes", "1", "--json", "--set", "episode_steps=50"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(summary["per_type"]) == {"cyclist", "walker"}
    movie = tmp_path / "plaza.gif"
    assert main(["drive", "watch", "--scenario", str(scene), "--steps", "5",
                 "--record", str(movie)]) == 0
    from PIL import Image

    frame = np.asarray(Image.open(movie).convert("RGB"))
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 5  # walls, disks, legend drawn


@pytest.mark.parametrize("text, words", [
    (USER_SCENE.replace("radius = 0.3", "radius = -0.3"), ["radius", "'walker'"]),
    (USER_SCENE.replace('heading = "random"', 'heading = "sideways"'), ["heading", "'cyclist'"]),
    (USER_SCENE.replace("count = 8", "count = 800"), ["'walker'", "do not fit"]),
    (USER_SCENE.replace('[world]\n', ''), ["unknown key"]),
])
def test_bad_scene_files_on_the_command_line(tmp_path, capsys, text, words):
    scene = tmp_path / "bad.toml"
    scene.write_text(text)
    assert main(["drive", "eval", "--scenario", str(scene), "--episodes", "1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("autoparticles: error:") == 1, err
    assert str(scene) in err
    for word in words:
        assert word in err, err
