"""The one settings mechanism: checks on fields, coercion, files, --set and flags."""

import argparse
import json
from dataclasses import dataclass

import pytest

from autoparticles.config import (ConfigError, Settings, add_flags, at_least, dump, load,
                                  one_of, optional, positive, resolve, setting)


@dataclass(frozen=True)
class Example(Settings):
    rate: float = setting(1.0, positive)
    count: int = setting(3, at_least(1))
    layers: tuple[int, ...] = (32, 32)
    ridge: float | None = setting(None, optional(positive))
    mode: str = setting("fast", one_of("fast", "slow"))
    flag: bool = False


def test_strings_from_the_command_line_become_typed_values():
    s = Example(rate="2", count="4", layers="8,8", ridge="none", flag="true")
    assert s == Example(rate=2.0, count=4, layers=(8, 8), ridge=None, flag=True)


@pytest.mark.parametrize("values, message", [
    ({"rate": -1}, "rate must be a positive number"),
    ({"rate": float("nan")}, "rate must be a positive number"),
    ({"count": 1.5}, "count must be int"),
    ({"mode": "medium"}, "mode must be one of 'fast', 'slow'"),
    ({"flag": "maybe"}, "flag must be true or false"),
    ({"ridge": -1e-3}, "ridge must be a positive number"),
])
def test_bad_values_name_the_field(values, message):
    with pytest.raises(ConfigError, match=message):
        Example(**values)
    with pytest.raises(ConfigError, match="in --set"):
        resolve(Example, sets=[f"{k}={v}" for k, v in values.items()])


def test_replace_is_validated():
    assert Example().replace(rate=3).rate == 3.0
    with pytest.raises(ConfigError, match="count must be at least 1"):
        Example().replace(count=0)


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_files_round_trip_and_unknown_keys_name_key_and_file(tmp_path, suffix):
    saved = dump(Example(rate=0.5, layers=(4,)), tmp_path / "saved.json")
    assert load(Example, saved) == Example(rate=0.5, layers=(4,))
    path = tmp_path / f"bad{suffix}"
    path.write_text('rate = 2.0\nspeed = 3\n' if suffix == ".toml"
                    else json.dumps({"rate": 2.0, "speed": 3}))
    with pytest.raises(ConfigError, match=rf"unknown key\(s\) in {path}: speed"):
        load(Example, path)


def test_unreadable_files_are_one_clear_error(tmp_path):
    (tmp_path / "broken.toml").write_text("rate = = 1")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    for name, message in (("broken.toml", "is not valid TOML"), ("binary.json", "is not text"),
                          ("missing.json", "cannot read settings file")):
        with pytest.raises(ConfigError, match=message):
            load(Example, tmp_path / name)


def test_precedence_defaults_file_sets_flags(tmp_path):
    path = dump(Example(rate=2.0, count=5), tmp_path / "file.json")
    s = resolve(Example, path, ["count=7"], {"mode": "slow", "rate": None})
    assert (s.rate, s.count, s.mode) == (2.0, 7, "slow")


def test_flags_show_and_record_the_dataclass_default():
    parser = argparse.ArgumentParser()
    add_flags(parser, Example, "rate", count="--n")
    assert parser.parse_args([]).rate is None
    assert parser.parse_args(["--n", "9"]).count == 9
    helps = {a.dest: a for a in parser._actions if hasattr(a, "settings_field")}
    assert helps["rate"].help == "(default: 1.0)" and helps["count"].settings_field == (Example, "count")


def test_a_run_saved_before_a_setting_existed_resumes_with_its_default(tmp_path):
    from autoparticles.config import claim_folder

    (tmp_path / "run.json").write_text(json.dumps({"rate": 2.0, "count": 3}))
    claim_folder(tmp_path, {"run": Example(rate=2.0)})
    with pytest.raises(ValueError, match=r"different run \(mode\)"):
        claim_folder(tmp_path, {"run": Example(rate=2.0, mode="slow")})
