"""Pruning on a snapshot of the study decides as Optuna's own Trial.should_prune does."""

import math

import optuna
import pytest
from optuna.trial import TrialState

from sweeper.spec import choice
from sweeper.sweep import pruning
from sweeper.sweep.registry import PRUNERS, make_pruner
from tests.sweep.test_supervisor import fake_study, run

GOOD, HOPELESS = [0.1, 0.12, 0.08, 0.09], [1e-4, 1.2e-4, 0.8e-4, 0.9e-4]
EPOCHS = 8


def fake_val_acc(lr: float, epoch: int) -> float:
    """tests/fake_trainer.py's curve."""
    return (95 - 20 * abs(math.log10(lr) + 1)) * (1 - math.exp(-epoch / 2))


def raw_optuna(url: str, pruner_name: str) -> list[optuna.trial.FrozenTrial]:
    """The same trials through Optuna's own loop: report, should_prune, best value."""
    study = optuna.create_study(
        study_name="fake",
        storage=url,
        direction="maximize",
        pruner=make_pruner(pruner_name, EPOCHS, len(GOOD + HOPELESS)),
    )
    for lr in GOOD + HOPELESS:
        study.enqueue_trial({"lr": lr})

    def objective(trial):
        lr = trial.suggest_categorical("lr", GOOD + HOPELESS)
        for epoch in range(1, EPOCHS + 1):
            trial.report(fake_val_acc(lr, epoch), epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return fake_val_acc(lr, EPOCHS)

    study.optimize(objective, n_trials=len(GOOD + HOPELESS))
    return study.trials


# "promoting" resumes paused trials, which Optuna cannot: tests/sweep/test_promotion.py.
@pytest.mark.parametrize("pruner_name", sorted(set(PRUNERS) - {"promoting"}))
def test_every_pruner_decides_as_in_optuna(pruner_name, tmp_path):
    study = fake_study(
        n_trials=None,
        train=dict(epochs=EPOCHS),
        space=dict(lr=choice(GOOD + HOPELESS)),
        pruner=pruner_name,
        sampler="grid",
    )  # grid points run in order
    ours = run(study, f"sqlite:///{tmp_path / 'sweeper.db'}", artifacts=tmp_path).trials
    theirs = raw_optuna(f"sqlite:///{tmp_path / 'raw.db'}", pruner_name)

    def outcome(trial):
        return trial.params["lr"], trial.state, trial.intermediate_values, trial.value

    assert [outcome(t) for t in ours] == [outcome(t) for t in theirs]
    if pruner_name != "none":
        assert any(t.state == TrialState.PRUNED for t in ours)


def test_a_snapshot_is_reread_when_old_and_counts_trials_finished_here_at_once(tmp_path):
    from sweeper.store.engines import open_storage

    url = f"sqlite:///{tmp_path / 'snapshot.db'}"
    study = optuna.create_study(study_name="s", storage=open_storage(url))
    snapshot = pruning.StudySnapshot(study, max_age_s=3600)
    assert snapshot.get_trials() == []

    elsewhere = optuna.load_study(study_name="s", storage=url)  # another machine finishes a trial
    elsewhere.tell(elsewhere.ask(), 1.0)
    assert snapshot.get_trials() == []  # not re-read yet

    trial = study.ask()
    snapshot.record(study.tell(trial, 2.0))  # a trial finished here counts at once
    assert [t.value for t in snapshot.get_trials(states=(TrialState.COMPLETE,))] == [2.0]

    snapshot = pruning.StudySnapshot(study, max_age_s=0)  # re-read at every call
    assert sorted(t.value for t in snapshot.get_trials()) == [1.0, 2.0]


def test_the_registry_builds_exactly_the_names_a_study_may_choose():
    from sweeper.strategies import PRUNER_NAMES, SAMPLER_NAMES
    from sweeper.sweep.registry import SAMPLERS

    assert tuple(PRUNERS) == PRUNER_NAMES and tuple(SAMPLERS) == SAMPLER_NAMES
