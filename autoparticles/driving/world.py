"""How the driving particles move: plain state arrays, a pure-array step, observations,
rewards and what a policy is shown (`Percept`). Run it with `autoparticles.loop.Run`."""

from dataclasses import dataclass

import numpy as np

from autoparticles.driving import dynamics
from autoparticles.driving.config import PLACEMENT_SPACING, RAW_NEIGHBOURS, DrivingConfig
from autoparticles.invariants.neighbours import NeighbourList, nearest_neighbours
from autoparticles.invariants.pair import PairObservation, pair_invariants
from autoparticles.invariants.space import displacement

OVERSPEED = 1.05
"""A particle overspeeds while its forward speed v·ê exceeds this multiple of v0."""


def initial_headings(config: DrivingConfig, rng: np.random.Generator) -> np.ndarray:
    """(N, 2) unit desired directions ê of the scenario."""
    n = config.n_particles
    if config.scenario == "random":
        angle = rng.uniform(0, 2 * np.pi, n)
    else:
        second = rng.permutation(n) < n // 2
        turn = np.pi if config.scenario == "counterflow" else np.pi / 2
        angle = np.where(second, turn, 0.0)
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


def initial_positions(config: DrivingConfig, rng: np.random.Generator) -> np.ndarray:
    """(N, 2) non-overlapping positions: random distinct sites of a grid with spacing
    >= 2.2 R, each jittered inside its site."""
    per_side = int(config.box // (PLACEMENT_SPACING * config.radius))
    spacing = config.box / per_side
    sites = rng.choice(per_side * per_side, size=config.n_particles, replace=False)
    corner = np.stack([sites // per_side, sites % per_side], axis=1) * spacing
    slack = spacing - 2 * config.radius
    return np.mod(corner + config.radius + rng.uniform(0, slack, (config.n_particles, 2)),
                  config.box)


@dataclass(frozen=True)
class WorldState:
    """The full state of the world (read-only views; the "all information" corner that only
    hand-designed baselines such as ORCA read). positions, velocities, headings: (N, 2);
    direction: (N, 2) unit r̂ towards each particle's watched neighbour (zeros: none)."""

    positions: np.ndarray
    velocities: np.ndarray
    headings: np.ndarray
    direction: np.ndarray


@dataclass(frozen=True)
class Percept:
    """What a policy is shown at one step, one row per particle.

    observation: (N, obs_dim) the learner's input (`config.observation`); trained models
    read only this. invariants: (N, 4) I1..I4 of the watched neighbour, whatever the
    observation keeps; the ttc heuristic reads only these. bearing: (N, 2) (cos, sin) of
    the angle from a particle's own direction of motion to r̂, rotation invariant, in the
    `vehicle` action mode (None in `pair` mode): it turns pair-frame actions into
    (throttle, steer). state: the full `WorldState`, for policies that are declared to see
    it (ORCA). config: the world's settings, the constants every particle knows (R, r_s,
    v_max, τ0, a_max, the action mode)."""

    config: DrivingConfig
    observation: np.ndarray
    invariants: np.ndarray
    bearing: np.ndarray | None
    state: WorldState


class DrivingWorld:
    """N disks in a periodic square, each steered by an action in [-1, 1]².

    State (settable, (N, 2) float64): positions, velocities, headings (unit desired
    directions). `observe()` -> (N, obs_dim); `percept()` -> what policies see;
    `step(actions (N, 2))` -> (observations, rewards (N,), info); `steps` counts the steps
    since the last reset, an episode lasts `episode_steps`. Infos hold (N,) arrays per
    particle (`slot_info`: those the SB3 / PettingZoo shells hand to every slot) and numbers
    of the whole world."""

    action_dim = 2
    slot_info = ("collisions",)

    def __init__(self, config: DrivingConfig | None = None, seed: int | None = None):
        self.config = config or DrivingConfig()
        c = self.config
        self._box = np.full(2, float(c.box))
        self._nlist = NeighbourList(c.sensing, c.box, skin=min(1.0, c.box / 2 - c.sensing))
        self.reset(seed)

    # ----------------------------------------------------------------- state
    def reset(self, seed: int | None = None) -> np.ndarray:
        """New episode: positions, headings and v = v0 ê drawn from `seed`."""
        if seed is not None or not hasattr(self, "rng"):
            self.rng = np.random.default_rng(seed)
        c = self.config
        self.headings = initial_headings(c, self.rng)
        self.positions = initial_positions(c, self.rng)
        self.velocities = c.v0 * self.headings
        self.steps = 0
        return self.observe()

    def _check(self, name: str, value) -> np.ndarray:
        arr = np.array(value, dtype=np.float64)
        if arr.shape != (self.config.n_particles, 2):
            raise ValueError(f"{name} must have shape ({self.config.n_particles}, 2), got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds non-finite values")
        return arr

    @property
    def positions(self) -> np.ndarray:
        return self._x

    @positions.setter
    def positions(self, value) -> None:
        self._x = np.mod(self._check("positions", value), self.config.box)
        self._overlaps = None

    @property
    def velocities(self) -> np.ndarray:
        return self._v

    @velocities.setter
    def velocities(self, value) -> None:
        self._v = self._check("velocities", value)

    @property
    def headings(self) -> np.ndarray:
        return self._e

    @headings.setter
    def headings(self, value) -> None:
        arr = self._check("headings", value)
        norm = np.linalg.norm(arr, axis=1, keepdims=True)
        if np.any(norm == 0):
            raise ValueError("headings must be non-zero vectors")
        self._e = arr / norm

    # ----------------------------------------------------------- observation
    def _sense(self) -> PairObservation:
        c = self.config
        self._nlist.update(self._x)
        self.sensed = pair_invariants(self._x, self._v, self._nlist, c.radius, c.sensing,
                                         c.v_max, c.tau0, c.neighbour_rule, c.k_neighbours)
        if self._overlaps is None:  # a new state: overlaps present now are not onsets
            self._overlaps = np.zeros(0, dtype=np.int64)
            self._overlaps = self._collide(np.zeros(c.n_particles, dtype=np.int64), False)
        return self.sensed

    @property
    def n_particles(self) -> int:
        return self.config.n_particles

    @property
    def obs_dim(self) -> int:
        return self.config.obs_dim

    @property
    def episode_steps(self) -> int:
        return self.config.episode_steps

    def observe(self) -> np.ndarray:
        """(N, obs_dim) observations of the current state."""
        c = self.config
        sensed = self._sense()
        self._bearing = None
        if c.observation == "raw":
            near = nearest_neighbours(self._x, self._nlist, RAW_NEIGHBOURS, c.sensing)
            out = np.empty((c.n_particles, c.obs_dim))
            dynamics.raw_observation(self._x, self._v, near, self._box, c.v_max, out)
            self._observation = out
            return out
        features = sensed.features
        if c.invariants_used != "1234":
            features = features[:, c.invariant_columns]
        if c.action == "vehicle":
            self._bearing = dynamics.bearings(sensed.direction, self._v, self._e)
            self._observation = np.concatenate([features, self._bearing], axis=1)
        else:
            self._observation = features.copy()
        return self._observation

    def percept(self) -> Percept:
        """What policies are shown of the current state (see `Percept`)."""
        s = self.sensed
        state = WorldState(self._x, self._v, self._e, s.direction)
        return Percept(self.config, self._observation, s.features[:, :4], self._bearing, state)

    # ------------------------------------------------------------------ step
    def _collide(self, counts: np.ndarray, elastic: bool) -> np.ndarray:
        return dynamics.collisions(self._x, self._v, self._box, self._nlist.indptr,
                                   self._nlist.indices, 2 * self.config.radius,
                                   self._overlaps, elastic, counts)

    def _respawn(self, hit: np.ndarray) -> None:
        c = self.config
        for i in np.nonzero(hit)[0]:
            for _ in range(100):
                trial = self.rng.uniform(0, c.box, 2)
                dist = np.linalg.norm(displacement(trial, self._x, self._box), axis=1)
                dist[i] = np.inf
                if dist.min() > 2 * c.radius:
                    break
            self._x[i] = trial
            self._v[i] = c.v0 * self._e[i]
        pairs = np.stack([self._overlaps // c.n_particles, self._overlaps % c.n_particles], 1)
        self._overlaps = self._overlaps[~hit[pairs].any(axis=1)]

    def step(self, actions) -> tuple[np.ndarray, np.ndarray, dict]:
        """Advance one dt with actions (N, 2); returns (observations, rewards, info)."""
        c = self.config
        actions = np.asarray(actions, dtype=np.float64)
        if actions.shape != (c.n_particles, 2):
            raise ValueError(f"actions must have shape ({c.n_particles}, 2), got {actions.shape}")
        if not np.all(np.isfinite(actions)):
            raise ValueError("actions hold non-finite values")
        a_int = np.empty((c.n_particles, 2))
        dynamics.integrate(self._x, self._v, self._e, actions, self.sensed.direction, self._box,
                           c.v0, c.v_max, c.a_max, c.tau, c.dt, c.action == "vehicle", a_int)
        self._nlist.update(self._x)
        counts = np.zeros(c.n_particles, dtype=np.int64)
        self._overlaps = self._collide(counts, c.collision == "elastic")
        forward = np.einsum("nd,nd->n", self._v, self._e) / c.v0
        capped = c.reward_speed_cap == "v0"
        paid = np.minimum(forward, 1.0) if capped else forward
        excess = np.maximum(forward - 1.0, 0.0) if capped else np.zeros_like(forward)
        tracking = np.linalg.norm(self._v - c.v0 * self._e, axis=1) / c.v0
        effort = np.einsum("nd,nd->n", a_int, a_int) / c.a_max**2
        if c.collision == "respawn" and counts.any():
            self._respawn(counts > 0)
        terms = {"reward_speed": c.reward_speed * paid * c.dt,
                 "reward_overspeed": -c.reward_overspeed * excess * c.dt,
                 "reward_collision": -c.reward_collision * counts,
                 "reward_effort": -c.reward_effort * effort * c.dt}
        rewards = sum(terms.values())
        self.steps += 1
        info = {**terms, "collisions": counts, "onsets": int(counts.sum()) // 2,
                "forward_speed": float(forward.mean()),
                "overspeed": float(np.mean(forward > OVERSPEED)),
                "tracking_error": float(tracking.mean()),
                "interaction": float(np.sqrt(effort).mean() * c.a_max),
                "a_int": a_int}
        return self.observe(), rewards, info

