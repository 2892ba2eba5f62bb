"""The toolkit every system's sub-commands are built with: checked argument types, a
sub-command with --threads and --force, output paths claimed before any work, and the
--config/--set options."""

import argparse
import math
import os
from pathlib import Path

from autoparticles.tasks import BACKENDS

THREADS_VARIABLE = "AUTOPARTICLES_THREADS"
"""Environment variable with the default of every command's --threads (else 1)."""


def number_type(kind, low: float = 0.0):
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


POSITIVE = number_type(float)
COUNT = number_type(int)
SEED = number_type(int, low=-1)


def default_threads() -> int:
    text = os.environ.get(THREADS_VARIABLE, "1")
    try:
        return COUNT(text)
    except argparse.ArgumentTypeError as error:
        raise SystemExit(f"autoparticles: error: {THREADS_VARIABLE}: {error}") from None


def claim(args, flag: str, *paths) -> None:
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


def claim_record(args) -> None:
    from autoparticles.render.recording import check_animation_path

    if args.record is not None:
        check_animation_path(args.record)
        claim(args, "--record", args.record)


def command(sub, name: str, handler, help: str, writes: bool = False, resumable: bool = False):
    """A sub-command with --threads, and --force when it writes files that may exist."""
    parser = sub.add_parser(name, help=help, description=help)
    parser.add_argument("--threads", type=COUNT, default=default_threads(),
                        help=f"threads for numba, torch, BLAS and CP2K (default: ${THREADS_VARIABLE} or 1)")
    if writes:
        parser.add_argument("--force", action="store_true", help="overwrite existing outputs")
    parser.set_defaults(handler=handler, resumable=resumable)
    return parser


def group(sub, name: str, help: str):
    """A command with sub-commands; alone, it prints its help."""
    parser = sub.add_parser(name, help=help, description=help)
    parser.set_defaults(handler=lambda args: parser.print_help() or 0)
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")


def add_config_options(parser, what: str = "settings", example: str = "n_particles=64") -> None:
    """--config FILE (TOML or JSON of `what` fields) and repeatable --set KEY=VALUE."""
    parser.add_argument("--config", default=None, help=f"TOML or JSON file of {what} fields")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"override a config field (repeatable), e.g. --set {example}")


def add_backend_options(parser) -> None:
    """--backend, --address and --workers of a command made of independent tasks."""
    parser.add_argument("--backend", choices=BACKENDS, default="local",
                        help="local: the tasks run here one after another; ray: spread over "
                             "Ray workers, one CPU each (pip install -e \".[ray]\")")
    parser.add_argument("--address", default=None, metavar="ADDR",
                        help="with --backend ray: a running Ray cluster, HOST:PORT or auto "
                             "(default: start a local Ray instance)")
    parser.add_argument("--workers", type=COUNT, default=None, metavar="K",
                        help="with --backend ray: CPUs of the local Ray instance, one task on "
                             "each (default: all of this machine's)")


def backend_options(args) -> dict:
    """{backend, address, workers} of the parsed options, checked together."""
    if args.backend == "local" and (args.address is not None or args.workers is not None):
        raise ValueError("--address and --workers need --backend ray")
    if args.address is not None and args.workers is not None:
        raise ValueError("--workers sizes a local Ray instance; the cluster at --address "
                         "brings its own workers")
    return {"backend": args.backend, "address": args.address, "workers": args.workers}
