"""How the protocol is learned: the local force-matching rule (specs/oscillators.md).

With the residual r_i = F_i - F*_i measured at oscillator i on (x0, t, x_t) triples, the
gradient of L = E λ(t) |F - F*|² is, per basis function φ_k(t),

    ∂L/∂a_ik = -2 E[λ φ_k r_i x_i]     ∂L/∂b_ik = -2 E[λ φ_k r_i x_i³]
    ∂L/∂h_ik =  2 E[λ φ_k r_i]         ∂L/∂J_ijk = -2 E[λ φ_k (r_i x_j + r_j x_i)]

so an oscillator's update reads only its own state and residual, a bond's only those of its
two oscillators. Each coefficient takes its own step of a diagonal optimiser (Adam or
diagonal CGD: its moments are its own, so the optimiser is local too)."""

import numpy as np

from autoparticles.oscillators.world import noised


def draw_batch(protocol, x0: np.ndarray, rng: np.random.Generator):
    """Times t (B,), one per data point, stratified over the protocol's time intervals
    (an interval at random, then uniform in it), and standard normal z (B, N)."""
    k = rng.integers(len(protocol.edges) - 1, size=len(x0))
    lo, hi = protocol.edges[k], protocol.edges[k + 1]
    return lo + (hi - lo) * rng.random(len(x0)), rng.standard_normal(x0.shape)


def weighting(t: np.ndarray, kind: str) -> np.ndarray:
    """λ(t) (B,): 1 - e^-2t (the forward variance) or 1."""
    return -np.expm1(-2 * t) if kind == "variance" else np.ones_like(t)


def residuals(protocol, x0, t, z):
    """(x_t, r = F(x_t, t) - F*(x_t, t | x0)), both (B, N)."""
    xt, target = noised(x0, t, z)
    return xt, protocol.forces(xt, t) - target


def loss(protocol, x0, t, z, kind: str = "variance") -> float:
    """The global force-matching loss mean_s λ(t_s) |F - F*|² on one batch."""
    _, r = residuals(protocol, x0, t, z)
    return float(np.mean(weighting(t, kind) * np.sum(r * r, axis=1)))


def local_gradients(x: np.ndarray, r: np.ndarray, w: np.ndarray, bonds: np.ndarray,
                    quartic: bool = True) -> dict:
    """The local rule. x, r: (B, N) states and residuals measured at each oscillator;
    w: (B, C) = λ(t_s) φ_k(t_s) / B; bonds (E, 2). Returns name -> gradient like the
    coefficients: a, b, h (C, N) from column i alone; J (C, E) from columns i and j alone."""
    i, j = bonds[:, 0], bonds[:, 1]
    grads = {"a": -2 * w.T @ (r * x), "h": 2 * w.T @ r,
             "J": -2 * w.T @ (r[:, i] * x[:, j] + r[:, j] * x[:, i])}
    grads["b"] = -2 * w.T @ (r * x ** 3) if quartic else np.zeros_like(grads["a"])
    return grads


def batch_gradients(protocol, x0, t, z, kind: str = "variance") -> dict:
    """The local rule on one batch: measure x_t and r, then `local_gradients`."""
    xt, r = residuals(protocol, x0, t, z)
    w = weighting(t, kind)[:, None] * protocol.weights(t) / len(t)
    return local_gradients(xt, r, w, protocol.bonds, protocol.quartic)


OPTIMIZERS = {"adam": {"preset": "adam"}, "cgd-diag": {}}
"""TrainSettings.optimizer -> options of agents.optim.CGD. Diagonal only: a full metric would
mix the gradients of different oscillators, and the rule would no longer be local."""


class LocalOptimiser:
    """Covariant gradient descent (agents.optim.CGD, diagonal) over the protocol's coefficient
    arrays, updated in place: each coefficient's step uses its own gradient history only
    (local). `name` a key of OPTIMIZERS (adam: torch's Adam exactly); `alpha` the metric's
    exponent."""

    def __init__(self, params: dict, name: str = "adam", alpha: float = 0.5):
        import torch

        from autoparticles.agents.optim import CGD

        self.names = list(params)
        self.tensors = [torch.from_numpy(params[k]) for k in self.names]  # shares the memory
        self.cgd = CGD(self.tensors, **OPTIMIZERS[name], alpha=alpha)

    @property
    def count(self) -> int:
        """Updates so far."""
        return self.cgd.state[self.tensors[0]].get("step", 0) if self.tensors else 0

    def step(self, params: dict, grads: dict, rate: float) -> None:
        """One step of every coefficient at learning rate `rate`; b is kept ≥ 0 (so U stays
        bounded below)."""
        import torch

        for group in self.cgd.param_groups:
            group["lr"] = rate
        for name, tensor in zip(self.names, self.tensors):
            tensor.grad = torch.from_numpy(grads[name])
        self.cgd.step()
        np.maximum(params["b"], 0.0, out=params["b"])

    def state_arrays(self) -> dict:
        """The optimiser's averages as `NAME_KEY` -> array, and `count`."""
        arrays = {f"{name}_{key}": value.numpy() for name, tensor in zip(self.names, self.tensors)
                  for key, value in self.cgd.state[tensor].items() if key != "step"}
        return {**arrays, "count": np.array(self.count)}

    def load_state_arrays(self, data) -> None:
        """Restore what `state_arrays` gave (a mapping such as an open .npz)."""
        import torch

        count = int(data["count"])
        for name, tensor in zip(self.names, self.tensors):
            state = {"step": count}
            for key in ("mean", "metric"):
                if f"{name}_{key}" in data:
                    state[key] = torch.from_numpy(np.array(data[f"{name}_{key}"]))
            self.cgd.state[tensor] = state


def learning_rate(settings, step: int) -> float:
    """Geometric decay from learning_rate at step 0 to final_learning_rate at the end."""
    fraction = step / max(1, settings.steps - 1)
    return settings.learning_rate * (settings.final_learning_rate
                                     / settings.learning_rate) ** fraction


def update(protocol, optimiser: LocalOptimiser, target, settings, step: int) -> dict:
    """One update of the local rule at `step` (its batch is seeded by (seed, step), so a
    resumed run draws what an uninterrupted one would). Returns the gradients."""
    rng = np.random.default_rng((settings.seed, step))
    x0 = target.to_network(target.draw(rng, settings.batch))
    t, z = draw_batch(protocol, x0, rng)
    grads = batch_gradients(protocol, x0, t, z, settings.weighting)
    optimiser.step(protocol.params, grads, learning_rate(settings, step))
    return grads
