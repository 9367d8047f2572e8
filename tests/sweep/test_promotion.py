"""The promotion ladder's arithmetic: which trials go on, pause, and are resumed, on plain curves."""

import json
import math

import optuna
import pytest
from optuna.trial import TrialState

from sweeper.store.engines import read_engine
from sweeper.sweep import budget
from sweeper.sweep.promotion import Ladder, PromotingPruner
from tests.sweep.test_supervisor import fake_study, run

PROMOTED_FROM = "promoted_from"  # the user attribute naming the paused attempt a copy resumes

# Every trial its own bracket (asynchronous): the ranking alone, brackets are tested below.
LADDER = Ladder(max_epochs=12, min_epochs=1, eta=3, bracket=1)


def curves(*firsts, epochs=1):
    """Trials 0, 1, ... with flat curves at these values, `epochs` long."""
    return {n: [v] * epochs for n, v in enumerate(firsts)}


def test_rungs_grow_by_eta_below_the_full_budget():
    assert LADDER.rungs == [1, 3, 9]
    assert Ladder(max_epochs=12, min_epochs=1, eta=2).rungs == [1, 2, 4, 8]
    assert Ladder(max_epochs=9, min_epochs=1, eta=3).rungs == [1, 3]
    assert LADDER.next_stop(0) == 1 and LADDER.next_stop(1) == 3 and LADDER.next_stop(9) == 12


def test_a_trial_pauses_at_a_rung_until_eta_trials_reached_it():
    # Optuna's successive halving keeps the first trial of every rung; here it pauses.
    assert not LADDER.goes_on(0, curves(90.0))
    assert not LADDER.goes_on(1, curves(50.0, 60.0))
    assert LADDER.goes_on(2, curves(50.0, 60.0, 70.0))  # best of 3: the top third
    assert not LADDER.goes_on(2, curves(50.0, 80.0, 70.0))


def test_between_rungs_and_below_a_target_a_trial_goes_on():
    assert LADDER.goes_on(0, {0: [10.0, 11.0]})  # epoch 2 is no rung
    assert LADDER.goes_on(0, {0: [10.0]}, target=12)  # trained in full whatever its rank
    assert not LADDER.goes_on(0, {0: [10.0, 11.0, 12.0]}, target=3)  # at its target: ranked


def test_the_best_paused_trial_of_the_highest_rung_is_promoted_first():
    trials = {0: [50.0], 1: [80.0, 81.0, 82.0], 2: [70.0], 3: [60.0], 4: [85.0, 84.0, 83.0]}
    trials.update({5: [40.0, 41.0, 42.0], 6: [30.0], 7: [20.0], 8: [10.0]})
    # Rung 1 (9 trials): top 3 = 4, 1, 2; rung 3 (3 trials): top 1 = 4 (83 > 82 > 42).
    assert LADDER.top(trials, 1) == [4, 1, 2] and LADDER.top(trials, 3) == [4]
    assert LADDER.promotion(trials, paused={0, 1, 2, 3, 4, 5}) == (4, 9)
    assert LADDER.promotion(trials, paused={0, 1, 2, 3, 5}) == (2, 3)  # 4 is running
    assert LADDER.promotion(trials, paused={0, 3, 5}) is None  # nobody paused is in a top


def test_later_trials_can_promote_an_earlier_paused_one():
    trials = curves(70.0, 60.0, 50.0)  # 0 went on from rung 1
    trials[0] = [70.0, 71.0, 72.0]
    assert LADDER.promotion(trials, paused={1, 2}) is None  # top 1 of 3: trial 0 only
    trials.update({3: [40.0], 4: [30.0], 5: [20.0]})  # 6 trials: top 2
    assert LADDER.promotion(trials, paused={1, 2, 3, 4, 5}) == (1, 3)


def test_a_nan_value_ranks_last():
    trials = {0: [math.nan], 1: [10.0], 2: [5.0]}
    assert LADDER.top(trials, 1) == [1]


def test_minimizing_ranks_the_lowest_first():
    ladder = Ladder(max_epochs=12, maximize=False, bracket=1)
    assert ladder.top({0: [0.5], 1: [0.2], 2: [0.9]}, 1) == [1]


def test_the_final_promotions_train_the_furthest_best_paused_trials_in_full():
    trials = {0: [90.0], 1: [50.0, 60.0, 70.0], 2: [55.0, 65.0, 75.0], 3: [99.0]}
    assert LADDER.finals(trials, paused={0, 1, 2, 3}) == [(2, 12)]  # furthest, then best
    assert LADDER.finals(trials, paused={0, 3}) == [(3, 12)]
    two = Ladder(max_epochs=12, finish_top=2, bracket=1)
    assert two.finals(trials, paused={0, 1, 2, 3}) == [(2, 12), (1, 12)]  # both at once
    trials[4] = [80.0] * 12  # one trial trained in full already
    assert LADDER.finals(trials, paused={0, 1, 2, 3}) == []
    assert two.finals(trials, paused={0, 1, 2, 3}) == [(2, 12)]
    assert LADDER.finals({0: [50.0]}, paused=set()) == []


def test_a_bracket_is_the_population_halving_narrows_to_one_full_trial():
    assert Ladder(max_epochs=12).bracket_size == 27  # rungs 1, 3, 9: 27 -> 9 -> 3 -> 1
    assert Ladder(max_epochs=30).bracket_size == 81  # rungs 1, 3, 9, 27
    assert Ladder(max_epochs=12, eta=2).bracket_size == 16  # rungs 1, 2, 4, 8
    assert Ladder(max_epochs=12, bracket=9).bracket_size == 9


def test_trials_pause_at_every_rung_until_their_bracket_has_started():
    ladder = Ladder(max_epochs=12, n_trials=40)
    first = curves(*range(26, 0, -1))  # 26 of the first bracket's 27: trial 0 is the best
    assert ladder.waiting(first) == set(first)
    assert not ladder.goes_on(0, first)  # the best of 26, yet its bracket still fills
    assert ladder.promotion(first, paused=set(first)) is None
    first[26] = [0.5]  # the 27th starts (and is the worst): the bracket is complete
    assert ladder.waiting(first) == set()
    assert ladder.goes_on(0, first) and not ladder.goes_on(26, first)
    assert ladder.promotion(first, paused=set(first) - {0}) == (1, 3)  # top 9 of 27: 0..8


def test_a_later_bracket_waits_while_an_earlier_ones_trials_are_still_promoted():
    ladder = Ladder(max_epochs=12, n_trials=40)
    trials = curves(*[10.0] * 27)
    trials.update({27: [99.0], 28: [98.0]})  # the second bracket's first two: best of all
    assert ladder.waiting(trials) == {27, 28}
    assert not ladder.goes_on(27, trials)
    # Top 9 of 29 at rung 1: 27, 28 and the 7 first of the tied first bracket; 27 and 28 wait.
    paused = set(trials)
    assert ladder.promotion(trials, paused) == (0, 3)
    assert ladder.promotion(trials, paused - set(range(7))) is None


def test_the_last_bracket_closes_when_the_whole_budget_has_started():
    ladder = Ladder(max_epochs=12, n_trials=16)  # fewer than a bracket: one bracket of 16
    trials = curves(*range(15))
    assert ladder.waiting(trials) == set(range(15))
    trials[15] = [0.0]
    assert ladder.waiting(trials) == set()
    assert ladder.promotion(trials, paused=set(trials)) == (14, 3)  # top 5: 14, 13, ..., 10
    # Without a budget (the ladder alone), only whole brackets close.
    assert Ladder(max_epochs=12).waiting(trials) == set(range(16))


def test_a_sweep_says_what_its_ladder_does():
    assert Ladder(max_epochs=12, n_trials=16).describe() == (
        "pruner promoting: trials pause at epochs 1, 3, 9 until all 16 trials have started; "
        "the top 1/3 of each rung then resume from their checkpoints, up to 12 epochs"
    )
    assert "until each bracket of 27 trials has started;" in Ladder(12, n_trials=100).describe()
    assert Ladder(max_epochs=1).describe() == (
        "pruner promoting: trials of 1 epoch are never paused"
    )


# ---- in a sweep, with the fake trainer ----------------------------------------------------


def test_a_sweep_pauses_trials_and_resumes_the_best_from_their_checkpoints(
    storage_url, tmp_path, monkeypatch
):
    log = tmp_path / "starts.jsonl"
    monkeypatch.setenv("FAKE_TRIAL_LOG", str(log))
    study = fake_study(n_trials=9, train=dict(epochs=12), pruner="promoting", sampler="random")
    trials = run(study, storage_url, artifacts=tmp_path).get_trials()

    copies = [t for t in trials if PROMOTED_FROM in t.user_attrs]
    firsts = [t for t in trials if "retry_of" not in t.user_attrs]
    assert len(firsts) == 9  # the budget counts a paused trial and its copies once
    assert copies and all(t.state != TrialState.WAITING for t in trials)
    # Every copy resumed its first attempt's checkpoint, after the epochs it had trained.
    starts = [json.loads(line) for line in log.read_text().splitlines()]
    resumed = [s for s in starts if s["start"] > 1]
    assert len(resumed) == len(copies)
    # The best trial was trained in full; most were stopped at 1 or 3 epochs.
    full = [t for t in trials if t.state == TrialState.COMPLETE]
    assert full and max(full, key=lambda t: t.value).intermediate_values.keys() == set(range(1, 13))
    best_first_epoch = max(firsts, key=lambda t: t.intermediate_values[1])
    assert any(t.user_attrs["retry_of"] == best_first_epoch.number for t in full)
    epochs = sum(s_end for s_end in _epochs_trained(trials))
    assert epochs < 9 * 12 / 2


def test_a_sweep_promotes_nothing_before_the_bracket_has_started(storage_url, tmp_path, capsys):
    """9 trials, fewer than a bracket (27 for 12 epochs): every trial pauses at epoch 1 until
    the 9th has started, whichever ranks first; only then are the best resumed."""
    study = fake_study(n_trials=9, train=dict(epochs=12), pruner="promoting", sampler="random")
    trials = run(study, storage_url, workers=2, artifacts=tmp_path).get_trials()

    firsts = [t for t in trials if "retry_of" not in t.user_attrs]
    copies = [t for t in trials if PROMOTED_FROM in t.user_attrs]
    assert len(firsts) == 9 and copies
    # Queued only once the last first attempt was asked: numbered after all of them.
    assert min(t.number for t in copies) > max(t.number for t in firsts)
    # A first attempt goes past its rung only if the budget had all started when it got
    # there: one of the last two asked, with two workers.
    went_on = [t.number for t in firsts if len(t.intermediate_values) > 1]
    assert set(went_on) <= {7, 8}
    assert "trials pause at epochs 1, 3, 9 until all 9 trials have started" in (
        capsys.readouterr().out
    )


def test_the_final_full_trainings_run_side_by_side(storage_url, tmp_path, monkeypatch):
    """Each final full training is chosen whatever the other's result, so with two executors
    both train at once rather than one after the other."""
    monkeypatch.setenv("FAKE_EPOCH_SECONDS", "0.05")
    study = fake_study(n_trials=6, train=dict(epochs=12), pruner="promoting", sampler="random")
    trials = run(study, storage_url, workers=2, artifacts=tmp_path).get_trials()

    full = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(full) == 2 and all(len(t.intermediate_values) == 12 for t in full)
    first, second = sorted(full, key=lambda t: t.datetime_start)
    assert second.datetime_start < first.datetime_complete


def _epochs_trained(trials):
    """Epochs each attempt trained itself (a copy's restored epochs are its paused attempt's)."""
    by_number = {t.number: t for t in trials}
    for t in trials:
        before = by_number[t.user_attrs[PROMOTED_FROM]] if PROMOTED_FROM in t.user_attrs else None
        yield len(t.intermediate_values) - (len(before.intermediate_values) if before else 0)


def test_the_budget_counts_a_paused_trial_once_its_copy_waits(storage_url, tmp_path):
    study = fake_study(n_trials=3, train=dict(epochs=12), pruner="promoting")
    optuna_study = run(study, storage_url, artifacts=tmp_path)
    engine = read_engine(storage_url)
    assert budget.used(engine, optuna_study._study_id) == 3


def test_patience_holds_back_a_pause_as_it_does_any_prune(storage_url, tmp_path):
    """`patience` wraps the pruner (Optuna's PatientPruner): a trial still improving is never
    paused, so the fake trainer's ever-rising curves all train in full, each trial once."""
    study = fake_study(n_trials=6, train=dict(epochs=12), pruner="promoting", patience=2)
    optuna_study = run(study, storage_url, artifacts=tmp_path)
    trials = optuna_study.get_trials()
    assert len(trials) == 6 and not any(PROMOTED_FROM in t.user_attrs for t in trials)
    assert all(t.state == TrialState.COMPLETE and len(t.intermediate_values) == 12 for t in trials)
    assert budget.used(read_engine(storage_url), optuna_study._study_id) == 6
    # Without patience the same sweep pauses most of them.
    paused = run(
        fake_study(name="eager", n_trials=6, train=dict(epochs=12), pruner="promoting"),
        storage_url,
        artifacts=tmp_path / "eager",
    ).get_trials()
    assert sum(t.state == TrialState.PRUNED for t in paused) >= 3


def test_the_pruner_reads_the_study_only_at_a_rung():
    """prune() runs after every epoch of every trial: between rungs it decides from the trial
    alone (no pass over the study's curves), at a rung it ranks against the study."""

    class Unread:
        direction = optuna.study.StudyDirection.MAXIMIZE

        def get_trials(self, deepcopy=False):
            raise AssertionError("the study was read between rungs")

    pruner = PromotingPruner(LADDER)
    between = optuna.trial.create_trial(
        state=TrialState.RUNNING, intermediate_values={1: 50.0, 2: 60.0}
    )
    assert pruner.prune(Unread(), between) is False
    at_rung = optuna.trial.create_trial(
        state=TrialState.RUNNING, intermediate_values={1: 50.0, 2: 60.0, 3: 70.0}
    )
    with pytest.raises(AssertionError, match="between rungs"):
        pruner.prune(Unread(), at_rung)
