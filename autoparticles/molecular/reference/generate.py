"""Reference generation end to end: CP2K run (resumable) -> segments joined and converted ->
one dataset file."""

from pathlib import Path

import numpy as np

from autoparticles.config import as_dict
from autoparticles.molecular.config import ReferenceRunSpec, atomic_numbers, masses
from autoparticles.molecular.reference.cp2k_input import NNP_MODEL_NAME
from autoparticles.molecular.reference.cp2k_run import (box_edges, cp2k_version, run_reference,
                                                        stage_segments)
from autoparticles.molecular.reference.dataset import ReferenceData, save_reference
from autoparticles.molecular.reference.parsers import check_matching, read_cp2k_xyz
from autoparticles.molecular.units import (BOHR_PER_ATOMIC_TIME_TO_ANGSTROM_PER_FS,
                                           HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM)


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
        **as_dict(spec),
        "temperature_k": spec.temperature,
        "cp2k_version": cp2k_version(),
        "model": NNP_MODEL_NAME,
        "equilibration_thermostat": f"CSVR, time constant {spec.csvr_timecon_fs} fs",
        "production_thermostat": (f"Nose-Hoover chain, length {spec.nose_chain_length}, "
                                  f"time constant {spec.nose_timecon_fs} fs"),
        "units": {"positions": "angstrom", "forces": "eV/angstrom", "velocities": "angstrom/fs",
                  "times": "fs", "masses": "u"},
    }
    data = reference_from_cp2k(production, box_edges(spec), metadata)
    save_reference(data, out)
    return data


def reference_from_cp2k(production_dir, box: np.ndarray, metadata: dict) -> ReferenceData:
    """Join a production stage's segments (see cp2k_run) into one dataset, converting units.

    Each segment contributes the frames from its start step up to and including the next
    segment's start (a continued CP2K run does not print its first frame again), so steps
    re-simulated after an interruption are taken once."""
    segments = stage_segments(Path(production_dir))
    if not segments:
        raise FileNotFoundError(f"no CP2K segments in {production_dir}")
    parts = {"pos": [], "vel": [], "frc": []}
    steps, times, symbols, last_step = [], [], None, None
    for k, seg in enumerate(segments):
        end = segments[k + 1].start_step if k + 1 < len(segments) else None
        if not seg.output("pos").is_file():
            continue
        frames = {kind: read_cp2k_xyz(seg.output(kind), stop_at_step=end) for kind in parts}
        for kind in ("vel", "frc"):
            check_matching(frames["pos"], frames[kind])
        keep = frames["pos"].steps >= seg.start_step
        if last_step is not None:
            keep &= frames["pos"].steps > last_step
        if keep.any():
            last_step = int(frames["pos"].steps[keep][-1])
        for kind in parts:
            parts[kind].append(frames[kind].values[keep])
        steps.append(frames["pos"].steps[keep])
        times.append(frames["pos"].times[keep])
        symbols = frames["pos"].symbols
    numbers = atomic_numbers(symbols)
    return ReferenceData(
        positions=np.concatenate(parts["pos"]),
        forces=np.concatenate(parts["frc"]) * HARTREE_PER_BOHR_TO_EV_PER_ANGSTROM,
        velocities=np.concatenate(parts["vel"]) * BOHR_PER_ATOMIC_TIME_TO_ANGSTROM_PER_FS,
        numbers=numbers,
        masses=masses(numbers),
        box=np.asarray(box, dtype=np.float64),
        times=np.concatenate(times),
        metadata={**metadata, "first_step": int(steps[0][0]), "last_step": last_step},
    )
