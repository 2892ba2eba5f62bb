"""`autoparticles ...` sub-commands; each is a thin call into the parts of the package."""

import argparse
import dataclasses
import sys


def _demo(args) -> int:
    from autoparticles.demo import run_demo

    return run_demo(quick=args.quick)


def _bench_invariants(args) -> int:
    from autoparticles.bench import invariants_throughput

    table = invariants_throughput(min_seconds=args.seconds)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.3g}"))
    return 0


def _water_reference(args) -> int:
    from autoparticles.molecular.cp2k_run import ReferenceRunSpec
    from autoparticles.molecular.describe import describe_text
    from autoparticles.molecular.generate import generate_reference

    spec = ReferenceRunSpec(molecules=args.molecules, temperature=args.temperature,
                            equilibration_ps=args.equilibration_ps,
                            production_ps=args.production_ps, stride=args.stride, seed=args.seed,
                            restart_every=args.restart_every)
    data = generate_reference(spec, args.out, args.workdir, progress=not args.quiet,
                              threads=args.threads)
    print(f"wrote {args.out}")
    print(describe_text(data))
    return 0


def _water_describe(args) -> int:
    import json

    from autoparticles.molecular.describe import describe_text, summary
    from autoparticles.molecular.reference import load_reference

    data = load_reference(args.file)
    print(json.dumps(summary(data)) if args.json else describe_text(data))
    return 0


def _drive_eval(args) -> int:
    import json

    from autoparticles.agents.evaluation import evaluate, format_metrics
    from autoparticles.agents.policies import resolve_policy
    from autoparticles.envs.config import DrivingConfig

    overrides = {k: v for k, v in (("n_particles", args.n), ("box", args.box),
                                   ("scenario", args.scenario)) if v is not None}
    config = DrivingConfig.from_dict(overrides)
    summary = evaluate(resolve_policy(args.policy, config), config, args.episodes, args.seed,
                       progress=not args.json)
    print(format_metrics(summary, f"policy {args.policy}: N={config.n_particles}, "
                                  f"L={config.box}, scenario {config.scenario}, "
                                  f"{args.episodes} episode(s) of {config.episode_steps} steps"))
    if args.json:
        print(json.dumps(summary))
    return 0


def _parse_sets(pairs: list[str]) -> dict:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects key=value, got {pair!r}")
        values[key.strip()] = value.strip()
    return values


def _drive_config(args):
    from autoparticles.envs.config import DrivingConfig

    base = dataclasses.asdict(DrivingConfig.from_json(args.config)) if args.config else {}
    values = {**base, **_parse_sets(args.set)}
    if args.obs is not None:
        values["observation"] = args.obs
    return DrivingConfig.from_dict(values, where="--set")


def _drive_train(args) -> int:
    from autoparticles.agents.evaluation import evaluate, format_metrics
    from autoparticles.agents.policies import load_model_policy
    from autoparticles.agents.training import TrainSettings, train

    config = _drive_config(args)
    settings = TrainSettings(algo=args.algo, steps=args.steps, seed=args.seed,
                             checkpoint_every=args.checkpoint_every, log_every=args.log_every)
    out = args.out or f"runs/drive-{config.observation}-{args.algo}-s{args.seed}"
    model = train(config, settings, out)
    print(f"wrote {model}")
    summary = evaluate(load_model_policy(model, config), config, episodes=2, seed=10_000)
    print(format_metrics(summary, "evaluation (2 episodes, unseen seeds)"))
    return 0


def _drive_compare(args) -> int:
    from autoparticles.agents.compare import run_comparison

    outcome = run_comparison(args.out, seeds=args.seeds, steps=args.steps,
                             episodes=args.episodes, base=_drive_config(args))
    print(outcome["summary"])
    print(f"wrote {args.out}/results.csv, summary.md, learning_curves.png")
    return 0


def _drive_watch(args) -> int:
    from autoparticles.watch import watch_driving

    overrides = {k: v for k, v in (("n_particles", args.n), ("scenario", args.scenario)) if v is not None}
    from autoparticles.envs.config import DrivingConfig

    path = watch_driving(DrivingConfig.from_dict(overrides), args.policy, args.steps, args.record,
                         args.seed)
    if path:
        print(f"wrote {path}")
    return 0


def _add_drive_commands(sub) -> None:
    drive = sub.add_parser("drive", help="autonomous particles: driving agents")
    dsub = drive.add_subparsers(dest="drive_command", required=True)
    ev = dsub.add_parser("eval", help="evaluate a policy: collision rate, forward speed, ...")
    ev.add_argument("--policy", default="ttc", help="ballistic, ttc or a trained model .zip")
    ev.add_argument("--n", type=int, default=None, help="number of particles (default 32)")
    ev.add_argument("--box", type=float, default=None, help="box side L (default 20)")
    ev.add_argument("--scenario", default=None, help="random, counterflow or crossing")
    ev.add_argument("--episodes", type=int, default=3)
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--json", action="store_true", help="also print one JSON line of metrics")
    ev.set_defaults(handler=_drive_eval)
    tr = dsub.add_parser("train", help="train one policy shared by all particles (SB3)")
    tr.add_argument("--config", default=None, help="JSON file of DrivingConfig fields")
    tr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config field (repeatable), e.g. --set n_particles=64")
    tr.add_argument("--obs", choices=["invariants", "raw"], default=None)
    tr.add_argument("--algo", choices=["ppo", "sac"], default="ppo")
    tr.add_argument("--steps", type=int, default=2_000_000, help="particle-steps")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out", default=None, help="output folder (rerun to resume)")
    tr.add_argument("--checkpoint-every", type=int, default=200_000, help="particle-steps")
    tr.add_argument("--log-every", type=int, default=20_000, help="particle-steps per progress row")
    tr.set_defaults(handler=_drive_train)
    watch = dsub.add_parser("watch", help="watch particles drive (window, or --record a file)")
    watch.add_argument("--policy", default="ttc", help="ballistic, ttc or a trained model .zip")
    watch.add_argument("--scenario", default=None)
    watch.add_argument("--n", type=int, default=None)
    watch.add_argument("--steps", type=int, default=300)
    watch.add_argument("--seed", type=int, default=0)
    watch.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
    watch.set_defaults(handler=_drive_watch)
    cmp = dsub.add_parser("compare", help="invariants vs raw coordinates vs ablations")
    cmp.add_argument("--seeds", type=int, default=3)
    cmp.add_argument("--steps", type=int, default=500_000, help="particle-steps per training")
    cmp.add_argument("--episodes", type=int, default=2, help="evaluation episodes per N")
    cmp.add_argument("--out", default="runs/compare")
    cmp.add_argument("--config", default=None, help="JSON file of DrivingConfig fields")
    cmp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    cmp.set_defaults(handler=_drive_compare, obs=None)


def _load_data(path):
    from autoparticles.molecular.reference import load_reference

    return load_reference(path)


def _water_fit(args) -> int:
    import json

    from autoparticles.molecular.fit import FitSettings
    from autoparticles.molecular.workflow import DEFAULT_FIT, fit_report, format_fit_report

    settings = FitSettings(basis=args.basis or DEFAULT_FIT.basis, cutoff=args.cutoff,
                           invariants=args.invariants or DEFAULT_FIT.invariants, ridge=args.ridge, mode=args.mode, order=args.order,
                           convex=DEFAULT_FIT.convex if args.convex is None else args.convex,
                           from_positions=args.from_positions, frame_stride=args.frame_stride)
    model, report = fit_report(_load_data(args.data), settings, progress=not args.json)
    model.save(args.out)
    print(format_fit_report(report))
    print(f"\nwrote {args.out}")
    if args.json:
        print(json.dumps(report["errors"]))
    return 0


def _run_settings(args):
    from autoparticles.molecular.simulate import RunSettings

    return RunSettings(ps=args.ps, temperature=args.temperature, dt=args.dt,
                       thermostat=args.thermostat, seed=args.seed)


def _water_model(args):
    from autoparticles.molecular.model import load_model

    model = load_model(args.model)
    return model.with_mode(args.mode) if getattr(args, "mode", None) else model


def _water_run(args) -> int:
    from autoparticles.molecular.workflow import start_simulation

    data = _load_data(args.data) if args.start == "reference" else None
    sim = start_simulation(_water_model(args), data, _run_settings(args), args.start)
    traj = sim.run(trajectory_path=args.out, log_path=args.log)
    print(f"{traj.status}; {traj.steps_per_second:.0f} steps/s; mean T "
          f"{traj.temperatures.mean():.1f} K; wrote {args.out} and {args.log}")
    return 0 if traj.status == "ok" else 1


def _water_validate(args) -> int:
    from autoparticles.molecular.validate import table_json
    from autoparticles.molecular.workflow import print_table, validate_model

    table, traj = validate_model(_water_model(args), _load_data(args.data), _run_settings(args),
                                 args.out, progress=not args.json)
    print(print_table(table))
    print(f"wrote {args.out}/validation.md, .csv, .json and plots")
    if args.json:
        print(table_json(table))
    return 0 if table.passed.all() else 1


def _water_watch(args) -> int:
    from autoparticles.watch import watch_water

    if (args.trajectory is None) == (args.model is None):
        raise ValueError("give exactly one of --trajectory FILE.extxyz or --model model.npz")
    model = _water_model(args) if args.model else None
    data = _load_data(args.data) if args.model else None
    path = watch_water(args.record, args.trajectory, model, data, frames=args.frames)
    if path:
        print(f"wrote {path}")
    return 0


def _add_simulation_options(parser) -> None:
    parser.add_argument("--model", default=None,
                        help="model file from `water fit` (default: the shipped model)")
    parser.add_argument("--data", default=None, help="reference dataset (default: shipped)")
    parser.add_argument("--ps", type=float, default=20.0, help="simulated time [ps]")
    parser.add_argument("--temperature", type=float, default=300.0, help="[K]")
    parser.add_argument("--dt", type=float, default=0.5, help="time step [fs]")
    parser.add_argument("--thermostat", choices=["nose-hoover", "none"], default="nose-hoover")
    parser.add_argument("--mode", choices=["conservative", "agent"], default=None,
                        help="force mode (default: the model's)")
    parser.add_argument("--seed", type=int, default=0)


def _add_water_commands(sub) -> None:
    from pathlib import Path

    water = sub.add_parser("water", help="molecular learning dynamics of water")
    wsub = water.add_subparsers(dest="water_command", required=True)
    ref = wsub.add_parser("reference", help="run CP2K (NNP water) and store a reference dataset")
    ref.add_argument("--molecules", type=int, default=64)
    ref.add_argument("--temperature", type=float, default=300.0, help="[K]")
    ref.add_argument("--equilibration-ps", type=float, default=1.0, help="CSVR stage [ps]")
    ref.add_argument("--production-ps", type=float, default=5.0, help="Nose-Hoover stage [ps]")
    ref.add_argument("--stride", type=int, default=10, help="store every STRIDE steps")
    ref.add_argument("--seed", type=int, default=1, help="box builder and CP2K seed (> 0)")
    ref.add_argument("--out", type=Path, default=Path("water_reference.npz"))
    ref.add_argument("--workdir", type=Path, default=None,
                     help="CP2K files (default: OUT's name + '-cp2k'); rerun to resume")
    ref.add_argument("--restart-every", type=int, default=100,
                     help="steps between CP2K restart files (the most an interruption loses)")
    ref.add_argument("--threads", type=int, default=1, help="OpenMP threads for CP2K")
    ref.add_argument("--quiet", action="store_true", help="no progress bar")
    ref.set_defaults(handler=_water_reference)
    desc = wsub.add_parser("describe", help="summarise a reference dataset")
    desc.add_argument("file", nargs="?", default=None, help="dataset (default: the shipped one)")
    desc.add_argument("--json", action="store_true", help="print the summary as JSON")
    desc.set_defaults(handler=_water_describe)

    fit = wsub.add_parser("fit", help="fit the O and H losses to reference forces")
    fit.add_argument("--data", default=None, help="reference dataset (default: shipped)")
    fit.add_argument("--basis", choices=["inverse", "gaussian"], default=None,
                     help="radial basis (default: gaussian)")
    fit.add_argument("--cutoff", type=float, default=6.0, help="[Å], below half the box")
    fit.add_argument("--invariants", choices=["radial", "angular"], default=None,
                     help="radial: pair invariants (default); angular: plus three-body ones")
    fit.add_argument("--ridge", type=float, default=None, help="λ (default: chosen on validation)")
    fit.add_argument("--mode", choices=["conservative", "agent"], default="conservative")
    fit.add_argument("--order", type=int, choices=[1, 2], default=2, help="1: pair potentials")
    fit.add_argument("--convex", dest="convex", action="store_true", default=None,
                     help="keep the quadratic part positive semidefinite (default)")
    fit.add_argument("--no-convex", dest="convex", action="store_false")
    fit.add_argument("--from-positions", action="store_true",
                     help="targets m·a from finite differences of positions (no forces needed)")
    fit.add_argument("--frame-stride", type=int, default=2, help="use every k-th frame")
    fit.add_argument("--out", default="model.npz")
    fit.add_argument("--json", action="store_true")
    fit.set_defaults(handler=_water_fit)

    run = wsub.add_parser("run", help="learning-based simulation with a fitted model")
    _add_simulation_options(run)
    run.add_argument("--start", choices=["reference", "lattice"], default="reference")
    run.add_argument("--out", default="traj.extxyz", help="extended XYZ trajectory")
    run.add_argument("--log", default="log.csv", help="thermodynamic log")
    run.set_defaults(handler=_water_run)

    val = wsub.add_parser("validate", help="learned simulation vs the CP2K reference")
    _add_simulation_options(val)
    val.add_argument("--out", default="validation")
    val.add_argument("--json", action="store_true")
    val.set_defaults(handler=_water_validate)

    wwatch = wsub.add_parser("watch", help="replay a trajectory or run a model live")
    wwatch.add_argument("--trajectory", default=None, help="extended XYZ from `water run`")
    wwatch.add_argument("--model", default=None, help="run this model live from the reference")
    wwatch.add_argument("--data", default=None, help="reference dataset (default: shipped)")
    wwatch.add_argument("--frames", type=int, default=200,
                        help="frames to show (live: 10 steps each; replay: evenly spaced)")
    wwatch.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
    wwatch.set_defaults(handler=_water_watch, mode=None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autoparticles", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the main job on built-in defaults")
    demo.add_argument("--quick", action="store_true", help="shorter timings")
    demo.set_defaults(handler=_demo)

    bench = sub.add_parser("bench", help="speed measurements")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    inv = bench_sub.add_parser("invariants", help="neighbour search + invariants throughput")
    inv.add_argument("--seconds", type=float, default=1.0, help="minimum timing per size [s]")
    inv.set_defaults(handler=_bench_invariants)

    _add_drive_commands(sub)
    _add_water_commands(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"autoparticles: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
