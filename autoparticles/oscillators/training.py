"""A training run on disk: the output folder holds protocol.json and train.json (the
settings), progress.csv (update, loss, learning rate, wall seconds), checkpoint.npz (the
protocol and the optimiser's averages, written atomically every checkpoint_every updates)
and, at the end, model.npz. Starting again on the same folder resumes from the checkpoint;
the batches are seeded by (seed, update), so a resumed run ends where an uninterrupted one
would."""

import time
from pathlib import Path

import numpy as np

from autoparticles.config import as_dict, claim_folder
from autoparticles.files import atomic_write
from autoparticles.oscillators.agent import PARAMETERS, Protocol
from autoparticles.oscillators.config import ProtocolSettings, TrainSettings
from autoparticles.oscillators.learn import (LocalOptimiser, draw_batch, learning_rate, loss,
                                             update)
from autoparticles.oscillators.targets import Target, load_target
from autoparticles.oscillators.world import make_bonds

LOG_EVERY = 200
"""Updates between rows of progress.csv."""
MONITOR_STREAM = 2 ** 40
"""Seed stream of the monitor batch (the updates use streams 0, 1, ...)."""


def start_protocol(target: Target, settings: ProtocolSettings, train: TrainSettings) -> Protocol:
    """The untrained protocol for `target`; its meta names the target and the settings."""
    meta = {"target": target.name, "protocol": as_dict(settings), "train": as_dict(train)}
    hidden = target.size - target.dim
    bonds = make_bonds(settings.graph, target.dim, target.image, hidden)
    return Protocol.untrained(settings, target.size, bonds, **meta)


def _save_checkpoint(path: Path, protocol: Protocol, optimiser: LocalOptimiser) -> None:
    arrays = {**optimiser.state_arrays(), **{f"p_{k}": v for k, v in protocol.params.items()}}
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays))


def _load_checkpoint(path: Path, protocol: Protocol, optimiser: LocalOptimiser) -> None:
    with np.load(path) as data:
        if "count" not in data or any(f"p_{k}" not in data for k in PARAMETERS):
            raise ValueError(f"{path} is not a checkpoint of this training (written by an "
                             "older version?); train into another --out folder")
        for k in PARAMETERS:
            protocol.params[k][:] = data[f"p_{k}"]
        optimiser.load_state_arrays(data)


def _monitor_batch(protocol, target, settings: TrainSettings):
    """A fixed batch on which progress.csv reports the loss."""
    rng = np.random.default_rng((settings.seed, MONITOR_STREAM))
    x0 = target.to_network(target.draw(rng, 4096))
    return (x0, *draw_batch(protocol, x0, rng, settings.rule))


def train(protocol_settings: ProtocolSettings, settings: TrainSettings, out,
          progress: bool = True) -> Path:
    """Train (or resume) into the folder `out`; returns the path of model.npz."""
    from tqdm.auto import tqdm

    target = load_target(settings.target, settings.principal_axes, settings.hidden)
    out = claim_folder(out, {"protocol": protocol_settings, "train": settings},
                       free=("steps", "checkpoint_every"))
    protocol = start_protocol(target, protocol_settings, settings)
    optimiser = LocalOptimiser(protocol.params, settings.optimizer, settings.cgd_alpha)
    checkpoint, log = out / "checkpoint.npz", out / "progress.csv"
    if checkpoint.exists():
        _load_checkpoint(checkpoint, protocol, optimiser)
    if optimiser.count == 0 or not log.exists():
        log.write_text("update,loss,learning_rate,wall_seconds\n")
    monitor = _monitor_batch(protocol, target, settings)
    started = time.monotonic()
    with tqdm(total=settings.steps, initial=min(optimiser.count, settings.steps), unit="update",
              disable=not progress, mininterval=1.0) as bar:
        for step in range(optimiser.count, settings.steps):
            update(protocol, optimiser, target, settings, step)
            done = step + 1
            if done % LOG_EVERY == 0:
                value = loss(protocol, *monitor, settings.weighting, settings.rule, settings.path_dt)
                with open(log, "a") as handle:
                    handle.write(f"{done},{value:.6g},{learning_rate(settings, step):.4g},"
                                 f"{time.monotonic() - started:.1f}\n")
                bar.set_postfix_str(f"loss {value:.4g}", refresh=False)
            if done % settings.checkpoint_every == 0 or done == settings.steps:
                _save_checkpoint(checkpoint, protocol, optimiser)
            bar.update()
    model = out / "model.npz"
    protocol.save(model)
    return model

