import numpy as np
import pytest

from autoparticles.driving.agent import heuristic
from autoparticles.driving.analysis import EpisodeMetrics, ballistic_collision_rate
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.world import DrivingWorld
from autoparticles.loop import Run


def run(world, policy, steps):
    metrics = EpisodeMetrics(world.config.n_particles, world.config.dt)
    loop = Run(world, heuristic(policy, world.config))
    loop.attach(metrics.add)
    loop.run(steps)
    return metrics.summary()


@pytest.mark.slow
def test_ballistic_onset_rate_matches_kinetic_theory():
    config = DrivingConfig(dt=0.05)
    theory = ballistic_collision_rate(32, 20.0, 0.5, 1.0)
    assert theory == pytest.approx(0.197, abs=1e-3)
    rates = []
    for seed in range(8):
        world = DrivingWorld(config, seed=seed)
        run(world, "ballistic", 200)  # forget the lattice-based start
        rates.append(run(world, "ballistic", 4000)["collision_rate"])
    assert np.mean(rates) == pytest.approx(theory, rel=0.05)


def test_isolated_pair_forces_are_equal_and_opposite():
    world = DrivingWorld(DrivingConfig(n_particles=2), seed=0)
    world.positions = [[5.0, 5.0], [7.5, 5.6]]
    world.velocities = [[1.0, 0.1], [-0.8, 0.0]]
    world.headings = [[1.0, 0.0], [-1.0, 0.0]]
    world.observe()
    largest = 0.0
    loop = Run(world, heuristic("ttc", world.config))
    for _ in range(15):
        _, _, info = loop.step()
        np.testing.assert_allclose(info["a_int"][0], -info["a_int"][1], atol=1e-12)
        largest = max(largest, np.abs(info["a_int"]).max())
    assert largest > 0.1


def test_observations_unchanged_by_global_translation_and_boost():
    world = DrivingWorld(DrivingConfig(n_particles=48), seed=3)
    Run(world, heuristic("ttc", world.config)).run(20)
    base = world.observe()
    world.positions = world.positions + [7.3, -2.1]
    world.velocities = world.velocities + [0.4, -0.3]
    np.testing.assert_allclose(world.observe(), base, atol=1e-12)


@pytest.mark.parametrize("options", [{}, {"observation": "raw"}, {"action": "vehicle"},
                                     {"collision": "elastic"}, {"collision": "respawn"},
                                     {"scenario": "counterflow"}])
def test_seeded_episodes_are_deterministic(options):
    config = DrivingConfig(**options)

    def episode(seed):
        loop = Run(DrivingWorld(config, seed=seed), heuristic("ttc", config))
        out = []
        for _ in range(100):
            obs, rewards, _ = loop.step()
            out.append(np.concatenate([obs.ravel(), rewards]))
        return np.array(out)

    np.testing.assert_array_equal(episode(5), episode(5))
    assert not np.array_equal(episode(5), episode(6))


def test_scenarios_set_headings():
    counter = DrivingWorld(DrivingConfig(scenario="counterflow"), seed=0).headings
    assert sorted(np.round(counter[:, 0]).tolist()) == [-1.0] * 16 + [1.0] * 16
    crossing = DrivingWorld(DrivingConfig(scenario="crossing"), seed=0).headings
    assert np.isclose(crossing[:, 0], 1).sum() == 16 and np.isclose(crossing[:, 1], 1).sum() == 16
    start = DrivingWorld(seed=0)
    delta = start.positions[:, None] - start.positions[None]
    delta -= 20 * np.round(delta / 20)
    dist = np.linalg.norm(delta, axis=2) + np.eye(32) * 99
    assert dist.min() > 1.0  # no overlaps at the start


def head_on(collision):
    world = DrivingWorld(DrivingConfig(n_particles=2, collision=collision), seed=0)
    world.positions = [[5.0, 5.0], [6.15, 5.0]]
    world.headings = [[1.0, 0.0], [-1.0, 0.0]]
    world.velocities = [[1.0, 0.0], [-1.0, 0.0]]
    world.observe()
    infos = [world.step(np.zeros((2, 2)))[2] for _ in range(3)]
    return world, infos


def test_collision_modes():
    world, infos = head_on("ghost")
    assert [i["onsets"] for i in infos] == [1, 0, 0]  # counted once while overlapping
    assert infos[0]["reward_collision"].tolist() == [-10.0, -10.0]
    world, _ = head_on("elastic")
    assert world.velocities[0, 0] < 0 < world.velocities[1, 0]  # bounced back
    world, _ = head_on("respawn")
    gap = world.positions[1] - world.positions[0]
    gap -= 20 * np.round(gap / 20)
    assert np.linalg.norm(gap) > 1.0


def test_reward_terms_add_up():
    world = DrivingWorld(seed=1)
    _, rewards, info = world.step(np.full((32, 2), 0.5))
    total = (info["reward_speed"] + info["reward_overspeed"] + info["reward_collision"]
             + info["reward_effort"])
    np.testing.assert_allclose(rewards, total)
    moving = np.linalg.norm(world.sensed.direction, axis=1) > 0
    np.testing.assert_allclose(info["reward_effort"][moving], -0.01 * 0.5 * 0.1)


def test_bad_actions_and_state():
    world = DrivingWorld(seed=0)
    with pytest.raises(ValueError, match="actions must have shape"):
        world.step(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        world.step(np.full((32, 2), np.nan))
    with pytest.raises(ValueError, match="positions must have shape"):
        world.positions = np.zeros((4, 2))


def deepest_overlap(world) -> float:
    """The deepest overlap between moving disks, over the radius, by looping over all pairs."""
    x, r = world.positions[:world.n_particles], world.particles.radius[:world.n_particles]
    d = np.linalg.norm(x[:, None] - x[None], axis=-1) + np.eye(len(x)) * 1e9
    return float(((r[:, None] + r[None] - d) / r[:, None]).max())


def test_contact_passes_settle_a_crowd_pressed_against_a_door():
    depths = {}
    for passes in (1, 50):
        world = DrivingWorld(DrivingConfig(scenario="evacuation", collision="hard",
                                           contact_passes=passes), seed=2)
        onsets = sum(world.step(np.zeros((60, 2)))[2]["onsets"] for _ in range(120))
        depths[passes] = deepest_overlap(world)
        assert onsets > 0  # the crowd did press together
    assert depths[50] < 0.02 < depths[1]


def test_observe_drive_adds_the_mismatch_in_the_watched_frame():
    world = DrivingWorld(DrivingConfig(n_particles=2, observe_drive=True), seed=0)
    world.positions = [[5.0, 5.0], [7.0, 5.0]]
    world.velocities = np.zeros((2, 2))
    world.headings = [[0.0, 1.0], [1.0, 0.0]]
    drive = world.observe()[:, -2:]
    # 0 watches +x and wants +y: all across; 1 watches -x and wants +x: all against r̂
    np.testing.assert_allclose(drive, [[0.0, 0.25], [-0.25, 0.0]], atol=1e-12)
    world.positions = [[5.0, 5.0], [15.0, 5.0]]  # out of sensing range: no frame, zeros
    np.testing.assert_array_equal(world.observe()[:, -2:], 0.0)


def test_frame_rule_closest_prefers_a_touching_wall_to_a_distant_slow_threat():
    from autoparticles.driving.scene import Geometry, ParticleType, Scene

    walkers = ParticleType(name="walker", count=2, radius=0.5, heading="east",
                           positions=((5.0, 0.5), (9.0, 0.5)))
    scene = Scene("wall", Geometry(size=(20.0, 10.0), periodic=(True, False)), (walkers,), "test")
    frames = {}
    for rule in ("urgent", "closest"):
        world = DrivingWorld(DrivingConfig(frame_rule=rule).for_scene(scene), seed=0)
        world.velocities = [[0.0, 0.0], [-0.05, 0.0]]  # 1 closes in on 0, who rests on the floor
        world.observe()
        frames[rule] = world.percept().state.direction[0]
    np.testing.assert_allclose(frames["urgent"], [1.0, 0.0], atol=1e-12)   # the walker 4 off
    np.testing.assert_allclose(frames["closest"], [0.0, -1.0], atol=1e-12)  # the floor
