"""Shared learners: quadratic losses of invariants (`losses`), stable-baselines3 training with
checkpoints and a resumable log (`sb3`), policies from trained models (`policies`) and
covariant gradient descent, a torch optimiser (`optim.CGD`; compared on toy tasks in
`optim_compare`).
stable-baselines3 and torch load only when a model is trained or read.

The driving names this package held in the first round (`heuristic`, `load_model_policy`,
`resolve_policy`, `train`, `evaluate`, `format_metrics`, `run_comparison`) still resolve
here, lazily, from `autoparticles.driving`.
"""

from autoparticles.agents.losses import QuadraticLoss
from autoparticles.exports import lazy_exports

__getattr__ = lazy_exports(__name__, {
    "CGD": "autoparticles.agents.optim",
    "TrainSettings": "autoparticles.agents.sb3",
    "load_progress": "autoparticles.agents.sb3",
    "model_policy": "autoparticles.agents.policies",
    "heuristic": "autoparticles.driving.agent",
    "load_model_policy": "autoparticles.driving.agent",
    "resolve_policy": "autoparticles.driving.agent",
    "train": "autoparticles.driving.learn",
    "evaluate": "autoparticles.driving.analysis",
    "format_metrics": "autoparticles.driving.analysis",
    "run_comparison": "autoparticles.driving.compare",
})

__all__ = ["QuadraticLoss", "CGD", "TrainSettings", "load_progress", "model_policy", "heuristic",
           "load_model_policy", "resolve_policy", "train", "evaluate", "format_metrics",
           "run_comparison"]
