"""Pruning decisions without reading the whole study back from the database at every epoch.

Optuna's Trial.should_prune hands the pruner the study, and the pruner reads the study's
trials, so every epoch of every trial re-reads every unfinished trial, one query per table
(seven round trips). The supervisor instead hands the pruner a StudySnapshot: the trials as
read at most `max_age_s` ago, with the trials this supervisor has finished since put in as
Optuna's tell returns them. A pruner compares a running trial with finished ones; other
machines' trials reach this one no faster than their batched writes anyway.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Container

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeper.outcomes import Attempt
from sweeper.store import optuna_private, writes


class StudySnapshot:
    """An Optuna study whose get_trials answers from a copy at most `max_age_s` old, with the
    attempt records (`records`: number → sweeper.outcomes.Attempt) read with it.

    Pruners ask for the same trials at every epoch: each filtered list is kept until the copy
    changes, so a decision costs no pass over a study of 10,000 trials.
    """

    def __init__(self, study: optuna.Study, max_age_s: float):
        self._study = study
        self._max_age_s = max_age_s
        self._records: dict[int, Attempt] = {}
        self._trials: list[FrozenTrial] = []
        self._position: dict[int, int] = {}  # trial number: index in _trials
        self._filtered: dict[frozenset | None, list[FrozenTrial]] = {}
        self._read_at = float("-inf")

    def __getattr__(self, name: str):
        # direction, study_name, the storage: what pruners use besides trials.
        return getattr(self._study, name)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        self._refresh()
        key = None if states is None else frozenset(states)
        if key not in self._filtered:
            self._filtered[key] = [t for t in self._trials if key is None or t.state in key]
        trials = self._filtered[key]
        return copy.deepcopy(trials) if deepcopy else list(trials)

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    @property
    def records(self) -> dict[int, Attempt]:
        self._refresh()
        return self._records

    def _refresh(self) -> None:
        if time.monotonic() - self._read_at >= self._max_age_s:
            # Trials first: a record read after them is there for every trial they hold.
            self._set(self._study.get_trials(deepcopy=False))
            engine = optuna_private.engine_of(self._study)
            with engine.connect() as connection:
                rows = writes.attempts_of(connection, optuna_private.study_id(self._study))
            self._records = {attempt.number: attempt for _, attempt, _ in rows}
            self._read_at = time.monotonic()

    def note(self, attempt: Attempt) -> None:
        """The record of an attempt this supervisor has just started or ended."""
        self._records[attempt.number] = attempt

    def record(self, trial: FrozenTrial, attempt: Attempt | None = None) -> None:
        """Puts a trial just finished here into the copy, so the next decision counts it without
        a read."""
        if attempt is not None:
            self.note(attempt)
        if trial.number in self._position:
            self._trials[self._position[trial.number]] = trial
        elif not self._trials or trial.number > self._trials[-1].number:
            self._position[trial.number] = len(self._trials)
            self._trials.append(trial)
        else:
            self._set(self._trials + [trial])
        self._filtered = {}

    def _set(self, trials: list[FrozenTrial]) -> None:
        self._trials = sorted(trials, key=lambda t: t.number)
        self._position = {t.number: i for i, t in enumerate(self._trials)}
        self._filtered = {}


def should_prune(
    snapshot: StudySnapshot, trial: optuna.trial.Trial, values: dict[int, float]
) -> bool:
    """The study's pruner's verdict on `trial`, whose intermediate values (step: value) are `values`."""
    return snapshot.pruner.prune(
        snapshot, optuna_private.running_frozen_trial(snapshot, trial, values)
    )
