"""The supervisor's own bookkeeping, without a database: its copy of the budget, the best so far."""

import pytest

from sweeper.sweep.budget import Counts, Tally
from sweeper.sweep.progress import Best, BestSoFar


def counted(n_trials=5, now=0.0, used=0, waiting=0, running=0) -> Tally:
    tally = Tally(n_trials, max_age_s=1.0)
    tally.counted(Counts(used, waiting, running), now)
    return tally


def test_a_tally_is_counted_first_and_trusted_while_young_and_roomy():
    tally = Tally(5, max_age_s=1.0)
    assert tally.due(0.0) and tally.due(0.0, recount=False)
    with pytest.raises(RuntimeError, match="not counted"):
        tally.has_room()
    tally.counted(Counts(used=2, waiting=0, running=0), now=10.0)
    assert not tally.due(10.5) and tally.has_room()
    assert tally.due(11.0)  # as old as max_age_s
    assert not tally.due(11.0, recount=False)  # trusted, whatever its age


def test_a_full_tally_is_counted_again_unless_told_not_to():
    tally = counted(used=5, running=2)
    assert not tally.has_room()
    assert tally.due(0.0)  # a trial may have failed since, freeing its place
    assert not tally.due(0.0, recount=False)


def test_our_asks_take_a_waiting_attempt_first_then_new_room():
    tally = counted(n_trials=4, used=4, waiting=1)
    assert tally.has_room()  # a waiting retry is in the budget already: it is asked
    tally.asked()
    assert (tally.waiting(), tally.running()) == (0, 1) and not tally.has_room()
    roomy = counted(n_trials=5, used=3)
    roomy.asked()
    assert (roomy.waiting(), roomy.running()) == (0, 1) and roomy.has_room()
    roomy.asked()
    assert roomy.running() == 2 and not roomy.has_room()


def test_a_retry_takes_its_running_attempts_place_and_waits_until_forgotten():
    tally = counted(n_trials=2, used=2, running=2)
    tally.queued(instead_of_running=True)
    assert (tally.waiting(), tally.running(), tally.finished()) == (1, 1, 0)
    assert tally.has_room()
    tally.forget()
    assert tally.due(0.0, recount=False)
    tally.queued(instead_of_running=True)  # nothing to add to: the next count has it
    assert tally.counts is None


def test_a_promoted_copy_is_its_paused_trial_waiting_again():
    tally = counted(n_trials=3, used=3)
    assert not tally.has_room() and tally.finished() == 3
    tally.queued(instead_of_running=False)
    assert (tally.waiting(), tally.finished()) == (1, 2)
    assert tally.has_room()  # the copy waits, in the budget already: it is asked next
    tally.asked()
    assert (tally.waiting(), tally.running()) == (0, 1) and not tally.has_room()


def test_finished_trials_are_those_neither_waiting_nor_running():
    assert counted(used=8, running=3, waiting=1).finished() == 4


def test_the_best_so_far_follows_the_direction_and_keeps_the_first_of_ties():
    best = BestSoFar("maximize")
    best.offer(0, None, {})  # a trial without a value is never the best
    assert best.trial is None
    best.offer(1, 50.0, {"lr": 0.1})
    best.offer(2, 40.0, {"lr": 1.0})
    best.offer(3, 50.0, {"lr": 0.2})
    assert best.trial == Best(1, 50.0, {"lr": 0.1})
    best.offer(4, 60.0, {"lr": 0.3})
    assert best.trial.number == 4 and best.trial[1] == 60.0  # a tuple for the progress display
    lowest = BestSoFar("minimize")
    for number, value in enumerate([0.5, 0.7, 0.2, None]):
        lowest.offer(number, value, {})
    assert lowest.trial == Best(2, 0.2, {})
