"""Every use of Optuna's private API in sweeper, each behind a small function.

Optuna does not promise these across versions: when one changes, this module (and the schema
in schema.py) is all there is to mend, and tests/store/test_boundary.py keeps it that way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import optuna
from optuna.trial import FrozenTrial, TrialState


def trial_id(trial: optuna.trial.Trial | FrozenTrial) -> int:
    """A trial's row id in Optuna's tables (not its number within the study)."""
    return trial._trial_id


def study_id(study: optuna.Study) -> int:
    """A study's row id in Optuna's tables."""
    return study._study_id


def engine_of(study: optuna.Study):
    """The SQLAlchemy engine of a study's RDBStorage (which Optuna wraps in a cache)."""
    storage = study._storage
    return getattr(storage, "_backend", storage).engine


def new_trial(study: optuna.Study) -> optuna.trial.Trial:
    """A new RUNNING trial, without Study.ask's search for a WAITING one (seven queries)."""
    return optuna.trial.Trial(study, study._storage.create_new_trial(study._study_id))


def trial_by_number(study: optuna.Study, number: int) -> FrozenTrial:
    """The trial numbered `number`, read from the storage now."""
    storage = study._storage
    return storage.get_trial(
        storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    )


def running_frozen_trial(
    study: optuna.Study, trial: optuna.trial.Trial, values: dict[int, float]
) -> FrozenTrial:
    """What a pruner is handed for a running trial whose intermediate values are `values`,
    built without reading the trial back; its system attributes are read only when a pruner
    looks at them (successive halving keeps its rungs there)."""
    return FrozenTrial(
        number=trial.number,
        state=TrialState.RUNNING,
        value=None,
        datetime_start=trial.datetime_start,
        datetime_complete=None,
        params=trial.params,
        distributions=trial.distributions,
        user_attrs={},
        system_attrs=_SystemAttrs(study._storage, trial._trial_id),
        intermediate_values=dict(values),
        trial_id=trial._trial_id,
    )


class _SystemAttrs(Mapping):
    """A trial's system attributes, read on first use."""

    def __init__(self, storage, trial_id: int):
        self._storage = storage
        self._trial_id = trial_id
        self._attrs: dict | None = None

    def _read(self) -> dict:
        if self._attrs is None:
            self._attrs = self._storage.get_trial_system_attrs(self._trial_id)
        return self._attrs

    def __getitem__(self, key):
        return self._read()[key]

    def __iter__(self) -> Iterator:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def inner_pruner(pruner: optuna.pruners.BasePruner) -> optuna.pruners.BasePruner:
    """The pruner a PatientPruner wraps (sweeper's `patience`), or the pruner itself."""
    return getattr(pruner, "_wrapped_pruner", pruner)
