"""`autoparticles drive ...`: evaluate, train, watch and compare driving policies.

Every command takes --config FILE and --set KEY=VALUE (DrivingConfig fields); flags that
mirror a settings field take their defaults from the dataclass (`config.add_flags`)."""

import json
from pathlib import Path

from autoparticles.agents.sb3 import TrainSettings
from autoparticles.commands import (COUNT, SEED, add_backend_options, add_config_options,
                                   backend_options, claim_record, command, group)
from autoparticles.config import add_flags, resolve
from autoparticles.driving.config import DrivingConfig

POLICY_HELP = "ballistic, ttc, orca or a trained model .zip"


def _config(args, *names) -> DrivingConfig:
    """DrivingConfig from --config FILE, then --set pairs, then the named flags given."""
    return resolve(DrivingConfig, args.config, args.set, {n: getattr(args, n) for n in names})


def _drive_eval(args) -> int:
    import json

    from autoparticles.driving.agent import resolve_policy
    from autoparticles.driving.analysis import evaluate, format_metrics

    config = _config(args, "n_particles", "box", "scenario")
    summary = evaluate(resolve_policy(args.policy, config), config, args.episodes, args.seed,
                       progress=not args.json)
    where = (f"N={config.n_particles}, L={config.box}" if not config.scene.typed
             else f"{config.scene.n_mobile} moving, {config.scene.n_total - config.scene.n_mobile} static")
    print(format_metrics(summary, f"policy {args.policy}: {where}, scenario {config.scenario}, "
                                  f"{args.episodes} episode(s) of {config.episode_steps} steps"))
    if args.json:
        print(json.dumps(summary))
    return 0


def _drive_train(args) -> int:
    from autoparticles.driving.agent import load_model_policy
    from autoparticles.driving.analysis import evaluate, format_metrics
    from autoparticles.driving.learn import train

    config = _config(args, "observation", "scenario")
    flags = ("algo", "steps", "seed", "optimizer", "checkpoint_every", "log_every")
    settings = resolve(TrainSettings, sets=args.train_set, sets_flag="--train-set",
                       flags={n: getattr(args, n) for n in flags})
    optimizer = "" if settings.optimizer == "adam" else f"-{settings.optimizer}"
    scene = "" if config.scenario == "random" else f"{Path(config.scenario).stem}-"
    args.out = args.out or f"runs/drive-{scene}{config.observation}-{settings.algo}{optimizer}-s{settings.seed}"
    model = train(config, settings, args.out)
    print(f"wrote {model}")
    if settings.select_every:
        best = json.loads((model.parent / "best.json").read_text())
        model = model.parent / "best.zip"
        print(f"best on validation: {model} (after {best['timesteps']:,} particle-steps, "
              f"reward per particle-step {best['score']:.4f})")
    summary = evaluate(load_model_policy(model, config), config, episodes=2, seed=10_000)
    print(format_metrics(summary, "evaluation (2 episodes, unseen seeds)"))
    return 0


def _drive_compare(args) -> int:
    from autoparticles.driving.compare import run_comparison

    outcome = run_comparison(args.out, seeds=args.seeds, steps=args.steps,
                             ablation_steps=args.ablation_steps, ablation_seeds=args.ablation_seeds,
                             episodes=args.episodes, base=_config(args), **backend_options(args))
    print(outcome["summary"])
    print(f"wrote {args.out}/results.csv, summary.md, learning_curves.png, "
          "speed_vs_collisions.png, config.json, train.json")
    return 0


def _drive_sweep(args) -> int:
    from autoparticles.config import parse_grid
    from autoparticles.driving.sweep import run_sweep

    base = resolve(DrivingConfig, args.config)
    outcome = run_sweep(args.out, parse_grid(args.set), seeds=args.seeds, episodes=args.episodes,
                        base=base, learner=TrainSettings(steps=args.steps),
                        **backend_options(args))
    print(outcome["summary"])
    print(f"wrote {args.out}/results.csv, summary.md, learning_curves.png, config.json, "
          "train.json")
    return 0


def _drive_watch(args) -> int:
    from autoparticles.driving.watch import watch_driving

    config = _config(args, "n_particles", "scenario")
    claim_record(args)
    path = watch_driving(config, args.policy, args.steps, args.record, args.seed)
    if path:
        print(f"wrote {path}")
    return 0


def add_commands(sub) -> None:
    dsub = group(sub, "drive", "autonomous particles: driving agents")
    ev = command(dsub, "eval", _drive_eval, "evaluate a policy: collision rate, forward speed, ...")
    ev.add_argument("--policy", default="ttc", help=POLICY_HELP)
    add_flags(ev, DrivingConfig, "box", "scenario", n_particles="--n")
    ev.add_argument("--episodes", type=COUNT, default=3, help="episodes to average over")
    ev.add_argument("--seed", type=SEED, default=0, help="seed of the first episode")
    ev.add_argument("--json", action="store_true", help="also print one JSON line of metrics")
    add_config_options(ev, "DrivingConfig")
    tr = command(dsub, "train", _drive_train, "train one policy shared by all particles (SB3)",
                  resumable=True)
    add_config_options(tr, "DrivingConfig")
    add_flags(tr, DrivingConfig, "scenario", observation="--obs")
    add_flags(tr, TrainSettings, "algo", "steps", "seed", "optimizer", "checkpoint_every",
              "log_every")
    tr.add_argument("--train-set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a learner setting (TrainSettings field, repeatable), "
                         "e.g. --train-set log_std_init=-1")
    tr.add_argument("--out", default=None,
                    help="output folder; rerun to resume "
                         "(default runs/drive-[SCENARIO-]OBS-ALGO[-OPTIMIZER]-sSEED)")
    watch = command(dsub, "watch", _drive_watch,
                     "watch particles drive (window, or --record a file)", writes=True)
    watch.add_argument("--policy", default="ttc", help=POLICY_HELP)
    add_flags(watch, DrivingConfig, "scenario", n_particles="--n")
    watch.add_argument("--steps", type=COUNT, default=300, help="steps to show")
    watch.add_argument("--seed", type=SEED, default=0, help="world seed")
    watch.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
    add_config_options(watch, "DrivingConfig")
    cmp = command(dsub, "compare", _drive_compare,
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
    add_config_options(cmp, "DrivingConfig")
    add_backend_options(cmp)
    sweep = command(dsub, "sweep", _drive_sweep, "train and evaluate a grid of settings × seeds",
                    resumable=True)
    sweep.add_argument("--config", default=None, help="TOML or JSON file of DrivingConfig "
                       "fields: the base of every point")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=V1,V2",
                       help="a grid axis over a DrivingConfig or TrainSettings key (repeatable), "
                            "e.g. --set n_particles=16,32 --set learning_rate=1e-3,3e-4")
    sweep.add_argument("--seeds", type=COUNT, default=3, help="seeds per point")
    sweep.add_argument("--steps", type=COUNT, default=200_000,
                       help="particle-steps per training (or a grid axis: --set steps=...)")
    sweep.add_argument("--episodes", type=COUNT, default=2, help="evaluation episodes per task")
    sweep.add_argument("--out", default="runs/sweep", help="output folder; rerun to resume")
    add_backend_options(sweep)
