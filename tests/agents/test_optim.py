"""CGD: its presets reproduce torch's optimisers, its full metric is rotation covariant, and bad
options and too-large full blocks are refused by name."""

import pytest
import torch

from autoparticles.agents.optim import CGD

torch.set_num_threads(1)


def small_network() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 2)).double()


def iterates(make_optimiser, steps: int = 250) -> torch.Tensor:
    """(steps, P) parameters of small_network trained on minibatches of a fixed random set."""
    net = small_network()
    optimiser = make_optimiser(net.parameters())
    data = torch.Generator().manual_seed(1)
    x = torch.randn(64, 3, generator=data, dtype=torch.float64)
    y = torch.randn(64, 2, generator=data, dtype=torch.float64)
    path = []
    for step in range(steps):
        batch = slice(16 * (step % 4), 16 * (step % 4 + 1))
        optimiser.zero_grad()
        ((net(x[batch]) - y[batch]) ** 2).mean().backward()
        optimiser.step()
        path.append(torch.cat([p.detach().reshape(-1) for p in net.parameters()]))
    return torch.stack(path)


def relative_gap(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest distance between matching rows (iterates), relative to the largest row norm."""
    return float((a - b).norm(dim=1).max() / a.norm(dim=1).max())


@pytest.mark.parametrize("preset, reference", [("adam", torch.optim.Adam),
                                               ("rmsprop", torch.optim.RMSprop),
                                               ("sgd", torch.optim.SGD)])
def test_presets_reproduce_torch_iterates(preset, reference):
    ours, theirs = iterates(lambda p: CGD(p, preset=preset)), iterates(reference)
    gap = relative_gap(theirs, ours)
    assert gap <= 1e-6, f"{preset}: relative gap {gap:.2e} to torch over 250 steps"
    assert relative_gap(theirs, theirs[:1]) > 1e-2  # the parameters did move


def test_adabelief_preset_follows_its_algorithm():
    q0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    grad = lambda q: torch.stack([4 * q[0] ** 3, q[1], torch.sin(q[2])])  # noqa: E731
    q, m, s, eps = q0.clone(), torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64), 1e-16
    p = q0.clone().requires_grad_()
    optimiser = CGD([p], preset="adabelief", lr=1e-2)
    for t in range(1, 101):
        g = grad(q)
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * (g - m) ** 2 + eps
        q = q - 1e-2 * (m / (1 - 0.9 ** t)) / ((s / (1 - 0.999 ** t)).sqrt() + eps)
        p.grad = grad(p.detach())
        optimiser.step()
    torch.testing.assert_close(p.detach(), q, rtol=1e-10, atol=1e-12)


def rosenbrock_like(q: torch.Tensor) -> torch.Tensor:
    """A tilted, ill-conditioned quadratic (eigenvalues 1…100) plus a quartic, minimum at 1."""
    basis, _ = torch.linalg.qr(torch.randn(5, 5, generator=torch.Generator().manual_seed(2),
                                           dtype=torch.float64))
    hessian = basis @ torch.diag(torch.logspace(0, 2, 5, dtype=torch.float64)) @ basis.T
    d = q - 1
    return 0.5 * d @ hessian @ d + 0.1 * (d ** 4).sum()


def trajectory(loss, start: torch.Tensor, steps: int = 200, **options) -> torch.Tensor:
    q = start.clone().requires_grad_()
    optimiser = CGD([q], lr=1e-2, **options)
    path = []
    for _ in range(steps):
        optimiser.zero_grad()
        loss(q).backward()
        optimiser.step()
        path.append(q.detach().clone())
    return torch.stack(path)


@pytest.mark.parametrize("options", [{"alpha": 0.5}, {"alpha": 1.0}, {"centred": False}])
def test_full_metric_is_rotation_covariant_and_diagonal_adam_is_not(options):
    """f(Rq) from Rᵀq₀ follows Rᵀ q_t. ε = 1e-2 (a covariant ridge ε·I) keeps the directions
    the averages have not seen yet (rank ≤ t after t steps) from amplifying rounding errors."""
    rotation, _ = torch.linalg.qr(torch.randn(5, 5, generator=torch.Generator().manual_seed(3),
                                              dtype=torch.float64))
    q0 = torch.tensor([-1.2, 1.0, -0.5, 0.8, 2.0], dtype=torch.float64)
    rotated = lambda q: rosenbrock_like(rotation @ q)  # noqa: E731
    start = rotation.T @ q0
    full = dict(options, full=True, eps=1e-2)
    gap = relative_gap(trajectory(rosenbrock_like, q0, **full) @ rotation,
                       trajectory(rotated, start, **full))
    adam = dict(preset="adam", eps=1e-2)
    adam_gap = relative_gap(trajectory(rosenbrock_like, q0, **adam) @ rotation,
                            trajectory(rotated, start, **adam))
    assert gap < 1e-6 and adam_gap > 0.1, \
        f"{options}: full CGD gap {gap:.1e}; diagonal Adam gap {adam_gap:.3f} (should be large)"


def test_refresh_reuses_the_metric_between_eigendecompositions():
    """refresh = k is the exact update on step 1 and differs after (the metric's diagonal
    in the old eigenbasis stands in for a new decomposition)."""
    start = torch.tensor([-1.2, 1.0, -0.5, 0.8, 2.0], dtype=torch.float64)
    exact = trajectory(rosenbrock_like, start, steps=12, full=True)
    stale = trajectory(rosenbrock_like, start, steps=12, full=True, refresh=5)
    torch.testing.assert_close(stale[0], exact[0])
    assert relative_gap(stale, exact) > 1e-6


def test_full_metric_of_one_number_is_the_diagonal_one():
    start = torch.tensor([0.3], dtype=torch.float64)
    loss = lambda q: (q ** 4).sum() + q.sum()  # noqa: E731
    torch.testing.assert_close(trajectory(loss, start, full=True), trajectory(loss, start))


def test_averaging_times_give_betas_and_state_round_trips():
    net = small_network()
    assert CGD(net.parameters(), tau1=9, tau2=999).param_groups[0]["betas"] == \
        pytest.approx((0.9, 0.999))
    first = CGD(net.parameters(), full=True)
    for optimiser in (first, CGD(net.parameters(), full=True)):
        net(torch.ones(1, 3, dtype=torch.float64)).sum().backward()
        optimiser.step()
    second = CGD(net.parameters(), full=True)
    second.load_state_dict(first.state_dict())
    assert second.state_dict()["state"][0]["metric"].shape == (24, 24)


def test_full_metric_refuses_a_too_large_tensor_by_its_size():
    with pytest.raises(ValueError, match=r"shape \(64, 64\), 4096 numbers.*max_full=2048"):
        CGD(torch.nn.Linear(64, 64).parameters(), full=True)
    CGD(torch.nn.Linear(64, 64).parameters(), full=True, alpha=0.0)  # α = 0 keeps no metric


@pytest.mark.parametrize("options, name", [({"lr": -1.0}, "lr"), ({"alpha": 1.5}, "alpha"),
                                           ({"alpha": -0.1}, "alpha"),
                                           ({"preset": "nadam"}, "preset"),
                                           ({"force": "push"}, "force"),
                                           ({"betas": (0.9, 1.0)}, "betas"),
                                           ({"eps": -1e-8}, "eps"), ({"colour": 1}, "colour"),
                                           ({"refresh": 0}, "refresh"),
                                           ({"tau1": 3, "betas": (0.5, 0.5)}, "betas")])
def test_bad_options_are_refused_by_name(options, name):
    with pytest.raises(ValueError, match=name):
        CGD(small_network().parameters(), **options)
