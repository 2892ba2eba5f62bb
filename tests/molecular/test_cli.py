"""The water commands on the shipped data: fit, run, validate, and their bad-input messages."""

import json
import subprocess
import sys

import numpy as np
import pytest

from autoparticles.molecular.reference.dataset import ReferenceData, load_reference, save_reference

CLI = [sys.executable, "-m", "autoparticles.cli", "water"]


def run(args, **kw):
    return subprocess.run(CLI + args, capture_output=True, text=True, timeout=900, **kw)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "model.npz"
    result = run(["fit", "--frame-stride", "20", "--set", "ridge=1e-5", "--out", str(out), "--json"])
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


def test_fit_model_from_python_is_the_fit_of_the_command(fitted):
    from autoparticles.config import load
    from autoparticles.molecular import FitSettings, fit_model, load_model

    path, _ = fitted
    saved = load(FitSettings, path.with_suffix(".settings.json"))
    assert saved == FitSettings(frame_stride=20, ridge=1e-5)
    command, python = load_model(path), fit_model(load_reference(), saved, progress=False)[0]
    assert command.metadata == json.loads(json.dumps(python.metadata))
    for ours, theirs in zip(command.species_losses, python.species_losses):
        np.testing.assert_allclose(ours.quadratic, theirs.quadratic, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ours.linear, theirs.linear, rtol=1e-12, atol=1e-14)


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


def test_water_flags_show_their_dataclass_defaults_and_take_config_files(tmp_path):
    import dataclasses

    from autoparticles.cli import build_parser
    from autoparticles.config import dump
    from autoparticles.molecular.config import RunSettings

    water = build_parser()._subparsers._group_actions[0].choices["water"]
    commands = water._subparsers._group_actions[0].choices
    for name in ("reference", "fit", "run", "validate"):
        flags = [a for a in commands[name]._actions if hasattr(a, "settings_field")]
        assert flags and "--config" in commands[name]._option_string_actions
        for action in flags:
            cls, field = action.settings_field
            default = {f.name: f.default for f in dataclasses.fields(cls)}[field]
            assert action.help.endswith(f"(default: {default})"), (name, field)
    config = dump(RunSettings(ps=0.01, frame_every=4), tmp_path / "run.json")
    result = run(["run", "--config", str(config), "--set", "log_every=2", "--out", str(tmp_path / "r")])
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "r" / "settings.json").read_text())
    assert (saved["ps"], saved["frame_every"], saved["log_every"]) == (0.01, 4, 2)
    assert saved["mts"] == 2  # the automatic mts, made concrete: the most of 4 log_every allows
    assert len((tmp_path / "r" / "log.csv").read_text().splitlines()) == 1 + 11
