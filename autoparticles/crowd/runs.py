"""One run of a scene by one kind of pedestrian, and the registry of kinds.

A producer is any callable (scene, starts, seed) -> Trajectory; `PRODUCERS` maps a --policy
name to one. JuPedSim's models are registered here; our own world's policies (learned models,
ttc, orca) register theirs with `register`, and every command and comparison picks them up.
"""

import json
from pathlib import Path
from typing import Callable

import numpy as np

from autoparticles.crowd.jupedsim_run import run_jupedsim
from autoparticles.crowd.metrics import compute_metrics
from autoparticles.crowd.scenes import Scene, Starts, starts
from autoparticles.crowd.trajectories import Trajectory, write_trajectory
from autoparticles.files import atomic_write

Producer = Callable[[Scene, Starts, int], Trajectory]

def _ours(policy: str) -> Producer:
    def produce(scene, start, seed):
        from autoparticles.crowd.ours import run_ours

        return run_ours(policy, scene, start, seed)

    return produce


PRODUCERS: dict[str, Producer] = {
    "jupedsim": lambda scene, start, seed: run_jupedsim(scene, start, seed, model="csm"),
    "jupedsim-avm": lambda scene, start, seed: run_jupedsim(scene, start, seed, model="avm"),
    **{name: _ours(name) for name in ("learned", "ttc", "orca")},
}
"""--policy name -> producer. "jupedsim": JuPedSim's collision-free speed model;
"jupedsim-avm": its anticipation velocity model; "learned" (the shipped pedestrian model),
"ttc", "orca": our world's policies (`crowd.ours`); any model .zip path works too."""

OUTPUTS = ("trajectory.txt", "metrics.json", "scene.json")
"""The files every run writes into its folder."""


def register(name: str, producer: Producer) -> None:
    """Make `producer` available as --policy `name`."""
    PRODUCERS[name] = producer


def producer(name: str) -> Producer:
    if name.endswith(".zip"):
        if not Path(name).exists():
            raise ValueError(f"--policy {name}: no such model file")
        from autoparticles.driving.agent import trained_settings

        trained_settings(name)  # a broken config beside the model: refused before any run
        return _ours(name)
    if name not in PRODUCERS:
        raise ValueError(f"unknown --policy {name!r} (known: {', '.join(PRODUCERS)})")
    return PRODUCERS[name]


def run_scene(scene: Scene, policy: str, seed: int) -> Trajectory:
    """The trajectory of `scene` walked by `policy` from the seeded starts (scenes.starts)."""
    return producer(policy)(scene, starts(scene, seed), seed)


def describe(scene: Scene) -> dict:
    """The scene as JSON-ready data (lengths in m): what another simulator needs to rebuild it."""
    def ring(polygon):
        return [list(map(float, xy)) for xy in polygon.exterior.coords]

    return {"name": scene.name, "walkable": ring(scene.walkable), "walls": scene.walls,
            "spawn": ring(scene.spawn), "agents": scene.agents,
            "goals": [ring(g) for g in scene.goals],
            "exit_line": np.asarray(scene.exit_line.coords).tolist(),
            "measurement_area": [list(xy) for xy in scene.measurement_area.coords],
            "width": scene.width, "periodic": scene.periodic,
            "bidirectional": scene.bidirectional, "duration": scene.duration,
            "pedestrians": vars(scene.pedestrians)}


def write_json(data: dict, path) -> Path:
    text = json.dumps(data, indent=2) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def run_and_write(scene: Scene, policy: str, seed: int, out) -> dict:
    """Run `scene` with `policy` and write OUTPUTS into the folder `out`; returns the metrics
    (with "policy" and "seed" added)."""
    out = Path(out)
    trajectory = run_scene(scene, policy, seed)
    metrics = {"policy": policy, "seed": seed, **compute_metrics(trajectory, scene)}
    out.mkdir(parents=True, exist_ok=True)
    write_trajectory(trajectory, out / "trajectory.txt")
    write_json(describe(scene) | {"seed": seed}, out / "scene.json")
    write_json(metrics, out / "metrics.json")
    return metrics
