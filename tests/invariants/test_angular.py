import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoparticles.invariants.angular import AngularBasis, angular_invariants, contract_gradient
from tests.invariants import helpers
from tests.invariants.helpers import rotation3

BASIS = AngularBasis(centres=[1.0, 2.0], eta=1.5, lambdas=[1, -1, -1], zetas=[1, 1, 4], cutoff=3.5)


def atoms(seed, n=30, edge=8.0):
    return helpers.atoms(seed, n, edge)


def psi(x, species, box, basis=BASIS, list_cutoff=BASIS.cutoff):
    return angular_invariants(x, species, helpers.neighbour_list(x, list_cutoff, box), basis)


def brute_force(x, species, box, basis=BASIS):
    """O(N³) numpy twin of the module docstring's formula."""
    n = len(x)
    delta = x[None, :, :] - x[:, None, :]
    if box is not None:
        delta -= box * np.round(delta / box)
    d = np.linalg.norm(delta, axis=2)
    np.fill_diagonal(d, np.inf)
    fc = np.where(d < basis.cutoff, 0.5 * (np.cos(np.pi * np.minimum(d, basis.cutoff) / basis.cutoff) + 1), 0.0)
    g = np.exp(-basis.eta * (d[..., None] - basis.centres) ** 2) * fc[..., None]  # (N, N, R)
    shell_a, shell_b = basis.shells
    channel = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}
    out = np.zeros((n, basis.n_features()))
    for i in range(n):
        for j in range(n):
            for k in range(j + 1, n):
                if i in (j, k) or d[i, j] >= basis.cutoff or d[i, k] >= basis.cutoff:
                    continue
                cos = delta[i, j] @ delta[i, k] / (d[i, j] * d[i, k])
                pair = 0.5 * (g[i, j, shell_a] * g[i, k, shell_b] + g[i, j, shell_b] * g[i, k, shell_a])
                ang = (1 + basis.lambdas * cos) ** basis.zetas
                c = channel[species[j], species[k]]
                out[i, c * basis.size:(c + 1) * basis.size] += np.outer(ang, pair).ravel()
    return out


@pytest.mark.parametrize("box", [8.0, None])
def test_values_match_brute_force(box):
    x, species, _ = atoms(0)
    np.testing.assert_allclose(psi(x, species, box).values, brute_force(x, species, box),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("self_only", [False, True])
def test_contraction_matches_central_differences_of_the_brute_force(self_only):
    x, species, edge = atoms(1, n=16, edge=7.0)
    x[1] = x[0] + [0.95, 0.1, 0.0]  # a bonded-like pair
    x[2] = x[0] + [-0.3, 0.9, 0.0]
    weights = np.random.default_rng(2).normal(size=(len(x), BASIS.n_features()))
    grad = contract_gradient(psi(x, species, edge), weights, self_only=self_only)
    helpers.assert_central_differences(grad, lambda y: brute_force(y, species, edge), x, weights,
                                       self_only, abs_scale=1e-7)


@pytest.mark.parametrize("self_only", [False, True])
@pytest.mark.parametrize("box", [7.0, None])
def test_the_gradient_without_stored_blocks_equals_the_blocks_contracted(self_only, box):
    x, species, _ = atoms(5, n=24, edge=7.0)
    nlist = helpers.neighbour_list(x, BASIS.cutoff, box)
    stored, direct = (angular_invariants(x, species, nlist, BASIS, jacobian=b) for b in (True, False))
    assert direct.jacobian is None
    np.testing.assert_array_equal(direct.values, stored.values)
    weights = np.random.default_rng(6).normal(size=stored.values.shape)
    np.testing.assert_allclose(contract_gradient(direct, weights, self_only),
                               contract_gradient(stored, weights, self_only), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(direct.values, stored.values)  # the gradient pass leaves ψ


def test_jacobian_blocks_are_the_derivative_of_each_invariant():
    x, species, edge = atoms(3, n=14, edge=7.0)
    inv = psi(x, species, edge)
    h = 1e-6
    for i in (0, 5):
        for p in range(inv.indptr[i], inv.indptr[i + 1]):
            j = inv.indices[p]
            for d in range(3):
                up, down = x.copy(), x.copy()
                up[j, d] += h
                down[j, d] -= h
                numeric = (psi(up, species, edge).values[i] - psi(down, species, edge).values[i]) / (2 * h)
                np.testing.assert_allclose(inv.jacobian[p, :, d], numeric, atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6))
def test_invariance_translation_rotation_permutation_and_images(seed):
    x, species, edge = atoms(seed)
    rng = np.random.default_rng(seed + 1)
    base = psi(x, species, edge).values
    np.testing.assert_allclose(psi(np.mod(x + rng.uniform(-20, 20, 3), edge), species, edge).values,
                               base, atol=1e-9)
    moved = x.copy()
    moved[rng.integers(len(x))] += edge * rng.integers(-2, 3, 3)  # the same atom, another image
    np.testing.assert_allclose(psi(moved, species, edge).values, base, atol=1e-9)
    free = psi(x, species, None).values
    np.testing.assert_allclose(psi(x @ rotation3(rng).T, species, None).values, free, atol=1e-9)
    quarter = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(psi(x @ quarter.T, species, edge).values, base, atol=1e-9)
    perm = rng.permutation(len(x))
    np.testing.assert_allclose(psi(x[perm], species[perm], edge).values, base[perm], atol=1e-9)


def test_channels_resolve_species_pairs_and_angles():
    """An O with an O and an H neighbour fills only the OH channel; a straight O-H···O at the H
    maximises the (1 - cos θ)^ζ terms."""
    x = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    values = psi(x, np.array([0, 0, 1]), None).values[0]
    size = BASIS.size
    assert np.all(values[:size] == 0) and np.all(values[2 * size:] == 0) and values[size:2 * size].any()
    straight = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.9, 0.0, 0.0]])
    bent = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.9, 0.0]])
    oho = np.array([0, 1, 0])
    column = 2 * len(BASIS.shells[0]) + 1  # λ = -1, ζ = 4; shells (1.0, 2.0)
    assert psi(straight, oho, None).values[1, column] > 10 * psi(bent, oho, None).values[1, column]


def test_bad_input():
    x, species, edge = atoms(4)
    with pytest.raises(ValueError, match="below the basis cutoff"):
        angular_invariants(x, species, helpers.neighbour_list(x, 3.0, edge), BASIS)
    with pytest.raises(ValueError, match="λ = ±1"):
        AngularBasis([1.0], 1.0, [0.5], [1.0])
    with pytest.raises(ValueError, match="whole number"):
        AngularBasis([1.0], 1.0, [1.0], [2.5])
    with pytest.raises(ValueError, match="differ"):
        AngularBasis([1.0], 1.0, [1.0, -1.0], [1.0])
    with pytest.raises(ValueError, match="weights"):
        contract_gradient(psi(x, species, edge), np.zeros((2, 2)))
