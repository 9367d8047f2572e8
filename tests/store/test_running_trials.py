"""A study's RUNNING trials as status and the live dashboard read them (reads.running_trials)."""

import uuid

import optuna

from sweeper.store import reads
from sweeper.store.engines import open_storage
from sweeper.store.optuna_private import study_id


def test_running_trials_before_and_after_their_supervisor_names_host_and_device(any_url):
    # A trial just asked has no host or device yet, while the others have: pandas reads the
    # missing ones of such a column as NaN, which must come back as None, not as a crash of
    # every live poll.
    storage = open_storage(any_url)
    study = optuna.create_study(study_name=f"running-{uuid.uuid4().hex[:8]}", storage=storage)
    named, fresh = study.ask(), study.ask()
    named.set_user_attr("host", "gpu-node-1")
    named.set_user_attr("device", "cuda:0")
    study.tell(study.ask(), 1.0)  # finished: not listed
    with storage.engine.connect() as connection:
        running = reads.running_trials(connection, study_id(study))
    assert running["number"].tolist() == [named.number, fresh.number]
    assert running["host"].tolist() == ["gpu-node-1", None]
    assert running["device"].tolist() == ["cuda:0", None]
    assert running["datetime_start"].notna().all()
    storage.engine.dispose()
