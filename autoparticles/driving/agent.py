"""What each driving particle does: the built-in policies `ballistic`, `ttc` and `orca`, and
trained SB3 models, all looked up in one place (`resolve_policy`).

A policy maps a `Percept` (world.py) to actions (N, 2) in the world's action mode. What each
one reads is declared: trained models the observation, `ttc` the four invariants of the
watched neighbour (and, in vehicle mode, the rotation-invariant bearing that turns its pair
forces into throttle and steer) — a shared deterministic policy on invariants, so for an
isolated pair it gives equal and opposite forces; `orca` the full neighbour state.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numba
import numpy as np

from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.dynamics import pair_to_vehicle
from autoparticles.driving.orca import check_orca_config, orca
from autoparticles.driving.world import Percept

Policy = Callable[[Percept], np.ndarray]
TTC_STRENGTH = 1.5
"""k of the time-to-collision energy E(τ) = k τ⁻² exp(-τ/τ0) (Karamouzas, Skinner & Guy,
PRL 113, 238701, 2014, use k = 1.5 for pedestrians)."""


def ballistic(percept: Percept) -> np.ndarray:
    """No interaction: a_int = 0."""
    return np.zeros((len(percept.invariants), 2))


@numba.njit(cache=True)
def _ttc_kernel(features, contact, sensing, v_max, tau0, strength, a_max, out):
    for i in range(features.shape[0]):
        gap, closing, transverse = features[i, 0], features[i, 1], features[i, 2]
        out[i, 0], out[i, 1] = 0.0, 0.0
        if gap >= 1.0:
            continue
        if gap <= 0.0:
            out[i, 0] = -1.0
            continue
        d = gap * sensing + contact[i]
        ux, uy = 2.0 * v_max * closing, 2.0 * v_max * transverse
        a = ux * ux + uy * uy
        b = d * ux
        disc = b * b - a * (d * d - contact[i] * contact[i])
        if a <= 0.0 or disc <= 0.0:
            continue
        root = np.sqrt(disc)
        tau = (-b - root) / a
        if tau <= 0.0:
            continue
        de_dtau = -strength * np.exp(-tau / tau0) / tau**2 * (2.0 / tau + 1.0 / tau0)
        dtau_dx = -(ux + (b * ux - a * d) / root) / a
        dtau_dy = -(uy + b * uy / root) / a
        out[i, 0] = min(max(de_dtau * dtau_dx / a_max[i], -1.0), 1.0)
        out[i, 1] = min(max(de_dtau * dtau_dy / a_max[i], -1.0), 1.0)


def ttc_pair_actions(features: np.ndarray, contact, sensing: float, v_max: float,
                     tau0: float, strength: float = TTC_STRENGTH, a_max=2.0) -> np.ndarray:
    """(N, 2) pair-mode actions (α, β) from invariants (N, ≥4) of the watched neighbour.

    contact: the distance at which the pair touches (2R for equal disks, R_i + R_j, R_i for
    a wall), a number or (N,); a_max likewise. In the neighbour's frame r = (d, 0),
    d = I1 r_s + contact, and u = 2 v_max (I2, I3). The force on the particle is
    F = dE/dτ ∂τ/∂r (r = x_j - x_i) with ∂τ/∂r = -(u + (b u - a r)/√Δ)/a, a = |u|², b = r·u,
    Δ = b² - a(|r|² - contact²); (α, β) = F/a_max clipped to [-1, 1]. Touching or
    overlapping pairs push straight apart (α = -1); no collision course, no action."""
    features = np.ascontiguousarray(features, dtype=np.float64)
    n = len(features)
    out = np.empty((n, 2))
    _ttc_kernel(features, np.broadcast_to(np.asarray(contact, np.float64), (n,)).copy(), sensing,
                v_max, tau0, strength, np.broadcast_to(np.asarray(a_max, np.float64), (n,)).copy(),
                out)
    return out


def ttc(percept: Percept, strength: float = TTC_STRENGTH) -> np.ndarray:
    """Time-to-collision avoidance towards the watched neighbour (or wall), in the world's
    action mode."""
    c = percept.config
    pair = ttc_pair_actions(percept.invariants, percept.contact, c.sensing, percept.v_scale,
                            c.tau0, strength, percept.a_max)
    return pair if c.action == "pair" else pair_to_vehicle(pair, percept.bearing)


@dataclass(frozen=True)
class BuiltIn:
    """A built-in policy: act(percept) -> actions, what it sees, and check(config) raising
    ValueError where it cannot act (None: acts everywhere)."""

    act: Callable[[Percept], np.ndarray]
    sees: str
    check: Callable[[DrivingConfig], None] | None = None


POLICIES = {"ballistic": BuiltIn(ballistic, "no interaction"),
            "ttc": BuiltIn(ttc, "4 invariants, hand-designed"),
            "orca": BuiltIn(orca, "full neighbour state, hand-designed", check_orca_config)}
"""The one registry of built-in policies: name -> BuiltIn."""


def heuristic(name: str, config: DrivingConfig) -> Policy:
    """A built-in policy ('ballistic', 'ttc', 'orca') for worlds of `config`; refuses a
    config the policy cannot act in."""
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; built-in: {sorted(POLICIES)} or a model path")
    entry = POLICIES[name]
    if entry.check:
        entry.check(config)
    return entry.act


MODEL_SETTINGS = ("action_prior", "observe_drive", "frame_rule")
"""World settings a trained model needs as it was trained with, beyond the observation's
size: the prior its actions correct, whether it sees the drive mismatch, the frame its
actions are given in."""


def trained_settings(path) -> dict:
    """The MODEL_SETTINGS of the model at `path` (.zip) as it was trained: from its training
    run's `config.json` beside it, or from NAME.json's "config" for a model shipped as
    NAME.zip; {} when neither exists. Refuses a file that is not such JSON."""
    path = Path(path)
    for candidate, key in ((path.parent / "config.json", None), (path.with_suffix(".json"), "config")):
        if not candidate.is_file():
            continue
        try:
            config = json.loads(candidate.read_text())
            config = config[key] if key else config
            return {name: config[name] for name in MODEL_SETTINGS if name in config}
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{candidate} (the run's config beside {path}) is not a JSON "
                             f"object of settings: {error}") from None
    return {}


def load_model_policy(path, config: DrivingConfig) -> Policy:
    """A trained SB3 model (.zip) as a deterministic policy on the observation; refuses a
    model whose observation size does not match `config`, or one trained with other
    MODEL_SETTINGS (`trained_settings`): e.g. another `action_prior`, whose actions the
    model corrects."""
    from autoparticles.agents.policies import model_policy
    from autoparticles.agents.sb3 import load_trained_model

    for name, value in trained_settings(path).items():
        if value != getattr(config, name):
            shown = str(value).lower() if isinstance(value, bool) else value
            raise ValueError(f"{path} was trained with {name} = {value!r}; run it with "
                             f"--set {name}={shown}")

    hint = (f"observation={config.observation!r}, neighbour_rule={config.neighbour_rule!r}, "
            f"action={config.action!r}")
    return percept_policy(model_policy(load_trained_model(path, config.obs_dim, hint)), config)


def percept_policy(act, config: DrivingConfig) -> Policy:
    """The policy observation -> actions `act` as a Percept -> actions policy, mirror-averaged
    where `config.mirror_alone` asks for it."""
    if config.mirror_alone:
        return mirrored_when_alone(act, config)
    return lambda percept: act(percept.observation)


def mirrored_when_alone(act, config: DrivingConfig) -> Policy:
    """The policy observation -> actions `act`, with each particle that is alone
    (`Percept.alone`) — and, with `config.mirror_beside_walls`, each that watches no other
    particle (`Percept.watched` < 0) — given the mean of act(o) and R_a act(R_o o), R the
    reflection's signs (`DrivingConfig.mirror_columns`)."""
    odd, odd_actions = config.mirror_columns()
    flip = np.ones(config.obs_dim)
    flip[odd] = -1.0
    flip_actions = np.ones(2)
    flip_actions[odd_actions] = -1.0

    def policy(percept):
        actions = act(percept.observation)
        mirror = percept.alone
        if config.mirror_beside_walls and percept.watched is not None:
            watched = np.reshape(percept.watched, (len(percept.watched), -1))
            beside_walls = np.all(watched < 0, axis=1)
            mirror = beside_walls if mirror is None else mirror | beside_walls
        if mirror is None or not mirror.any():
            return actions
        actions = np.array(actions, dtype=np.float64)
        mirrored = act(percept.observation[mirror] * flip) * flip_actions
        actions[mirror] = 0.5 * (actions[mirror] + mirrored)
        return actions

    return policy


def resolve_policy(name_or_path, config: DrivingConfig) -> Policy:
    """A built-in policy by name, a model by its .zip path, or a callable Percept -> actions
    as it is."""
    if callable(name_or_path):
        return name_or_path
    if name_or_path in POLICIES:
        return heuristic(name_or_path, config)
    if Path(name_or_path).suffix == ".zip" or Path(name_or_path).exists():
        return load_model_policy(name_or_path, config)
    raise ValueError(f"unknown policy {name_or_path!r}: use {sorted(POLICIES)} or a model .zip path")
