"""Observables against exact baselines: the ideal gas and a random walk."""

import numpy as np
import pytest

from autoparticles.molecular.analysis import diffusion_coefficient, rdf


def test_ideal_gas_rdf_is_one_and_random_walk_diffusion_is_recovered():
    rng = np.random.default_rng(0)
    box = np.full(3, 10.0)
    numbers = np.full(300, 8)
    gas = rdf(rng.uniform(0, 10, (40, 300, 3)), numbers, box, 8, 8, bin_width=0.25)
    assert abs(gas.g[(gas.r > 2) & (gas.r < 5)].mean() - 1.0) < 0.03
    # Brownian walkers with D = 2e-5 cm²/s = 2e-4 Å²/fs, sampled every 10 fs
    d_true = 2e-4
    steps = rng.normal(scale=np.sqrt(2 * d_true * 10.0), size=(400, 500, 3))
    positions = np.cumsum(steps, axis=0)
    times = np.arange(400) * 10.0
    assert diffusion_coefficient(positions, times, np.arange(500)) == pytest.approx(2e-5, rel=0.1)
