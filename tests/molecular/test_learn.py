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

    shipped = load_model("pair").metadata["fit"]
    defaults = FitSettings()
    assert (defaults.basis, defaults.convex) == ("gaussian", True)
    keys = ("basis", "convex", "order", "cutoff", "invariants", "molecule_weight")
    assert {k: shipped[k] for k in keys} == {k: getattr(defaults, k) for k in keys}
    blend = load_model("blend").metadata["blend"]  # the pair and angular models, half each
    assert blend["first"] == load_model("pair").metadata
    assert blend["second"] == load_model("angular").metadata and blend["share"] == 0.5
    refined = load_model().metadata["refine"]  # the default: the blend, its pair terms refined
    assert refined["fitted"] == load_model("blend").metadata
    assert defaults.molecule_rows_weight == 2.0
    assert FitSettings(mode="agent").molecule_rows_weight == 0.0
    for bad in ({"order": 3}, {"basis": "cubic"}, {"frame_stride": 0}, {"mode": "greedy"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            FitSettings(**bad)


def test_molecule_rows_give_each_waters_net_force_and_torque():
    import numpy as np

    from autoparticles.invariants.space import displacement
    from autoparticles.molecular.config import species_indices
    from autoparticles.molecular.learn import molecule_rows

    data = load_reference()
    x, forces = data.positions[7], data.forces[7]
    species = species_indices(data.numbers)
    out = molecule_rows(x, species, data.box) @ forces.ravel()
    oxygens, hydrogens = np.flatnonzero(species == 0), np.flatnonzero(species == 1)
    for m, o in enumerate(oxygens):
        arms = displacement(x[o], x[hydrogens], data.box)
        mine = hydrogens[np.argsort(np.linalg.norm(arms, axis=1))[:2]]   # a water's two H
        net = forces[o] + forces[mine].sum(axis=0)
        torque = sum(np.cross(displacement(x[o], x[h], data.box), forces[h]) for h in mine)
        np.testing.assert_allclose(out[3 * m:3 * m + 3], net, atol=1e-12)
        np.testing.assert_allclose(out[3 * (64 + m):3 * (64 + m) + 3], torque, atol=1e-12)


def test_weighting_the_molecules_fits_their_forces_better():
    import numpy as np
    import pytest

    from autoparticles.molecular.config import species_indices
    from autoparticles.molecular.learn import molecule_rows

    data = load_reference()
    small = ReferenceData(data.positions[:60], data.forces[:60], None, data.numbers, data.masses,
                          data.box, data.times[:60], {})
    species = species_indices(data.numbers)

    def errors(model):
        atom = net = 0.0
        for k in range(0, 36, 4):   # training frames
            miss = (model.forces(small.positions[k], data.numbers, data.box) - small.forces[k]).ravel()
            atom += miss @ miss
            moved = molecule_rows(small.positions[k], species, data.box)[:192] @ miss
            net += moved @ moved
        return atom, net

    plain = errors(fit_model(small, FitSettings(ridge=1e-4, frame_stride=4, molecule_weight=0),
                             progress=False)[0])
    weighted = errors(fit_model(small, FitSettings(ridge=1e-4, frame_stride=4, molecule_weight=5),
                                progress=False)[0])
    assert weighted[1] < 0.8 * plain[1] and weighted[0] > plain[0]
    with pytest.raises(ValueError, match="molecule_weight needs mode = conservative"):
        FitSettings(mode="agent", molecule_weight=1.0)


def test_linear_angular_terms_leave_the_quadratic_part_radial():
    import numpy as np

    data = load_reference()
    small = ReferenceData(data.positions[:40], data.forces[:40], None, data.numbers, data.masses,
                          data.box, data.times[:40], {})
    model = fit_model(small, FitSettings(invariants="angular", angular_terms="linear", ridge=1e-4,
                                         frame_stride=8), progress=False)[0]
    radial = 2 * model.basis.size
    for loss in model.species_losses:
        assert np.all(loss.quadratic[radial:] == 0) and np.all(loss.quadratic[:, radial:] == 0)
        assert np.any(loss.linear[radial:] != 0)
        assert np.linalg.eigvalsh(loss.quadratic[:radial, :radial]).min() > -1e-8 * np.abs(loss.quadratic).max()
