"""Scenes as data: loading, the one-line errors of bad scene files, placement, goals."""

import numpy as np
import pytest

from autoparticles.config import ConfigError
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.placement import goal_field, placed_sites
from autoparticles.driving.scene import FILE_SCENES, load_scene
from autoparticles.driving.world import DrivingWorld

GOOD = """
name = "yard"
[world]
size = [20.0, 12.0]
periodic = [false, true]
walls = [[10.0, 0.0, 10.0, 4.0]]
[[types]]
name = "robot"
count = 6
radius = 0.4
v0 = 1.0
v_max = 2.0
a_max = 2.0
heading = "east"
[[types]]
name = "dog"
count = 4
radius = 0.3
heading = [15.0, 6.0]
[[types]]
name = "tree"
count = 2
radius = 1.0
static = true
positions = [[5.0, 6.0], [15.0, 9.0]]
"""


def write(tmp_path, text, name="scene.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_scenes_load_and_fill_their_worlds():
    assert set(FILE_SCENES) >= {"street", "bottleneck", "corridor"}
    for name in FILE_SCENES:
        world = DrivingWorld(DrivingConfig(scenario=name), seed=0)
        assert world.observe().shape == (world.n_particles, world.obs_dim)
        assert world.n_particles == world.scene.n_mobile > 0


def test_user_scene_loads_with_types_in_order(tmp_path):
    scene = load_scene(write(tmp_path, GOOD))
    assert [t.name for t in scene.types] == ["robot", "dog", "tree"]
    assert scene.groups == ("robot", "dog", "tree") and scene.typed
    world = DrivingWorld(DrivingConfig(scenario=str(tmp_path / "scene.toml")), seed=1)
    assert world.n_particles == 10 and world.n_total == 12
    np.testing.assert_allclose(world.positions[10:], [[5.0, 6.0], [15.0, 9.0]])
    assert world.agent_names[0] == "robot_0" and world.agent_names[-1] == "dog_3"
    # one-hot over the 2 moving groups + 6 numbers per group (3) and for the wall
    assert world.obs_dim == 2 + 6 * 4


@pytest.mark.parametrize("change, words", [
    (("count = 6", "count = 6\ncolour = 'red'"), ["unknown key", "colour", "'robot'"]),
    (("radius = 0.4", "radius = -0.4"), ["radius", "'robot'"]),
    (('heading = "east"', 'heading = "up"'), ["heading", "'robot'"]),
    (("[15.0, 9.0]", "[5.5, 6.5]"), ["static obstacles", "overlap"]),
    (("count = 6", "count = 600"), ["'robot'", "count = 600", "do not fit"]),
    (('name = "yard"\n[world]', 'name = "yard"\n[wrld]'), ["world"]),
    (("size = [20.0, 12.0]", "size = [20.0]"), ["size", "[world]"]),
])
def test_bad_scene_files_get_one_line_naming_file_and_key(tmp_path, change, words):
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ConfigError) as caught:
        load_scene(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message, message


def test_missing_name_and_goal_inside_a_wall_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="lacks the key name"):
        load_scene(write(tmp_path, GOOD.replace('name = "dog"\n', "")))
    walled = GOOD.replace('heading = [15.0, 6.0]',
                          'heading = "goal"\ngoal = [9.9, 1.0, 10.1, 2.0]')
    with pytest.raises(ConfigError, match="inside a wall"):
        load_scene(write(tmp_path, walled))


def test_unknown_scenario_and_missing_file_name_themselves():
    with pytest.raises(ConfigError, match="scenario"):
        DrivingConfig(scenario="highway")
    with pytest.raises(ConfigError, match="nowhere.toml"):
        DrivingConfig(scenario="nowhere.toml").scene


def test_typed_scenes_refuse_observations_they_do_not_define():
    with pytest.raises(ConfigError, match="observation"):
        DrivingConfig(scenario="street", observation="raw").scene


def test_starts_do_not_overlap_walls_obstacles_or_each_other():
    scene = DrivingConfig(scenario="street").scene
    world = DrivingWorld(DrivingConfig(scenario="street"), seed=3)
    x, r = world.positions, world.particles.radius
    gap = np.linalg.norm(x[:, None] - x[None], axis=2) - r[:, None] - r[None]
    np.fill_diagonal(gap, np.inf)
    assert gap.min() > 0
    assert np.all((x[:, 1] - r >= 0) & (x[:, 1] + r <= scene.geometry.size[1]))
    starts = placed_sites(scene, np.random.default_rng(3))
    for index, t in enumerate(scene.types):
        if t.spawn is not None and not t.static:
            inside = ((starts[index] >= np.array(t.spawn[:2])) & (starts[index] <= np.array(t.spawn[2:])))
            assert inside.all()


@pytest.mark.parametrize("radius", [None, 0.1])
def test_goal_field_leads_through_the_exit(radius):
    # radius 0.1 is below the field's cell: no cell is blocked, the walls alone must hold
    scene = DrivingConfig(scenario="bottleneck").scene
    field = goal_field(scene, scene.types[0].goal, radius or scene.types[0].radius)
    nx, ny = field.shape[:2]
    cell = np.array(scene.geometry.size) / [nx, ny]

    def heading(point):
        i, j = (np.asarray(point) / cell).astype(int)
        return field[i, j]

    # far from the exit in the room's top-left: towards the exit (right and down)
    top_left = heading([2.0, 10.0])
    assert top_left[0] > 0.5 and top_left[1] < 0
    # just below the exit, beside the wall: up along the wall towards the opening
    assert heading([11.5, 2.0])[1] > 0.7
    # inside the corridor: straight on
    np.testing.assert_allclose(heading([16.0, 6.0]), [1.0, 0.0], atol=0.05)


def test_walls_hold_particles_and_arrivals_respawn():
    world = DrivingWorld(DrivingConfig(scenario="bottleneck"), seed=0)
    arrivals = 0
    for _ in range(400):
        _, _, info = world.step(np.zeros((world.n_particles, 2)))
        arrivals += info["arrivals"].sum()
        x, r = world.positions, world.particles.radius
        assert np.all(x - r[:, None] >= -1e-9) and np.all(x + r[:, None] <= np.array([24, 12]) + 1e-9)
        # nobody inside the wall that separates room and corridor
        in_wall = (np.abs(x[:, 0] - 12.0) < r - 1e-9) & ((x[:, 1] < 5.0) | (x[:, 1] > 7.0))
        assert not in_wall.any()
    assert arrivals > 0


def test_an_arrival_starts_again_clear_of_every_body_by_twice_its_braking_distance():
    from autoparticles.driving.placement import segment_distance

    world = DrivingWorld(DrivingConfig(scenario="street"), seed=3)
    p, m = world.particles, world.n_particles
    walker = int(np.nonzero(p.group[:m] == list(world.scene.groups).index("pedestrian"))[0][0])
    t = world.scene.types[p.type[walker]]
    clearance = t.v0 ** 2 / t.a_max
    for _ in range(30):
        x = world.positions.copy()
        x[walker] = [0.5 * (t.goal[0] + t.goal[2]), 0.5 * (t.goal[1] + t.goal[3])]
        world.positions = x
        _, _, info = world.step(np.zeros((m, 2)))
        assert info["arrivals"][walker]
        start = world.positions[walker]  # placed after the step's motion
        gaps = np.linalg.norm(world.positions - start, axis=1) - p.radius - p.radius[walker]
        gaps[walker] = np.inf
        walls = segment_distance(start[None], world._segments).min() - p.radius[walker]
        assert min(gaps.min(), walls) > clearance
        assert t.spawn[1] <= start[1] <= t.spawn[3]


def test_leaving_particles_are_parked_out_of_sight(tmp_path):
    text = DrivingConfig(scenario="bottleneck").scene.where
    scene = open(text).read().replace('goal = [21.0, 5.0, 24.0, 7.0]',
                                      'goal = [21.0, 5.0, 24.0, 7.0]\nleave = true')
    path = tmp_path / "evacuation.toml"
    path.write_text(scene)
    world = DrivingWorld(DrivingConfig(scenario=str(path)), seed=0)
    from autoparticles.driving.agent import heuristic
    act = heuristic("ttc", world.config)
    for _ in range(600):
        world.step(act(world.percept()))
    assert world.left.sum() > 10  # many are out
    x = world.positions[:world.n_particles]
    parked, inside = x[world.left], x[~world.left]
    assert np.all(parked[:, 1] > 12.0 + world.config.sensing)  # beyond the world's wall
    assert np.all(inside[:, 1] <= 12.0)
    assert np.all(world.velocities[:world.n_particles][world.left] == 0)
    # nobody inside sees a parked particle
    seen = world.sensed.neighbour[:world.n_particles][~world.left]
    assert not np.isin(seen, np.nonzero(world.left)[0]).any()


def test_metrics_of_an_emptying_room_count_only_the_particle_time_in_the_world():
    from autoparticles.driving.agent import heuristic
    from autoparticles.driving.analysis import new_metrics
    from autoparticles.loop import Run

    config = DrivingConfig(scenario="evacuation", collision="hard")
    world = config.make_world(0)
    metrics, forward, present, hits = new_metrics(world), [], [], 0
    run = Run(world, heuristic("ttc", config))

    def record(info):
        nonlocal hits
        metrics.add(info)
        forward.append(info["forward"][info["present"]])
        present.append(info["present"].sum())
        hits += info["collisions"].sum()

    run.attach(record)
    run.run(400)
    assert world.left.sum() > 10 and present[-1] < present[0] == world.n_particles
    summary = metrics.summary()
    particle_steps = sum(present)
    assert summary["forward_speed"] == pytest.approx(np.concatenate(forward).sum() / particle_steps)
    assert summary["per_type"]["pedestrian"]["forward_speed"] == pytest.approx(summary["forward_speed"])
    assert summary["collision_rate"] == pytest.approx(hits / (particle_steps * config.dt))
