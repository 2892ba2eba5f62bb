"""The data the network learns to generate, in the target's units and in the network's
(standardised, O(1)) units: a single Gaussian (the exact case), the two-Gaussian mixture and
scikit-learn's 8×8 digits 0 and 1."""

from dataclasses import dataclass

import numpy as np

MODE = np.array([1.5, 1.5])
"""The two-Gaussian mixture is ½ N(+MODE, SPREAD² I) + ½ N(-MODE, SPREAD² I)."""
SPREAD = 0.3
GAUSSIAN_MEAN = np.array([1.0, -0.5])
"""The single-Gaussian target N(GAUSSIAN_MEAN, GAUSSIAN_SPREAD² I)."""
GAUSSIAN_SPREAD = 0.5
DIGIT_CLASSES = (0, 1)
PRINCIPAL = np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2)
"""Principal axes of the mixture (rows): along the modes, and across."""
MIXTURE_SCALE = 1.5
"""Network units of the mixture on its principal axes: (y @ PRINCIPAL.T) / 1.5."""
HELD_OUT = 0.2
"""Fraction of the digits kept out of training (for the nearest-neighbour check)."""


@dataclass(frozen=True)
class Target:
    """name; offset, scale, axes: network units x = ((y - offset) @ axes.T) / scale for
    target units y (axes: (d, d) orthonormal rows, None for the identity);
    image: (rows, cols) when a sample is an image; train, held_out: (n, d) data in target
    units for the image target (None for the analytic ones); labels of train and held_out."""

    name: str
    dim: int
    offset: float = 0.0
    scale: float = 1.0
    axes: np.ndarray | None = None
    image: tuple | None = None
    train: np.ndarray | None = None
    held_out: np.ndarray | None = None
    train_labels: np.ndarray | None = None
    held_out_labels: np.ndarray | None = None

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, dim) samples in target units."""
        if self.name == "gaussian":
            return GAUSSIAN_MEAN + GAUSSIAN_SPREAD * rng.standard_normal((n, self.dim))
        if self.name == "two-gaussians":
            signs = rng.choice([-1.0, 1.0], size=(n, 1))
            return signs * MODE + SPREAD * rng.standard_normal((n, self.dim))
        return self.train[rng.integers(len(self.train), size=n)]

    def to_network(self, y) -> np.ndarray:
        x = np.asarray(y, dtype=np.float64) - self.offset
        return (x if self.axes is None else x @ self.axes.T) / self.scale

    def to_target(self, x) -> np.ndarray:
        y = np.asarray(x) * self.scale
        return (y if self.axes is None else y @ self.axes) + self.offset


def load_target(name: str, principal_axes: bool = True) -> Target:
    """The named target (see config.TARGETS); the mixture's oscillators hold its principal-axis
    coordinates when `principal_axes` (a cubic force per oscillator then fits the double well
    along the modes without a cross term), else x1 and x2."""
    if name == "gaussian":
        return Target(name, 2)
    if name == "two-gaussians":
        return Target(name, 2, scale=MIXTURE_SCALE, axes=PRINCIPAL) if principal_axes \
            else Target(name, 2)
    if name == "digits":
        return _digits()
    raise ValueError(f"unknown target {name!r}")


def _digits() -> Target:
    """The 8×8 images of 0 and 1 of `sklearn.datasets.load_digits` (pixels 0..16), shuffled
    with a fixed seed and split into training and held-out images; network units map the
    pixel range onto [-1, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = np.isin(digits.target, DIGIT_CLASSES)
    images, labels = digits.data[keep].astype(np.float64), digits.target[keep]
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    cut = int(round(len(images) * (1 - HELD_OUT)))
    return Target("digits", 64, offset=8.0, scale=8.0, image=(8, 8), train=images[:cut],
                  held_out=images[cut:], train_labels=labels[:cut], held_out_labels=labels[cut:])
