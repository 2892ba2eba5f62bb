import pytest

from autoparticles import config as settings
from autoparticles.driving.config import DrivingConfig


def test_defaults_follow_the_spec():
    c = DrivingConfig()
    assert (c.n_particles, c.box, c.radius, c.v0, c.v_max, c.a_max, c.tau, c.dt, c.sensing) == (32, 20, 0.5, 1, 2, 2, 1, 0.1, 5)
    assert (c.scenario, c.collision, c.action, c.observation, c.neighbour_rule) == ("random", "ghost", "pair", "invariants", "most_urgent")
    assert (c.reward_speed, c.reward_collision, c.reward_effort, c.episode_steps) == (1, 10, 0.01, 500)
    assert c.obs_dim == 4
    assert c.replace(observation="raw").obs_dim == 36
    assert c.replace(action="vehicle").obs_dim == 6
    assert c.replace(neighbour_rule="k_nearest", k_neighbours=3).obs_dim == 12


@pytest.mark.parametrize("values, field", [
    ({"n_particles": 0}, "n_particles"),
    ({"n_particles": 2000}, "cannot be placed"),
    ({"dt": 0.0}, "dt"),
    ({"sensing": 10.0}, "sensing"),
    ({"scenario": "highway"}, "scenario"),
    ({"collision": "sticky"}, "collision"),
    ({"v0": 3.0}, "v0"),
    ({"radius": -1}, "radius"),
    ({"box": "wide"}, "box"),
    ({"speed": 1.0}, "unknown key"),
])
def test_bad_values_name_the_field(values, field):
    with pytest.raises(ValueError, match=field):
        settings.from_mapping(DrivingConfig, values)


def test_json_round_trip(tmp_path):
    c = DrivingConfig(n_particles=64, scenario="crossing")
    settings.dump(c, tmp_path / "c.json")
    assert settings.load(DrivingConfig, tmp_path / "c.json") == c
