"""Structural refinement: the pair terms it adds are the pair potentials they say, the
Boltzmann inversion recovers a known potential, and `water refine` runs and refuses in words."""

import json
import subprocess
import sys

import numpy as np
import pytest

from autoparticles.invariants.radial import RadialBasis, basis_values
from autoparticles.invariants.space import displacement
from autoparticles.molecular.agent import load_model
from autoparticles.molecular.analysis import RDF
from autoparticles.molecular.config import species_indices
from autoparticles.molecular.refine import (CLOSEST, PAIRS, add_pair_terms,
                                            boltzmann_correction)
from tests.molecular.conftest import SMALL_ANGULAR, make_random_model


def _pair_sum(x, numbers, box, basis, coefficients):
    """Σ_{i<j} u_AB(d_ij) by brute force over all pairs, u = Σ_n w_n h_n."""
    names, total = {(8, 8): "OO", (8, 1): "OH", (1, 8): "OH", (1, 1): "HH"}, 0.0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            d = np.linalg.norm(displacement(x[j][None], x[i][None], box))
            total += basis_values(basis, [d])[0][0] @ coefficients[names[numbers[i], numbers[j]]]
    return total


@pytest.mark.parametrize("angular", [None, SMALL_ANGULAR])
def test_added_pair_terms_change_the_energy_by_their_pair_potentials(small_box, angular):
    x, numbers, box = small_box
    model = make_random_model(angular=angular)
    rng = np.random.default_rng(5)
    coefficients = {pair: rng.normal(scale=0.05, size=model.basis.size) for pair in PAIRS}
    refined = add_pair_terms(model, coefficients)
    species = species_indices(numbers)
    (before, f_before, _), (after, f_after, _) = (
        m.evaluate(x, species, m.new_neighbour_list(box)) for m in (model, refined))
    # a linear term reads the invariants less their centre: a constant per atom beside the pairs
    offset = sum((b.linear - a.linear) @ a.centre * np.count_nonzero(species == s) for s, (a, b)
                 in enumerate(zip(model.species_losses, refined.species_losses)))
    assert np.isclose(after.sum() - before.sum() + offset,
                      _pair_sum(x, numbers, box, model.basis, coefficients), rtol=1e-9)
    h, atom = 1e-5, 3  # the force change is minus the pair sum's gradient
    for d in range(3):
        step = np.zeros_like(x)
        step[atom, d] = h
        slope = (_pair_sum(x + step, numbers, box, model.basis, coefficients)
                 - _pair_sum(x - step, numbers, box, model.basis, coefficients)) / (2 * h)
        assert np.isclose(f_after[atom, d] - f_before[atom, d], -slope, atol=1e-7)


def test_agent_models_are_refused():
    with pytest.raises(ValueError, match="conservative"):
        add_pair_terms(make_random_model(mode="agent"), {p: np.zeros(6) for p in PAIRS})


def test_the_boltzmann_inversion_recovers_a_potential_and_holds_it_flat_below_the_pairs():
    basis, kt, damping = RadialBasis.gaussians(6.0, count=16, start=0.8), 0.0258, 0.5
    r = np.arange(0.5, 6.0, 0.05) + 0.025
    inside = r > 2.3
    g_ref = np.where(inside, 1.0 + 0.5 * np.sin(3 * r) ** 2, 0.0)  # no pairs below 2.3 Å
    target = {pair: RDF(r, g_ref) for pair in PAIRS}

    def correction(u):
        learned = {pair: RDF(r, g_ref * np.exp(u / kt)) for pair in PAIRS}
        return basis_values(basis, r)[0] @ boltzmann_correction(basis, target, learned, kt,
                                                                 damping, ridge=0.0)["OH"]

    # a bump where the pairs are, in the basis and flat below them: damping times it back
    bump = np.linalg.lstsq(basis_values(basis, r)[0], 0.01 * np.exp(-(r - 3.2) ** 2 / 0.08),
                           rcond=None)[0]
    u = basis_values(basis, r)[0] @ bump
    assert np.abs(correction(u) - damping * u)[inside].max() < 0.2 * damping * np.abs(u).max()
    # a potential with forces below the pairs: the correction has none there
    rng = np.random.default_rng(2)
    wanted = basis_values(basis, r)[0] @ rng.normal(scale=0.02, size=basis.size)
    close = (r > CLOSEST) & ~inside
    assert np.abs(np.gradient(correction(wanted), r)[close]).max() < \
        0.05 * np.abs(np.gradient(wanted, r)[close]).max()


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "autoparticles.cli", "water", "refine", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_water_refine_writes_a_refined_model_with_its_record(tmp_path):
    out = tmp_path / "refined.npz"
    done = _cli("pair", "--iterations", "1", "--ps", "4", "--out", str(out), "--json",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert [row["iteration"] for row in report["history"]] == [1]
    record = load_model(out).metadata["refine"]
    assert record["settings"]["iterations"] == 1 and set(record["pair_terms"]) == set(PAIRS)
    assert (tmp_path / "refined.settings.json").exists() and (tmp_path / "refined.png").exists()
    fitted, refined = load_model("pair"), load_model(out)
    for a, b in zip(fitted.species_losses, refined.species_losses):
        np.testing.assert_array_equal(a.quadratic, b.quadratic)
        assert not np.array_equal(a.linear, b.linear)


def test_water_refine_refuses_bad_settings_in_one_line_and_writes_nothing(tmp_path):
    done = _cli("pair", "--skip-ps", "12", "--out", str(tmp_path / "m.npz"), cwd=tmp_path)
    assert done.returncode == 2 and "skip_ps = 12 must be below ps = 10" in done.stderr
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []


def test_every_correction_is_handed_on_as_it_is_made():
    from autoparticles.molecular.config import RefineSettings
    from autoparticles.molecular.reference.dataset import load_reference
    from autoparticles.molecular.refine import refine_model

    seen = []
    model, history = refine_model(load_model("pair"), load_reference(),
                                  RefineSettings(iterations=2, ps=4.0), progress=False,
                                  report=lambda line: None, checkpoint=seen.append)
    assert [len(m.metadata["refine"]["history"]) for m in seen] == [1, 2] and len(history) == 2
    assert seen[-1] is model and seen[0].metadata["refine"]["fitted"] == load_model("pair").metadata
    assert not np.array_equal(seen[0].species_losses[0].linear, model.species_losses[0].linear)
