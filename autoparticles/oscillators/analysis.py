"""How we know the samples are right: mode weights, means, spreads, the wrong-quadrant
fraction and MMD for the mixture; class balance, correlation with the class means and
nearest-neighbour distances for the digits; the pictures of both. Samples in target units."""

import numpy as np

from autoparticles.oscillators.targets import MODE, Target

MMD_BANDWIDTHS = (0.1, 0.3, 1.0, 3.0)
"""Widths [target units] of the Gaussian kernels whose sum the MMD uses."""


def mmd(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased squared maximum mean discrepancy between samples x (n, d) and y (m, d) with
    a sum of Gaussian kernels (MMD_BANDWIDTHS)."""
    def kernel(p, q):
        d2 = np.sum(p * p, 1)[:, None] + np.sum(q * q, 1)[None, :] - 2 * p @ q.T
        return sum(np.exp(-d2 / (2 * w * w)) for w in MMD_BANDWIDTHS)

    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    n, m = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (n * (n - 1))
                 + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean())


def mixture_metrics(samples: np.ndarray, reference: np.ndarray) -> dict:
    """samples, reference: (n, 2). Mode = sign of the projection on MODE; weights, means
    (2,), spreads (mean per-axis standard deviation) per mode, the fraction with x1 x2 < 0,
    the largest distance of a mode mean from ±MODE, and MMD to `reference`."""
    plus = samples @ MODE > 0
    metrics = {"weight_plus": float(plus.mean()), "weight_minus": float(1 - plus.mean()),
               "wrong_quadrant": float(np.mean(samples[:, 0] * samples[:, 1] < 0)),
               "mmd": mmd(samples[:2000], reference[:2000])}
    errors = []
    for name, side, sign in (("plus", plus, 1.0), ("minus", ~plus, -1.0)):
        mean = samples[side].mean(0) if side.any() else np.full(2, np.nan)
        metrics[f"mean_{name}"] = mean.tolist()
        metrics[f"spread_{name}"] = float(samples[side].std(0).mean()) if side.any() else np.nan
        errors.append(float(np.linalg.norm(mean - sign * MODE)))
    metrics["mean_error"] = max(errors)
    return metrics


def correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) Pearson correlations of the rows of a (n, d) with the rows of b (m, d)."""
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    norms = np.linalg.norm(a, axis=1)[:, None] * np.linalg.norm(b, axis=1)[None, :]
    return (a @ b.T) / np.maximum(norms, 1e-12)


def nearest_distances(x: np.ndarray, data: np.ndarray) -> np.ndarray:
    """(n,) Euclidean distance of each row of x to its nearest row of data."""
    d2 = np.sum(x * x, 1)[:, None] + np.sum(data * data, 1)[None, :] - 2 * x @ data.T
    return np.sqrt(np.maximum(d2.min(1), 0.0))


def digit_metrics(samples: np.ndarray, target: Target) -> dict:
    """samples: (n, 64) pixels 0..16. Each sample's class is that of the class mean it
    correlates best with; fractions per class, the mean of that best correlation, and the
    median nearest-neighbour distance [pixel units] to the training images, beside the same
    for the held-out images (a copy of the training set would be at 0)."""
    classes = np.unique(target.train_labels)
    means = np.stack([target.train[target.train_labels == c].mean(0) for c in classes])
    corr = correlation(samples, means)
    best = corr.argmax(1)
    metrics = {f"fraction_{c}": float(np.mean(best == k)) for k, c in enumerate(classes)}
    metrics["nearest_class_correlation"] = float(corr.max(1).mean())
    metrics["nn_distance_samples"] = float(np.median(nearest_distances(samples, target.train)))
    metrics["nn_distance_held_out"] = float(np.median(nearest_distances(target.held_out,
                                                                        target.train)))
    return metrics


def metrics(samples: np.ndarray, target: Target, seed: int = 1) -> dict:
    """The target's metrics of samples (n, d) in target units."""
    if target.image is not None:
        return digit_metrics(samples, target)
    reference = target.draw(np.random.default_rng((seed, 1 << 41)), len(samples))
    return mixture_metrics(samples, reference)


def format_metrics(values: dict) -> str:
    """One `name: value` line per metric."""
    def shown(v):
        return "(" + ", ".join(f"{u:.3f}" for u in v) + ")" if isinstance(v, list) else f"{v:.4g}"

    return "\n".join(f"{k:28s} {shown(v)}" for k, v in values.items())


def plot_samples(samples: np.ndarray, target: Target, path, title: str = "") -> None:
    """A PNG: a scatter of 2-D samples over the target's modes, or a 10×10 grid of images."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if target.image is None:
        figure, axis = plt.subplots(figsize=(5, 5))
        axis.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4)
        axis.scatter([MODE[0], -MODE[0]], [MODE[1], -MODE[1]], c="red", marker="x", s=60)
        axis.set(xlim=(-3.5, 3.5), ylim=(-3.5, 3.5), aspect="equal", xlabel="x1", ylabel="x2")
    else:
        rows, cols = target.image
        count = min(100, len(samples))
        side = int(np.ceil(np.sqrt(count)))
        figure, axes = plt.subplots(side, side, figsize=(side * 0.7, side * 0.7))
        for k, axis in enumerate(np.ravel(axes)):
            axis.axis("off")
            if k < count:
                axis.imshow(samples[k].reshape(rows, cols), cmap="gray_r", vmin=0, vmax=16)
    figure.suptitle(title, fontsize=9)
    figure.savefig(path, dpi=120)
    plt.close(figure)
