"""ORCA (Optimal Reciprocal Collision Avoidance; van den Berg, Guy, Lin & Manocha, "Reciprocal
n-body collision avoidance", Robotics Research, Springer 2011) as a driving controller, through
the RVO2 library's Python bindings (`pyrvo`).

ORCA sees the full positions and velocities of its neighbours (`Percept.state`) — the "all
information, hand-designed" corner against the learner's "four invariants, learned". Each particle asks for
its desired velocity w_i = v0 ê_i; the velocity ORCA chooses is turned into the acceleration
that reaches it in one step, a_int = (v_orca − v)/dt − (w − v)/τ, capped at a_max and written
as the pair-mode action (α, β) in the frame of the watched neighbour. The world, collisions and
metrics stay exactly ours; only the choice of a_int comes from ORCA.

The torus is handled with periodic images: every particle within r_s of an edge is copied
across it (one to three copies), so each particle's ORCA neighbourhood is the minimum-image
one (r_s < L/2 holds by the config's check).
"""

import numpy as np

TIME_HORIZON = 4.0
"""ORCA's time horizon [time units] for agent–agent avoidance. Of 1, 2, 4 and 8, 4 gave the
fewest collisions at N = 32 and 128 (8 no fewer, more overspeed)."""
MAX_NEIGHBOURS = 10
"""Neighbours each ORCA agent considers (RVO2's examples use 10)."""


def _import_rvo():
    try:
        import pyrvo
    except ImportError:
        raise RuntimeError("the orca policy needs the RVO2 bindings: pip install pyrvo") from None
    return pyrvo


def check_orca_config(config) -> None:
    """Refuse configs ORCA cannot be honoured in (one clear message)."""
    if config.action != "pair":
        raise ValueError(f"policy 'orca' needs action mode 'pair' (got {config.action!r}): "
                         "in 'vehicle' mode (throttle, steer) cannot express every acceleration "
                         "ORCA asks for")


def periodic_images(positions: np.ndarray, box: float, reach: float):
    """Positions (M, 2) of the particles and their images within `reach` of the square's
    edges, and owners (M,) the index of the particle each row copies."""
    rows, owners = [positions], [np.arange(len(positions))]
    for sx in (-1, 0, 1):
        for sy in (-1, 0, 1):
            if sx == sy == 0:
                continue
            shifted = positions + box * np.array([sx, sy], dtype=float)
            inside = np.all((shifted > -reach) & (shifted < box + reach), axis=1)
            rows.append(shifted[inside])
            owners.append(np.nonzero(inside)[0])
    return np.concatenate(rows), np.concatenate(owners)


def orca_velocities(state, config, time_horizon: float = TIME_HORIZON) -> np.ndarray:
    """(N, 2) velocities ORCA chooses this step for every particle of the `WorldState`."""
    pyrvo = _import_rvo()
    c = config
    x, v = state.positions, state.velocities
    preferred = c.v0 * state.headings
    images, owners = periodic_images(x, c.box, c.sensing)
    sim = pyrvo.RVOSimulator(c.dt, c.sensing, MAX_NEIGHBOURS, time_horizon, time_horizon,
                             c.radius, c.v_max)
    for row, owner in enumerate(owners):
        agent = sim.add_agent(tuple(images[row]))
        sim.set_agent_velocity(agent, tuple(v[owner]))
        sim.set_agent_pref_velocity(agent, tuple(preferred[owner]))
    sim.do_step()
    return np.array([sim.get_agent_velocity(i).to_tuple() for i in range(c.n_particles)])


def orca(percept, time_horizon: float = TIME_HORIZON) -> np.ndarray:
    """Pair-mode actions (N, 2) that reach ORCA's velocities as closely as a_max allows;
    reads the full state `percept.state`."""
    check_orca_config(percept.config)
    c, state = percept.config, percept.state
    v = state.velocities
    target = orca_velocities(state, c, time_horizon)
    accel = (target - v) / c.dt - (c.v0 * state.headings - v) / c.tau
    norm = np.linalg.norm(accel, axis=1, keepdims=True)
    accel *= np.minimum(1.0, c.a_max / np.maximum(norm, 1e-300))
    r = state.direction
    along = np.einsum("nd,nd->n", accel, r)
    across = r[:, 0] * accel[:, 1] - r[:, 1] * accel[:, 0]
    return np.stack([along, across], axis=1) / c.a_max
