"""Self-diffusion from the mean-squared displacement (Einstein relation, 3-D)."""

import numpy as np

ANGSTROM2_PER_FS_TO_CM2_PER_S = 0.1
"""1 Å²/fs = 1e-16 cm² / 1e-15 s."""
FIT_WINDOW_FS = (1000.0, 2500.0)
"""Lag times over which the MSD slope is fitted [fs]."""


def mean_squared_displacement(positions: np.ndarray, times: np.ndarray, atoms: np.ndarray,
                              max_lag_fs: float) -> tuple[np.ndarray, np.ndarray]:
    """(lags [fs], MSD [Å²]) of the selected atoms, averaged over all time origins, after
    removing the drift of the whole system's centre. positions: (F, N, 3) unwrapped [Å]."""
    dt = float(np.median(np.diff(times)))
    x = positions[:, atoms] - positions.mean(axis=1, keepdims=True)
    lags = np.arange(1, min(len(times) - 1, int(max_lag_fs / dt)) + 1)
    msd = np.array([np.mean(np.sum((x[lag:] - x[:-lag]) ** 2, axis=2)) for lag in lags])
    return lags * dt, msd


def diffusion_coefficient(positions, times, atoms, window=FIT_WINDOW_FS) -> float:
    """D [cm²/s] from a straight-line fit of MSD(t) = 6 D t + c over `window` [fs]."""
    lags, msd = mean_squared_displacement(positions, times, atoms, window[1])
    inside = (lags >= window[0]) & (lags <= window[1])
    if inside.sum() < 2:
        raise ValueError(f"trajectory too short for the MSD fit window {window} fs")
    slope = np.polyfit(lags[inside], msd[inside], 1)[0]
    return slope / 6.0 * ANGSTROM2_PER_FS_TO_CM2_PER_S
