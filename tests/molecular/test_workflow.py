"""The water commands on the shipped data: fit, run, validate, and their bad-input messages."""

import json
import subprocess
import sys

import numpy as np
import pytest

from autoparticles.molecular.diffusion import diffusion_coefficient
from autoparticles.molecular.observables import rdf
from autoparticles.molecular.reference import ReferenceData, load_reference, save_reference

CLI = [sys.executable, "-m", "autoparticles.cli", "water"]


def run(args, **kw):
    return subprocess.run(CLI + args, capture_output=True, text=True, timeout=900, **kw)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "model.npz"
    result = run(["fit", "--frame-stride", "20", "--ridge", "1e-5", "--out", str(out), "--json"])
    assert result.returncode == 0, result.stderr
    return out, json.loads(result.stdout.strip().splitlines()[-1])


def test_fit_reports_per_species_errors(fitted):
    path, report = fitted
    assert path.exists()
    for species in ("O", "H"):
        for part in ("train", "test"):
            row = report[species][part]
            assert set(row) == {"rmse", "mae", "rel_rmse", "r2"}
            assert 0 < row["rel_rmse"] < 0.4 and row["r2"] > 0.85  # a real fit, not noise


def test_run_writes_an_ase_readable_trajectory_and_a_log(fitted, tmp_path):
    model, _ = fitted
    result = run(["run", "--model", str(model), "--ps", "0.2", "--out", str(tmp_path / "run")])
    traj, log = tmp_path / "run" / "traj.extxyz", tmp_path / "run" / "log.csv"
    assert result.returncode == 0, result.stderr
    ase_io = pytest.importorskip("ase.io")
    frames = ase_io.read(traj, index=":")
    assert len(frames) == 21 and frames[0].get_chemical_formula() == "H128O64"
    header = log.read_text().splitlines()[0].split(",")
    assert header[:5] == ["time_fs", "temperature_k", "loss_sum_ev", "kinetic_ev", "conserved_ev"]


def test_validate_writes_the_report(fitted, tmp_path):
    model, _ = fitted
    out = tmp_path / "val"
    result = run(["validate", "--model", str(model), "--ps", "0.5", "--out", str(out), "--json"])
    table = json.loads(result.stdout.strip().splitlines()[-1])
    names = [row["property"] for row in table]
    assert "g_OO 1st max position" in names and "self-diffusion D (O)" in names
    assert {"reference", "learned", "tolerance", "passed"} <= set(table[0])
    for name in ("validation.md", "validation.csv", "validation.json", "rdf.png", "bonds.png", "msd.png"):
        assert (out / name).exists()
    assert result.returncode in (0, 1)  # 1: some rows fail on so short a run


def test_bad_input_messages(tmp_path):
    data = load_reference()
    no_forces = ReferenceData(data.positions[:40], None, None, data.numbers, data.masses,
                              data.box, data.times[:40], {})
    path = save_reference(no_forces, tmp_path / "noforces.npz")
    result = run(["fit", "--data", str(path), "--out", str(tmp_path / "m.npz")])
    assert result.returncode == 2 and "--from-positions" in result.stderr
    result = run(["fit", "--cutoff", "6.5", "--out", str(tmp_path / "m.npz")])
    assert result.returncode == 2 and "below half the box" in result.stderr
    result = run(["run", "--model", str(tmp_path / "missing.npz")])
    assert result.returncode == 2 and "no model file" in result.stderr


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


def test_fit_bar_is_labelled_plainly(capfd):
    from autoparticles.molecular.fit import FitSettings, fit_model

    data = load_reference()
    small = ReferenceData(data.positions[:40], data.forces[:40], None, data.numbers, data.masses,
                          data.box, data.times[:40], {})
    fit_model(small, FitSettings(basis="gaussian", ridge=1e-4, frame_stride=8), progress=True)
    err = capfd.readouterr().err
    assert "fitting frames" in err and "design" not in err


def test_failing_validation_rows_are_explained():
    import pandas as pd

    from autoparticles.molecular.workflow import print_table

    table = pd.DataFrame([{"property": "g_OO 1st max height", "unit": "", "reference": 2.54,
                           "learned": 2.95, "tolerance": "±10%", "passed": False},
                          {"property": "mean O–H distance", "unit": "Å", "reference": 0.970,
                           "learned": 0.971, "tolerance": "±0.01", "passed": True}])
    text = print_table(table)
    assert "1/2 rows pass; failing: g_OO 1st max height 2.95 vs 2.54" in text
    assert "known limitation" in text and "over-structured" in text
