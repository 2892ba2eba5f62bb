"""Our world's policies on the crowd scenes, beside real JuPedSim and analysed by real PedPy."""

import numpy as np
import pytest

pytest.importorskip("pedpy")
pytest.importorskip("jupedsim")

from autoparticles.crowd.metrics import compute_metrics  # noqa: E402
from autoparticles.crowd.ours import LENGTH, world_config  # noqa: E402
from autoparticles.crowd.runs import producer, run_scene  # noqa: E402
from autoparticles.crowd.scenes import bottleneck, corridor, starts  # noqa: E402


def test_our_world_is_the_crowd_scene_in_si_units():
    scene = bottleneck(1.2, agents=30)
    config, offset = world_config(scene, starts(scene, 0))
    x0, y0, x1, y1 = scene.walkable.bounds
    assert config.scene.geometry.size == (x1 - x0, y1 - y0) and np.allclose(offset, [x0, y0])
    assert config.sensing == pytest.approx(5 * LENGTH) and config.collision == "hard"
    (kind,) = config.scene.types
    assert kind.count == 30 and kind.radius == scene.pedestrians.radius and kind.leave


def test_same_bottleneck_walked_by_ttc_and_jupedsim_through_pedpy():
    scene = bottleneck(1.2, agents=30, duration=60.0)
    start = starts(scene, 1)
    ours = run_scene(scene, "ttc", 1)
    first = np.stack([ours.x[ours.frame == 0], ours.y[ours.frame == 0]], axis=1)
    np.testing.assert_allclose(np.sort(first, axis=0), np.sort(start.positions, axis=0), atol=1e-9)
    for trajectory in (ours, run_scene(scene, "jupedsim", 1)):
        metrics = compute_metrics(trajectory, scene)
        assert metrics["evacuated"] == 1.0          # everybody left through the exit
        assert 0.3 < metrics["specific_flow"] < 8.0  # a flow through the exit, per metre
        assert metrics["overlaps"]["max_wall_depth"] < 0.5  # hard walls hold
    # a pedestrian who left appears no more
    last = {i: ours.frame[ours.id == i].max() for i in np.unique(ours.id)}
    assert max(last.values()) < ours.frames - 1 or len(last) == 30


def test_the_shipped_model_walks_in_the_world_it_was_trained_for():
    from autoparticles.crowd.ours import SHIPPED_MODEL
    from autoparticles.driving.agent import trained_settings

    assert trained_settings(SHIPPED_MODEL).get("observe_drive") is True  # from its NAME.json
    scene = bottleneck(1.2, agents=20, duration=40.0)
    metrics = compute_metrics(run_scene(scene, "learned", 0), scene)
    assert metrics["evacuated"] > 0.5 and metrics["specific_flow"] > 0.3
    assert metrics["overlaps"]["max_pair_depth"] < 0.05  # the bodies are settled every step


def test_periodic_corridor_keeps_its_pedestrians_and_renames_at_the_seam():
    scene = corridor(1.0, length=10.0, duration=8.0)
    trajectory = run_scene(scene, "ttc", 0)
    counts = np.bincount(trajectory.frame)
    assert np.all(counts == scene.agents)
    assert len(np.unique(trajectory.id)) > scene.agents  # some crossed the seam
    assert trajectory.periodic
    metrics = compute_metrics(trajectory, scene)
    assert metrics["speed"] > 0.5


def test_a_missing_model_file_is_one_line(tmp_path):
    with pytest.raises(ValueError, match="no such model file"):
        producer("nowhere/model.zip")
    (tmp_path / "walker.zip").write_bytes(b"")
    (tmp_path / "walker.json").write_text('{"config": {"observe_dr')  # truncated
    with pytest.raises(ValueError, match="walker.json .* is not a JSON object of settings"):
        producer(str(tmp_path / "walker.zip"))
