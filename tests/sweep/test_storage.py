"""TrialWriteBuffer's batched writes and sweeper's heartbeat rows, as Optuna reads them, on SQLite and PostgreSQL."""

import math
import time
import uuid

import optuna
from optuna.trial import TrialState

from sweeper.store.engines import open_storage, read_engine
from sweeper.store.writes import TrialWriteBuffer, record_heartbeats


def epoch_rows(url, trial_id):
    with read_engine(url).connect() as connection:
        return connection.exec_driver_sql(
            f"SELECT epoch, val_acc FROM sweeper_epochs WHERE trial_id = {int(trial_id)} ORDER BY epoch"
        ).all()


def test_a_trial_log_writes_nothing_before_its_flush_then_everything_as_optuna_reads_it(any_url):
    name = f"log-{uuid.uuid4().hex[:8]}"
    storage = open_storage(any_url)
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    trial = study.ask()
    log = TrialWriteBuffer(storage.engine, flush_every_s=3600)
    for epoch, acc in enumerate([40.0, 55.0, math.nan], 1):
        log.epoch(trial._trial_id, epoch, {"val_acc": acc, "train_loss": 1 / epoch})
        if acc == acc:
            log.pruning_value(trial._trial_id, epoch, acc)
    log.epoch(trial._trial_id, 2, {"val_acc": 56.0})  # a resumed trial reports epoch 2 again
    log.pruning_value(trial._trial_id, 2, 56.0)
    log.set_attrs(trial._trial_id, {"config": {"lr": 0.1}, "host": "box"})
    log.set_attrs(trial._trial_id, {"host": "other"})

    seen = optuna.load_study(study_name=name, storage=any_url).trials[0]
    assert (
        seen.intermediate_values == {}
        and seen.user_attrs == seen.system_attrs == {}
        and epoch_rows(any_url, trial._trial_id) == []
    )

    log.flush()
    seen = optuna.load_study(study_name=name, storage=any_url).trials[0]
    assert seen.intermediate_values == {1: 40.0, 2: 56.0}
    # The long attributes go where Optuna's CLI and optuna-dashboard do not print them.
    assert seen.user_attrs == {"host": "other"} and seen.system_attrs == {"config": {"lr": 0.1}}
    rows = epoch_rows(any_url, trial._trial_id)
    assert [r[0] for r in rows] == [1, 2, 3] and rows[1][1] == 56.0
    assert rows[2][1] is None or math.isnan(rows[2][1])  # SQLite keeps a NaN as NULL

    study.tell(
        trial, state=TrialState.PRUNED
    )  # Optuna takes a pruned trial's value from its last report
    assert optuna.load_study(study_name=name, storage=any_url).trials[0].value == 56.0
    storage.engine.dispose()


def test_heartbeat_rows_are_the_ones_optunas_stale_trial_check_reads(any_url):
    name = f"beat-{uuid.uuid4().hex[:8]}"
    storage = open_storage(any_url, heartbeat_interval=1, grace_period=1)
    study = optuna.create_study(study_name=name, storage=storage)
    lost, alive, _never_beaten = study.ask(), study.ask(), study.ask()
    with storage.engine.begin() as connection:
        record_heartbeats(connection, [lost._trial_id, alive._trial_id])
    time.sleep(2.2)
    with storage.engine.begin() as connection:
        record_heartbeats(connection, [alive._trial_id])  # a second beat replaces the first
    optuna.storages.fail_stale_trials(study)
    states = [t.state for t in optuna.load_study(study_name=name, storage=any_url).trials]
    # Optuna fails only trials whose last heartbeat is older than the grace period.
    assert states == [TrialState.FAIL, TrialState.RUNNING, TrialState.RUNNING]
    storage.engine.dispose()
