"""Multiple time steps (r-RESPA): the stiff part is an energy whose gradient its forces are,
it carries the bonds' force (and, for an angular model, the invariants of each molecule's
triples), and the integrator is time-reversible, keeps the energy and follows plain velocity
Verlet over a short stretch."""

import dataclasses

import numpy as np
import pytest

from autoparticles.invariants.angular import pair_channels
from autoparticles.invariants.space import displacement
from autoparticles.molecular.agent import load_model
from autoparticles.molecular.config import RunSettings, species_indices
from autoparticles.molecular.reference.dataset import load_reference
from autoparticles.molecular.respa import StiffPart
from autoparticles.molecular.world import Simulation, simulate

NVE = RunSettings(thermostat="none", frame_every=20, log_every=4, mts=1)


@pytest.fixture(scope="module")
def data():
    return load_reference()


@pytest.fixture(scope="module")
def start(data):
    return load_model("pair"), data, 500


@pytest.fixture(scope="module")
def angular_start(data):
    """The shipped blend: radial and angular invariants."""
    return load_model("blend"), data, 500


def simulation(start, settings):
    model, data, frame = start
    return Simulation(model, data.positions[frame], data.velocities[frame], data.numbers,
                      data.masses, data.box, settings)


@pytest.mark.parametrize("which", ["start", "angular_start"])
def test_stiff_forces_are_its_energy_gradient_and_carry_the_bonds(which, request):
    start = request.getfixturevalue(which)
    model, data, frame = start
    x = data.positions[frame]
    sim = simulation(start, dataclasses.replace(NVE, mts=4))
    stiff = sim.stiff
    losses, forces = stiff.evaluate(x)
    h = 1e-5
    for atom, axis in ((0, 0), (1, 2), (50, 1)):
        up, down = x.copy(), x.copy()
        up[atom, axis] += h
        down[atom, axis] -= h
        slope = (stiff.evaluate(up)[0].sum() - stiff.evaluate(down)[0].sum()) / (2 * h)
        assert -slope == pytest.approx(forces[atom, axis], rel=1e-6, abs=1e-8)
    # along each O–H bond the stiff force is nearly all of the model's (the bond is stiff)
    o, h_atoms = np.arange(0, len(x), 3), np.arange(1, len(x), 3)
    bond = x[h_atoms] - x[o]
    bond /= np.linalg.norm(bond, axis=1)[:, None]
    along_full = np.einsum("nd,nd->n", sim.forces[h_atoms], bond)
    along_stiff = np.einsum("nd,nd->n", forces[h_atoms], bond)
    assert np.corrcoef(along_full, along_stiff)[0, 1] > 0.9
    assert species_indices(data.numbers)[h_atoms].min() == 1


def test_respa_is_time_reversible_and_keeps_the_energy(start):
    sim = simulation(start, dataclasses.replace(NVE, mts=4))
    x0 = sim.x.copy()
    traj = simulate(sim, steps=400, progress=False)
    conserved = np.array([row.conserved_ev for row in traj.log])
    assert traj.status == "ok" and sim.steps_done == 400 and sim.time == pytest.approx(200.0)
    assert np.ptp(conserved) < 0.05 * traj.log[0].kinetic_ev
    sim.v *= -1
    sim.run(400)
    np.testing.assert_allclose(sim.x, x0, atol=1e-7)


def test_respa_follows_plain_verlet_over_a_short_stretch(start):
    plain, multiple = simulation(start, NVE), simulation(start, dataclasses.replace(NVE, mts=4))
    plain.run(40)
    multiple.run(40)
    assert np.abs(multiple.x - plain.x).max() < 0.01


@pytest.mark.parametrize("which", ["start", "angular_start"])
def test_the_stiff_loss_is_the_species_loss_of_the_mean_surrounding_plus_the_bonded_share(
        which, request):
    model, data, frame = request.getfixturevalue(which)
    sim = simulation((model, data, frame), dataclasses.replace(NVE, mts=4))
    x, species = data.positions[frame], sim.species
    bonded = sim.stiff.bonded(x)
    moved = x + np.random.default_rng(0).normal(scale=0.02, size=x.shape)
    expected = np.empty(len(x))
    for s, loss in enumerate(model.species_losses):
        rows = species == s
        surrounding = sim.phi[rows].mean(axis=0)
        surrounding[:bonded.shape[1]] -= bonded[rows].mean(axis=0)
        moved_bonded = np.zeros((rows.sum(), model.n_features))
        moved_bonded[:, :bonded.shape[1]] = sim.stiff.bonded(moved)[rows]
        expected[rows] = loss.value(surrounding + moved_bonded)
    np.testing.assert_allclose(sim.stiff.evaluate(moved)[0], expected, rtol=1e-9, atol=1e-12)


def test_the_stiff_part_holds_each_molecules_triples_as_the_brute_force_finds(angular_start):
    model, data, frame = angular_start
    x = data.positions[frame]
    bonded = simulation(angular_start, dataclasses.replace(NVE, mts=4)).stiff.bonded(x)
    # the angular invariants (invariants/angular.py) of each atom with only its own
    # molecule's atoms as neighbours, in plain numpy: its one triple; atoms in O, H, H order
    basis, species = model.angular, species_indices(data.numbers)
    shell_a, shell_b = basis.shells
    expected = np.zeros((len(x), basis.n_features()))
    for i in range(len(x)):
        j, k = [m for m in range(3 * (i // 3), 3 * (i // 3) + 3) if m != i]
        r_ij, r_ik = displacement(x[[j, k]], x[[i, i]], data.box)
        d = np.linalg.norm([r_ij, r_ik], axis=1)
        cos = r_ij @ r_ik / (d[0] * d[1])
        g = np.exp(-basis.eta * (d[:, None] - basis.centres) ** 2) * 0.5 * (
            np.cos(np.pi * d[:, None] / basis.cutoff) + 1)
        pair = 0.5 * (g[0, shell_a] * g[1, shell_b] + g[0, shell_b] * g[1, shell_a])
        angle = (1 + basis.lambdas * cos) ** basis.zetas
        c = pair_channels(2)[species[j], species[k]]
        expected[i, c * basis.size:(c + 1) * basis.size] = np.outer(angle, pair).ravel()
    np.testing.assert_allclose(bonded[:, 2 * model.basis.size:], expected, rtol=1e-10,
                               atol=1e-12)


def test_respa_keeps_an_angular_models_energy_about_as_well_as_a_radial_ones(start,
                                                                             angular_start):
    spread = {}
    for name, begin in (("radial", start), ("angular", angular_start)):
        for mts in (1, 4):
            sim = simulation(begin, dataclasses.replace(NVE, mts=mts))
            traj = simulate(sim, steps=400, progress=False)
            assert traj.status == "ok"
            spread[name, mts] = np.ptp([row.conserved_ev for row in traj.log])
        assert spread[name, 4] < 0.05 * traj.log[0].kinetic_ev
    # mts 4 against plain velocity Verlet: 7.1× for the pair model, 9.5× for the blend
    ratio = {name: spread[name, 4] / spread[name, 1] for name in ("radial", "angular")}
    assert ratio["angular"] < 2 * ratio["radial"]
    sim.v *= -1  # the angular model's r-RESPA run, back to its start
    sim.run(400)
    np.testing.assert_allclose(sim.x, angular_start[1].positions[angular_start[2]], atol=1e-7)


def test_respa_follows_plain_verlet_for_an_angular_model_over_a_few_hundred_steps(
        angular_start):
    plain = simulation(angular_start, NVE)
    multiple = simulation(angular_start, dataclasses.replace(NVE, mts=4))
    plain.run(200)
    multiple.run(200)
    # 0.064 Å here; 0.10 Å when the stiff part held the molecules' radial pairs only
    assert np.abs(multiple.x - plain.x).max() < 0.08


def test_bad_multiple_time_step_settings_are_refused_in_one_line(start):
    model, data, frame = start
    with pytest.raises(ValueError, match="frame_every = 20 must be a multiple of mts = 3"):
        RunSettings(mts=3)
    sim = simulation(start, dataclasses.replace(NVE, mts=4))
    with pytest.raises(ValueError, match="not a multiple of mts = 4"):
        sim.run(6)
    with pytest.raises(ValueError, match="not a multiple of mts = 4"):
        sim.attach(print, 2)
    x = data.positions[frame].copy()
    x[1] = x[3] + 0.1  # the first molecule's H now sits on the second O
    species, nlist = species_indices(data.numbers), model.new_neighbour_list(data.box)
    with pytest.raises(ValueError, match="intact water molecules"):
        StiffPart(model, x, species, data.numbers, nlist, model.evaluate(x, species, nlist)[2])
    agent = dataclasses.replace(model, mode="agent")
    with pytest.raises(ValueError, match="conservative"):
        simulation((agent, data, frame), dataclasses.replace(NVE, mts=4))


def test_automatic_mts_takes_four_where_the_model_and_intervals_allow(start):
    model, data, frame = start
    assert RunSettings().mts == 0 and simulation(start, RunSettings()).stride == 4
    assert simulation(start, RunSettings(frame_every=10, log_every=20)).stride == 2
    assert simulation(start, RunSettings(log_every=5)).stride == 1
    assert simulation(start, RunSettings(mts=1)).stride == 1
    agent = dataclasses.replace(model, mode="agent")
    assert simulation((agent, data, frame), RunSettings()).stride == 1
    angular = load_model("blend")  # its stiff part holds the molecules' triples too
    assert simulation((angular, data, frame), RunSettings()).stride == 4
    assert simulation((angular, data, frame), RunSettings(mts=1)).stride == 1


def test_each_hydrogen_belongs_to_its_nearest_oxygen_as_the_brute_force_finds(start):
    from autoparticles.molecular.analysis import owner_oxygen
    from autoparticles.molecular.respa import nearest_oxygen

    model, data, frame = start
    x = data.positions[frame]
    nlist = model.new_neighbour_list(data.box)
    nlist.update(x)
    np.testing.assert_array_equal(nearest_oxygen(x, data.numbers, nlist),
                                  owner_oxygen(x[None], data.numbers, data.box)[0])


def test_molecule_pairs_are_each_molecules_three_pairs_from_both_sides(start):
    from autoparticles.molecular.respa import MoleculePairs

    model, data, frame = start
    x = data.positions[frame]
    nlist = model.new_neighbour_list(data.box)
    nlist.update(x)
    pairs = MoleculePairs(x, data.numbers, nlist)
    rows = np.repeat(np.arange(len(x)), np.diff(pairs.indptr))
    assert np.all(np.diff(pairs.indptr) == 2)  # O: its two H; H: its O and the other H
    assert set(map(tuple, np.sort(np.stack([rows, pairs.indices], 1), axis=1) // 3)) == {
        (k, k) for k in range(len(x) // 3)}  # the reference keeps atoms in O, H, H order
    np.testing.assert_array_equal(pairs.indices[pairs.mirror], rows)
    np.testing.assert_array_equal(pairs.mirror[pairs.mirror], np.arange(len(rows)))
