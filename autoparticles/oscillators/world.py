"""How the oscillators move: the graph of bonds, the driven force, the forward (noising)
Ornstein-Uhlenbeck process with its target drift F*, and the reverse process integrated by
Euler-Maruyama (numba), seeded, with observers attached to its run loop.

Units: γ = k_B T = 1, so dx_i = F_i dt + √2 dW_i."""

import numba
import numpy as np

from autoparticles.loop import Observers


def grid_shape(n: int, image: tuple | None) -> tuple[int, int]:
    """(rows, cols) of a square grid of `n` oscillators (the image's shape when given)."""
    if image is not None:
        return tuple(image)
    side = int(round(np.sqrt(n)))
    if side * side != n:
        raise ValueError(f"a grid needs a square number of oscillators, got {n}")
    return side, side


def make_bonds(graph: str, n: int, image: tuple | None = None, hidden: int = 0) -> np.ndarray:
    """(E, 2) int bonds (i, j), i < j: neighbours along a chain, or the right and lower
    neighbours on a square grid (row-major oscillators), or every pair (complete); `auto` is
    the grid for images.
    `hidden` oscillators n .. n + hidden - 1 are bonded to every visible one and to each
    other."""
    if graph == "auto":
        graph = "grid" if image is not None else "chain"
    if graph == "chain":
        bonds = [(i, i + 1) for i in range(n - 1)]
    elif graph == "complete":
        bonds = [(i, j) for j in range(n) for i in range(j)]
    else:
        rows, cols = grid_shape(n, image)
        bonds = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
        bonds += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1)
                  for c in range(cols)]
    bonds += [(i, k) for k in range(n, n + hidden) for i in range(k)]
    return np.array(sorted(bonds), dtype=np.int64).reshape(-1, 2)


def time_edges(spacing: str, t_min: float, t_final: float, count: int) -> np.ndarray:
    """(count + 1,) increasing times from t_min to t_final, uniform or quadratic (dense
    near t_min, where the drift changes fastest)."""
    u = np.linspace(0.0, 1.0, count + 1)
    return t_min + (t_final - t_min) * (u if spacing == "uniform" else u * u)


def drift(x, a, b, h, J, bonds) -> np.ndarray:
    """F = -∂U/∂x of U = Σ a x²/2 + b x⁴/4 - h x + Σ_bonds J x_i x_j.
    x, a, b, h: (B, N) (parameters may broadcast); J: (B, E) or (E,); bonds: (E, 2)."""
    rows, size = x.shape
    full = lambda v, width: np.ascontiguousarray(np.broadcast_to(v, (rows, width)),  # noqa: E731
                                                 dtype=np.float64)
    force = np.empty((rows, size))
    _drift_kernel(np.ascontiguousarray(x, dtype=np.float64), full(a, size), full(b, size),
                  full(h, size), full(J, len(bonds)), np.ascontiguousarray(bonds[:, 0]),
                  np.ascontiguousarray(bonds[:, 1]), force)
    return force


@numba.njit(cache=True, inline="always")
def _row_force(x, a, b, h, J, bond_i, bond_j, force):
    """force (N,) = the drift at one state x (N,); a, b, h: (N,); J: (E,)."""
    for i in range(len(x)):
        force[i] = -a[i] * x[i] - b[i] * x[i] ** 3 + h[i]
    for e in range(len(bond_i)):
        force[bond_i[e]] -= J[e] * x[bond_j[e]]
        force[bond_j[e]] -= J[e] * x[bond_i[e]]


@numba.njit(cache=True)
def _drift_kernel(x, a, b, h, J, bond_i, bond_j, force):
    """force (B, N) = the drift of `drift` for every row of x; all parameters (B, ·)."""
    for s in range(x.shape[0]):
        _row_force(x[s], a[s], b[s], h[s], J[s], bond_i, bond_j, force[s])


def noised(x0: np.ndarray, t: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The forward process at time t from data x0 with standard normal z, all (B, N) but
    t (B,): x_t = x0 e^-t + √(1 - e^-2t) z, and the drift that makes the reverse process
    exact given x0, F* = x_t - 2 (x_t - x0 e^-t) / (1 - e^-2t) = x_t - 2 z / √(1 - e^-2t)."""
    decay, var = np.exp(-t)[:, None], -np.expm1(-2 * t)[:, None]
    xt = x0 * decay + np.sqrt(var) * z
    return xt, xt - 2 * z / np.sqrt(var)


@numba.njit(cache=True)
def euler_maruyama_step(x, a, b, h, J, bond_i, bond_j, dt, noise):
    """x (n, N) += F(x) dt + √(2 dt) noise in place; a, b, h: (N,); J: (E,); noise: (n, N)."""
    n, size = x.shape
    amplitude = np.sqrt(2.0 * dt)
    force = np.empty(size)
    for s in range(n):
        _row_force(x[s], a, b, h, J, bond_i, bond_j, force)
        for i in range(size):
            x[s, i] += force[i] * dt + amplitude * noise[s, i]


class ReverseProcess:
    """n copies of the network run from x ~ N(0, I) at t_final down to t_min in `steps`
    Euler-Maruyama steps spaced like the protocol's bins; the parameters of a step are the
    protocol's at its mid time. `attach(fn, interval)` calls fn(process) every interval-th
    step. x: (n, N) in network units; t: the current time."""

    def __init__(self, protocol, n: int, steps: int = 600, seed: int = 0):
        self.protocol, self.rng = protocol, np.random.default_rng(seed)
        self.times = time_edges(protocol.spacing, protocol.t_min, protocol.t_final, steps)[::-1]
        self.x = self.rng.standard_normal((n, protocol.size))
        self.steps = 0
        self._observers = Observers()

    @property
    def t(self) -> float:
        return float(self.times[self.steps])

    @property
    def done(self) -> bool:
        return self.steps == len(self.times) - 1

    def attach(self, fn, interval: int = 1):
        return self._observers.attach(fn, interval)

    def step(self) -> None:
        start, end = self.times[self.steps], self.times[self.steps + 1]
        a, b, h, J = self.protocol.at(0.5 * (start + end))
        bonds = self.protocol.bonds
        euler_maruyama_step(self.x, a, b, h, J, bonds[:, 0], bonds[:, 1], start - end,
                            self.rng.standard_normal(self.x.shape))
        self.steps += 1
        self._observers.notify(self.steps, self)

    def run(self, steps: int | None = None) -> "ReverseProcess":
        """Advance `steps` steps (all that remain when None), never past t_min."""
        left = len(self.times) - 1 - self.steps
        for _ in range(left if steps is None else min(steps, left)):
            self.step()
        return self
