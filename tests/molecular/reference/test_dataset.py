"""The dataset shipped in the package: real CP2K NNP water, 64 H2O at 300 K."""

import numpy as np
import pytest

from autoparticles.molecular.analysis import bond_lengths_and_angles
from autoparticles.molecular.reference.dataset import load_reference, save_reference
from autoparticles.molecular.world import temperature


@pytest.fixture(scope="module")
def data():
    return load_reference()


def test_shape_and_metadata(data):
    frames = data.n_frames
    assert frames >= 1000
    assert data.positions.shape == data.forces.shape == data.velocities.shape == (frames, 192, 3)
    assert len(data.times) == frames and np.all(np.diff(data.times) > 0)
    assert data.times[-1] - data.times[0] >= 5000.0 - 1e-6  # >= 5 ps of production
    assert (data.numbers == 8).sum() == 64 and (data.numbers == 1).sum() == 128
    meta = data.metadata
    assert meta["stride"] == 10 and meta["timestep_fs"] == 0.5 and meta["temperature_k"] == 300
    assert meta["cp2k_version"].startswith("CP2K version 2023")
    assert "Schran" in meta["model"]
    density = 64 * 18.01528 / 6.02214076e23 / (np.prod(data.box) * 1e-24)
    assert density == pytest.approx(0.997, rel=1e-3)


def test_temperature_is_canonical_300k(data):
    temps = temperature(data.velocities, data.masses)
    spread = 300.0 * np.sqrt(2.0 / (3 * 192))  # canonical σ_T, 17.7 K
    # frames 5 fs apart are correlated; ~50 independent blocks of 100 fs in 5 ps
    assert abs(temps.mean() - 300.0) < 3 * spread / np.sqrt(50)
    assert temps.std() == pytest.approx(spread, rel=0.25)


def test_forces_balance_and_molecules_stay_intact(data):
    per_frame_total = np.linalg.norm(data.forces.sum(axis=1), axis=1)
    typical = np.linalg.norm(data.forces, axis=2).mean()
    assert per_frame_total.max() < 0.05 * typical * np.sqrt(192)
    lengths, angles = bond_lengths_and_angles(data.positions[::50], data.numbers, data.box)
    assert 0.85 < lengths.min() and lengths.max() < 1.2
    assert 0.95 < lengths.mean() < 1.0 and 100 < angles.mean() < 110


def test_exports_and_round_trip(data, tmp_path):
    table = data.to_dataframe()
    assert len(table) == data.n_frames * 192
    assert table.loc[5, "fx"] == pytest.approx(data.forces[0, 5, 0], rel=1e-6)
    atoms = data.to_ase()[3]
    np.testing.assert_allclose(atoms.get_forces(), data.forces[3], rtol=1e-6)
    from ase.units import fs
    np.testing.assert_allclose(atoms.get_velocities() * fs, data.velocities[3], rtol=1e-6)
    copy = load_reference(save_reference(data, tmp_path / "copy.npz"))
    np.testing.assert_allclose(copy.positions, data.positions, atol=1e-5)
    assert copy.metadata["seed"] == data.metadata["seed"]


def test_unreadable_dataset_is_named(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        load_reference(bad)
    with pytest.raises(FileNotFoundError, match="nowhere.npz"):
        load_reference(tmp_path / "nowhere.npz")


def test_the_330k_dataset_is_an_independent_canonical_run():
    hot, cold = load_reference("330K"), load_reference()
    assert hot.metadata["temperature_k"] == 330 and hot.metadata["seed"] != cold.metadata["seed"]
    assert hot.times[-1] - hot.times[0] >= 3000.0 - 1e-6  # >= 3 ps of production
    temps = temperature(hot.velocities, hot.masses)
    spread = 330.0 * np.sqrt(2.0 / (3 * 192))
    assert abs(temps.mean() - 330.0) < 3 * spread / np.sqrt(30)
    assert np.array_equal(hot.box, cold.box) and np.array_equal(hot.numbers, cold.numbers)
