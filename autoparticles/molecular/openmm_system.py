"""A fitted water model inside OpenMM: `openmm.System`, `Topology` and a `Simulation` whose
steps OpenMM takes (its integrators, platforms and threads).

The model enters OpenMM in one of two forms (FORCE_FORMS):
- 'kernels': one `PythonForce` whose callback is our engine's evaluation (the numba
  invariant kernels and the fitted losses) — every conservative model, the angular one
  included; computed on the CPU, one Python call a step.
- 'expressions': `CustomGBForce`s, below — radial models only; the form a GPU platform
  compiles into its own kernels (on OpenMM's CPU platform it is ~35× slower than 'kernels').

The 'expressions' export is exact, not a refit. A species' loss H_A(φ) = c·φ̃ + ½ φ̃ᵀCφ̃ (φ̃ = φ - φ̄) with
C = Σ_k λ_k v_k v_kᵀ (C is positive semidefinite, rank ≤ F) reads
    H_A = Σ_k ½ λ_k (ψ_k - v_k·φ̄)² + c·φ - c·φ̄,    ψ_k(i) = v_k·φ(i) = Σ_j u_{A,k,B_j}(d_ij),
so each eigen-direction k is one pair sum ψ_k per atom followed by a per-atom energy: exactly
the shape of one `CustomGBForce` (one particle-pair computed value, then single-particle
energy terms). Force k serves both species (O atoms use O's k-th direction, H atoms H's);
there are max(rank C_O, rank C_H) of them. The linear part c·φ is a pair potential, added as a
particle-pair energy term of the first force. The pair functions u(d) = Σ_n v_{B·nb+n} h_n(d)
are tabulated (OpenMM's natural cubic splines) on a fine grid of exact basis values.

Units: OpenMM's nm, ps, kJ/mol; ours Å, fs, eV (conversions below). Only conservative models
export: the `agent` mode's forces are no energy's gradient; and the angular model's
three-body sums have no OpenMM custom-force form, so it takes the 'kernels' form only.
"""

import math

import numpy as np

from autoparticles.invariants.radial import basis_values
from autoparticles.molecular.agent import WaterModel
from autoparticles.molecular.config import FORCE_FORMS, SPECIES, RunSettings, species_indices
from autoparticles.molecular.openmm_respa import SLOW, STIFF, chain_energy, respa_integrator
from autoparticles.molecular.units import EV_TO_KJ_PER_MOL
from autoparticles.molecular.world import ACCEL, Simulation, concrete_settings

NM = 10.0
"""Å per nm."""
VELOCITY_TO_A_PER_FS = NM / 1000.0
"""1 nm/ps in Å/fs."""
TABLE_START = 0.3
"""Below this distance [Å] the pair tables hold their value at it (closer pairs are a blow-up
anyway: min_distance is 0.5 Å)."""
TABLE_STEP = 0.0005
"""Spacing [Å] of the pair tables: energies agree with our engine to ~1e-7 and forces to ~1e-6
relative (Reference platform; tests/molecular/test_openmm.py)."""
EIGEN_FLOOR = 1e-10
"""Eigenvalues of C below this [eV] are dropped: for invariants of order 10 their term is below
1e-8 eV an atom (the shipped model's null space sits at ±1e-15, its smallest kept one at 3e-4)."""
INSTALL_HINT = "OpenMM is not installed: pip install openmm (or pip install -e \".[openmm]\")"


def require_openmm():
    """The `openmm` module, or a RuntimeError saying in one line how to install it."""
    try:
        import openmm
    except ImportError:
        raise RuntimeError(INSTALL_HINT) from None
    return openmm


def check_exportable(model: WaterModel, box=None, forces: str = FORCE_FORMS[0]) -> None:
    """ValueError in one line when `model` (in the orthorhombic box (3,) [Å], if given) has
    no OpenMM form of kind `forces` (one of FORCE_FORMS)."""
    if forces not in FORCE_FORMS:
        raise ValueError(f"OpenMM forces must be one of {', '.join(FORCE_FORMS)}; got {forces!r}")
    if model.angular is not None and forces == "expressions":
        raise ValueError("this model's three-body (angular) invariants cannot be expressed "
                         "as OpenMM custom forces (the shipped default, angular and blend "
                         "models read them); run it with --openmm-forces kernels, or a radial model such "
                         "as --model pair with expressions")
    if model.mode != "conservative":
        raise ValueError(f"the {model.mode!r} mode's forces are not the gradient of an energy; "
                         "--engine openmm runs conservative models only")
    if box is None:
        return
    box = np.asarray(box, dtype=float)
    if model.basis.cutoff > 0.5 * box.min():
        raise ValueError(f"the box ({box.min():.3f} Å) is smaller than twice the model cutoff "
                         f"({model.basis.cutoff} Å); OpenMM needs cutoff <= half the box")


def splits_stiff_part(forces: str) -> bool:
    """Whether the model's OpenMM form `forces` can carry r-RESPA's stiff part as a force
    group of its own (the stiff part is our kernel: 'kernels' only)."""
    return forces == "kernels"


def check_multiple_steps(settings: RunSettings, forces: str) -> None:
    """ValueError in one line when the settings ask for multiple time steps in a form that
    cannot split the model into its stiff part and the rest."""
    if settings.mts > 1 and not splits_stiff_part(forces):
        raise ValueError(f"mts = {settings.mts} on OpenMM needs --openmm-forces kernels (the "
                         f"stiff part is our kernel); with {forces} leave mts at 1")


def eigen_directions(model: WaterModel) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per species (O, H): (λ (R,), V (F, R)), the nonzero eigenpairs of its quadratic C."""
    out = []
    for loss in model.species_losses:
        lam, vec = np.linalg.eigh(loss.quadratic)
        keep = lam > EIGEN_FLOOR
        out.append((lam[keep], vec[:, keep]))
    return out


PAD = 0.3
"""Zeros [Å] after the cutoff in each segment of a table (see `_segmented_table`)."""


def _segmented_table(openmm, step: float, segments) -> tuple:
    """(Continuous1DFunction, segment length L [nm]): functions (S, n) sampled at r = 0, step, …
    [Å] laid end to end, so `f(r + q·L)` reads function q at r [nm] with one lookup. Each holds
    its value at TABLE_START below it and PAD of zeros after the cutoff: the spline's coupling
    across a seam decays 4× a knot, so no seam reaches the distances in use."""
    values = np.concatenate(list(segments))
    return openmm.Continuous1DFunction(values.tolist(), 0.0, (len(values) - 1) * step / NM), \
        segments.shape[1] * step / NM


def model_forces(model: WaterModel, species, table_step: float = TABLE_STEP) -> list:
    """The model as OpenMM `CustomGBForce`s (energies in kJ/mol) for atoms of `species` (N,)
    (0 = O, 1 = H; per-particle parameter t), periodic, cut off at the basis cutoff; see the
    module docstring. Force k's table holds u_{A,k,B} for the pairs (A, B) at segment 2A + B."""
    openmm = require_openmm()
    basis, nb = model.basis, model.basis.size
    step = basis.cutoff / math.ceil(basis.cutoff / table_step)  # the cutoff is a knot
    r = np.arange(int(math.ceil((basis.cutoff + PAD) / step))) * step
    h = basis_values(basis, np.maximum(r, TABLE_START))[0]  # (n, nb), 0 beyond the cutoff
    blocks = [h @ np.eye(2 * nb)[b * nb:(b + 1) * nb] for b in range(len(SPECIES))]  # (n, F) each
    directions = eigen_directions(model)
    forces = []
    for k in range(max([1] + [len(lam) for lam, _ in directions])):  # force 0 has c·φ too
        force = openmm.CustomGBForce()
        force.addPerParticleParameter("t")
        columns = [vec[:, k] if k < len(lam) else np.zeros(2 * nb) for lam, vec in directions]
        table, length = _segmented_table(openmm, step, np.array(
            [blocks[b] @ column for column in columns for b in range(len(SPECIES))]))
        force.addTabulatedFunction("u", table)
        force.addComputedValue("psi", f"u(r+(2*t1+t2)*{length!r})", openmm.CustomGBForce.ParticlePair)
        terms = []
        for a, (lam, vec) in enumerate(directions):
            if k < len(lam):
                centre = float(vec[:, k] @ model.species_losses[a].centre)
                terms.append(f"{_is_species(a)}*{float(0.5 * lam[k] * EV_TO_KJ_PER_MOL)!r}"
                             f"*(psi-({centre!r}))^2")
        force.addEnergyTerm("+".join(terms) or "0", openmm.CustomGBForce.SingleParticle)
        if k == 0:
            _add_linear_terms(openmm, force, model, step, blocks)
        for s in species:
            force.addParticle([float(s)])
        force.setNonbondedMethod(openmm.CustomGBForce.CutoffPeriodic)
        force.setCutoffDistance(basis.cutoff / NM)
        forces.append(force)
    return forces


def _is_species(a: int, suffix: str = "") -> str:
    """1 for atoms of species a ∈ {0, 1}, else 0, in terms of the parameter t."""
    return f"t{suffix}" if a == 1 else f"(1-t{suffix})"


def _add_linear_terms(openmm, force, model, step, blocks) -> None:
    """c_A·φ(i) - c_A·φ̄_A: the symmetric pair potential p_AB = c_A[B]·h + c_B[A]·h (table
    segment A + B) and a per-atom constant, as energy terms of `force`."""
    c = [loss.linear for loss in model.species_losses]
    # a pair (i, j) enters c·φ(i) and c·φ(j): OO, OH (= HO), HH
    pairs = [blocks[b] @ c[a] + blocks[a] @ c[b] for a, b in ((0, 0), (0, 1), (1, 1))]
    table, length = _segmented_table(openmm, step, np.array(pairs) * EV_TO_KJ_PER_MOL)
    force.addTabulatedFunction("p", table)
    force.addEnergyTerm(f"p(r+(t1+t2)*{length!r})", openmm.CustomGBForce.ParticlePairNoExclusions)
    constants = [-float(loss.linear @ loss.centre) * EV_TO_KJ_PER_MOL for loss in model.species_losses]
    force.addEnergyTerm("+".join(f"{_is_species(a)}*({v!r})" for a, v in enumerate(constants)),
                        openmm.CustomGBForce.SingleParticle)


def _to_openmm(energy_ev: float, forces):
    """A PythonForce's answer: energy [kJ/mol], forces (N, 3) [kJ/mol/nm]."""
    return energy_ev * EV_TO_KJ_PER_MOL, forces * (EV_TO_KJ_PER_MOL * NM)


class StiffForce:
    """The callback of OpenMM's `PythonForce` for r-RESPA's stiff part (respa.StiffPart)."""

    def __init__(self, stiff):
        self.stiff = stiff

    def __call__(self, state):
        losses, forces = self.stiff.evaluate(_ours(state.getPositions(asNumpy=True)) * NM)
        return _to_openmm(float(losses.sum()), forces)


class KernelForce:
    """The callback of OpenMM's `PythonForce` for `model` on atoms of `species` (N,): our
    engine's energy [kJ/mol] and forces (N, 3) [kJ/mol/nm] at the State's positions, with
    its own neighbour list (made anew when the State's box differs, e.g. under a barostat);
    less r-RESPA's stiff part when `stiff` is given."""

    def __init__(self, model: WaterModel, species, stiff=None):
        self.model, self.species, self.stiff = model, np.asarray(species), stiff
        self.box, self.nlist = None, None

    def __call__(self, state):
        box = np.diag(_ours(state.getPeriodicBoxVectors(asNumpy=True))) * NM
        if self.box is None or not np.array_equal(box, self.box):
            check_exportable(self.model, box, "kernels")
            self.box, self.nlist = box, self.model.new_neighbour_list(box)
        x = _ours(state.getPositions(asNumpy=True)) * NM
        losses, forces, _ = self.model.evaluate(x, self.species, self.nlist)
        energy = float(losses.sum())
        if self.stiff is not None:
            stiff_losses, stiff_forces = self.stiff.evaluate(x)
            energy, forces = energy - float(stiff_losses.sum()), forces - stiff_forces
        return _to_openmm(energy, forces)


def python_force(callback, group: int = 0):
    """A periodic OpenMM `PythonForce` of `callback` in force group `group`."""
    openmm = require_openmm()
    force = openmm.PythonForce(callback)
    force.setUsesPeriodicBoundaryConditions(True)
    force.setForceGroup(group)
    return force


def kernel_forces(model: WaterModel, species, stiff=None) -> list:
    """The model as one PythonForce calling our kernels (KernelForce); with r-RESPA's
    `stiff` part two: the rest in group SLOW, the stiff part in group STIFF."""
    if stiff is None:
        return [python_force(KernelForce(model, species))]
    return [python_force(KernelForce(model, species, stiff), SLOW),
            python_force(StiffForce(stiff), STIFF)]


def model_system(model: WaterModel, numbers, masses, box, forces: str = FORCE_FORMS[0],
                 table_step: float = TABLE_STEP, stiff=None):
    """`openmm.System` of atoms with atomic numbers (N,) and masses (N,) [u] in the
    orthorhombic periodic box (3,) [Å], its energy the model's Σ_i H_{A_i}(φ(i)); `forces`:
    'kernels' or 'expressions' (FORCE_FORMS; table_step serves the latter); stiff: r-RESPA's
    stiff part, split off into its own force group (kernels only)."""
    openmm = require_openmm()
    check_exportable(model, box, forces)
    system = openmm.System()
    edges = np.asarray(box, dtype=float) / NM
    system.setDefaultPeriodicBoxVectors(*(openmm.Vec3(*(edges[d] * (np.arange(3) == d)))
                                          for d in range(3)))
    for m in masses:
        system.addParticle(float(m))
    species = species_indices(numbers)
    for force in (kernel_forces(model, species, stiff) if forces == "kernels"
                  else model_forces(model, species, table_step)):
        system.addForce(force)
    return system


def topology(numbers, box):
    """`openmm.app.Topology`: one HOH residue (with its two O–H bonds) per O, H, H triple in
    atom order, any other atom a residue of its own; box (3,) [Å]."""
    from openmm import Vec3, app

    numbers = np.asarray(numbers)
    top = app.Topology()
    chain = top.addChain()
    k = 0
    while k < len(numbers):
        if numbers[k] == 8 and k + 2 < len(numbers) and numbers[k + 1] == numbers[k + 2] == 1:
            residue = top.addResidue("HOH", chain)
            o = top.addAtom("O", app.element.oxygen, residue)
            for name in ("H1", "H2"):
                top.addBond(o, top.addAtom(name, app.element.hydrogen, residue))
            k += 3
            continue
        element = app.element.Element.getByAtomicNumber(int(numbers[k]))
        top.addAtom(element.symbol, element, top.addResidue(element.symbol, chain))
        k += 1
    top.setUnitCellDimensions(Vec3(*(np.asarray(box, dtype=float) / NM)))
    return top


def integrator(settings: RunSettings, dof: int):
    """OpenMM's integrator for our settings on `dof` degrees of freedom: mts > 1 -> our
    r-RESPA step with our chain (openmm_respa); otherwise 'nose-hoover' ->
    NoseHooverIntegrator (chain of nhc_length, collision frequency 1/nhc_tau: the same
    Q_1 = dof kT τ²; OpenMM's multiple-time-step chain propagation, ours one Trotter step),
    'none' -> VerletIntegrator (our velocity Verlet's trajectory); time step dt. The last two
    are leapfrog schemes, their velocities half a step behind the positions (see
    OpenMMSimulation)."""
    openmm = require_openmm()
    if settings.mts > 1:
        return respa_integrator(settings, dof)
    dt_ps = settings.dt / 1000.0
    if settings.thermostat == "nose-hoover":
        return openmm.NoseHooverIntegrator(settings.temperature, 1000.0 / settings.nhc_tau, dt_ps,
                                           settings.nhc_length)
    return openmm.VerletIntegrator(dt_ps)


def check_platform(platform: str) -> None:
    """ValueError in one line when this OpenMM has no platform of that name."""
    openmm = require_openmm()
    names = [openmm.Platform.getPlatform(k).getName() for k in range(openmm.Platform.getNumPlatforms())]
    if platform not in names:
        raise ValueError(f"OpenMM has no {platform} platform on this machine (it has "
                         f"{', '.join(names)}); pick one of those with --platform")


def make_context(system, integrator, platform: str = "CPU", threads: int = 1):
    """`openmm.Context` on `platform` ('CPU': `threads` threads; 'Reference': double precision;
    'CUDA', 'OpenCL' where OpenMM has them)."""
    openmm = require_openmm()
    check_platform(platform)
    properties = {"Threads": str(threads)} if platform == "CPU" else {}
    return openmm.Context(system, integrator, openmm.Platform.getPlatformByName(platform), properties)


def energy_and_forces(context, positions) -> tuple[float, np.ndarray]:
    """(energy [eV], forces (N, 3) [eV/Å]) of `context` at positions (N, 3) [Å]."""
    context.setPositions(np.asarray(positions, dtype=float) / NM)
    state = context.getState(getEnergy=True, getForces=True)
    return _ours(state.getPotentialEnergy()) / EV_TO_KJ_PER_MOL, _forces(state)


def _ours(quantity):
    """An OpenMM quantity as plain numbers in nm, ps, kJ/mol."""
    from openmm import unit

    return np.asarray(quantity.value_in_unit_system(unit.md_unit_system))


def _forces(state) -> np.ndarray:
    """(N, 3) forces [eV/Å] of an OpenMM state."""
    return _ours(state.getForces(asNumpy=True)) / (EV_TO_KJ_PER_MOL * NM)


class OpenMMSimulation(Simulation):
    """A `Simulation` (same start, checks, observers and log) whose steps OpenMM takes: it
    runs in stretches between observations and copies x, v (and, for the observers, our
    engine's losses, forces and invariants) back at each one. platform: 'CPU' or 'Reference';
    threads: CPU threads. OpenMM's own integrators (mts = 1) are leapfrog, their velocities
    those of half a step before the positions: v(t - dt/2) = v(t) - a(t) dt/2 goes in, v(t)
    comes back; our r-RESPA step (mts > 1, openmm_respa) keeps them in step with the positions.
    forces: the model's form in OpenMM (FORCE_FORMS)."""

    engine = "OpenMM"

    def __init__(self, model, positions, velocities, numbers, masses, box,
                 settings: RunSettings = RunSettings(), platform: str = "CPU", threads: int = 1,
                 forces: str = FORCE_FORMS[0]):
        check_exportable(model, box, forces)
        settings = concrete_settings(settings, model, splits_stiff_part(forces))
        check_multiple_steps(settings, forces)
        super().__init__(model, positions, velocities, numbers, masses, box, settings)
        self.integrator = integrator(settings, 3 * len(self.masses) - 3)
        system = model_system(model, numbers, masses, box, forces, stiff=self.stiff)
        self.context = make_context(system, self.integrator, platform, threads)
        self.context.setPositions(self.x / NM)
        self.context.setVelocities((self.v - self._half_kick(self.forces)) / VELOCITY_TO_A_PER_FS)
        self.platform = platform

    def _half_kick(self, forces) -> np.ndarray:
        """(N, 3) a dt/2 [Å/fs] of forces (N, 3) [eV/Å] where OpenMM's velocities lag the
        positions by half a step (its leapfrog integrators), else zeros."""
        if self.stiff is not None:
            return np.zeros_like(forces)
        return 0.5 * self.settings.dt * forces * ACCEL / self.masses[:, None]

    def conserved(self) -> float:
        """Loss sum + kinetic energy (+ OpenMM's heat-bath energy) [eV]."""
        from autoparticles.molecular.world import kinetic_energy

        total = float(self.losses.sum()) + kinetic_energy(self.v, self.masses)
        if self.settings.thermostat != "nose-hoover":
            return total
        if self.stiff is not None:
            return total + chain_energy(self.integrator, self.settings.nhc_length)
        if self.steps_done:  # (before: at rest; OpenMM's chain exists once it has stepped)
            total += float(_ours(self.integrator.computeHeatBathEnergy())) / EV_TO_KJ_PER_MOL
        return total

    def advance(self, steps: int) -> None:
        """`steps` steps of dt (a multiple of `stride`: OpenMM takes steps // mts of its
        own), then x, v, losses, forces and φ copied back."""
        self.integrator.step(steps // self.stride)
        state = self.context.getState(getPositions=True, getVelocities=True, getForces=True)
        self.x = _ours(state.getPositions(asNumpy=True)) * NM
        self.v = _ours(state.getVelocities(asNumpy=True)) * VELOCITY_TO_A_PER_FS \
            + self._half_kick(_forces(state))
        if not np.all(np.isfinite(self.x)):
            from autoparticles.molecular.world import BlowUp

            raise BlowUp("non-finite positions", self.time + steps * self.settings.dt)
        self.losses, self.forces, self.phi = self.model.evaluate(self.x, self.species, self.nlist)
        self.time += steps * self.settings.dt
        self.steps_done += steps

    def step(self) -> None:
        self.advance(self.stride)

    def run(self, steps: int) -> None:
        """Like `Simulation.run`, in stretches of OpenMM steps between observations."""
        k = 0
        while True:
            for observer, interval in self.observers:
                if k % interval == 0:
                    observer(self)
            if k == steps:
                return
            upcoming = min([(k // iv + 1) * iv for _, iv in self.observers] + [steps])
            self.advance(upcoming - k)
            k = upcoming
