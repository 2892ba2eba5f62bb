"""How the driving particles move: plain state arrays of a scene's particles, a pure-array
step, observations, rewards and what a policy is shown (`Percept`). Run it with
`autoparticles.loop.Run`.

Rows 0..M-1 of the state arrays are the moving particles (the agents, in the scene's type
order), rows M..N-1 its static obstacles.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from autoparticles.driving import dynamics
from autoparticles.driving.config import RAW_NEIGHBOURS, DrivingConfig
from autoparticles.driving.placement import fixed_headings, goal_field, placed_sites, segment_distance
from autoparticles.driving.scene import Scene
from autoparticles.invariants.neighbours import NeighbourList, nearest_neighbours
from autoparticles.invariants.pair import group_invariants, pair_invariants
from autoparticles.invariants.rules import NO_NEIGHBOUR, concerns
from autoparticles.invariants.space import displacement
from autoparticles.invariants.walls import as_segments, push_out_of_walls, wall_invariants

CONTACT_MODES = {"ghost": 0, "elastic": 1, "hard": 2}
"""`collision` -> the contact mode of the collisions kernel ("respawn" counts like ghost)."""
SETTLED = 0.01
"""Overlap, over the radius, below which hard contacts count as resolved (`contact_passes`)."""
OVERSPEED = 1.05
"""A particle overspeeds while its forward speed v·ê exceeds this multiple of v0."""
PADDING = 2.0
"""A non-periodic axis is held in a periodic kernel box this many (sensing radii + 1) longer,
so no pair ever meets through the wrap; particles that leave the world (`leave`) are parked
in rows inside that margin (which then grows by their rows), out of everybody's sight."""


@dataclass(frozen=True)
class WorldState:
    """The full state of the world (read-only views; the "all information" corner that only
    hand-designed baselines such as ORCA read). positions, velocities: (N, 2) of every
    particle (obstacles last); headings: (M, 2) of the moving ones; direction: (M, 2) unit r̂
    towards each one's watched neighbour or wall (zeros: none)."""

    positions: np.ndarray
    velocities: np.ndarray
    headings: np.ndarray
    direction: np.ndarray


@dataclass(frozen=True)
class Percept:
    """What a policy is shown at one step, one row per moving particle (M rows).

    observation: (M, obs_dim) the learner's input; trained models read only this.
    invariants: (M, 4) I1..I4 of the watched neighbour (the most urgent of every group and
    wall); the ttc heuristic reads only these, with `contact` (M,) the distance at which that
    pair touches (R_i + R_j, or R_i for a wall) and `a_max` (M,). bearing: (M, 2) (cos, sin)
    of the angle from a particle's own direction of motion to r̂, in the `vehicle` action mode
    (None in `pair` mode). state: the full `WorldState`, for policies that are declared to see
    it (ORCA). config: the world's settings; particles: its per-particle constants (and
    `particles.scene`, the types and geometry); v_scale: the speed that normalises I2 and I3
    (2 v_scale)."""

    config: DrivingConfig
    observation: np.ndarray
    invariants: np.ndarray
    bearing: np.ndarray | None
    state: WorldState
    contact: np.ndarray
    a_max: np.ndarray
    v_scale: float
    particles: "Particles | None" = None
    alone: np.ndarray | None = None
    """(M,) True where no other particle is within sensing range (walls do not count)."""
    watched: np.ndarray | None = None
    """(M,) index of the particle each one watches (its frame's block; (M, K) under the
    `k_nearest` rule); -1: a wall or nothing."""


class Particles:
    """Per-particle constants of a scene, rows in world order (moving first): type (N,)
    index into scene.types, group (N,), radius (N,); v0, v_max, a_max (M,)."""

    def __init__(self, scene: Scene):
        order = scene.ordered_types()
        self.scene = scene
        self.order = order
        rows = [(index, t) for index, t in order for _ in range(t.count)]
        groups = scene.groups
        self.type = np.array([index for index, _ in rows], dtype=np.int64)
        self.group = np.array([groups.index(t.group) for _, t in rows], dtype=np.int64)
        self.radius = np.array([t.radius for _, t in rows], dtype=np.float64)
        self.n_moving = scene.n_mobile
        moving = rows[:self.n_moving]
        self.v0 = np.array([t.v0 for _, t in moving], dtype=np.float64)
        self.v_max = np.array([t.v_max for _, t in moving], dtype=np.float64)
        self.a_max = np.array([t.a_max for _, t in moving], dtype=np.float64)
        self.leaves = np.array([t.leave for _, t in moving], dtype=bool)
        self.slices = {}
        start = 0
        for index, t in order:
            self.slices[index] = slice(start, start + t.count)
            start += t.count

    @property
    def names(self) -> list[str]:
        """Agent names carrying the type: `car_0`, `pedestrian_3`, ..."""
        names = []
        for index, t in self.order:
            if not t.static:
                names += [f"{t.name}_{k}" for k in range(t.count)]
        return names


class DrivingWorld:
    """The particles of a scene (`config.scene`: by default N disks on a periodic square),
    each moving particle steered by an action in [-1, 1]².

    State (settable, float64): positions, velocities (N, 2), headings (M, 2) unit desired
    directions. `observe()` -> (M, obs_dim); `percept()` -> what policies see; `step(actions
    (M, 2))` -> (observations, rewards (M,), info); `steps` counts the steps since the last
    reset, an episode lasts `episode_steps`. Infos hold (M,) arrays per particle (`slot_info`:
    those the SB3 / PettingZoo shells hand to every slot) and numbers of the whole world."""

    action_dim = 2
    slot_info = ("collisions", "present")

    def __init__(self, config: DrivingConfig | None = None, seed: int | None = None):
        self.config = config or DrivingConfig()
        c = self.config
        self.scene = c.scene
        self.particles = Particles(self.scene)
        geometry = self.scene.geometry
        self._size = np.array(geometry.size, dtype=np.float64)
        self._periodic = np.array(geometry.periodic, dtype=np.bool_)
        self._box = np.where(self._periodic, self._size, self._size + PADDING * (c.sensing + 1))
        leavers = sum(t.count for t in self.scene.types if t.leave)
        if leavers:
            axis = int(np.nonzero(~self._periodic)[0][-1])
            self._park_spacing = 2.5 * self.particles.radius.max()
            self._park_row = max(1, int(self._size[1 - axis] // self._park_spacing))
            self._box[axis] += -(-leavers // self._park_row) * self._park_spacing
        self._segments = as_segments(geometry.segments)
        skin = min(1.0, self._box.min() / 2 - c.sensing)
        self._nlist = NeighbourList(c.sensing, self._box, skin=skin, mirrored=False)
        self._v_scale = max(t.v_max for t in self.scene.types)
        self._onehot = np.full(len(self.scene.groups), -1, dtype=np.int64)
        for column, g in enumerate(c.type_columns(self.scene)):
            self._onehot[g] = column
        self._wall_keys = np.zeros(0, dtype=np.int64)
        self._prior = None
        if c.action_prior:
            from autoparticles.driving.agent import heuristic  # agent imports this module

            self._prior = heuristic(c.action_prior, c)
        self.reset(seed)

    # ----------------------------------------------------------------- state
    @property
    def n_particles(self) -> int:
        """Moving particles: the agents (slots of the shells)."""
        return self.particles.n_moving

    @property
    def n_total(self) -> int:
        return len(self.particles.radius)

    @property
    def agent_names(self) -> list[str]:
        return self.particles.names

    @property
    def obs_dim(self) -> int:
        return self.config.obs_dim

    @property
    def episode_steps(self) -> int:
        return self.config.episode_steps

    @cached_property
    def _fields(self) -> dict:
        """Type index -> (nx, ny, 2) shortest-path directions of its `heading = "goal"`."""
        return {index: goal_field(self.scene, t.goal, t.radius) for index, t in self.particles.order
                if t.heading == "goal"}

    def reset(self, seed: int | None = None) -> np.ndarray:
        """New episode: positions, headings and v = v0 ê drawn from `seed`."""
        if seed is not None or not hasattr(self, "rng"):
            self.rng = np.random.default_rng(seed)
        p = self.particles
        starts = placed_sites(self.scene, self.rng)
        x = np.empty((self.n_total, 2))
        e = np.zeros((self.n_particles, 2))
        for index, t in p.order:
            x[p.slices[index]] = starts[index]
            fixed = fixed_headings(t.heading, t.count, self.rng) if not t.static else None
            if fixed is not None:
                e[p.slices[index]] = fixed
        self._x = np.mod(x, self._box)
        self._e = e
        self.left = np.zeros(self.n_particles, bool)
        """(M,) moving particles that reached a `leave` goal and are parked outside."""
        self._goal_headings()
        self._v = np.zeros((self.n_total, 2))
        self._v[:self.n_particles] = p.v0[:, None] * self._e
        self._overlaps = None
        self._wall_keys = np.zeros(0, dtype=np.int64)
        self.steps = 0
        return self.observe()

    def _goal_headings(self) -> None:
        """Recompute position-dependent headings (goal points, goal fields)."""
        p = self.particles
        for index, t in p.order:
            if t.static or not (t.heading == "goal" or isinstance(t.heading, tuple)):
                continue
            span = p.slices[index]
            x = self._x[span]
            if t.heading == "goal":
                field = self._fields[index]
                cell = np.floor(x / self._size * field.shape[:2]).astype(int)
                cell = np.clip(cell, 0, np.array(field.shape[:2]) - 1)
                direction = field[cell[:, 0], cell[:, 1]]
            else:
                direction = np.asarray(t.heading) - x
                direction -= self._periodic * self._size * np.round(direction / self._size)
            norm = np.linalg.norm(direction, axis=1, keepdims=True)
            keep = norm[:, 0] == 0
            direction = np.where(norm > 0, direction / np.where(norm > 0, norm, 1), 0.0)
            direction[keep] = self._e[span][keep]
            direction[self.left[span]] = 0.0
            self._e[span] = direction

    def _check(self, name: str, value, rows: int) -> np.ndarray:
        arr = np.array(value, dtype=np.float64)
        if arr.shape != (rows, 2):
            raise ValueError(f"{name} must have shape ({rows}, 2), got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds non-finite values")
        return arr

    @property
    def positions(self) -> np.ndarray:
        return self._x

    @positions.setter
    def positions(self, value) -> None:
        self._x = np.mod(self._check("positions", value, self.n_total), self._box)
        self._overlaps = None
        self._goal_headings()  # headings towards goals depend on where one is

    @property
    def velocities(self) -> np.ndarray:
        return self._v

    @velocities.setter
    def velocities(self, value) -> None:
        v = self._check("velocities", value, self.n_total)
        v[self.n_particles:] = 0.0
        self._v = v

    @property
    def headings(self) -> np.ndarray:
        return self._e

    @headings.setter
    def headings(self, value) -> None:
        arr = self._check("headings", value, self.n_particles)
        norm = np.linalg.norm(arr, axis=1, keepdims=True)
        if np.any(norm == 0):
            raise ValueError("headings must be non-zero vectors")
        self._e = arr / norm

    # ----------------------------------------------------------- observation
    def _sense(self) -> None:
        c, p, m = self.config, self.particles, self.n_particles
        self._nlist.update(self._x)
        if self.scene.typed:
            self.sensed = group_invariants(self._x, self._v, self._nlist, p.radius, p.group,
                                           len(self.scene.groups), c.sensing, self._v_scale,
                                           c.tau0)
            self._walls = wall_invariants(self._x, self._v, p.radius, self._segments,
                                          self._size, self._periodic, c.sensing,
                                          self._v_scale, c.tau0, rows=m,
                                          closest=c.frame_rule == "closest")
        else:
            self.sensed = pair_invariants(self._x, self._v, self._nlist, c.radius, c.sensing,
                                          c.v_max, c.tau0, c.neighbour_rule, c.k_neighbours)
        neighbours = self.sensed.neighbour.reshape(len(self.sensed.neighbour), -1)
        self._alone = np.all(neighbours[:m] < 0, axis=1)
        if c.alone_walls == "concerning" and self.scene.typed and len(self._segments):
            walls = self._walls
            hidden = np.nonzero(self._alone & ~concerns(walls.features[:m]))[0]
            walls.features[hidden] = NO_NEIGHBOUR
            walls.direction[hidden] = 0.0
            walls.wall[hidden] = -1
        if self._overlaps is None:  # a new state: overlaps present now are not onsets
            self._overlaps = np.zeros(0, dtype=np.int64)
            self._overlaps = self._collide(np.zeros(self.n_total, dtype=np.int64), 0,
                                           np.zeros((len(self.scene.groups),) * 2, np.int64),
                                           np.zeros(self.n_total))

    def observe(self) -> np.ndarray:
        """(M, obs_dim) observations of the current state."""
        c = self.config
        self._sense()
        self._bearing = None
        if not self.scene.typed:
            self._watch(self.sensed.features[:, :4], self.sensed.direction,
                        np.full(self.n_particles, 2 * c.radius))
        if c.observation == "raw":
            near = nearest_neighbours(self._x, self._nlist, RAW_NEIGHBOURS, c.sensing)
            out = np.empty((self.n_particles, c.obs_dim))
            dynamics.raw_observation(self._x, self._v, near, self._box, c.v_max, out)
            self._observation = out
            return out
        if self.scene.typed:
            features = self._typed_features()
        else:
            features = self.sensed.features
            if c.invariants_used != "1234":
                features = features[:, c.invariant_columns]
        if c.observe_drive:
            features = np.concatenate([features, self._drive_mismatch()], axis=1)
        if c.action == "vehicle":
            self._bearing = dynamics.bearings(self._frame, self._v[:self.n_particles], self._e)
            self._observation = np.concatenate([features, self._bearing], axis=1)
        else:
            self._observation = features if self.scene.typed or c.observe_drive else features.copy()
        return self._observation

    def _drive_mismatch(self) -> np.ndarray:
        """(M, 2) the drive's w − v along and across each particle's frame r̂, over 2 v_max."""
        p, frame = self.particles, self._frame
        scale = 2 * (self._v_scale if self.scene.typed else self.config.v_max)
        d = p.v0[:, None] * self._e - self._v[:self.n_particles]
        return np.stack([np.einsum("nd,nd->n", d, frame),
                         frame[:, 0] * d[:, 1] - frame[:, 1] * d[:, 0]], axis=1) / scale

    def _watch(self, invariants, direction, contact, watched=None) -> None:
        self._invariants, self._frame, self._contact = invariants, direction, contact
        self.watched = self.sensed.neighbour if watched is None else watched
        """(M,) index of each moving particle's watched neighbour (-1: none, or a wall)."""

    def _typed_features(self) -> np.ndarray:
        """[own group one-hot] + per group and for the wall: I1..I4 and the (cos, sin) of the
        angle from the frame r̂ (towards the block `frame_rule` picks) to that block's r̂."""
        m, p = self.n_particles, self.particles
        walls = self._walls if len(self._segments) else None
        c = self.config
        out = np.empty((m, c.invariant_width))
        frame, invariants = np.empty((m, 2)), np.empty((m, 4))
        contact, watched = np.empty(m), np.empty(m, dtype=np.int64)
        dynamics.typed_observation(
            self.sensed.features, self.sensed.direction, self.sensed.neighbour, p.radius,
            p.group, walls.features if walls else np.zeros((0, 4)),
            walls.direction if walls else np.zeros((0, 2)), self._onehot, out, frame,
            invariants, contact, watched, c.frame_rule == "closest")
        self._watch(invariants, frame, contact, watched)
        return out

    def percept(self) -> Percept:
        """What policies are shown of the current state (see `Percept`)."""
        if self._overlaps is None:  # the state was set and not sensed since
            self.observe()
        state = WorldState(self._x, self._v, self._e, self._frame)
        v_scale = self._v_scale if self.scene.typed else self.config.v_max
        return Percept(self.config, self._observation, self._invariants, self._bearing, state,
                       self._contact, self.particles.a_max, v_scale, self.particles, self._alone,
                       self.watched[:self.n_particles])

    # ------------------------------------------------------------------ step
    def _collide(self, counts, mode: int, pair_counts, depth) -> np.ndarray:
        p = self.particles
        return dynamics.collisions(self._x, self._v, self._box, self._nlist.indptr,
                                   self._nlist.indices, p.radius, self.n_particles, p.group,
                                   self._overlaps, mode, counts, pair_counts, depth)

    def _settle(self, passes: int) -> None:
        """Up to `passes` more pushes of the bodies apart (`dynamics.separate`), each followed
        by the walls' push, until no overlap is deeper than SETTLED of a radius; contacts
        and onsets stay those of the step's first pass."""
        p, m, walls = self.particles, self.n_particles, len(self._segments)
        for _ in range(passes):
            deepest = dynamics.separate(self._x, self._box, self._nlist.indptr,
                                        self._nlist.indices, p.radius, m)
            if walls:
                keys, into_wall = push_out_of_walls(
                    self._x, self._v, p.radius, self._segments, self._size, self._periodic, m,
                    self._wall_keys, np.zeros(m, dtype=np.int64), np.zeros(m))
                self._x[keys // walls] = np.mod(self._x[keys // walls], self._box)
                deepest = max(deepest, into_wall)
            if deepest < SETTLED:
                return

    def _place_free(self, i: int, index: int) -> None:
        """Move particle i of type `index` to a random point of its spawn region with a free
        gap of at least v0²/a_max (twice its braking distance) to every body and wall: it
        starts again at v0, and placed touching a body in its way it would hit it before it
        could stop (the street's pedestrians did, behind the buildings on their sidewalk).
        Of 100 tries the first that keeps the gap, else the one with the widest gap."""
        t, p = self.scene.types[index], self.particles
        x1, y1, x2, y2 = t.spawn if t.spawn is not None else (0.0, 0.0, *self._size)
        clearance = t.v0 ** 2 / t.a_max
        widest, chosen = -np.inf, None
        for _ in range(100):
            trial = self.rng.uniform((x1 + t.radius, y1 + t.radius), (x2 - t.radius, y2 - t.radius))
            gap = np.linalg.norm(displacement(trial, self._x, self._box), axis=1) - p.radius
            gap[i] = np.inf
            if len(self._segments):
                gap = np.append(gap, segment_distance(trial[None], self._segments).min())
            free = gap.min() - t.radius
            if free > widest:
                widest, chosen = free, trial
            if free > clearance:
                break
        self._x[i] = chosen

    def _respawn(self, hit: np.ndarray) -> None:
        p = self.particles
        for i in np.nonzero(hit)[0]:
            self._place_free(i, p.type[i])
        self._goal_headings()
        for i in np.nonzero(hit)[0]:
            self._v[i] = p.v0[i] * self._e[i]
        self._forget_overlaps(hit)

    def _forget_overlaps(self, moved: np.ndarray) -> None:
        """Drop the overlapping pairs of the moving particles `moved` (M,) bool: they were
        taken elsewhere, so a contact they make later is a new onset."""
        n = self.n_total
        pairs = np.stack([self._overlaps // n, self._overlaps % n], 1)
        full = np.zeros(n, bool)
        full[:len(moved)] = moved
        self._overlaps = self._overlaps[~full[pairs].any(axis=1)]

    def _park(self, rows: np.ndarray) -> None:
        """Particles that leave: at rest, without a desired direction, on a lattice in the
        margin of a non-periodic axis, out of sight of the world and of each other's
        collisions."""
        axis = int(np.nonzero(~self._periodic)[0][-1])
        spacing, per_row = self._park_spacing, self._park_row
        for i in np.nonzero(rows)[0]:
            slot = int(self.left.sum())
            point = np.empty(2)
            point[axis] = (self._size[axis] + self.config.sensing + 1.0
                           + spacing * (slot // per_row + 0.5))
            point[1 - axis] = spacing * (slot % per_row + 0.5)
            self._x[i], self._v[i], self._e[i] = point, 0.0, 0.0
            self.left[i] = True
        self._forget_overlaps(rows)

    def _arrivals(self) -> np.ndarray:
        """(M,) bool: moving particles inside their type's goal region."""
        p, arrived = self.particles, np.zeros(self.n_particles, bool)
        for index, t in p.order:
            if t.static or t.goal is None:
                continue
            span = p.slices[index]
            x = self._x[span]
            arrived[span] = ((x[:, 0] >= t.goal[0]) & (x[:, 0] <= t.goal[2])
                             & (x[:, 1] >= t.goal[1]) & (x[:, 1] <= t.goal[3]))
        return arrived

    def step(self, actions) -> tuple[np.ndarray, np.ndarray, dict]:
        """Advance one dt with actions (M, 2); returns (observations, rewards, info)."""
        c, p, m = self.config, self.particles, self.n_particles
        actions = np.asarray(actions, dtype=np.float64)
        if actions.shape != (m, 2):
            raise ValueError(f"actions must have shape ({m}, 2), got {actions.shape}")
        if not np.all(np.isfinite(actions)):
            raise ValueError("actions hold non-finite values")
        if self._overlaps is None:  # the state was set and not sensed since
            self.observe()
        if self._prior is not None:
            actions = actions + self._prior(self.percept())
        if self.left.any():
            actions = np.where(self.left[:, None], 0.0, actions)
        a_int = np.empty((m, 2))
        dynamics.integrate(self._x, self._v, self._e, actions, self._frame, self._box,
                           p.v0, p.v_max, p.a_max, c.tau, c.dt, c.action == "vehicle", a_int)
        counts = np.zeros(self.n_total, dtype=np.int64)
        wall_counts = np.zeros(m, dtype=np.int64)
        deepest = 0.0
        self._nlist.update(self._x)
        pair_counts = np.zeros((len(self.scene.groups),) * 2, dtype=np.int64)
        depth = np.zeros(self.n_total)
        self._overlaps = self._collide(counts, CONTACT_MODES.get(c.collision, 0), pair_counts,
                                       depth)
        depth = depth[:m]
        if len(self._segments):  # last: no push between bodies may put one into a wall
            self._wall_keys, deepest = push_out_of_walls(
                self._x, self._v, p.radius, self._segments, self._size, self._periodic, m,
                self._wall_keys, wall_counts, depth)
            pushed = self._wall_keys // len(self._segments)  # only these left the box
            self._x[pushed] = np.mod(self._x[pushed], self._box)
        if c.collision == "hard" and c.contact_passes > 1:
            self._settle(c.contact_passes - 1)
        counts = counts[:m]
        forward, tracking, effort, interaction = (np.empty(m) for _ in range(4))
        dynamics.motion_terms(self._v, self._e, a_int, p.v0, p.a_max, forward, tracking,
                              effort, interaction)
        capped = c.reward_speed_cap == "v0"
        paid = np.minimum(forward, 1.0) if capped else forward
        excess = np.maximum(forward - 1.0, 0.0) if capped else np.zeros_like(forward)
        gap = np.zeros(m)
        if c.reward_gap:
            dynamics.gap_excess(self._x, self._v, self._box, self._nlist.indptr,
                                self._nlist.indices, p.radius, p.v0, c.time_gap, gap)
        near = np.zeros(m)
        if c.reward_clearance:
            dynamics.clearance_deficit(self._x, self._box, self._nlist.indptr,
                                       self._nlist.indices, p.radius, c.clearance, near)
        present = ~self.left  # in the world during this step (who leaves now included)
        arrived = self._arrivals() & present
        leaving = arrived & p.leaves
        if leaving.any():
            self._park(leaving)
        respawn = (arrived & ~p.leaves) | ((counts > 0) if c.collision == "respawn" else False)
        if respawn.any():
            self._respawn(respawn)
        self._goal_headings()
        terms = {"reward_speed": c.reward_speed * paid * c.dt,
                 "reward_overspeed": -c.reward_overspeed * excess * c.dt,
                 "reward_collision": -c.reward_collision * (counts + wall_counts),
                 "reward_effort": -c.reward_effort * effort * c.dt,
                 "reward_overlap": -c.reward_overlap * depth * c.dt,
                 "reward_gap": -c.reward_gap * gap * c.dt,
                 "reward_clearance": -c.reward_clearance * near * c.dt}
        rewards = sum(terms.values())
        self.steps += 1
        info = {**terms, "collisions": counts, "wall_collisions": wall_counts,
                "onsets": int(np.triu(pair_counts).sum()),
                "pair_onsets": pair_counts, "wall_overlap_depth": deepest,
                "arrivals": arrived, "forward": forward, "present": present,
                **_means_over(present, forward_speed=forward, overspeed=forward > OVERSPEED,
                              tracking_error=tracking, interaction=interaction),
                "a_int": a_int}
        return self.observe(), rewards, info


def _means_over(rows: np.ndarray, **values: np.ndarray) -> dict:
    """{name: mean of values[name] over the True rows} (0 when none)."""
    return {name: float(value[rows].mean()) if rows.any() else 0.0
            for name, value in values.items()}
