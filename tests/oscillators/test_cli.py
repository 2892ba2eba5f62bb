"""The oscillators commands: train (with resume), sample, watch --record; and the world."""

import json

import numpy as np
import pytest

from autoparticles.cli import main
from autoparticles.oscillators.agent import load_protocol
from autoparticles.oscillators.world import make_bonds


def test_train_resumes_and_sample_writes_target_units(tmp_path, capsys):
    out = tmp_path / "run"
    flags = ["oscillators", "train", "--target", "two-gaussians", "--out", str(out),
             "--batch", "128", "--checkpoint-every", "50", "--set", "time_bins=6"]
    assert main(flags + ["--steps", "100"]) == 0
    first = load_protocol(out / "model.npz").params["a"].copy()
    assert main(flags + ["--steps", "150"]) == 0  # resumes from the checkpoint at 100
    rows = (out / "progress.csv").read_text().splitlines()
    assert rows[0] == "update,loss,learning_rate,wall_seconds"
    assert not np.array_equal(first, load_protocol(out / "model.npz").params["a"])
    assert set(json.loads((out / "metrics.json").read_text())) >= {"mmd", "mmd_untrained"}
    samples = tmp_path / "s.npy"
    assert main(["oscillators", "sample", "--model", str(out / "model.npz"), "--n", "50",
                 "--out", str(samples), "--steps", "40"]) == 0
    assert np.load(samples).shape == (50, 2)
    assert main(["oscillators", "sample", "--model", str(out / "model.npz"), "--n", "50",
                 "--out", str(samples)]) == 2  # exists, no --force
    gif = tmp_path / "reverse.gif"
    assert main(["oscillators", "watch", "--model", str(out / "model.npz"), "--n", "30",
                 "--steps", "20", "--record", str(gif)]) == 0
    assert gif.stat().st_size > 0
    capsys.readouterr()


def test_an_interrupted_training_resumes_to_where_an_uninterrupted_one_ends(tmp_path,
                                                                           monkeypatch):
    from autoparticles.oscillators import training
    from autoparticles.oscillators.config import ProtocolSettings, TrainSettings

    protocol, settings = ProtocolSettings(time_bins=4), TrainSettings(steps=90, batch=64,
                                                                     checkpoint_every=40)
    straight = load_protocol(training.train(protocol, settings, tmp_path / "a", False))
    update = training.update

    def interrupted(protocol, optimiser, target, settings, step):
        if step == 50:
            raise KeyboardInterrupt
        return update(protocol, optimiser, target, settings, step)

    monkeypatch.setattr(training, "update", interrupted)
    with pytest.raises(KeyboardInterrupt):
        training.train(protocol, settings, tmp_path / "b", False)
    monkeypatch.setattr(training, "update", update)
    resumed = load_protocol(training.train(protocol, settings, tmp_path / "b", False))
    for name, value in straight.params.items():
        assert np.array_equal(value, resumed.params[name]), name


def test_a_run_folder_refuses_other_settings(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["oscillators", "train", "--out", str(out), "--steps", "5", "--batch", "16"]
    assert main(base + ["--set", "time_bins=4"]) == 0
    assert main(base + ["--set", "time_bins=5"]) == 2
    assert main(base + ["--set", "bins=5"]) == 2
    assert "unknown key" in capsys.readouterr().err


def test_grid_bonds_are_nearest_neighbours():
    bonds = make_bonds("grid", 9)
    assert len(bonds) == 12 and (0, 1) in map(tuple, bonds) and (0, 3) in map(tuple, bonds)
    assert len(make_bonds("auto", 64, (8, 8))) == 112 and len(make_bonds("auto", 5)) == 4


def test_hidden_and_complete_bonds():
    bonds = set(map(tuple, make_bonds("grid", 64, (8, 8), hidden=3)))
    assert len(bonds) == 112 + 3 * 64 + 3 and (5, 65) in bonds and (64, 66) in bonds
    assert len(make_bonds("complete", 6)) == 15


def test_digit_hidden_oscillators_hold_principal_components_and_round_trip():
    from autoparticles.oscillators.targets import load_target

    target = load_target("digits", hidden=4)
    x = target.to_network(target.train)
    assert x.shape == (len(target.train), 68) and target.size == 68
    assert np.allclose(x[:, 64:].std(0), 1.0) and np.allclose(x[:, 64:].mean(0), 0.0)
    assert np.allclose(x[:, :64] @ target.hidden.T, 0.0, atol=1e-9)  # what the components leave
    assert np.allclose(target.to_target(x), target.train)
    assert np.var(x[:, :64]) < 0.5 * np.var(load_target("digits").to_network(target.train))


def test_too_many_hidden_oscillators_are_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["oscillators", "train", "--target", "digits", "--set", "hidden=100",
                 "--steps", "2", "--out", str(out)]) == 2
    assert "at most 64 principal components" in capsys.readouterr().err
    assert not out.exists()
