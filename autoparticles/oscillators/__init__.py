"""Oscillators: driven, overdamped oscillators in a bath that learn, each by a local rule,
the time-dependent drive that turns the bath's noise into samples of a target.

The folder has the shape of every system: config (the settings), world (graph, driven force,
forward process, Euler-Maruyama reverse process), agent (the protocol, the model file,
sampling), learn (the local force-matching rule), training (the run on disk: checkpoints,
resume), targets (the data), analysis (metrics, pictures), watch and cli. Names load on first
use.
"""

from autoparticles.exports import lazy_exports

_NAMES = {
    "ProtocolSettings": "autoparticles.oscillators.config",
    "TrainSettings": "autoparticles.oscillators.config",
    "SampleSettings": "autoparticles.oscillators.config",
    "ReverseProcess": "autoparticles.oscillators.world",
    "Protocol": "autoparticles.oscillators.agent",
    "load_protocol": "autoparticles.oscillators.agent",
    "sample": "autoparticles.oscillators.agent",
    "local_gradients": "autoparticles.oscillators.learn",
    "train": "autoparticles.oscillators.training",
    "load_target": "autoparticles.oscillators.targets",
    "metrics": "autoparticles.oscillators.analysis",
    "watch_reverse": "autoparticles.oscillators.watch",
}
__getattr__ = lazy_exports(__name__, _NAMES)
__all__ = list(_NAMES)
