"""`autoparticles water ...`: CP2K reference data, fit, run, validate and watch learned water."""

from pathlib import Path

from autoparticles.commands import COUNT, POSITIVE, SEED, claim, claim_record, command, group


def _water_reference(args) -> int:
    from autoparticles.molecular.cp2k_run import ReferenceRunSpec
    from autoparticles.molecular.describe import describe_text
    from autoparticles.molecular.generate import default_workdir, generate_reference

    spec = ReferenceRunSpec(molecules=args.molecules, temperature=args.temperature,
                            equilibration_ps=args.equilibration_ps,
                            production_ps=args.production_ps, stride=args.stride, seed=args.seed,
                            restart_every=args.restart_every)
    args.workdir = args.workdir or default_workdir(args.out)
    claim(args, "--out", args.out)
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


def _load_data(path):
    from autoparticles.molecular.reference import load_reference

    return load_reference(path)


def _water_fit(args) -> int:
    import json

    from autoparticles.molecular.fit import FitSettings
    from autoparticles.molecular.workflow import DEFAULT_FIT, fit_report, format_fit_report

    settings = FitSettings(basis=args.basis or DEFAULT_FIT.basis, cutoff=args.cutoff,
                           invariants=args.invariants or DEFAULT_FIT.invariants,
                           ridge=args.ridge, mode=args.mode, order=args.order,
                           convex=DEFAULT_FIT.convex if args.convex is None else args.convex,
                           from_positions=args.from_positions, frame_stride=args.frame_stride)
    data = _load_data(args.data)
    claim(args, "--out", args.out)
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
    claim(args, "--out", trajectory, log)
    sim = start_simulation(model, data, settings, args.start)
    traj = sim.run(trajectory_path=trajectory, log_path=log)
    print(f"{traj.status}; {traj.steps_per_second:.0f} steps/s; mean T "
          f"{traj.temperatures.mean():.1f} K; wrote {trajectory} and {log}")
    return 0 if traj.status == "ok" else 1


def _water_validate(args) -> int:
    from autoparticles.molecular.validate import table_json
    from autoparticles.molecular.workflow import print_table, validate_model

    model, data = _water_model(args), _load_data(args.data)
    claim(args, "--out", Path(args.out) / "validation.md")
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
    claim_record(args)
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


def add_commands(sub) -> None:
    wsub = group(sub, "water", "molecular learning dynamics of water")
    ref = command(wsub, "reference", _water_reference,
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
    desc = command(wsub, "describe", _water_describe, "summarise a reference dataset")
    desc.add_argument("file", nargs="?", default=None, help="dataset (default: the shipped one)")
    desc.add_argument("--json", action="store_true", help="print the summary as JSON")

    fit = command(wsub, "fit", _water_fit, "fit the O and H losses to reference forces",
                   writes=True)
    fit.add_argument("--data", default=None, help="reference dataset (default: shipped)")
    fit.add_argument("--basis", choices=["inverse", "gaussian"], default=None,
                     help="radial basis (default: gaussian)")
    fit.add_argument("--cutoff", type=POSITIVE, default=6.0, help="[Å], below half the box")
    fit.add_argument("--invariants", choices=["radial", "angular"], default=None,
                     help="radial: pair invariants (default); angular: plus three-body ones")
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

    run = command(wsub, "run", _water_run, "learning-based simulation with a fitted model",
                   writes=True)
    _add_simulation_options(run)
    run.add_argument("--start", choices=["reference", "lattice"], default="reference",
                     help="start from a reference frame or a random box")
    run.add_argument("--out", default="runs/water-run",
                     help="folder for traj.extxyz (extended XYZ) and log.csv")

    val = command(wsub, "validate", _water_validate, "learned simulation vs the CP2K reference",
                   writes=True)
    _add_simulation_options(val)
    val.add_argument("--out", default="runs/water-validation", help="report folder")
    val.add_argument("--json", action="store_true", help="also print the table as JSON")

    wwatch = command(wsub, "watch", _water_watch, "replay a trajectory or run a model live",
                      writes=True)
    wwatch.add_argument("--trajectory", default=None, help="extended XYZ from `water run`")
    wwatch.add_argument("--model", default=None, help="run this model live from the reference")
    wwatch.add_argument("--data", default=None, help="reference dataset (default: shipped)")
    wwatch.add_argument("--frames", type=COUNT, default=200,
                        help="frames to show (live: 10 steps each; replay: evenly spaced)")
    wwatch.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
    wwatch.set_defaults(mode=None)
