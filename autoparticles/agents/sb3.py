"""Training with stable-baselines3 for any particle system: learner settings, model creation
and resume, atomic checkpoints and a resumable progress log.

A run folder holds the system's settings files (see `config.claim_folder`), `progress.csv`
(one row per `log_every` SB3 timesteps, columns given by the system), `checkpoint.zip`
(rewritten atomically every `checkpoint_every` timesteps), with `select_every` the best
model on validation episodes (`best.zip`, `best.json`) and, at the end, `model.zip`.
Starting again on the same folder resumes from the checkpoint.

SB3's own `CheckpointCallback` writes a new `NAME_STEPS_steps.zip` each time, not atomically,
and its CSV logger writes at rollout ends with its own column names and cannot drop the rows
a resumed run logs again; so checkpoints and the log are one callback here (`TrainingLog`).
"""

import csv
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from autoparticles.config import (Settings, finite, non_negative, one_of, positive, setting,
                                  within)
from autoparticles.files import atomic_write

OPTIMIZERS = {"adam": None, "cgd-diag": {}, "cgd-full": {"full": True}}
"""TrainSettings.optimizer -> CGD options (None: SB3's own Adam). CGD runs with its defaults
(first moment, covariance metric), α = `cgd_alpha` and SB3's Adam ε = 1e-5; cgd-full keeps
a full metric per parameter tensor, O(P²) per step plus an O(P³) eigendecomposition every
`cgd_refresh` steps (about 0.14 s for a 32×32 weight on one core)."""


def cgd_options(settings) -> dict | None:
    """The CGD options of a TrainSettings' optimizer, or None for torch's Adam."""
    options = OPTIMIZERS[settings.optimizer]
    if options is None:
        return None
    return {"eps": 1e-5, **options, "alpha": settings.cgd_alpha, "refresh": settings.cgd_refresh}


def make_optimizer(settings, parameters, learning_rate: float):
    """The optimiser `settings.optimizer` names, over `parameters` (torch's Adam for adam)."""
    import torch

    options = cgd_options(settings)
    if options is None:
        return torch.optim.Adam(parameters, lr=learning_rate)
    from autoparticles.agents.optim import CGD

    return CGD(parameters, lr=learning_rate, **options)


@dataclass(frozen=True)
class TrainSettings(Settings):
    """Learner settings; steps and checkpoint_every count SB3 timesteps (particle-steps when
    every particle is a slot)."""

    algo: str = setting("ppo", one_of("ppo", "sac"))
    steps: int = setting(2_000_000, positive)
    seed: int = setting(0, non_negative)
    net: tuple[int, ...] = (32, 32)
    """Hidden layers of policy and value networks (small: four relevant inputs)."""
    learning_rate: float = setting(1e-3, positive)
    n_steps: int = setting(64, positive)
    """PPO rollout length per slot; a rollout holds n_steps × N samples."""
    batch_size: int = setting(512, positive)
    n_epochs: int = setting(5, positive)
    gamma: float = setting(0.98, non_negative)
    gae_lambda: float = setting(0.95, non_negative)
    ent_coef: float = setting(0.0, finite)
    log_std_init: float = setting(0.0, finite)
    """PPO: initial log standard deviation of the Gaussian actions (0: std 1, SB3's default)."""
    optimizer: str = setting("adam", one_of(*OPTIMIZERS),
                             doc="adam (SB3's default) or covariant gradient descent, diagonal "
                                 "or full metric (agents.optim.CGD)")
    cgd_alpha: float = setting(0.5, within(0, 1), "exponent α of the CGD metric")
    cgd_refresh: int = setting(10, positive, "cgd-full: optimiser steps between "
                                             "eigendecompositions of the metric")
    checkpoint_every: int = setting(200_000, positive)
    log_every: int = setting(20_000, positive)
    imitate: str = setting("", doc="before reinforcement learning, fit the policy's mean "
                                   "action to a built-in policy's (behaviour cloning); '' = no")
    imitate_steps: int = setting(50_000, positive)
    """Particle-steps of demonstrations recorded for `imitate`."""
    imitate_epochs: int = setting(30, positive)
    select_every: int = setting(0, non_negative)
    """Every that many timesteps (and once at the end), score the deterministic policy on the
    system's held-out validation episodes and keep the best so far as best.zip, its score in
    best.json (0: off). Evaluate best.zip on other episodes than the validation ones."""
    select_episodes: int = setting(16, positive)
    """Validation episodes per score of `select_every`."""
    mirror: bool = False
    """PPO: a policy equivariant under a reflection of the world (`agents.mirror`), for
    systems that name the observation and action columns a reflection flips."""


def check_mirror(settings: TrainSettings, mirror) -> None:
    """Refuse `settings.mirror` without PPO or without the system's reflection `mirror`."""
    if settings.mirror and (settings.algo != "ppo" or mirror is None):
        raise ValueError("mirror needs algo 'ppo' and a system whose reflection is "
                         "defined for these settings")


def make_model(settings: TrainSettings, venv, checkpoint: Path, mirror=None):
    """The model to train: resumed from `checkpoint` when it exists, else a new one.
    mirror: (odd observation columns, odd action columns) of the system's reflection, which
    `settings.mirror` needs."""
    from stable_baselines3 import PPO, SAC

    algo = PPO if settings.algo == "ppo" else SAC
    if checkpoint.exists():
        return algo.load(checkpoint, env=venv, device="cpu")
    policy, policy_kwargs = "MlpPolicy", {"net_arch": list(settings.net)}
    check_mirror(settings, mirror)
    if settings.mirror:
        from autoparticles.agents.mirror import MirrorPolicy

        policy = MirrorPolicy
        policy_kwargs.update(odd_observations=list(mirror[0]), odd_actions=list(mirror[1]))
    options = cgd_options(settings)
    if options is not None:
        from autoparticles.agents.optim import CGD

        policy_kwargs.update(optimizer_class=CGD, optimizer_kwargs=options)
    if settings.algo == "ppo":
        policy_kwargs["log_std_init"] = settings.log_std_init
        return PPO(policy, venv, learning_rate=settings.learning_rate,
                   n_steps=settings.n_steps, batch_size=settings.batch_size,
                   n_epochs=settings.n_epochs, gamma=settings.gamma,
                   gae_lambda=settings.gae_lambda, ent_coef=settings.ent_coef,
                   policy_kwargs=policy_kwargs, seed=settings.seed, device="cpu", verbose=0)
    return SAC("MlpPolicy", venv, learning_rate=settings.learning_rate, gamma=settings.gamma,
               batch_size=settings.batch_size, policy_kwargs=policy_kwargs, seed=settings.seed,
               device="cpu", verbose=0)


def save_model(model, path) -> Path:
    """model.save, atomically."""
    return atomic_write(path, model.save)


def load_trained_model(path, obs_dim: int, hint: str = ""):
    """PPO/SAC model from `path`; raises ValueError when it cannot be read or it expects
    observations of another size than `obs_dim` (`hint`: the settings that set obs_dim)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    from stable_baselines3 import PPO, SAC

    errors = []
    for algo in (PPO, SAC):
        try:
            model = algo.load(path, device="cpu")
            break
        except Exception as error:  # SB3 raises many types for foreign files
            errors.append(f"{algo.__name__}: {error}")
    else:
        raise ValueError(f"{path} is not a readable SB3 model ({'; '.join(errors)})")
    shape = model.observation_space.shape
    if shape != (obs_dim,):
        raise ValueError(f"{path} expects observations of shape {shape}, but "
                         f"{hint or 'the settings'} gives ({obs_dim},)")
    return model


def keep_rows_until(path: Path, steps: int) -> None:
    """Drop the progress rows logged after `steps` (and a half-written last line): a resumed run
    restarts from its checkpoint and logs those timesteps again."""
    lines = path.read_text().splitlines(keepends=True)
    kept = lines[:1] + [line for line in lines[1:] if line.endswith("\n")
                        and line.split(",", 1)[0].isdigit() and int(line.split(",", 1)[0]) <= steps]
    if len(kept) < len(lines):
        path.write_text("".join(kept))


class BestModel:
    """The best model of a run by a validation score (higher is better): best.zip and
    best.json (`{"score", "timesteps"}`) in `out`, kept across resumes."""

    def __init__(self, out: Path, score):
        self.out, self.score = out, score
        record, self.best = out / "best.json", -math.inf
        if record.exists() and (out / "best.zip").exists():
            try:
                self.best = float(json.loads(record.read_text())["score"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{record} is not a best-model record ({error}); delete it "
                                 f"and best.zip to select afresh") from None

    def offer(self, model) -> float:
        """Score `model`; keep it when it beats the best so far; returns its score."""
        value = float(self.score(model))
        if value > self.best:
            self.best = value
            save_model(model, self.out / "best.zip")
            atomic_write(self.out / "best.json", lambda path: Path(path).write_text(
                json.dumps({"score": value, "timesteps": int(model.num_timesteps)}) + "\n"))
        return value


def training_log(settings: TrainSettings, out: Path, tracker, progress: bool,
                 best: BestModel | None = None):
    """The SB3 callback of a training run: every step it hands `locals` to tracker.add; every
    `log_every` timesteps it appends `(timesteps, *tracker.row(), wall_seconds)` to
    progress.csv (header `("particle_steps", *tracker.columns, "wall_seconds")`) and shows
    tracker.postfix(row) on the bar; every `checkpoint_every` it saves checkpoint.zip; every
    `select_every` it offers the model to `best`."""
    from stable_baselines3.common.callbacks import BaseCallback
    from tqdm.auto import tqdm

    class TrainingLog(BaseCallback):
        bar = None

        def _on_training_start(self):
            self.started = time.monotonic()
            self.bar = tqdm(total=settings.steps, initial=min(self.num_timesteps, settings.steps),
                            disable=not progress, desc="particle-steps", mininterval=1.0,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:,}/{total:,} "
                                       "[{elapsed}<{remaining}{postfix}]")
            tracker.clear()
            self.next_log = self.num_timesteps + settings.log_every
            self.next_checkpoint = self.num_timesteps + settings.checkpoint_every
            self.next_select = self.num_timesteps + settings.select_every
            self.csv_path = out / "progress.csv"
            if self.csv_path.exists():
                keep_rows_until(self.csv_path, self.num_timesteps)
            else:
                header = ("particle_steps", *tracker.columns, "wall_seconds")
                self.csv_path.write_text(",".join(header) + "\n")

        def _on_step(self) -> bool:
            tracker.add(self.locals)
            self.bar.update(min(self.num_timesteps, settings.steps) - self.bar.n)  # redraws ≤ 1/s
            if self.num_timesteps >= self.next_log:
                row = tracker.row()
                with open(self.csv_path, "a", newline="") as handle:
                    csv.writer(handle).writerow((self.num_timesteps, *row,
                                                 time.monotonic() - self.started))
                self.bar.set_postfix_str(tracker.postfix(row), refresh=False)
                tracker.clear()
                self.next_log += settings.log_every
            if self.num_timesteps >= self.next_checkpoint:
                save_model(self.model, out / "checkpoint.zip")
                self.next_checkpoint += settings.checkpoint_every
            if best is not None and self.num_timesteps >= self.next_select:
                self.bar.set_description_str(
                    f"particle-steps (validation {best.offer(self.model):.4f}, best "
                    f"{best.best:.4f})", refresh=False)
                self.next_select += settings.select_every
            return True

        def close(self):
            if self.bar is not None:
                self.bar.close()

    return TrainingLog()


def clone_behaviour(model, observations, actions, epochs: int, settings, batch_size: int = 1024,
                    learning_rate: float = 1e-3) -> float:
    """Fit a PPO policy's mean action to demonstrated `actions` (M, A) at `observations`
    (M, D) by mean squared error, before any reinforcement learning (the value network is
    left to PPO), with the optimiser of `settings` (a TrainSettings; its seed orders the
    batches); returns the last epoch's mean loss."""
    import numpy as np
    import torch

    if not hasattr(model.policy, "get_distribution"):
        raise ValueError("imitate needs algo 'ppo' (a policy with a Gaussian mean)")
    policy = model.policy
    obs = torch.as_tensor(np.asarray(observations, np.float32))
    target = torch.as_tensor(np.clip(np.asarray(actions, np.float32), -1.0, 1.0))
    parameters = [p for name, p in policy.named_parameters() if "value" not in name]
    optimizer = make_optimizer(settings, parameters, learning_rate)
    generator = torch.Generator().manual_seed(settings.seed)
    loss_value = float("nan")
    for _ in range(epochs):
        order = torch.randperm(len(obs), generator=generator)
        total = 0.0
        for start in range(0, len(obs), batch_size):
            rows = order[start:start + batch_size]
            mean = policy.get_distribution(obs[rows]).distribution.mean
            loss = torch.mean((mean - target[rows]) ** 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(rows)
        loss_value = total / len(obs)
    return loss_value


def train_model(settings: TrainSettings, venv, out, tracker, progress: bool = True,
                demonstrations=None, mirror=None, score=None) -> Path:
    """Train (or resume) on `venv` into the claimed folder `out`; returns model.zip's path.
    demonstrations: a function () -> (observations, actions) for `settings.imitate`, called
    only when a new model starts; mirror: as for `make_model`; score: model -> validation
    score (higher is better), which `settings.select_every` needs."""
    out = Path(out)
    if settings.select_every and score is None:
        raise ValueError("select_every needs a system that scores models on validation episodes")
    best = BestModel(out, score) if settings.select_every else None
    fresh = not (out / "checkpoint.zip").exists()
    model = make_model(settings, venv, out / "checkpoint.zip", mirror)
    if fresh and settings.imitate:
        observations, actions = demonstrations()
        loss = clone_behaviour(model, observations, actions, settings.imitate_epochs, settings)
        (out / "imitation.txt").write_text(
            f"behaviour cloning of {settings.imitate!r}: {len(actions)} samples, "
            f"{settings.imitate_epochs} epochs, final mean squared error {loss:.4g}\n")
    remaining = settings.steps - model.num_timesteps
    if remaining > 0:
        callback = training_log(settings, out, tracker, progress, best)
        try:
            model.learn(remaining, callback=callback, reset_num_timesteps=False)
        finally:
            callback.close()
        save_model(model, out / "checkpoint.zip")
        if best is not None:
            best.offer(model)
    return save_model(model, out / "model.zip")


def load_progress(out):
    """The run's progress.csv as a pandas DataFrame."""
    import pandas as pd

    return pd.read_csv(Path(out) / "progress.csv")
