"""The local force-matching rule: exact on a single Gaussian, local, and the gradient of the
global loss."""

import numpy as np
import pytest

from autoparticles.oscillators.agent import Protocol
from autoparticles.oscillators.config import ProtocolSettings, TrainSettings
from autoparticles.oscillators.learn import (LocalOptimiser, batch_gradients, draw_batch,
                                             local_gradients, loss, update)
from autoparticles.oscillators.targets import GAUSSIAN_MEAN, GAUSSIAN_SPREAD, load_target
from autoparticles.oscillators.world import make_bonds


def closed_form(t):
    """Exact reverse drift of N(μ, σ² I): F = x - 2 (x - μ e^-t) / s², s² = σ² e^-2t + 1 - e^-2t,
    so a(t) = 2 / s² - 1 and h(t) = 2 μ e^-t / s² (b = J = 0)."""
    s2 = GAUSSIAN_SPREAD ** 2 * np.exp(-2 * t) + 1 - np.exp(-2 * t)
    return 2 / s2 - 1, 2 * GAUSSIAN_MEAN[None, :] * np.exp(-t)[:, None] / s2[:, None]


@pytest.mark.parametrize("rule, steps, tolerance", [("forces", 1500, 0.08),
                                                    ("paths", 3000, 0.12)])
def test_single_gaussian_protocol_converges_to_the_closed_form_drift(rule, steps, tolerance):
    """Force matching, and the rule without target forces (reverse increments of forward
    paths: noisier targets, so more updates and a looser tolerance)."""
    settings = ProtocolSettings(time_bins=8, spacing="uniform", t_min=0.05, t_final=2.0,
                                quartic=False)
    train = TrainSettings(target="gaussian", steps=steps, batch=1024, learning_rate=0.05,
                          final_learning_rate=0.002, rule=rule)
    target = load_target("gaussian")
    protocol = Protocol.untrained(settings, 2, make_bonds("chain", 2))
    optimiser = LocalOptimiser(protocol.params)
    for step in range(train.steps):
        update(protocol, optimiser, target, train, step)
    middle = 0.5 * (protocol.edges[1:] + protocol.edges[:-1])
    a, h = closed_form(middle)
    assert np.allclose(protocol.params["a"], a[:, None], rtol=tolerance, atol=0.05), \
        (protocol.params["a"][:, 0], a)
    assert np.allclose(protocol.params["h"], h, rtol=tolerance, atol=0.05)
    assert np.abs(protocol.params["J"]).max() < 0.1 and not protocol.params["b"].any()


def random_protocol(rng, graph="grid", size=16, basis="bins"):
    settings = ProtocolSettings(graph=graph, time_bins=5, basis=basis)
    protocol = Protocol.untrained(settings, size, make_bonds(graph, size))
    for value in protocol.params.values():
        value += 0.3 * rng.standard_normal(value.shape)
    protocol.params["b"] = np.abs(protocol.params["b"])
    return protocol


def test_the_update_of_an_oscillator_reads_only_its_own_state_and_residual():
    rng = np.random.default_rng(1)
    x, r = rng.standard_normal((64, 16)), rng.standard_normal((64, 16))
    w = rng.random((64, 5)) / 64
    bonds = make_bonds("grid", 16)
    before = local_gradients(x, r, w, bonds)
    e = 7
    i, j = bonds[e]
    others = [k for k in range(16) if k not in (i, j)]
    x2, r2 = x.copy(), r.copy()
    x2[:, others] += 5 * rng.standard_normal((64, len(others)))
    r2[:, others] -= 3.0
    after = local_gradients(x2, r2, w, bonds)
    for name in "abh":
        assert np.array_equal(before[name][:, [i, j]], after[name][:, [i, j]])
    assert np.array_equal(before["J"][:, e], after["J"][:, e])
    assert not np.allclose(before["a"][:, others], after["a"][:, others])


def test_far_oscillators_do_not_move_the_update_on_the_grid():
    """End to end: oscillator 0 of a 4×4 grid couples to 1 and 4; perturbing the data and
    noise of oscillators two or more bonds away leaves the updates of 0 and of bond (0, 1)."""
    rng = np.random.default_rng(2)
    protocol = random_protocol(rng)
    x0 = rng.standard_normal((128, 16))
    t, z = draw_batch(protocol, x0, rng)
    before = batch_gradients(protocol, x0, t, z)
    far = [k for k in range(16) if k not in (0, 1, 4, 2, 5, 8)]
    x0[:, far] += 2.0
    z[:, far] = rng.standard_normal((128, len(far)))
    after = batch_gradients(protocol, x0, t, z)
    bond = int(np.flatnonzero((protocol.bonds == (0, 1)).all(1))[0])
    for name in "abh":
        assert np.allclose(before[name][:, 0], after[name][:, 0], rtol=0, atol=1e-12)
    assert np.allclose(before["J"][:, bond], after["J"][:, bond], rtol=0, atol=1e-12)


@pytest.mark.parametrize("basis, rule", [("bins", "forces"), ("hat", "forces"),
                                         ("bins", "paths")])
def test_local_updates_are_the_gradient_of_the_global_loss(basis, rule):
    rng = np.random.default_rng(3)
    protocol = random_protocol(rng, graph="chain", size=4, basis=basis)
    x0 = rng.standard_normal((256, 4))
    t, z = draw_batch(protocol, x0, rng, rule)
    grads = batch_gradients(protocol, x0, t, z, rule=rule)
    step = 1e-6
    for name, value in protocol.params.items():
        for index in [(0, 0), (2, 1), (value.shape[0] - 1, value.shape[1] - 1)]:
            saved = value[index]
            value[index] = saved + step
            up = loss(protocol, x0, t, z, rule=rule)
            value[index] = saved - step
            down = loss(protocol, x0, t, z, rule=rule)
            value[index] = saved
            assert grads[name][index] == pytest.approx((up - down) / (2 * step), rel=1e-5,
                                                       abs=1e-8), (name, index)


@pytest.mark.parametrize("name", ["adam", "cgd-diag"])
def test_the_optimiser_steps_each_coefficient_from_its_own_gradients_alone(name):
    rng = np.random.default_rng(4)
    steps = [{k: rng.standard_normal((3, 5)) for k in "abhJ"} for _ in range(20)]
    moved = []
    for perturb in (False, True):
        params = {k: np.ones((3, 5)) for k in "abhJ"}
        optimiser = LocalOptimiser(params, name)
        for grads in steps:
            grads = {k: g.copy() for k, g in grads.items()}
            if perturb:  # every other coefficient's gradient changes
                for k, g in grads.items():
                    keep = g[1, 2] if k == "h" else None
                    g += 3.0 * rng.standard_normal(g.shape)
                    if keep is not None:
                        g[1, 2] = keep
            optimiser.step(params, grads, 0.01)
        moved.append(params["h"][1, 2])
    assert moved[0] == moved[1] != 1.0 and optimiser.count == len(steps)
