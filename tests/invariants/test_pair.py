import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoparticles.invariants.pair import RULES, pair_invariants, time_to_collision
from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.space import wrap


def observe(x, v, box, rule, sensing=5.0):
    nl = NeighbourList(sensing, box)
    nl.update(wrap(x, box) if box is not None else x)
    return pair_invariants(wrap(x, box) if box is not None else x, v, nl, rule=rule,
                              sensing=sensing)


def world(seed, n=40, edge=20.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, edge, (n, 2)), rng.normal(size=(n, 2)), edge


def rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(sorted(RULES)), st.booleans())
def test_translation_and_boost_invariance(seed, rule, periodic):
    x, v, edge = world(seed)
    box = edge if periodic else None
    rng = np.random.default_rng(seed + 1)
    shift, boost = rng.uniform(-50, 50, 2), rng.uniform(-3, 3, 2)
    base = observe(x, v, box, rule)
    moved = observe(x + shift, v + boost, box, rule)
    np.testing.assert_allclose(moved.features, base.features, atol=1e-9)
    np.testing.assert_array_equal(moved.neighbour, base.neighbour)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.floats(0, 2 * np.pi), st.sampled_from(sorted(RULES)))
def test_rotation_invariance_free_space(seed, angle, rule):
    x, v, _ = world(seed)
    rot = rotation(angle)
    base = observe(x, v, None, rule)
    turned = observe(x @ rot.T, v @ rot.T, None, rule)
    np.testing.assert_allclose(turned.features, base.features, atol=1e-9)
    np.testing.assert_allclose(turned.direction, base.direction @ rot.T, atol=1e-9)


@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_rotation_by_quarter_turns_in_periodic_box(quarter_turns):
    x, v, edge = world(7)
    rot = np.round(rotation(quarter_turns * np.pi / 2))
    base = observe(x, v, edge, "most_urgent")
    turned = observe(x @ rot.T, v @ rot.T, edge, "most_urgent")
    np.testing.assert_allclose(turned.features, base.features, atol=1e-9)


def test_pair_swap_symmetry():
    x = np.array([[3.0, 4.0], [5.5, 4.7]])
    v = np.array([[1.0, 0.2], [-0.5, 0.1]])
    obs = observe(x, v, 20.0, "most_urgent")
    np.testing.assert_allclose(obs.features[0], obs.features[1])
    np.testing.assert_array_equal(obs.neighbour, [1, 0])
    np.testing.assert_allclose(obs.direction[0], -obs.direction[1])


def test_empty_sensing_disk_and_feature_ranges():
    x = np.array([[1.0, 1.0], [15.0, 15.0]])
    obs = observe(x, np.zeros((2, 2)), 40.0, "most_urgent")
    np.testing.assert_allclose(obs.features, [[1, 0, 0, 0], [1, 0, 0, 0]])
    assert np.all(obs.neighbour == -1)
    x, v, edge = world(11)
    f = observe(x, 2 * v, edge, "k_nearest").features
    assert f.shape == (40, 16)
    assert np.all((f[:, 0::4] >= 0) & (f[:, 0::4] <= 1)) and np.all((f[:, 3::4] >= 0) & (f[:, 3::4] <= 1))


def test_most_urgent_prefers_the_threat_over_the_nearest():
    # j=1 is near but moving away; j=2 is farther and coming straight at particle 0
    x = np.array([[10.0, 10.0], [10.0, 11.5], [13.0, 10.0]])
    v = np.array([[0.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    assert observe(x, v, 20.0, "most_urgent").neighbour[0] == 2
    assert observe(x, v, 20.0, "nearest").neighbour[0] == 1


HORIZON = 30.0


def brute_force_contact_time(r, u, radius, dt=1e-4):
    """First time on a fine grid at which the propagated disks overlap (inf: never)."""
    t = np.arange(0.0, HORIZON, dt)
    touching = np.nonzero(np.linalg.norm(r + u * t[:, None], axis=1) < 2 * radius)[0]
    return t[touching[0]] if len(touching) else np.inf


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6))
def test_time_to_collision_matches_ballistic_propagation(seed):
    rng = np.random.default_rng(seed)
    r = rng.uniform(-4, 4, 2)
    if np.linalg.norm(r) < 1.05:
        r *= 1.05 / np.linalg.norm(r)
    aim = -r / np.linalg.norm(r) + rng.normal(scale=0.4, size=2)
    u = aim * rng.uniform(0.3, 2.0)
    exact = time_to_collision(r, u, 0.5)
    brute = brute_force_contact_time(r, u, 0.5)
    if np.isinf(brute):
        assert exact > HORIZON - 1e-3
    else:
        assert exact == pytest.approx(brute, abs=2e-4 * (1 + np.linalg.norm(u)))


def test_the_benchmarks_dense_numpy_baseline_gives_the_kernels_numbers():
    from autoparticles.bench import all_pairs_numpy_step

    x, v, edge = world(11, n=60)
    np.testing.assert_allclose(all_pairs_numpy_step(x, v, edge),
                               observe(x, v, edge, "most_urgent").features, atol=1e-12)
