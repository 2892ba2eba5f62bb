"""Driving: autonomous particles that learn to drive without colliding.

`scene` what the world holds as data (particle types, walls, goals; TOML scene files),
`placement` where they start and which way they want to go, `config` the settings of the
world (DrivingConfig), `world` how they move (DrivingWorld,
Percept), `agent` what each one does (ballistic, ttc, orca, trained models), `learn` how the
shared policy is trained (PPO/SAC through ParticleVecEnv), `analysis` how we know it is right
(metrics, evaluation; `compare` the invariants-vs-raw experiment), `watch` and `cli`; `env`
its gymnasium / PettingZoo faces, `bench` its speed. Names load on first use.
"""

from autoparticles.exports import lazy_exports

_NAMES = {
    "DrivingConfig": "autoparticles.driving.config",
    "Scene": "autoparticles.driving.scene",
    "Geometry": "autoparticles.driving.scene",
    "ParticleType": "autoparticles.driving.scene",
    "load_scene": "autoparticles.driving.scene",
    "DrivingWorld": "autoparticles.driving.world",
    "Percept": "autoparticles.driving.world",
    "POLICIES": "autoparticles.driving.agent",
    "heuristic": "autoparticles.driving.agent",
    "load_model_policy": "autoparticles.driving.agent",
    "resolve_policy": "autoparticles.driving.agent",
    "TrainSettings": "autoparticles.driving.learn",
    "train": "autoparticles.driving.learn",
    "load_progress": "autoparticles.driving.learn",
    "EpisodeMetrics": "autoparticles.driving.analysis",
    "evaluate": "autoparticles.driving.analysis",
    "format_metrics": "autoparticles.driving.analysis",
    "run_comparison": "autoparticles.driving.compare",
    "DrivingEnv": "autoparticles.driving.env",
    "parallel_env": "autoparticles.driving.env",
    "ENV_ID": "autoparticles.driving.env",
    "watch_driving": "autoparticles.driving.watch",
}
__getattr__ = lazy_exports(__name__, _NAMES)
__all__ = list(_NAMES)
