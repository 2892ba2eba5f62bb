"""The real CP2K command on a small box: run, interrupt, resume, parse, check units."""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from autoparticles.molecular.analysis import bond_lengths_and_angles
from autoparticles.molecular.reference.cp2k_run import stage_segments
from autoparticles.molecular.reference.dataset import load_reference
from autoparticles.molecular.world import temperature
from tests.signals import default_sigint

HAS_CP2K = shutil.which("cp2k.psmp") is not None
needs_cp2k = pytest.mark.skipif(not HAS_CP2K, reason="cp2k.psmp missing: apt-get install -y cp2k")


def runs_cp2k(test):
    """A test of a real CP2K run: skipped without CP2K, marked cp2k and slow."""
    return needs_cp2k(pytest.mark.cp2k(pytest.mark.slow(test)))
COMMAND = [sys.executable, "-m", "autoparticles.cli", "water", "reference", "--molecules", "8",
           "--equilibration-ps", "0.01", "--production-ps", "0.1", "--stride", "10",
           "--restart-every", "20", "--seed", "3", "--quiet"]


def ener_step(path):
    try:
        rows = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        return int(rows[-1].split()[0]) if rows else -1
    except FileNotFoundError:
        return -1


@pytest.fixture(scope="module")
def interrupted_then_resumed(tmp_path_factory):
    """Start the command, stop it with Ctrl-C halfway through production, run it again."""
    out = tmp_path_factory.mktemp("cp2k") / "ref.npz"
    args = COMMAND + ["--out", str(out)]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             preexec_fn=default_sigint)
    ener = out.parent / "ref-cp2k" / "production" / "segment-000-1.ener"
    deadline = time.monotonic() + 300
    while ener_step(ener) < 40 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.poll() is None, "the run ended before it could be interrupted"
    first.send_signal(signal.SIGINT)
    first_output = first.communicate(timeout=60)[0]
    assert first.returncode != 0 and "run the same command again" in first_output
    assert not out.exists()
    second = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    return out, second.stdout, load_reference(out)


@runs_cp2k
def test_resumed_run_has_every_frame_once(interrupted_then_resumed):
    out, stdout, data = interrupted_then_resumed
    segments = stage_segments(out.parent / "ref-cp2k" / "production")
    assert len(segments) == 2 and segments[1].start_step > 0
    np.testing.assert_allclose(data.times, np.arange(21) * 5.0)  # steps 0..200 every 10
    assert data.positions.shape == data.forces.shape == data.velocities.shape == (21, 24, 3)
    assert data.metadata["cp2k_version"].startswith("CP2K version")
    assert "Schran" in data.metadata["model"] and data.metadata["stride"] == 10
    assert "g_OO 1st max" in stdout


@runs_cp2k
def test_units_agree_with_cp2k_energy_file(interrupted_then_resumed):
    out, _, data = interrupted_then_resumed
    # CP2K's own temperature column must equal the one from our converted velocities
    rows = {}
    for seg in stage_segments(out.parent / "ref-cp2k" / "production"):
        for line in seg.output("ener").read_text().splitlines()[1:]:
            step, _, _, temp = line.split()[:4]
            rows.setdefault(int(step), float(temp))
    cp2k_t = np.array([rows[int(round(t / 0.5))] for t in data.times])
    np.testing.assert_allclose(temperature(data.velocities, data.masses), cp2k_t, rtol=2e-4)
    # forces: eV/Å of molecular size, summing to ~0 in every frame
    total = np.abs(data.forces.sum(axis=1)).max()
    assert total < 1e-2 * np.abs(data.forces).mean() * data.forces.shape[1]
    assert 0.1 < np.abs(data.forces).mean() < 10
    lengths, _ = bond_lengths_and_angles(data.positions, data.numbers, data.box)
    assert 0.85 < lengths.min() and lengths.max() < 1.25


def test_missing_cp2k_says_how_to_install(tmp_path):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))
    result = subprocess.run(COMMAND + ["--out", str(tmp_path / "x.npz")], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode != 0
    assert "apt-get install -y cp2k" in result.stderr
