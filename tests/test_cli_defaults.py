"""Every flag that mirrors a settings field (`config.add_flags`) shows that field's dataclass
default in its help, for every sub-command of every system."""

import argparse
import dataclasses

from autoparticles.cli import build_parser


def sub_parsers(parser, path=()):
    """(command path, parser) of the parser and every sub-parser below it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from sub_parsers(child, path + (name,))


def test_flags_show_their_dataclass_defaults():
    checked = 0
    for path, parser in sub_parsers(build_parser()):
        for action in parser._actions:
            if not hasattr(action, "settings_field"):
                continue
            cls, name = action.settings_field
            default = {f.name: f.default for f in dataclasses.fields(cls)}[name]
            where = f"{' '.join(path)} {action.option_strings[0]}"
            assert action.default is None, f"{where}: parsed default must be None"
            assert f"(default: {default})" in action.help, f"{where}: {action.help!r}"
            checked += 1
    assert checked >= 10  # drive eval, train and watch at least


def test_train_flags_come_from_train_settings():
    from autoparticles.agents.sb3 import TrainSettings

    parser = dict(sub_parsers(build_parser()))[("drive", "train")]
    fields = {a.settings_field for a in parser._actions if hasattr(a, "settings_field")}
    assert {(TrainSettings, n) for n in ("algo", "steps", "seed", "optimizer",
                                         "checkpoint_every", "log_every")} <= fields
