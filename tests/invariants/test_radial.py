import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.radial import RadialBasis, contract_gradient, radial_invariants
from tests.invariants import helpers
from tests.invariants.helpers import rotation3

BASES = {"inverse": RadialBasis.inverse_powers(cutoff=4.0),
         "gaussian": RadialBasis.gaussians(cutoff=4.0, count=10)}


def atoms(seed, n=36, edge=9.0):
    return helpers.atoms(seed, n, edge)


def phi(x, species, box, basis):
    return radial_invariants(x, species, helpers.neighbour_list(x, basis.cutoff, box), basis)


@pytest.mark.parametrize("kind", sorted(BASES))
@pytest.mark.parametrize("self_only", [False, True])
def test_gradients_match_central_differences(kind, self_only):
    basis = BASES[kind]
    x, species, edge = atoms(1)
    x[1] = x[0] + [0.9, 0.1, 0.0]  # one short, molecule-like distance
    inv = phi(x, species, edge, basis)
    weights = np.random.default_rng(2).normal(size=inv.values.shape)
    grad = contract_gradient(inv, weights, self_only=self_only)
    helpers.assert_central_differences(grad, lambda y: phi(y, species, edge, basis).values, x,
                                       weights, self_only, abs_scale=1e-6)


def test_dense_jacobian_of_every_invariant():
    basis = BASES["gaussian"]
    x, species, edge = atoms(3, n=12, edge=8.5)
    inv = phi(x, species, edge, basis)
    n, f = inv.values.shape
    for k in range(n):
        for a in range(f):
            w = np.zeros((n, f))
            w[k, a] = 1.0
            grad = contract_gradient(inv, w)
            h = 1e-6
            for m in (k, (k + 1) % n):
                for d in range(3):
                    up, down = x.copy(), x.copy()
                    up[m, d] += h
                    down[m, d] -= h
                    fd = (phi(up, species, edge, basis).values[k, a] - phi(down, species, edge, basis).values[k, a]) / (2 * h)
                    assert grad[m, d] == pytest.approx(fd, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(sorted(BASES)))
def test_invariance_translation_rotation_and_permutation(seed, kind):
    basis = BASES[kind]
    x, species, edge = atoms(seed)
    rng = np.random.default_rng(seed + 1)
    base = phi(x, species, edge, basis).values
    shifted = phi(np.mod(x + rng.uniform(-20, 20, 3), edge), species, edge, basis).values
    np.testing.assert_allclose(shifted, base, atol=1e-9)
    # free space: any rotation
    free = phi(x, species, None, basis).values
    turned = phi(x @ rotation3(rng).T, species, None, basis).values
    np.testing.assert_allclose(turned, free, atol=1e-9)
    # periodic box: a quarter turn about z maps the cube onto itself
    quarter = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(phi(x @ quarter.T, species, edge, basis).values, base, atol=1e-9)
    # relabelling atoms permutes the rows and nothing else
    perm = rng.permutation(len(x))
    np.testing.assert_allclose(phi(x[perm], species[perm], edge, basis).values, base[perm], atol=1e-9)


def test_pair_values_are_symmetric_and_cutoff_is_smooth():
    basis = BASES["inverse"]
    x = np.array([[0.0, 0.0, 0.0], [1.3, 0.4, -0.2]])
    values = phi(x, np.array([0, 0]), None, basis).values
    np.testing.assert_allclose(values[0], values[1])
    near_cut = np.array([[0.0, 0.0, 0.0], [basis.cutoff - 1e-4, 0.0, 0.0]])
    assert np.abs(phi(near_cut, np.array([0, 1]), None, basis).values).max() < 1e-6


def test_bad_input():
    basis = BASES["gaussian"]
    x, species, edge = atoms(4)
    with pytest.raises(ValueError, match="below the basis cutoff"):
        radial_invariants(x, species, helpers.neighbour_list(x, 2.0, edge), basis)
    with pytest.raises(ValueError, match="species"):
        radial_invariants(x, species[:-1], NeighbourList(4.0, edge, dim=3), basis)
    with pytest.raises(ValueError, match="basis kind"):
        RadialBasis("spline", np.ones(3))


@pytest.mark.parametrize("self_only", [False, True])
def test_one_sided_slopes_give_the_same_values_and_gradient(self_only):
    basis = BASES["gaussian"]
    x, species, edge = atoms(3)
    nlist = helpers.neighbour_list(x, basis.cutoff, edge)
    both, one = (radial_invariants(x, species, nlist, basis, both_sides=b) for b in (True, False))
    weights = np.random.default_rng(4).normal(size=both.values.shape)
    np.testing.assert_array_equal(one.values, both.values)
    np.testing.assert_array_equal(contract_gradient(one, weights, self_only),
                                  contract_gradient(both, weights, self_only))
