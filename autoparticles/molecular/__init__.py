"""Water: CP2K reference data, the fitted model of per-atom losses, the learned simulation
and its validation against the reference.

    from autoparticles.molecular import load_reference, load_model, validate_model

The folder has the shape of every system: config (species, settings), world (integrators,
the run loop and its observers), agent (the losses, forces, model file), learn (the fit),
analysis and validation (observables, the table against the reference), watch, cli; plus
blend (the weighted sum of two fitted models), reference/ (CP2K), openmm_system (the model on
OpenMM), io, units and box.
"""

from autoparticles.exports import lazy_exports

_M = "autoparticles.molecular."
_EXPORTS = {
    "FitSettings": _M + "config", "RunSettings": _M + "config",
    "ReferenceRunSpec": _M + "config",
    "WaterModel": _M + "agent", "load_model": _M + "agent",
    "fit_model": _M + "learn", "blend_models": _M + "blend",
    "fit_report": _M + "analysis",
    "read_extxyz": _M + "io",
    "ReferenceData": _M + "reference.dataset", "load_reference": _M + "reference.dataset",
    "save_reference": _M + "reference.dataset",
    "Simulation": _M + "world", "simulate": _M + "world",
    "start_from_reference": _M + "world", "start_from_lattice": _M + "world",
    "validate_model": _M + "validation",
    "model_system": _M + "openmm_system", "OpenMMSimulation": _M + "openmm_system",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
