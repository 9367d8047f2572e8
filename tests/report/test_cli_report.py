"""`sweeper report` end to end: a real sweep with the fake trainer, then the report from the file
and from the name, as a user runs them."""

from __future__ import annotations

import pandas as pd

from sweeper.cli import main
from tests.conftest import cli_env, run_cli

STUDY = """
from sweeper import Study, choice, loguniform
study = Study(name="tiny", train=dict(epochs=3), space=dict(lr=loguniform(1e-3, 1.0), batch_size=choice([32, 64])),
              n_trials=3, trainer="tests.fake_trainer:fit", sampler="random", pruner="none", seed=1,
              reference={"batch_size": {32: 90.0}})
"""


def test_report_after_a_real_sweep_from_file_and_from_name(write_study, tmp_path):
    study_file = write_study(STUDY)
    url = f"sqlite:///{tmp_path / 'sweeper.db'}"
    sweep = run_cli("run", study_file, "--storage", url, "--artifacts", tmp_path / "runs")
    assert sweep.returncode == 0, sweep.stderr

    by_file = run_cli("report", study_file, "--storage", url, "--out", tmp_path / "reports")
    assert by_file.returncode == 0, by_file.stderr
    assert "val_acc by batch_size" in by_file.stdout and "reference" in by_file.stdout
    trials = pd.read_csv(tmp_path / "reports" / "tiny" / "trials.csv")
    assert (
        len(trials) == 3 and (trials["state"] == "COMPLETE").all() and (trials["epochs"] == 3).all()
    )
    assert (tmp_path / "reports" / "tiny" / "report.html").stat().st_size > 1_000_000

    # By name from another folder, with the storage from the environment: no study file needed.
    by_name = run_cli(
        "report",
        "tiny",
        "--format",
        "csv",
        "--by",
        "lr",
        "--out",
        tmp_path / "again",
        cwd=tmp_path / "runs",
        env=cli_env(SWEEPER_STORAGE=url),
    )
    assert by_name.returncode == 0, by_name.stderr
    assert "val_acc by lr" in by_name.stdout and "val_acc by batch_size" not in by_name.stdout
    assert sorted(p.name for p in (tmp_path / "again" / "tiny").iterdir()) == [
        "by_batch_size.csv",
        "by_lr.csv",
        "cost.csv",
        "epochs.csv",
        "importance.csv",
        "not_run.csv",
        "published.csv",
        "trials.csv",
    ]


def test_unknown_study_is_one_line_listing_the_names(tmp_path, capsys):
    from tests.report.conftest import write_known_study

    url = f"sqlite:///{tmp_path / 'known.db'}"
    write_known_study(url)
    assert main(["report", "batchh", "--storage", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no study named 'batchh'") and "studies there: batch" in err
    assert err.count("\n") == 1
