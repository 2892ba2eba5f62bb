"""`autoparticles ...` sub-commands; each is a thin call into the parts of the package.

A mistake in the input (a missing, unreadable or existing file, a bad value) ends in one line
`autoparticles: error: ...` and exit status 2; Ctrl-C in status 130 and a line saying where the
partial results are. Commands write only the paths given on the command line, or their
defaults under `runs/`, and overwrite an existing output only with `--force`.
"""

import argparse
import importlib
import os
import sys

from autoparticles.commands import COUNT, POSITIVE, SEED, command, group
from autoparticles.threads import limit_threads

SYSTEMS = {"drive": "autoparticles.driving.cli", "water": "autoparticles.molecular.cli",
           "oscillators": "autoparticles.oscillators.cli", "crowd": "autoparticles.crowd.cli"}
"""Command group -> the system module that adds its sub-commands (`add_commands(sub)`)."""


def _demo(args) -> int:
    from autoparticles.demo import run_demo

    return run_demo(quick=args.quick)


def _bench_invariants(args) -> int:
    from autoparticles.bench import format_invariants, invariants_throughput

    print(format_invariants(invariants_throughput(min_seconds=args.seconds)))
    return 0


def _cgd_compare(args) -> int:
    from pathlib import Path

    from autoparticles.agents.optim_compare import plot_toys, toy_table, tune
    from autoparticles.commands import claim

    out = Path(args.out)
    claim(args, "--out", out / "summary.md", out / "toys.png")
    rows = tune(args.steps, every=max(1, args.steps // 100))
    plot_toys(rows, args.steps, max(1, args.steps // 100), out / "toys.png")
    text = "# Covariant gradient descent against Adam\n\n" + toy_table(rows, args.steps)
    if args.driving_steps:
        from autoparticles.driving.optimizers import compare_optimizers

        text += "\n" + compare_optimizers(out / "driving", args.seeds, args.driving_steps)
    (out / "summary.md").write_text(text)
    print(text + f"wrote {out}/summary.md, toys.png"
          + (", driving/learning_curves.png, driving/results.csv" if args.driving_steps else ""))
    return 0


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
                     "(reinforcement learning), water (molecular learning dynamics) and "
                     "driven oscillators (a local learning rule), with the covariant "
                     "gradient descent optimisers.",
                     epilog="Each command's --help shows its defaults. Outputs go where named "
                     "(defaults under runs/); an existing one is overwritten only with --force.")
    parser.add_argument("--version", action="version", version=f"autoparticles {__version__}")
    parser.set_defaults(handler=lambda args: parser.print_help() or 0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = command(sub, "demo", _demo, "run the main job on built-in defaults (into demo-output/)")
    demo.add_argument("--quick", action="store_true", help="shorter timings")
    bench_sub = group(sub, "bench", "speed measurements")
    inv = command(bench_sub, "invariants", _bench_invariants,
                   "neighbour search + invariants throughput")
    inv.add_argument("--seconds", type=POSITIVE, default=1.0, help="minimum timing per size [s]")

    cgd = command(group(sub, "cgd", "covariant gradient descent (agents.optim.CGD)"), "compare",
                  _cgd_compare, "Adam vs diagonal vs full CGD vs α = 0, ½, 1 on toy tasks "
                  "(and, with --driving-steps, on driving)", writes=True, resumable=True)
    cgd.add_argument("--steps", type=COUNT, default=2000, help="gradients per toy run")
    cgd.add_argument("--driving-steps", type=SEED, default=0,
                     help="also train PPO drivers for this many particle-steps per run "
                          "(5 methods × 4 learning rates × --seeds runs; about 40 min in all "
                          "at 100000 and 3 seeds on one core)")
    cgd.add_argument("--seeds", type=COUNT, default=3, help="seeds per optimiser on driving")
    cgd.add_argument("--out", default="runs/cgd", help="output folder")

    for module in SYSTEMS.values():
        importlib.import_module(module).add_commands(sub)
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
