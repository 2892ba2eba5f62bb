"""A scene run by JuPedSim (the Jülich pedestrian simulator): the same walkable area, starts,
desired speeds and goals as every other producer, recorded at a fixed frame rate.

Models: "csm", the collision-free speed model (Tordeux, Chraibi & Seyfried 2016) with
JuPedSim's default parameters, and "avm", the anticipation velocity model (Xu, Chraibi &
Seyfried 2021), also with its defaults. Steps of dt = 0.01 s (JuPedSim's recommended step).

Goals: in a bottleneck every pedestrian follows a journey to an exit stage (the goal region,
where JuPedSim removes them); JuPedSim routes them through the free space (shortest path on
its navigation mesh).

Periodic corridor: JuPedSim has no periodic boundaries and an agent's position cannot be set,
so the periodicity is emulated. Every pedestrian is steered directly (a direct-steering
journey) to the far end of the corridor along its own lane; one that passes the end of the
periodic cell [x_min, x_max] is removed and added again one period back, at the same lateral
position, speed parameters and heading, as soon as no other body overlaps that spot (until
then it waits in the 0.5 m buffer beyond the cell). It continues in the trajectory under a new
id, as a pedestrian entering an open corridor would. Neighbours across the seam do not see
each other, so the measurement area sits in the middle of the corridor, away from the seam.
"""

from autoparticles.crowd.scenes import Scene, Starts
from autoparticles.crowd.trajectories import Trajectory

DT = 0.01
"""JuPedSim step [s] (its default and recommended value)."""
MODELS = ("csm", "avm")


def _model(name: str, seed: int):
    import jupedsim as jps

    if name == "csm":
        return jps.CollisionFreeSpeedModel(), jps.CollisionFreeSpeedModelAgentParameters
    if name == "avm":
        return (jps.AnticipationVelocityModel(rng_seed=seed % 2**63),
                jps.AnticipationVelocityModelAgentParameters)
    raise ValueError(f"unknown JuPedSim model {name!r} (known: {', '.join(MODELS)})")


def run_jupedsim(scene: Scene, starts: Starts, seed: int = 0, model: str = "csm",
                 fps: float = 10.0) -> Trajectory:
    """Run `scene` from `starts` in JuPedSim for scene.duration [s] (a bottleneck stops when
    everybody has left) and return the trajectory sampled at `fps` frames per second."""
    import jupedsim as jps

    operational, Parameters = _model(model, seed)
    every = max(1, round(1.0 / (fps * DT)))
    sim = jps.Simulation(model=operational, geometry=scene.walkable, dt=DT)
    p = scene.pedestrians
    if scene.periodic is None:
        exit_id = sim.add_exit_stage(scene.goals[0])
        journey = sim.add_journey(jps.JourneyDescription([exit_id]))
        stage = exit_id
    else:
        stage = sim.add_direct_steering_stage()
        journey = sim.add_journey(jps.JourneyDescription([stage]))

    def add(position, i):
        agent = sim.add_agent(Parameters(position=tuple(map(float, position)), radius=p.radius,
                                         desired_speed=float(starts.v0[i]), time_gap=p.time_gap,
                                         journey_id=journey, stage_id=stage))
        if scene.periodic is not None:
            x_end = scene.walkable.bounds[2] - 0.01 if starts.goal[i] == 0 else 0.01
            sim.agent(agent).target = (x_end, float(position[1]))
        return agent

    pedestrian = {add(xy, i): i for i, xy in enumerate(starts.positions)}  # jupedsim id -> i
    trajectory_id = {agent: agent for agent in pedestrian}  # jupedsim id -> trajectory id
    next_id = max(trajectory_id.values(), default=0) + 1
    rows, frames = [], int(round(scene.duration * fps))
    for frame in range(frames + 1):
        for agent in sim.agents():
            rows.append((frame, trajectory_id[agent.id], *agent.position))
        if frame == frames or sim.agent_count() == 0:
            break
        if scene.periodic is not None:
            next_id = _wrap(sim, scene, starts, pedestrian, trajectory_id, next_id, add)
        sim.iterate(every)
    return Trajectory.from_rows(rows, fps, producer=f"jupedsim:{model}")


def _wrap(sim, scene: Scene, starts: Starts, pedestrian: dict, trajectory_id: dict,
          next_id: int, add) -> int:
    """Move the pedestrians past the periodic cell's ends one period back when their landing
    spot is free; returns the next free trajectory id."""
    x_min, x_max = scene.periodic
    period, clear = x_max - x_min, 2 * scene.pedestrians.radius + 0.02
    for agent in list(sim.agents()):
        x, y = agent.position
        shift = -period if x > x_max else period if x < x_min else 0.0
        if not shift or any(True for _ in sim.agents_in_range((x + shift, y), clear)):
            continue
        i = pedestrian.pop(agent.id)
        del trajectory_id[agent.id]
        sim.mark_agent_for_removal(agent.id)
        new = add((x + shift, y), i)
        pedestrian[new], trajectory_id[new] = i, next_id
        next_id += 1
    return next_id
