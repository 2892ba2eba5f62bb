"""Train one policy shared by all particles through `ParticleVecEnv` with stable-baselines3.

The output folder holds `config.json` (the resolved world config), `train.json` (learner
settings), `progress.csv` (collision rate, forward speed and reward against particle-steps),
`checkpoint.zip` (rewritten atomically every `checkpoint_every` particle-steps) and, at the end,
`model.zip`. Starting again on the same folder resumes from the checkpoint.
"""

import csv
import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autoparticles.envs.config import DrivingConfig
from autoparticles.envs.metrics import ballistic_collision_rate

PROGRESS_COLUMNS = ("particle_steps", "collision_rate", "relative_collision_rate",
                    "forward_speed", "reward_per_step", "wall_seconds")


@dataclass(frozen=True)
class TrainSettings:
    """Learner settings; steps and checkpoint_every count particle-steps (SB3 timesteps)."""

    algo: str = "ppo"
    steps: int = 2_000_000
    seed: int = 0
    net: tuple[int, ...] = (32, 32)
    """Hidden layers of policy and value networks (small: four relevant inputs)."""
    learning_rate: float = 1e-3
    n_steps: int = 64
    """PPO rollout length per slot; a rollout holds n_steps × N samples."""
    batch_size: int = 512
    n_epochs: int = 5
    gamma: float = 0.98
    gae_lambda: float = 0.95
    ent_coef: float = 0.0
    log_std_init: float = 0.0
    """PPO: initial log standard deviation of the Gaussian actions (0: std 1, SB3's default)."""
    checkpoint_every: int = 200_000
    log_every: int = 20_000

    def __post_init__(self):
        if self.algo not in ("ppo", "sac"):
            raise ValueError(f"algo must be 'ppo' or 'sac', got {self.algo!r}")
        for name in ("steps", "n_steps", "batch_size", "n_epochs", "checkpoint_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        object.__setattr__(self, "net", tuple(int(k) for k in self.net))


def _prepare_folder(out: Path, config: DrivingConfig, settings: TrainSettings) -> None:
    """Create `out` (or check it continues the same run); fail early if it is not writable."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"cannot write to output folder {out}: {error.strerror}") from None
    for name, current in (("config.json", dataclasses.asdict(config)),
                          ("train.json", dataclasses.asdict(settings))):
        path = out / name
        current = json.loads(json.dumps(current))
        if path.exists():
            saved = json.loads(path.read_text())
            keys = sorted(k for k in set(saved) | set(current)
                          if saved.get(k) != current.get(k) and k != "steps")
            if keys:
                raise ValueError(f"{out} holds a run with different {name[:-5]} ({', '.join(keys)});"
                                 " use another --out or the same settings to resume")
        else:
            path.write_text(json.dumps(current, indent=2))


def _make_model(settings: TrainSettings, venv, out: Path):
    from stable_baselines3 import PPO, SAC

    checkpoint = out / "checkpoint.zip"
    algo = PPO if settings.algo == "ppo" else SAC
    if checkpoint.exists():
        return algo.load(checkpoint, env=venv, device="cpu")
    policy_kwargs = {"net_arch": list(settings.net)}
    if settings.algo == "ppo":
        policy_kwargs["log_std_init"] = settings.log_std_init
        return PPO("MlpPolicy", venv, learning_rate=settings.learning_rate,
                   n_steps=settings.n_steps, batch_size=settings.batch_size,
                   n_epochs=settings.n_epochs, gamma=settings.gamma,
                   gae_lambda=settings.gae_lambda, ent_coef=settings.ent_coef,
                   policy_kwargs=policy_kwargs, seed=settings.seed, device="cpu", verbose=0)
    return SAC("MlpPolicy", venv, learning_rate=settings.learning_rate, gamma=settings.gamma,
               batch_size=settings.batch_size, policy_kwargs=policy_kwargs, seed=settings.seed,
               device="cpu", verbose=0)


def _atomic_save(model, path: Path) -> None:
    tmp = path.with_name(path.stem + ".tmp.zip")
    model.save(tmp)
    os.replace(tmp, path)


def _keep_rows_until(path: Path, steps: int) -> None:
    """Drop the progress rows logged after `steps` (and a half-written last line): a resumed run
    restarts from its checkpoint and logs those particle-steps again."""
    lines = path.read_text().splitlines(keepends=True)
    kept = lines[:1] + [line for line in lines[1:] if line.endswith("\n")
                        and line.split(",", 1)[0].isdigit() and int(line.split(",", 1)[0]) <= steps]
    if len(kept) < len(lines):
        path.write_text("".join(kept))


def _callback(config: DrivingConfig, settings: TrainSettings, out: Path, progress: bool):
    import time

    from stable_baselines3.common.callbacks import BaseCallback
    from tqdm.auto import tqdm

    ballistic = ballistic_collision_rate(config.n_particles, config.box, config.radius, config.v0)

    class ProgressLog(BaseCallback):
        """Logs rollout metrics to progress.csv, shows a bar, writes checkpoints."""

        bar = None

        def _on_training_start(self):
            self.started = time.monotonic()
            self.bar = tqdm(total=settings.steps, initial=min(self.num_timesteps, settings.steps),
                            disable=not progress, desc="particle-steps", mininterval=1.0,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:,}/{total:,} "
                                       "[{elapsed}<{remaining}{postfix}]")
            self._clear()
            self.next_log = self.num_timesteps + settings.log_every
            self.next_checkpoint = self.num_timesteps + settings.checkpoint_every
            self.csv_path = out / "progress.csv"
            if self.csv_path.exists():
                _keep_rows_until(self.csv_path, self.num_timesteps)
            else:
                self.csv_path.write_text(",".join(PROGRESS_COLUMNS) + "\n")

        def _clear(self):
            self.collisions = self.steps = 0
            self.forward = self.reward = 0.0

        def _on_step(self) -> bool:
            infos = self.locals["infos"]
            self.collisions += sum(info["collisions"] for info in infos)
            self.forward += infos[0]["forward_speed"]
            self.reward += float(np.mean(self.locals["rewards"]))
            self.steps += 1
            self.bar.update(min(self.num_timesteps, settings.steps) - self.bar.n)  # redraws ≤ 1/s
            if self.num_timesteps >= self.next_log:
                self._log()
            if self.num_timesteps >= self.next_checkpoint:
                _atomic_save(self.model, out / "checkpoint.zip")
                self.next_checkpoint += settings.checkpoint_every
            return True

        def _log(self):
            rate = self.collisions / (config.n_particles * self.steps * config.dt)
            row = (self.num_timesteps, rate, rate / ballistic, self.forward / self.steps,
                   self.reward / self.steps, time.monotonic() - self.started)
            with open(self.csv_path, "a", newline="") as handle:
                csv.writer(handle).writerow(row)
            self.bar.set_postfix_str(f"collisions {rate / ballistic:.1%} of ballistic, "
                                     f"speed {row[3]:.2f}", refresh=False)
            self._clear()
            self.next_log += settings.log_every

        def close(self):
            if self.bar is not None:
                self.bar.close()

    return ProgressLog()


def train(config: DrivingConfig, settings: TrainSettings, out, progress: bool = True) -> Path:
    """Train (or resume) and return the path of the final `model.zip`."""
    from autoparticles.envs.vec_env import ParticleVecEnv

    out = Path(out)
    _prepare_folder(out, config, settings)
    final = out / "model.zip"
    venv = ParticleVecEnv(config, seed=settings.seed)
    model = _make_model(settings, venv, out)
    remaining = settings.steps - model.num_timesteps
    if remaining > 0:
        callback = _callback(config, settings, out, progress)
        try:
            model.learn(remaining, callback=callback, reset_num_timesteps=False)
        finally:
            callback.close()
        _atomic_save(model, out / "checkpoint.zip")
    _atomic_save(model, final)
    return final


def load_progress(out):
    """The run's progress.csv as a pandas DataFrame."""
    import pandas as pd

    return pd.read_csv(Path(out) / "progress.csv")
