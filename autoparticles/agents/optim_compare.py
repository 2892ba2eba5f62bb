"""Optimisers of the CGD family on the paper's toy tasks, with equal gradient budgets and the
learning rate tuned per method on a log grid.

Tasks (float64): the Rosenbrock function from (−1.2, 1), exact gradients; a tanh network
2→16→16→1 learning x·y for x, y uniform in [−1, 1] from minibatches of 32 fresh points, scored
on 512 fixed test points. Each (method, lr) gets `steps` gradients; a method's score is its
loss over the last 5 % of the evaluations at its best lr (a diverged run scores inf).
"""

import math

import numpy as np
import torch

from autoparticles.agents.optim import CGD

METHODS = {
    "Adam": {"preset": "adam"},
    "CGD diagonal α=½": {},
    "CGD full α=0": {"full": True, "alpha": 0.0},
    "CGD full α=½": {"full": True},
    "CGD full α=1": {"full": True, "alpha": 1.0},
}
"""Method label -> CGD options ("Adam" is CGD's adam preset, equal to torch.optim.Adam);
without a preset CGD uses the first moment and the covariance metric (τ₁ = 9, τ₂ = 999)."""
LEARNING_RATES = tuple(10.0 ** (k / 2) for k in range(-8, 1))
"""The tuning grid: 1e-4 … 1 in half decades."""


def rosenbrock(seed: int):
    """(parameters, loss of step t to descend, evaluation loss) of the Rosenbrock function."""
    q = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)

    def loss(step: int = 0) -> torch.Tensor:
        return (1 - q[0]) ** 2 + 100 * (q[1] - q[0] ** 2) ** 2

    return [q], loss, lambda: float(loss().detach())


def multiplication(seed: int):
    """(parameters, minibatch loss of step t, test loss) of a small network learning x·y."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                              torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
    test = 2 * torch.rand(512, 2, generator=generator, dtype=torch.float64) - 1

    def mse(x: torch.Tensor) -> torch.Tensor:
        return ((net(x)[:, 0] - x[:, 0] * x[:, 1]) ** 2).mean()

    def loss(step: int) -> torch.Tensor:
        return mse(2 * torch.rand(32, 2, generator=generator, dtype=torch.float64) - 1)

    def evaluate() -> float:
        with torch.no_grad():
            return float(mse(test))

    return list(net.parameters()), loss, evaluate


TASKS = {"Rosenbrock": rosenbrock, "multiplication": multiplication}


def loss_curve(task, options: dict, lr: float, steps: int, every: int, seed: int = 0) -> np.ndarray:
    """(steps // every + 1,) evaluation losses, before training and every `every` gradients;
    inf from the first non-finite one on."""
    params, loss, evaluate = task(seed)
    optimiser = CGD(params, lr=lr, **options)
    curve = [evaluate()]
    for step in range(1, steps + 1):
        optimiser.zero_grad()
        loss(step).backward()
        optimiser.step()
        if step % every == 0:
            curve.append(evaluate())
            if not math.isfinite(curve[-1]):
                return np.array(curve + [math.inf] * (steps // every + 1 - len(curve)))
    return np.array(curve)


def score(curve: np.ndarray) -> float:
    """Mean of the last 5 % of a curve (at least one point); inf when it diverged."""
    tail = curve[-max(1, len(curve) // 20):]
    return float(tail.mean()) if np.isfinite(tail).all() else math.inf


def tune(steps: int = 2000, every: int = 20, rates=LEARNING_RATES, progress=print) -> list[dict]:
    """Every task × method × lr: rows {task, method, lr, score, curve (evaluations)}."""
    torch.set_num_threads(1)
    rows = []
    for task_name, task in TASKS.items():
        for method, options in METHODS.items():
            for lr in rates:
                curve = loss_curve(task, options, lr, steps, every)
                rows.append({"task": task_name, "method": method, "lr": lr,
                             "score": score(curve), "curve": curve})
            best = min((r for r in rows if r["task"] == task_name and r["method"] == method),
                       key=lambda r: r["score"])
            progress(f"{task_name}, {method}: best lr {best['lr']:.2g}, loss {best['score']:.3g}")
    return rows


def best_runs(rows: list[dict]) -> dict:
    """(task, method) -> the row of its best learning rate."""
    best = {}
    for row in rows:
        key = (row["task"], row["method"])
        if key not in best or row["score"] < best[key]["score"]:
            best[key] = row
    return best


def toy_table(rows: list[dict], steps: int) -> str:
    """Markdown: per method and task the best lr and its final loss; the winner in bold."""
    best = best_runs(rows)
    winners = {task: min((r for (t, _), r in best.items() if t == task),
                         key=lambda r: r["score"])["method"] for task in TASKS}
    head = " | ".join(f"{task}: lr | {task}: final loss" for task in TASKS)
    lines = [f"Toy tasks, {steps:,} gradients per run, lr tuned on "
             f"{len(LEARNING_RATES)} values 1e-4…1 (half decades), one seed:", "",
             f"| method | {head} |", "|---|" + "---|---|" * len(TASKS)]
    for method in METHODS:
        cells = []
        for task in TASKS:
            row = best[(task, method)]
            text = f"{row['score']:.3g}"
            cells += [f"{row['lr']:.2g}", f"**{text}**" if winners[task] == method else text]
        lines.append(f"| {method} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def plot_toys(rows: list[dict], steps: int, every: int, path) -> None:
    """Loss against gradients (log), one panel per task, each method at its best lr."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best = best_runs(rows)
    fig, axes = plt.subplots(1, len(TASKS), figsize=(12, 4.5))
    for ax, task in zip(axes, TASKS):
        for method in METHODS:
            row = best[(task, method)]
            ax.plot(np.arange(len(row["curve"])) * every, row["curve"],
                    label=f"{method} (lr {row['lr']:.2g})")
        ax.set_yscale("log")
        ax.set_xlabel("gradients")
        ax.set_title(task)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("loss (multiplication: test MSE)")
    fig.suptitle(f"CGD family at the best lr of each method ({steps:,} gradients each)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
