"""Learning agents: quadratic losses of invariants, policies (heuristics and trained SB3
models), training with checkpoints, evaluation and the invariants-vs-raw comparison.
stable-baselines3 and torch load only when a model is trained or read."""

from autoparticles.agents.compare import run_comparison
from autoparticles.agents.evaluation import evaluate, format_metrics
from autoparticles.agents.losses import QuadraticLoss
from autoparticles.agents.policies import heuristic, load_model_policy, resolve_policy
from autoparticles.agents.training import TrainSettings, load_progress, train

__all__ = ["QuadraticLoss", "heuristic", "load_model_policy", "resolve_policy", "TrainSettings",
           "train", "load_progress", "evaluate", "format_metrics", "run_comparison"]
