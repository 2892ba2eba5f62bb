"""The learning-based simulation: every atom descends its loss (velocity Verlet, Nosé–Hoover
chain), with a blow-up guard that keeps the last good frame."""

import csv
import time
from dataclasses import dataclass

import numpy as np

from autoparticles.molecular.integrators import (
    ACCEL,
    NoseHooverChain,
    kinetic_energy,
    maxwell_boltzmann,
    remove_drift,
)
from autoparticles.molecular.model import WaterModel, species_indices
from autoparticles.molecular.units import BOLTZMANN_EV_PER_K, SYMBOL
from autoparticles.molecular.extxyz import format_frame

LOG_COLUMNS = ("time_fs", "temperature_k", "loss_sum_ev", "kinetic_ev", "conserved_ev",
               "momentum", "out_of_range_atoms")


@dataclass(frozen=True)
class RunSettings:
    """ps: simulated time; dt [fs]; thermostat: 'nose-hoover' or 'none' (NVE); nhc_tau [fs];
    frame_every / log_every: steps between stored frames / log rows; min_distance [Å]: two
    atoms closer than this count as a blow-up."""

    ps: float = 20.0
    temperature: float = 300.0
    dt: float = 0.5
    thermostat: str = "nose-hoover"
    nhc_tau: float = 100.0
    nhc_length: int = 3
    frame_every: int = 20
    log_every: int = 20
    min_distance: float = 0.5
    seed: int = 0

    def __post_init__(self):
        if self.thermostat not in ("nose-hoover", "none"):
            raise ValueError(f"thermostat must be 'nose-hoover' or 'none', got {self.thermostat!r}")
        for name in ("ps", "temperature", "dt", "frame_every", "log_every"):
            if not (np.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise ValueError(f"{name} must be a positive number, got {getattr(self, name)}")

    @property
    def steps(self) -> int:
        return int(round(self.ps * 1000.0 / self.dt))


class BlowUp(RuntimeError):
    """The simulation left physical ground; `last_good` holds the last frame that passed."""

    def __init__(self, message: str, time_fs: float, last_good: np.ndarray):
        super().__init__(message)
        self.time_fs, self.last_good = time_fs, last_good


@dataclass
class Trajectory:
    """times: (F,) [fs]; positions: (F, N, 3) [Å] unwrapped; log: rows of LOG_COLUMNS;
    status: 'ok' or the blow-up message; steps_per_second: wall-clock speed."""

    times: np.ndarray
    positions: np.ndarray
    temperatures: np.ndarray
    log: list
    status: str
    steps_per_second: float


class Simulation:
    """State (x, v) of atoms with atomic numbers and a periodic box, driven by a model."""

    def __init__(self, model: WaterModel, positions, velocities, numbers, masses, box,
                 settings: RunSettings = RunSettings()):
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
        self.dof = 3 * len(self.masses) - 3
        self.nlist = model.new_neighbour_list(self.box)
        self.chain = (NoseHooverChain(settings.temperature, self.dof, settings.nhc_tau,
                                      settings.nhc_length)
                      if settings.thermostat == "nose-hoover" else None)
        remove_drift(self.v, self.masses)
        self.losses, self.forces, self.phi = model.evaluate(self.x, self.species, self.nlist)
        self.time = 0.0

    def temperature(self) -> float:
        return 2 * kinetic_energy(self.v, self.masses) / (self.dof * BOLTZMANN_EV_PER_K)

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

    def step(self) -> None:
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

    def _check(self) -> str | None:
        if not (np.all(np.isfinite(self.x)) and np.all(np.isfinite(self.forces))):
            return "non-finite positions or forces"
        close = self.nlist.pairs_within(self.x, self.settings.min_distance)[0]
        if len(close):
            return f"atoms closer than {self.settings.min_distance} Å (atom {close[0]})"
        return None

    def _blow_up(self, problem, kept_times: list) -> str:
        kept = kept_times[-1] / 1000 if kept_times else 0.0
        return f"blow-up at {self.time / 1000:.3f} ps: {problem}; kept the frame at {kept:.3f} ps"

    def log_row(self) -> tuple:
        momentum = np.einsum("nd,n->d", self.v, self.masses)
        return (self.time, self.temperature(), float(self.losses.sum()),
                kinetic_energy(self.v, self.masses), self.conserved(),
                float(np.linalg.norm(momentum)), self.out_of_range())

    def run(self, steps: int | None = None, trajectory_path=None, log_path=None,
            progress: bool = True) -> Trajectory:
        """Advance `steps` (default: settings.ps); write extended XYZ and CSV if paths are
        given. A blow-up ends the run early: status says why, the last good frame is kept."""
        from tqdm.auto import tqdm

        s = self.settings
        steps = s.steps if steps is None else steps
        symbols = [SYMBOL[int(z)] for z in self.numbers]
        traj = open(trajectory_path, "w") if trajectory_path else None
        log_file = open(log_path, "w", newline="") if log_path else None
        writer = csv.writer(log_file) if log_file else None
        if writer:
            writer.writerow(LOG_COLUMNS)
        times, frames, temps, log = [], [], [], []
        status, good = "ok", self.x.copy()
        bar = tqdm(total=steps * s.dt / 1000.0, unit="ps", disable=not progress,
                   bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} ps [{elapsed}<{remaining}{postfix}]")
        started = time.perf_counter()
        done = 0
        try:
            for k in range(steps + 1):
                if k % s.frame_every == 0 or k % s.log_every == 0:
                    problem = self._check()
                    if problem:
                        status = self._blow_up(problem, times)
                        break
                    good = self.x.copy()
                if k % s.frame_every == 0:
                    times.append(self.time)
                    frames.append(good)
                    temps.append(self.temperature())
                    if traj:
                        traj.write(format_frame(symbols, self.x, self.box, self.v, {
                            "time_fs": self.time, "temperature_k": self.temperature(),
                            "loss_sum_ev": float(self.losses.sum())}))
                if k % s.log_every == 0:
                    row = self.log_row()
                    log.append(row)
                    if writer:
                        writer.writerow(row)
                if k == steps:
                    break
                try:
                    self.step()
                except ValueError as error:  # non-finite positions reach the neighbour list
                    status = self._blow_up(error, times)
                    break
                done += 1
                if k % 200 == 0 or k + 1 == steps:
                    elapsed = time.perf_counter() - started
                    bar.n = round(self.time / 1000.0, 3)
                    bar.set_postfix_str(f"{self.time / 1000.0 / max(elapsed, 1e-9):.2f} ps/s")
        finally:
            bar.close()
            for handle in (traj, log_file):
                if handle:
                    handle.close()
        rate = done / max(time.perf_counter() - started, 1e-9)
        return Trajectory(np.array(times), np.array(frames), np.array(temps), log, status, rate)


def start_from_reference(model, data, settings: RunSettings, frame: int = -1) -> Simulation:
    """Simulation starting at a frame of the reference dataset (its positions and velocities)."""
    velocities = data.velocities[frame] if data.velocities is not None else maxwell_boltzmann(
        data.masses, settings.temperature, np.random.default_rng(settings.seed))
    return Simulation(model, data.positions[frame], velocities, data.numbers, data.masses,
                      data.box, settings)


def start_from_lattice(model, molecules: int, settings: RunSettings) -> Simulation:
    """Simulation starting from a random non-overlapping water box at 0.997 g/cm³ with
    Maxwell–Boltzmann velocities."""
    from autoparticles.molecular.units import ATOMIC_MASS
    from autoparticles.molecular.water_box import build_water_box

    box = build_water_box(molecules, seed=settings.seed)
    masses = np.array([ATOMIC_MASS[int(z)] for z in box.numbers])
    v = maxwell_boltzmann(masses, settings.temperature, np.random.default_rng(settings.seed))
    return Simulation(model, box.positions, v, box.numbers, masses, box.box, settings)

