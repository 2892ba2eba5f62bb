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


def draw_batch(protocol, x0: np.ndarray, rng: np.random.Generator, rule: str = "forces"):
    """Times t (B,), one per data point, stratified over the protocol's time intervals
    (an interval at random, then uniform in it), and standard normal z: (B, N) for the
    `forces` rule, (B, 2N) for `paths` (two steps of the forward process)."""
    k = rng.integers(len(protocol.edges) - 1, size=len(x0))
    lo, hi = protocol.edges[k], protocol.edges[k + 1]
    width = x0.shape[1] * (2 if rule == "paths" else 1)
    return lo + (hi - lo) * rng.random(len(x0)), rng.standard_normal((len(x0), width))


def observe(x0, t, z, rule: str = "forces", dt: float = 0.01):
    """(states x (B, N), target drifts (B, N)) at the times t (B,).

    forces: x = x_t of the forward process and the target F*(x_t, t | x0) (force matching,
    which needs the data point behind each state). paths: no target force is known; a
    forward path is observed from t - Δ to t (Δ = min(dt, t/2)) and read backwards, and the
    target is its reverse increment (x_(t-Δ) - x_t)/Δ, whose mean given x_t is the reverse
    drift up to O(Δ). λ|F - target|² is then the Onsager–Machlup loss of that step,
    (Δx - F Δ)²/(4Δ), times λ·4/Δ."""
    if rule == "forces":
        return noised(x0, t, z)
    n = x0.shape[1]
    step = np.minimum(dt, t / 2)
    earlier, _ = noised(x0, t - step, z[:, :n])
    later = earlier * np.exp(-step)[:, None] + np.sqrt(-np.expm1(-2 * step))[:, None] * z[:, n:]
    return later, (earlier - later) / step[:, None]


def weighting(t: np.ndarray, kind: str) -> np.ndarray:
    """λ(t) (B,): 1 - e^-2t (the forward variance) or 1."""
    return -np.expm1(-2 * t) if kind == "variance" else np.ones_like(t)


def residuals(protocol, x0, t, z, rule: str = "forces", dt: float = 0.01):
    """(x, r = F(x, t) - target), both (B, N), for the states and targets of `observe`."""
    x, target = observe(x0, t, z, rule, dt)
    return x, protocol.forces(x, t) - target


def loss(protocol, x0, t, z, kind: str = "variance", rule: str = "forces",
         dt: float = 0.01) -> float:
    """The global loss mean_s λ(t_s) |F - target|² on one batch."""
    _, r = residuals(protocol, x0, t, z, rule, dt)
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


def batch_gradients(protocol, x0, t, z, kind: str = "variance", rule: str = "forces",
                    dt: float = 0.01) -> dict:
    """The local rule on one batch: measure the states and residuals, then
    `local_gradients`."""
    xt, r = residuals(protocol, x0, t, z, rule, dt)
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
    t, z = draw_batch(protocol, x0, rng, settings.rule)
    grads = batch_gradients(protocol, x0, t, z, settings.weighting, settings.rule,
                            settings.path_dt)
    optimiser.step(protocol.params, grads, learning_rate(settings, step))
    return grads
