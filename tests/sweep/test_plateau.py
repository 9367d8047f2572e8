"""The plateau pruner stops a trial whose curve stopped improving, or when its pruner says so."""

import optuna

from sweeper.sweep.plateau import PlateauPruner, flattened


def test_flattened_after_patience_steps_without_a_new_best():
    rising = {1: 90.0, 2: 95.0, 3: 97.0, 4: 98.0}
    assert not flattened(rising, patience=3, maximize=True)
    stuck = {1: 90.0, 2: 98.0, 3: 97.0, 4: 98.0, 5: 96.0}
    assert flattened(stuck, patience=3, maximize=True)  # 97, 98, 96: none above 98
    assert not flattened({1: 90.0, 2: 80.0}, patience=3, maximize=True)  # too few steps
    assert flattened({1: 0.5, 2: 0.6, 3: 0.7}, patience=2, maximize=False)  # a loss going up


def _decisions(pruner, curve):
    study = optuna.create_study(direction="maximize", pruner=pruner)
    trial = study.ask()
    decisions = []
    for step, value in enumerate(curve, start=1):
        trial.report(value, step)
        decisions.append(trial.should_prune())
    return decisions


def test_prunes_on_a_plateau_or_when_the_wrapped_pruner_prunes():
    never = optuna.pruners.NopPruner()
    curve = [90.0, 98.0, 97.0, 97.5, 98.0]
    assert _decisions(PlateauPruner(never, patience=3), curve) == [False] * 4 + [True]
    always = optuna.pruners.ThresholdPruner(lower=99.0)
    assert _decisions(PlateauPruner(always, patience=3), curve) == [True] * 5
