"""`autoparticles demo`: the main job on built-in defaults; grows with each part that lands."""

import time


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def run_demo(quick: bool = False) -> int:
    from autoparticles.bench import invariants_throughput

    started = time.perf_counter()
    _section("invariants: neighbour search + driving invariants, particle-steps/s (1 core)")
    table = invariants_throughput(min_seconds=0.3 if quick else 1.0)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.3g}"))

    _section("driving: baselines on the default world (N=32, L=20, ghost collisions)")
    from autoparticles.agents.evaluation import evaluate, format_metrics
    from autoparticles.agents.policies import heuristic
    from autoparticles.envs.config import DrivingConfig

    for name in ("ballistic", "ttc"):
        print(format_metrics(evaluate(heuristic(name), DrivingConfig(), episodes=1 if quick else 3),
                             f"policy {name}"))

    _section("water: the shipped CP2K reference dataset")
    from autoparticles.molecular.describe import describe_text
    from autoparticles.molecular.reference import load_reference

    print(describe_text(load_reference()))
    print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")
    return 0
