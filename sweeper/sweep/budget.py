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
