"""A scene is data: the world's geometry (size, periodic axes, walls) and the particle types
with their counts, sizes, speeds, headings, spawn and goal regions. Loaded from TOML
(`load_scene`) or built in Python; the shipped scenes are files in `driving/scenes/` or, for
the first round's periodic squares (`random`, `counterflow`, `crossing`), built from the
`DrivingConfig` (`builtin_scene`).

Units: the particles' own (a car's diameter = 1, time unit = 1) unless a scene says otherwise
(the crowd scenes are in metres and seconds).
"""

import math
from dataclasses import dataclass
from pathlib import Path

from autoparticles.config import ConfigError, Settings, from_mapping, positive, read_mapping, setting

SCENE_DIR = Path(__file__).with_name("scenes")
FILE_SCENES = tuple(sorted(p.stem for p in SCENE_DIR.glob("*.toml")))
"""Scenes shipped as files: street, bottleneck, corridor."""
TORUS_SCENES = ("random", "counterflow", "crossing")
"""The first round's scenes: one kind of disk on a periodic square, from the DrivingConfig."""
COMPASS = {"east": 0.0, "north": 90.0, "west": 180.0, "south": 270.0}
HEADING_HELP = "east|west|north|south|random|goal|<degrees>|[x, y] goal point"


def _heading_problem(value) -> str | None:
    if isinstance(value, str):
        return None if value in (*COMPASS, "random", "goal") else f"must be {HEADING_HELP}"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return None
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and math.isfinite(v) for v in value)):
        return None
    return f"must be {HEADING_HELP}"


def _rectangle_problem(value) -> str | None:
    if value is None:
        return None
    if len(value) != 4 or not (value[0] < value[2] and value[1] < value[3]):
        return "must be [x1, y1, x2, y2] with x1 < x2 and y1 < y2"
    return None


@dataclass(frozen=True)
class ParticleType(Settings):
    """One kind of particle: `count` disks of one radius, speeds and heading rule.

    heading: the desired direction ê: a compass word, "random" (uniform), an angle in degrees,
    an [x, y] goal point (ê points at it), or "goal" (ê follows the shortest path through
    free space to the `goal` region). spawn: [x1, y1, x2, y2] where the type starts and, after
    reaching its goal, starts again (default: the whole world). goal: a region whose entry
    counts as an arrival. leave: an arriving particle leaves the world (it stops, is parked
    out of sight and is done) instead of starting again. static: an obstacle that never moves (a building); `positions` fixes
    where (else it is placed at random in `spawn`). group: the name the others see and the
    metrics use (default: the type's name; east- and westbound cars can share "car")."""

    name: str = "particle"
    count: int = setting(1, lambda v: None if v >= 0 else "must be >= 0")
    radius: float = setting(0.5, positive)
    v0: float = setting(1.0, lambda v: None if v >= 0 else "must be >= 0")
    v_max: float = setting(2.0, positive)
    a_max: float = setting(2.0, positive)
    heading: object = setting("random", _heading_problem)
    static: bool = False
    leave: bool = False
    group: str = ""
    spawn: tuple[float, ...] | None = setting(None, _rectangle_problem)
    goal: tuple[float, ...] | None = setting(None, _rectangle_problem)
    positions: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self):
        super().__post_init__()
        if not self.group:
            object.__setattr__(self, "group", self.name)
        if isinstance(self.heading, list):
            object.__setattr__(self, "heading", tuple(float(v) for v in self.heading))
        if self.v0 > self.v_max:
            raise ConfigError(f"v0 = {self.v0} exceeds v_max = {self.v_max}")
        if self.leave and self.goal is None:
            raise ConfigError("leave = true needs a goal region")
        if self.heading == "goal" and self.goal is None:
            raise ConfigError("heading 'goal' needs a goal region")
        if self.positions is not None and len(self.positions) != self.count:
            raise ConfigError(f"positions lists {len(self.positions)} points for count = {self.count}")
        if self.positions is not None and any(len(p) != 2 for p in self.positions):
            raise ConfigError("positions must be [[x, y], ...]")


@dataclass(frozen=True)
class Geometry(Settings):
    """size: (width, height); periodic: per axis, a non-periodic axis has walls at its two
    edges; walls: extra segments (x1, y1, x2, y2)."""

    size: tuple[float, ...] = (20.0, 20.0)
    periodic: tuple[bool, ...] = (True, True)
    walls: tuple[tuple[float, ...], ...] = ()

    def __post_init__(self):
        super().__post_init__()
        if len(self.size) != 2 or min(self.size) <= 0:
            raise ConfigError(f"size must be [width, height] > 0, got {list(self.size)}")
        if len(self.periodic) != 2:
            raise ConfigError(f"periodic must be [bool, bool], got {list(self.periodic)}")
        for wall in self.walls:
            if len(wall) != 4 or (wall[0], wall[1]) == (wall[2], wall[3]):
                raise ConfigError(f"a wall must be [x1, y1, x2, y2] of two distinct points, got {list(wall)}")

    @property
    def segments(self) -> tuple[tuple[float, float, float, float], ...]:
        """Every wall: the edges of the non-periodic axes, then the extra walls."""
        w, h = self.size
        edges = []
        if not self.periodic[0]:
            edges += [(0.0, 0.0, 0.0, h), (w, 0.0, w, h)]
        if not self.periodic[1]:
            edges += [(0.0, 0.0, w, 0.0), (0.0, h, w, h)]
        return tuple(edges) + tuple(tuple(map(float, s)) for s in self.walls)


@dataclass(frozen=True)
class Scene:
    """A world's geometry and its particle types, in file order; `where` names its file."""

    name: str
    geometry: Geometry
    types: tuple[ParticleType, ...]
    where: str = ""

    @property
    def groups(self) -> tuple[str, ...]:
        """Distinct group names in order of first appearance: the observation's blocks."""
        return tuple(dict.fromkeys(t.group for t in self.types))

    @property
    def typed(self) -> bool:
        """More than one group, or walls: the observation has one block per group (and the
        wall's); a single group on a torus keeps the first round's four numbers."""
        return len(self.groups) > 1 or bool(self.geometry.segments)

    @property
    def n_total(self) -> int:
        return sum(t.count for t in self.types)

    @property
    def n_mobile(self) -> int:
        return sum(t.count for t in self.types if not t.static)

    def ordered_types(self) -> list[tuple[int, ParticleType]]:
        """(type index, type) with the moving types first: particle arrays hold the agents
        in rows 0..n_mobile-1, the obstacles after them."""
        indexed = list(enumerate(self.types))
        return [p for p in indexed if not p[1].static] + [p for p in indexed if p[1].static]


SCENE_KEYS = ("name", "world", "types")


def scene_from_mapping(values: dict, where: str) -> Scene:
    """A Scene from a TOML/JSON table; unknown keys and bad values are ConfigErrors naming the
    key and `where`."""
    unknown = sorted(set(values) - set(SCENE_KEYS))
    if unknown:
        raise ConfigError(f"unknown key(s) in {where}: {', '.join(unknown)} "
                          f"(known: {', '.join(SCENE_KEYS)})")
    for key in ("world", "types"):
        if key not in values:
            raise ConfigError(f"{where} lacks the [{key}] table" if key == "world"
                              else f"{where} lacks [[types]] tables")
    if not isinstance(values["world"], dict):
        raise ConfigError(f"world in {where} must be a table")
    if not isinstance(values["types"], list) or not values["types"]:
        raise ConfigError(f"types in {where} must be one or more [[types]] tables")
    geometry = from_mapping(Geometry, values["world"], f"{where} [world]")
    types = []
    for k, table in enumerate(values["types"]):
        if not isinstance(table, dict):
            raise ConfigError(f"types[{k}] in {where} must be a table")
        label = f"{where} [[types]] {table.get('name', k)!r}"
        if "name" not in table:
            raise ConfigError(f"{label} lacks the key name")
        types.append(from_mapping(ParticleType, table, label))
    names = [t.name for t in types]
    if len(set(names)) != len(names):
        raise ConfigError(f"type names in {where} must be distinct, got {names}")
    scene = Scene(str(values.get("name", Path(where).stem)), geometry, tuple(types), where)
    from autoparticles.driving.placement import check_scene

    check_scene(scene)
    return scene


def load_scene(path) -> Scene:
    """The scene of a .toml (or .json) file."""
    path = Path(path)
    if path.suffix not in (".toml", ".json"):
        raise ConfigError(f"scene file {path} must end in .toml or .json")
    if not path.exists():
        raise ConfigError(f"scene file {path} does not exist")
    return scene_from_mapping(read_mapping(path), str(path))


def builtin_scene(config) -> Scene:
    """The first round's torus scenes from a DrivingConfig: `random` (one type, uniform
    headings), `counterflow` (half east, half west) and `crossing` (half east, half north)."""
    c = config
    kind = dict(radius=c.radius, v0=c.v0, v_max=c.v_max, a_max=c.a_max, group="car")
    if c.scenario == "random":
        types = (ParticleType(name="car", count=c.n_particles, **kind),)
    else:
        second = "west" if c.scenario == "counterflow" else "north"
        types = (ParticleType(name="car_east", count=c.n_particles - c.n_particles // 2,
                              heading="east", **kind),
                 ParticleType(name=f"car_{second}", count=c.n_particles // 2, heading=second,
                              **kind))
    return Scene(c.scenario, Geometry(size=(c.box, c.box)), types, f"scenario {c.scenario!r}")


def scene_of(config) -> Scene:
    """The scene a DrivingConfig names: a torus scene, a shipped file scene, or a file path."""
    if config.scenario in TORUS_SCENES:
        return builtin_scene(config)
    if config.scenario in FILE_SCENES:
        return load_scene(SCENE_DIR / f"{config.scenario}.toml")
    return load_scene(config.scenario)
