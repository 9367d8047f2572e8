"""The quickstart as a user runs it: real training on digits, 2 workers, SQLite in the working directory."""

import optuna
from optuna.trial import TrialState

from tests.conftest import ROOT, run_cli


def test_digits_quickstart_end_to_end(tmp_path):
    result = run_cli(
        "run",
        ROOT / "studies" / "digits.py",
        "--workers",
        2,
        "--n-trials",
        4,
        "--set",
        "epochs=5",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "best trials by val_acc" in result.stdout
    assert (tmp_path / "sweeper.db").exists()  # the default storage, in the working directory
    study = optuna.load_study(study_name="digits", storage=f"sqlite:///{tmp_path / 'sweeper.db'}")
    # The default pruner pauses trials and resumes some as new attempts of the same parameters:
    # 4 trials of the budget are 4 parameter sets, each ending in one attempt nobody resumed.
    finished = [t for t in study.trials if t.state.is_finished()]
    resumed = {
        t.user_attrs["promoted_from"] for t in study.trials if "promoted_from" in t.user_attrs
    }
    last_attempts = [t for t in finished if t.number not in resumed]
    assert len(last_attempts) == 4
    assert len({tuple(sorted(t.params.items())) for t in finished}) == 4
    assert "paused at epoch 1" in result.stdout  # 5 epochs: its rungs are at 1 and 3
    assert study.best_value >= 90  # percent, after 5 epochs of a small CNN
    # A resumed attempt trains on in its first attempt's folder, which the run's last line names.
    best = study.best_trial
    folder = tmp_path / "runs" / "digits" / str(best.user_attrs.get("retry_of", best.number))
    assert (folder / "last.pt").exists() and (folder / "best.pt").exists()
    assert f"trial {best.number}'s best weights: " in result.stdout
    assert result.stdout.split("best weights: ")[1].split()[0] == f"{folder}/best.pt"
    status = run_cli("status", cwd=tmp_path)
    assert status.returncode == 0 and "digits" in status.stdout


def test_a_hopeless_lr_range_is_stopped_early(write_study, tmp_path):
    study = write_study("""
        from sweeper import Study, loguniform
        study = Study(name="hopeless", train=dict(dataset="digits", model="cnn", optimizer="sgd", momentum=0.9, epochs=8),
                      space=dict(lr=loguniform(50, 500)), n_trials=2, sampler="random", seed=0,
                      pruner="none")  # the divergence check alone, whatever the pruner
    """)
    result = run_cli(
        "run",
        study,
        "--storage",
        f"sqlite:///{tmp_path / 's.db'}",
        "--artifacts",
        tmp_path / "runs",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    trials = optuna.load_study(
        study_name="hopeless", storage=f"sqlite:///{tmp_path / 's.db'}"
    ).trials
    assert [t.state for t in trials] == [TrialState.PRUNED, TrialState.PRUNED]
    for trial in trials:
        assert trial.user_attrs["stop_reason"].startswith("diverged")
        assert trial.user_attrs["epochs_run"] < 8
