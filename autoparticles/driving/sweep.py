"""Sweeps of driving settings: a grid over DrivingConfig and TrainSettings keys × seeds. Every
(point, seed) is one task (`tasks`): train, then evaluate at the point's own world; the table
gives the mean ± standard error over seeds of every point."""

import dataclasses
import itertools
import typing

import pandas as pd

from autoparticles.agents.sb3 import TrainSettings
from autoparticles.config import ConfigError, as_dict, claim_folder, from_mapping
from autoparticles.driving.compare import _slug, gather, train_and_evaluate
from autoparticles.driving.config import DrivingConfig
from autoparticles.stats import format_mean_error
from autoparticles.tasks import Task

COLUMNS = (("relative_collision_rate", "× ballistic", ".3f"),
           ("forward_speed", "forward speed ⟨v·ê⟩/v0", ".2f"), ("overspeed", "overspeed", ".3f"),
           ("tracking_error", "tracking error", ".2f"), ("steps_to_10pct", "steps to 10 %", ",.0f"))
"""Columns of the summary: results column, heading, format."""


def _keys(cls, exclude=()) -> set:
    """Fields of `cls` a grid may take: not `exclude`, not tuple-valued (--set splits at
    commas; such fields go in --config)."""
    hints = typing.get_type_hints(cls)
    return {f.name for f in dataclasses.fields(cls)
            if f.name not in exclude and typing.get_origin(hints[f.name]) is not tuple}


def grid_points(grid: dict, base: DrivingConfig, learner: TrainSettings) -> list[tuple]:
    """Every point of `grid` ({key: [text, ...]}) as (config, learner, {key: value}); a
    key of neither settings class or a bad value is a ConfigError naming it."""
    world, training = _keys(DrivingConfig), _keys(TrainSettings, exclude=("seed",))
    unknown = sorted(set(grid) - world - training)
    listed = sorted(set(unknown) & {f.name for f in dataclasses.fields(TrainSettings)
                                    + dataclasses.fields(DrivingConfig)} - {"seed"})
    if listed:
        raise ConfigError(f"--set: {', '.join(listed)} holds a list and cannot be swept (--set "
                          "splits its values at commas)")
    if unknown:
        raise ConfigError(f"--set: cannot sweep {', '.join(unknown)}; keys of DrivingConfig: "
                          f"{', '.join(sorted(world))}; of TrainSettings: "
                          f"{', '.join(sorted(training))} (seeds: --seeds)")
    points = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values))
        config = from_mapping(DrivingConfig, {**as_dict(base), **{k: v for k, v in point.items()
                                                                  if k in world}}, "--set")
        trainer = from_mapping(TrainSettings, {**as_dict(learner), **{
            k: v for k, v in point.items() if k in training}}, "--set")
        points.append((config, trainer, {k: getattr(config if k in world else trainer, k)
                                         for k in grid}))
    return points


def _label(point: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items()) or "base"


def run_sweep(out, grid: dict, seeds: int = 3, episodes: int = 2,
              base: DrivingConfig | None = None, learner: TrainSettings | None = None,
              progress: bool = True, backend: str = "local", address: str | None = None,
              workers: int | None = None) -> dict:
    """Train and evaluate every point of `grid` × `seeds` into out/POINT/seedK (re-running
    resumes); writes results.csv, summary.md and learning_curves.png; returns
    {"results": DataFrame, "summary": markdown}."""
    base, learner = base or DrivingConfig(), learner or TrainSettings()
    out = claim_folder(out, {"config": base, "train": learner})
    tasks = []
    for config, trainer, point in grid_points(grid, base, learner):
        name = _label(point)
        for seed in range(seeds):
            tasks.append(Task(f"{name} seed {seed}", out / _slug(name) / f"seed{seed}",
                              train_and_evaluate,
                              {"variant": name, "config": config,
                               "learner": dataclasses.replace(trainer, seed=seed),
                               "base": config, "episodes": episodes,
                               "worlds": ((config.n_particles, 1),)},
                              {"point": point, "seed": seed, "episodes": episodes}))
    results = gather(tasks, out, backend, address, workers, progress)
    text = summary_markdown(results, grid, seeds, episodes)
    (out / "summary.md").write_text(text)
    return {"results": results, "summary": text}


def summary_markdown(results: pd.DataFrame, grid: dict, seeds: int, episodes: int) -> str:
    """One row per point: the mean ± standard error over seeds of COLUMNS."""
    lines = [f"# Sweep over {', '.join(grid) or 'no key'} ({seeds} seed(s) per point)", "",
             f"Each point trained with its settings, evaluated over {episodes} episode(s) in "
             "its own world; mean ± standard error over seeds.", "",
             "| point | training steps | " + " | ".join(h for _, h, _ in COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for name, group in results.groupby("variant", sort=False):
        cells = " | ".join(format_mean_error(group[column], fmt) for column, _, fmt in COLUMNS)
        lines.append(f"| {name} | {group.training_steps.iloc[0]:,} | {cells} |")
    return "\n".join(lines) + "\n"
