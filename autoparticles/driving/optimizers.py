"""The optimiser experiment on the driving task: the same PPO learner trained with SB3's Adam
and with diagonal and full covariant gradient descent (`TrainSettings.optimizer`), at the
default learning rate (not tuned), a few seeds each, evaluated at the training world."""

from pathlib import Path

import pandas as pd

from autoparticles.agents.sb3 import OPTIMIZERS, TrainSettings, load_progress
from autoparticles.driving.agent import load_model_policy
from autoparticles.driving.analysis import evaluate
from autoparticles.driving.compare import _mean_std, plot_learning_curves
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.learn import train


def compare_optimizers(out, seeds: int = 3, steps: int = 100_000, episodes: int = 2,
                       progress: bool = True) -> str:
    """Train every optimiser of OPTIMIZERS `seeds` times for `steps` particle-steps into
    out/OPTIMIZER/seedK (rerunning resumes), evaluate each model on `episodes` unseen
    episodes, write out/learning_curves.png and return a markdown table."""
    out, config = Path(out), DrivingConfig()
    rows, curves = [], []
    for name in OPTIMIZERS:
        for seed in range(seeds):
            folder = out / name / f"seed{seed}"
            learner = TrainSettings(steps=steps, seed=seed, optimizer=name)
            model = train(config, learner, folder, progress)
            curve = load_progress(folder).assign(variant=name, seed=seed)
            curves.append(curve)
            metrics = evaluate(load_model_policy(model, config), config, episodes, 10_000 + seed)
            rows.append({"optimizer": name, "seed": seed, "wall_seconds": curve.wall_seconds.max(),
                         **metrics})
    plot_learning_curves(pd.concat(curves, ignore_index=True), out / "learning_curves.png")
    results = pd.DataFrame(rows)
    results["relative_collision_rate"] = results.collision_rate / results.ballistic_rate_theory
    results.to_csv(out / "results.csv", index=False)
    lines = [f"Driving (PPO, N = {config.n_particles}), {steps:,} particle-steps × {seeds} seeds, "
             f"lr {TrainSettings().learning_rate:g} for all; {episodes} unseen episodes each, "
             "mean ± std over seeds:", "",
             "| optimizer | collisions × ballistic | forward speed ⟨v·ê⟩/v0 | training time [s] |",
             "|---|---|---|---|"]
    for name, group in results.groupby("optimizer", sort=False):
        lines.append(f"| {name} | {_mean_std(group, 'relative_collision_rate', '.3f')} | "
                     f"{_mean_std(group, 'forward_speed', '.2f')} | "
                     f"{_mean_std(group, 'wall_seconds', '.0f')} |")
    return "\n".join(lines) + "\n"
