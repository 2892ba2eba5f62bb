"""Plain constants and rules of the pair invariants, importable without numba (settings
classes and the command line read them before thread counts are set)."""

RULES = {"nearest": 0, "most_urgent": 1, "k_nearest": 2}
"""Which neighbour(s) a particle watches: name -> kernel code."""
NO_NEIGHBOUR = (1.0, 0.0, 0.0, 0.0)
"""(I1, I2, I3, I4) of an empty sensing disk: full gap, no motion, no urgency."""


CONCERN_GAP = 0.05
"""A neighbour or wall nearer than this share of the sensing range (normalised gap I1)
concerns a particle even off a collision course: it (nearly) touches."""


def concerns(features):
    """(...,) whether invariant blocks (..., 4) of I1..I4 concern their particle: on a
    collision course (I4 > 0) or nearer than CONCERN_GAP. An empty block (`NO_NEIGHBOUR`)
    does not."""
    return (features[..., 3] > 0.0) | (features[..., 0] < CONCERN_GAP)
