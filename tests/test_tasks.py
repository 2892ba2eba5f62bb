"""Tasks on the local backend: results in their own folders, a failing task reported without
stopping the others, finished tasks not run again, and `--backend ray` without Ray."""

import json
import subprocess
import sys

import pytest

from autoparticles.tasks import ERROR, RESULT, Task, failures, run_tasks
from autoparticles.stats import format_mean_error, mean_error


def square(folder, x: int) -> dict:
    """A task: x² and a count of its runs in `folder`."""
    runs = folder / "runs"
    runs.write_text(str(int(runs.read_text()) + 1 if runs.exists() else 1))
    if x == -2:
        raise KeyboardInterrupt
    if x < 0:
        raise ValueError(f"negative x {x}")
    import torch

    return {"square": x * x, "threads": torch.get_num_threads()}


def squares(folder, values) -> list[Task]:
    return [Task(f"x={x}", folder / f"x{x}", square, {"x": x}, {"x": x}) for x in values]


def runs(task) -> int:
    return int((task.folder / "runs").read_text())


def test_a_failing_task_is_reported_and_the_others_finish_and_are_not_run_again(tmp_path):
    import torch

    torch.set_num_threads(2)  # each task pins its own threads to 1
    tasks = squares(tmp_path, [2, -1, 3])
    outcomes = run_tasks(tasks, progress=False)
    assert [o.result for o in outcomes] == [{"square": 4, "threads": 1}, None,
                                            {"square": 9, "threads": 1}]
    assert outcomes[1].error == "ValueError: negative x -1"
    assert "Traceback" in (tmp_path / "x-1" / ERROR).read_text()
    assert json.loads((tmp_path / "x3" / RESULT).read_text())["spec"] == {"x": 3}
    message = str(failures(outcomes, tmp_path))
    assert message.startswith("1 of 3 tasks failed: x=-1: ValueError: negative x -1 (traceback in")
    assert "run the same command again" in message

    again = run_tasks(tasks, progress=False)  # resumes: only the failed one runs again
    assert [runs(t) for t in tasks] == [1, 2, 1] and again[0].result == outcomes[0].result
    assert failures(run_tasks(tasks[:1], progress=False), tmp_path) is None


def test_ctrl_c_stops_the_list_and_leaves_the_finished_results(tmp_path):
    tasks = squares(tmp_path, [2, -2, 3])
    with pytest.raises(KeyboardInterrupt):
        run_tasks(tasks, progress=False)
    assert (tmp_path / "x2" / RESULT).exists() and not (tmp_path / "x3").exists()
    assert run_tasks(tasks[::2], progress=False)[0].result["square"] == 4
    assert [runs(t) for t in tasks[::2]] == [1, 1]


def test_a_folder_with_another_tasks_result_is_refused(tmp_path):
    run_tasks(squares(tmp_path, [2]), progress=False)
    moved = Task("x=2", tmp_path / "x2", square, {"x": 5}, {"x": 5})
    with pytest.raises(ValueError, match="holds the result of another task .*differs in x"):
        run_tasks([moved], progress=False)


def test_mean_and_standard_error():
    mean, error = mean_error([1.0, 2.0, 3.0, float("nan")])
    assert mean == 2.0 and error == pytest.approx(1 / 3 ** 0.5)
    assert format_mean_error([1.0], ".2f") == "1.00" and format_mean_error([], ".2f") == "—"


def test_backend_ray_without_ray_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['ray'] = None; from autoparticles.cli import main; "
            f"sys.exit(main(['drive', 'sweep', '--backend', 'ray', '--out', {str(tmp_path)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        'autoparticles: error: --backend ray needs Ray, an optional extra: pip install -e ".[ray]" '
        '(or pip install "ray>=2.10")']


@pytest.mark.parametrize("flags, message", [
    (["--workers", "2"], "--address and --workers need --backend ray"),
    (["--backend", "ray", "--address", "x", "--workers", "2"], "--workers sizes a local Ray"),
    (["--set", "net=32,64"], "--set: net holds a list and cannot be swept"),
    (["--set", "speed=1,2"], "--set: cannot sweep speed; keys of DrivingConfig"),
])
def test_bad_sweep_options_are_one_line(capsys, tmp_path, flags, message):
    from autoparticles.cli import main

    assert main(["drive", "sweep", "--out", str(tmp_path)] + flags) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"autoparticles: error: {message}") and "\n" not in err


def test_an_address_where_no_cluster_answers_is_one_line(capsys, tmp_path):
    pytest.importorskip("ray")
    from autoparticles.cli import main

    assert main(["drive", "sweep", "--backend", "ray", "--address", "127.0.0.1:1", "--out",
                 str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "autoparticles: error: --address 127.0.0.1:1: no Ray cluster answers there "
        "(Connection refused)")
