"""Typed pair invariants and wall invariants: brute-force twins and their symmetries.

Symmetries with walls: a joint rotation + translation of particles, walls and goals leaves
every observation unchanged; a boost (adding one velocity to every particle) does not (walls
and obstacles rest in one frame), but without walls and obstacles it does, unless the
observation carries the drive mismatch w − v (`observe_drive`: w does not boost). A
reflection negates exactly the columns `DrivingConfig.mirror_columns` names.
"""

import numpy as np
import pytest

from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.scene import Geometry, ParticleType, Scene
from autoparticles.driving.world import DrivingWorld
from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.pair import group_invariants, time_to_collision
from autoparticles.invariants.walls import wall_invariants


def brute_group(x, v, radii, groups, n_groups, box, sensing, v_max, tau0):
    """Per particle and group: I1..I4 of the neighbour with the smallest time to contact
    (nearest if none), by looping over all pairs."""
    n = len(x)
    out = np.tile([1.0, 0.0, 0.0, 0.0], (n, n_groups))
    for i in range(n):
        for g in range(n_groups):
            best = None
            for j in range(n):
                if j == i or groups[j] != g:
                    continue
                r = x[j] - x[i]
                r -= box * np.round(r / box)
                d = np.linalg.norm(r)
                if d >= sensing:
                    continue
                u = v[j] - v[i]
                tau = time_to_collision(r, u, 0.5 * (radii[i] + radii[j]))
                key = (tau, d) if np.isfinite(tau) else (np.inf, d)
                if best is None or key < best[0]:
                    best = (key, r, u, d, tau, radii[i] + radii[j])
            if best is None:
                continue
            _, r, u, d, tau, contact = best
            out[i, 4 * g:4 * g + 4] = [min(max(d - contact, 0), sensing) / sensing,
                                       r @ u / d / (2 * v_max),
                                       (r[0] * u[1] - r[1] * u[0]) / d / (2 * v_max),
                                       np.exp(-tau / tau0) if np.isfinite(tau) else 0.0]
    return out


def test_group_invariants_match_brute_force():
    rng = np.random.default_rng(0)
    n, box = 60, np.array([14.0, 10.0])
    x = rng.uniform(0, 1, (n, 2)) * box
    v = rng.normal(0, 1, (n, 2))
    radii = rng.choice([0.3, 0.5, 0.8], n)
    groups = rng.integers(0, 3, n)
    nlist = NeighbourList(3.0, box, skin=0.5)
    nlist.update(x)
    got = group_invariants(x, v, nlist, radii, groups, 3, 3.0, 2.0, 2.0)
    want = brute_group(x, v, radii, groups, 3, box, 3.0, 2.0, 2.0)
    np.testing.assert_allclose(got.features, want, atol=1e-12)


def test_wall_invariants_of_one_wall_by_hand():
    x = np.array([[2.0, 1.0], [2.0, 4.0], [6.0, 1.5]])
    v = np.array([[0.0, -1.0], [1.0, 0.0], [0.0, 0.0]])
    walls = np.array([[0.0, 0.0, 5.0, 0.0]])  # floor from x = 0 to 5
    obs = wall_invariants(x, v, np.full(3, 0.5), walls, (10.0, 10.0), sensing=3.0, v_max=2.0,
                          tau0=2.0)
    # particle 0: 1 above the floor, falling at 1: gap 0.5, closing, touches after 0.5
    np.testing.assert_allclose(obs.features[0], [0.5 / 3, -0.25, 0.0, np.exp(-0.25)])
    np.testing.assert_allclose(obs.direction[0], [0.0, -1.0])
    # particle 1: out of sensing range; particle 2: sees the floor's end point (5, 0)
    assert obs.wall[1] == -1 and obs.wall[2] == 0
    np.testing.assert_allclose(obs.features[2, 0], (np.hypot(1.0, 1.5) - 0.5) / 3)


def test_the_closest_rule_keeps_a_touched_wall_over_a_far_one_walked_towards():
    x, v = np.array([[2.0, 0.5]]), np.array([[0.0, 0.0]])
    v[0, 0] = 0.05  # slowly along the floor towards the wall x = 4.5
    walls = np.array([[0.0, 0.0, 5.0, 0.0], [4.5, 0.0, 4.5, 5.0]])
    urgent = wall_invariants(x, v, np.full(1, 0.5), walls, (10.0, 10.0), sensing=3.0)
    closest = wall_invariants(x, v, np.full(1, 0.5), walls, (10.0, 10.0), sensing=3.0,
                              closest=True)
    assert urgent.wall[0] == 1 and closest.wall[0] == 0  # the floor it rests on
    np.testing.assert_allclose(closest.features[0], [0.0, 0.0, -0.0125, 0.0], atol=1e-12)


def mixed_scene(walls: bool, size=(60.0, 60.0), **settings) -> DrivingConfig:
    segments = ((25.0, 25.0, 35.0, 28.0), (28.0, 36.0, 33.0, 31.0)) if walls else ()
    types = (ParticleType(name="car", count=12, radius=0.5, heading="random",
                          spawn=(22.0, 22.0, 38.0, 38.0)),
             ParticleType(name="walker", count=10, radius=0.3, v0=0.5, v_max=1.0, a_max=1.0,
                          heading="random", spawn=(22.0, 22.0, 38.0, 38.0)))
    scene = Scene("mixed", Geometry(size=size, periodic=(not walls, not walls), walls=segments),
                  types, "test")
    return DrivingConfig(sensing=5.0, **settings).for_scene(scene)


def transformed(config, world, matrix, shift, centre=np.array([30.0, 30.0])):
    """A world of `config` whose particles, walls and headings are those of `world` mapped
    by x -> matrix (x - centre) + centre + shift."""
    segments = [tuple(((np.reshape(s, (2, 2)) - centre) @ matrix.T + centre + shift).ravel())
                for s in config.scene.geometry.walls]
    geometry = Geometry(size=(60.0, 60.0), periodic=config.scene.geometry.periodic, walls=segments)
    other = DrivingWorld(config.for_scene(Scene("mixed", geometry, config.scene.types, "test")), seed=4)
    other.positions = (world.positions - centre) @ matrix.T + centre + shift
    other.velocities, other.headings = world.velocities @ matrix.T, world.headings @ matrix.T
    return other


@pytest.mark.parametrize("walls, observe_drive", [(False, False), (True, False), (True, True)])
def test_joint_rotation_and_translation_leave_observations_unchanged(walls, observe_drive):
    config = mixed_scene(walls, observe_drive=observe_drive)
    world = DrivingWorld(config, seed=4)
    world.velocities = np.random.default_rng(1).normal(0, 1, world.velocities.shape)
    before = world.observe()
    angle, shift = 0.7, np.array([1.5, -2.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    other = transformed(config, world, rot, shift)
    np.testing.assert_allclose(other.observe(), before, atol=1e-9)


@pytest.mark.parametrize("walls, observe_drive, action",
                         [(False, False, "pair"), (True, True, "pair"), (True, True, "vehicle")])
def test_a_reflection_negates_the_mirror_columns_only(walls, observe_drive, action):
    config = mixed_scene(walls, observe_drive=observe_drive, action=action)
    world = DrivingWorld(config, seed=4)
    world.velocities = np.random.default_rng(3).normal(0, 1, world.velocities.shape)
    before = world.observe()
    other = transformed(config, world, np.diag([-1.0, 1.0]), np.array([0.5, 1.0]))
    signs = np.ones(config.obs_dim)
    signs[config.mirror_columns()[0]] = -1
    assert (signs < 0).sum() == len(config.mirror_columns()[0]) > 0
    np.testing.assert_allclose(other.observe(), before * signs, atol=1e-9)


def test_a_boost_is_a_symmetry_without_walls_only():
    for walls, drive, symmetric in ((False, False, True), (True, False, False),
                                    (False, True, False)):
        world = DrivingWorld(mixed_scene(walls, observe_drive=drive), seed=5)
        world.velocities = np.random.default_rng(2).normal(0, 1, world.velocities.shape)
        before = world.observe()
        world.velocities = world.velocities + np.array([0.4, -0.3])
        same = np.allclose(world.observe(), before, atol=1e-9)
        assert same == symmetric, f"walls={walls}: boost {'changed' if not same else 'kept'} the observation"
