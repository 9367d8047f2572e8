"""The study's trial budget, counted in SQL across every machine working on the study.

Optuna's n_trials counts per process (optuna#1883, #2907); sweeper's budget is per study, and
counts trials, not attempts (sweeper/outcomes.py): a trial uses the budget once, whatever
became of it and however many attempts it took (retries after a kill, an interrupt or a silent
machine; copies resuming it after a pause). A trial that keeps losing its executor gives up
after `outcomes.MAX_DEATHS` attempts in a row, and still counts once, so every sweep ends.
Attempts asked past the budget by a race between machines count for nothing: they are failed
at once as over budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sweeper.store import writes


@dataclass(frozen=True)
class Counts:
    """A study's budget as one count read it."""

    used: int  # trials (not attempts) using the budget
    waiting: int  # attempts WAITING (retries, copies, grid points)
    running: int  # attempts RUNNING, on any machine

    @property
    def finished(self) -> int:
        """Trials neither waiting nor running (a trial has at most one attempt under way)."""
        return self.used - self.waiting - self.running


def tally(engine: sa.Engine, study_id: int) -> Counts:
    return Counts(*writes.budget_tally(engine, study_id))


def used(engine: sa.Engine, study_id: int) -> int:
    """How much of the budget is taken."""
    return tally(engine, study_id).used


def used_below(connection: sa.Connection, study_id: int, number: int) -> int:
    """The budget taken by attempts numbered below `number`: a new trial there is over it when
    this reaches the budget."""
    return writes.budget_used_below(connection, study_id, number)


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
    counts: Counts | None = None  # None: count before trusting
    counted_at: float = float("-inf")

    def due(self, now: float, *, recount: bool = True) -> bool:
        """Whether to count again: there is no count; or, with `recount`, the count is
        `max_age_s` old or leaves no room (trials may have finished or failed since)."""
        if self.counts is None:
            return True
        return recount and (now - self.counted_at >= self.max_age_s or not self.has_room())

    def counted(self, counts: Counts, now: float) -> None:
        self.counts, self.counted_at = counts, now

    def forget(self) -> None:
        """Count again before the next ask (stale trials were just failed, their retries wait)."""
        self.counts = None

    def has_room(self) -> bool:
        """An attempt waits (it is in the budget already), or the budget has room."""
        return self.waiting() > 0 or self._counts().used < self.n_trials

    def waiting(self) -> int:
        return self._counts().waiting

    def running(self) -> int:
        return self._counts().running

    def finished(self) -> int:
        return self._counts().finished

    def asked(self) -> None:
        """We asked an attempt: a waiting one if there was one, else a new trial."""
        c = self._counts()
        if c.waiting > 0:
            self.counts = Counts(c.used, c.waiting - 1, c.running + 1)
        else:
            self.counts = Counts(c.used + 1, c.waiting, c.running + 1)

    def queued(self, *, instead_of_running: bool) -> None:
        """We queued an attempt of a trial already counted: a retry of one of our running
        attempts (`instead_of_running`), or a copy resuming a paused one."""
        if self.counts is not None:  # nothing to add to: the next count has it
            c = self.counts
            self.counts = Counts(c.used, c.waiting + 1, c.running - instead_of_running)

    def _counts(self) -> Counts:
        if self.counts is None:
            raise RuntimeError("the budget was not counted")
        return self.counts
