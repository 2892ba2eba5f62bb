"""The command line as a user meets it: help, version, threads, where outputs go, and one clean
error line (no traceback) for every mistake in the input."""

import os
import subprocess
import sys

import numpy as np
import pytest

from autoparticles.cli import main
from autoparticles.molecular.reference.dataset import load_reference, save_reference, shipped_reference_path

CLI = [sys.executable, "-m", "autoparticles.cli"]


def refused(capsys, argv, *names, status=2) -> str:
    """Run main(argv); check it fails with one error line naming each of `names`."""
    assert main(argv) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("autoparticles: error:") == 1, err
    for name in names:
        assert str(name) in err, err
    return err


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    """Files a user might give by mistake: empty, truncated and text .npz, a binary trajectory."""
    folder = tmp_path_factory.mktemp("bad")
    (folder / "empty.npz").write_bytes(b"")
    (folder / "truncated.npz").write_bytes(shipped_reference_path().read_bytes()[:5000])
    (folder / "text.npz").write_text("positions 1 2 3\n")
    (folder / "binary.extxyz").write_bytes(bytes(range(256)) * 4)
    return folder


@pytest.mark.parametrize("name", ["empty.npz", "truncated.npz", "text.npz"])
def test_damaged_npz_files_are_named_without_traceback(capsys, bad_files, name, tmp_path):
    path = bad_files / name
    for argv in (["water", "describe", str(path)],
                 ["water", "fit", "--data", str(path), "--out", str(tmp_path / "m.npz")],
                 ["water", "run", "--model", str(path), "--out", str(tmp_path / "run")],
                 ["water", "validate", "--data", str(path), "--out", str(tmp_path / "val")]):
        err = refused(capsys, argv, path)
        assert "allow_pickle" not in err
    assert not list(tmp_path.iterdir())  # nothing written for a refused input


def test_binary_trajectory_and_folders_are_named(capsys, bad_files, tmp_path):
    refused(capsys, ["water", "watch", "--trajectory", str(bad_files / "binary.extxyz"),
                     "--record", str(tmp_path / "w.gif")], bad_files / "binary.extxyz", "not a text file")
    refused(capsys, ["water", "describe", str(bad_files)], bad_files, "folder")
    refused(capsys, ["water", "fit", "--out", str(bad_files)], "--out", "folder")


def test_non_finite_and_mis_shaped_datasets_are_refused(capsys, tmp_path):
    data = load_reference()
    positions = data.positions[:8].copy()
    positions[3, 5, 1] = np.nan
    nan = save_reference(type(data)(positions, None, None, data.numbers, data.masses, data.box,
                                    data.times[:8], {}), tmp_path / "nan.npz")
    refused(capsys, ["water", "describe", str(nan)], nan, "NaN")
    short = save_reference(type(data)(data.positions[:8], None, None, data.numbers, data.masses,
                                      data.box, data.times[:5], {}), tmp_path / "short.npz")
    refused(capsys, ["water", "describe", str(short)], short, "do not fit")


def test_negative_ridge_and_other_bad_numbers_name_the_flag(capsys, tmp_path):
    for argv, flag in ((["water", "fit", "--ridge", "-1"], "--ridge"),
                       (["water", "run", "--ps", "nan"], "--ps"),
                       (["water", "watch", "--frames", "0"], "--frames"),
                       (["drive", "eval", "--episodes", "0"], "--episodes")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert flag in err and "Traceback" not in err
    from autoparticles.molecular.config import FitSettings

    with pytest.raises(ValueError, match="ridge"):
        FitSettings(ridge=-1.0)
    assert not list(tmp_path.iterdir())


def test_water_run_writes_only_the_named_folder_and_never_overwrites(tmp_path):
    def run(*extra):
        return subprocess.run(CLI + ["water", "run", "--ps", "0.02", "--out", "named", *extra],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)

    first = run()
    assert first.returncode == 0, first.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["named"]
    assert sorted(p.name for p in (tmp_path / "named").iterdir()) == ["log.csv", "settings.json",
                                                                       "traj.extxyz"]
    again = run()
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "named/traj.extxyz exists" in again.stderr and "--force" in again.stderr
    assert run("--force").returncode == 0


def test_version_bare_command_and_defaults_in_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("autoparticles 0.")
    assert main([]) == 0 and "drive" in capsys.readouterr().out
    assert main(["water"]) == 0 and "validate" in capsys.readouterr().out
    for argv, default in ((["drive", "train"], "(default: 2000000)"), (["drive", "eval"], "(default: 3)"),
                          (["water", "run"], "(default: 20.0)"), (["water", "run"], "runs/water-run")):
        with pytest.raises(SystemExit):
            main(argv + ["--help"])
        assert default in " ".join(capsys.readouterr().out.split())


def test_drive_eval_with_a_single_particle(capsys):
    assert main(["drive", "eval", "--n", "1", "--episodes", "1", "--json"]) == 0
    assert "relative to ballistic theory" in capsys.readouterr().out


def test_broken_pipe_ends_quietly():
    child = subprocess.Popen(CLI + ["water", "describe", "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before the first line is written
    err = child.stderr.read().decode()
    child.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize("threads", [None, "2"])
def test_threads_default_to_one_outside_make(threads):
    env = {k: v for k, v in os.environ.items() if not k.endswith("NUM_THREADS")}
    if threads:
        env["AUTOPARTICLES_THREADS"] = threads
    code = ("from autoparticles import cli; args = cli.build_parser().parse_args(['drive', 'eval']);"
            "cli.limit_threads(args.threads); import numba, torch;"
            "print(numba.config.NUMBA_NUM_THREADS, torch.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == [threads or "1"] * 2


def test_benchmark_table_puts_the_ratio_on_the_rows_it_compares():
    import pandas as pd

    from autoparticles.bench import format_invariants

    table = pd.DataFrame({"method": ["cell list (numba)"] * 2 + ["all pairs (numpy)"],
                          "N": [100, 10_000, 100], "particle_steps_per_s": [8e5, 1.4e6, 8e4]})
    rows = format_invariants(table).splitlines()
    assert "NaN" not in "".join(rows)
    assert rows[-2].split()[-3:] == ["0.8", "0.08", "10"] and rows[-1].split()[-3:] == ["1.4", "-", "-"]


def test_a_crash_of_ours_says_where_the_partial_results_are(capsys, monkeypatch):
    def broken(args):
        raise TypeError("a bug")

    monkeypatch.setattr("autoparticles.molecular.cli._water_run", broken)
    assert main(["water", "run", "--out", "somewhere"]) == 1
    err = capsys.readouterr().err
    assert "TypeError: a bug" in err and "internal error" in err
    assert "partial results, if any, in somewhere" in err


def test_cgd_compare_writes_its_table_and_plot_and_keeps_them(capsys, tmp_path):
    from autoparticles.agents.optim_compare import METHODS

    assert main(["cgd", "compare", "--steps", "20", "--out", str(tmp_path)]) == 0
    table = (tmp_path / "summary.md").read_text()
    assert (tmp_path / "toys.png").stat().st_size > 0
    assert all(f"| {method} |" in table for method in METHODS) and table.count("**") == 4
    refused(capsys, ["cgd", "compare", "--steps", "20", "--out", str(tmp_path)], "--force")


@pytest.mark.parametrize("pair, words", [("foo=1", ["--train-set", "unknown key", "foo"]),
                                         ("foo", ["--train-set", "key=value"])])
def test_bad_train_set_names_its_flag(capsys, tmp_path, pair, words):
    refused(capsys, ["drive", "train", "--train-set", pair, "--out", str(tmp_path / "run")], *words)
    assert not (tmp_path / "run").exists()
