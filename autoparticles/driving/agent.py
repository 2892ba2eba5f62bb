"""Built-in controllers of the driving world: `ballistic`, the `ttc` heuristic and `orca`.

A controller maps the world's current state to actions (N, 2) in the world's action mode.
The ttc heuristic reads only the four invariants of the watched neighbour, so it is a shared
deterministic policy on invariants: for an isolated pair it gives equal and opposite forces.
"""

from typing import Callable

import numba
import numpy as np

from autoparticles.envs.dynamics import motion_directions
from autoparticles.envs.orca import check_orca_config, orca

TTC_STRENGTH = 1.5
"""k of the time-to-collision energy E(τ) = k τ⁻² exp(-τ/τ0) (Karamouzas, Skinner & Guy,
PRL 113, 238701, 2014, use k = 1.5 for pedestrians)."""


def ballistic(world) -> np.ndarray:
    """No interaction: a_int = 0."""
    return np.zeros((world.config.n_particles, 2))


@numba.njit(cache=True)
def _ttc_kernel(features, radius, sensing, v_max, tau0, strength, a_max, out):
    for i in range(features.shape[0]):
        gap, closing, transverse = features[i, 0], features[i, 1], features[i, 2]
        out[i, 0], out[i, 1] = 0.0, 0.0
        if gap >= 1.0:
            continue
        if gap <= 0.0:
            out[i, 0] = -1.0
            continue
        d = gap * sensing + 2.0 * radius
        ux, uy = 2.0 * v_max * closing, 2.0 * v_max * transverse
        a = ux * ux + uy * uy
        b = d * ux
        disc = b * b - a * (d * d - 4.0 * radius * radius)
        if a <= 0.0 or disc <= 0.0:
            continue
        root = np.sqrt(disc)
        tau = (-b - root) / a
        if tau <= 0.0:
            continue
        de_dtau = -strength * np.exp(-tau / tau0) / tau**2 * (2.0 / tau + 1.0 / tau0)
        dtau_dx = -(ux + (b * ux - a * d) / root) / a
        dtau_dy = -(uy + b * uy / root) / a
        out[i, 0] = min(max(de_dtau * dtau_dx / a_max, -1.0), 1.0)
        out[i, 1] = min(max(de_dtau * dtau_dy / a_max, -1.0), 1.0)


def ttc_pair_actions(features: np.ndarray, radius: float, sensing: float, v_max: float,
                     tau0: float, strength: float = TTC_STRENGTH,
                     a_max: float = 2.0) -> np.ndarray:
    """(N, 2) pair-mode actions (α, β) from invariants (N, ≥4) of the watched neighbour.

    In the neighbour's frame r = (d, 0), d = I1 r_s + 2R, and u = 2 v_max (I2, I3). The
    force on the particle is F = dE/dτ ∂τ/∂r (r = x_j - x_i) with
    ∂τ/∂r = -(u + (b u - a r)/√Δ)/a, a = |u|², b = r·u, Δ = b² - a(|r|² - 4R²); (α, β) =
    F/a_max clipped to [-1, 1]. Touching or overlapping pairs push straight apart (α = -1);
    no collision course, no action."""
    features = np.ascontiguousarray(features, dtype=np.float64)
    out = np.empty((len(features), 2))
    _ttc_kernel(features, radius, sensing, v_max, tau0, strength, a_max, out)
    return out


def pair_to_vehicle(pair_actions: np.ndarray, frames: np.ndarray, velocities: np.ndarray,
                    headings: np.ndarray) -> np.ndarray:
    """Express pair-frame actions (α, β) as (throttle, steer) in each particle's own frame."""
    accel = pair_actions[:, :1] * frames + pair_actions[:, 1:] * np.stack(
        [-frames[:, 1], frames[:, 0]], axis=1)
    own = motion_directions(velocities, headings)
    return np.stack([np.einsum("nd,nd->n", accel, own),
                     own[:, 0] * accel[:, 1] - own[:, 1] * accel[:, 0]], axis=1)


def ttc(world, strength: float = TTC_STRENGTH) -> np.ndarray:
    """Time-to-collision avoidance towards the watched neighbour, in the world's action mode."""
    c = world.config
    pair = ttc_pair_actions(world.sensed.features[:, :4], c.radius, c.sensing, c.v_max, c.tau0,
                            strength, c.a_max)
    if c.action == "vehicle":
        return pair_to_vehicle(pair, world.frames, world.velocities, world.headings)
    return pair


CONTROLLERS: dict[str, Callable] = {"ballistic": ballistic, "ttc": ttc, "orca": orca}
CONFIG_CHECKS: dict[str, Callable] = {"orca": check_orca_config}
"""Controllers that cannot act in every config: name -> check(config) raising ValueError."""


def controller(name_or_callable) -> Callable:
    """A controller by name ('ballistic', 'ttc') or the callable itself."""
    if callable(name_or_callable):
        return name_or_callable
    try:
        return CONTROLLERS[name_or_callable]
    except KeyError:
        raise ValueError(f"unknown controller {name_or_callable!r}; built-in: {sorted(CONTROLLERS)}") from None
