"""autoparticles: particles as learning agents that see only Galilean invariants.

Systems, each one sibling folder of the same shape: `driving` (reinforcement learning) and
`molecular` (water). Shared layers: `invariants` (geometry), `agents` (learners), `envs`
(gymnasium / SB3 / PettingZoo shells), `render` (pygame), `config` (settings).

Importing the package registers the systems' gymnasium ids by entry-point strings, so that
no system (nor numba, torch or pygame) loads before `gymnasium.make`.
"""

__version__ = "0.1.0"

GYM_IDS = {"autoparticles/Driving-v0": "autoparticles.driving.env:make_env"}
"""gymnasium id -> entry point of the system's environment."""

from autoparticles.envs import register as _register  # noqa: E402

_register(GYM_IDS)
