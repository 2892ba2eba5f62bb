"""A blend of two models is the weighted sum of their losses and forces, and refuses models
whose losses cannot be added."""

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from autoparticles.agents.losses import QuadraticLoss
from autoparticles.invariants.radial import RadialBasis
from autoparticles.molecular.agent import load_model
from autoparticles.molecular.blend import blend_models
from autoparticles.molecular.config import species_indices
from tests.molecular.conftest import SMALL_ANGULAR, make_random_model


def _pair_and_angular(seed=0):
    """A pair model and an angular one centred on the same radial means, as two fits on the
    same frames are."""
    pair = make_random_model(seed=seed)
    angular = make_random_model(seed=seed + 1, angular=SMALL_ANGULAR)
    losses = []
    for p, a in zip(pair.species_losses, angular.species_losses):
        centre = a.centre.copy()
        centre[:p.n_features] = p.centre
        losses.append(QuadraticLoss(a.linear, a.quadratic, centre))
    return pair, dataclasses.replace(angular, species_losses=tuple(losses))


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_blend_losses_and_forces_are_the_weighted_sums_of_its_parts(small_box, share):
    x, numbers, box = small_box
    pair, angular = _pair_and_angular()
    blend = blend_models(pair, angular, share)
    species = species_indices(numbers)
    (lp, fp, _), (la, fa, _), (lb, fb, _) = (
        m.evaluate(x, species, m.new_neighbour_list(box)) for m in (pair, angular, blend))
    np.testing.assert_allclose(lb, (1 - share) * lp + share * la, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fb, (1 - share) * fp + share * fa, rtol=1e-10, atol=1e-12)
    assert blend.invariants == "angular" and blend.metadata["blend"]["share"] == share


def test_a_blend_of_convex_losses_stays_convex():
    pair, angular = _pair_and_angular(seed=4)
    for loss in blend_models(pair, angular, 0.5).species_losses:
        assert np.linalg.eigvalsh(loss.quadratic).min() > -1e-12


def test_a_saved_blend_reads_back_with_its_record(tmp_path):
    pair, angular = _pair_and_angular()
    again = load_model(blend_models(pair, angular, 0.25).save(tmp_path / "blend.npz"))
    assert again.metadata["blend"]["share"] == 0.25
    assert again.angular.header() == angular.angular.header()


def test_models_that_cannot_be_added_are_refused_in_words():
    pair, angular = _pair_and_angular()
    with pytest.raises(ValueError, match="share"):
        blend_models(pair, angular, 1.5)
    with pytest.raises(ValueError, match="fewer invariants first"):
        blend_models(angular, pair, 0.5)
    with pytest.raises(ValueError, match="different invariant means"):
        blend_models(make_random_model(seed=7), angular, 0.5)
    other = make_random_model(basis=RadialBasis.gaussians(cutoff=3.5, count=6, start=0.8))
    with pytest.raises(ValueError, match="radial bases differ"):
        blend_models(other, angular, 0.5)
    with pytest.raises(ValueError, match="force modes differ"):
        blend_models(dataclasses.replace(pair, mode="agent"), angular, 0.5)


def test_blend_command_reports_the_errors_of_both_parts_and_of_the_blend(tmp_path):
    pair, angular = _pair_and_angular()
    first, second = pair.save(tmp_path / "pair.npz"), angular.save(tmp_path / "angular.npz")
    out = tmp_path / "blend.npz"
    cli = [sys.executable, "-m", "autoparticles.cli", "water", "blend", str(first), str(second)]
    result = subprocess.run(cli + ["--share", "0.4", "--out", str(out)], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "blend, share 0.4" in result.stdout and load_model(out).metadata["blend"]["share"] == 0.4
    refused = subprocess.run(cli[:-2] + [str(second), str(first), "--out", str(tmp_path / "x.npz")],
                             capture_output=True, text=True, timeout=600)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.npz").exists()
