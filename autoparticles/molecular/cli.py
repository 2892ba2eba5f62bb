"""`autoparticles water ...`: CP2K reference data, fit, run, validate and watch learned water.

fit, run, validate and reference take `--config FILE` and `--set key=value` for their settings
dataclass (molecular/config.py), whose defaults their flags show, and save the resolved
settings beside their outputs."""

from pathlib import Path

from autoparticles.commands import (COUNT, add_backend_options, add_config_options,
                                   backend_options, claim, claim_record, command, group)
from autoparticles.config import add_flags


SETTINGS = "settings.json"
"""File name of a command's resolved settings in its output folder."""
DATA_HELP = "reference dataset file, or 300K / 330K for a shipped one (default: 300K)"
MODEL_HELP = ("model file from `water fit`, `water blend` or `water refine`, or pair / angular "
              "/ blend / refined for a shipped one (default: the shipped refined model)")


def _resolve(args, cls):
    """Settings of `cls` from the defaults, --config, --set and the flags given."""
    from dataclasses import fields

    from autoparticles.config import resolve

    return resolve(cls, args.config, args.set, {f.name: getattr(args, f.name, None)
                                                 for f in fields(cls)})


def _water_reference(args) -> int:
    from autoparticles.molecular.analysis import describe_text
    from autoparticles.molecular.config import ReferenceRunSpec
    from autoparticles.molecular.reference.generate import default_workdir, generate_reference

    spec = _resolve(args, ReferenceRunSpec)
    args.workdir = args.workdir or default_workdir(args.out)
    claim(args, "--out", args.out)
    data = generate_reference(spec, args.out, args.workdir, progress=not args.quiet,
                              threads=args.threads)
    print(f"wrote {args.out} (settings in {args.workdir / 'spec.json'})")
    print(describe_text(data))
    return 0


def _water_describe(args) -> int:
    import json

    from autoparticles.molecular.analysis import describe_text, summary

    data = _load_data(args.file)
    print(json.dumps(summary(data)) if args.json else describe_text(data))
    return 0


def _load_data(path):
    from autoparticles.molecular.reference.dataset import load_reference

    return load_reference(path)


def fit_settings_path(model_path) -> Path:
    """Where `water fit` saves its settings: `model.npz` -> `model.settings.json`."""
    return Path(model_path).with_suffix(".settings.json")


def _water_fit(args) -> int:
    import json

    from autoparticles.config import dump
    from autoparticles.molecular.analysis import fit_report, format_fit_report
    from autoparticles.molecular.config import FitSettings

    settings = _resolve(args, FitSettings)
    data = _load_data(args.data)
    claim(args, "--out", args.out, fit_settings_path(args.out))
    model, report = fit_report(data, settings, progress=not args.json)
    model.save(args.out)
    dump(settings, fit_settings_path(args.out))
    print(format_fit_report(report))
    print(f"\nwrote {args.out} and {fit_settings_path(args.out)}")
    if args.json:
        print(json.dumps(report["errors"]))
    return 0


def _water_blend(args) -> int:
    import json

    from autoparticles.molecular.agent import load_model
    from autoparticles.molecular.analysis import format_test_errors, split_errors
    from autoparticles.molecular.blend import blend_models

    first, second = load_model(args.first), load_model(args.second)
    model = blend_models(first, second, args.share)
    data = _load_data(args.data)
    claim(args, "--out", args.out)
    errors = {name: split_errors(m, data) for name, m in
              ((str(args.first), first), (str(args.second), second),
               (f"blend, share {args.share:g}", model))}
    model.save(args.out)
    print(format_test_errors(errors))
    print(f"\nwrote {args.out}")
    if args.json:
        print(json.dumps(errors))
    return 0


def _water_refine(args) -> int:
    import json

    from autoparticles.config import dump
    from autoparticles.molecular.agent import load_model
    from autoparticles.molecular.analysis import format_test_errors, split_errors
    from autoparticles.molecular.config import RefineSettings
    from autoparticles.molecular.refine import plot_refinement, refine_model

    settings = _resolve(args, RefineSettings)
    fitted, data = load_model(args.model), _load_data(args.data)
    plot = Path(args.out).with_suffix(".png")
    claim(args, "--out", args.out, fit_settings_path(args.out), plot)
    # the model is saved after every correction (the last save is the refined model)
    model, history = refine_model(fitted, data, settings, progress=not args.json,
                                  checkpoint=lambda so_far: so_far.save(args.out))
    errors = {str(args.model): split_errors(fitted, data), "refined": split_errors(model, data)}
    dump(settings, fit_settings_path(args.out))
    plot_refinement(model, plot)
    print(format_test_errors(errors))
    print(f"\nwrote {args.out}, {fit_settings_path(args.out)} and {plot}")
    if args.json:
        print(json.dumps({"history": history, "errors": errors}))
    return 0


def _water_model(args):
    import dataclasses

    from autoparticles.molecular.agent import load_model

    model = load_model(args.model)
    return dataclasses.replace(model, mode=args.mode) if getattr(args, "mode", None) else model


def _engine(args, model, settings, data=None):
    """The Simulation class (or factory) of --engine: ours, or OpenMM on --platform with
    --threads and --openmm-forces (molecular/openmm_system.py), refused before any output
    for a model or settings it cannot run (in the box of `data`, if given)."""
    if args.engine == "ours":
        from autoparticles.molecular.world import Simulation

        return Simulation
    from functools import partial

    from autoparticles.molecular.openmm_system import (OpenMMSimulation, check_exportable,
                                                       check_multiple_steps, check_platform,
                                                       require_openmm)

    require_openmm()
    check_platform(args.platform)
    check_exportable(model, None if data is None else data.box, args.openmm_forces)
    check_multiple_steps(settings, args.openmm_forces)
    return partial(OpenMMSimulation, platform=args.platform, threads=args.threads,
                   forces=args.openmm_forces)


def _run_settings(args, model):
    """The RunSettings of --config / --set, an automatic mts made concrete for the model and
    engine (what the run's settings.json records)."""
    from autoparticles.molecular.config import RunSettings
    from autoparticles.molecular.world import concrete_settings

    settings = _resolve(args, RunSettings)
    if args.engine == "ours":
        return concrete_settings(settings, model)
    from autoparticles.molecular.openmm_system import splits_stiff_part

    return concrete_settings(settings, model, splits_stiff_part(args.openmm_forces))


def _water_run(args) -> int:
    from autoparticles.config import dump
    from autoparticles.molecular.world import simulate, start_simulation

    out = Path(args.out)
    if out.suffix in (".extxyz", ".xyz", ".csv"):
        raise ValueError(f"--out names a folder (for traj.extxyz and log.csv), got {out}")
    model = _water_model(args)
    settings = _run_settings(args, model)
    data = _load_data(args.data) if args.start == "reference" else None
    simulation = _engine(args, model, settings, data)
    trajectory, log = out / "traj.extxyz", out / "log.csv"
    claim(args, "--out", trajectory, log, out / SETTINGS)
    dump(settings, out / SETTINGS)
    traj = simulate(start_simulation(model, data, settings, args.start, simulation=simulation),
                    trajectory_path=trajectory, log_path=log)
    print(f"{traj.status}; {traj.steps_per_second:.0f} steps/s; mean T "
          f"{traj.temperatures.mean():.1f} K; wrote {trajectory}, {log} and {out / SETTINGS}")
    return 0 if traj.status == "ok" else 1


def _water_validate(args) -> int:
    from autoparticles.config import dump
    from autoparticles.molecular.validation import print_table, table_json, validate_model

    model, data = _water_model(args), _load_data(args.data)
    settings = _run_settings(args, model)
    simulation = _engine(args, model, settings, data)
    out = Path(args.out)
    claim(args, "--out", out / "validation.md", out / SETTINGS)
    dump(settings, out / SETTINGS)
    table, traj = validate_model(model, data, settings, out, progress=not args.json,
                                 simulation=simulation)
    print(print_table(table))
    print(f"wrote {out}/validation.md, .csv, .json, plots and {SETTINGS}")
    if args.json:
        print(table_json(table))
    return 0 if table.passed.all() else 1


def _water_ensemble(args) -> int:
    from autoparticles.molecular.ensemble import print_summary, run_ensemble

    if args.engine != "ours":
        raise ValueError("water ensemble runs its replicas on our engine; --engine openmm is "
                         "for water run and water validate")
    model, data = _water_model(args), _load_data(args.data)
    settings = _run_settings(args, model)
    names = {"model": str(args.model or "shipped"), "data": str(args.data or "shipped")}
    outcome = run_ensemble(args.out, model, data, settings, args.replicas, names,
                           **backend_options(args))
    print(print_summary(outcome["table"]))
    print(f"wrote {args.out}/ensemble.md, .csv, .json, .png and {SETTINGS}")
    return 0 if (outcome["table"].passing == outcome["table"].replicas).all() else 1


def _water_watch(args) -> int:
    from autoparticles.molecular.watch import watch_water

    if (args.trajectory is None) == (args.model is None):
        raise ValueError("give exactly one of --trajectory FILE.extxyz or --model model.npz")
    from autoparticles.molecular.config import RunSettings

    model = _water_model(args) if args.model else None
    data = _load_data(args.data) if args.model else None
    settings = _resolve(args, RunSettings)
    claim_record(args)
    path = watch_water(args.record, args.trajectory, model, data, frames=args.frames,
                       settings=settings)
    if path:
        print(f"wrote {path}")
    return 0


def _add_simulation_options(parser) -> None:
    from autoparticles.molecular.config import FORCE_FORMS, MODES, RunSettings

    parser.add_argument("--model", default=None, help=MODEL_HELP)
    parser.add_argument("--data", default=None, help=DATA_HELP)
    add_flags(parser, RunSettings, "ps", "temperature", "dt", "thermostat", "seed")
    parser.add_argument("--mode", choices=MODES, default=None,
                        help="force mode (default: the model's)")
    add_config_options(parser, "RunSettings")
    parser.add_argument("--engine", choices=["ours", "openmm"], default="ours",
                        help="who takes the steps: our engine, or OpenMM's integrators "
                             "(conservative models; --threads sets its CPU threads)")
    parser.add_argument("--platform", choices=["CPU", "Reference", "CUDA", "OpenCL"],
                        default="CPU", help="OpenMM platform (Reference: double precision, slow)")
    parser.add_argument("--openmm-forces", choices=FORCE_FORMS, default=FORCE_FORMS[0],
                        help="the model's form in OpenMM: kernels (our numba kernels called "
                             "by a PythonForce: any conservative model, fast on CPU) or "
                             "expressions (CustomGBForces: radial models only, the form GPU "
                             "platforms compile)")


def add_commands(sub) -> None:
    from autoparticles.molecular.config import (BLEND_SHARE, FitSettings, ReferenceRunSpec,
                                                RefineSettings)

    wsub = group(sub, "water", "molecular learning dynamics of water")
    ref = command(wsub, "reference", _water_reference,
                   "run CP2K (NNP water) and store a reference dataset", writes=True,
                   resumable=True)
    add_flags(ref, ReferenceRunSpec, "molecules", "temperature", "equilibration_ps",
              "production_ps", "stride", "seed", "restart_every")
    add_config_options(ref, "ReferenceRunSpec")
    ref.add_argument("--out", type=Path, default=Path("runs/water-reference/water_reference.npz"),
                     help="dataset file")
    ref.add_argument("--workdir", type=Path, default=None,
                     help="CP2K files and spec.json (default: OUT's name + '-cp2k'); rerun to resume")
    ref.add_argument("--quiet", action="store_true", help="no progress bar")
    desc = command(wsub, "describe", _water_describe, "summarise a reference dataset")
    desc.add_argument("file", nargs="?", default=None, help="dataset (default: the shipped one)")
    desc.add_argument("--json", action="store_true", help="print the summary as JSON")

    fit = command(wsub, "fit", _water_fit, "fit the O and H losses to reference forces",
                   writes=True)
    fit.add_argument("--data", default=None, help=DATA_HELP)
    add_flags(fit, FitSettings, "basis", "cutoff", "invariants", "ridge", "mode", "order",
              "convex", "from_positions", "frame_stride", "molecule_weight", "angular_terms")
    add_config_options(fit, "FitSettings")
    fit.add_argument("--out", default="runs/water-fit/model.npz",
                     help="model file (its settings go beside it: NAME.settings.json)")
    fit.add_argument("--json", action="store_true", help="also print the errors as JSON")

    blend = command(wsub, "blend", _water_blend, "weighted sum of two fitted models: "
                    "E = (1 - share)·E_first + share·E_second", writes=True)
    blend.add_argument("first", help="model file or shipped name (e.g. pair)")
    blend.add_argument("second", help="model file or shipped name fitted on the same data, "
                       "with the same radial invariants and perhaps more (e.g. angular)")
    blend.add_argument("--share", type=float, default=BLEND_SHARE,
                       help=f"weight of the second model, from 0 to 1 (default: {BLEND_SHARE:g}, "
                       "the shipped blend's)")
    blend.add_argument("--data", default=None, help="dataset whose test frames the errors "
                       "are measured on, or 300K / 330K for a shipped one (default: 300K)")
    blend.add_argument("--out", default="runs/water-blend/model.npz", help="model file")
    blend.add_argument("--json", action="store_true", help="also print the errors as JSON")

    refine = command(wsub, "refine", _water_refine, "refine a model's pair terms until its "
                     "RDFs match the reference's (iterative Boltzmann inversion)", writes=True)
    refine.add_argument("model", help="conservative model file, or pair / angular / blend for a "
                        "shipped one (the shipped refined model is `water refine blend`)")
    refine.add_argument("--data", default=None, help=DATA_HELP)
    add_flags(refine, RefineSettings, "iterations", "ps", "skip_ps", "damping", "ridge",
              "mts")
    add_config_options(refine, "RefineSettings")
    refine.add_argument("--out", default="runs/water-refine/model.npz",
                        help="model file (its settings go beside it: NAME.settings.json)")
    refine.add_argument("--json", action="store_true",
                        help="also print the runs and the errors as JSON")

    run = command(wsub, "run", _water_run, "learning-based simulation with a fitted model",
                   writes=True)
    _add_simulation_options(run)
    run.add_argument("--start", choices=["reference", "lattice"], default="reference",
                     help="start from a reference frame or a random box")
    run.add_argument("--out", default="runs/water-run",
                     help=f"folder for traj.extxyz (extended XYZ), log.csv and {SETTINGS}")

    val = command(wsub, "validate", _water_validate, "learned simulation vs the CP2K reference",
                   writes=True)
    _add_simulation_options(val)
    val.add_argument("--out", default="runs/water-validation", help="report folder")
    val.add_argument("--json", action="store_true", help="also print the table as JSON")

    ens = command(wsub, "ensemble", _water_ensemble,
                  "independent replicas vs the CP2K reference: mean ± standard error",
                  resumable=True)
    _add_simulation_options(ens)
    ens.add_argument("--replicas", type=COUNT, default=4,
                     help="replicas, each from its own reference frame and velocity seed")
    ens.add_argument("--out", default="runs/water-ensemble",
                     help="report folder (one sub-folder per replica); rerun to resume")
    add_backend_options(ens)

    wwatch = command(wsub, "watch", _water_watch, "replay a trajectory or run a model live",
                      writes=True)
    wwatch.add_argument("--trajectory", default=None, help="extended XYZ from `water run`")
    wwatch.add_argument("--model", default=None, help="run this model live from the "
                        "reference: a model file, or pair / angular / blend / refined for a "
                        "shipped one")
    wwatch.add_argument("--data", default=None, help=DATA_HELP)
    wwatch.add_argument("--frames", type=COUNT, default=200,
                        help="frames to show (live: 10 steps each; replay: evenly spaced)")
    wwatch.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
    add_config_options(wwatch, "RunSettings (live runs)")
    wwatch.set_defaults(mode=None)
