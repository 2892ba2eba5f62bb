"""The examples run as a user runs them, from a fresh folder."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_warehouse_example_trains_evaluates_and_records(tmp_path):
    out = tmp_path / "warehouse"
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "warehouse.py"),
                           "--steps", "2000", "--out", str(out)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout's code
    assert done.returncode == 0, done.stderr
    assert "PPO:" in done.stdout and '"worker"' in done.stdout and '"forklift"' in done.stdout
    assert (out / "model.zip").exists() and (out / "warehouse.gif").stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse"]
