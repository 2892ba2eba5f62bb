import numpy as np
import pytest

from autoparticles.molecular.config import RunSettings
from autoparticles.molecular.world import (Simulation, kinetic_energy, maxwell_boltzmann,
                                           remove_drift, simulate)
from autoparticles.molecular.units import BOLTZMANN_EV_PER_K
from tests.molecular.conftest import make_random_model, make_soft_model


@pytest.mark.slow
def test_nose_hoover_chain_is_canonical_and_conserves_its_quantity(small_box):
    x, numbers, box = small_box
    masses = np.where(numbers == 8, 15.9994, 1.00794)
    v = maxwell_boltzmann(masses, 300.0, np.random.default_rng(2))
    settings = RunSettings(ps=30.0, dt=0.5, nhc_tau=50.0, frame_every=10, log_every=10)
    traj = simulate(Simulation(make_soft_model(), x, v, numbers, masses, box, settings), progress=False)
    assert traj.status == "ok"
    temps = traj.temperatures[len(traj.temperatures) // 10:]
    dof = 3 * len(masses) - 3
    assert temps.mean() == pytest.approx(300.0, rel=0.03)
    assert temps.std() == pytest.approx(300.0 * np.sqrt(2.0 / dof), rel=0.15)
    conserved = np.array([row.conserved_ev for row in traj.log])
    assert np.ptp(conserved) < 0.02 * dof * BOLTZMANN_EV_PER_K * 300


def test_maxwell_boltzmann_has_exact_temperature_and_no_drift():
    masses = np.tile([15.9994, 1.00794, 1.00794], 30)
    v = maxwell_boltzmann(masses, 250.0, np.random.default_rng(1))
    dof = 3 * len(masses) - 3
    assert 2 * kinetic_energy(v, masses) / (dof * BOLTZMANN_EV_PER_K) == pytest.approx(250.0)
    assert np.abs(np.einsum("nd,n->d", v, masses)).max() < 1e-12
    w = v + 1.0
    remove_drift(w, masses)
    np.testing.assert_allclose(w, v, atol=1e-12)


def test_plain_verlet_nve_keeps_the_energy(small_box):
    x, numbers, box = small_box
    masses = np.where(numbers == 8, 15.9994, 1.00794)
    model = make_soft_model()
    v = maxwell_boltzmann(masses, 300.0, np.random.default_rng(0))
    sim = Simulation(model, x, v, numbers, masses, box, RunSettings(ps=0.5, thermostat="none", mts=1))
    traj = simulate(sim, progress=False)
    energy = np.array([row.conserved_ev for row in traj.log])
    drift_per_atom_ps = abs(energy[-1] - energy[0]) / len(masses) / 0.5
    assert traj.status == "ok" and drift_per_atom_ps < 1e-3  # < 1 meV/atom/ps
    assert np.ptp(energy) / len(masses) < 1e-3


def test_blow_up_stops_the_run_and_keeps_the_last_good_frame(small_box):
    x, numbers, box = small_box
    masses = np.where(numbers == 8, 15.9994, 1.00794)
    model = make_random_model("agent", psd=False, seed=5)
    v = maxwell_boltzmann(masses, 3000.0, np.random.default_rng(0)) * 20
    sim = Simulation(model, x, v, numbers, masses, box, RunSettings(ps=1.0, frame_every=5, log_every=5))
    traj = simulate(sim, progress=False)
    assert traj.status.startswith("blow-up at")
    assert np.all(np.isfinite(traj.positions[-1]))


def test_shipped_model_nve_has_no_energy_drift():
    """The fitted default model, conservative mode, 0.5 fs, from a reference frame."""
    from autoparticles.molecular.agent import load_model
    from autoparticles.molecular.reference.dataset import load_reference
    from autoparticles.molecular.world import start_from_reference

    data = load_reference()
    sim = start_from_reference(load_model(), data, RunSettings(ps=1.0, thermostat="none"))
    traj = simulate(sim, progress=False)
    energy = np.array([row.conserved_ev for row in traj.log])
    times = np.array([row.time_fs for row in traj.log]) / 1000.0
    slope = np.polyfit(times, energy, 1)[0] / len(data.numbers)  # eV/atom/ps
    assert traj.status == "ok" and abs(slope) < 1e-3


def test_md_progress_bar_ends_at_its_total(small_box, capfd):
    x, numbers, box = small_box
    masses = np.where(numbers == 8, 15.9994, 1.00794)
    v = maxwell_boltzmann(masses, 300.0, np.random.default_rng(0))
    simulate(Simulation(make_soft_model(), x, v, numbers, masses, box, RunSettings(ps=0.25)))
    err = capfd.readouterr().err
    assert "0.25/0.25 ps" in err and "100%" in err and ", ," not in err


def test_observers_run_at_their_interval_and_a_failed_check_raises(small_box):
    from autoparticles.molecular.world import BlowUp, LogRow

    x, numbers, box = small_box
    masses = np.where(numbers == 8, 15.9994, 1.00794)
    sim = Simulation(make_soft_model(), x, np.zeros_like(x), numbers, masses, box, RunSettings(mts=1))
    seen = []
    sim.attach(lambda s: seen.append(s.steps_done), interval=3)
    sim.run(7)
    assert seen == [0, 3, 6] and isinstance(sim.log_row(), LogRow)

    def fail(s):
        raise BlowUp("stop", s.time)

    sim.attach(fail, interval=2)
    with pytest.raises(BlowUp):
        sim.run(4)
    assert sim.steps_done == 7  # the check ran before the first step
