"""Attempt records in sweeper_attempts: queued in one transaction with their trial, one
follow-up per attempt across machines, and the budget's SQL count equal to the one count."""

from __future__ import annotations

import uuid

import optuna
import pytest
import sqlalchemy as sa
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState

from sweeper.outcomes import Attempt, Kind, Outcome, count
from sweeper.store import reads, writes
from sweeper.store.engines import open_storage
from sweeper.store.optuna_private import engine_of, study_id, trial_id

DISTS = {"lr": FloatDistribution(1e-4, 1.0, log=True), "opt": CategoricalDistribution(["a", "b"])}


def new_study(url):
    storage = open_storage(url)
    study = optuna.create_study(
        study_name=f"attempts-{uuid.uuid4().hex[:8]}", storage=storage, direction="maximize"
    )
    return storage, study


def ask(study):
    trial = study.ask(DISTS)
    with engine_of(study).begin() as connection:
        attempt = writes.start_trial(connection, trial_id(trial), {}, pausing=True)
    return trial, attempt


def test_a_queued_attempt_is_the_trial_optunas_add_trial_would_queue(any_url):
    storage, study = new_study(any_url)
    trial = study.ask(DISTS)
    first = Attempt.first(trial.number).ended(Outcome.PAUSED, "at epoch 1")
    frozen = study.tell(trial, state=TrialState.PRUNED)
    with storage.engine.begin() as connection:
        copy = writes.queue_attempt(
            connection, study_id(study), first, Kind.PROMOTION, frozen, target_epochs=3
        )
    study.add_trial(
        optuna.create_trial(
            state=TrialState.WAITING,
            params=frozen.params,
            distributions=frozen.distributions,
            user_attrs={"retry_of": 0, "promoted_from": 0},
            system_attrs={"failed_trial": 0},
        )
    )
    ours, optunas = study.get_trials()[1:]
    assert (copy.number, copy.first_attempt, copy.previous, copy.target_epochs) == (1, 0, 0, 3)
    assert ours.state == optunas.state == TrialState.WAITING
    for field in ("params", "distributions", "user_attrs", "system_attrs", "datetime_start"):
        assert getattr(ours, field) == getattr(optunas, field), field
    assert (ours.number, optunas.number) == (1, 2)
    # Optuna's ask takes our copy first, with its params, as it would its own.
    asked = study.ask()
    assert asked.number == 1 and asked.params == frozen.params
    storage.engine.dispose()


def test_an_attempt_is_continued_once_whichever_machine_queues_it(any_url):
    """Two supervisors promoting (or retrying) the same attempt at once: the storage takes one
    copy; the other's whole transaction, its trial included, is refused."""
    here, study = new_study(any_url)
    there = open_storage(any_url)
    trial = study.ask(DISTS)
    frozen = study.tell(trial, state=TrialState.PRUNED)
    paused = Attempt.first(trial.number).ended(Outcome.PAUSED)
    with here.engine.begin() as connection:
        writes.queue_attempt(connection, study_id(study), paused, Kind.PROMOTION, frozen)
    with pytest.raises(sa.exc.IntegrityError), there.engine.begin() as connection:
        writes.queue_attempt(connection, study_id(study), paused, Kind.PROMOTION, frozen)
    assert [t.state for t in study.get_trials()] == [TrialState.PRUNED, TrialState.WAITING]
    here.engine.dispose()
    there.engine.dispose()


def test_the_budgets_sql_counts_what_every_command_counts(any_url):
    """A study with every kind of attempt: the supervisor's SQL tally, the rank check and the
    one count of the read side (status, report, dashboard) agree."""
    storage, study = new_study(any_url)
    sid = study_id(study)
    engine = storage.engine
    buffer = writes.TrialWriteBuffer(engine)

    def end(trial, attempt, outcome, state):
        ended = attempt.ended(outcome)
        buffer.end_attempt(trial_id(trial), sid, ended)
        buffer.flush()
        return ended, study.tell(trial, 50.0 if state == TrialState.COMPLETE else None, state=state)

    def follow(ended, frozen, kind):
        with engine.begin() as connection:
            writes.queue_attempt(connection, sid, ended, kind, frozen)

    t0, a0 = ask(study)  # paused, promoted, its copy completes
    e0, f0 = end(t0, a0, Outcome.PAUSED, TrialState.PRUNED)
    t1, a1 = ask(study)  # died, its retry waits
    e1, f1 = end(t1, a1, Outcome.DIED, TrialState.FAIL)
    follow(e0, f0, Kind.PROMOTION)
    follow(e1, f1, Kind.RETRY)
    t4, a4 = ask(study)  # takes the promoted copy (number 2)
    assert (t4.number, a4.kind, a4.first_attempt) == (2, Kind.PROMOTION, 0)
    end(t4, a4, Outcome.COMPLETED, TrialState.COMPLETE)
    t5, a5 = ask(study)  # the retry of 1 (number 3), running
    assert (t5.number, a5.kind, a5.first_attempt) == (3, Kind.RETRY, 1)
    t6, a6 = ask(study)  # a new trial, failed by its own error
    end(t6, a6, Outcome.FAILED, TrialState.FAIL)
    t7, a7 = ask(study)  # one over budget
    end(t7, a7, Outcome.OVER_BUDGET, TrialState.FAIL)
    study.enqueue_trial({"lr": 0.5, "opt": "a"})  # a grid point, no record yet

    used, waiting, running = writes.budget_tally(engine, sid)
    with engine.connect() as connection:
        frame = reads.attempts(connection, sid, pausing=True)
        below = writes.budget_used_below(connection, sid, t7.number)
    counts = count(zip(frame["state"], frame["attempt"]))
    assert (used, waiting, running) == (counts.trials, counts["waiting"], counts["running"])
    assert (used, waiting, running) == (4, 1, 1)  # trials 0, 1, 4 and the grid point
    assert dict(counts.by_status) == {"running": 1, "waiting": 1, "completed": 1, "failed": 1}
    assert counts.attempts == 7
    assert below == 3  # the over-budget trial saw three trials before it
    storage.engine.dispose()


def test_a_study_from_before_records_gets_them_from_its_attributes(storage_url):
    storage, study = new_study(storage_url)
    for state, attrs, system in (
        (TrialState.FAIL, {"stop_reason": "executor died (exit code 9) after epoch 1"}, {}),
        (TrialState.COMPLETE, {"retry_of": 0, "stop_reason": "completed"}, {"failed_trial": 0}),
        (TrialState.PRUNED, {"stop_reason": "pruned"}, {}),
    ):
        study.add_trial(
            optuna.create_trial(
                state=state,
                value=1.0 if state == TrialState.COMPLETE else None,
                params={"lr": 0.1},
                distributions={"lr": DISTS["lr"]},
                user_attrs=attrs,
                system_attrs=system,
                intermediate_values={1: 1.0},
            )
        )
    assert writes.adopt_attempts(storage.engine, study_id(study), pausing=True) == 3
    assert writes.adopt_attempts(storage.engine, study_id(study), pausing=True) == 0
    with storage.engine.connect() as connection:
        records = [a for _, a, _ in writes.attempts_of(connection, study_id(study))]
    assert [(a.first_attempt, a.kind, a.outcome) for a in records] == [
        (0, Kind.FIRST, Outcome.DIED),
        (0, Kind.RETRY, Outcome.COMPLETED),
        (2, Kind.FIRST, Outcome.PAUSED),
    ]
    storage.engine.dispose()


def test_infinite_and_nan_intermediate_values_read_back_as_stored(storage_url):
    """Optuna keeps NaN and +-inf as a value type beside an empty number: a plain study's
    curve reads back with them, not NaN for all three."""
    import math

    study = optuna.create_study(study_name="plain-inf", storage=storage_url)
    trial = study.ask()
    for step, value in enumerate([math.inf, -math.inf, math.nan, 0.5]):
        trial.report(value, step)
    study.tell(trial, 0.5)
    engine = sa.create_engine(storage_url)
    with engine.connect() as connection:
        frame = reads.read_epochs(connection, study_id(study), "value")
    values = frame["value"].tolist()
    assert values[:2] == [math.inf, -math.inf] and math.isnan(values[2]) and values[3] == 0.5
    assert frame["epoch"].tolist() == [1, 2, 3, 4]  # steps 0.. read as epochs 1..
    engine.dispose()
