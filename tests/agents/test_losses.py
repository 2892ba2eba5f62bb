import numpy as np
import pytest

from autoparticles.agents.losses import QuadraticLoss, design_weights, parameter_count


def random_loss(f=5, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(f, f))
    return QuadraticLoss(rng.normal(size=f), c + c.T, rng.normal(size=f))


def test_gradient_matches_central_differences():
    loss = random_loss()
    phi = np.random.default_rng(1).normal(size=(7, 5))
    grad = loss.gradient(phi)
    h = 1e-6
    for a in range(5):
        step = np.zeros(5)
        step[a] = h
        np.testing.assert_allclose(grad[:, a], (loss.value(phi + step) - loss.value(phi - step)) / (2 * h), rtol=1e-6, atol=1e-8)


def test_parameters_round_trip_and_design_weights_are_linear():
    loss = random_loss(4)
    theta = loss.parameters
    assert len(theta) == parameter_count(4) == 14
    again = QuadraticLoss.from_parameters(theta, loss.centre)
    np.testing.assert_allclose(again.quadratic, loss.quadratic)
    phi = np.random.default_rng(2).normal(size=(6, 4))
    # ∂H/∂φ = Σ_k θ_k W_k: the loss gradient is linear in the parameters
    combined = sum(t * w for t, w in zip(theta, design_weights(phi - loss.centre)))
    np.testing.assert_allclose(combined, loss.gradient(phi), atol=1e-12)


def test_shape_errors():
    with pytest.raises(ValueError, match="symmetric"):
        QuadraticLoss(np.zeros(2), np.array([[0.0, 1.0], [0.0, 0.0]]), np.zeros(2))
    with pytest.raises(ValueError, match="parameters"):
        QuadraticLoss.from_parameters(np.zeros(3), np.zeros(4))
