"""Multiple time steps (r-RESPA): the stiff part is an energy whose gradient its forces are,
it carries the bonds' force, and the integrator is time-reversible, keeps the energy and
follows plain velocity Verlet over a short stretch."""

import dataclasses

import numpy as np
import pytest

from autoparticles.molecular.agent import load_model
from autoparticles.molecular.config import RunSettings, species_indices
from autoparticles.molecular.reference.dataset import load_reference
from autoparticles.molecular.respa import StiffPart
from autoparticles.molecular.world import Simulation, simulate

NVE = RunSettings(thermostat="none", frame_every=20, log_every=4, mts=1)


@pytest.fixture(scope="module")
def start():
    data = load_reference()
    return load_model(), data, 500


def simulation(start, settings):
    model, data, frame = start
    return Simulation(model, data.positions[frame], data.velocities[frame], data.numbers,
                      data.masses, data.box, settings)


def test_stiff_forces_are_its_energy_gradient_and_carry_the_bonds(start):
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
    angular = load_model("blend")  # its stiff part would miss the bend's three-body share
    assert simulation((angular, data, frame), RunSettings()).stride == 1
    assert simulation((angular, data, frame), RunSettings(mts=4)).stride == 4  # asked for


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
