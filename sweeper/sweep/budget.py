"""The study's trial budget, counted in SQL across every machine working on the study.

Optuna's n_trials counts per process (optuna#1883, #2907); sweeper's budget is per study.
A trial uses the budget when it is waiting, running, complete or pruned, or failed for good
(stop_reason "failed: …"). Trials failed by a kill, an interrupt or a stale heartbeat do not:
their retry (a WAITING copy) does. Neither do trials asked past the budget by a race between
machines, which are failed at once with stop_reason "over budget".
"""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

_TALLY = """
SELECT t.state, COUNT(*) FROM trials t
WHERE t.study_id = :study_id AND t.number < :below
  AND (t.state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED')
       OR (t.state = 'FAIL' AND EXISTS (
           SELECT 1 FROM trial_user_attributes u
           WHERE u.trial_id = t.trial_id AND u.key = 'stop_reason'
             AND u.value_json LIKE '"failed:%')))
GROUP BY t.state
"""
_NO_LIMIT = 2**62


def tally(db: sa.Engine | sa.Connection, study_id: int, below: int = _NO_LIMIT) -> Counter:
    """Budget-using trials by state (WAITING, RUNNING, COMPLETE, PRUNED, FAIL), numbered below `below`."""
    if isinstance(db, sa.Engine):
        with db.connect() as connection:
            return tally(connection, study_id, below)
    return Counter(dict(db.execute(sa.text(_TALLY), {"study_id": study_id, "below": below}).all()))


def used(db: sa.Engine | sa.Connection, study_id: int, below: int = _NO_LIMIT) -> int:
    """How much of the budget is taken; a trial for which used(below=its number) reaches the budget is over it."""
    return sum(tally(db, study_id, below).values())
