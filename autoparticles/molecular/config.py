"""What water's particles are (the species O and H) and the settings of its three stages:
the CP2K reference run, the fit and the learned simulation. Every default lives here, once;
the command line and `fit_model(data)` read the same dataclasses."""

from dataclasses import dataclass, replace

import numpy as np

from autoparticles.config import (ConfigError, Settings, at_least, non_negative, one_of,
                                  optional, positive, setting, within)


@dataclass(frozen=True)
class Element:
    """symbol; number: atomic number; mass: standard atomic weight [u] (the value CP2K uses)."""

    symbol: str
    number: int
    mass: float


SPECIES = (Element("O", 8, 15.9994), Element("H", 1, 1.00794))
"""Species index -> element: O = 0, H = 1 (the order of the model's losses)."""
SPECIES_NAMES = tuple(e.symbol for e in SPECIES)
_BY_NUMBER = {e.number: k for k, e in enumerate(SPECIES)}
_BY_SYMBOL = {e.symbol: e.number for e in SPECIES}
MODES = ("conservative", "agent")
"""Force modes of a model (see agent.py)."""
BLEND_SHARE = 0.5
"""The shipped blend's share of the angular model beside the pair model (blend.py): the
smallest of those measured (0.4, 0.5, 0.6) whose test force errors are both within 0.10
(README)."""
FORCE_FORMS = ("kernels", "expressions")
"""How a model enters OpenMM (see openmm_system.py); the first is the default."""


def species_indices(numbers) -> np.ndarray:
    """(N,) species indices of atomic numbers; only O and H are known."""
    numbers = np.asarray(numbers)
    unknown = sorted(set(numbers.tolist()) - set(_BY_NUMBER))
    if unknown:
        raise ValueError(f"the water model knows O and H only, got atomic numbers {unknown}")
    return np.array([_BY_NUMBER[int(z)] for z in numbers], dtype=np.int64)


def symbols(numbers) -> list[str]:
    """Chemical symbols of atomic numbers (N,)."""
    return [SPECIES[k].symbol for k in species_indices(numbers)]


def atomic_numbers(names) -> np.ndarray:
    """(N,) atomic numbers of chemical symbols."""
    unknown = sorted(set(names) - set(_BY_SYMBOL))
    if unknown:
        raise ValueError(f"the water model knows O and H only, got symbols {unknown}")
    return np.array([_BY_SYMBOL[s] for s in names], dtype=np.int64)


def masses(numbers) -> np.ndarray:
    """(N,) atomic masses [u] of atomic numbers."""
    return np.array([SPECIES[k].mass for k in species_indices(numbers)])


@dataclass(frozen=True)
class ReferenceRunSpec(Settings):
    """A CP2K reference run (saved as `spec.json` in its work folder)."""

    molecules: int = setting(64, at_least(1), "H2O in the box")
    temperature: float = setting(300.0, positive, "target temperature [K]")
    equilibration_ps: float = setting(1.0, non_negative, "CSVR stage [ps]")
    production_ps: float = setting(5.0, positive, "Nose-Hoover stage [ps]")
    stride: int = setting(10, at_least(1), "store every STRIDE steps")
    seed: int = setting(1, at_least(1), "box builder and CP2K seed (> 0)")
    timestep_fs: float = setting(0.5, positive, "[fs]")
    density_g_cm3: float = setting(0.997, positive, "[g/cm³]")
    csvr_timecon_fs: float = setting(25.0, positive, "[fs]")
    nose_timecon_fs: float = setting(100.0, positive, "[fs]")
    nose_chain_length: int = setting(3, at_least(1))
    nnp_member: int = setting(1, one_of(*range(1, 9)), "C-NNP committee member")
    restart_every: int = setting(100, at_least(1), "steps between CP2K restart files (the "
                                 "most an interruption loses)")

    def steps(self, ps: float) -> int:
        return int(round(ps * 1000.0 / self.timestep_fs))


@dataclass(frozen=True)
class FitSettings(Settings):
    """The fit of the per-species losses (learn.py); the defaults are the shipped model's:
    16 Gaussians per species pair, PSD-constrained quadratic losses, molecule rows of weight 2."""

    basis: str = setting("gaussian", one_of("inverse", "gaussian"), "radial basis: inverse or gaussian")
    cutoff: float = setting(6.0, positive, "[Å], below half the box")
    invariants: str = setting("radial", one_of("radial", "angular"),
                              "radial: pair invariants; angular: plus three-body ones")
    ridge: float | None = setting(None, optional(positive),
                                  "λ on standardised columns (None: chosen on validation frames)")
    mode: str = setting("conservative", one_of(*MODES), "force mode: conservative or agent")
    frame_stride: int = setting(2, at_least(1), "use every k-th frame")
    from_positions: bool = setting(False, None, "targets m·a from finite differences of "
                                   "positions (no forces needed)")
    order: int = setting(2, one_of(1, 2), "2: quadratic losses; 1: linear only (pair potentials)")
    convex: bool = setting(True, None, "keep each species' quadratic part positive semidefinite "
                           "(the total loss is bounded below)")
    angular_terms: str = setting("quadratic", one_of("quadratic", "linear"),
                                 "with angular invariants, quadratic: they enter the quadratic "
                                 "part like the radial ones; linear: only the loss's linear "
                                 "part (a three-body potential)")
    molecule_weight: float | None = setting(
        None, optional(non_negative), "weight of the molecules' net forces and torques (about "
        "their O) as extra fitted rows, beside the atoms' forces (weight 1); 0: atoms only; "
        "None: 2 in conservative mode, 0 in agent mode (one problem per species there)")

    def __post_init__(self):
        super().__post_init__()
        if self.molecule_weight and self.mode != "conservative":
            raise ConfigError("molecule_weight needs mode = conservative (an agent-mode fit "
                              "is one problem per species; a molecule mixes both)")

    @property
    def molecule_rows_weight(self) -> float:
        """The molecule rows' weight this fit uses (molecule_weight resolved)."""
        if self.molecule_weight is not None:
            return self.molecule_weight
        return DEFAULT_MOLECULE_WEIGHT if self.mode == "conservative" else 0.0


DEFAULT_MOLECULE_WEIGHT = 2.0
"""Of the weights 0, 1, 2, 3, 5, 10, 30 tried on the pair model (README), the lightest whose
liquid keeps every first RDF peak within ±10 % of CP2K's and D within ±20 % (means over
twelve replicas); heavier weights scatter more and at 30 the bonds give way."""


@dataclass(frozen=True)
class RefineSettings(Settings):
    """Structural refinement (refine.py): `iterations` runs of `ps` from the dataset's frame at
    70 % and at its temperature, each followed by one Boltzmann-inversion correction."""

    iterations: int = setting(6, at_least(1), "runs, each followed by one correction")
    ps: float = setting(10.0, at_least(4.0), "simulated time of each run [ps], at least 4 (the "
                        "D fit spans 3)")
    skip_ps: float = setting(1.0, non_negative, "start of each run left out of its RDFs [ps]")
    damping: float = setting(0.4, within(0.0, 1.0), "share α of k_B T ln(g / g_ref) added "
                             "per iteration")
    ridge: float = setting(1e-3, non_negative, "λ of the projection onto the radial basis, "
                           "relative to the mean squared column")
    mts: int = setting(0, non_negative, "the runs' multiple time steps, as `water run --set "
                       "mts=…` (0: automatic; refine for the integrator the model will run "
                       "with)")

    def __post_init__(self):
        super().__post_init__()
        if self.skip_ps >= self.ps:
            raise ConfigError(f"skip_ps = {self.skip_ps:g} must be below ps = {self.ps:g}")


AUTO_MTS = 4
"""The multiple time steps an automatic mts (0) takes where it can (conservative models):
with 4 the shipped model keeps the NVE drift at the plain integrator's level and validates
as well or better, with 5 it heats (README, docs/water.md)."""


@dataclass(frozen=True)
class RunSettings(Settings):
    """The learned simulation (world.py): frame_every / log_every: steps between stored
    frames / log rows; min_distance: two atoms closer than this count as a blow-up."""

    ps: float = setting(20.0, positive, "simulated time [ps]")
    temperature: float = setting(300.0, positive, "[K]")
    dt: float = setting(0.5, positive, "time step [fs]")
    thermostat: str = setting("nose-hoover", one_of("nose-hoover", "none"),
                              "nose-hoover, or none: constant energy")
    nhc_tau: float = setting(100.0, positive, "Nosé–Hoover time constant [fs]")
    nhc_length: int = setting(3, at_least(1), "Nosé–Hoover chain length")
    frame_every: int = setting(20, at_least(1), "steps between stored frames")
    log_every: int = setting(20, at_least(1), "steps between log rows")
    min_distance: float = setting(0.5, positive, "blow-up distance [Å]")
    seed: int = setting(0, non_negative, "seed of start velocities where they are drawn (a "
                        "lattice start, a dataset without velocities, ensemble replicas); "
                        "a start from a reference frame takes its velocities")
    mts: int = setting(0, non_negative, "multiple time steps (r-RESPA, respa.py): the "
                       "molecules' bonds every step, the rest every MTS steps; 1: plain "
                       "velocity Verlet; 0: automatic, 4 where the model and engine allow "
                       "(a conservative model; fewer when frame_every or log_every is no "
                       "multiple of 4), else 1. frame_every and log_every must be multiples "
                       "of it")

    def __post_init__(self):
        super().__post_init__()
        for name in ("frame_every", "log_every"):
            if self.mts and getattr(self, name) % self.mts:
                raise ConfigError(f"{name} = {getattr(self, name)} must be a multiple of "
                                 f"mts = {self.mts}")

    def resolved(self, largest: int) -> "RunSettings":
        """These settings with an automatic mts (0) made concrete: the largest of largest,
        largest/2, ..., 1 that divides frame_every and log_every; a set mts stays."""
        if self.mts:
            return self
        k = largest
        while k > 1 and (self.frame_every % k or self.log_every % k):
            k //= 2
        return replace(self, mts=k)

    @property
    def steps(self) -> int:
        """Steps of dt in ps, rounded to a multiple of mts (of 1 while mts is automatic)."""
        k = max(self.mts, 1)
        return k * int(round(self.ps * 1000.0 / (self.dt * k)))
