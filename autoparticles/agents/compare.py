"""The invariants experiment: same learner and budget for several observation kinds and seeds.

Variants: the 4 invariants, raw coordinates (36 numbers), and ablations keeping 1, 2 or 3 of
the invariants; plus the ballistic and ttc baselines. Every trained model is evaluated at the
training density (N = 32) and, for transfer, at N = 16, 64 and 128 in the same box.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from autoparticles.agents.evaluation import evaluate
from autoparticles.agents.policies import heuristic, load_model_policy
from autoparticles.agents.training import TrainSettings, load_progress, train
from autoparticles.envs.config import DrivingConfig

VARIANTS = {
    "invariants (4)": {},
    "raw (36)": {"observation": "raw"},
    "I1 gap (1)": {"invariants_used": "1"},
    "I1-I2 (2)": {"invariants_used": "12"},
    "I1-I3 (3)": {"invariants_used": "123"},
}
TRANSFER_N = (16, 32, 64, 128)
TARGET = 0.1
"""Relative collision rate (fraction of ballistic) whose first crossing is reported."""


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


def run_comparison(out, seeds: int = 3, steps: int = 500_000, episodes: int = 2,
                   base: DrivingConfig | None = None, progress: bool = True) -> dict:
    """Train and evaluate every variant; writes results.csv, summary.md, learning_curves.png.
    Re-running resumes: finished trainings are reused."""
    out = Path(out)
    base = base or DrivingConfig()
    rows, curves = [], []
    for name, change in VARIANTS.items():
        config = base.replace(**change)
        for seed in range(seeds):
            folder = out / _slug(name) / f"seed{seed}"
            model = train(config, TrainSettings(steps=steps, seed=seed), folder, progress)
            curve = load_progress(folder).assign(variant=name, seed=seed)
            curves.append(curve)
            policy = load_model_policy(model, config)
            reached = steps_to_target(curve)
            params = _parameters(model)
            for n in TRANSFER_N:
                world = config.replace(n_particles=n)
                metrics = evaluate(policy, world, episodes, seed=1000 + seed)
                rows.append({"variant": name, "seed": seed, "n_particles": n, **metrics,
                             "parameters": params, "steps_to_10pct": reached})
    for name in ("ballistic", "ttc"):
        for n in TRANSFER_N:
            metrics = evaluate(heuristic(name), base.replace(n_particles=n), episodes, seed=1000)
            rows.append({"variant": name, "seed": 0, "n_particles": n, **metrics,
                         "parameters": 0, "steps_to_10pct": float("nan")})
    results = pd.DataFrame(rows)
    results["relative_collision_rate"] = results.collision_rate / results.ballistic_rate_theory
    results.to_csv(out / "results.csv", index=False)
    history = pd.concat(curves, ignore_index=True)
    plot_learning_curves(history, out / "learning_curves.png")
    text = summary_markdown(results, base, seeds, steps)
    (out / "summary.md").write_text(text)
    return {"results": results, "summary": text}


def summary_markdown(results: pd.DataFrame, base: DrivingConfig, seeds: int, steps: int) -> str:
    home = results[results.n_particles == base.n_particles]
    lines = [f"# Invariants vs raw coordinates ({seeds} seeds, {steps:,} particle-steps each, PPO)",
             "", f"Evaluated at N = {base.n_particles}, L = {base.box}: mean ± std over seeds.", "",
             "| observation | collision rate | × ballistic | forward speed | parameters | steps to 10 % |",
             "|---|---|---|---|---|---|"]
    for name, group in home.groupby("variant", sort=False):
        def stat(col, fmt):
            return f"{group[col].mean():{fmt}} ± {group[col].std(ddof=0):{fmt}}"
        reached = group.steps_to_10pct
        reach = (f"{reached.mean():,.0f} ({reached.notna().sum()}/{len(group)} seeds)"
                 if reached.notna().any() else "not reached")
        if group.parameters.iloc[0] == 0:
            reach = "—"
        lines.append(f"| {name} | {stat('collision_rate', '.4f')} | "
                     f"{stat('relative_collision_rate', '.3f')} | {stat('forward_speed', '.2f')} | "
                     f"{int(group.parameters.iloc[0]):,} | {reach} |")
    lines += ["", "Transfer (trained at N = 32): collision rate as a fraction of the ballistic "
              "rate at each density, mean over seeds.", "",
              "| observation | " + " | ".join(f"N = {n}" for n in TRANSFER_N) + " |",
              "|---|" + "---|" * len(TRANSFER_N)]
    table = results.groupby(["variant", "n_particles"], sort=False).relative_collision_rate.mean()
    for name in results.variant.unique():
        cells = " | ".join(f"{table[(name, n)]:.3f}" for n in TRANSFER_N)
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines) + "\n"


def plot_learning_curves(history: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, group in history.groupby("variant", sort=False):
        table = group.pivot_table(index="particle_steps", columns="seed",
                                  values="relative_collision_rate")
        mean = table.mean(axis=1)
        line, = ax.plot(mean.index, mean.values, label=name)
        ax.fill_between(mean.index, table.min(axis=1), table.max(axis=1), alpha=0.2,
                        color=line.get_color())
    ax.axhline(TARGET, color="grey", ls="--", lw=1, label="10 % of ballistic")
    ax.set_yscale("log")
    ax.set_xlabel("particle-steps")
    ax.set_ylabel("collision rate / ballistic rate")
    ax.set_title("Learning curves (band: min–max over seeds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
