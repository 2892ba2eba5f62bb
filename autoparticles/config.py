"""One mechanism for every settings dataclass: checks declared on the fields, load and dump
(TOML or JSON), replace, `key=value` overrides and command-line flags whose defaults come from
the dataclass.

A settings class is a frozen dataclass whose fields may carry a check:

    @dataclass(frozen=True)
    class RunSettings(Settings):
        ps: float = setting(20.0, positive)          # [ps]
        thermostat: str = setting("nose-hoover", one_of("nose-hoover", "none"))

`Settings.__post_init__` coerces `key=value` strings to the field's type and runs the checks,
so every way of building one (constructor, `replace`, `load`, `--set`) is validated the same
way. A failed check raises `ConfigError` naming the field and, when known, the file.
"""

import argparse
import dataclasses
import json
import math
import tomllib
import types
import typing
from pathlib import Path


class ConfigError(ValueError):
    """A settings value or file a user gave is wrong; the message says which and where."""


# ------------------------------------------------------------------ checks
def positive(value) -> str | None:
    return None if _finite_number(value) and value > 0 else "must be a positive number"


def non_negative(value) -> str | None:
    return None if _finite_number(value) and value >= 0 else "must be a non-negative number"


def finite(value) -> str | None:
    return None if _finite_number(value) else "must be a finite number"


def one_of(*allowed):
    def check(value) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(map(repr, allowed))}"
    return check


def at_least(bound):
    def check(value) -> str | None:
        return None if _finite_number(value) and value >= bound else f"must be at least {bound}"
    return check


def within(low, high):
    def check(value) -> str | None:
        return None if _finite_number(value) and low <= value <= high \
            else f"must be in [{low}, {high}]"
    return check


def optional(inner):
    """`inner` or None."""
    def check(value) -> str | None:
        return None if value is None else inner(value)
    return check


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def setting(default, check=None, doc: str = ""):
    """A dataclass field with a default, an optional check(value) -> message or None, and a
    one-line `doc` (the help of its command-line flag)."""
    metadata = {"check": check, "doc": doc}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


# -------------------------------------------------------------- settings
class Settings:
    """Base of every settings dataclass: coerces and checks fields after construction."""

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value = _coerce(hints[field.name], getattr(self, field.name), field.name)
            object.__setattr__(self, field.name, value)
            check = field.metadata.get("check")
            problem = check(value) if check else None
            if problem:
                raise ConfigError(f"{field.name} {problem}, got {value!r}")

    def replace(self, **changes):
        """A copy with `changes`, validated like a new one."""
        return from_mapping(type(self), {**as_dict(self), **changes})


def _plain(values: dict) -> dict:
    """JSON-ready data of a mapping (tuples become lists)."""
    return json.loads(json.dumps(values))


def as_dict(settings) -> dict:
    """Field values as plain JSON-ready data (tuples become lists)."""
    return _plain(dataclasses.asdict(settings))


def from_mapping(cls, values: dict, where: str = ""):
    """Build `cls` from a mapping; an unknown key or a bad value is a ConfigError naming the
    key and `where` (a file name or a flag)."""
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(known))
    place = f" in {where}" if where else ""
    if unknown:
        raise ConfigError(f"unknown key(s){place}: {', '.join(unknown)} (known: {', '.join(known)})")
    try:
        return cls(**values)
    except ConfigError as error:
        raise ConfigError(f"{error}{place}") from None


def load(cls, path):
    """Settings of `cls` from a .toml or .json file."""
    return from_mapping(cls, read_mapping(path), str(path))


def read_mapping(path) -> dict:
    """The table of key = value of a .toml or .json settings file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"cannot read settings file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"settings file {path} is not text") from None
    try:
        values = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"settings file {path} is not valid "
                          f"{'TOML' if path.suffix == '.toml' else 'JSON'}: {error}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"settings file {path} must hold a table of key = value")
    return values


def dump(settings, path) -> Path:
    """Write the settings as JSON, atomically (a reader never sees half a file)."""
    from autoparticles.files import atomic_write

    text = json.dumps(as_dict(settings), indent=2) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def claim_folder(out, settings: dict, free: tuple = ()) -> Path:
    """Create the run folder `out` (fail early if it cannot be written) and write each
    `name.json` of `settings` (name -> settings dataclass); a folder that already holds a
    run must hold the same settings, but for the keys in `free`, so that it is resumed
    rather than mixed with another run. A key the saved file lacks (a setting added since)
    counts as its dataclass default."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"cannot write to output folder {out}: {error.strerror}") from None
    for name, current in settings.items():
        path = out / f"{name}.json"
        if not path.exists():
            dump(current, path)
            continue
        defaults = {f.name: f.default for f in dataclasses.fields(current)
                    if f.default is not dataclasses.MISSING}
        saved, now = {**_plain(defaults), **json.loads(path.read_text())}, as_dict(current)
        keys = sorted(k for k in set(saved) | set(now)
                      if saved.get(k) != now.get(k) and k not in free)
        if keys:
            raise ValueError(f"{out} holds a run with different {name} ({', '.join(keys)}); "
                             "use another folder or the same settings to resume")
    return out


def parse_sets(pairs, flag: str = "--set") -> dict:
    """{key: text} from `key=value` strings given as `flag` (the values are coerced by the
    dataclass)."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} expects key=value, got {pair!r}")
        values[key.strip()] = value.strip()
    return values


def parse_grid(pairs) -> dict[str, list[str]]:
    """{key: [text, ...]} from `key=v1,v2,...` strings: the values of a grid over settings
    (coerced later by the dataclass); a key given twice or an empty value is an error."""
    grid = {}
    for pair in pairs:
        (key, text), = parse_sets([pair]).items()
        values = [value.strip() for value in text.split(",")]
        if key in grid:
            raise ConfigError(f"--set {key} is given twice; list its values once: {key}=v1,v2")
        if not all(values):
            raise ConfigError(f"--set {key}= has an empty value in {text!r}")
        grid[key] = values
    return grid


def resolve(cls, config_file=None, sets=(), flags: dict | None = None, sets_flag: str = "--set"):
    """Settings from, in rising precedence: the defaults, `config_file`, `key=value` pairs
    (`sets`, given on the command line as `sets_flag`) and the flags that are not None."""
    values = as_dict(load(cls, config_file)) if config_file else {}
    if sets:
        values.update(parse_sets(sets, sets_flag))
        values = as_dict(from_mapping(cls, values, sets_flag))
    values.update({k: v for k, v in (flags or {}).items() if v is not None})
    return from_mapping(cls, values)


def add_flags(parser, cls, *names, **spelled) -> None:
    """Add `--field-name` flags for the named fields of `cls` (`spelled`: field -> flag).

    Each flag's parsed default is None (so `resolve` knows it was not given); its help shows
    the field's `doc` and the dataclass default; a value is coerced and checked as it is
    parsed, so a bad one is reported against the flag; a bool field gets `--flag/--no-flag`.
    The action records `settings_field = (cls, name)` so a test can check every flag against
    its dataclass."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in names + tuple(spelled):
        flag = spelled.get(name, "--" + name.replace("_", "-"))
        field = fields[name]
        default = field.default_factory() if field.default is dataclasses.MISSING else field.default
        shown = f"{field.metadata.get('doc', '')} (default: {default})".lstrip()
        if hints[name] is bool:
            action = parser.add_argument(flag, dest=name, default=None, help=shown,
                                         action=argparse.BooleanOptionalAction)
        else:
            action = parser.add_argument(flag, dest=name, default=None, metavar=name.upper(),
                                         type=_flag_type(hints[name], field, flag), help=shown)
        action.settings_field = (cls, name)


def _flag_type(kind, field, flag):
    def parse(text):
        try:
            value = _coerce(kind, text, flag)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        check = field.metadata.get("check")
        problem = check(value) if check else None
        if problem:
            raise argparse.ArgumentTypeError(f"{problem}, got {text!r}")
        return value

    parse.__name__ = field.name
    return parse


# --------------------------------------------------------------- coercion
def _coerce(kind, value, name):
    """Accept strings (from `--set key=value`) and lists (from JSON/TOML) for typed fields."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        if isinstance(value, str) and value.lower() in ("none", "null") and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, name) if len(inner) == 1 else value
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise ConfigError(f"{name} must be a list, got {value!r}")
        return tuple(_coerce(args[0], item, name) for item in items)
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    if kind in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be {kind.__name__}, got {value!r}")
        if isinstance(value, str):
            value = value.strip()
        try:
            number = float(value) if kind is float else _as_int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be {kind.__name__}, got {value!r}") from None
        return number
    if kind is str and not isinstance(value, str):
        raise ConfigError(f"{name} must be text, got {value!r}")
    return value


def _as_int(value) -> int:
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    if isinstance(value, str):
        number = float(value)
        if not number.is_integer():
            raise ValueError
        return int(number)
    return int(value)
