"""Writes past Optuna's API land only on trials that are still RUNNING.

Another machine may finish or fail a trial (its stale check, `tell`) while this supervisor still
holds rows for it in its batch: those rows must not land on the finished trial, as Optuna's own
writes would refuse them (UpdateFinishedTrialError). Same for the heartbeat and owner rows.
"""

import functools
import time
import uuid

import optuna
import pytest
import sqlalchemy as sa
from optuna.trial import TrialState

from sweeper.store import schema
from sweeper.store.engines import open_storage
from sweeper.store.optuna_private import trial_id
from sweeper.store.writes import TrialWriteBuffer, record_heartbeats, start_trial


def rows_of(url, tid):
    """What the storage holds for a trial, read by a third connection."""
    storage = optuna.storages.RDBStorage(url)
    try:
        frozen = storage.get_trial(tid)
        with storage.engine.connect() as connection:
            epochs = connection.exec_driver_sql(
                f"SELECT COUNT(*) FROM sweeper_epochs WHERE trial_id = {int(tid)}"
            ).scalar()
            beats = connection.exec_driver_sql(
                f"SELECT COUNT(*) FROM trial_heartbeats WHERE trial_id = {int(tid)}"
            ).scalar()
        return frozen, epochs, beats
    finally:
        storage.engine.dispose()


@pytest.mark.parametrize("ending", [TrialState.FAIL, TrialState.COMPLETE])
def test_a_batch_flushed_after_another_machine_ended_the_trial_drops_its_rows(any_url, ending):
    name = f"late-{uuid.uuid4().hex[:8]}"
    here = open_storage(any_url)
    study = optuna.create_study(study_name=name, storage=here, direction="maximize")
    ended, alive = study.ask(), study.ask()
    log = TrialWriteBuffer(here.engine, flush_every_s=3600)
    for trial in (ended, alive):
        log.epoch(trial_id(trial), 1, {"val_acc": 50.0})
        log.pruning_value(trial_id(trial), 1, 50.0)
        log.set_attrs(trial_id(trial), {"host": "here"})

    # Another machine, through its own storage, ends the first trial meanwhile.
    there = open_storage(any_url)
    other = optuna.load_study(study_name=name, storage=there)
    other.tell(ended.number, 1.0 if ending == TrialState.COMPLETE else None, state=ending)
    there.engine.dispose()

    log.flush()
    assert not log.pending()
    frozen, epochs, _ = rows_of(any_url, trial_id(ended))
    assert frozen.state == ending
    assert (frozen.user_attrs, frozen.intermediate_values, epochs) == ({}, {}, 0)
    frozen, epochs, _ = rows_of(any_url, trial_id(alive))
    assert frozen.user_attrs == {"host": "here"} and frozen.intermediate_values == {1: 50.0}
    assert epochs == 1

    # A restart's rewind must not strip a finished trial's curve either.
    with here.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
            f"intermediate_value_type) VALUES ({trial_id(ended)}, 1, 1.0, 'FINITE')"
        )
    log.forget_epochs(trial_id(ended), 1)
    assert rows_of(any_url, trial_id(ended))[0].intermediate_values == {1: 1.0}
    here.engine.dispose()


def test_heartbeats_and_owner_attrs_skip_a_trial_another_machine_failed(any_url):
    name = f"beat-{uuid.uuid4().hex[:8]}"
    here = open_storage(any_url)
    study = optuna.create_study(study_name=name, storage=here)
    failed, alive = study.ask(), study.ask()
    there = open_storage(any_url)
    optuna.load_study(study_name=name, storage=there).tell(failed.number, state=TrialState.FAIL)
    there.engine.dispose()

    with here.engine.begin() as connection:
        start_trial(connection, trial_id(failed), {"supervisor": "here:1:2"})
        start_trial(connection, trial_id(alive), {"supervisor": "here:1:2"})
        record_heartbeats(connection, [trial_id(failed), trial_id(alive)])  # later beats
    frozen, _, beats = rows_of(any_url, trial_id(failed))
    assert (frozen.user_attrs, beats) == ({}, 0)
    frozen, _, beats = rows_of(any_url, trial_id(alive))
    assert (frozen.user_attrs, beats) == ({"supervisor": "here:1:2"}, 1)
    here.engine.dispose()


def test_one_paused_trial_is_claimed_for_promotion_by_one_machine_only(any_url):
    """Two supervisors that both see a paused trial due for promotion: only one may queue the
    copy, or both copies would resume (and write) the same checkpoints."""
    from sweeper.store.writes import claim_promotion

    name = f"claim-{uuid.uuid4().hex[:8]}"
    here, there = open_storage(any_url), open_storage(any_url)
    study = optuna.create_study(study_name=name, storage=here, direction="maximize")
    paused, other = study.ask(), study.ask()
    study.tell(paused, state=TrialState.PRUNED)
    study.tell(other, state=TrialState.PRUNED)
    claim = functools.partial(claim_promotion, copy_attr="promoted_from", stale_after_s=60)
    assert claim(here.engine, trial_id(paused))
    assert not claim(there.engine, trial_id(paused))
    assert not claim(here.engine, trial_id(paused))
    assert claim(there.engine, trial_id(other))
    here.engine.dispose()
    there.engine.dispose()


def test_a_claim_whose_machine_died_before_queueing_the_copy_is_taken_over_once(any_url):
    """Claim and copy are two writes: a supervisor killed between them must not leave the
    trial paused for good. Once the claim is older than the grace period and no copy names
    the trial, one machine (and only one) takes the claim over; a copy, or a fresh claim,
    keeps it."""
    from sweeper.store.writes import claim_promotion

    name = f"stale-{uuid.uuid4().hex[:8]}"
    here, there = open_storage(any_url), open_storage(any_url)
    study = optuna.create_study(study_name=name, storage=here, direction="maximize")
    paused, copied = study.ask(), study.ask()
    for trial in (paused, copied):
        study.tell(trial, state=TrialState.PRUNED)
    claim = functools.partial(claim_promotion, copy_attr="promoted_from", stale_after_s=60)
    assert claim(here.engine, trial_id(paused)) and claim(here.engine, trial_id(copied))
    study.enqueue_trial({}, user_attrs={"promoted_from": copied.number})  # its copy, queued
    assert not claim(there.engine, trial_id(paused))  # fresh: its machine may be copying now

    with here.engine.begin() as connection:  # both claims made 61 s ago
        claimed_at = schema.promotions.c.claimed_at
        connection.execute(sa.update(schema.promotions).values(claimed_at=claimed_at - 61))
    assert not claim(there.engine, trial_id(copied))  # its copy exists
    assert claim(there.engine, trial_id(paused))  # no copy: the claimer died
    assert not claim(here.engine, trial_id(paused))  # taken over once, and fresh again
    here.engine.dispose()
    there.engine.dispose()


def test_a_machine_whose_clock_runs_ahead_takes_over_no_fresh_claim(any_url, monkeypatch):
    """Claims are timed by the database: a machine whose clock is an hour ahead (more than any
    grace period) must not read another's fresh claim as stale, or two copies would resume,
    and write, one checkpoint."""
    from sweeper.store.writes import claim_promotion

    name = f"skew-{uuid.uuid4().hex[:8]}"
    here, there = open_storage(any_url), open_storage(any_url)
    study = optuna.create_study(study_name=name, storage=here, direction="maximize")
    paused = study.ask()
    study.tell(paused, state=TrialState.PRUNED)
    claim = functools.partial(claim_promotion, copy_attr="promoted_from", stale_after_s=60)
    assert claim(here.engine, trial_id(paused))
    ahead = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: ahead)
    assert not claim(there.engine, trial_id(paused))
    here.engine.dispose()
    there.engine.dispose()


def test_the_database_clock_reads_as_each_backend_can():
    """MySQL has no EXTRACT(epoch ...) (no server here to run it on: the SQL is checked)."""
    from sqlalchemy.dialects import mysql, postgresql

    from sweeper.store.writes import unix_now

    assert "UNIX_TIMESTAMP(NOW(6))" in str(unix_now("mysql").compile(dialect=mysql.dialect()))
    assert "EXTRACT(epoch FROM now())" in str(
        unix_now("postgresql").compile(dialect=postgresql.dialect())
    )


def test_the_budget_query_casts_as_each_backend_can():
    """MySQL has no CAST(... AS INTEGER): the same count must parse there (no server here to
    run it on, so the rendered SQL is checked)."""
    from sweeper.store import writes

    for template in (writes._TALLY, writes._USED_BELOW):
        assert "AS SIGNED" in str(writes._budget_sql(template, "mysql"))
        assert "AS INTEGER" in str(writes._budget_sql(template, "postgresql"))
