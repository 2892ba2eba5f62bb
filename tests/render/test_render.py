"""Headless frames (SDL_VIDEODRIVER=dummy): shapes, pixels where particles are, recordings."""

import os
import subprocess
import sys

import numpy as np
import pytest

os.environ["SDL_VIDEODRIVER"] = "dummy"

from autoparticles.render.driving import DrivingRenderer, heading_colours  # noqa: E402
from autoparticles.render.water import WaterRenderer  # noqa: E402


def test_driving_frame_shape_and_a_particle_at_a_known_pixel():
    renderer = DrivingRenderer(box=20.0, radius=0.5, size=400)
    heading = np.array([[0.0, 1.0]])
    frame = renderer.draw(np.array([[5.0, 15.0]]), np.zeros((1, 2)), heading)
    assert frame.shape == (400, 400, 3) and frame.dtype == np.uint8
    col, row = renderer.pixel([5.0, 15.0])
    assert (col, row) == (100, 100)  # x = 5 of 20 -> quarter width; y = 15 -> quarter height from top
    np.testing.assert_array_equal(frame[row + 3, col + 3], heading_colours(heading)[0])
    assert frame[300, 300].tolist() == [18, 18, 24]  # background far from the disk


def test_driving_disk_is_drawn_wrapped_across_the_edge():
    renderer = DrivingRenderer(box=20.0, radius=0.5, size=400)
    frame = renderer.draw(np.array([[19.9, 10.0]]), np.zeros((1, 2)), np.array([[1.0, 0.0]]))
    left, right = frame[200, 2], frame[200, 397]
    assert left.tolist() != [18, 18, 24] and right.tolist() != [18, 18, 24]


def test_oxygen_gives_red_pixels():
    renderer = WaterRenderer(box=[10.0, 10.0, 10.0], size=300)
    frame = renderer.draw(np.array([[5.0, 5.0, 5.0]]), np.array([8]))
    centre = frame[150, 150]
    assert centre[0] > 180 and centre[1] < 80 and centre[2] < 80
    hydrogen = renderer.draw(np.array([[5.0, 5.0, 5.0]]), np.array([1]))[150, 150]
    assert hydrogen.min() > 200  # white


def test_gym_env_rgb_array_and_record_video(tmp_path):
    import gymnasium as gym

    import autoparticles  # noqa: F401

    pytest.importorskip("moviepy")
    env = gym.make("autoparticles/Driving-v0", render_mode="rgb_array", episode_steps=12)
    env = gym.wrappers.RecordVideo(env, str(tmp_path), episode_trigger=lambda e: True,
                                   disable_logger=True)
    env.reset(seed=0)
    for _ in range(12):
        env.step(env.action_space.sample())
    env.close()
    assert list(tmp_path.glob("*.mp4"))


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_watch_records_the_requested_frames(tmp_path, suffix):
    import imageio.v2 as imageio

    path = tmp_path / f"drive{suffix}"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    subprocess.run([sys.executable, "-m", "autoparticles.cli", "drive", "watch", "--steps", "15",
                    "--record", str(path)], check=True, env=env, capture_output=True, timeout=300)
    if suffix == ".gif":
        frames = imageio.mimread(path)
    else:
        import imageio_ffmpeg

        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        width, height = meta["size"]
        frames = [np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader]
    assert len(frames) == 15
    assert all(np.any(a != b) for a, b in zip(frames[:-1], frames[1:]))


def test_no_display_and_no_record_says_use_record():
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    result = subprocess.run([sys.executable, "-m", "autoparticles.cli", "drive", "watch"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "--record" in result.stderr


def test_unreadable_trajectory_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.extxyz"
    bad.write_text('3\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3\nO 0 0 0\nH 1 zero 0\nH 0 1 0\n')
    result = subprocess.run([sys.executable, "-m", "autoparticles.cli", "water", "watch",
                             "--trajectory", str(bad), "--record", str(tmp_path / "x.gif")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and f"{bad}:4" in result.stderr


def test_molecules_are_wrapped_whole_by_their_oxygen():
    from autoparticles.render.water import wrap_molecules

    box = np.full(3, 10.0)
    water = np.array([[0.1, 5.0, 5.0], [-0.5, 5.7, 5.0], [0.6, 5.7, 5.0]])  # O at the edge
    unwrapped = np.concatenate([water, water + [3.0, 3.0, 3.0]]) + [[0, 0, 0], [20, 0, 0], [0, 0, 0]] * 2
    x, hydrogens, bonded = wrap_molecules(unwrapped, np.array([8, 1, 1] * 2), box)
    assert np.all((x[[0, 3]] >= 0) & (x[[0, 3]] < 10))  # every O inside the box
    assert list(bonded) == [0, 0, 3, 3]
    assert np.all(np.linalg.norm(x[hydrogens] - x[bonded], axis=1) < 1.0)  # H beside its own O
