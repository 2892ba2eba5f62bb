"""Geometry: periodic space, the cell-list neighbour search, the four pair invariants of disks
and the species-resolved radial and angular invariants of molecules (numba kernels over plain arrays,
loaded on first use).

`driving_invariants` and `DrivingObservation` are the first round's names of
`pair_invariants` and `PairObservation`, kept for existing code."""

from autoparticles.exports import lazy_exports

_NAMES = {
    "NeighbourList": "autoparticles.invariants.neighbours",
    "brute_force_pairs": "autoparticles.invariants.neighbours",
    "PairObservation": "autoparticles.invariants.pair",
    "pair_invariants": "autoparticles.invariants.pair",
    "time_to_collision": "autoparticles.invariants.pair",
    "RadialBasis": "autoparticles.invariants.radial",
    "RadialInvariants": "autoparticles.invariants.radial",
    "radial_invariants": "autoparticles.invariants.radial",
    "contract_gradient": "autoparticles.invariants.radial",
    "AngularBasis": "autoparticles.invariants.angular",
    "angular_invariants": "autoparticles.invariants.angular",
    "displacement": "autoparticles.invariants.space",
    "minimum_image": "autoparticles.invariants.space",
    "wrap": "autoparticles.invariants.space",
}
_OLD = {"driving_invariants": "pair_invariants", "DrivingObservation": "PairObservation"}
_lazy = lazy_exports(__name__, _NAMES)


def __getattr__(name):
    return _lazy(_OLD.get(name, name))


__all__ = list(_NAMES) + list(_OLD)
