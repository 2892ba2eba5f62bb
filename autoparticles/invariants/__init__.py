"""Geometry: periodic space, the cell-list neighbour search, the four driving invariants and
the species-resolved radial invariants of water (numba kernels over plain arrays)."""

from autoparticles.invariants.driving import DrivingObservation, driving_invariants, time_to_collision
from autoparticles.invariants.neighbours import NeighbourList, brute_force_pairs
from autoparticles.invariants.radial import RadialBasis, RadialInvariants, contract_gradient, radial_invariants
from autoparticles.invariants.space import displacement, minimum_image, wrap

__all__ = ["NeighbourList", "brute_force_pairs", "DrivingObservation", "driving_invariants",
           "time_to_collision", "RadialBasis", "RadialInvariants", "radial_invariants",
           "contract_gradient", "displacement", "minimum_image", "wrap"]
