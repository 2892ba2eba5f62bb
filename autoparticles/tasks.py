"""Independent tasks, each with its result in its own folder: one training and evaluation,
one replica. A list of them runs here, one after another (backend `local`), or spread over a
Ray cluster (backend `ray`, see `ray_backend`), behind one progress bar over the tasks.

A task's folder gets `result.json` (`{"spec": ..., "result": ...}`, written atomically) when
the task has finished, or `error.txt` (its traceback) when it raised. A task whose folder
already holds its result (same spec) is not run again: a list started again on the same
folders resumes, and Ctrl-C leaves the finished results in place. A failing task does not
stop the others; `failures` turns the failed ones into one error naming each.
"""

import json
import traceback
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from autoparticles.files import atomic_write
from autoparticles.threads import limit_threads

BACKENDS = ("local", "ray")
RESULT, ERROR = "result.json", "error.txt"


@dataclass(frozen=True)
class Task:
    """name: how reports call it ("raw-36/seed1"); folder: its own output folder;
    function(folder, **kwargs) -> dict of JSON-able values (numpy scalars allowed), a
    module-level function so that Ray workers can import it; spec: JSON-able values that
    identify the task (a saved result is reused only for the same spec)."""

    name: str
    folder: Path
    function: Callable
    kwargs: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """name, folder: the task's; result: its dict as read back from result.json (None if it
    failed); error: one line `Type: message` (None if it finished)."""

    name: str
    folder: Path
    result: dict | None = None
    error: str | None = None


def _json(value) -> str:
    """JSON text; numpy scalars and arrays become numbers and lists."""
    return json.dumps(value, indent=1, default=lambda v: v.tolist())


def saved_result(task: Task) -> dict | None:
    """The result in the task's folder, or None; a result of another spec is an error."""
    path = Path(task.folder) / RESULT
    if not path.exists():
        return None
    saved = json.loads(path.read_text())
    spec = json.loads(_json(task.spec))
    if saved.get("spec") != spec:
        keys = sorted(k for k in set(spec) | set(saved.get("spec", {}))
                      if spec.get(k) != saved.get("spec", {}).get(k))
        raise ValueError(f"{task.folder} holds the result of another task (differs in "
                         f"{', '.join(keys)}); use another --out or the same settings")
    return saved["result"]


def run_task(task: Task) -> Outcome:
    """Run one task in this process with numba, torch and BLAS on one thread: its result goes
    to result.json, or its exception to error.txt and the outcome's error."""
    limit_threads(1)
    folder = Path(task.folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ERROR).unlink(missing_ok=True)
    try:
        text = _json({"spec": task.spec, "result": task.function(folder, **task.kwargs)})
    except Exception as error:  # a bug or a bad value in one task: reported, the rest go on
        trace = traceback.format_exc()
        atomic_write(folder / ERROR, lambda tmp: tmp.write_text(trace))
        return Outcome(task.name, folder, error=f"{type(error).__name__}: {error}")
    atomic_write(folder / RESULT, lambda tmp: tmp.write_text(text))
    return Outcome(task.name, folder, result=json.loads(text)["result"])


class TaskBar:
    """One progress bar over tasks with finished / running / failed counts."""

    def __init__(self, total: int, finished: int, show: bool = True):
        from tqdm.auto import tqdm

        self.finished, self.running, self.failed = finished, 0, 0
        self.bar = tqdm(total=total, initial=finished, desc="tasks", disable=not show,
                        unit="task", bar_format="{desc}: {n}/{total}|{bar}| [{elapsed}{postfix}]")
        self._show()

    def _show(self, refresh: bool = True) -> None:
        self.bar.set_postfix_str(f"finished {self.finished}, running {self.running}, "
                                 f"failed {self.failed}", refresh=refresh)

    def set_running(self, count: int) -> None:
        if count != self.running:
            self.running = count
            self._show()

    def add(self, outcome: Outcome) -> None:
        if outcome.error is None:
            self.finished += 1
        else:
            self.failed += 1
        self._show(refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def run_tasks(tasks: list[Task], backend: str = "local", address: str | None = None,
              workers: int | None = None, progress: bool = True) -> list[Outcome]:
    """One Outcome per task, in the order given: tasks already finished are read back, the
    others run on `backend` ('local': here, one after another; 'ray': on the cluster at
    `address`, or on a local instance of `workers` CPUs), each on one thread whatever
    --threads says, so that the numbers do not depend on the backend."""
    if backend not in BACKENDS:
        raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    outcomes = {}
    for k, task in enumerate(tasks):
        result = saved_result(task)
        if result is not None:
            outcomes[k] = Outcome(task.name, Path(task.folder), result=result)
    todo = [k for k in range(len(tasks)) if k not in outcomes]
    pending = [replace(tasks[k], folder=Path(tasks[k].folder).resolve()) for k in todo]
    run = _run_on_ray if backend == "ray" and todo else _run_here
    with ExitStack() as stack:
        if run is _run_on_ray:
            from autoparticles.ray_backend import session

            stack.enter_context(session(address, workers))
        bar = TaskBar(len(tasks), len(outcomes), progress)
        stack.callback(bar.close)
        for k, outcome in run(pending, bar.set_running):
            outcomes[todo[k]] = outcome
            bar.add(outcome)
    return [outcomes[k] for k in range(len(tasks))]


def _run_here(tasks, set_running):
    """(index, Outcome) of each task, run in this process one after another."""
    for k, task in enumerate(tasks):
        set_running(1)
        yield k, run_task(task)
    set_running(0)


def _run_on_ray(tasks, set_running):
    """(index, Outcome) of each task as it finishes on Ray; a task whose worker died more
    often than Ray retries it fails with 'worker lost'."""
    from autoparticles.ray_backend import imap_unordered

    for k, value in imap_unordered(run_task, tasks, set_running):
        if isinstance(value, BaseException):
            detail = str(value).strip().splitlines()
            value = Outcome(tasks[k].name, Path(tasks[k].folder), error="worker lost: "
                            + (detail[0] if detail else type(value).__name__))
        yield k, value


def failures(outcomes: list[Outcome], out) -> RuntimeError | None:
    """The error to raise when some tasks failed (None when none did): each failed task with
    its error and, when it raised, where its traceback is; the finished ones stay."""
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return None
    lines = [o.name + ": " + o.error.splitlines()[0]
             + (f" (traceback in {o.folder / ERROR})" if (o.folder / ERROR).exists() else "")
             for o in failed]
    return RuntimeError(f"{len(failed)} of {len(outcomes)} tasks failed: " + "; ".join(lines)
                        + f". The finished ones are kept in {out}; run the same command "
                        "again to retry the failed ones.")
