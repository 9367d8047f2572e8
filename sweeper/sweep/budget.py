"""The study's trial budget, counted in SQL across every machine working on the study.

Optuna's n_trials counts per process (optuna#1883, #2907); sweeper's budget is per study.
A trial uses the budget when it is waiting, running, complete or pruned, or failed for good
(stop_reason "failed: …"). Trials failed by a kill, an interrupt or a stale heartbeat do not:
their retry (a WAITING copy) does. Neither do trials asked past the budget by a race between
machines, which are failed at once with stop_reason "over budget". Nor do paused trials
that a later copy resumes (the promoting pruner): the copy does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from sweeper.store import writes


def tally(engine: sa.Engine, study_id: int) -> Counter:
    """Budget-using trials by state (WAITING, RUNNING, COMPLETE, PRUNED, FAIL)."""
    return writes.budget_tally(engine, study_id)


def used(engine: sa.Engine, study_id: int) -> int:
    """How much of the budget is taken."""
    return sum(tally(engine, study_id).values())


def used_below(connection: sa.Connection, study_id: int, number: int) -> int:
    """The budget taken by trials numbered below `number`: if it reaches the budget, that trial is over it."""
    return writes.budget_used_below(connection, study_id, number)


def finished(counts: Counter) -> int:
    """The finished trials of a tally (a trial failed for good counts as finished)."""
    return counts["COMPLETE"] + counts["PRUNED"] + counts["FAIL"]


@dataclass
class Tally:
    """A supervisor's copy of `tally`, kept up to date with its own asks and retries between
    counts, so that it need not count in SQL before every ask. Pure bookkeeping: the caller
    counts (`due`, then `counted`) and keeps the time (time.monotonic()).

    Other machines' asks since the last count are not in it; the rank check (`used_below`)
    keeps the budget exact all the same.
    """

    n_trials: int  # the study's budget
    max_age_s: float  # a count younger than this is trusted while it leaves room
    counts: Counter | None = None  # budget-using trials by state; None: count before trusting
    counted_at: float = float("-inf")

    def due(self, now: float, *, recount: bool = True) -> bool:
        """Whether to count again: there is no count; or, with `recount`, the count is
        `max_age_s` old or leaves no room (trials may have finished or failed since)."""
        if self.counts is None:
            return True
        return recount and (now - self.counted_at >= self.max_age_s or not self.has_room())

    def counted(self, counts: Counter, now: float) -> None:
        self.counts, self.counted_at = Counter(counts), now

    def forget(self) -> None:
        """Count again before the next ask (stale trials were just failed, their retries wait)."""
        self.counts = None

    def has_room(self) -> bool:
        """A retry or grid point waits (it is in the budget already), or the budget has room."""
        return self.waiting() > 0 or sum(self._counts().values()) < self.n_trials

    def waiting(self) -> int:
        return self._counts()["WAITING"]

    def running(self) -> int:
        return self._counts()["RUNNING"]

    def finished(self) -> int:
        return finished(self._counts())

    def asked(self) -> None:
        """We asked a trial: a waiting one if there was one, else a new one."""
        counts = self._counts()
        if counts["WAITING"] > 0:
            counts["WAITING"] -= 1
        counts["RUNNING"] += 1

    def promoted(self) -> None:
        """We queued the copy resuming a paused (PRUNED) trial: the copy takes its place."""
        counts = self._counts()
        counts["WAITING"] += 1
        counts["PRUNED"] -= 1

    def retried(self) -> None:
        """A trial of ours failed with a WAITING retry (not counted yet: nothing to add to)."""
        if self.counts is not None:
            self.counts["WAITING"] += 1

    def _counts(self) -> Counter:
        if self.counts is None:
            raise RuntimeError("the budget was not counted")
        return self.counts
