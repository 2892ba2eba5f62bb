"""autoparticles: particles as learning agents that see only Galilean invariants.

Sub-packages: `invariants` (geometry), `agents` (losses, policies, learners), `envs` (driving
world and its gymnasium / SB3 / PettingZoo faces), `molecular` (water), `render` (pygame).
"""

__version__ = "0.1.0"

from autoparticles.envs import register_envs as _register_envs

_register_envs()
