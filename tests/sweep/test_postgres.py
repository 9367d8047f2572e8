"""Many machines on one study through a real PostgreSQL server (started by tests/pg.py)."""

import time
from collections import Counter

import optuna
from optuna.trial import TrialState

from sweeper.cli import main
from tests.sweep.recovery_helpers import start, trial_log, wait_for

STUDY = """
from sweeper import Study, loguniform
study = Study(name="{name}", train=dict(epochs={epochs}), space=dict(lr=loguniform(1e-3, 1.0)),
              n_trials={n_trials}, trainer="tests.fake_trainer:fit", sampler="tpe", pruner="none")
"""


def trials_of(name, url):
    return optuna.load_study(study_name=name, storage=url).trials


def test_two_workers_and_a_run_share_one_budget_exactly(write_study, postgres_url, tmp_path):
    study = write_study(STUDY.format(name="shared", epochs=3, n_trials=12))
    common = ("--storage", postgres_url, "--artifacts", tmp_path / "runs")
    first = start("run", study, *common, tmp_path=tmp_path, epoch_seconds=0.3)
    wait_for(
        lambda: "shared" in [s.study_name for s in optuna.get_all_study_summaries(postgres_url)],
        what="the study",
    )
    workers = [
        start("worker", "shared", *common, tmp_path=tmp_path, epoch_seconds=0.3) for _ in range(2)
    ]
    for process in (first, *workers):
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    trials = trials_of("shared", postgres_url)
    states = Counter(t.state for t in trials)
    assert states[TrialState.COMPLETE] == 12
    assert not states[TrialState.RUNNING] and not states[TrialState.WAITING]
    assert all(
        t.user_attrs["stop_reason"] == "over budget" for t in trials if t.state == TrialState.FAIL
    )
    runs = Counter(entry["dir"] for entry in trial_log(tmp_path))
    assert len(runs) == 12 and set(runs.values()) == {1}  # no trial ran twice
    assert (
        len({t.user_attrs["pid"] for t in trials if t.state == TrialState.COMPLETE}) >= 2
    )  # all joined in


def test_a_database_restart_pauses_the_sweep_and_loses_nothing(
    write_study, postgres_server, tmp_path
):
    url = postgres_server.url
    study = write_study(STUDY.format(name="restart", epochs=4, n_trials=6))
    sweep = start(
        "run",
        study,
        "--storage",
        url,
        "--artifacts",
        tmp_path / "runs",
        "--workers",
        2,
        tmp_path=tmp_path,
        epoch_seconds=0.3,
    )
    wait_for(
        lambda: (
            len([t for t in _safe_trials("restart", url) if t.state == TrialState.COMPLETE]) >= 2
        ),
        what="two finished trials",
    )
    postgres_server.stop()
    time.sleep(3)
    postgres_server.start()
    out, err = sweep.communicate(timeout=180)
    assert sweep.returncode == 0, err
    assert "database unreachable" in out
    trials = trials_of("restart", url)
    assert Counter(t.state for t in trials) == {TrialState.COMPLETE: 6}
    runs = Counter(entry["dir"] for entry in trial_log(tmp_path))
    assert len(runs) == 6 and set(runs.values()) == {1}


def test_passwords_are_never_printed(write_study, postgres_url, tmp_path, capsys):
    # Trust authentication ignores the password, so a URL with one still connects.
    url = postgres_url.replace("postgres@", "postgres:hunter2@")
    study = write_study(STUDY.format(name="secret", epochs=1, n_trials=1))
    assert main(["run", str(study), "--storage", url, "--artifacts", str(tmp_path / "runs")]) == 0
    assert main(["status", "--storage", url]) == 0
    assert main(["status", "nope", "--storage", url]) == 2
    printed = capsys.readouterr()
    assert "hunter2" not in printed.out + printed.err
    assert "***" in printed.out


def _safe_trials(name, url):
    try:
        return trials_of(name, url)
    except Exception:  # the study may not exist yet
        return []
