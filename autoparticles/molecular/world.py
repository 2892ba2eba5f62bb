"""How the atoms move: velocity Verlet with an optional Nosé–Hoover chain (NVT) under a model's
forces, in one run loop whose checks, recorders, writers and progress bar are observers
(ASE's `dyn.attach(fn, interval)`). Units: Å, fs, u, eV; accelerations F/m × ACCEL [Å/fs²].

The chain follows Martyna, Klein & Tuckerman (J. Chem. Phys. 97, 2635, 1992) with the
Trotter splitting of Martyna, Tuckerman, Tobias & Klein (Mol. Phys. 87, 1117, 1996): a
half-step of the chain, the Verlet step, another half-step of the chain.
"""

import csv
import dataclasses
import math
import time
from contextlib import ExitStack, closing
from dataclasses import dataclass, field

import numpy as np

from autoparticles.molecular.agent import WaterModel
from autoparticles.molecular.config import AUTO_MTS, RunSettings, masses, species_indices
from autoparticles.molecular.io import write_frame
from autoparticles.molecular.units import AMU_A2_PER_FS2_TO_EV, BOLTZMANN_EV_PER_K

ACCEL = 1.0 / AMU_A2_PER_FS2_TO_EV
"""(eV/Å)/u in Å/fs²."""
PROGRESS_EVERY = 200
"""Steps between progress-bar updates."""


# ------------------------------------------------------------------ integrators
def kinetic_energy(velocities: np.ndarray, masses: np.ndarray):
    """[eV] of velocities (..., N, 3) [Å/fs] and masses (N,) [u]: a float, or one per frame."""
    v = np.asarray(velocities)
    kinetic = 0.5 * np.einsum("...nd,n->...", v * v, masses) * AMU_A2_PER_FS2_TO_EV
    return float(kinetic) if kinetic.ndim == 0 else kinetic


def temperature(velocities: np.ndarray, masses: np.ndarray):
    """Kinetic temperature [K] of velocities (..., N, 3) [Å/fs]; 3N - 3 degrees of freedom
    (the total momentum is fixed)."""
    return 2 * kinetic_energy(velocities, masses) / ((3 * len(masses) - 3) * BOLTZMANN_EV_PER_K)


@dataclass
class NoseHooverChain:
    """Chain of `length` thermostats at temperature [K] with time constant tau [fs] acting on
    `dof` degrees of freedom; Q_1 = dof kT τ², Q_j = kT τ²."""

    temperature: float
    dof: int
    tau: float = 100.0
    length: int = 3
    xi: np.ndarray = field(init=False)
    p_xi: np.ndarray = field(init=False)

    def __post_init__(self):
        if self.temperature <= 0 or self.tau <= 0 or self.length < 1:
            raise ValueError("Nosé–Hoover chain needs temperature > 0, tau > 0, length >= 1")
        self.kt = BOLTZMANN_EV_PER_K * self.temperature
        self.q = np.full(self.length, self.kt * self.tau**2)
        self.q[0] *= self.dof
        self.xi = np.zeros(self.length)
        self.p_xi = np.zeros(self.length)

    def half_step(self, velocities: np.ndarray, kinetic: float, dt: float) -> float:
        """Propagate the chain by dt/2 and scale `velocities` in place; returns the new KE.
        (The chain's few numbers are handled as Python floats: numpy scalars cost more.)"""
        q, p, kt, m = self.q.tolist(), self.p_xi.tolist(), self.kt, self.length
        quarter, eighth = dt / 4, dt / 8

        def force(j, ke):  # dp_j/dt [eV]
            return 2 * ke - self.dof * kt if j == 0 else p[j - 1] ** 2 / q[j - 1] - kt

        p[m - 1] += force(m - 1, kinetic) * quarter
        for j in range(m - 2, -1, -1):
            damp = math.exp(-p[j + 1] / q[j + 1] * eighth)
            p[j] = (p[j] * damp + force(j, kinetic) * quarter) * damp
        scale = math.exp(-p[0] / q[0] * dt / 2)
        velocities *= scale
        kinetic *= scale * scale
        self.xi += np.array(p) / self.q * dt / 2
        for j in range(m - 1):
            damp = math.exp(-p[j + 1] / q[j + 1] * eighth)
            p[j] = (p[j] * damp + force(j, kinetic) * quarter) * damp
        p[m - 1] += force(m - 1, kinetic) * quarter
        self.p_xi[:] = p
        return kinetic

    def energy(self) -> float:
        """Thermostat part of the conserved quantity [eV]."""
        return float(np.sum(self.p_xi**2 / (2 * self.q)) + self.dof * self.kt * self.xi[0]
                     + self.kt * np.sum(self.xi[1:]))


def remove_drift(velocities: np.ndarray, masses: np.ndarray) -> None:
    """Subtract the centre-of-mass velocity in place."""
    velocities -= np.einsum("nd,n->d", velocities, masses) / masses.sum()


def maxwell_boltzmann(masses: np.ndarray, temperature_k: float, rng) -> np.ndarray:
    """(N, 3) velocities [Å/fs] at `temperature_k` [K], zero total momentum, rescaled exactly."""
    sigma = np.sqrt(BOLTZMANN_EV_PER_K * temperature_k * ACCEL / masses)
    v = rng.normal(size=(len(masses), 3)) * sigma[:, None]
    remove_drift(v, masses)
    return v * np.sqrt(temperature_k / temperature(v, masses))


# ------------------------------------------------------------------ the simulation
class BlowUp(RuntimeError):
    """The simulation left physical ground at `time_fs`."""

    def __init__(self, message: str, time_fs: float):
        super().__init__(message)
        self.time_fs = time_fs


@dataclass(frozen=True)
class LogRow:
    """One row of the run's log (a line of log.csv)."""

    time_fs: float
    temperature_k: float
    loss_sum_ev: float
    kinetic_ev: float
    conserved_ev: float
    momentum: float
    out_of_range_atoms: int


LOG_COLUMNS = tuple(f.name for f in dataclasses.fields(LogRow))


def concrete_settings(settings: RunSettings, model: WaterModel, splittable: bool = True
                      ) -> RunSettings:
    """settings with an automatic mts made concrete for `model`: AUTO_MTS (or the most of it
    the intervals allow) for a conservative model, radial or angular, whose engine can split
    off the stiff part (`splittable`), 1 otherwise: the agent mode's forces are no energy's
    gradient."""
    return settings.resolved(AUTO_MTS if splittable and model.mode == "conservative" else 1)


class Simulation:
    """State (x, v) of atoms with atomic numbers and a periodic box, driven by a model;
    `attach(fn, interval)` adds an observer fn(sim) called every `interval` steps of `run`.
    An automatic mts in `settings` is made concrete here (concrete_settings)."""

    engine = "our engine"
    """Who takes the steps (reports name it)."""

    def __init__(self, model: WaterModel, positions, velocities, numbers, masses, box,
                 settings: RunSettings = RunSettings()):
        settings = concrete_settings(settings, model)
        self.model, self.settings = model, settings
        self.x = np.array(positions, dtype=np.float64)
        if not np.all(np.isfinite(self.x)):
            raise ValueError("start positions hold non-finite values")
        self.v = np.array(velocities, dtype=np.float64)
        self.numbers = np.asarray(numbers)
        self.species = species_indices(numbers)
        self.masses = np.asarray(masses, dtype=np.float64)
        self.box = np.asarray(box, dtype=np.float64)
        if model.basis.cutoff >= 0.5 * self.box.min():
            raise ValueError(f"model cutoff {model.basis.cutoff} Å is not below half the box "
                             f"({0.5 * self.box.min():.3f} Å)")
        self.nlist = model.new_neighbour_list(self.box)
        self.chain = (NoseHooverChain(settings.temperature, 3 * len(self.masses) - 3,
                                      settings.nhc_tau, settings.nhc_length)
                      if settings.thermostat == "nose-hoover" else None)
        remove_drift(self.v, self.masses)
        self.losses, self.forces, self.phi = model.evaluate(self.x, self.species, self.nlist)
        self.stiff = None
        if settings.mts > 1:
            from autoparticles.molecular.respa import StiffPart

            self.stiff = StiffPart(model, self.x, self.species, self.numbers, self.nlist, self.phi)
            self.stiff_forces = self.stiff.evaluate(self.x)[1]
        self.time = 0.0
        self.steps_done = 0
        self.observers = []

    def temperature(self) -> float:
        return temperature(self.v, self.masses)

    def conserved(self) -> float:
        """Loss sum + kinetic energy (+ thermostat energy): constant in conservative mode."""
        total = float(self.losses.sum()) + kinetic_energy(self.v, self.masses)
        return total + (self.chain.energy() if self.chain else 0.0)

    def out_of_range(self) -> int:
        """Atoms with an invariant outside the training range (widened by 10 %)."""
        if self.model.bounds is None:
            return 0
        low, high = self.model.bounds[self.species, 0], self.model.bounds[self.species, 1]
        margin = 0.1 * (high - low)
        return int(np.any((self.phi < low - margin) | (self.phi > high + margin), axis=1).sum())

    def log_row(self) -> LogRow:
        momentum = np.einsum("nd,n->d", self.v, self.masses)
        return LogRow(self.time, self.temperature(), float(self.losses.sum()),
                      kinetic_energy(self.v, self.masses), self.conserved(),
                      float(np.linalg.norm(momentum)), self.out_of_range())

    def step(self) -> None:
        """One step of dt (velocity Verlet), or with mts = k one r-RESPA step of k·dt."""
        if self.stiff is not None:
            return self._respa_step()
        dt, inv_m = self.settings.dt, ACCEL / self.masses[:, None]
        if self.chain:
            self.chain.half_step(self.v, kinetic_energy(self.v, self.masses), dt)
        self.v += 0.5 * dt * self.forces * inv_m
        self.x += dt * self.v
        self.losses, self.forces, self.phi = self.model.evaluate(self.x, self.species, self.nlist)
        self.v += 0.5 * dt * self.forces * inv_m
        if self.model.mode == "agent":
            remove_drift(self.v, self.masses)
        if self.chain:
            self.chain.half_step(self.v, kinetic_energy(self.v, self.masses), dt)
        self.time += dt
        self.steps_done += 1

    def _respa_step(self) -> None:
        """Impulse r-RESPA (respa.py): the chain and a half kick of the slow forces over k·dt,
        k velocity Verlet steps of dt under the stiff forces, the full evaluation, the other
        half kick and chain half-step. Between calls, x, v, losses and forces are those of
        the full model, as after a plain step."""
        k, dt, inv_m = self.settings.mts, self.settings.dt, ACCEL / self.masses[:, None]
        outer = k * dt
        if self.chain:
            self.chain.half_step(self.v, kinetic_energy(self.v, self.masses), outer)
        self.v += 0.5 * outer * (self.forces - self.stiff_forces) * inv_m
        self.stiff.advance(self.x, self.v, self.stiff_forces, inv_m, dt, k)
        self.losses, self.forces, self.phi = self.model.evaluate(self.x, self.species, self.nlist)
        self.v += 0.5 * outer * (self.forces - self.stiff_forces) * inv_m
        if self.chain:
            self.chain.half_step(self.v, kinetic_energy(self.v, self.masses), outer)
        self.time += outer
        self.steps_done += k

    @property
    def stride(self) -> int:
        """Steps of dt one `step()` takes (settings.mts)."""
        return self.settings.mts

    def attach(self, observer, interval: int = 1) -> None:
        """Call observer(sim) every `interval` steps of dt (a multiple of `stride`)."""
        if interval % self.stride:
            raise ValueError(f"observer interval {interval} is not a multiple of mts = {self.stride}")
        self.observers.append((observer, interval))

    def run(self, steps: int) -> None:
        """Advance `steps` of dt (a multiple of `stride`), calling the observers before step k
        when k % interval == 0 (and after the last); raises BlowUp when a check fails or the
        state stops being finite."""
        if steps % self.stride:
            raise ValueError(f"{steps} steps is not a multiple of mts = {self.stride}")
        for k in range(0, steps + 1, self.stride):
            for observer, interval in self.observers:
                if k % interval == 0:
                    observer(self)
            if k == steps:
                return
            try:
                self.step()
            except ValueError as error:  # non-finite positions reach the neighbour list
                raise BlowUp(str(error), self.time) from None


# ------------------------------------------------------------------ observers
def check_physical(sim: Simulation) -> None:
    """Raise BlowUp on non-finite positions or forces, or two atoms closer than min_distance."""
    if not (np.all(np.isfinite(sim.x)) and np.all(np.isfinite(sim.forces))):
        raise BlowUp("non-finite positions or forces", sim.time)
    close = sim.nlist.pairs_within(sim.x, sim.settings.min_distance)[0]
    if len(close):
        raise BlowUp(f"atoms closer than {sim.settings.min_distance} Å (atom {close[0]})", sim.time)


class FrameRecorder:
    """Times [fs], positions (unwrapped) [Å] and temperatures [K] of the observed frames."""

    def __init__(self):
        self.times, self.positions, self.temperatures = [], [], []

    def __call__(self, sim: Simulation) -> None:
        self.times.append(sim.time)
        self.positions.append(sim.x.copy())
        self.temperatures.append(sim.temperature())


class LogRecorder:
    """LogRow of every observed step; also as CSV lines in `path` when given."""

    def __init__(self, path=None):
        self.rows = []
        self.file = open(path, "w", newline="") if path else None
        self.writer = csv.writer(self.file) if self.file else None
        if self.writer:
            self.writer.writerow(LOG_COLUMNS)

    def __call__(self, sim: Simulation) -> None:
        row = sim.log_row()
        self.rows.append(row)
        if self.writer:
            self.writer.writerow(dataclasses.astuple(row))

    def close(self) -> None:
        if self.file:
            self.file.close()


class TrajectoryWriter:
    """Extended XYZ frames (positions, velocities, time, temperature and loss sum) in `path`."""

    def __init__(self, path):
        self.file = open(path, "w")

    def __call__(self, sim: Simulation) -> None:
        write_frame(self.file, sim.numbers, sim.x, sim.box, sim.v, {
            "time_fs": sim.time, "temperature_k": sim.temperature(),
            "loss_sum_ev": float(sim.losses.sum())})

    def close(self) -> None:
        self.file.close()


class ProgressBar:
    """tqdm bar over simulated ps with the rate in ps/s."""

    def __init__(self, total_ps: float):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total_ps, unit="ps",
                        bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} ps [{elapsed}<{remaining}{postfix}]")
        self.started, self.sim = time.perf_counter(), None

    def __call__(self, sim: Simulation) -> None:
        self.sim = sim
        self.bar.n = round(sim.time / 1000.0, 3)
        rate = sim.time / 1000.0 / max(time.perf_counter() - self.started, 1e-9)
        self.bar.set_postfix_str(f"{rate:.2f} ps/s")

    def close(self) -> None:
        if self.sim is not None:
            self(self.sim)
        self.bar.close()


# ------------------------------------------------------------------ a recorded run
@dataclass
class Trajectory:
    """times: (F,) [fs]; positions: (F, N, 3) [Å] unwrapped; temperatures: (F,) [K]; log:
    LogRows; status: 'ok' or the blow-up message; steps_per_second: wall-clock speed."""

    times: np.ndarray
    positions: np.ndarray
    temperatures: np.ndarray
    log: list
    status: str
    steps_per_second: float


def simulate(sim: Simulation, steps: int | None = None, trajectory_path=None, log_path=None,
             progress: bool = True) -> Trajectory:
    """Run `steps` (default: settings.ps) with the checks, frames and log of the settings,
    writing extended XYZ and CSV if paths are given. A blow-up ends the run early: the status
    says why, and the frames end at the last one that passed the check."""
    s = sim.settings
    steps = s.steps if steps is None else steps
    frames, before, done = FrameRecorder(), len(sim.observers), sim.steps_done
    with ExitStack() as stack:
        log = stack.enter_context(closing(LogRecorder(log_path)))
        sim.attach(check_physical, math.gcd(s.frame_every, s.log_every))
        sim.attach(frames, s.frame_every)
        sim.attach(log, s.log_every)
        if trajectory_path:
            sim.attach(stack.enter_context(closing(TrajectoryWriter(trajectory_path))), s.frame_every)
        if progress:
            sim.attach(stack.enter_context(closing(ProgressBar(steps * s.dt / 1000.0))),
                       sim.stride * math.ceil(PROGRESS_EVERY / sim.stride))
        started, status = time.perf_counter(), "ok"
        try:
            sim.run(steps)
        except BlowUp as error:
            kept = frames.times[-1] / 1000 if frames.times else 0.0
            status = f"blow-up at {error.time_fs / 1000:.3f} ps: {error}; kept the frame at {kept:.3f} ps"
        finally:
            del sim.observers[before:]
    rate = (sim.steps_done - done) / max(time.perf_counter() - started, 1e-9)
    return Trajectory(np.array(frames.times), np.array(frames.positions),
                      np.array(frames.temperatures), log.rows, status, rate)


def start_from_reference(model, data, settings: RunSettings, frame: int = -1,
                         simulation=Simulation) -> Simulation:
    """Simulation starting at a frame of the reference dataset (its positions and velocities);
    `simulation`: the class (or factory with its arguments) that runs it, e.g. OpenMMSimulation."""
    velocities = data.velocities[frame] if data.velocities is not None else maxwell_boltzmann(
        data.masses, settings.temperature, np.random.default_rng(settings.seed))
    return simulation(model, data.positions[frame], velocities, data.numbers, data.masses,
                      data.box, settings)


def start_from_lattice(model, molecules: int, settings: RunSettings,
                       simulation=Simulation) -> Simulation:
    """Simulation starting from a random non-overlapping water box at 0.997 g/cm³ with
    Maxwell–Boltzmann velocities."""
    from autoparticles.molecular.box import build_water_box

    box = build_water_box(molecules, seed=settings.seed)
    m = masses(box.numbers)
    v = maxwell_boltzmann(m, settings.temperature, np.random.default_rng(settings.seed))
    return simulation(model, box.positions, v, box.numbers, m, box.box, settings)


def start_simulation(model, data, settings: RunSettings, start: str = "reference",
                     molecules: int = 64, simulation=Simulation) -> Simulation:
    """'reference': from the frame at 70 % of the dataset; 'lattice': from a random box;
    `simulation` as in `start_from_reference`."""
    if start == "reference":
        if data is None:
            raise ValueError("--start reference needs a reference dataset")
        return start_from_reference(model, data, settings, int(0.7 * data.n_frames), simulation)
    if start == "lattice":
        return start_from_lattice(model, molecules, settings, simulation)
    raise ValueError(f"start must be 'reference' or 'lattice', got {start!r}")
