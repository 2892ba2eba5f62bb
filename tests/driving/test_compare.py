"""`drive compare` end to end on a tiny budget: every policy, every world, every output."""

import pandas as pd

from autoparticles import config as settings
from autoparticles.agents.sb3 import TrainSettings
from autoparticles.driving.compare import BASELINES, MAIN_VARIANTS, TRANSFER, run_comparison
from autoparticles.driving.config import DrivingConfig


def test_comparison_writes_tables_and_plots(tmp_path):
    learner = TrainSettings(n_steps=16, batch_size=256, n_epochs=1, log_every=256,
                            checkpoint_every=10_000)
    outcome = run_comparison(tmp_path, seeds=2, steps=1024, ablation_seeds=0, episodes=1,
                             base=DrivingConfig(episode_steps=30), learner=learner,
                             progress=False)
    results = pd.read_csv(tmp_path / "results.csv")
    policies = list(MAIN_VARIANTS) + list(BASELINES)
    assert list(results.variant.unique()) == policies
    assert len(results) == (2 * len(MAIN_VARIANTS) + len(BASELINES)) * len(TRANSFER)
    assert results.overspeed.between(0, 1).all() and (results.tracking_error >= 0).all()
    wide = results[results.box == 40.0]
    assert (wide.n_particles == 128).all() and len(wide) == 2 * len(MAIN_VARIANTS) + len(BASELINES)
    for name in ("learning_curves.png", "speed_vs_collisions.png", "summary.md"):
        assert (tmp_path / name).stat().st_size > 1000
    summary = outcome["summary"]
    assert "full neighbour state" in summary and "N = 128, L = 40" in summary
    assert all(f"| {name} |" in summary for name in policies)
    assert settings.load(DrivingConfig, tmp_path / "config.json") == DrivingConfig(episode_steps=30)
    assert settings.load(TrainSettings, tmp_path / "train.json") == learner
