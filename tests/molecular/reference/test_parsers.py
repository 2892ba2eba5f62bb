"""Malformed CP2K trajectories give a clear error naming the file and the line."""

import numpy as np
import pytest

from autoparticles.molecular.reference.parsers import MalformedTrajectoryError, check_matching, read_cp2k_xyz


def cp2k_text(frames=3, symbols=("O", "H", "H"), first_step=0, stride=10):
    rng = np.random.default_rng(0)
    out = []
    for k in range(frames):
        step = first_step + k * stride
        out.append(f"{len(symbols):8d}")
        out.append(f" i = {step:8d}, time = {step * 0.5:12.3f}, E = -123.4567")
        out += [f"  {s} {x:16.10f} {y:16.10f} {z:16.10f}" for s, (x, y, z) in zip(symbols, rng.normal(size=(len(symbols), 3)))]
    return "\n".join(out) + "\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_frames_steps_and_times(tmp_path):
    frames = read_cp2k_xyz(write(tmp_path, "a-pos-1.xyz", cp2k_text(4)))
    assert frames.values.shape == (4, 3, 3)
    assert frames.steps.tolist() == [0, 10, 20, 30]
    assert frames.times.tolist() == [0.0, 5.0, 10.0, 15.0]
    assert frames.symbols == ("O", "H", "H")
    assert read_cp2k_xyz(frames.path, stop_at_step=15).steps.tolist() == [0, 10]


@pytest.mark.parametrize("mutate, line, words", [
    (lambda lines: lines[:-1], 15, "truncated frame"),
    (lambda lines: lines[:7] + ["  O 1.0 2.0"] + lines[8:], 8, "SYMBOL x y z"),
    (lambda lines: lines[:7] + ["  O 1.0 abc 2.0"] + lines[8:], 8, "SYMBOL x y z"),
    (lambda lines: lines[:9] + ["  O 1.0 2.0 3.0"] + lines[10:], 10, "atom 2 is O here but H"),
    (lambda lines: lines[:5] + ["       2"] + lines[6:9] + lines[10:], 6, "frame has 2 atoms"),
    (lambda lines: lines[:5] + ["   three"] + lines[6:], 6, "expected an atom count"),
    (lambda lines: lines[:1] + ["no header here"] + lines[2:], 2, "i = STEP"),
])
def test_malformed_file_names_file_and_line(tmp_path, mutate, line, words):
    lines = cp2k_text(3).splitlines()
    path = write(tmp_path, "bad-pos-1.xyz", "\n".join(mutate(lines)) + "\n")
    with pytest.raises(MalformedTrajectoryError, match=words) as info:
        read_cp2k_xyz(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}:")


def test_force_file_shorter_than_positions(tmp_path):
    pos = read_cp2k_xyz(write(tmp_path, "a-pos-1.xyz", cp2k_text(4)))
    frc = read_cp2k_xyz(write(tmp_path, "a-frc-1.xyz", cp2k_text(3)))
    with pytest.raises(MalformedTrajectoryError, match=r"a-frc-1.xyz:11: file ends after 3 frames.*step 30"):
        check_matching(pos, frc)


def test_different_atoms_or_steps_are_refused(tmp_path):
    pos = read_cp2k_xyz(write(tmp_path, "a-pos-1.xyz", cp2k_text(3)))
    other_order = read_cp2k_xyz(write(tmp_path, "a-vel-1.xyz", cp2k_text(3, symbols=("H", "O", "H"))))
    with pytest.raises(MalformedTrajectoryError, match="atoms differ"):
        check_matching(pos, other_order)
    shifted = read_cp2k_xyz(write(tmp_path, "b-vel-1.xyz", cp2k_text(3, first_step=10)))
    with pytest.raises(MalformedTrajectoryError, match="frame 0 is step 10"):
        check_matching(pos, shifted)
