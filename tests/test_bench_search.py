"""bench/search.py: every strategy runs a real search, and its arithmetic is right."""

import runpy
from pathlib import Path

import pytest

bench = runpy.run_path(str(Path(__file__).parent.parent / "bench" / "search.py"))


def test_epochs_to_within_counts_epochs_until_the_best_so_far_is_close_to_the_final_best():
    trace = [50.0, 90.0, 98.8, 98.8, 99.0, 99.3]
    assert bench["epochs_to_within"](trace, 0.3) == 5  # 99.0 >= 99.3 - 0.3
    assert bench["epochs_to_within"](trace, 0.0) == 6
    assert bench["epochs_to_within"]([97.0], 0.3) == 1


def test_summary_is_median_min_max():
    assert bench["summary"]([3, 1, 2]) == (2, 1, 3)
    assert bench["summary"]([4, 1, 2, 10]) == (3, 1, 10)


def _run(best, epochs):
    return {
        "best": best,
        "epochs": epochs,
        "to_best": epochs // 2,
        "to_full": epochs // 4,
        "wall": epochs / 10,
    }


def test_table_gives_medians_spreads_and_ratios_to_the_first_strategy():
    runs = {
        "random, no pruning": [_run(99.0, 200), _run(99.5, 180), _run(99.2, 190)],
        "tpe + successive halving": [_run(99.1, 60), _run(99.4, 40), _run(99.3, 50)],
    }
    reference, halving = bench["table"](runs)[1:]
    assert "99.20 [99.00..99.50]" in reference and "190 [180..200]" in reference
    assert reference.split()[-4:] == ["1.00", "1.00", "1.00", "1.00"]
    assert "50 [40..60]" in halving and "12 [10..15]" in halving  # to_full: epochs // 4
    # 50 / 190, 25 / 95, 12 / 47, 5 / 19
    assert halving.split()[-4:] == ["0.26", "0.26", "0.26", "0.26"]


def test_verdict_checks_best_within_spread_epoch_share_and_fewer_than_halving():
    reference = [_run(99.0, 200), _run(99.5, 180), _run(99.2, 190)]
    halving = [_run(99.1, 60)]
    good = {
        "random, no pruning": reference,
        "tpe + successive halving": halving,
        "sweeper default": [_run(99.0, 50)],
    }
    assert bench["verdict"](good) == (
        "sweeper default: best within unpruned spread yes, epochs 26.3% of unpruned (ok), "
        "fewer than successive halving yes"
    )
    bad = {**good, "sweeper default": [_run(98.9, 70)]}
    assert bench["verdict"](bad) == (
        "sweeper default: best within unpruned spread NO, epochs 36.8% of unpruned (over 30 %), "
        "fewer than successive halving NO"
    )


@pytest.mark.parametrize("strategy", sorted(bench["STRATEGIES"]))
def test_every_strategy_searches_for_real(strategy):
    study = bench["task_study"]("digits-small", n_trials=2, epochs=2)
    sampler, pruner = bench["STRATEGIES"][strategy]
    result = bench["search"](study, sampler, pruner, seed=0)
    assert 2 <= result["epochs"] <= 4  # each trial trains at least one epoch
    assert 1 <= result["to_best"] <= result["epochs"]
    assert 2 <= result["to_full"] <= result["epochs"]  # a trial trains its 2 epochs first
    assert 10 < result["best"] <= 100


def test_a_promoted_trial_trains_only_the_epochs_it_adds(tmp_path):
    # Rung at 1 epoch: 3 trials of 1 epoch, the best of them resumed to 3: 5 epochs in all.
    study = bench["task_study"]("digits-small", n_trials=3, epochs=3)
    ladder = bench["Ladder"](max_epochs=3, min_epochs=1, eta=3)
    result = bench["search"](study, "random", ladder, seed=0)
    assert result["epochs"] == 5
    # With a cache, a config is trained once across searches; the figures are the same.
    cached = bench["search"](study, "random", ladder, seed=0, cache=tmp_path)
    checkpoints = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*.pt")}
    again = bench["search"](study, "random", ladder, seed=0, cache=tmp_path)
    for key in ("best", "epochs", "to_best"):
        assert result[key] == cached[key] == again[key]
    # Nothing trained again: every checkpoint is the first search's, and no new one appeared.
    assert checkpoints and {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.pt")} == checkpoints


def test_the_synchronous_experiment_promotes_only_once_every_trial_has_started():
    # 4 trials pause at epoch 1 (4 epochs); then the best of them, the top floor(4/3), goes on
    # to 3 epochs (2 more), and the next best too, as the ladder trains two in full: 8 in all,
    # whatever the curves, where an asynchronous ladder may continue trials before the last starts.
    study = bench["task_study"]("digits-small", n_trials=4, epochs=3)
    ladders = bench["experiments"](4, 3)
    sync = ladders["tpe + promotion, sync"][1]
    assert sync.rungs == [1] and sync.bracket_size == 4 and sync.n_trials == 4
    assert bench["search"](study, "random", sync, seed=0)["epochs"] == 8
    assert ladders["tpe + promotion, async"][1].bracket_size == 1
    assert ladders["tpe + promotion, 9 a round"][1].bracket_size == 9
    assert bench["experiments"](4, 12)["tpe + promotion, eta 4"][1].rungs == [1, 4]
