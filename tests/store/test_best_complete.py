"""The best complete trial as status and the live dashboard show it, chosen in SQL (one row)."""

import math
import uuid

import optuna
import pytest

from sweeper.store import reads
from sweeper.store.engines import open_storage
from sweeper.store.optuna_private import study_id


@pytest.mark.parametrize(
    "direction, values, best",
    [
        ("maximize", [5.0, 7.0, 3.0], (1, 7.0)),
        ("maximize", [5.0, math.inf, 7.0], (1, math.inf)),  # an infinity beats every number
        ("maximize", [-math.inf, 2.0], (1, 2.0)),
        ("minimize", [5.0, -math.inf, 3.0], (1, -math.inf)),
        ("minimize", [math.inf, 4.0, 9.0], (1, 4.0)),
        ("maximize", [7.0, 7.0], (0, 7.0)),  # a tie: the earlier trial
        ("minimize", [2.0, 2.0], (0, 2.0)),
    ],
)
def test_the_best_complete_trial(any_url, direction, values, best):
    storage = open_storage(any_url)
    study = optuna.create_study(
        study_name=f"best-{uuid.uuid4().hex[:8]}", storage=storage, direction=direction
    )
    for value in values:
        study.tell(study.ask(), value)
    study.tell(study.ask(), state=optuna.trial.TrialState.PRUNED)  # not complete: left out
    with storage.engine.connect() as connection:
        assert reads.best_complete(connection, study_id(study), direction) == best
    storage.engine.dispose()


def test_no_complete_trial_has_no_best(storage_url):
    storage = open_storage(storage_url)
    study = optuna.create_study(study_name="none", storage=storage)
    study.tell(study.ask(), state=optuna.trial.TrialState.FAIL)
    with storage.engine.connect() as connection:
        assert reads.best_complete(connection, study_id(study), "minimize") is None
    storage.engine.dispose()
