"""Velocity Verlet with an optional Nosé–Hoover chain thermostat (NVT) and its conserved
quantity. Units: Å, fs, u, eV; accelerations F/m × ACCEL [Å/fs²].

The chain follows Martyna, Klein & Tuckerman (J. Chem. Phys. 97, 2635, 1992) with the
Trotter splitting of Martyna, Tuckerman, Tobias & Klein (Mol. Phys. 87, 1117, 1996): a
half-step of the chain, the Verlet step, another half-step of the chain.
"""

from dataclasses import dataclass, field

import numpy as np

from autoparticles.molecular.units import AMU_A2_PER_FS2_TO_EV, BOLTZMANN_EV_PER_K

ACCEL = 1.0 / AMU_A2_PER_FS2_TO_EV
"""(eV/Å)/u in Å/fs²."""


def kinetic_energy(velocities: np.ndarray, masses: np.ndarray) -> float:
    """[eV] of velocities (N, 3) [Å/fs] and masses (N,) [u]."""
    return 0.5 * float(np.einsum("nd,n->", velocities * velocities, masses)) * AMU_A2_PER_FS2_TO_EV


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
        """Propagate the chain by dt/2 and scale `velocities` in place; returns the new KE."""
        q, p, kt, m = self.q, self.p_xi, self.kt, self.length
        quarter, eighth = dt / 4, dt / 8

        def force(j, ke):  # dp_j/dt [eV]
            return 2 * ke - self.dof * kt if j == 0 else p[j - 1] ** 2 / q[j - 1] - kt

        p[m - 1] += force(m - 1, kinetic) * quarter
        for j in range(m - 2, -1, -1):
            damp = np.exp(-p[j + 1] / q[j + 1] * eighth)
            p[j] = (p[j] * damp + force(j, kinetic) * quarter) * damp
        scale = np.exp(-p[0] / q[0] * dt / 2)
        velocities *= scale
        kinetic *= scale * scale
        self.xi += p / q * dt / 2
        for j in range(m - 1):
            damp = np.exp(-p[j + 1] / q[j + 1] * eighth)
            p[j] = (p[j] * damp + force(j, kinetic) * quarter) * damp
        p[m - 1] += force(m - 1, kinetic) * quarter
        return kinetic

    def energy(self) -> float:
        """Thermostat part of the conserved quantity [eV]."""
        return float(np.sum(self.p_xi**2 / (2 * self.q)) + self.dof * self.kt * self.xi[0]
                     + self.kt * np.sum(self.xi[1:]))


def remove_drift(velocities: np.ndarray, masses: np.ndarray) -> None:
    """Subtract the centre-of-mass velocity in place."""
    velocities -= np.einsum("nd,n->d", velocities, masses) / masses.sum()


def maxwell_boltzmann(masses: np.ndarray, temperature: float, rng) -> np.ndarray:
    """(N, 3) velocities [Å/fs] at `temperature` [K], zero total momentum, rescaled exactly."""
    sigma = np.sqrt(BOLTZMANN_EV_PER_K * temperature * ACCEL / masses)
    v = rng.normal(size=(len(masses), 3)) * sigma[:, None]
    remove_drift(v, masses)
    dof = 3 * len(masses) - 3
    current = 2 * kinetic_energy(v, masses) / (dof * BOLTZMANN_EV_PER_K)
    return v * np.sqrt(temperature / current)
