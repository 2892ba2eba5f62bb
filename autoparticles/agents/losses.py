"""Parametric loss functions of invariants: value, gradient, and the linear design they give.

A quadratic loss of F invariants φ (centred on the data mean φ̄):
    H(φ) = Σ_a c_a φ̃_a + ½ Σ_ab C_ab φ̃_a φ̃_b,   φ̃ = φ - φ̄,   C symmetric.
Its gradient ∂H/∂φ = c + C φ̃ is linear in the parameters θ = (c, upper triangle of C), so any
force built from it is linear in θ: `design_weights` yields, for each parameter, the ∂H/∂φ
that parameter contributes per unit value.
"""

from dataclasses import dataclass

import numpy as np


def parameter_count(n_features: int) -> int:
    return n_features + n_features * (n_features + 1) // 2


@dataclass(frozen=True)
class QuadraticLoss:
    """linear: (F,) c; quadratic: (F, F) symmetric C; centre: (F,) φ̄."""

    linear: np.ndarray
    quadratic: np.ndarray
    centre: np.ndarray

    def __post_init__(self):
        f = len(self.centre)
        if self.linear.shape != (f,) or self.quadratic.shape != (f, f):
            raise ValueError(f"loss shapes disagree: linear {self.linear.shape}, quadratic "
                             f"{self.quadratic.shape}, centre {self.centre.shape}")
        if not np.allclose(self.quadratic, self.quadratic.T):
            raise ValueError("quadratic coefficients must be symmetric")

    @property
    def n_features(self) -> int:
        return len(self.centre)

    def value_and_gradient(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(M,) losses and (M, F) ∂H/∂φ of (M, F) invariants."""
        t = phi - self.centre
        curvature = t @ self.quadratic
        return t @ self.linear + 0.5 * np.sum(curvature * t, axis=1), self.linear + curvature

    def value(self, phi: np.ndarray) -> np.ndarray:
        """(M,) losses of (M, F) invariants."""
        return self.value_and_gradient(phi)[0]

    def gradient(self, phi: np.ndarray) -> np.ndarray:
        """(M, F) ∂H/∂φ."""
        return self.value_and_gradient(phi)[1]

    @property
    def parameters(self) -> np.ndarray:
        upper = np.triu_indices(self.n_features)
        return np.concatenate([self.linear, self.quadratic[upper]])

    @classmethod
    def from_parameters(cls, theta: np.ndarray, centre: np.ndarray) -> "QuadraticLoss":
        f = len(centre)
        if len(theta) != parameter_count(f):
            raise ValueError(f"{len(theta)} parameters do not fit {f} features "
                             f"(need {parameter_count(f)})")
        quadratic = np.zeros((f, f))
        quadratic[np.triu_indices(f)] = theta[f:]
        quadratic = quadratic + np.triu(quadratic, 1).T
        return cls(np.asarray(theta[:f], dtype=np.float64), quadratic, np.asarray(centre))


def design_weights(phi_centred: np.ndarray):
    """Yield (M, F) ∂H/∂φ per unit of each parameter, in `parameters` order.

    phi_centred: (M, F) φ̃ of the M rows the loss applies to."""
    m, f = phi_centred.shape
    for a in range(f):
        w = np.zeros((m, f))
        w[:, a] = 1.0
        yield w
    for a, b in zip(*np.triu_indices(f)):
        w = np.zeros((m, f))
        w[:, a] = phi_centred[:, b]
        if a != b:
            w[:, b] = phi_centred[:, a]
        yield w
