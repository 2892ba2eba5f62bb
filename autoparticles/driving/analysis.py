"""Episode metrics of the driving world, accumulated from step infos."""

import numpy as np

METRIC_KEYS = ("collision_rate", "collision_free_fraction", "forward_speed", "overspeed",
               "tracking_error", "mean_interaction")
OVERSPEED = 1.05
"""A particle overspeeds while its forward speed v·ê exceeds this multiple of v0."""


_MEAN_KEYS = {"forward_speed": "forward_speed", "overspeed": "overspeed",
              "tracking_error": "tracking_error", "mean_interaction": "interaction"}
"""Metrics that are means over steps of a per-step info value: metric -> info key."""


class EpisodeMetrics:
    """Collision rate (onsets per particle per unit time), fraction of particles that never
    collided, mean forward speed ⟨v·ê⟩/v0, overspeed (fraction of particle-time with
    v·ê > 1.05 v0), tracking error ⟨|v − w|⟩/v0 and mean |a_int| over the steps added."""

    def __init__(self, n_particles: int, dt: float):
        self.dt = dt
        self.per_particle = np.zeros(n_particles, dtype=np.int64)
        self.steps = 0
        self._sums = dict.fromkeys(_MEAN_KEYS, 0.0)

    def add(self, info: dict) -> None:
        self.per_particle += info["collisions"]
        for key, source in _MEAN_KEYS.items():
            self._sums[key] += info[source]
        self.steps += 1

    def summary(self) -> dict:
        if self.steps == 0:
            raise ValueError("no steps recorded")
        duration = self.steps * self.dt
        return {
            "collision_rate": float(self.per_particle.sum() / (len(self.per_particle) * duration)),
            "collision_free_fraction": float(np.mean(self.per_particle == 0)),
            **{key: total / self.steps for key, total in self._sums.items()},
        }


def heads_up(metrics: EpisodeMetrics, onsets: int) -> str:
    """One heads-up line: time, collision onsets so far, rate and forward speed."""
    summary = metrics.summary() if metrics.steps else {"collision_rate": 0.0, "forward_speed": 1.0}
    return (f"t = {metrics.steps * metrics.dt:6.1f}   collisions {onsets}   "
            f"rate {summary['collision_rate']:.3f}   forward speed {summary['forward_speed']:.2f}")


def ballistic_collision_rate(n_particles: int, box: float, radius: float, v0: float) -> float:
    """Kinetic-theory onset rate per particle for ghost disks with uniform random headings at
    speed v0 in 2-D: ν = n · 4R · ⟨|u|⟩, n = (N - 1)/L², ⟨|u|⟩ = 4 v0/π."""
    return (n_particles - 1) / box**2 * 4 * radius * 4 * v0 / np.pi
