"""What the driving particles are (specs/driving.md): disks in a periodic square, their
sensing, actions and reward, as one settings dataclass; every switch has its default."""

from dataclasses import dataclass

from autoparticles.config import ConfigError, Settings, finite, one_of, positive, setting
from autoparticles.invariants.rules import RULES

SCENARIOS = ("random", "counterflow", "crossing")
COLLISIONS = ("ghost", "elastic", "respawn")
ACTIONS = ("pair", "vehicle")
OBSERVATIONS = ("invariants", "raw")
SPEED_CAPS = ("v0", "v_max")
RAW_NEIGHBOURS = 8
"""Neighbours in the raw-coordinate observation (36 = 4 × (1 + 8) numbers)."""
PLACEMENT_SPACING = 2.2
"""Initial disks sit on random sites of a grid with this spacing in radii."""


@dataclass(frozen=True)
class DrivingConfig(Settings):
    """Units: particle diameter = 1, time unit = 1."""

    n_particles: int = setting(32, positive)
    box: float = setting(20.0, positive)
    """Side L of the periodic square."""
    radius: float = setting(0.5, positive)
    """Disk radius R."""
    v0: float = setting(1.0, positive)
    """Desired speed |w_i|."""
    v_max: float = setting(2.0, positive)
    a_max: float = setting(2.0, positive)
    """Bound on |a_int|."""
    tau: float = setting(1.0, positive)
    """Relaxation time of the drive term (w - v)/τ."""
    dt: float = setting(0.1, positive)
    sensing: float = setting(5.0, positive)
    """Sensing radius r_s."""
    tau0: float = setting(2.0, positive)
    """Urgency time scale τ0 in exp(-τc/τ0)."""
    scenario: str = setting("random", one_of(*SCENARIOS))
    collision: str = setting("ghost", one_of(*COLLISIONS))
    action: str = setting("pair", one_of(*ACTIONS))
    observation: str = setting("invariants", one_of(*OBSERVATIONS))
    neighbour_rule: str = setting("most_urgent", one_of(*RULES))
    k_neighbours: int = setting(4, positive)
    """K of the `k_nearest` rule (4K inputs)."""
    invariants_used: str = "1234"
    """Which of I1..I4 the `invariants` observation keeps (ablations: "1", "12", "124", ...)."""
    reward_speed: float = setting(1.0, finite)
    """c_v, weight of the forward-progress term (min(v·ê, cap)/v0) dt."""
    reward_speed_cap: str = setting("v0", one_of(*SPEED_CAPS))
    """Forward progress is paid up to this speed: "v0" (default; no reward for driving faster
    than desired, and the overspeed penalty applies) or "v_max" (the first round's reward,
    kept to reproduce old results: no overspeed penalty; learners then use the interaction as
    thrust and drive at ~1.6 v0)."""
    reward_overspeed: float = setting(5.0, finite)
    """c_o, weight of the overspeed penalty (max(v·ê − v0, 0)/v0) dt with the "v0" cap. The
    cap alone leaves driving faster free: learners still drove at ~1.5 v0. Measured with PPO
    (README): c_o = 1 kept ⟨v·ê⟩ ≈ v0 but a third of the time above 1.05 v0; c_o = 3 gave
    0.87 v0 with 9 % overspeed over 5 seeds; c_o = 10 slowed the drivers to 0.83 v0; c_o = 5
    is the weight of the README's results. 0 turns it off."""
    reward_collision: float = setting(10.0, finite)
    """c_col, penalty per collision onset."""
    reward_effort: float = setting(0.01, finite)
    """c_a, weight of (|a_int|/a_max)² dt."""
    episode_steps: int = setting(500, positive)
    """Steps before truncation."""

    def __post_init__(self):
        super().__post_init__()
        if self.v0 > self.v_max:
            raise ConfigError(f"v0 = {self.v0} exceeds v_max = {self.v_max}")
        if self.sensing >= self.box / 2:
            raise ConfigError(f"sensing = {self.sensing} must be below box/2 = {self.box / 2}")
        if self.sensing <= 2 * self.radius:
            raise ConfigError(f"sensing = {self.sensing} must exceed the contact distance 2R")
        if self.n_particles > self.placement_sites:
            raise ConfigError(
                f"n_particles = {self.n_particles} disks of radius {self.radius} cannot be "
                f"placed in a box of side {self.box} (at most {self.placement_sites})")
        used = self.invariants_used
        if not used or set(used) - set("1234") or len(set(used)) != len(used):
            raise ConfigError(f"invariants_used must be distinct digits of 1234, got {used!r}")
        if self.observation == "raw" and self.action == "vehicle":
            raise ConfigError("observation 'raw' is only defined with action 'pair'")

    def make_world(self, seed: int | None = None):
        """A `DrivingWorld` of this config (what the envs shells build from settings)."""
        from autoparticles.driving.world import DrivingWorld

        return DrivingWorld(self, seed=seed)

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
