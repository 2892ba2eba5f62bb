"""A weighted sum of two fitted water models: E = (1 − s)·E_first + s·E_second.

Both models read the same radial invariants (the same basis and cutoff, centred on the same
data means); the second may read more features after them (the angular ones). As each atom's
loss is a quadratic of its invariants, the sum is again one quadratic loss per species, over
the second model's features, so the blend is an ordinary model file: its forces are the same
weighted sum of the two models' forces, and PSD quadratic parts stay PSD (a convex fit stays
convex). The shipped `blend` model is the pair model and the angular one, half each (README)."""

import numpy as np

from autoparticles.agents.losses import QuadraticLoss
from autoparticles.molecular.agent import WaterModel

CENTRE_TOLERANCE = 1e-9
"""Largest difference [invariant units] between the two models' centres of a shared
invariant: both must be fitted on the same frames for their losses to add up as written."""


def _check_compatible(first: WaterModel, second: WaterModel, share: float) -> None:
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the blend's share of the second model must lie in [0, 1], got {share}")
    if first.mode != second.mode:
        raise ValueError(f"the models' force modes differ ({first.mode} vs {second.mode})")
    if (first.basis.kind, first.basis.cutoff, first.basis.eta) != \
            (second.basis.kind, second.basis.cutoff, second.basis.eta) or \
            not np.array_equal(first.basis.centres, second.basis.centres):
        raise ValueError("the models' radial bases differ; a blend needs the same radial "
                         "invariants in both")
    if first.angular is not None and (second.angular is None
                                      or first.angular.header() != second.angular.header()):
        raise ValueError("the first model reads angular invariants the second does not; give "
                         "the model with fewer invariants first")
    for name, a, b in zip("OH", first.species_losses, second.species_losses):
        gap = np.abs(a.centre - b.centre[:a.n_features]).max()
        if gap > CENTRE_TOLERANCE:
            raise ValueError(f"the models' {name} losses are centred on different invariant "
                             f"means (by up to {gap:.3g}): fit both on the same data and frames")


def blend_models(first: WaterModel, second: WaterModel, share: float) -> WaterModel:
    """(1 − share)·first + share·second, over the second model's invariants; its metadata
    records the share and both parts' metadata."""
    _check_compatible(first, second, share)
    losses = []
    for a, b in zip(first.species_losses, second.species_losses):
        f = a.n_features
        linear, quadratic = share * b.linear, share * b.quadratic
        linear[:f] += (1.0 - share) * a.linear
        quadratic[:f, :f] += (1.0 - share) * a.quadratic
        losses.append(QuadraticLoss(linear, quadratic, b.centre.copy()))
    record = {"blend": {"share": share, "first": first.metadata, "second": second.metadata}}
    return WaterModel(second.basis, tuple(losses), second.mode, second.bounds, record,
                      second.angular)
