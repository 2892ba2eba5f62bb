"""Plain constants of the pair invariants, importable without numba (settings classes and
the command line read them before thread counts are set)."""

RULES = {"nearest": 0, "most_urgent": 1, "k_nearest": 2}
"""Which neighbour(s) a particle watches: name -> kernel code."""
NO_NEIGHBOUR = (1.0, 0.0, 0.0, 0.0)
"""(I1, I2, I3, I4) of an empty sensing disk: full gap, no motion, no urgency."""
