import numpy as np
import pytest

from autoparticles.agents.losses import QuadraticLoss
from autoparticles.invariants.angular import AngularBasis
from autoparticles.invariants.radial import RadialBasis
from autoparticles.molecular.agent import WaterModel
from autoparticles.molecular.box import build_water_box


@pytest.fixture(scope="session")
def small_box():
    """8 waters in a 6.2 Å box, slightly jiggled."""
    box = build_water_box(8, seed=3)
    rng = np.random.default_rng(0)
    return box.positions + rng.normal(scale=0.02, size=box.positions.shape), box.numbers, box.box


SMALL_ANGULAR = AngularBasis(centres=[1.0, 2.0], eta=1.5, lambdas=[1, -1], zetas=[1, 4], cutoff=2.8)


def make_random_model(mode="conservative", basis=None, seed=0, psd=True, angular=None):
    basis = basis or RadialBasis.gaussians(cutoff=3.0, count=6, start=0.8)
    f = 2 * basis.size + (0 if angular is None else angular.n_features())
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(2):
        a = rng.normal(scale=0.1, size=(f, f))
        losses.append(QuadraticLoss(rng.normal(scale=0.3, size=f), a @ a.T if psd else a + a.T,
                                    rng.uniform(0, 1, f)))
    return WaterModel(basis, tuple(losses), mode, angular=angular)


def make_soft_model(mode="conservative"):
    """Purely repulsive smooth pair losses: a chaotic soft-sphere fluid for thermostat and
    energy-conservation tests."""
    basis = RadialBasis.gaussians(cutoff=3.0, count=6, start=0.0)
    f = 2 * basis.size
    linear = np.zeros(f)
    linear[[0, basis.size]] = 1.0  # only the Gaussians centred at d = 0: pure repulsion
    loss = QuadraticLoss(linear, np.zeros((f, f)), np.zeros(f))
    return WaterModel(basis, (loss, loss), mode)
