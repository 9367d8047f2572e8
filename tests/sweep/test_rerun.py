"""`sweeper rerun STUDY TRIAL`: a stored trial trained again from the storage alone."""

import os
import sqlite3

import optuna
import pytest

from tests.conftest import run_cli

FAKE = """
from sweeper import Study, choice
study = Study(name="again", train=dict(epochs=4), space=dict(lr=choice([0.1, 0.02])),
              n_trials=2, trainer="tests.fake_trainer:fit", sampler="grid", pruner="none")
"""
DIGITS = """
from sweeper import Study, choice
study = Study(name="digits-again", train=dict(dataset="digits", model="cnn", epochs=3,
              batch_size=64, val_split=0.25, seed=3),
              space=dict(optimizer=choice(["sgd", "adam"])), n_trials=2, sampler="grid",
              pruner="none", seed=1)
"""


def test_a_rerun_that_matches_exits_0_and_one_that_differs_exits_1(write_study, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert run_cli("run", write_study(FAKE), "--storage", url, cwd=tmp_path).returncode == 0
    before = (tmp_path / "s.db").read_bytes()

    same = run_cli("rerun", "again", "1", "--storage", url, cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    assert "reproduced exactly: 4 epochs" in same.stdout
    assert (tmp_path / "s.db").read_bytes() == before  # the storage is only read

    with sqlite3.connect(tmp_path / "s.db") as db:  # as if the stored run had gone otherwise
        db.execute(
            "UPDATE sweeper_epochs SET val_acc = val_acc + 0.5 WHERE epoch = 3 AND trial_id = "
            "(SELECT trial_id FROM trials WHERE number = 1)"
        )
    differs = run_cli("rerun", "again", "1", "--storage", url, cwd=tmp_path)
    assert differs.returncode == 1, differs.stderr
    assert "first at epoch 3 (val_acc)" in differs.stdout


@pytest.mark.slow
def test_a_digits_trial_reruns_bit_for_bit(write_study, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    # Two workers share the cores: each trial trains with 1 thread, and the rerun (one
    # executor, which would take them all) must use the count the trial recorded.
    done = run_cli("run", write_study(DIGITS), "--storage", url, "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    environment = (
        optuna.load_study(study_name="digits-again", storage=url)
        .trials[0]
        .system_attrs["environment"]
    )
    assert environment["threads"] == max(1, len(os.sched_getaffinity(0)) // 2)
    again = run_cli("rerun", "digits-again", "0", "--storage", url, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "reproduced exactly: 3 epochs" in again.stdout
    keep = tmp_path / "kept"
    kept = run_cli("rerun", "digits-again", "0", "--storage", url, "--keep", keep, cwd=tmp_path)
    assert kept.returncode == 0 and (keep / "last.pt").is_file()


def test_rerun_bad_input_is_one_line(write_study, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert run_cli("run", write_study(FAKE), "--storage", url, cwd=tmp_path).returncode == 0
    plain = optuna.create_study(study_name="plain", storage=url)
    plain.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
    for args, message in [
        (("again", "7"), "has no trial 7"),
        (("nope", "0"), "no study named 'nope'"),
        (("plain", "0"), "no stored training config"),
        (("again", "0", "--keep", tmp_path), "is not empty"),
    ]:
        done = run_cli("rerun", *args, "--storage", url, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], done.stderr
