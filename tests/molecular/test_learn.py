"""The fit from Python: its progress bar and its settings."""

from autoparticles.molecular.config import FitSettings
from autoparticles.molecular.learn import fit_model
from autoparticles.molecular.reference.dataset import ReferenceData, load_reference


def test_fit_bar_is_labelled_plainly(capfd):
    data = load_reference()
    small = ReferenceData(data.positions[:40], data.forces[:40], None, data.numbers, data.masses,
                          data.box, data.times[:40], {})
    fit_model(small, FitSettings(basis="gaussian", ridge=1e-4, frame_stride=8), progress=True)
    err = capfd.readouterr().err
    assert "fitting frames" in err and "design" not in err


def test_the_default_settings_are_the_shipped_models_and_are_checked():
    import pytest

    from autoparticles.molecular.agent import load_model

    shipped = load_model().metadata["fit"]
    defaults = FitSettings()
    assert (defaults.basis, defaults.convex) == ("gaussian", True)
    assert {k: shipped[k] for k in ("basis", "convex", "order", "cutoff")} == \
        {k: getattr(defaults, k) for k in ("basis", "convex", "order", "cutoff")}
    for bad in ({"order": 3}, {"basis": "cubic"}, {"frame_stride": 0}, {"mode": "greedy"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            FitSettings(**bad)
