"""`autoparticles ...` sub-commands; each is a thin call into the parts of the package.

A mistake in the input (a missing, unreadable or existing file, a bad value) ends in one line
`autoparticles: error: ...` and exit status 2; Ctrl-C in status 130 and a line saying where the
partial results are. Commands write only the paths given on the command line, or their
defaults under `runs/`, and overwrite an existing output only with `--force`.
"""

import argparse
import dataclasses
import math
import os
import sys
from pathlib import Path

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "NUMBA_NUM_THREADS")
THREADS_VARIABLE = "AUTOPARTICLES_THREADS"
"""Environment variable with the default of every command's --threads (else 1)."""


def _number(kind, low: float = 0.0):
    """argparse type: a finite `kind` (int or float) above `low`."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
        if not (math.isfinite(value) and value > low):
            raise argparse.ArgumentTypeError(f"must be a finite number above {low:g}, got {text!r}")
        return value

    return parse


POSITIVE = _number(float)
COUNT = _number(int)
SEED = _number(int, low=-1)


def _default_threads() -> int:
    text = os.environ.get(THREADS_VARIABLE, "1")
    try:
        return COUNT(text)
    except argparse.ArgumentTypeError as error:
        raise SystemExit(f"autoparticles: error: {THREADS_VARIABLE}: {error}") from None


def limit_threads(threads: int) -> None:
    """Thread pools of OpenMP, MKL, OpenBLAS, numba and torch (and CP2K's) to `threads`: the
    variables are read when those libraries load, which the commands do later; OpenBLAS,
    already loaded by numpy, is told directly."""
    import ctypes
    import glob

    import numpy

    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    for path in glob.glob(os.path.dirname(numpy.__file__) + ".libs/*openblas*"):
        library = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads"):
            if hasattr(library, symbol):
                getattr(library, symbol)(threads)


def _claim(args, flag: str, *paths) -> None:
    """Check, before any work, that each output file can be written: its folder is made, an
    existing file is kept unless --force."""
    for path in map(Path, paths):
        if path.is_dir():
            raise IsADirectoryError(f"{flag} {path} is a folder; give a file name")
        if path.exists() and not args.force:
            raise FileExistsError(f"{path} exists; add --force to overwrite it, or choose "
                                  f"another {flag}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            raise PermissionError(f"cannot write {flag} {path}: no write permission in "
                                  f"{path.parent}")


def _demo(args) -> int:
    from autoparticles.demo import run_demo

    return run_demo(quick=args.quick)


def _bench_invariants(args) -> int:
    from autoparticles.bench import format_invariants, invariants_throughput

    print(format_invariants(invariants_throughput(min_seconds=args.seconds)))
    return 0


def _water_reference(args) -> int:
    from autoparticles.molecular.cp2k_run import ReferenceRunSpec
    from autoparticles.molecular.describe import describe_text
    from autoparticles.molecular.generate import default_workdir, generate_reference

    spec = ReferenceRunSpec(molecules=args.molecules, temperature=args.temperature,
                            equilibration_ps=args.equilibration_ps,
                            production_ps=args.production_ps, stride=args.stride, seed=args.seed,
                            restart_every=args.restart_every)
    args.workdir = args.workdir or default_workdir(args.out)
    _claim(args, "--out", args.out)
    data = generate_reference(spec, args.out, args.workdir, progress=not args.quiet,
                              threads=args.threads)
    print(f"wrote {args.out}")
    print(describe_text(data))
    return 0


def _water_describe(args) -> int:
    import json

    from autoparticles.molecular.describe import describe_text, summary

    data = _load_data(args.file)
    print(json.dumps(summary(data)) if args.json else describe_text(data))
    return 0


def _drive_eval(args) -> int:
    import json

    from autoparticles.agents.evaluation import evaluate, format_metrics
    from autoparticles.agents.policies import resolve_policy

    config = _drive_config(args, n_particles=args.n, box=args.box, scenario=args.scenario)
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


def _drive_config(args, **flags):
    """DrivingConfig from --config FILE, then --set pairs, then the flags that are not None."""
    from autoparticles.envs.config import DrivingConfig

    base = dataclasses.asdict(DrivingConfig.from_json(args.config)) if args.config else {}
    values = {**base, **_parse_sets(args.set)}
    values.update({key: value for key, value in flags.items() if value is not None})
    return DrivingConfig.from_dict(values, where="--set")


def _drive_train(args) -> int:
    from autoparticles.agents.evaluation import evaluate, format_metrics
    from autoparticles.agents.policies import load_model_policy
    from autoparticles.agents.training import TrainSettings, train

    config = _drive_config(args, observation=args.obs)
    settings = TrainSettings(algo=args.algo, steps=args.steps, seed=args.seed,
                             checkpoint_every=args.checkpoint_every, log_every=args.log_every)
    args.out = args.out or f"runs/drive-{config.observation}-{args.algo}-s{args.seed}"
    model = train(config, settings, args.out)
    print(f"wrote {model}")
    summary = evaluate(load_model_policy(model, config), config, episodes=2, seed=10_000)
    print(format_metrics(summary, "evaluation (2 episodes, unseen seeds)"))
    return 0


def _drive_compare(args) -> int:
    from autoparticles.agents.compare import run_comparison

    outcome = run_comparison(args.out, seeds=args.seeds, steps=args.steps,
                             ablation_steps=args.ablation_steps, ablation_seeds=args.ablation_seeds,
                             episodes=args.episodes, base=_drive_config(args))
    print(outcome["summary"])
    print(f"wrote {args.out}/results.csv, summary.md, learning_curves.png, "
          "speed_vs_collisions.png")
    return 0


def _claim_record(args) -> None:
    from autoparticles.render.recording import check_animation_path

    if args.record is not None:
        check_animation_path(args.record)
        _claim(args, "--record", args.record)


def _drive_watch(args) -> int:
    from autoparticles.watch import watch_driving

    config = _drive_config(args, n_particles=args.n, scenario=args.scenario)
    _claim_record(args)
    path = watch_driving(config, args.policy, args.steps, args.record, args.seed)
    if path:
        print(f"wrote {path}")
    return 0


def _command(sub, name: str, handler, help: str, writes: bool = False, resumable: bool = False):
    """A sub-command with --threads, and --force when it writes files that may exist."""
    parser = sub.add_parser(name, help=help, description=help)
    parser.add_argument("--threads", type=COUNT, default=_default_threads(),
                        help=f"threads for numba, torch, BLAS and CP2K (default: ${THREADS_VARIABLE} or 1)")
    if writes:
        parser.add_argument("--force", action="store_true", help="overwrite existing outputs")
    parser.set_defaults(handler=handler, resumable=resumable)
    return parser


def _group(sub, name: str, help: str):
    """A command with sub-commands; alone, it prints its help."""
    parser = sub.add_parser(name, help=help, description=help)
    parser.set_defaults(handler=lambda args: parser.print_help() or 0)
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")


def _add_config_options(parser) -> None:
    parser.add_argument("--config", default=None, help="JSON file of DrivingConfig fields")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field (repeatable), e.g. --set n_particles=64")


def _add_drive_commands(sub) -> None:
    dsub = _group(sub, "drive", "autonomous particles: driving agents")
    ev = _command(dsub, "eval", _drive_eval, "evaluate a policy: collision rate, forward speed, ...")
    ev.add_argument("--policy", default="ttc", help="ballistic, ttc, orca or a trained model .zip")
    ev.add_argument("--n", type=COUNT, default=None, help="number of particles (default 32)")
    ev.add_argument("--box", type=POSITIVE, default=None, help="box side L (default 20)")
    ev.add_argument("--scenario", default=None, help="random, counterflow or crossing (default random)")
    ev.add_argument("--episodes", type=COUNT, default=3, help="episodes to average over")
    ev.add_argument("--seed", type=SEED, default=0, help="seed of the first episode")
    ev.add_argument("--json", action="store_true", help="also print one JSON line of metrics")
    _add_config_options(ev)
    tr = _command(dsub, "train", _drive_train, "train one policy shared by all particles (SB3)",
                  resumable=True)
    _add_config_options(tr)
    tr.add_argument("--obs", choices=["invariants", "raw"], default=None,
                    help="observation (default: the config's, invariants)")
    tr.add_argument("--algo", choices=["ppo", "sac"], default="ppo", help="learner")
    tr.add_argument("--steps", type=COUNT, default=2_000_000, help="particle-steps")
    tr.add_argument("--seed", type=SEED, default=0, help="learner and world seed")
    tr.add_argument("--out", default=None,
                    help="output folder; rerun to resume (default runs/drive-OBS-ALGO-sSEED)")
    tr.add_argument("--checkpoint-every", type=COUNT, default=200_000, help="particle-steps")
    tr.add_argument("--log-every", type=COUNT, default=20_000, help="particle-steps per progress row")
    watch = _command(dsub, "watch", _drive_watch,
                     "watch particles drive (window, or --record a file)", writes=True)
    watch.add_argument("--policy", default="ttc", help="ballistic, ttc, orca or a trained model .zip")
    watch.add_argument("--scenario", default=None, help="random, counterflow or crossing (default random)")
    watch.add_argument("--n", type=COUNT, default=None, help="number of particles (default 32)")
    watch.add_argument("--steps", type=COUNT, default=300, help="steps to show")
    watch.add_argument("--seed", type=SEED, default=0, help="world seed")
    watch.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
    _add_config_options(watch)
    cmp = _command(dsub, "compare", _drive_compare,
                   "invariants vs raw coordinates vs ablations vs ballistic, ttc and orca",
                   resumable=True)
    cmp.add_argument("--seeds", type=COUNT, default=5, help="seeds of the two main variants")
    cmp.add_argument("--steps", type=COUNT, default=2_000_000,
                     help="particle-steps per training of the main variants")
    cmp.add_argument("--ablation-seeds", type=int, default=3, help="seeds per ablation; 0 skips them")
    cmp.add_argument("--ablation-steps", type=COUNT, default=500_000,
                     help="particle-steps per ablation training")
    cmp.add_argument("--episodes", type=COUNT, default=2, help="evaluation episodes per world")
    cmp.add_argument("--out", default="runs/compare", help="output folder; rerun to resume")
    _add_config_options(cmp)


def _load_data(path):
    from autoparticles.molecular.reference import load_reference

    return load_reference(path)


def _water_fit(args) -> int:
    import json

    from autoparticles.molecular.fit import FitSettings
    from autoparticles.molecular.workflow import DEFAULT_FIT, fit_report, format_fit_report

    settings = FitSettings(basis=args.basis or DEFAULT_FIT.basis, cutoff=args.cutoff,
                           ridge=args.ridge, mode=args.mode, order=args.order,
                           convex=DEFAULT_FIT.convex if args.convex is None else args.convex,
                           from_positions=args.from_positions, frame_stride=args.frame_stride)
    data = _load_data(args.data)
    _claim(args, "--out", args.out)
    model, report = fit_report(data, settings, progress=not args.json)
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

    out = Path(args.out)
    if out.suffix in (".extxyz", ".xyz", ".csv"):
        raise ValueError(f"--out names a folder (for traj.extxyz and log.csv), got {out}")
    model, settings = _water_model(args), _run_settings(args)
    data = _load_data(args.data) if args.start == "reference" else None
    trajectory, log = out / "traj.extxyz", out / "log.csv"
    _claim(args, "--out", trajectory, log)
    sim = start_simulation(model, data, settings, args.start)
    traj = sim.run(trajectory_path=trajectory, log_path=log)
    print(f"{traj.status}; {traj.steps_per_second:.0f} steps/s; mean T "
          f"{traj.temperatures.mean():.1f} K; wrote {trajectory} and {log}")
    return 0 if traj.status == "ok" else 1


def _water_validate(args) -> int:
    from autoparticles.molecular.validate import table_json
    from autoparticles.molecular.workflow import print_table, validate_model

    model, data = _water_model(args), _load_data(args.data)
    _claim(args, "--out", Path(args.out) / "validation.md")
    table, traj = validate_model(model, data, _run_settings(args), args.out,
                                 progress=not args.json)
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
    _claim_record(args)
    path = watch_water(args.record, args.trajectory, model, data, frames=args.frames)
    if path:
        print(f"wrote {path}")
    return 0


def _add_simulation_options(parser) -> None:
    parser.add_argument("--model", default=None,
                        help="model file from `water fit` (default: the shipped model)")
    parser.add_argument("--data", default=None, help="reference dataset (default: shipped)")
    parser.add_argument("--ps", type=POSITIVE, default=20.0, help="simulated time [ps]")
    parser.add_argument("--temperature", type=POSITIVE, default=300.0, help="[K]")
    parser.add_argument("--dt", type=POSITIVE, default=0.5, help="time step [fs]")
    parser.add_argument("--thermostat", choices=["nose-hoover", "none"], default="nose-hoover",
                        help="none: constant energy")
    parser.add_argument("--mode", choices=["conservative", "agent"], default=None,
                        help="force mode (default: the model's)")
    parser.add_argument("--seed", type=SEED, default=0, help="seed of start velocities")


def _add_water_commands(sub) -> None:
    wsub = _group(sub, "water", "molecular learning dynamics of water")
    ref = _command(wsub, "reference", _water_reference,
                   "run CP2K (NNP water) and store a reference dataset", writes=True,
                   resumable=True)
    ref.add_argument("--molecules", type=COUNT, default=64, help="H2O in the box")
    ref.add_argument("--temperature", type=POSITIVE, default=300.0, help="[K]")
    ref.add_argument("--equilibration-ps", type=POSITIVE, default=1.0, help="CSVR stage [ps]")
    ref.add_argument("--production-ps", type=POSITIVE, default=5.0, help="Nose-Hoover stage [ps]")
    ref.add_argument("--stride", type=COUNT, default=10, help="store every STRIDE steps")
    ref.add_argument("--seed", type=COUNT, default=1, help="box builder and CP2K seed (> 0)")
    ref.add_argument("--out", type=Path, default=Path("runs/water-reference/water_reference.npz"),
                     help="dataset file")
    ref.add_argument("--workdir", type=Path, default=None,
                     help="CP2K files (default: OUT's name + '-cp2k'); rerun to resume")
    ref.add_argument("--restart-every", type=COUNT, default=100,
                     help="steps between CP2K restart files (the most an interruption loses)")
    ref.add_argument("--quiet", action="store_true", help="no progress bar")
    desc = _command(wsub, "describe", _water_describe, "summarise a reference dataset")
    desc.add_argument("file", nargs="?", default=None, help="dataset (default: the shipped one)")
    desc.add_argument("--json", action="store_true", help="print the summary as JSON")

    fit = _command(wsub, "fit", _water_fit, "fit the O and H losses to reference forces",
                   writes=True)
    fit.add_argument("--data", default=None, help="reference dataset (default: shipped)")
    fit.add_argument("--basis", choices=["inverse", "gaussian"], default=None,
                     help="radial basis (default: gaussian)")
    fit.add_argument("--cutoff", type=POSITIVE, default=6.0, help="[Å], below half the box")
    fit.add_argument("--ridge", type=POSITIVE, default=None,
                     help="λ > 0 (default: chosen on validation frames)")
    fit.add_argument("--mode", choices=["conservative", "agent"], default="conservative",
                     help="force mode")
    fit.add_argument("--order", type=int, choices=[1, 2], default=2, help="1: pair potentials")
    fit.add_argument("--convex", dest="convex", action="store_true", default=None,
                     help="keep the quadratic part positive semidefinite (default)")
    fit.add_argument("--no-convex", dest="convex", action="store_false",
                     help="unconstrained quadratic part")
    fit.add_argument("--from-positions", action="store_true",
                     help="targets m·a from finite differences of positions (no forces needed)")
    fit.add_argument("--frame-stride", type=COUNT, default=2, help="use every k-th frame")
    fit.add_argument("--out", default="runs/water-fit/model.npz", help="model file")
    fit.add_argument("--json", action="store_true", help="also print the errors as JSON")

    run = _command(wsub, "run", _water_run, "learning-based simulation with a fitted model",
                   writes=True)
    _add_simulation_options(run)
    run.add_argument("--start", choices=["reference", "lattice"], default="reference",
                     help="start from a reference frame or a random box")
    run.add_argument("--out", default="runs/water-run",
                     help="folder for traj.extxyz (extended XYZ) and log.csv")

    val = _command(wsub, "validate", _water_validate, "learned simulation vs the CP2K reference",
                   writes=True)
    _add_simulation_options(val)
    val.add_argument("--out", default="runs/water-validation", help="report folder")
    val.add_argument("--json", action="store_true", help="also print the table as JSON")

    wwatch = _command(wsub, "watch", _water_watch, "replay a trajectory or run a model live",
                      writes=True)
    wwatch.add_argument("--trajectory", default=None, help="extended XYZ from `water run`")
    wwatch.add_argument("--model", default=None, help="run this model live from the reference")
    wwatch.add_argument("--data", default=None, help="reference dataset (default: shipped)")
    wwatch.add_argument("--frames", type=COUNT, default=200,
                        help="frames to show (live: 10 steps each; replay: evenly spaced)")
    wwatch.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
    wwatch.set_defaults(mode=None)


class _HelpFormatter(argparse.HelpFormatter):
    """Ends an option's help with its default, unless it has none or the help names it."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if default in (None, argparse.SUPPRESS) or default is False or default == [] \
                or "default" in text:
            return text
        return f"{text} (default: %(default)s)".lstrip()


class _Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs):
        super().__init__(formatter_class=_HelpFormatter, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    from autoparticles import __version__

    parser = _Parser(prog="autoparticles", description="Particles as learning agents: driving "
                     "(reinforcement learning) and water (molecular learning dynamics).",
                     epilog="Each command's --help shows its defaults. Outputs go where named "
                     "(defaults under runs/); an existing one is overwritten only with --force.")
    parser.add_argument("--version", action="version", version=f"autoparticles {__version__}")
    parser.set_defaults(handler=lambda args: parser.print_help() or 0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = _command(sub, "demo", _demo, "run the main job on built-in defaults (into demo-output/)")
    demo.add_argument("--quick", action="store_true", help="shorter timings")
    bench_sub = _group(sub, "bench", "speed measurements")
    inv = _command(bench_sub, "invariants", _bench_invariants,
                   "neighbour search + invariants throughput")
    inv.add_argument("--seconds", type=POSITIVE, default=1.0, help="minimum timing per size [s]")

    _add_drive_commands(sub)
    _add_water_commands(sub)
    return parser


def _message(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return "not enough memory; try smaller sizes"
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return str(error)


def _partial_results(args) -> str:
    """'; partial results in ...' naming what the command may have written."""
    written = [str(v) for k in ("out", "workdir", "record") if (v := getattr(args, k, None))]
    if not written:
        return ""
    resume = "; run the same command again to resume" if args.resumable else ""
    return f"; partial results, if any, in {', '.join(written)}{resume}"


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "threads"):
        limit_threads(args.threads)
    try:
        status = args.handler(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:  # the reader stopped (`| head`): the rest would go nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt as stop:
        detail = f" ({stop})" if str(stop) else ""
        print(f"\nautoparticles: interrupted{detail}{_partial_results(args)}", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError, MemoryError) as error:
        print(f"autoparticles: error: {_message(error)}", file=sys.stderr)
        return 2
    except Exception:
        import traceback

        traceback.print_exc()
        print(f"autoparticles: internal error (a bug, not a mistake in the input; please report "
              f"the traceback above){_partial_results(args)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
