"""Stopping a trial whose own curve has flattened, on top of a pruner that compares trials.

Successive halving promotes the few best trials to the full epoch budget, and they then train
every remaining epoch even when their best epoch is long behind them: on digits a survivor
peaks by epoch 6 of 12. Optuna's PatientPruner waits for patience AND its pruner; this stops
on patience OR the pruner, so a survivor stops once `patience` epochs bring no new best.
"""

from __future__ import annotations

import optuna
from optuna.study import StudyDirection


class PlateauPruner(optuna.pruners.BasePruner):
    """Prunes when `pruner` does, or when the last `patience` reported values bring no new best."""

    def __init__(self, pruner: optuna.pruners.BasePruner, patience: int):
        self._pruner = pruner
        self._patience = patience

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return self._pruner.prune(study, trial) or flattened(
            trial.intermediate_values, self._patience, study.direction == StudyDirection.MAXIMIZE
        )


def flattened(values: dict[int, float], patience: int, maximize: bool) -> bool:
    """True when none of the last `patience` steps beat the best value of the steps before them."""
    ordered = [values[step] for step in sorted(values)]
    if len(ordered) <= patience:
        return False
    before, recent = ordered[:-patience], ordered[-patience:]
    best = max(before) if maximize else min(before)
    return all((v <= best) if maximize else (v >= best) for v in recent)
