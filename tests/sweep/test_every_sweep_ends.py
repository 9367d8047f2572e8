"""Every sweep ends: a trainer that kills, crashes or hangs its process every time is retried a
bounded number of times, counts in the budget once, and stops the run with one line."""

from __future__ import annotations

import pytest

from sweeper.outcomes import MAX_DEATHS, Outcome
from tests.conftest import cli_env, records, run_cli

STUDY = """
from sweeper import Study, choice
study = Study(name="dies", train=dict({train}), space=dict(lr=choice([0.1, 0.05])),
              n_trials={n_trials}, trainer="tests.fake_trainer:fit", sampler="grid",
              pruner="none"{extra})
"""


def sweep(write_study, tmp_path, *, n_trials=2, extra="", train="epochs=3", **env):
    study = write_study(STUDY.format(n_trials=n_trials, extra=extra, train=train))
    return run_cli(
        "run",
        study,
        "--storage",
        f"sqlite:///{tmp_path / 's.db'}",
        "--artifacts",
        tmp_path / "runs",
        cwd=tmp_path,
        timeout=120,
        env=cli_env(**env),
    )


@pytest.mark.parametrize(
    "how, said",
    [
        ("exit", "exited with code 137 (128 + SIGKILL) (the kernel's out-of-memory killer"),
        ("segv", "killed by SIGSEGV (a crash in native code"),
    ],
)
def test_a_trainer_whose_process_dies_every_time_gives_up_and_the_run_stops(
    how, said, write_study, tmp_path
):
    url = f"sqlite:///{tmp_path / 's.db'}"
    done = sweep(write_study, tmp_path, FAKE_DIE=how)
    # Three losses in a row, whichever trials they were, stop the run with one line.
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: 3 trials in a row failed or lost their executor")
    assert said in line and "lr=0.1" in line
    # Each run goes on where the last stopped; a trial gives up after MAX_DEATHS deaths in a
    # row, uses the budget once, and the sweep ends with the budget used.
    for _ in range(4):
        if done.returncode == 0:
            break
        done = sweep(write_study, tmp_path, FAKE_DIE=how)
    assert done.returncode == 0, done.stderr
    assert "2 trials (2 gave up)" in done.stdout
    found = records(url, "dies")
    assert len(found) == 2 * MAX_DEATHS
    for first in (0, 1):
        lineage = [a for a in found.values() if a.first_attempt == first]
        assert [a.outcome for a in lineage] == [Outcome.DIED] * (MAX_DEATHS - 1) + [Outcome.GAVE_UP]
        assert said in lineage[-1].detail and lineage[-1].detail.startswith("lost 3 attempts")
    status = run_cli("status", "--storage", url, cwd=tmp_path)
    assert "2/2" in status.stdout and "gave up" in status.stdout
    assert sweep(write_study, tmp_path, FAKE_DIE=how).returncode == 0  # nothing left to do


def test_a_trainer_that_hangs_past_the_epoch_timeout_is_killed_and_given_up(write_study, tmp_path):
    done = sweep(write_study, tmp_path, n_trials=1, extra=", epoch_timeout=2", FAKE_DIE="hang")
    assert done.returncode == 2, done.stderr
    assert "no epoch reported for 2 s (epoch_timeout)" in done.stderr
    found = records(f"sqlite:///{tmp_path / 's.db'}", "dies")
    assert found[len(found) - 1].outcome is Outcome.GAVE_UP


def test_one_death_is_retried_from_the_checkpoint_and_the_sweep_goes_on(write_study, tmp_path):
    """dropout 0.5: the fake trainer's process dies after epoch 1 of a first attempt only."""
    done = sweep(write_study, tmp_path, train="epochs=3, dropout=0.5")
    assert done.returncode == 0, done.stderr
    assert "2 trials (2 completed)" in done.stdout
    found = records(f"sqlite:///{tmp_path / 's.db'}", "dies")
    died = [a for a in found.values() if a.outcome is Outcome.DIED]
    completed = [a for a in found.values() if a.outcome is Outcome.COMPLETED]
    assert len(died) == 2 and len(completed) == 2
    assert {a.first_attempt for a in completed} == {a.number for a in died}
