"""Crowds: pedestrians in SI units (m, s) in the scenes crowd research measures (a bottleneck,
a periodic corridor), walked by JuPedSim (the peer simulator) or by any producer registered
in `runs.PRODUCERS`, and analysed with PedPy.

scenes (geometry, pedestrian parameters, starts), routes (the desired direction to a goal
through the free space), jupedsim_run (the peer), trajectories
(arrays and PedPy's text format), metrics (PedPy analysis), runs (the producer registry, one
run on disk), compare (the sweep, table and plots), cli. Names load on first use.
"""

from autoparticles.exports import lazy_exports

_NAMES = {
    "Pedestrians": "autoparticles.crowd.scenes",
    "Scene": "autoparticles.crowd.scenes",
    "Starts": "autoparticles.crowd.scenes",
    "bottleneck": "autoparticles.crowd.scenes",
    "corridor": "autoparticles.crowd.scenes",
    "starts": "autoparticles.crowd.scenes",
    "start_positions": "autoparticles.crowd.scenes",
    "DistanceField": "autoparticles.crowd.routes",
    "distance_field": "autoparticles.crowd.routes",
    "run_jupedsim": "autoparticles.crowd.jupedsim_run",
    "Trajectory": "autoparticles.crowd.trajectories",
    "write_trajectory": "autoparticles.crowd.trajectories",
    "read_trajectory": "autoparticles.crowd.trajectories",
    "compute_metrics": "autoparticles.crowd.metrics",
    "PRODUCERS": "autoparticles.crowd.runs",
    "register": "autoparticles.crowd.runs",
    "run_scene": "autoparticles.crowd.runs",
    "run_and_write": "autoparticles.crowd.runs",
    "Plan": "autoparticles.crowd.compare",
    "compare": "autoparticles.crowd.compare",
    "weidmann_speed": "autoparticles.crowd.compare",
}
__getattr__ = lazy_exports(__name__, _NAMES)
__all__ = list(_NAMES)
