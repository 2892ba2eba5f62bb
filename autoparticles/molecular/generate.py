"""Reference generation end to end: CP2K run (resumable) -> parsed dataset -> one .npz file."""

import dataclasses
from pathlib import Path

from autoparticles.molecular.cp2k_input import NNP_MODEL_NAME
from autoparticles.molecular.cp2k_run import ReferenceRunSpec, build_box, cp2k_version, run_reference
from autoparticles.molecular.reference import ReferenceData, reference_from_cp2k, save_reference


def default_workdir(out: Path) -> Path:
    """CP2K's files live beside the dataset: `water_reference.npz` -> `water_reference-cp2k/`."""
    return out.with_name(out.stem + "-cp2k")


def generate_reference(spec: ReferenceRunSpec, out, workdir=None, progress: bool = True,
                       threads: int = 1) -> ReferenceData:
    """Run or continue CP2K in `workdir`, then parse and write the dataset to `out`."""
    out = Path(out)
    workdir = default_workdir(out) if workdir is None else Path(workdir)
    production = run_reference(spec, workdir, progress=progress, threads=threads)
    metadata = {
        **{k: v for k, v in dataclasses.asdict(spec).items()},
        "temperature_k": spec.temperature,
        "cp2k_version": cp2k_version(),
        "model": NNP_MODEL_NAME,
        "equilibration_thermostat": f"CSVR, time constant {spec.csvr_timecon_fs} fs",
        "production_thermostat": (f"Nose-Hoover chain, length {spec.nose_chain_length}, "
                                  f"time constant {spec.nose_timecon_fs} fs"),
        "units": {"positions": "angstrom", "forces": "eV/angstrom", "velocities": "angstrom/fs",
                  "times": "fs", "masses": "u"},
    }
    data = reference_from_cp2k(production, build_box(spec).box, metadata)
    save_reference(data, out)
    return data
