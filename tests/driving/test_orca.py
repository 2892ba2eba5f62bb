"""ORCA through the real RVO2 bindings (pyrvo), as a controller of our world."""

import subprocess
import sys

import numpy as np
import pytest

from autoparticles.driving.agent import heuristic
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.orca import orca_velocities, periodic_images
from autoparticles.driving.world import DrivingWorld
from autoparticles.loop import Run

pytest.importorskip("pyrvo")


def head_on(distance=8.0, offset=(0.0, 0.0)):
    """Two particles on the x axis `distance` apart, driving at each other."""
    world = DrivingWorld(DrivingConfig(n_particles=2), seed=0)
    world.positions = np.array([[10.0 - distance / 2, 10.0], [10.0 + distance / 2, 10.05]]) + offset
    world.headings = [[1.0, 0.0], [-1.0, 0.0]]
    world.velocities = [[1.0, 0.0], [-1.0, 0.0]]
    world.observe()
    return world


def collisions(world, policy, steps=120):
    onsets = []
    loop = Run(world, heuristic(policy, world.config))
    loop.attach(lambda info: onsets.append(info["onsets"]))
    loop.run(steps)
    return sum(onsets)


def test_orca_avoids_a_head_on_collision_that_ballistic_makes():
    assert collisions(head_on(), "ballistic") == 1
    assert collisions(head_on(), "orca") == 0


def test_orca_keeps_within_the_action_space():
    world = DrivingWorld(DrivingConfig(n_particles=64), seed=2)
    orca = heuristic("orca", world.config)
    for _ in range(30):
        actions = orca(world.percept())
        assert actions.shape == (64, 2) and np.all(np.abs(actions) <= 1 + 1e-12)
        _, _, info = world.step(actions)
        assert np.all(np.linalg.norm(info["a_int"], axis=1) <= world.config.a_max + 1e-9)


def test_periodic_images_make_orca_see_across_the_edge():
    """The head-on pair shifted so that it straddles the periodic edge gets the same ORCA
    velocities as in the middle of the box."""
    def velocities(world):
        return orca_velocities(world.percept().state, world.config)

    middle = velocities(head_on(4.0))
    across = velocities(head_on(4.0, offset=(-9.0, 0.0)))
    np.testing.assert_allclose(across, middle, atol=1e-5)
    assert not np.allclose(middle, [[1.0, 0.0], [-1.0, 0.0]], atol=1e-3)


def test_periodic_images_cover_the_reach():
    x = np.array([[0.5, 0.5], [10.0, 10.0], [19.8, 3.0]])
    images, owners = periodic_images(x, 20.0, 1.0)
    assert sorted(np.bincount(owners)) == [1, 2, 4]
    np.testing.assert_allclose(images[owners == 1], [[10.0, 10.0]])


def test_cli_refuses_orca_in_vehicle_mode():
    out = subprocess.run([sys.executable, "-m", "autoparticles.cli", "drive", "eval",
                          "--policy", "orca", "--set", "action=vehicle"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "policy 'orca' needs action mode 'pair'" in out.stderr
    assert "Traceback" not in out.stderr
