"""`autoparticles oscillators ...`: train a driving protocol by the local rule, sample the
reverse process, watch it.

`train` takes --config FILE and --set KEY=VALUE for the fields of ProtocolSettings and
TrainSettings (each key goes to the dataclass that has it); flags take their defaults from
the dataclasses."""

import json
from dataclasses import fields
from pathlib import Path

from autoparticles.commands import COUNT, add_config_options, claim, claim_record, command, group
from autoparticles.config import ConfigError, add_flags, parse_sets, read_mapping, resolve
from autoparticles.oscillators.config import ProtocolSettings, SampleSettings, TrainSettings

EVALUATION_SAMPLES = 2000


def _settings(args) -> tuple[ProtocolSettings, TrainSettings]:
    """Both dataclasses from the defaults, --config, --set and the flags given; each key goes
    to the dataclass that has it."""
    values = {**(read_mapping(args.config) if args.config else {}), **parse_sets(args.set)}
    owner = {f.name: cls for cls in (ProtocolSettings, TrainSettings) for f in fields(cls)}
    unknown = sorted(set(values) - set(owner))
    if unknown:
        raise ConfigError(f"unknown key(s): {', '.join(unknown)} (known: {', '.join(owner)})")
    return tuple(resolve(cls, sets=[f"{k}={v}" for k, v in values.items() if owner[k] is cls],
                         flags={f.name: getattr(args, f.name, None) for f in fields(cls)})
                 for cls in (ProtocolSettings, TrainSettings))


def _sample_settings(args) -> SampleSettings:
    return resolve(SampleSettings, flags={f.name: getattr(args, f.name, None)
                                          for f in fields(SampleSettings)})


def _evaluate(protocol, n: int, settings: SampleSettings) -> tuple:
    """(samples (n, d) in target units, metrics); for the mixture also the MMD of the same
    network with the drive off."""
    from autoparticles.oscillators.agent import protocol_target, sample
    from autoparticles.oscillators.analysis import metrics

    target = protocol_target(protocol)
    samples = sample(protocol, n, settings.reverse_steps, settings.seed)
    values = metrics(samples, target)
    if target.image is None:
        rest = sample(protocol.resting(), n, settings.reverse_steps, settings.seed)
        values["mmd_untrained"] = metrics(rest, target)["mmd"]
    return samples, values


def _report(protocol, samples, values, png, title: str) -> None:
    from autoparticles.oscillators.agent import protocol_target
    from autoparticles.oscillators.analysis import format_metrics, plot_samples

    plot_samples(samples, protocol_target(protocol), png, title)
    print(format_metrics(values))


def _oscillators_train(args) -> int:
    from autoparticles.oscillators.agent import load_protocol
    from autoparticles.oscillators.training import train

    protocol_settings, settings = _settings(args)
    args.out = Path(args.out or f"runs/oscillators-{settings.target}")
    model = train(protocol_settings, settings, args.out)
    protocol = load_protocol(model)
    samples, values = _evaluate(protocol, EVALUATION_SAMPLES, SampleSettings())
    (args.out / "metrics.json").write_text(json.dumps(values, indent=2) + "\n")
    _report(protocol, samples, values, args.out / "samples.png",
            f"{settings.target}: {EVALUATION_SAMPLES} samples of the reverse process")
    print(f"wrote {model}, {args.out / 'metrics.json'} and {args.out / 'samples.png'}")
    return 0


def _oscillators_sample(args) -> int:
    import numpy as np

    from autoparticles.oscillators.agent import load_protocol

    claim(args, "--out", args.out, *([args.plot] if args.plot else []))
    protocol = load_protocol(args.model)
    samples, values = _evaluate(protocol, args.n, _sample_settings(args))
    np.save(args.out, samples)
    if args.plot:
        _report(protocol, samples, values, args.plot, f"{args.n} samples of {args.model}")
    print(f"wrote {args.out}: {samples.shape[0]} samples of dimension {samples.shape[1]}")
    return 0


def _oscillators_watch(args) -> int:
    from autoparticles.oscillators.agent import load_protocol
    from autoparticles.oscillators.watch import watch_reverse

    protocol = load_protocol(args.model)
    claim_record(args)
    path = watch_reverse(protocol, _sample_settings(args), args.n, args.record)
    if path:
        print(f"wrote {path}")
    return 0


def add_commands(sub) -> None:
    osub = group(sub, "oscillators", "driven oscillators in a bath as a generative model")
    tr = command(osub, "train", _oscillators_train,
                 "learn the driving protocol by the local force-matching rule", resumable=True)
    add_flags(tr, TrainSettings, "target", "steps", "batch", "learning_rate", "seed",
              "checkpoint_every")
    add_flags(tr, ProtocolSettings, "graph", "time_bins", "basis", "t_final")
    add_config_options(tr, "ProtocolSettings and TrainSettings", "time_bins=40")
    tr.add_argument("--out", default=None,
                    help="output folder; rerun to resume (default runs/oscillators-TARGET)")
    sm = command(osub, "sample", _oscillators_sample,
                 "run the reverse process of a trained protocol", writes=True)
    sm.add_argument("--model", required=True, help="model.npz from `oscillators train`")
    sm.add_argument("--n", type=COUNT, default=2000, help="samples")
    sm.add_argument("--out", default="runs/oscillators-samples.npy",
                    help="(n, d) samples in the target's units (.npy)")
    sm.add_argument("--plot", default=None, help="also a PNG of the samples")
    add_flags(sm, SampleSettings, "seed", reverse_steps="--steps")
    wa = command(osub, "watch", _oscillators_watch,
                 "animate the reverse process (window, or --record a file)", writes=True)
    wa.add_argument("--model", required=True, help="model.npz from `oscillators train`")
    wa.add_argument("--n", type=COUNT, default=None,
                    help="copies of the network (default: 1000 points, or 16 images)")
    add_flags(wa, SampleSettings, "seed", reverse_steps="--steps")
    wa.add_argument("--record", default=None, help="write FILE.gif or FILE.mp4 instead")
