"""The fitted model on OpenMM, in both forms (our kernels through a PythonForce, and the
CustomGBForce expressions): the same energies and forces as our engine, the same dynamics
under velocity Verlet, a conserved energy, and one-line refusals."""

import sys

import numpy as np
import pytest

from autoparticles.invariants.radial import RadialBasis
from autoparticles.molecular.config import RunSettings, masses
from autoparticles.molecular.world import Simulation, maxwell_boltzmann, simulate
from tests.molecular.conftest import SMALL_ANGULAR, make_random_model, make_soft_model

openmm = pytest.importorskip("openmm")
omm = pytest.importorskip("autoparticles.molecular.openmm_system")


def openmm_energy_and_forces(model, x, numbers, box, platform="Reference", forces="expressions"):
    system = omm.model_system(model, numbers, masses(numbers), box, forces)
    context = omm.make_context(system, openmm.VerletIntegrator(0.0005), platform)
    return omm.energy_and_forces(context, x)


def assert_agrees(model, x, numbers, box, rtol, platform="Reference", forces="expressions"):
    energy, forces = openmm_energy_and_forces(model, x, numbers, box, platform, forces)
    ours = model.forces(x, numbers, box)
    assert energy == pytest.approx(model.losses(x, numbers, box).sum(), rel=rtol)
    assert np.linalg.norm(forces - ours) <= rtol * np.linalg.norm(ours)
    return energy, forces


@pytest.fixture(scope="module")
def reference():
    from autoparticles.molecular.reference.dataset import load_reference

    return load_reference()


@pytest.mark.parametrize("forces", ["kernels", "expressions"])
def test_shipped_model_agrees_with_our_engine_on_reference_frames(reference, forces):
    from autoparticles.molecular.agent import load_model

    model, d = load_model("pair"), reference  # the expressions take radial models only
    system = omm.model_system(model, d.numbers, d.masses, d.box, forces)
    for platform, rtol in (("Reference", 1e-5), ("CPU", 1e-4)):  # CPU: partly single precision
        context = omm.make_context(system, openmm.VerletIntegrator(0.0005), platform)
        for frame in (0, d.n_frames - 1):
            x = d.positions[frame]
            energy, forces = omm.energy_and_forces(context, x)
            ours = model.forces(x, d.numbers, d.box)
            assert energy == pytest.approx(model.losses(x, d.numbers, d.box).sum(), rel=rtol)
            assert np.linalg.norm(forces - ours) <= rtol * np.linalg.norm(ours), platform


@pytest.mark.parametrize("basis", [RadialBasis.gaussians(cutoff=3.0, count=6, start=0.8),
                                   RadialBasis.inverse_powers(cutoff=3.0, powers=(1, 2, 4, 6))])
def test_random_models_agree_and_forces_are_the_energy_gradient(small_box, basis):
    x, numbers, box = small_box
    model = make_random_model(basis=basis, seed=4)
    energy, forces = assert_agrees(model, x, numbers, box, 1e-6)
    h = 1e-4
    for atom, axis in ((0, 0), (5, 2)):
        shifted = [x.copy(), x.copy()]
        shifted[0][atom, axis] += h
        shifted[1][atom, axis] -= h
        up, down = (openmm_energy_and_forces(model, s, numbers, box)[0] for s in shifted)
        assert -(up - down) / (2 * h) == pytest.approx(forces[atom, axis], rel=1e-5, abs=1e-7)


def test_the_angular_model_runs_on_openmm_through_our_kernels(small_box):
    x, numbers, box = small_box
    model = make_random_model(angular=SMALL_ANGULAR, seed=3)
    assert_agrees(model, x, numbers, box, 1e-9, forces="kernels")
    assert_agrees(model, x, numbers, box, 1e-5, platform="CPU", forces="kernels")


def test_a_barostat_changes_the_box_and_the_kernels_follow_it(small_box):
    x, numbers, box = small_box
    model = make_soft_model()
    system = omm.model_system(model, numbers, masses(numbers), box, "kernels")
    system.addForce(openmm.MonteCarloBarostat(5000.0, 300.0, 2))  # 5 kbar: the box shrinks
    context = omm.make_context(system, openmm.VerletIntegrator(0.0005), "Reference")
    context.setPositions(x / omm.NM)
    context.setVelocitiesToTemperature(300.0, 1)
    context.getIntegrator().step(60)
    state = context.getState(getPositions=True, getEnergy=True, getForces=True)
    new_box = np.diag(omm._ours(state.getPeriodicBoxVectors(asNumpy=True))) * omm.NM
    x_new = omm._ours(state.getPositions(asNumpy=True)) * omm.NM
    assert not np.allclose(new_box, box)
    assert omm._ours(state.getPotentialEnergy()) / omm.EV_TO_KJ_PER_MOL == pytest.approx(
        model.losses(x_new, numbers, new_box).sum(), rel=1e-9)


@pytest.mark.parametrize("forces", ["kernels", "expressions"])
def test_verlet_on_openmm_follows_our_engine_and_keeps_the_energy(small_box, forces):
    x, numbers, box = small_box
    m = masses(numbers)
    v = maxwell_boltzmann(m, 300.0, np.random.default_rng(1))
    settings = RunSettings(thermostat="none", dt=0.5, frame_every=10, log_every=10, mts=1)
    model = make_soft_model()
    ours = Simulation(model, x, v, numbers, m, box, settings)
    theirs = omm.OpenMMSimulation(model, x, v, numbers, m, box, settings, platform="Reference",
                                  forces=forces)
    ours.run(20)
    theirs.run(20)
    np.testing.assert_allclose(theirs.x, ours.x, atol=1e-8)
    np.testing.assert_allclose(theirs.v, ours.v, atol=1e-9)
    traj = simulate(theirs, steps=400, progress=False)
    conserved = np.array([row.conserved_ev for row in traj.log])
    assert traj.status == "ok" and theirs.steps_done == 420
    assert np.ptp(conserved) < 1e-3 * traj.log[0].kinetic_ev


def test_nose_hoover_on_openmm_keeps_its_conserved_quantity(small_box):
    x, numbers, box = small_box
    m = masses(numbers)
    v = maxwell_boltzmann(m, 600.0, np.random.default_rng(2))
    settings = RunSettings(temperature=300.0, nhc_tau=20.0, frame_every=20, log_every=20)
    sim = omm.OpenMMSimulation(make_soft_model(), x, v, numbers, m, box, settings)
    traj = simulate(sim, steps=400, progress=False)
    conserved = np.array([row.conserved_ev for row in traj.log])
    assert traj.status == "ok" and traj.temperatures[-1] < traj.temperatures[0]
    assert np.ptp(conserved) < 0.02 * traj.log[0].kinetic_ev


@pytest.mark.parametrize("thermostat", ["nose-hoover", "none"])
def test_multiple_time_steps_on_openmm_follow_our_engine(small_box, thermostat):
    """Our r-RESPA step and chain written as OpenMM's CustomIntegrator: one trajectory, one
    conserved quantity (the soft model's stiff part is its molecules' own pairs)."""
    x, numbers, box = small_box
    m = masses(numbers)
    v = maxwell_boltzmann(m, 600.0, np.random.default_rng(3))
    settings = RunSettings(thermostat=thermostat, nhc_tau=20.0, mts=4, frame_every=8,
                           log_every=8)
    model = make_soft_model()
    ours = Simulation(model, x, v, numbers, m, box, settings)
    theirs = omm.OpenMMSimulation(model, x, v, numbers, m, box, settings, platform="Reference")
    assert theirs.conserved() == pytest.approx(ours.conserved(), rel=1e-12)
    ours.run(40)
    theirs.run(40)
    assert theirs.steps_done == ours.steps_done == 40
    np.testing.assert_allclose(theirs.x, ours.x, atol=1e-8)
    np.testing.assert_allclose(theirs.v, ours.v, atol=1e-9)
    assert theirs.conserved() == pytest.approx(ours.conserved(), rel=1e-8)


def test_topology_has_one_water_residue_per_molecule(small_box):
    _, numbers, box = small_box
    top = omm.topology(numbers, box)
    assert top.getNumResidues() == len(numbers) // 3 and top.getNumBonds() == 2 * len(numbers) // 3
    assert {r.name for r in top.residues()} == {"HOH"}


@pytest.mark.parametrize("model, box, forces, words", [
    (make_random_model(angular=SMALL_ANGULAR), 6.2, "expressions", "angular"),
    (make_random_model(mode="agent"), 6.2, "kernels", "conservative"),
    (make_random_model(mode="agent"), 6.2, "expressions", "conservative"),
    (make_random_model(), 5.0, "kernels", "twice the model cutoff"),
    (make_random_model(), 5.0, "expressions", "twice the model cutoff"),
    (make_random_model(), 6.2, "torch", "kernels, expressions"),
])
def test_models_without_an_openmm_form_are_refused_in_one_line(small_box, model, box, forces,
                                                               words):
    x, numbers, _ = small_box
    with pytest.raises(ValueError, match=words) as error:
        omm.model_system(model, numbers, masses(numbers), np.full(3, box), forces)
    assert "\n" not in str(error.value)


def refused(capsys, argv, *words):
    from autoparticles.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("autoparticles: error:") == 1, err
    for word in words:
        assert word in err, err


def test_cli_refuses_before_writing(capsys, tmp_path, monkeypatch):
    angular = make_random_model(angular=SMALL_ANGULAR).save(tmp_path / "angular.npz")
    out = tmp_path / "run"
    refused(capsys, ["water", "run", "--engine", "openmm", "--openmm-forces", "expressions",
                     "--model", str(angular), "--out", str(out)], "angular", "--openmm-forces kernels")
    refused(capsys, ["water", "validate", "--engine", "openmm", "--mode", "agent", "--out", str(out)],
            "conservative")
    wide = make_random_model(basis=RadialBasis.gaussians(cutoff=6.5, count=4)).save(tmp_path / "wide.npz")
    refused(capsys, ["water", "run", "--engine", "openmm", "--model", str(wide), "--out", str(out)],
            "twice the model cutoff")
    refused(capsys, ["water", "run", "--engine", "openmm", "--openmm-forces", "expressions",
                     "--model", "blend", "--out", str(out)], "angular", "--model pair")
    refused(capsys, ["water", "run", "--engine", "openmm", "--openmm-forces", "expressions",
                     "--out", str(out)], "angular", "--model pair")  # the default reads them too
    refused(capsys, ["water", "run", "--engine", "openmm", "--openmm-forces", "expressions",
                     "--model", "pair", "--set", "mts=4", "--out", str(out)], "mts = 4",
            "--openmm-forces kernels")
    present = [openmm.Platform.getPlatform(k).getName() for k in range(openmm.Platform.getNumPlatforms())]
    for missing in [p for p in ("CUDA", "OpenCL") if p not in present][:1]:  # (a GPU machine may have both)
        refused(capsys, ["water", "run", "--engine", "openmm", "--platform", missing, "--out",
                         str(out)], f"no {missing} platform", "--platform")
    monkeypatch.setitem(sys.modules, "openmm", None)  # as if not installed
    refused(capsys, ["water", "run", "--engine", "openmm", "--out", str(out)], "pip install openmm")
    assert not out.exists()


@pytest.mark.parametrize("forces", ["kernels", "expressions"])
def test_water_run_on_openmm_writes_its_trajectory(capsys, tmp_path, forces):
    from autoparticles.cli import main

    out = tmp_path / "run"
    model = ["--model", "pair"] if forces == "expressions" else []  # the default reads angles
    assert main(["water", "run", "--engine", "openmm", "--openmm-forces", forces, "--ps", "0.005",
                 "--set", "log_every=5", *model, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ok;") and (out / "traj.extxyz").exists()
    rows = (out / "log.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["0.0", "2.5", "5.0"]
