"""How we know the drivers are right: episode metrics accumulated from step infos, the
kinetic-theory ballistic rate they are measured against, and seeded evaluation of a policy."""

import numpy as np

from autoparticles.driving.config import DrivingConfig
from autoparticles.driving.world import DrivingWorld
from autoparticles.loop import Run

METRIC_KEYS = ("collision_rate", "collision_free_fraction", "forward_speed", "overspeed",
               "tracking_error", "mean_interaction")
_MEAN_KEYS = {"forward_speed": "forward_speed", "overspeed": "overspeed",
              "tracking_error": "tracking_error", "mean_interaction": "interaction"}
"""Metrics that are means over steps of a per-step info value: metric -> info key."""


class EpisodeMetrics:
    """Collision rate (onsets per particle per unit time in the world: one that left at a
    `leave` goal no longer counts), fraction of particles that never
    collided, mean forward speed ⟨v·ê⟩/v0, overspeed (fraction of particle-time with
    v·ê > 1.05 v0), tracking error ⟨|v − w|⟩/v0 and mean |a_int| over the steps added; an
    observer of the run loop (`run.attach(metrics.add)`). Given the world's `particles` of a
    typed scene, also the same per group (`per_type`), wall contacts and arrivals, and the
    collision rate of every pair of groups (`pair_collisions`)."""

    def __init__(self, n_particles: int, dt: float, particles=None):
        self.dt = dt
        self.per_particle = np.zeros(n_particles, dtype=np.int64)
        self.present = np.zeros(n_particles, dtype=np.int64)
        """Steps each particle spent in the world (one that left a `leave` goal is not)."""
        self.steps = 0
        self._sums = dict.fromkeys(_MEAN_KEYS, 0.0)
        self.particles = particles
        if particles is not None:
            self._walls = np.zeros(n_particles, dtype=np.int64)
            self._arrivals = np.zeros(n_particles, dtype=np.int64)
            self._forward = np.zeros(n_particles)
            self._pairs = np.zeros((len(particles.scene.groups),) * 2, dtype=np.int64)
            self._deepest = 0.0

    def add(self, info: dict) -> None:
        self.per_particle += info["collisions"]
        present = np.broadcast_to(info.get("present", True), self.present.shape)
        self.present += present
        for key, source in _MEAN_KEYS.items():  # info: means over the particles present
            self._sums[key] += info[source] * np.count_nonzero(present)
        if self.particles is not None:
            self._walls += info["wall_collisions"]
            self._arrivals += info["arrivals"]
            self._forward += info["forward"]
            self._pairs += info["pair_onsets"]
            self._deepest = max(self._deepest, info["wall_overlap_depth"])
        self.steps += 1

    def summary(self) -> dict:
        if self.steps == 0:
            raise ValueError("no steps recorded")
        duration = self.steps * self.dt
        particle_steps = self._particle_steps()
        summary = {
            "collision_rate": float(self.per_particle.sum() / (particle_steps * self.dt)),
            "collision_free_fraction": float(np.mean(self.per_particle == 0)),
            **{key: total / particle_steps for key, total in self._sums.items()},
        }
        if self.particles is not None:
            summary.update(self._typed(duration))
        return summary

    def _particle_steps(self, rows=slice(None)) -> int:
        """Steps the particles `rows` spent in the world, together (at least 1)."""
        return max(int(self.present[rows].sum()), 1)

    def _typed(self, duration: float) -> dict:
        p = self.particles
        groups = p.scene.groups
        member = p.group[:len(self.per_particle)]
        per_type = {}
        for g, name in enumerate(groups):
            rows = member == g
            if not rows.any():
                continue  # obstacles: no metrics of their own
            steps = self._particle_steps(rows)
            n = steps * self.dt
            per_type[name] = {"collision_rate": float(self.per_particle[rows].sum() / n),
                              "wall_collision_rate": float(self._walls[rows].sum() / n),
                              "forward_speed": float(self._forward[rows].sum() / steps),
                              "arrivals_per_time": float(self._arrivals[rows].sum() / duration),
                              "particles": int(rows.sum())}
        particle_time = self._particle_steps() * self.dt
        pairs = {f"{a}-{b}": float(self._pairs[i, j] / particle_time)
                 for i, a in enumerate(groups) for j, b in enumerate(groups) if j >= i}
        return {"wall_collision_rate": float(self._walls.sum() / particle_time),
                "deepest_wall_overlap": self._deepest,
                "arrivals_per_time": float(self._arrivals.sum() / duration),
                "per_type": per_type, "pair_collisions": pairs}


def new_metrics(world) -> EpisodeMetrics:
    """EpisodeMetrics of a DrivingWorld (per type when its scene is typed)."""
    typed = world.particles if world.scene.typed else None
    return EpisodeMetrics(world.n_particles, world.config.dt, typed)


def ballistic_rate(config: DrivingConfig) -> float:
    """The kinetic-theory ballistic rate of a torus scene; nan for other scenes (walls,
    obstacles and several types have no closed form)."""
    if config.scene.typed or config.scenario.endswith((".toml", ".json")):
        return float("nan")
    return ballistic_collision_rate(config.n_particles, config.box, config.radius, config.v0)


def heads_up(metrics: EpisodeMetrics, onsets: int) -> str:
    """One heads-up line: time, collision onsets so far, rate and forward speed."""
    summary = metrics.summary() if metrics.steps else {"collision_rate": 0.0, "forward_speed": 1.0}
    return (f"t = {metrics.steps * metrics.dt:6.1f}   collisions {onsets}   "
            f"rate {summary['collision_rate']:.3f}   forward speed {summary['forward_speed']:.2f}")


def ballistic_collision_rate(n_particles: int, box: float, radius: float, v0: float) -> float:
    """Kinetic-theory onset rate per particle for ghost disks with uniform random headings at
    speed v0 in 2-D: ν = n · 4R · ⟨|u|⟩, n = (N - 1)/L², ⟨|u|⟩ = 4 v0/π."""
    return (n_particles - 1) / box**2 * 4 * radius * 4 * v0 / np.pi


def evaluate(policy, config: DrivingConfig, episodes: int = 3, seed: int = 0,
             progress: bool = False) -> dict:
    """Mean metrics of `policy` (Percept -> actions) over `episodes` full episodes (seeds
    seed, seed+1, ...), plus the kinetic-theory ballistic rate at this density."""
    if episodes <= 0:
        raise ValueError(f"episodes must be positive, got {episodes}")
    from tqdm.auto import tqdm

    world = DrivingWorld(config, seed=seed)
    metrics = new_metrics(world)
    run = Run(world, policy)
    run.attach(metrics.add)
    with tqdm(total=episodes * config.episode_steps, disable=not progress, unit="step") as bar:
        run.attach(lambda info: bar.update(config.episode_steps), config.episode_steps)
        for episode in range(episodes):
            world.reset(seed + episode)
            run.run(config.episode_steps)
    summary = metrics.summary()
    summary["ballistic_rate_theory"] = ballistic_rate(config)
    summary["particle_steps"] = int(metrics.steps * world.n_particles)
    return summary


def format_metrics(summary: dict, label: str = "") -> str:
    """One aligned table of the metrics."""
    rows = [("collision rate [1/particle/time]", summary["collision_rate"]),
            ("  relative to ballistic theory", summary["collision_rate"] / summary["ballistic_rate_theory"]
             if summary["ballistic_rate_theory"] else float("nan")),  # N = 1: nobody to hit
            ("collision-free fraction", summary["collision_free_fraction"]),
            ("forward speed <v.e>/v0", summary["forward_speed"]),
            ("overspeed (v.e > 1.05 v0)", summary["overspeed"]),
            ("tracking error <|v - w|>/v0", summary["tracking_error"]),
            ("mean |a_int|", summary["mean_interaction"])]
    if "per_type" in summary:
        rows += [("wall contacts [1/particle/time]", summary["wall_collision_rate"]),
                 ("arrivals [1/time]", summary["arrivals_per_time"])]
        for name, values in summary["per_type"].items():
            rows += [(f"{name}: collision rate", values["collision_rate"]),
                     (f"{name}: wall contacts", values["wall_collision_rate"]),
                     (f"{name}: forward speed", values["forward_speed"])]
        rows += [(f"collisions {pair}", rate)
                 for pair, rate in summary["pair_collisions"].items() if rate > 0]
    if not np.isfinite(summary["ballistic_rate_theory"]):
        rows.pop(1)  # no kinetic theory for this scene
    head = f"{label}\n" if label else ""
    return head + "\n".join(f"  {name:<34s} {value:8.4f}" for name, value in rows)
