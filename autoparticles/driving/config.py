"""What the driving particles are (specs/driving.md): disks in a periodic square, their
sensing, actions and reward, as one settings dataclass; every switch has its default."""

from dataclasses import dataclass
from functools import cached_property

from autoparticles.config import ConfigError, Settings, finite, one_of, positive, setting
from autoparticles.driving.scene import FILE_SCENES, TORUS_SCENES, scene_of
from autoparticles.invariants.rules import RULES

SCENARIOS = TORUS_SCENES + FILE_SCENES


def scenario_problem(value: str) -> str | None:
    if value in SCENARIOS or value.endswith((".toml", ".json")):
        return None
    return f"must be one of {', '.join(SCENARIOS)} or a scene file FILE.toml"
COLLISIONS = ("ghost", "elastic", "hard", "respawn")
ACTIONS = ("pair", "vehicle")
OBSERVATIONS = ("invariants", "raw")
SPEED_CAPS = ("v0", "v_max")
RAW_NEIGHBOURS = 8
"""Neighbours in the raw-coordinate observation (36 = 4 × (1 + 8) numbers)."""


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
    scenario: str = setting("random", scenario_problem)
    """A torus scene built from n_particles, box, radius, v0, v_max, a_max (random,
    counterflow, crossing), a shipped scene (street, bottleneck, corridor) or a scene file;
    a scene file's types carry their own counts, sizes and speeds."""
    collision: str = setting("ghost", one_of(*COLLISIONS))
    """What an overlap of two moving disks does: "ghost" (counted, they pass), "elastic"
    (normal velocities swapped), "hard" (pushed apart, inelastic: bodies that cannot pass,
    the crowd runs), "respawn" (both start again elsewhere)."""
    contact_passes: int = setting(1, positive)
    """With `collision = "hard"`: at most this many passes a step that push overlapping
    bodies apart and then out of the walls, ending early once no overlap is deeper than 1 %
    of a radius (Gauss–Seidel over the contacts). 1 (default): one pass, which leaves a
    crowd pressed together overlapping; the crowd runs take 50."""
    action: str = setting("pair", one_of(*ACTIONS))
    action_prior: str = setting("", one_of("", "ttc"))
    """A built-in policy whose action the world adds to every policy's before clipping: with
    "ttc" a learner starts at the heuristic and learns a correction to it (residual policy
    learning, Silver et al. 2018, arXiv:1812.06298). "" (default): none."""
    observation: str = setting("invariants", one_of(*OBSERVATIONS))
    frame_rule: str = setting("urgent", one_of("urgent", "closest"))
    """Typed scenes: which block (a type group's watched neighbour, or the wall) gives the
    frame r̂ of the action and of the angles. "urgent" (default): any block on a collision
    course (I4 > 0) before any other, else the smallest gap; "closest": the largest
    max(I4, 1 − I1), so that a wall one touches outranks a neighbour two metres off whose
    urgency is barely above zero (with "urgent" the frame of a body pressed against a wall
    can flip between the two every step as that urgency comes and goes); the wall block's
    segment is chosen by the same rule (with "urgent": the one of smallest time to contact,
    so a far wall one slowly walks towards outranks the wall one touches)."""
    mirror_alone: bool = False
    """A trained model's action for a particle with no other particle in sensing range (walls
    do not count) is the mean of its action and of the mirror image of its action on the
    mirrored observation (`mirror_columns`): a policy that learned to pass others on one side
    keeps that in a crowd but walks without a side preference when alone (the crowd world
    sets it: such a policy pushed a lone pedestrian along a wall into a corner)."""
    mirror_beside_walls: bool = False
    """With `mirror_alone`, a particle that watches no other particle (its frame is a wall,
    or nothing) walks the mirror average too, whoever is in range: the side preference is for
    passing others; beside a wall it only slides a walker one way along it (the crowd world
    sets it: two walkers pressed against the door's wall on either side of the door, 2.5 m
    apart, kept one another in company, and the one whose side led away never reached it)."""
    alone_walls: str = setting("all", one_of("all", "concerning"))
    """Which walls a particle alone (`Percept.alone`: no other particle within sensing range)
    is shown: "all" (default) within sensing range, or "concerning" ones only — approached
    (I4 > 0) or nearer than `CONCERN_GAP` of the sensing range — so that a lone particle with
    no such wall follows its drive (no block, no frame, no action). The crowd world sets it:
    the shipped pedestrian policy, trained at one desired speed, held a slow walker
    (0.82 m/s) still in mid-room with the back wall 2 m behind it."""
    observe_drive: bool = False
    """The invariants observation also carries the drive's mismatch w − v (desired minus
    actual velocity) in the frame of the watched neighbour or wall: ((w − v)·r̂, r̂ × (w − v))
    / 2 v_max, zeros when nothing is in range. It tells a particle where it wants to go
    relative to what it watches (a neighbour in the way or behind) and how far it is from its
    desired speed. Rotation- and translation-invariant; a boost changes v but not w, so with
    it the world's boost symmetry is lost (as with walls). False (default): the four
    invariants only, as in the paper."""
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
    reward_overlap: float = setting(0.0, finite)
    """c_ov, weight of the overlap penalty Σ (overlap / radius) dt over the bodies and walls a
    particle overlaps each step: with `collision = "hard"` a sustained push costs every step,
    not only at its onset (0: off, the default; the crowd's pedestrians train with it)."""
    reward_gap: float = setting(0.0, finite)
    """c_g, weight of the time-gap penalty (max(|v| − s/T, 0)/v0) dt, s the free distance
    ahead along the direction of motion to the first body in the way: the speed above what
    keeps a time gap T to it, the rule of JuPedSim's collision-free speed model (Tordeux et
    al. 2016) as a cost (0: off, the default)."""
    time_gap: float = setting(2.7, positive)
    """T of the time-gap penalty, in time units (2.7 ≈ the collision-free speed model's 1 s
    in the crowd's units, where one time unit is 0.373 s)."""
    reward_clearance: float = setting(0.0, finite)
    """c_cl, weight of the near-miss penalty max(1 − g/(m r), 0) dt, g the surface gap to the
    nearest body (moving or static) and r the own radius: it prices passing closer than
    m r = `clearance` × radius, so the learner hears of a graze before it becomes a contact
    (0: off, the default)."""
    clearance: float = setting(0.25, positive)
    """m of the near-miss penalty, as a fraction of the particle's own radius."""
    reward_effort: float = setting(0.01, finite)
    """c_a, weight of (|a_int|/a_max)² dt."""
    episode_steps: int = setting(500, positive)
    """Steps before truncation."""

    def __post_init__(self):
        super().__post_init__()
        if self.v0 > self.v_max:
            raise ConfigError(f"v0 = {self.v0} exceeds v_max = {self.v_max}")
        if self.observation == "raw" and self.action == "vehicle":
            raise ConfigError("observation 'raw' is only defined with action 'pair'")
        if self.observation == "raw" and self.observe_drive:
            raise ConfigError("observe_drive adds to the invariants observation, not to 'raw'")
        if self.scenario not in TORUS_SCENES:
            return
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

    @cached_property
    def scene(self):
        """The `Scene` of `scenario` (loaded once per config), checked against the world's
        settings."""
        return self._checked(scene_of(self))

    def for_scene(self, scene) -> "DrivingConfig":
        """This config on a `Scene` built in Python (its `scenario` becomes "NAME.toml"; the
        command line reads scenes from files, so save one to train from the CLI)."""
        config = self.replace(scenario=f"{scene.name}.toml")
        config.__dict__["scene"] = config._checked(scene)
        return config

    def _checked(self, scene):
        if not scene.typed:
            return scene
        where = scene.where
        periodic = [s for s, p in zip(scene.geometry.size, scene.geometry.periodic) if p]
        if periodic and self.sensing >= min(periodic) / 2:
            raise ConfigError(f"sensing = {self.sensing} must be below half the periodic "
                              f"length {min(periodic) / 2:g} of {where}")
        fixed = {"observation": "invariants", "neighbour_rule": "most_urgent",
                 "invariants_used": "1234"}
        for key, value in fixed.items():
            if getattr(self, key) != value:
                raise ConfigError(f"{key} = {getattr(self, key)!r} is not defined for typed scene "
                                  f"{where} (it needs {key} = {value!r})")
        for t in scene.types:
            if t.leave and all(scene.geometry.periodic):
                raise ConfigError(f"{where} [[types]] {t.name!r}: leave = true needs a non-periodic "
                                  "axis (the leaving are parked beyond its wall)")
            if not t.static and t.v0 <= 0:
                raise ConfigError(f"{where} [[types]] {t.name!r}: v0 must be > 0 for a moving type")
        return scene

    def type_columns(self, scene) -> list[int]:
        """Group indices of the moving types, one-hot in the observation when more than one."""
        moving = list(dict.fromkeys(scene.groups.index(t.group) for t in scene.types if not t.static))
        return moving if len(moving) > 1 else []

    def make_world(self, seed: int | None = None):
        """A `DrivingWorld` of this config (what the envs shells build from settings)."""
        from autoparticles.driving.world import DrivingWorld

        return DrivingWorld(self, seed=seed)

    @property
    def placement_sites(self) -> int:
        from autoparticles.driving.placement import PLACEMENT_SPACING

        return int(self.box // (PLACEMENT_SPACING * self.radius)) ** 2

    @property
    def obs_dim(self) -> int:
        if self.observation == "raw":
            return 4 * (1 + RAW_NEIGHBOURS)
        return self.invariant_width + self.drive_columns + (2 if self.action == "vehicle" else 0)

    @property
    def blocks(self) -> int:
        """Blocks of six columns in a typed scene's observation: one per group, one for the
        wall (0 for a one-type torus scene)."""
        scene = self.scene
        return len(scene.groups) + bool(scene.geometry.segments) if scene.typed else 0

    @property
    def invariant_width(self) -> int:
        """Columns before the drive mismatch: a typed scene's one-hot and blocks, or the kept
        invariants of a one-type scene."""
        if self.scene.typed:
            return len(self.type_columns(self.scene)) + 6 * self.blocks
        return len(self.invariant_columns)

    def mirror_columns(self) -> tuple[list[int], list[int]]:
        """(observation columns, action columns) that a reflection of the world negates: the
        transverse rate I3 and the sine of every block's angle (cross products), the drive
        mismatch across the frame, the bearing's sine; the action across the frame (β) or the
        steering. Raw coordinates have no such columns: refused."""
        if self.observation == "raw":
            raise ConfigError("a reflection is defined for the invariants observation, not 'raw'")
        if self.scene.typed:
            start = len(self.type_columns(self.scene))
            odd = [start + 6 * b + c for b in range(self.blocks) for c in (2, 5)]
        else:
            odd = [k for k, column in enumerate(self.invariant_columns) if column % 4 == 2]
        if self.observe_drive:
            odd.append(self.invariant_width + 1)
        if self.action == "vehicle":
            odd.append(self.obs_dim - 1)
        return odd, [1]

    @property
    def drive_columns(self) -> int:
        """Columns of the drive mismatch in the observation (2 with `observe_drive`)."""
        return 2 if self.observe_drive else 0

    @property
    def invariant_columns(self) -> list[int]:
        """Columns of the sensed (N, 4K) invariants that the observation keeps."""
        blocks = self.k_neighbours if self.neighbour_rule == "k_nearest" else 1
        return [4 * b + int(d) - 1 for b in range(blocks) for d in self.invariants_used]
