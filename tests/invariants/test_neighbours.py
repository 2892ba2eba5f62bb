import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoparticles.invariants.neighbours import CELL_REACH, NeighbourList, brute_force_pairs


def as_set(pairs):
    return set(zip(*(p.tolist() for p in pairs)))


@st.composite
def configurations(draw):
    dim = draw(st.sampled_from([2, 3]))
    edge = draw(st.floats(2.0, 12.0))
    n = draw(st.integers(1, 60))
    cutoff = draw(st.floats(0.2, 0.5)) * edge
    periodic = draw(st.booleans())
    seed = draw(st.integers(0, 2**31))
    mirrored = draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.5 * edge, 1.5 * edge, (n, dim))
    # pin some particles exactly on the faces and corners of the box
    on_edge = rng.random((n, dim)) < 0.2
    x[on_edge] = rng.choice([0.0, edge], size=on_edge.sum())
    return x, (edge if periodic else None), cutoff, dim, mirrored


@settings(max_examples=150, deadline=None)
@given(configurations())
def test_cell_list_equals_brute_force(config):
    x, box, cutoff, dim, mirrored = config
    nl = NeighbourList(cutoff, box, dim=dim, mirrored=mirrored)
    nl.update(x)
    assert as_set(nl.pairs_within(x, cutoff)) == as_set(brute_force_pairs(x, cutoff, box))
    # the full list also contains every pair within cutoff + skin, from both sides
    listed = as_set((np.repeat(np.arange(len(x)), np.diff(nl.indptr)), nl.indices))
    assert as_set(brute_force_pairs(x, nl.list_range * 0.999, box)) <= listed
    assert all((j, i) in listed for i, j in listed)
    assert len(listed) == len(nl.indices)  # no pair twice
    assert (nl.mirror is None) == (not mirrored)


@pytest.mark.parametrize("dim", [2, 3])
def test_few_cells_and_half_box_cutoff(dim):
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 4.0, (80, dim))
    nl = NeighbourList(2.0, 4.0, dim=dim)  # one or two cells per side, cutoff = L/2
    nl.update(x)
    assert nl.list_range > 2.0  # the skin reaches past half the box
    assert as_set(nl.pairs_within(x, 2.0)) == as_set(brute_force_pairs(x, 2.0, 4.0))


def test_a_list_range_past_half_the_box_stays_correct_as_particles_move():
    """Cutoff 0.48 L, skin 0.3 L: the list holds pairs up to 0.78 L apart (minimum image) and
    must still hold every pair within the cutoff until a particle moved skin/2."""
    rng = np.random.default_rng(6)
    box = 6.0
    x = rng.uniform(0, box, (120, 3))
    v = rng.normal(size=x.shape)
    nl = NeighbourList(2.9, box, skin=1.8, dim=3)
    for _ in range(60):
        nl.update(x)
        assert as_set(nl.pairs_within(x, 2.9)) == as_set(brute_force_pairs(x, 2.9, box))
        x = x + 0.04 * v  # unwrapped, as the water engine keeps them
    assert 1 < nl.builds < 30


def test_skin_avoids_rebuilds_and_stays_correct():
    rng = np.random.default_rng(4)
    box = 20.0
    x = rng.uniform(0, box, (300, 2))
    v = rng.normal(size=x.shape)
    nl = NeighbourList(3.0, box, skin=1.0)
    for _ in range(50):
        nl.update(x)
        assert as_set(nl.pairs_within(x, 3.0)) == as_set(brute_force_pairs(x, 3.0, box))
        x = np.mod(x + 0.05 * v, box)
    assert 1 < nl.builds < 50


def test_reorder_returns_cell_sorted_permutation():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 30, (500, 2))
    nl = NeighbourList(3.0, 30.0, reorder=True)
    perm = nl.update(x)
    assert sorted(perm.tolist()) == list(range(500))
    y = x[perm]
    cells = np.floor(y / (30.0 / np.floor(30.0 * CELL_REACH[2] / nl.list_range))).astype(int)
    flat = cells[:, 0] * 1000 + cells[:, 1]
    assert np.all(np.diff(flat) >= 0)
    assert as_set(nl.pairs_within(y, 3.0)) == as_set(brute_force_pairs(y, 3.0, 30.0))
    assert nl.update(y) is None  # nothing moved: no rebuild, no permutation


def test_bad_input():
    nl = NeighbourList(2.0, 10.0)
    with pytest.raises(ValueError, match="non-finite"):
        nl.update(np.array([[0.0, np.inf]]))
    with pytest.raises(ValueError, match="2 columns"):
        nl.update(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="half the box"):
        NeighbourList(6.0, 10.0)
    with pytest.raises(ValueError, match="box edges"):
        NeighbourList(1.0, 0.0)


def test_mirror_points_at_the_reverse_pair():
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 10, (200, 3))
    nl = NeighbourList(3.0, 10.0, dim=3)
    nl.update(x)
    rows = np.repeat(np.arange(200), np.diff(nl.indptr))
    np.testing.assert_array_equal(rows[nl.mirror], nl.indices)
    np.testing.assert_array_equal(nl.indices[nl.mirror], rows)
