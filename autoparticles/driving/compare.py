"""The invariants experiment: same learner and budget for several observation kinds and seeds.

Main variants: the 4 invariants and raw coordinates (36 numbers); ablations (fewer steps)
keep 1, 2 or 3 of the invariants; baselines: ballistic, ttc and ORCA. Every policy is evaluated
at the training density (N = 32) and, for transfer, at N = 16, 64 and 128 in the same box and
at N = 128 in a box of twice the side (the training density).
"""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from autoparticles.agents.sb3 import TrainSettings, load_progress
from autoparticles.config import claim_folder
from autoparticles.driving.agent import POLICIES, heuristic, load_model_policy
from autoparticles.driving.analysis import evaluate
from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.learn import train
from autoparticles.tasks import Task, failures, run_tasks

MAIN_VARIANTS = {
    "invariants (4)": {},
    "raw (36)": {"observation": "raw"},
}
ABLATIONS = {
    "I1 gap (1)": {"invariants_used": "1"},
    "I1-I2 (2)": {"invariants_used": "12"},
    "I1-I3 (3)": {"invariants_used": "123"},
}
BASELINES = {name: entry.sees for name, entry in POLICIES.items()}
"""Built-in policies evaluated beside the learners, with what each one sees."""
TRANSFER = ((16, 1), (32, 1), (64, 1), (128, 1), (128, 2))
"""Evaluation worlds as (N, box multiple): N = 16…128 in the training box, and a box of twice
the side (4× the area) at the training density."""
TARGET = 0.1
"""Relative collision rate (fraction of ballistic) whose first crossing is reported."""


def _world_label(n: int, scale: int, base: DrivingConfig) -> str:
    return f"N = {n}" if scale == 1 else f"N = {n}, L = {base.box * scale:g}"


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-").replace("--", "-")


def steps_to_target(progress: pd.DataFrame, target: float = TARGET, window: int = 3,
                    min_speed: float = 0.8) -> float:
    """First particle-step count where, over a rolling window of log rows, the relative
    collision rate is below `target` while the forward speed stays >= min_speed (stopping
    is not driving)."""
    rate = progress.relative_collision_rate.rolling(window, min_periods=window).mean()
    speed = progress.forward_speed.rolling(window, min_periods=window).mean()
    hit = np.nonzero(((rate < target) & (speed >= min_speed)).to_numpy())[0]
    return float(progress.particle_steps.iloc[hit[0]]) if len(hit) else float("nan")


def _parameters(model_path: Path) -> int:
    from stable_baselines3 import PPO

    model = PPO.load(model_path, device="cpu")
    return int(sum(p.numel() for p in model.policy.parameters()))


def run_comparison(out, seeds: int = 5, steps: int = 2_000_000, ablation_steps: int = 500_000,
                   ablation_seeds: int = 3, episodes: int = 2, base: DrivingConfig | None = None,
                   learner: TrainSettings | None = None, progress: bool = True,
                   backend: str = "local", address: str | None = None,
                   workers: int | None = None) -> dict:
    """Train and evaluate the main variants (`seeds` × `steps`) and the ablations
    (`ablation_seeds` × `ablation_steps`; 0 skips them); writes results.csv, summary.md,
    learning_curves.png and speed_vs_collisions.png. `learner`: the settings every training
    starts from (steps and seed are set per run). Every (variant, seed) and every baseline is
    one task (`tasks.run_tasks` on `backend`) with its own folder; the folder keeps the
    resolved `config.json` and `train.json`; re-running resumes: finished tasks are reused."""
    base = base or DrivingConfig()
    learner = learner or TrainSettings()
    out = claim_folder(out, {"config": base, "train": learner})
    plan = [(name, change, seeds, steps) for name, change in MAIN_VARIANTS.items()]
    if ablation_seeds and ablation_steps:
        plan += [(name, change, ablation_seeds, ablation_steps) for name, change in ABLATIONS.items()]
    tasks = [Task(f"{_slug(name)}/seed{seed}", out / _slug(name) / f"seed{seed}",
                  train_and_evaluate,
                  {"variant": name, "config": dataclasses.replace(base, **change),
                   "learner": dataclasses.replace(learner, steps=n_steps, seed=seed),
                   "base": base, "episodes": episodes},
                  {"variant": name, "seed": seed, "steps": n_steps, "episodes": episodes})
             for name, change, n_seeds, n_steps in plan for seed in range(n_seeds)]
    tasks += [Task(_slug(name), out / _slug(name), evaluate_baseline,
                   {"name": name, "base": base, "episodes": episodes},
                   {"variant": name, "episodes": episodes}) for name in BASELINES]
    results = gather(tasks, out, backend, address, workers, progress)
    plot_speed_vs_collisions(results, base, out / "speed_vs_collisions.png")
    text = summary_markdown(results, base)
    (out / "summary.md").write_text(text)
    return {"results": results, "summary": text}


def gather(tasks: list[Task], out: Path, backend: str, address: str | None,
           workers: int | None, progress: bool) -> pd.DataFrame:
    """Run the tasks of train_and_evaluate / evaluate_baseline (`tasks.run_tasks`; failed ones
    raise, the finished ones stay); their rows with the relative collision rate, also written
    to out/results.csv, and out/learning_curves.png of the trained ones."""
    outcomes = run_tasks(tasks, backend, address, workers, progress)
    if error := failures(outcomes, out):
        raise error
    results = pd.DataFrame([row for o in outcomes for row in o.result["rows"]])
    results["relative_collision_rate"] = results.collision_rate / results.ballistic_rate_theory
    results.to_csv(out / "results.csv", index=False)
    plot_learning_curves(learning_curves(outcomes), out / "learning_curves.png")
    return results


def train_and_evaluate(folder, variant: str, config: DrivingConfig, learner: TrainSettings,
                       base: DrivingConfig, episodes: int, worlds=TRANSFER) -> dict:
    """One task: train `config` with `learner` in `folder` (resumed if started), then
    evaluate the model in `worlds` ((N, box multiple of base) pairs; episode seeds from 1000 +
    learner.seed). Returns {"rows": metrics per world, "curve": the progress log's columns}."""
    model = train(config, learner, folder, progress=False)
    curve = load_progress(folder)
    common = {"variant": variant, "seed": learner.seed,
              "sees": f"{config.obs_dim} input{'s' if config.obs_dim > 1 else ''}, learned",
              "training_steps": learner.steps, "parameters": _parameters(model),
              "steps_to_10pct": steps_to_target(curve)}
    rows = _transfer_rows(load_model_policy(model, config), config, base, episodes,
                          1000 + learner.seed, common, worlds)
    return {"rows": rows, "curve": curve.to_dict(orient="list")}


def evaluate_baseline(folder, name: str, base: DrivingConfig, episodes: int) -> dict:
    """One task: the built-in policy `name` in every world of TRANSFER; {"rows": ...}."""
    common = {"variant": name, "seed": 0, "sees": BASELINES[name], "training_steps": 0,
              "parameters": 0, "steps_to_10pct": float("nan")}
    return {"rows": _transfer_rows(heuristic(name, base), base, base, episodes, 1000, common)}


def learning_curves(outcomes) -> pd.DataFrame:
    """The progress logs of the trained tasks' outcomes, with their variant and seed."""
    return pd.concat([pd.DataFrame(o.result["curve"]).assign(variant=first["variant"],
                                                             seed=first["seed"])
                      for o in outcomes if "curve" in o.result
                      for first in o.result["rows"][:1]], ignore_index=True)


def _transfer_rows(policy, config: DrivingConfig, base: DrivingConfig, episodes: int, seed: int,
                   common: dict, worlds=TRANSFER) -> list[dict]:
    """One row of metrics per world of `worlds` (the policy's config at that N and box)."""
    rows = []
    for n, scale in worlds:
        world = dataclasses.replace(config, n_particles=n, box=base.box * scale)
        metrics = evaluate(policy, world, episodes, seed=seed)
        rows.append({**common, "world": _world_label(n, scale, base), "n_particles": n,
                     "box": world.box, **metrics})
    return rows


def _mean_std(group: pd.DataFrame, column: str, fmt: str) -> str:
    if len(group) == 1:
        return f"{group[column].iloc[0]:{fmt}}"
    return f"{group[column].mean():{fmt}} ± {group[column].std(ddof=0):{fmt}}"


def summary_markdown(results: pd.DataFrame, base: DrivingConfig) -> str:
    """The final table at the training world (mean ± std over seeds) and the transfer table."""
    home_label = _world_label(base.n_particles, 1, base)
    lines = ["# Learned drivers against the baselines (PPO)", "",
             f"Evaluated at N = {base.n_particles}, L = {base.box:g}; learners: mean ± std over "
             "seeds. ORCA sees the full positions and velocities of its neighbours; ttc and the "
             "learners see only invariants.", "",
             "| policy | sees | training steps × seeds | × ballistic | forward speed ⟨v·ê⟩/v0 | "
             "overspeed | tracking error | parameters | steps to 10 % |",
             "|---|---|---|---|---|---|---|---|---|"]
    home = results[results.world == home_label]
    for name, group in home.groupby("variant", sort=False):
        trained = group.parameters.iloc[0] > 0
        reached = group.steps_to_10pct
        reach = "—"
        if trained:
            reach = (f"{reached.mean():,.0f} ({reached.notna().sum()}/{len(group)} seeds)"
                     if reached.notna().any() else "not reached")
        budget = f"{group.training_steps.iloc[0]:,} × {len(group)}" if trained else "—"
        lines.append(
            f"| {name} | {group.sees.iloc[0]} | {budget} | "
            f"{_mean_std(group, 'relative_collision_rate', '.3f')} | "
            f"{_mean_std(group, 'forward_speed', '.2f')} | {_mean_std(group, 'overspeed', '.3f')} | "
            f"{_mean_std(group, 'tracking_error', '.2f')} | {int(group.parameters.iloc[0]):,} | "
            f"{reach} |")
    worlds = list(dict.fromkeys(results.world))
    lines += ["", f"Transfer (learners trained at N = {base.n_particles}): collision rate as a "
              "fraction of the ballistic rate of each world, mean over seeds (forward speed in "
              "brackets).", "",
              "| policy | " + " | ".join(worlds) + " |", "|---|" + "---|" * len(worlds)]
    table = results.groupby(["variant", "world"], sort=False)[
        ["relative_collision_rate", "forward_speed"]].mean()
    for name in results.variant.unique():
        cells = " | ".join(f"{table.loc[(name, w)].relative_collision_rate:.3f} "
                           f"({table.loc[(name, w)].forward_speed:.2f})" for w in worlds)
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines) + "\n"


def plot_speed_vs_collisions(results: pd.DataFrame, base: DrivingConfig, path: Path) -> None:
    """Collision rate (× ballistic, log) against forward speed for every policy, one panel per
    density; learners as their mean with min–max bars over seeds and each seed as a dot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [_world_label(base.n_particles, 1, base), _world_label(128, 1, base)]
    fig, axes = plt.subplots(1, len(panels), figsize=(11, 4.5), sharey=True)
    for ax, world in zip(axes, panels):
        here = results[results.world == world]
        for k, (name, group) in enumerate(here.groupby("variant", sort=False)):
            colour = f"C{k}"
            rate, speed = group.relative_collision_rate, group.forward_speed
            ax.scatter(speed, rate, color=colour, s=12, alpha=0.5)
            ax.errorbar(speed.mean(), rate.mean(), xerr=[[speed.mean() - speed.min()],
                                                         [speed.max() - speed.mean()]],
                        yerr=[[rate.mean() - rate.min()], [rate.max() - rate.mean()]],
                        fmt="o" if group.parameters.iloc[0] else "s", color=colour, capsize=3,
                        label=name)
        ax.axvspan(0.85, 1.05, color="grey", alpha=0.1)
        ax.set_yscale("log")
        ax.set_xlabel("forward speed ⟨v·ê⟩ / v0")
        ax.set_title(world)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("collision rate / ballistic rate")
    axes[0].legend(fontsize=8)
    fig.suptitle("Collisions against speed (shaded: 0.85–1.05 v0; dots: seeds; bars: min–max)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_learning_curves(history: pd.DataFrame, path: Path) -> None:
    """Collision rate (× ballistic) and forward speed against particle-steps, mean over seeds
    with a min–max band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (rate_ax, speed_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, group in history.groupby("variant", sort=False):
        colour = None
        for ax, column in ((rate_ax, "relative_collision_rate"), (speed_ax, "forward_speed")):
            table = group.pivot_table(index="particle_steps", columns="seed", values=column)
            mean = table.mean(axis=1)
            line, = ax.plot(mean.index, mean.values, label=name, color=colour)
            colour = line.get_color()
            ax.fill_between(mean.index, table.min(axis=1), table.max(axis=1), alpha=0.2,
                            color=colour)
    rate_ax.axhline(TARGET, color="grey", ls="--", lw=1, label="10 % of ballistic")
    rate_ax.set_yscale("log")
    rate_ax.set_ylabel("collision rate / ballistic rate")
    speed_ax.axhspan(0.85, 1.05, color="grey", alpha=0.1)
    speed_ax.set_ylabel("forward speed ⟨v·ê⟩ / v0 (shaded: 0.85–1.05)")
    for ax in (rate_ax, speed_ax):
        ax.set_xlabel("particle-steps (training rollouts)")
        ax.grid(alpha=0.3)
    rate_ax.legend(fontsize=8)
    fig.suptitle("Learning curves (mean over seeds, band: min–max)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
