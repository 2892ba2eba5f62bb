"""The ray backend on a real local Ray cluster of 2 CPUs: the same numbers as the local
backend, a task whose worker is killed is run again, a failing task is reported."""

import os
import signal
import threading
import time

import pandas as pd
import pytest

from autoparticles.tasks import run_tasks
from tests.test_tasks import squares

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="WARNING")
    yield
    ray.shutdown()


def test_compare_gives_the_same_results_on_both_backends(cluster, tmp_path):
    from autoparticles.agents.sb3 import TrainSettings
    from autoparticles.driving.compare import run_comparison
    from autoparticles.driving.config import DrivingConfig

    learner = TrainSettings(n_steps=16, batch_size=256, n_epochs=1, log_every=256,
                            checkpoint_every=10_000)
    tiny = dict(seeds=1, steps=512, ablation_seeds=0, episodes=1, learner=learner,
                base=DrivingConfig(episode_steps=20), progress=False)
    local = run_comparison(tmp_path / "local", **tiny)["results"]
    on_ray = run_comparison(tmp_path / "ray", backend="ray", **tiny)["results"]
    assert len(local) == 5 * 5 and local.collision_rate.gt(0).any()
    pd.testing.assert_frame_equal(local, on_ray)


def test_a_failing_task_on_ray_is_reported_and_the_others_finish(cluster, tmp_path):
    outcomes = run_tasks(squares(tmp_path, [3, -1]), backend="ray", progress=False)
    assert outcomes[0].result == {"square": 9, "threads": 1}
    assert outcomes[1].error == "ValueError: negative x -1"


def _our_workers_running(name: bytes) -> list[int]:
    """Pids of this process's descendants whose title is `ray::NAME` (a Ray worker running
    the task function NAME)."""
    parents = {}
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found = []
    for pid in parents:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                title = cmdline.read().split(b"\0")[0]
        except OSError:
            continue
        ancestor = parents.get(pid)
        while ancestor not in (None, 0, 1, os.getpid()):
            ancestor = parents.get(ancestor)
        if title == b"ray::" + name and ancestor == os.getpid():
            found.append(pid)
    return found


def test_a_killed_worker_is_retried_and_every_result_arrives(cluster, tmp_path, capsys):
    from autoparticles.cli import main

    killed, training = [], []

    def kill_one_worker_mid_task():
        """SIGKILL a worker once a training has started and not finished."""
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            started = [d for d in tmp_path.glob("*/seed0")
                       if (d / "progress.csv").exists() and not (d / "result.json").exists()]
            for pid in _our_workers_running(b"run_task")[:1] if started else ():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                training.extend(started)
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_worker_mid_task, daemon=True)
    killer.start()
    status = main(["drive", "sweep", "--set", "n_particles=8,16", "--seeds", "1", "--steps",
                   "512", "--episodes", "1", "--set", "episode_steps=20", "--backend", "ray",
                   "--out", str(tmp_path)])
    killer.join()
    assert killed and status == 0, capsys.readouterr().err
    results = pd.read_csv(tmp_path / "results.csv")
    assert sorted(results.n_particles) == [8, 16]
    assert len(list(tmp_path.glob("*/seed0/result.json"))) == 2
    assert training and all((d / "result.json").exists() for d in training)
    assert "| n_particles=16, episode_steps=20 | 512 |" in capsys.readouterr().out
