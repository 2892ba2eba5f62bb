"""Drive CP2K through a resumable two-stage water run: CSVR equilibration, Nosé–Hoover production.

Each stage folder holds numbered segments (`segment-K.inp` and CP2K's outputs). Running again
on the same work folder continues from the newest CP2K restart file, so an interrupted run
loses at most `restart_every` steps.
"""

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autoparticles.config import claim_folder
from autoparticles.molecular.box import build_water_box, cubic_edge_for_density
from autoparticles.molecular.config import ReferenceRunSpec
from autoparticles.molecular.io import write_xyz
from autoparticles.molecular.reference.cp2k_input import Restart, Thermostat, find_nnp_member, md_input

INSTALL_HINT = "CP2K is not installed: apt-get update && apt-get install -y cp2k"


def cp2k_executable() -> str:
    """Path of `cp2k.psmp` (or `cp2k`); raises with the install command when missing."""
    for name in ("cp2k.psmp", "cp2k.ssmp", "cp2k"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(INSTALL_HINT)


def cp2k_version() -> str:
    """First version line CP2K prints, e.g. 'CP2K version 2023.1'."""
    out = subprocess.run([cp2k_executable(), "--version"], capture_output=True, text=True).stdout
    return next((ln.strip() for ln in out.splitlines() if "version" in ln.lower()), "unknown")


def restart_step(restart_file: Path) -> int:
    """MD step a CP2K restart file was written at (its STEP_START_VAL)."""
    match = re.search(r"STEP_START_VAL\s+(\d+)", restart_file.read_text())
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class Segment:
    """One CP2K invocation inside a stage; start_step: MD step it started from."""

    folder: Path
    index: int
    start_step: int

    @property
    def project(self) -> str:
        return f"segment-{self.index:03d}"

    def output(self, kind: str) -> Path:
        """kind: 'pos', 'vel', 'frc' (XYZ files), 'ener' or 'restart'."""
        if kind in ("ener", "restart"):
            return self.folder / f"{self.project}-1.{kind}"
        return self.folder / f"{self.project}-{kind}-1.xyz"


def stage_segments(stage_dir: Path) -> list[Segment]:
    """Segments of a stage in run order."""
    found = []
    for meta in sorted(stage_dir.glob("segment-*.json")):
        info = json.loads(meta.read_text())
        found.append(Segment(stage_dir, info["index"], info["start_step"]))
    return found


def _newest_restart(segments: list[Segment]) -> tuple[Path | None, int]:
    for seg in reversed(segments):
        if seg.output("restart").is_file():
            return seg.output("restart"), restart_step(seg.output("restart"))
    return None, 0


def _last_ener_step(path: Path) -> int | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 400))
            tail = handle.read().decode(errors="replace").strip().splitlines()
        return int(tail[-1].split()[0]) if tail and not tail[-1].startswith("#") else None
    except (OSError, ValueError, IndexError):
        return None


class _Progress:
    """tqdm bar over simulated ps of the whole run, with the rate in ps per hour."""

    def __init__(self, total_ps: float, enabled: bool):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=round(total_ps, 3), unit="ps", disable=not enabled,
                        bar_format="{l_bar}{bar}| {n:.3f}/{total:.3f} ps [{elapsed}<{remaining}{postfix}]")
        self.started = time.monotonic()
        self.start_ps: float | None = None

    def show(self, simulated_ps: float) -> None:
        if self.start_ps is None:
            self.start_ps = simulated_ps
        hours = (time.monotonic() - self.started) / 3600.0
        if hours > 0:
            self.bar.set_postfix_str(f"{(simulated_ps - self.start_ps) / hours:.2f} ps/h")
        self.bar.n = round(simulated_ps, 3)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def _run_segment(segment: Segment, text: str, progress: _Progress, offset_ps: float,
                 dt_fs: float, threads: int) -> None:
    inp = segment.folder / f"{segment.project}.inp"
    inp.write_text(text)
    (segment.folder / f"{segment.project}.json").write_text(
        json.dumps({"index": segment.index, "start_step": segment.start_step})
    )
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    log = segment.folder / f"{segment.project}.out"
    proc = subprocess.Popen([cp2k_executable(), "-i", inp.name, "-o", log.name],
                            cwd=segment.folder, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        while proc.poll() is None:
            step = _last_ener_step(segment.output("ener"))
            if step is not None:
                progress.show(offset_ps + step * dt_fs / 1000.0)
            time.sleep(1.0)
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        raise KeyboardInterrupt("CP2K stopped; the next run continues from its last restart file") from None
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
        raise RuntimeError(f"CP2K failed (exit {proc.returncode}) in {inp}:\n" + "\n".join(tail))


def _run_stage(stage_dir: Path, total_steps: int, thermostat: Thermostat, entry: Restart | None,
               spec: ReferenceRunSpec, coord_file: Path, progress: _Progress,
               offset_ps: float, threads: int) -> Path | None:
    """Run one stage to `total_steps`; returns its final restart file."""
    stage_dir.mkdir(parents=True, exist_ok=True)
    segments = stage_segments(stage_dir)
    restart, done = _newest_restart(segments)
    while done < total_steps:
        continuing = Restart(restart, continue_run=True) if restart else entry
        segment = Segment(stage_dir, len(segments), done)
        # CP2K's STEPS counts the steps of this invocation, also when counters are restored
        text = md_input(segment.project, str(coord_file), box_edges(spec), total_steps - done,
                        spec.temperature, spec.timestep_fs, thermostat, spec.stride, spec.seed,
                        find_nnp_member(spec.nnp_member), continuing, spec.restart_every)
        _run_segment(segment, text, progress, offset_ps, spec.timestep_fs, threads)
        segments.append(segment)
        restart, new_done = _newest_restart(segments)
        if new_done <= done:
            raise RuntimeError(f"CP2K made no progress in {stage_dir} (stuck at step {done})")
        done = new_done
    progress.show(offset_ps + total_steps * spec.timestep_fs / 1000.0)
    return restart


def box_edges(spec: ReferenceRunSpec) -> np.ndarray:
    """(3,) edges [Å] of the run's cubic box."""
    return np.full(3, cubic_edge_for_density(spec.molecules, spec.density_g_cm3))


def run_reference(spec: ReferenceRunSpec, workdir: Path, progress: bool = True,
                  threads: int = 1) -> Path:
    """Run (or continue) equilibration and production; returns the production stage folder."""
    cp2k_executable()
    workdir = Path(workdir).resolve()
    claim_folder(workdir, {"spec": spec})
    coord = workdir / "start.xyz"
    if not coord.exists():  # the one place the box is built: a resumed run reads it back
        box = build_water_box(spec.molecules, spec.density_g_cm3, seed=spec.seed)
        write_xyz(coord, box.numbers, box.positions, "random water box, autoparticles")
    eq_ps, prod_ps = spec.equilibration_ps, spec.production_ps
    bar = _Progress(eq_ps + prod_ps, progress)
    try:
        eq_restart = None
        if spec.steps(eq_ps) > 0:
            eq_restart = _run_stage(workdir / "equilibration", spec.steps(eq_ps),
                                    Thermostat("csvr", spec.csvr_timecon_fs), None, spec, coord,
                                    bar, 0.0, threads)
        entry = Restart(eq_restart, continue_run=False) if eq_restart else None
        nose = Thermostat("nose", spec.nose_timecon_fs, spec.nose_chain_length)
        _run_stage(workdir / "production", spec.steps(prod_ps), nose, entry, spec, coord, bar,
                   eq_ps, threads)
    finally:
        bar.close()
    return workdir / "production"
