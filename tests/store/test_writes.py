"""Writes past Optuna's API land only on trials that are still RUNNING.

Another machine may finish or fail a trial (its stale check, `tell`) while this supervisor still
holds rows for it in its batch: those rows must not land on the finished trial, as Optuna's own
writes would refuse them (UpdateFinishedTrialError). Same for the heartbeat and owner rows.
"""

import uuid

import optuna
import pytest
from optuna.trial import TrialState

from sweeper.store.engines import open_storage
from sweeper.store.optuna_private import trial_id
from sweeper.store.writes import TrialWriteBuffer, attempts_of, record_heartbeats, start_trial


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
        assert start_trial(connection, trial_id(failed), {"supervisor": "x"}, pausing=False) is None
        start_trial(connection, trial_id(alive), {"supervisor": "here:1:2"}, pausing=False)
        record_heartbeats(connection, [trial_id(failed), trial_id(alive)])  # later beats
    frozen, _, beats = rows_of(any_url, trial_id(failed))
    assert (frozen.user_attrs, beats) == ({}, 0)
    frozen, _, beats = rows_of(any_url, trial_id(alive))
    assert (frozen.user_attrs, beats) == ({"supervisor": "here:1:2"}, 1)
    with here.engine.connect() as connection:  # the failed one has no record either
        assert [a.number for _, a, _ in attempts_of(connection, study._study_id)] == [alive.number]
    here.engine.dispose()
