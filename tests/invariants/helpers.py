"""What the invariant tests share: random atoms, random rotations and the central-difference
check of a contracted gradient."""

import numpy as np
import pytest


def atoms(seed, n, edge):
    """(positions (n, 3) uniform in a cube of `edge`, species (n,) in {0, 1}, edge)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0, edge, (n, 3)), rng.integers(0, 2, n), edge


def rotation3(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def assert_central_differences(grad, values, x, weights, self_only, abs_scale, h=1e-6):
    """grad (N, 3) must be ∂/∂x of Σ_i weights[i]·values(x)[i] (self_only: of atom m's own
    term only, for the derivative by x_m), within rel 1e-5 and abs_scale · max |grad|."""
    for m in range(len(x)):
        for d in range(3):
            up, down = x.copy(), x.copy()
            up[m, d] += h
            down[m, d] -= h
            diff = values(up) - values(down)
            numeric = diff[m] @ weights[m] if self_only else np.sum(diff * weights)
            assert grad[m, d] == pytest.approx(numeric / (2 * h), rel=1e-5,
                                               abs=abs_scale * np.abs(grad).max())


def neighbour_list(x, cutoff, box):
    """A 3-D NeighbourList of `cutoff`, updated for positions x."""
    from autoparticles.invariants.neighbours import NeighbourList

    nl = NeighbourList(cutoff, box, dim=3)
    nl.update(x)
    return nl
