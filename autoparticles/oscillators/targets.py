"""The data the network learns to generate, in the target's units and in the network's
(standardised, O(1)) units: a single Gaussian (the exact case), the two-Gaussian mixture and
scikit-learn's 8×8 digits 0 and 1."""

from dataclasses import dataclass, replace

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
    units for the image target (None for the analytic ones); labels of train and held_out;
    hidden: (k, d) orthonormal principal directions of the training data in network units
    (None: no hidden oscillators): the k hidden oscillators hold the projections on them,
    centred on hidden_centre (d,) and divided by hidden_scale (k,); the d visible ones
    what those components leave of the centred point (the image minus its k-component
    reconstruction)."""

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
    hidden: np.ndarray | None = None
    hidden_centre: np.ndarray | None = None
    hidden_scale: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Oscillators of the network: one per coordinate plus the hidden ones."""
        return self.dim + (0 if self.hidden is None else len(self.hidden))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, dim) samples in target units."""
        if self.name == "gaussian":
            return GAUSSIAN_MEAN + GAUSSIAN_SPREAD * rng.standard_normal((n, self.dim))
        if self.name == "two-gaussians":
            signs = rng.choice([-1.0, 1.0], size=(n, 1))
            return signs * MODE + SPREAD * rng.standard_normal((n, self.dim))
        return self.train[rng.integers(len(self.train), size=n)]

    def to_network(self, y) -> np.ndarray:
        """(n, size) network states of (n, dim) target points, hidden coordinates last."""
        x = np.asarray(y, dtype=np.float64) - self.offset
        x = (x if self.axes is None else x @ self.axes.T) / self.scale
        if self.hidden is None:
            return x
        components = (x - self.hidden_centre) @ self.hidden.T
        rest = x - self.hidden_centre - components @ self.hidden
        return np.hstack([rest, components / self.hidden_scale])

    def to_target(self, x) -> np.ndarray:
        """(n, dim) target points of (n, size) network states."""
        x = np.asarray(x)
        if self.hidden is not None:
            x = (x[..., :self.dim] + self.hidden_centre
                 + (x[..., self.dim:] * self.hidden_scale) @ self.hidden)
        y = x * self.scale
        return (y if self.axes is None else y @ self.axes) + self.offset


def load_target(name: str, principal_axes: bool = True, hidden: int = 0) -> Target:
    """The named target (see config.TARGETS); the mixture's oscillators hold its principal-axis
    coordinates when `principal_axes` (a cubic force per oscillator then fits the double well
    along the modes without a cross term), else x1 and x2. `hidden`: hidden oscillators
    holding the first principal components of the training images (digits only; the
    analytic targets have none, as `principal_axes` only concerns the mixture)."""
    if name == "gaussian":
        return Target(name, 2)
    if name == "two-gaussians":
        return Target(name, 2, scale=MIXTURE_SCALE, axes=PRINCIPAL) if principal_axes \
            else Target(name, 2)
    if name == "digits":
        return with_hidden(_digits(), hidden)
    raise ValueError(f"unknown target {name!r}")


def with_hidden(target: Target, count: int) -> Target:
    """`target` with `count` hidden oscillators: its training data's first principal
    directions in network units, each projection scaled to unit variance."""
    if not count:
        return target
    if count > target.dim:
        raise ValueError(f"hidden = {count}: at most {target.dim} principal components")
    x = target.to_network(target.train)
    centre = x.mean(0)
    directions = np.linalg.svd(x - centre, full_matrices=False)[2][:count]
    scale = ((x - centre) @ directions.T).std(0)
    return replace(target, hidden=directions, hidden_centre=centre, hidden_scale=scale)


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
