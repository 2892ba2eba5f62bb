"""Unit conventions and conversion constants for the water model.

Internal units: length [Å], time [fs], mass [u] (g/mol), energy [eV], force [eV/Å],
velocity [Å/fs], temperature [K].

CP2K writes forces in Hartree/Bohr and velocities in Bohr per atomic time unit; the constants
below are CODATA 2018 values (https://physics.nist.gov/cuu/Constants/).
"""

BOHR_ANGSTROM = 0.529177210903
"""1 Bohr in Å (CODATA 2018)."""

HARTREE_EV = 27.211386245988
"""1 Hartree in eV (CODATA 2018)."""

ATOMIC_TIME_FS = 2.4188843265857e-2
"""1 atomic unit of time (ħ/E_h) in fs (CODATA 2018)."""

HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM = HARTREE_EV / BOHR_ANGSTROM
BOHR_PER_ATOMIC_TIME_TO_ANGSTROM_PER_FS = BOHR_ANGSTROM / ATOMIC_TIME_FS

BOLTZMANN_EV_PER_K = 8.617333262e-5
"""Boltzmann constant k_B in eV/K (CODATA 2018, exact)."""

AMU_A2_PER_FS2_TO_EV = 103.6426965268
"""Kinetic energy unit: 1 u·Å²/fs² in eV (1 u = 1.66053906660e-27 kg, 1 eV = 1.602176634e-19 J)."""

AVOGADRO = 6.02214076e23
"""Avogadro constant [1/mol] (exact, SI 2019)."""
EV_TO_KJ_PER_MOL = 1.602176634e-19 * AVOGADRO / 1000.0
"""1 eV in kJ/mol."""
