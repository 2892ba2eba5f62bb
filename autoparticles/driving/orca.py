"""ORCA (Optimal Reciprocal Collision Avoidance; van den Berg, Guy, Lin & Manocha, "Reciprocal
n-body collision avoidance", Robotics Research, Springer 2011) as a driving controller, through
the RVO2 library's Python bindings (`pyrvo`).

ORCA sees the full positions and velocities of its neighbours (`Percept.state`) — the "all
information, hand-designed" corner against the learner's "four invariants, learned". Each particle asks for
its desired velocity w_i = v0 ê_i; the velocity ORCA chooses is turned into the acceleration
that reaches it in one step, a_int = (v_orca − v)/dt − (w − v)/τ, capped at a_max and written
as the pair-mode action (α, β) in the frame of the watched neighbour. The world, collisions and
metrics stay exactly ours; only the choice of a_int comes from ORCA.

Periodic axes are handled with images: every particle within r_s of a periodic edge is
copied across it (one to three copies), so each particle's ORCA neighbourhood is the
minimum-image one (r_s < L/2 holds by the config's check). In typed scenes every agent gets
its type's radius and v_max, static obstacles become octagons around their disks and walls
line obstacles, which RVO2 avoids without reciprocity.
"""

import numpy as np

TIME_HORIZON = 4.0
"""ORCA's time horizon [time units] for agent–agent avoidance. Of 1, 2, 4 and 8, 4 gave the
fewest collisions at N = 32 and 128 (8 no fewer, more overspeed)."""
TIME_HORIZON_OBSTACLES = 2.0
"""ORCA's time horizon [time units] for static obstacles and walls (RVO2's examples use
shorter horizons for obstacles than for agents)."""
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


def periodic_images(positions: np.ndarray, box, reach: float, periodic=(True, True)):
    """Positions (M, 2) of the particles and their images within `reach` of the periodic
    edges of the box (a side or (width, height)), and owners (M,) the index of the particle
    each row copies."""
    extent = np.broadcast_to(np.asarray(box, dtype=float), (2,))
    rows, owners = [positions], [np.arange(len(positions))]
    for sx in ((-1, 0, 1) if periodic[0] else (0,)):
        for sy in ((-1, 0, 1) if periodic[1] else (0,)):
            if sx == sy == 0:
                continue
            shifted = positions + extent * np.array([sx, sy], dtype=float)
            inside = np.all((shifted > -reach) & (shifted < extent + reach), axis=1)
            rows.append(shifted[inside])
            owners.append(np.nonzero(inside)[0])
    return np.concatenate(rows), np.concatenate(owners)


def obstacle_outlines(particles, positions, geometry) -> list[list[tuple]]:
    """RVO2 obstacles: each static disk as the regular octagon around it (counter-clockwise,
    its edges touching the disk), each wall as a two-vertex line, with copies one period
    away along periodic axes."""
    outlines = []
    corners = np.exp(1j * (np.arange(8) + 0.5) * np.pi / 4)
    size = np.asarray(geometry.size, dtype=float)
    shifts = [np.array([sx, sy]) * size for sx in ((-1, 0, 1) if geometry.periodic[0] else (0,))
              for sy in ((-1, 0, 1) if geometry.periodic[1] else (0,))]
    for row in range(particles.n_moving, len(particles.radius)):
        ring = particles.radius[row] / np.cos(np.pi / 8) * corners
        for shift in shifts:
            centre = positions[row] + shift
            outlines.append([(centre[0] + z.real, centre[1] + z.imag) for z in ring])
    for x1, y1, x2, y2 in geometry.segments:
        for sx, sy in shifts:
            outlines.append([(x1 + sx, y1 + sy), (x2 + sx, y2 + sy)])
    return outlines


def orca_velocities(state, config, time_horizon: float = TIME_HORIZON, particles=None) -> np.ndarray:
    """(M, 2) velocities ORCA chooses this step for every moving particle of the
    `WorldState`; `particles` (the world's per-particle constants) gives radii, speeds,
    obstacles and walls (default: the config's one kind of disk on a torus)."""
    pyrvo = _import_rvo()
    c = config
    if particles is None:
        from autoparticles.driving.world import Particles

        particles = Particles(c.scene)
    m = particles.n_moving
    geometry = particles.scene.geometry
    x, v = state.positions[:m], state.velocities[:m]
    preferred = particles.v0[:, None] * state.headings
    images, owners = periodic_images(x, geometry.size, c.sensing, geometry.periodic)
    sim = pyrvo.RVOSimulator(c.dt, c.sensing, MAX_NEIGHBOURS, time_horizon, TIME_HORIZON_OBSTACLES,
                             c.radius, c.v_max)
    for row, owner in enumerate(owners):
        agent = sim.add_agent(tuple(images[row]))
        sim.set_agent_radius(agent, float(particles.radius[owner]))
        sim.set_agent_max_speed(agent, float(particles.v_max[owner]))
        sim.set_agent_velocity(agent, tuple(v[owner]))
        sim.set_agent_pref_velocity(agent, tuple(preferred[owner]))
    outlines = obstacle_outlines(particles, state.positions, geometry)
    for outline in outlines:
        sim.add_obstacle(outline)
    if outlines:
        sim.process_obstacles()
    sim.do_step()
    return np.array([sim.get_agent_velocity(i).to_tuple() for i in range(m)])


def orca(percept, time_horizon: float = TIME_HORIZON) -> np.ndarray:
    """Pair-mode actions (M, 2) that reach ORCA's velocities as closely as a_max allows;
    reads the full state `percept.state`."""
    check_orca_config(percept.config)
    c, state, p = percept.config, percept.state, percept.particles
    v = state.velocities[:p.n_moving]
    target = orca_velocities(state, c, time_horizon, p)
    accel = (target - v) / c.dt - (p.v0[:, None] * state.headings - v) / c.tau
    norm = np.linalg.norm(accel, axis=1, keepdims=True)
    accel *= np.minimum(1.0, p.a_max[:, None] / np.maximum(norm, 1e-300))
    r = state.direction
    along = np.einsum("nd,nd->n", accel, r)
    across = r[:, 0] * accel[:, 1] - r[:, 1] * accel[:, 0]
    return np.stack([along, across], axis=1) / p.a_max[:, None]
