"""Our r-RESPA step (world.Simulation._respa_step) as an OpenMM `CustomIntegrator`, so that
`--engine openmm` takes the same multiple time steps as our engine.

Force group 1 holds the stiff part (respa.StiffPart), group 0 the rest of the model. One
OpenMM step is one outer step of mts·dt: a half-step of the Nosé–Hoover chain, a half kick of
group 0, mts velocity Verlet steps of dt under group 1, the other half kick, the other chain
half-step. The chain is world.NoseHooverChain's Trotter step written in OpenMM's global
variables (units kJ/mol, nm, ps), so both engines follow one trajectory. Positions and
velocities are synchronous (OpenMM's own integrators are leapfrog).
"""

from autoparticles.molecular.config import RunSettings
from autoparticles.molecular.units import BOLTZMANN_EV_PER_K, EV_TO_KJ_PER_MOL

SLOW, STIFF = 0, 1
"""Force groups of the slow and the stiff part."""


def respa_integrator(settings: RunSettings, dof: int):
    """CustomIntegrator of one r-RESPA step of settings.mts · settings.dt; with the
    'nose-hoover' thermostat a chain of settings.nhc_length on `dof` degrees of freedom."""
    import openmm

    inner = settings.dt / 1000.0  # ps
    step = openmm.CustomIntegrator(settings.mts * inner)
    step.addGlobalVariable("h", inner)
    thermostat = settings.thermostat == "nose-hoover"
    if thermostat:
        _declare_chain(step, settings, dof)
        _chain_half_step(step, settings.nhc_length)
    step.addUpdateContextState()
    step.addComputePerDof("v", f"v + 0.5*dt*f{SLOW}/m")
    for _ in range(settings.mts):
        step.addComputePerDof("v", f"v + 0.5*h*f{STIFF}/m")
        step.addComputePerDof("x", "x + h*v")
        step.addComputePerDof("v", f"v + 0.5*h*f{STIFF}/m")
    step.addComputePerDof("v", f"v + 0.5*dt*f{SLOW}/m")
    if thermostat:
        _chain_half_step(step, settings.nhc_length)
    return step


def _declare_chain(step, settings: RunSettings, dof: int) -> None:
    """Globals of the chain: kT, dof, masses Q_j (Q_0 = dof kT τ², Q_j = kT τ²), momenta p_j,
    positions xi_j, and ke (kinetic energy)."""
    kt = BOLTZMANN_EV_PER_K * settings.temperature * EV_TO_KJ_PER_MOL
    tau = settings.nhc_tau / 1000.0
    step.addGlobalVariable("kT", kt)
    step.addGlobalVariable("dof", dof)
    step.addGlobalVariable("ke", 0.0)
    step.addGlobalVariable("scale", 1.0)
    for j in range(settings.nhc_length):
        step.addGlobalVariable(f"Q{j}", (dof if j == 0 else 1) * kt * tau**2)
        step.addGlobalVariable(f"p{j}", 0.0)
        step.addGlobalVariable(f"xi{j}", 0.0)


def _chain_half_step(step, length: int) -> None:
    """The chain over dt/2 and the velocities scaled by it (NoseHooverChain.half_step)."""
    def force(j):
        return "(2*ke - dof*kT)" if j == 0 else f"(p{j - 1}^2/Q{j - 1} - kT)"

    def update(j):
        damp = f"exp(-p{j + 1}/Q{j + 1}*dt/8)"
        step.addComputeGlobal(f"p{j}", f"(p{j}*{damp} + {force(j)}*dt/4)*{damp}")

    last = length - 1
    step.addComputeSum("ke", "0.5*m*v*v")
    step.addComputeGlobal(f"p{last}", f"p{last} + {force(last)}*dt/4")
    for j in range(last - 1, -1, -1):
        update(j)
    step.addComputeGlobal("scale", "exp(-p0/Q0*dt/2)")
    step.addComputePerDof("v", "v*scale")
    step.addComputeGlobal("ke", "ke*scale^2")
    for j in range(length):
        step.addComputeGlobal(f"xi{j}", f"xi{j} + p{j}/Q{j}*dt/2")
    for j in range(last):
        update(j)
    step.addComputeGlobal(f"p{last}", f"p{last} + {force(last)}*dt/4")


def chain_energy(step, length: int) -> float:
    """The chain's part of the conserved quantity [eV] (NoseHooverChain.energy)."""
    value = step.getGlobalVariableByName
    kt, dof = value("kT"), value("dof")
    total = sum(value(f"p{j}") ** 2 / (2 * value(f"Q{j}")) for j in range(length))
    total += dof * kt * value("xi0") + kt * sum(value(f"xi{j}") for j in range(1, length))
    return total / EV_TO_KJ_PER_MOL
