"""Evaluate a policy on the driving world over seeded episodes."""

from autoparticles.agents.policies import Policy
from autoparticles.envs.config import DrivingConfig
from autoparticles.envs.metrics import EpisodeMetrics, ballistic_collision_rate
from autoparticles.envs.world import DrivingWorld


def evaluate(policy: Policy, config: DrivingConfig, episodes: int = 3, seed: int = 0,
             progress: bool = False) -> dict:
    """Mean metrics over `episodes` full episodes (seeds seed, seed+1, ...), plus the
    kinetic-theory ballistic rate at this density for reference."""
    if episodes <= 0:
        raise ValueError(f"episodes must be positive, got {episodes}")
    from tqdm.auto import tqdm

    world = DrivingWorld(config, seed=seed)
    metrics = EpisodeMetrics(config.n_particles, config.dt)
    bar = tqdm(total=episodes * config.episode_steps, disable=not progress, unit="step")
    for episode in range(episodes):
        obs = world.reset(seed + episode)
        for _ in range(config.episode_steps):
            obs, _, info = world.step(policy(obs, world))
            metrics.add(info)
        bar.update(config.episode_steps)
    bar.close()
    summary = metrics.summary()
    summary["ballistic_rate_theory"] = ballistic_collision_rate(
        config.n_particles, config.box, config.radius, config.v0)
    summary["particle_steps"] = int(metrics.steps * config.n_particles)
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
    head = f"{label}\n" if label else ""
    return head + "\n".join(f"  {name:<34s} {value:8.4f}" for name, value in rows)
