"""Water: CP2K reference data, the fitted model of per-atom losses, the learned simulation
and its validation against the reference.

    from autoparticles.molecular import load_reference, load_model, validate_model
"""

from autoparticles.molecular.extxyz import read_extxyz
from autoparticles.molecular.fit import FitSettings, fit_model
from autoparticles.molecular.model import WaterModel, load_model
from autoparticles.molecular.reference import ReferenceData, load_reference, save_reference
from autoparticles.molecular.simulate import RunSettings, Simulation, start_from_lattice, start_from_reference
from autoparticles.molecular.workflow import DEFAULT_FIT, fit_report, validate_model

__all__ = ["ReferenceData", "load_reference", "save_reference", "WaterModel", "load_model",
           "FitSettings", "DEFAULT_FIT", "fit_model", "fit_report", "RunSettings", "Simulation",
           "start_from_reference", "start_from_lattice", "validate_model", "read_extxyz"]
