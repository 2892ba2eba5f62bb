"""Water: CP2K reference data, the fitted model of per-atom losses, the learned simulation
and its validation against the reference.

    from autoparticles.molecular import load_reference, load_model, validate_model
"""

from autoparticles.exports import lazy_exports

_EXPORTS = {
    "read_extxyz": "autoparticles.molecular.extxyz",
    "FitSettings": "autoparticles.molecular.fit", "fit_model": "autoparticles.molecular.fit",
    "WaterModel": "autoparticles.molecular.model", "load_model": "autoparticles.molecular.model",
    "ReferenceData": "autoparticles.molecular.reference",
    "load_reference": "autoparticles.molecular.reference",
    "save_reference": "autoparticles.molecular.reference",
    "RunSettings": "autoparticles.molecular.simulate",
    "Simulation": "autoparticles.molecular.simulate",
    "start_from_reference": "autoparticles.molecular.simulate",
    "start_from_lattice": "autoparticles.molecular.simulate",
    "DEFAULT_FIT": "autoparticles.molecular.workflow",
    "fit_report": "autoparticles.molecular.workflow",
    "validate_model": "autoparticles.molecular.workflow",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
