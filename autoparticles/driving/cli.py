"""`autoparticles drive ...`: evaluate, train, watch and compare driving policies."""

import dataclasses

from autoparticles.commands import (COUNT, POSITIVE, SEED, add_config_options, claim_record,
                                    command, group)


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


def _drive_watch(args) -> int:
    from autoparticles.watch import watch_driving

    config = _drive_config(args, n_particles=args.n, scenario=args.scenario)
    claim_record(args)
    path = watch_driving(config, args.policy, args.steps, args.record, args.seed)
    if path:
        print(f"wrote {path}")
    return 0


def add_commands(sub) -> None:
    dsub = group(sub, "drive", "autonomous particles: driving agents")
    ev = command(dsub, "eval", _drive_eval, "evaluate a policy: collision rate, forward speed, ...")
    ev.add_argument("--policy", default="ttc", help="ballistic, ttc, orca or a trained model .zip")
    ev.add_argument("--n", type=COUNT, default=None, help="number of particles (default 32)")
    ev.add_argument("--box", type=POSITIVE, default=None, help="box side L (default 20)")
    ev.add_argument("--scenario", default=None, help="random, counterflow or crossing (default random)")
    ev.add_argument("--episodes", type=COUNT, default=3, help="episodes to average over")
    ev.add_argument("--seed", type=SEED, default=0, help="seed of the first episode")
    ev.add_argument("--json", action="store_true", help="also print one JSON line of metrics")
    add_config_options(ev)
    tr = command(dsub, "train", _drive_train, "train one policy shared by all particles (SB3)",
                  resumable=True)
    add_config_options(tr)
    tr.add_argument("--obs", choices=["invariants", "raw"], default=None,
                    help="observation (default: the config's, invariants)")
    tr.add_argument("--algo", choices=["ppo", "sac"], default="ppo", help="learner")
    tr.add_argument("--steps", type=COUNT, default=2_000_000, help="particle-steps")
    tr.add_argument("--seed", type=SEED, default=0, help="learner and world seed")
    tr.add_argument("--out", default=None,
                    help="output folder; rerun to resume (default runs/drive-OBS-ALGO-sSEED)")
    tr.add_argument("--checkpoint-every", type=COUNT, default=200_000, help="particle-steps")
    tr.add_argument("--log-every", type=COUNT, default=20_000, help="particle-steps per progress row")
    watch = command(dsub, "watch", _drive_watch,
                     "watch particles drive (window, or --record a file)", writes=True)
    watch.add_argument("--policy", default="ttc", help="ballistic, ttc, orca or a trained model .zip")
    watch.add_argument("--scenario", default=None, help="random, counterflow or crossing (default random)")
    watch.add_argument("--n", type=COUNT, default=None, help="number of particles (default 32)")
    watch.add_argument("--steps", type=COUNT, default=300, help="steps to show")
    watch.add_argument("--seed", type=SEED, default=0, help="world seed")
    watch.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
    add_config_options(watch)
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
    add_config_options(cmp)
