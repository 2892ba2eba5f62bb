"""`water ensemble` on a short slice of the shipped data: replicas from their own frames and
velocity seeds, the table with mean ± standard error, the plot, resuming."""

import json

import numpy as np
import pandas as pd
import pytest

from autoparticles.cli import main
from autoparticles.molecular.ensemble import replica_frames


@pytest.fixture(scope="module")
def short_data(tmp_path_factory):
    """The last 120 frames (0.6 ps) of the shipped dataset, as a file."""
    from dataclasses import replace

    from autoparticles.molecular import load_reference
    from autoparticles.molecular.reference.dataset import save_reference

    data = load_reference()
    part = {name: getattr(data, name)[-120:] for name in ("positions", "forces", "velocities",
                                                          "times")}
    return save_reference(replace(data, **part), tmp_path_factory.mktemp("data") / "short.npz")


def ensemble(out, data, *flags):
    return main(["water", "ensemble", "--replicas", "2", "--ps", "0.1", "--data", str(data),
                 "--out", str(out), *flags])


def test_replicas_start_apart_and_the_table_has_error_bars(short_data, tmp_path, capsys):
    assert replica_frames(120, 2) == [60, 90]
    assert ensemble(tmp_path, short_data) in (0, 1)
    printed = capsys.readouterr().out
    assert "learned (mean ± s.e.)" in printed and "rows pass in every replica" in printed
    table = pd.read_csv(tmp_path / "ensemble.csv")
    assert (table.replicas == 2).all() and table.error[table.property == "mean H–O–H angle"].gt(0).all()
    first, second = (json.loads((tmp_path / f"replica{k}" / "result.json").read_text())
                     for k in range(2))
    assert (first["spec"]["frame"], first["spec"]["seed"]) == (60, 0)
    assert (second["spec"]["frame"], second["spec"]["seed"]) == (90, 1)
    row = table.property.tolist().index("mean H–O–H angle")
    angles = [r["result"]["table"]["learned"][row] for r in (first, second)]
    assert angles[0] != angles[1] and table.learned[row] == pytest.approx(np.mean(angles))
    assert (tmp_path / "ensemble.png").stat().st_size > 10_000
    assert "![RDFs and MSD](ensemble.png)" in (tmp_path / "ensemble.md").read_text()

    stamp = (tmp_path / "replica0" / "result.json").stat().st_mtime_ns
    assert ensemble(tmp_path, short_data) in (0, 1)  # resumed: the replicas are not run again
    assert (tmp_path / "replica0" / "result.json").stat().st_mtime_ns == stamp
