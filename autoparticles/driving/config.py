"""Typed configuration of the driving world (specs/driving.md); every switch has its default."""

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = ("random", "counterflow", "crossing")
COLLISIONS = ("ghost", "elastic", "respawn")
ACTIONS = ("pair", "vehicle")
OBSERVATIONS = ("invariants", "raw")
RULES = ("most_urgent", "nearest", "k_nearest")
SPEED_CAPS = ("v0", "v_max")
RAW_NEIGHBOURS = 8
"""Neighbours in the raw-coordinate observation (36 = 4 × (1 + 8) numbers)."""
PLACEMENT_SPACING = 2.2
"""Initial disks sit on random sites of a grid with this spacing in radii."""


@dataclass(frozen=True)
class DrivingConfig:
    """Units: particle diameter = 1, time unit = 1."""

    n_particles: int = 32
    box: float = 20.0
    """Side L of the periodic square."""
    radius: float = 0.5
    """Disk radius R."""
    v0: float = 1.0
    """Desired speed |w_i|."""
    v_max: float = 2.0
    a_max: float = 2.0
    """Bound on |a_int|."""
    tau: float = 1.0
    """Relaxation time of the drive term (w - v)/τ."""
    dt: float = 0.1
    sensing: float = 5.0
    """Sensing radius r_s."""
    tau0: float = 2.0
    """Urgency time scale τ0 in exp(-τc/τ0)."""
    scenario: str = "random"
    collision: str = "ghost"
    action: str = "pair"
    observation: str = "invariants"
    neighbour_rule: str = "most_urgent"
    k_neighbours: int = 4
    """K of the `k_nearest` rule (4K inputs)."""
    invariants_used: str = "1234"
    """Which of I1..I4 the `invariants` observation keeps (ablations: "1", "12", "124", ...)."""
    reward_speed: float = 1.0
    """c_v, weight of the forward-progress term (min(v·ê, cap)/v0) dt."""
    reward_speed_cap: str = "v0"
    """Forward progress is paid up to this speed: "v0" (default; no reward for driving faster
    than desired, and the overspeed penalty applies) or "v_max" (the first round's reward,
    kept to reproduce old results: no overspeed penalty; learners then use the interaction as
    thrust and drive at ~1.6 v0)."""
    reward_overspeed: float = 3.0
    """c_o, weight of the overspeed penalty (max(v·ê − v0, 0)/v0) dt with the "v0" cap. The
    cap alone leaves driving faster free: learners still drove at ~1.5 v0. Measured with PPO
    at 1.2–1.6 M particle-steps: c_o = 1 kept ⟨v·ê⟩ ≈ v0 but a third of the time above
    1.05 v0; c_o = 10 slowed the drivers to 0.83 v0; c_o = 3 gave 0.87 v0 with 3 % overspeed.
    0 turns it off."""
    reward_collision: float = 10.0
    """c_col, penalty per collision onset."""
    reward_effort: float = 0.01
    """c_a, weight of (|a_int|/a_max)² dt."""
    episode_steps: int = 500
    """Steps before truncation."""

    def __post_init__(self):
        choices = {"scenario": SCENARIOS, "collision": COLLISIONS, "action": ACTIONS,
                   "observation": OBSERVATIONS, "neighbour_rule": RULES,
                   "reward_speed_cap": SPEED_CAPS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        positive = ("box", "radius", "v0", "v_max", "a_max", "tau", "dt", "sensing", "tau0")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        for name in ("n_particles", "episode_steps", "k_neighbours"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("reward_speed", "reward_overspeed", "reward_collision", "reward_effort"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite, got {getattr(self, name)!r}")
        if self.v0 > self.v_max:
            raise ValueError(f"v0 = {self.v0} exceeds v_max = {self.v_max}")
        if self.sensing >= self.box / 2:
            raise ValueError(f"sensing = {self.sensing} must be below box/2 = {self.box / 2}")
        if self.sensing <= 2 * self.radius:
            raise ValueError(f"sensing = {self.sensing} must exceed the contact distance 2R")
        if self.n_particles > self.placement_sites:
            raise ValueError(
                f"n_particles = {self.n_particles} disks of radius {self.radius} cannot be "
                f"placed in a box of side {self.box} (at most {self.placement_sites})")
        used = self.invariants_used
        if not used or set(used) - set("1234") or len(set(used)) != len(used):
            raise ValueError(f"invariants_used must be distinct digits of 1234, got {used!r}")
        if self.observation == "raw" and self.action == "vehicle":
            raise ValueError("observation 'raw' is only defined with action 'pair'")

    @property
    def placement_sites(self) -> int:
        return int(self.box // (PLACEMENT_SPACING * self.radius)) ** 2

    @property
    def obs_dim(self) -> int:
        if self.observation == "raw":
            return 4 * (1 + RAW_NEIGHBOURS)
        width = len(self.invariant_columns)
        return width + (2 if self.action == "vehicle" else 0)

    @property
    def invariant_columns(self) -> list[int]:
        """Columns of the sensed (N, 4K) invariants that the observation keeps."""
        blocks = self.k_neighbours if self.neighbour_rule == "k_nearest" else 1
        return [4 * b + int(d) - 1 for b in range(blocks) for d in self.invariants_used]

    @classmethod
    def from_dict(cls, values: dict, where: str = "config") -> "DrivingConfig":
        """Build from a mapping; unknown keys are an error naming the key and `where`."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown {where} key(s): {', '.join(unknown)} "
                             f"(known: {', '.join(known)})")
        return cls(**{k: _coerce(known[k].type, v, k) for k, v in values.items()})

    def replace(self, **changes) -> "DrivingConfig":
        return DrivingConfig.from_dict({**dataclasses.asdict(self), **changes})

    def to_json(self, path) -> None:
        Path(path).write_text(json.dumps(dataclasses.asdict(self), indent=2))

    @classmethod
    def from_json(cls, path) -> "DrivingConfig":
        try:
            values = json.loads(Path(path).read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} is not a JSON file of config fields: {error}") from None
        if not isinstance(values, dict):
            raise ValueError(f"{path} must hold a JSON object of config fields")
        return cls.from_dict(values, where=str(path))


def _coerce(kind, value, name):
    """Accept strings for numbers (command-line `key=value`) and ints for floats."""
    target = {"int": int, "float": float, "str": str}.get(kind if isinstance(kind, str) else kind.__name__)
    if target is None or isinstance(value, target) and not isinstance(value, bool):
        return value
    try:
        if target is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        return target(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {target.__name__}, got {value!r}") from None
