"""A particle system the project does not ship, defined only through the public API:
forklifts and workers in a warehouse with shelves (static obstacles) and a wall with a gap.

    python examples/warehouse.py [--steps 4000] [--out runs/warehouse]

It builds the scene in Python, checks the ttc heuristic on it, trains one shared PPO policy
for a few thousand particle-steps, evaluates it per type and records a GIF.
"""

import argparse
import json

from autoparticles.driving import (DrivingConfig, Geometry, ParticleType, Scene, TrainSettings,
                                   evaluate, heuristic, load_model_policy, train, watch_driving)

SHELVES = [[6.0, 4.0], [6.0, 8.0], [6.0, 12.0], [18.0, 4.0], [18.0, 8.0], [18.0, 12.0]]


def warehouse() -> Scene:
    """A 24 × 16 hall, walls all round and a partition at x = 12 with a 4-wide gap; forklifts
    (big, slow to turn) drive east-west, workers walk towards the loading bay."""
    geometry = Geometry(size=(24.0, 16.0), periodic=(False, False),
                        walls=((12.0, 0.0, 12.0, 6.0), (12.0, 10.0, 12.0, 16.0)))
    types = (
        ParticleType(name="forklift", count=6, radius=0.7, v0=0.8, v_max=1.2, a_max=1.0,
                     heading="random"),
        ParticleType(name="worker", count=10, radius=0.3, v0=0.6, v_max=1.2, a_max=1.5,
                     heading="goal", goal=(20.0, 1.0, 23.0, 4.0), spawn=(1.0, 1.0, 11.0, 15.0)),
        ParticleType(name="shelf", count=len(SHELVES), radius=1.2, static=True,
                     positions=tuple(map(tuple, SHELVES))),
    )
    return Scene("warehouse", geometry, types, "examples/warehouse.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000, help="PPO particle-steps")
    parser.add_argument("--out", default="runs/warehouse", help="output folder")
    args = parser.parse_args()
    config = DrivingConfig(episode_steps=100).for_scene(warehouse())
    print("ttc:", json.dumps(evaluate(heuristic("ttc", config), config, episodes=1)["per_type"]))
    model = train(config, TrainSettings(steps=args.steps), args.out, progress=False)
    learned = evaluate(load_model_policy(model, config), config, episodes=1)
    print("PPO:", json.dumps(learned["per_type"]))
    print("wrote", watch_driving(config, model, 60, f"{args.out}/warehouse.gif"))


if __name__ == "__main__":
    main()
