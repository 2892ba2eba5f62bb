"""Pedestrian scenes in SI units (m, s) as plain data: the walkable area, the same boundary as
wall segments, where pedestrians start, where they go, and where they are measured.

A scene is built once and then handed to any trajectory producer (JuPedSim, or a policy of
our own world) and to the analysis, so that every kind of pedestrian meets the same geometry,
the same starts and the same goals.

Pedestrian parameters (`Pedestrians`) come from the literature:

- radius 0.2 m: half a shoulder width of about 0.4–0.46 m (Weidmann 1993, body ellipse);
  JuPedSim's default; the range used in models is 0.15–0.25 m.
- desired (free walking) speed v0 ~ Normal(1.34 m/s, 0.26 m/s), cut at ±2σ: the mean and
  spread of free walking speeds compiled by Weidmann (1993), "Transporttechnik der
  Fussgänger", Schriftenreihe des IVT Nr. 90, ETH Zürich.
- time gap T = 1 s of the collision-free speed model (Tordeux, Chraibi & Seyfried 2016,
  "Collision-free speed model for pedestrian dynamics", Traffic and Granular Flow '15,
  arXiv:1512.05597), JuPedSim's default, with its defaults for the repulsion: neighbours
  strength 8, range 0.1 m; walls strength 5, range 0.02 m.
"""

from dataclasses import dataclass, field

import numpy as np
import pedpy
import shapely

from autoparticles.config import ConfigError

Segment = tuple[float, float, float, float]
"""A wall segment (x1, y1, x2, y2) [m]."""


@dataclass(frozen=True)
class Pedestrians:
    """Parameters of one kind of pedestrian (see the module docstring for the sources)."""

    radius: float = 0.2          # [m]
    v0_mean: float = 1.34        # [m/s], Weidmann (1993)
    v0_std: float = 0.26         # [m/s], Weidmann (1993)
    v0_cut: float = 2.0          # draws beyond v0_mean ± v0_cut·v0_std are redrawn
    time_gap: float = 1.0        # [s], collision-free speed model (Tordeux et al. 2016)
    start_gap: float = 0.1       # [m] free space between bodies in the start lattice

    def __post_init__(self):
        for name in ("radius", "v0_mean", "time_gap"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"pedestrian {name} must be positive, got {getattr(self, name)}")
        if self.v0_std < 0 or self.start_gap < 0:
            raise ConfigError("pedestrian v0_std and start_gap must not be negative")


@dataclass(frozen=True)
class Scene:
    """A pedestrian scene; every length in m.

    walkable: the walkable area (shapely Polygon), what JuPedSim and PedPy are given.
    walls: its boundary as wall segments [(x1, y1, x2, y2), ...]; for a periodic corridor only
        the two long side walls (the end caps are JuPedSim's emulation, not walls).
    spawn: the region (Polygon) the bodies start in; `agents` of them.
    goals: goal regions (Polygons); pedestrian i heads for goals[Starts.goal[i]].
    exit_line: PedPy MeasurementLine where flow is counted (across the bottleneck's exit in
        the plane of its wall, or across the middle of a corridor).
    measurement_area: PedPy MeasurementArea where density and speed are measured.
    width: the exit width (bottleneck) or corridor width [m]; specific flow = flow / width.
    periodic: None, or (x_min, x_max) of a corridor periodic along x with period
        x_max − x_min (see autoparticles.crowd.jupedsim_run for how JuPedSim emulates it).
    bidirectional: half the pedestrians walk to goals[1] (corridor only).
    duration: simulated time [s] after which a run stops (a bottleneck run stops earlier
        when everybody has left).
    """

    name: str
    walkable: shapely.Polygon
    walls: list[Segment]
    spawn: shapely.Polygon
    agents: int
    goals: tuple[shapely.Polygon, ...]
    exit_line: pedpy.MeasurementLine
    measurement_area: pedpy.MeasurementArea
    width: float
    pedestrians: Pedestrians = field(default_factory=Pedestrians)
    periodic: tuple[float, float] | None = None
    bidirectional: bool = False
    duration: float = 120.0

    def walkable_area(self) -> pedpy.WalkableArea:
        return pedpy.WalkableArea(self.walkable)


@dataclass(frozen=True)
class Starts:
    """Where and how each of N pedestrians starts: positions (N, 2) [m], desired speeds
    v0 (N,) [m/s], goal (N,) index into Scene.goals."""

    positions: np.ndarray
    v0: np.ndarray
    goal: np.ndarray


def segments(polygon: shapely.Polygon) -> list[Segment]:
    """The boundary of `polygon` (exterior and holes) as wall segments (x1, y1, x2, y2)."""
    walls = []
    for ring in (polygon.exterior, *polygon.interiors):
        xy = np.asarray(ring.coords)
        walls += [tuple(map(float, (*a, *b))) for a, b in zip(xy[:-1], xy[1:])]
    return walls


def _box(x0, y0, x1, y1) -> shapely.Polygon:
    return shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _check_inside(walkable: shapely.Polygon, region: shapely.Polygon, what: str) -> None:
    if not walkable.buffer(1e-9).contains(region):
        x0, y0, x1, y1 = region.bounds
        raise ConfigError(f"{what} ({x0:g}, {y0:g})–({x1:g}, {y1:g}) m is not inside the "
                          f"walkable area: it lies in or beyond a wall")


def capacity(scene: Scene) -> int:
    """How many pedestrians fit in the spawn region (the start lattice's sites)."""
    return len(_lattice(scene.spawn, scene.pedestrians, 0.0, 0.0))


def _check_fits(scene: Scene) -> Scene:
    fit = capacity(scene)
    if scene.agents > fit:
        p = scene.pedestrians
        raise ConfigError(f"{scene.agents} pedestrians do not fit in the {scene.name}'s spawn "
                          f"region of {scene.spawn.area:.1f} m² (at most {fit} with radius "
                          f"{p.radius:g} m and {p.start_gap:g} m between bodies)")
    if scene.agents < 1:
        raise ConfigError(f"a {scene.name} needs at least one pedestrian, got {scene.agents}")
    return scene


def bottleneck(width: float, agents: int = 100, room: tuple[float, float] = (6.0, 8.0),
               corridor_length: float = 2.0, goal: tuple | None = None,
               pedestrians: Pedestrians = Pedestrians(), duration: float = 180.0) -> Scene:
    """A waiting room [0, room[0]] × [0, room[1]] m, an exit of `width` m centred in its far
    wall x = room[0], and a corridor of `corridor_length` m behind it; pedestrians start in
    the back of the room (up to 1.5 m before the exit wall) and leave through the goal, the
    last 0.5 m of the corridor (or `goal` = (x0, y0, x1, y1) m). Flow is counted on the exit
    line x = room[0]; density and speed are measured in a 1.5 m × max(width, 1.5) m area
    before it."""
    room_x, room_y = map(float, room)
    if not (room_x > 2.0 and room_y > 0 and corridor_length > 0.5):
        raise ConfigError(f"room {room_x:g} × {room_y:g} m and corridor {corridor_length:g} m are "
                          "too small (room deeper than 2 m, corridor longer than 0.5 m)")
    if not 0 < width < room_y:
        raise ConfigError(f"bottleneck width {width:g} m must be positive and narrower than "
                          f"the room ({room_y:g} m)")
    if width < 2 * pedestrians.radius:
        raise ConfigError(f"bottleneck width {width:g} m is narrower than a pedestrian "
                          f"({2 * pedestrians.radius:g} m)")
    low, high, end = (room_y - width) / 2, (room_y + width) / 2, room_x + corridor_length
    walkable = shapely.Polygon([(0, 0), (room_x, 0), (room_x, low), (end, low), (end, high),
                                (room_x, high), (room_x, room_y), (0, room_y)])
    goal_region = _box(*goal) if goal is not None else _box(end - 0.5, low, end, high)
    _check_inside(walkable, goal_region, "the goal")
    depth, across = 1.5, max(width, 1.5)
    scene = Scene(
        name="bottleneck", walkable=walkable, walls=segments(walkable),
        spawn=_box(0, 0, room_x - 1.5, room_y), agents=int(agents), goals=(goal_region,),
        exit_line=pedpy.MeasurementLine([(room_x, high), (room_x, low)]),
        measurement_area=pedpy.MeasurementArea(_box(room_x - depth, room_y / 2 - across / 2,
                                                     room_x, room_y / 2 + across / 2)),
        width=float(width), pedestrians=pedestrians, duration=duration)
    return _check_fits(scene)


def corridor(density: float, length: float = 16.0, width: float = 3.0,
             bidirectional: bool = False, pedestrians: Pedestrians = Pedestrians(),
             duration: float = 40.0, buffer: float = 0.5) -> Scene:
    """A corridor [0, length] × [0, width] m, periodic along x with period length − 2·buffer
    (the cell [buffer, length − buffer]), holding `density` pedestrians per m² of the cell;
    all walk east (goals[0], the east buffer), or with `bidirectional` every second one west
    (goals[1]). Density and speed are measured in the middle 4 m (or a third of the cell if
    shorter); flow on the line across the middle."""
    if not (length > 2 * buffer + 2.0 and width >= 2 * pedestrians.radius):
        raise ConfigError(f"corridor {length:g} × {width:g} m is too small (longer than "
                          f"{2 * buffer + 2:g} m, at least one pedestrian wide)")
    if not density > 0:
        raise ConfigError(f"corridor density must be positive, got {density:g} /m²")
    walkable = _box(0, 0, length, width)
    cell = _box(buffer, 0, length - buffer, width)
    middle, half = length / 2, min(2.0, (length - 2 * buffer) / 6)
    scene = Scene(
        name="corridor", walkable=walkable,
        walls=[(0.0, 0.0, float(length), 0.0), (float(length), float(width), 0.0, float(width))],
        spawn=cell, agents=int(round(density * cell.area)),
        goals=(_box(length - buffer, 0, length, width), _box(0, 0, buffer, width)),
        exit_line=pedpy.MeasurementLine([(middle, 0), (middle, width)]),
        measurement_area=pedpy.MeasurementArea(_box(middle - half, 0, middle + half, width)),
        width=float(width), pedestrians=pedestrians, periodic=(buffer, length - buffer),
        bidirectional=bool(bidirectional), duration=duration)
    return _check_fits(scene)


def _lattice(region: shapely.Polygon, p: Pedestrians, dx: float, dy: float) -> np.ndarray:
    """Sites (M, 2) [m] of a triangular lattice of spacing 2·radius + start_gap, shifted by
    (dx, dy) lattice units, whose bodies (plus jitter) lie inside `region`."""
    spacing = 2 * p.radius + p.start_gap
    inner = region.buffer(-(p.radius + _jitter(p)) - 1e-9)
    if inner.is_empty:
        return np.zeros((0, 2))
    x0, y0, x1, y1 = inner.bounds
    rows = np.arange(y0 + dy * spacing, y1 + 1e-9, spacing * np.sqrt(3) / 2)
    sites = [(x, y) for i, y in enumerate(rows)
             for x in np.arange(x0 + (dx + (i % 2) / 2) * spacing % spacing, x1 + 1e-9, spacing)]
    sites = np.array(sites).reshape(-1, 2)
    return sites[shapely.contains_xy(inner.buffer(1e-9), sites[:, 0], sites[:, 1])]


def _jitter(p: Pedestrians) -> float:
    """Largest random displacement [m] of a start from its lattice site that keeps 0.2 of the
    start gap free between neighbours."""
    return 0.4 * p.start_gap


def start_positions(scene: Scene, seed: int) -> np.ndarray:
    """Seeded, non-overlapping start positions (N, 2) [m] of the scene's N pedestrians in its
    spawn region: N random sites of a triangular lattice of spacing 2r + start_gap, each moved
    by up to 0.4·start_gap in a random direction (so bodies keep 0.2·start_gap apart and stay
    inside the spawn region)."""
    rng = np.random.default_rng(seed)
    p = scene.pedestrians
    sites = _lattice(scene.spawn, p, *rng.uniform(0, 1, 2))
    if len(sites) < scene.agents:  # a shifted lattice may hold fewer sites than the unshifted
        sites = _lattice(scene.spawn, p, 0.0, 0.0)
    chosen = sites[rng.choice(len(sites), scene.agents, replace=False)]
    angle, radius = rng.uniform(0, 2 * np.pi, scene.agents), _jitter(p) * np.sqrt(rng.uniform(0, 1, scene.agents))
    return chosen + radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def desired_speeds(n: int, p: Pedestrians, rng: np.random.Generator) -> np.ndarray:
    """(n,) free walking speeds [m/s] from Normal(v0_mean, v0_std), redrawn beyond ±v0_cut σ."""
    v = rng.normal(p.v0_mean, p.v0_std, n)
    while (bad := np.abs(v - p.v0_mean) > p.v0_cut * p.v0_std).any():
        v[bad] = rng.normal(p.v0_mean, p.v0_std, bad.sum())
    return v


def starts(scene: Scene, seed: int) -> Starts:
    """The same starts for every producer: positions (start_positions), desired speeds and
    goals (a random half walks west in a bidirectional corridor)."""
    positions = start_positions(scene, seed)
    v0 = desired_speeds(scene.agents, scene.pedestrians, np.random.default_rng([seed, 1]))
    goal = np.zeros(scene.agents, dtype=int)
    if scene.bidirectional:
        goal[np.random.default_rng([seed, 2]).permutation(scene.agents)[::2]] = 1
    return Starts(positions=positions, v0=v0, goal=goal)
