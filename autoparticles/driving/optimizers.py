"""The optimiser experiment on the driving task: the same PPO learner trained with SB3's Adam
and with the CGD family of the toy comparison (`agents.optim_compare.METHODS`: diagonal α = ½,
full α = 0, ½, 1), the learning rate tuned per method on a log grid, every (method, lr) run on
the same seeds with the same number of particle-steps (so the same number of gradients).

A method's score is the training reward per particle-step over the last 30 % of its
progress log, mean over seeds; its best lr is the one with the highest score. Its final
models are then evaluated on unseen episodes at the training world."""

from pathlib import Path

import pandas as pd

from autoparticles.agents.sb3 import TrainSettings, load_progress
from autoparticles.driving.agent import load_model_policy
from autoparticles.driving.analysis import evaluate
from autoparticles.driving.compare import _mean_std, plot_learning_curves
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.learn import train

METHODS = {
    "Adam": {"optimizer": "adam"},
    "CGD diagonal α=½": {"optimizer": "cgd-diag"},
    "CGD full α=0": {"optimizer": "cgd-full", "cgd_alpha": 0.0},
    "CGD full α=½": {"optimizer": "cgd-full"},
    "CGD full α=1": {"optimizer": "cgd-full", "cgd_alpha": 1.0},
}
"""The toy comparison's methods as TrainSettings fields (Adam is SB3's own, ε = 1e-5)."""
LEARNING_RATES = (1e-4, 1e-3, 1e-2, 1e-1)
"""The tuning grid, in decades (α = 0 and α = 1 need rates far from Adam's)."""
TAIL = 0.3
"""Fraction of the progress log the score averages."""


def _folder(out: Path, method: str, lr: float, seed: int) -> Path:
    fields = METHODS[method]
    slug = fields["optimizer"]
    if slug != "adam":
        slug += f"-a{fields.get('cgd_alpha', TrainSettings().cgd_alpha):g}"
    return out / slug / f"lr{lr:g}" / f"seed{seed}"


def tail_reward(curve: pd.DataFrame) -> float:
    """Mean reward per particle-step over the last TAIL of a progress log."""
    return float(curve.reward_per_step.iloc[-max(1, round(TAIL * len(curve))):].mean())


def _train_or_diverge(config, learner, folder: Path, progress: bool) -> bool:
    """Train (or resume) one run; False when it diverged (non-finite actions or losses),
    which folder/diverged.txt records so that a rerun skips it."""
    marker = folder / "diverged.txt"
    if marker.exists():
        return False
    try:
        train(config, learner, folder, progress)
    except ValueError as error:  # torch's distributions refuse NaN parameters
        if "nan" not in str(error).lower():
            raise
        marker.write_text(f"{error}\n")
        return False
    return True


def compare_optimizers(out, seeds: int = 3, steps: int = 100_000, episodes: int = 2,
                       rates=LEARNING_RATES, progress: bool = True) -> str:
    """Train every method × lr × seed for `steps` particle-steps into
    out/OPTIMIZER-aALPHA/lrLR/seedK (rerunning resumes), pick each method's best lr, evaluate
    its models on `episodes` unseen episodes; write out/runs.csv (every run), out/results.csv
    (the best lr's evaluations), out/learning_curves.png; return a markdown table."""
    out, config = Path(out), DrivingConfig()
    runs, curves = [], {}
    for method, fields in METHODS.items():
        for lr in rates:
            for seed in range(seeds):
                folder = _folder(out, method, lr, seed)
                learner = TrainSettings(steps=steps, seed=seed, learning_rate=lr,
                                        log_every=max(1, steps // 10), **fields)
                score, seconds = float("-inf"), float("nan")  # a diverged run
                if _train_or_diverge(config, learner, folder, progress):
                    curve = load_progress(folder)
                    curves[method, lr, seed] = curve.assign(variant=method, seed=seed)
                    score, seconds = tail_reward(curve), curve.wall_seconds.max()
                runs.append({"method": method, "lr": lr, "seed": seed, "score": score,
                             "wall_seconds": seconds})
    runs = pd.DataFrame(runs)
    runs.to_csv(out / "runs.csv", index=False)
    by_run = runs.set_index(["method", "lr", "seed"])
    scores = runs.groupby(["method", "lr"], sort=False).score.mean().fillna(float("-inf"))
    best = {method: scores[method].idxmax() for method in METHODS}
    rows = []
    for method, lr in best.items():
        for seed in range(seeds):
            model = _folder(out, method, lr, seed) / "model.zip"
            metrics = evaluate(load_model_policy(model, config), config, episodes, 10_000 + seed)
            rows.append({"method": method, "lr": lr, "seed": seed, **metrics,
                         **by_run.loc[(method, lr, seed)]})
    results = pd.DataFrame(rows)
    results["relative_collision_rate"] = results.collision_rate / results.ballistic_rate_theory
    results.to_csv(out / "results.csv", index=False)
    plot_learning_curves(pd.concat([curves[m, lr, s] for m, lr in best.items()
                                    for s in range(seeds)], ignore_index=True),
                         out / "learning_curves.png")
    return _table(results, runs, steps, seeds, episodes, rates)


def _table(results: pd.DataFrame, runs: pd.DataFrame, steps: int, seeds: int, episodes: int,
           rates) -> str:
    winner = results.groupby("method", sort=False).score.mean().idxmax()
    lines = [f"Driving (PPO, N = {DrivingConfig().n_particles}), {steps:,} particle-steps per "
             f"run, lr tuned on {', '.join(f'{r:g}' for r in rates)} by the training reward "
             f"over the last {TAIL:.0%} (mean of {seeds} seed{'s' * (seeds > 1)}); at the best lr, mean ± std "
             f"over the seeds, {episodes} unseen episodes each:", "",
             "| method | best lr | reward / particle-step | collisions × ballistic | "
             "forward speed ⟨v·ê⟩/v0 | training time [s] |", "|---|---|---|---|---|---|"]
    for method, group in results.groupby("method", sort=False):
        score = _mean_std(group, "score", ".4f")
        lines.append(f"| {method} | {group.lr.iloc[0]:g} | "
                     f"{f'**{score}**' if method == winner else score} | "
                     f"{_mean_std(group, 'relative_collision_rate', '.3f')} | "
                     f"{_mean_std(group, 'forward_speed', '.2f')} | "
                     f"{_mean_std(group, 'wall_seconds', '.0f')} |")
    return "\n".join(lines) + "\n"
