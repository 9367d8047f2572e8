"""The one vocabulary of what became of a trial, and the one count (sweeper/outcomes.py)."""

import pytest

from sweeper.outcomes import (
    MAX_DEATHS,
    STATUSES,
    Attempt,
    Kind,
    Outcome,
    count,
    deaths_in_a_row,
    derived,
    statuses,
)

FIRST = Attempt.first


def test_each_outcome_says_whether_it_is_retried_final_and_in_the_budget():
    retried = {o for o in Outcome if o.retried}
    assert retried == {
        Outcome.DIED,
        Outcome.INTERRUPTED,
        Outcome.MACHINE_FAULT,
        Outcome.TAKEN_BACK,
    }
    # Only deaths count towards giving up: an interrupt or this machine's fault is no reason.
    assert {o for o in Outcome if o.deadly} == {Outcome.DIED, Outcome.TAKEN_BACK}
    assert not Outcome.PAUSED.final and not Outcome.DIED.final and Outcome.GAVE_UP.final
    assert [o for o in Outcome if not o.in_budget] == [Outcome.OVER_BUDGET]
    assert Outcome.DIVERGED.optuna_state == "PRUNED" and Outcome.GAVE_UP.optuna_state == "FAIL"


def test_a_trial_counts_once_by_its_latest_attempt():
    paused = FIRST(0).ended(Outcome.PAUSED, "at epoch 1")
    promoted = paused.follow_up(3, Kind.PROMOTION, target_epochs=3)
    died = promoted.ended(Outcome.DIED, "after epoch 2: executor exited with code 137")
    retry = died.follow_up(5, Kind.RETRY)
    attempts = [
        ("PRUNED", paused),
        ("COMPLETE", FIRST(1).ended(Outcome.COMPLETED)),
        ("FAIL", FIRST(2).ended(Outcome.OVER_BUDGET)),
        ("FAIL", died),
        ("FAIL", FIRST(4).ended(Outcome.FAILED, "RuntimeError: boom")),
        ("RUNNING", retry),
        ("WAITING", FIRST(6)),
    ]
    assert statuses(attempts) == [
        "resumed",
        "completed",
        "over budget",
        "retried",
        "failed",
        "running",
        "waiting",
    ]
    counts = count(attempts)
    assert counts.trials == 4 and counts.attempts == 7 and counts.done == 2
    assert dict(counts.by_status) == {"running": 1, "waiting": 1, "completed": 1, "failed": 1}


def test_a_lost_attempt_without_its_retry_is_a_lost_trial():
    lost = FIRST(0).ended(Outcome.INTERRUPTED, "after epoch 2")
    assert statuses([("FAIL", lost)]) == ["lost"]
    assert count([("FAIL", lost)]).done == 1


def test_deaths_in_a_row_reset_by_any_other_ending():
    a = FIRST(0).ended(Outcome.DIED)
    b = a.follow_up(1, Kind.RETRY).ended(Outcome.INTERRUPTED)
    c = b.follow_up(2, Kind.RETRY).ended(Outcome.TAKEN_BACK)
    d = c.follow_up(3, Kind.RETRY).ended(Outcome.DIED)
    assert deaths_in_a_row([a]) == 1
    assert deaths_in_a_row([a, b]) == 0  # an interrupt is no death
    assert deaths_in_a_row([d, c, b, a]) == 2  # by number, whatever the order given
    assert MAX_DEATHS >= 2


def test_the_stop_reason_optunas_cli_shows_is_derived_from_the_record():
    assert FIRST(0).stop_reason() is None
    assert FIRST(0).ended(Outcome.COMPLETED).stop_reason() == "completed"
    diverged = FIRST(0).ended(Outcome.DIVERGED, "train loss is nan at epoch 2")
    assert diverged.stop_reason() == "diverged: train loss is nan at epoch 2"


def test_a_record_survives_its_row():
    attempt = FIRST(4).ended(Outcome.PAUSED, "at epoch 3").follow_up(9, Kind.PROMOTION, 9)
    assert Attempt.from_row(attempt.to_row()) == attempt
    # As a SQL NULL reads back through pandas: NaN.
    row = {**attempt.to_row(), "previous": float("nan"), "outcome": float("nan")}
    assert Attempt.from_row(row) == Attempt(9, 4, Kind.PROMOTION, None, 9)


@pytest.mark.parametrize(
    "state, reason, system, pausing, outcome",
    [
        ("COMPLETE", "completed", {}, False, Outcome.COMPLETED),
        ("PRUNED", "pruned", {}, True, Outcome.PAUSED),
        ("PRUNED", "pruned", {}, False, Outcome.PRUNED),
        ("PRUNED", "diverged: train loss is nan", {}, True, Outcome.DIVERGED),
        ("COMPLETE", "diverged: accuracy at chance", {}, False, Outcome.DIVERGED),
        ("FAIL", "failed: CUDA out of memory", {}, False, Outcome.FAILED),
        ("FAIL", "executor died (exit code 137) after epoch 1", {}, False, Outcome.DIED),
        ("FAIL", "interrupted after epoch 2", {}, False, Outcome.INTERRUPTED),
        ("FAIL", "interrupted: no space left", {}, False, Outcome.MACHINE_FAULT),
        ("FAIL", "taken back: its supervisor is gone", {}, False, Outcome.TAKEN_BACK),
        ("FAIL", "over budget", {}, False, Outcome.OVER_BUDGET),
        # Plain Optuna: a failure with no reason, one its stale heartbeat caused.
        ("FAIL", None, {}, False, Outcome.FAILED),
        ("FAIL", None, {"fail_reason": "Trial 3 failed: heartbeat"}, False, Outcome.TAKEN_BACK),
        ("RUNNING", None, {}, False, None),
    ],
)
def test_studies_written_before_records_read_as_they_meant(state, reason, system, pausing, outcome):
    user = {"stop_reason": reason} if reason else {}
    assert derived(3, state, user, system, pausing=pausing).outcome is outcome


def test_the_attempts_of_older_studies_are_linked_by_their_attributes():
    retry = derived(
        5, "FAIL", {"retry_of": 2}, {"failed_trial": 2, "retry_history": [2]}, pausing=False
    )
    assert (retry.first_attempt, retry.kind, retry.previous) == (2, Kind.RETRY, 2)
    copy = derived(
        7,
        "RUNNING",
        {"retry_of": 2, "promoted_from": 5},
        {"resume_of": 2, "promoted_to": 9},
        pausing=True,
    )
    assert (copy.first_attempt, copy.kind, copy.previous, copy.target_epochs) == (
        2,
        Kind.PROMOTION,
        5,
        9,
    )
    # Optuna's RetryFailedTrialCallback links its retries by `failed_trial` alone.
    assert derived(8, "COMPLETE", {}, {"failed_trial": 1}, pausing=False).first_attempt == 1


def test_every_status_is_listed_once():
    assert len(set(STATUSES)) == len(STATUSES)
    assert {o.value for o in Outcome if o.final or o is Outcome.PAUSED} - {"over budget"} <= set(
        STATUSES
    )
