"""Statistics over independent runs (seeds, replicas): the mean and its standard error."""

import math

import numpy as np


def mean_error(values) -> tuple[float, float]:
    """(mean, standard error of the mean, std with ddof 1 / √n) of the finite values; the
    error is NaN with fewer than two of them, both are NaN with none."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan
    error = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return float(values.mean()), float(error)


def format_mean_error(values, fmt: str) -> str:
    """'mean ± error' in the format `fmt`; the mean alone when there is no error, '—' when
    there is no finite value."""
    mean, error = mean_error(values)
    if math.isnan(mean):
        return "—"
    return f"{mean:{fmt}}" if math.isnan(error) else f"{mean:{fmt}} ± {error:{fmt}}"
