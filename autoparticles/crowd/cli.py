"""`autoparticles crowd ...`: one pedestrian scene run by one policy (bottleneck, corridor),
and every policy against JuPedSim on bottlenecks and corridors (compare). Every run writes
trajectory.txt (PedPy's text format), metrics.json (PedPy analysis) and scene.json."""

import json
from pathlib import Path
from types import SimpleNamespace

from autoparticles.commands import COUNT, POSITIVE, SEED, claim, command, group


def _policies_help() -> str:
    return ("who walks: jupedsim (JuPedSim's collision-free speed model), jupedsim-avm (its "
            "anticipation velocity model), or a name registered in "
            "autoparticles.crowd.runs.PRODUCERS")


def _require() -> None:
    """The crowd commands need the optional JuPedSim and PedPy; say how to get them."""
    import importlib.util

    missing = [name for name in ("jupedsim", "pedpy") if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"the crowd commands need {' and '.join(missing)}: pip install "
                           "'autoparticles[crowd]' (or make test)")


def _add_run_options(parser, default_out: str) -> None:
    parser.add_argument("--policy", default="jupedsim", help=_policies_help())
    parser.add_argument("--seed", type=SEED, default=0, help="seed of the starts and speeds")
    parser.add_argument("--duration", type=POSITIVE, default=None,
                        help="simulated time [s] (default: 180 bottleneck, 40 corridor)")
    parser.add_argument("--out", default=default_out,
                        help="output folder (trajectory.txt, metrics.json, scene.json)")
    parser.add_argument("--json", action="store_true", help="print the metrics as one JSON line")


def _run(args, scene) -> int:
    from autoparticles.crowd.runs import OUTPUTS, producer, run_and_write

    producer(args.policy)
    out = Path(args.out)
    claim(args, "--out", *(out / name for name in OUTPUTS))
    metrics = run_and_write(scene, args.policy, args.seed, out)
    if args.json:
        print(json.dumps(metrics))
        return 0
    overlap = metrics["overlaps"]
    lines = [f"{scene.name} by {args.policy} (seed {args.seed}), {scene.agents} pedestrians:",
             f"  flow {_show(metrics['flow'])} /s, specific flow "
             f"{_show(metrics['specific_flow'])} /(m·s) through the {scene.width:g} m line",
             f"  measurement area: Voronoi density {_show(metrics['density'])} /m², speed "
             f"{_show(metrics['speed'])} m/s",
             f"  overlaps: {overlap['pairs']} pairs (deepest {overlap['max_pair_depth']:.3f} r), "
             f"{overlap['walls']} with walls (deepest {overlap['max_wall_depth']:.3f} r)"]
    if metrics["evacuated"] is not None:
        lines.append(f"  evacuated {metrics['evacuated_count']}/{scene.agents}"
                     + (f" in {metrics['evacuation_time']:.1f} s"
                        if metrics["evacuation_time"] is not None else ""))
    print("\n".join(lines) + f"\nwrote {', '.join(str(out / n) for n in OUTPUTS)}")
    return 0


def _show(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def _bottleneck(args) -> int:
    _require()
    from autoparticles.crowd.scenes import bottleneck

    extra = {"duration": args.duration} if args.duration else {}
    scene = bottleneck(args.width, args.agents, room=tuple(args.room),
                       corridor_length=args.corridor_length, goal=args.goal, **extra)
    return _run(args, scene)


def _corridor(args) -> int:
    _require()
    from autoparticles.crowd.scenes import corridor

    extra = {"duration": args.duration} if args.duration else {}
    scene = corridor(args.density, length=args.length, width=args.width,
                     bidirectional=args.bidirectional, **extra)
    return _run(args, scene)


def _compare(args) -> int:
    _require()
    from autoparticles.crowd.compare import OUTPUTS, Plan, compare
    from autoparticles.crowd.runs import producer

    for name in args.policies:
        producer(name)
    out = Path(args.out)
    # a rerun resumes: the tables and plots are made again from every run under OUT/runs/
    claim(SimpleNamespace(force=True), "--out", *(out / name for name in OUTPUTS))
    plan = Plan(policies=tuple(args.policies), widths=tuple(args.widths), seeds=args.seeds,
                agents=args.agents, densities=tuple(args.densities),
                corridor_seeds=args.corridor_seeds, corridor_duration=args.corridor_duration)
    text = compare(plan, out, progress=lambda line: print(line, flush=True))
    print(text + f"wrote {', '.join(str(out / n) for n in OUTPUTS)} (runs in {out / 'runs'})")
    return 0


def add_commands(sub) -> None:
    csub = group(sub, "crowd", "pedestrians in SI units against JuPedSim, analysed with PedPy")
    bn = command(csub, "bottleneck", _bottleneck, "a room emptying through an exit of --width "
                 "m into a corridor", writes=True)
    bn.add_argument("--width", type=POSITIVE, default=1.2, help="exit width [m]")
    bn.add_argument("--agents", type=COUNT, default=100, help="pedestrians")
    bn.add_argument("--room", type=POSITIVE, nargs=2, default=[6.0, 8.0], metavar=("X", "Y"),
                    help="room depth and breadth [m]")
    bn.add_argument("--corridor-length", type=POSITIVE, default=2.0,
                    help="corridor behind the exit [m]")
    bn.add_argument("--goal", type=float, nargs=4, default=None, metavar=("X0", "Y0", "X1", "Y1"),
                    help="goal rectangle [m] (default: the last 0.5 m of the corridor)")
    _add_run_options(bn, "runs/crowd-bottleneck")
    co = command(csub, "corridor", _corridor, "a corridor periodic along its length at "
                 "--density pedestrians per m²", writes=True)
    co.add_argument("--density", type=POSITIVE, default=1.0, help="pedestrians per m²")
    co.add_argument("--length", type=POSITIVE, default=16.0, help="corridor length [m]")
    co.add_argument("--width", type=POSITIVE, default=3.0, help="corridor width [m]")
    co.add_argument("--bidirectional", action="store_true",
                    help="a random half walks the other way")
    _add_run_options(co, "runs/crowd-corridor")
    cm = command(csub, "compare", _compare, "policies on bottlenecks of several widths and "
                 "corridors of several densities: a table, specific flow against width and "
                 "the fundamental diagram with Weidmann's curve", writes=True, resumable=True)
    cm.add_argument("--policies", nargs="+", default=["jupedsim"], help=_policies_help())
    cm.add_argument("--widths", type=POSITIVE, nargs="+", default=[0.8, 1.2, 1.6, 2.0, 2.4],
                    help="bottleneck widths [m]")
    cm.add_argument("--seeds", type=COUNT, default=3, help="seeds per bottleneck width")
    cm.add_argument("--agents", type=COUNT, default=100, help="pedestrians per bottleneck")
    cm.add_argument("--densities", type=POSITIVE, nargs="+",
                    default=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5], help="corridor densities [1/m²]")
    cm.add_argument("--corridor-seeds", type=COUNT, default=1, help="seeds per density")
    cm.add_argument("--corridor-duration", type=POSITIVE, default=40.0,
                    help="simulated time per corridor [s]")
    cm.add_argument("--out", default="runs/crowd-compare",
                    help="output folder; rerun to resume (runs kept in OUT/runs/)")
