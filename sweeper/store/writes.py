"""Every write sweeper makes to Optuna's tables (and ours) past Optuna's API, and the
supervisor's own reads of them (the budget's count, the trials nobody will finish).

Optuna writes each intermediate value and each user attribute in a transaction of its own,
through its ORM (a few ms of CPU each). `TrialWriteBuffer` writes the same rows in batches; the
heartbeat and owner rows are written in the caller's transaction. Every write here lands only
on trials that are still RUNNING, as Optuna's own writes refuse a finished trial: another
machine may have failed the trial as silent meanwhile, and its retry now owns its story.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import json
import time

import sqlalchemy as sa

from sweeper.outcomes import Attempt, Kind, Outcome, derived
from sweeper.store import schema
from sweeper.store.schema import EPOCH_METRICS

RUNNING = "RUNNING"
_epochs = schema.epochs
_trials = schema.trials
_intermediate_values = schema.trial_intermediate_values
_user_attrs = schema.trial_user_attrs
_system_attrs = schema.trial_system_attrs
_heartbeats = schema.trial_heartbeats
_attempts = schema.attempts
_BEAT_NOW = {"heartbeat": sa.func.now()}  # one object, so the heartbeat upsert is built once


class TrialWriteBuffer:
    """What running trials report, written in batches: epoch rows, pruning values, attributes.

    With `flush_every_s`, everything arriving faster than that is written in one transaction;
    a sweep of second-long epochs still writes each at once.
    `flush` must run before a trial is told finished, so Optuna and other machines never see a
    finished trial without its curve (a pruned trial's value is its last intermediate value).
    Rows still buffered when a supervisor is killed are not lost: a resumed trial reports its
    restored epochs again.
    """

    def __init__(self, engine: sa.Engine, flush_every_s: float = 0.0):
        self.engine = engine
        self.flush_every_s = flush_every_s
        self.epochs: dict[tuple[int, int], dict] = {}
        self.pruning_values: dict[tuple[int, int], dict] = {}
        self.attrs: dict[int, dict] = {}
        self.attempts: dict[int, dict] = {}
        self.last_flush = time.monotonic()

    def epoch(self, trial_id: int, epoch: int, metrics: dict) -> None:
        row = {name: _as_float(metrics.get(name)) for name in EPOCH_METRICS}
        self.epochs[trial_id, epoch] = {
            **row,
            "trial_id": trial_id,
            "epoch": epoch,
            "recorded_at": time.time(),
        }
        self.flush_if_due()

    def pruning_value(self, trial_id: int, step: int, value: float) -> None:
        """Optuna's intermediate value of a trial at a step (what Trial.report stores)."""
        stored, kind = schema.intermediate_value_to_stored(value)
        self.pruning_values[trial_id, step] = {
            "trial_id": trial_id,
            "step": step,
            "intermediate_value": stored,
            "intermediate_value_type": kind,
        }
        self.flush_if_due()

    def set_attrs(self, trial_id: int, attrs: dict) -> None:
        """Attributes of a running trial, as Optuna stores them (JSON per key): user attributes,
        but system attributes for the long ones (`schema.LONG_TRIAL_ATTRS`)."""
        self.attrs.setdefault(trial_id, {}).update(attrs)
        self.flush_if_due()

    def end_attempt(self, trial_id: int, study_id: int, attempt: Attempt) -> None:
        """A running trial's record with its outcome, and the `stop_reason` derived from it for
        Optuna's CLI, written with everything else of the trial before Optuna's tell."""
        self.attempts[trial_id] = {**attempt.to_row(), "trial_id": trial_id, "study_id": study_id}
        self.set_attrs(trial_id, {"stop_reason": attempt.stop_reason()})

    def flush_if_due(self) -> None:
        if self.pending() and time.monotonic() - self.last_flush >= self.flush_every_s:
            self.flush()

    def pending(self) -> bool:
        return bool(self.epochs or self.pruning_values or self.attrs or self.attempts)

    def flush(self) -> None:
        """Writes what is buffered in one transaction; it stays buffered if the database fails,
        for a retry. Rows of trials that are no longer RUNNING are dropped."""
        if self.pending():
            with self.engine.begin() as connection:
                live = running(
                    connection,
                    {
                        *self.attrs,
                        *self.attempts,
                        *(k[0] for k in self.epochs),
                        *(k[0] for k in self.pruning_values),
                    },
                )
                _upsert_attrs(
                    connection,
                    {trial_id: attrs for trial_id, attrs in self.attrs.items() if trial_id in live},
                )
                epochs = [row for key, row in self.epochs.items() if key[0] in live]
                values = [row for key, row in self.pruning_values.items() if key[0] in live]
                upsert(connection, _epochs, ["trial_id", "epoch"], epochs)
                upsert(connection, _intermediate_values, ["trial_id", "step"], values)
                ended = [row for trial_id, row in self.attempts.items() if trial_id in live]
                upsert(connection, _attempts, ["trial_id"], ended)
            self.epochs, self.pruning_values, self.attrs, self.attempts = {}, {}, {}, {}
        self.last_flush = time.monotonic()

    def forget_epochs(self, trial_id: int, first: int) -> None:
        """Drops a running trial's epochs from `first` on, buffered and stored: it restarted there."""
        self.flush()
        with self.engine.begin() as connection:
            if not running(connection, {trial_id}):
                return
            connection.execute(
                _epochs.delete().where(_epochs.c.trial_id == trial_id, _epochs.c.epoch >= first)
            )
            connection.execute(
                _intermediate_values.delete().where(
                    _intermediate_values.c.trial_id == trial_id,
                    _intermediate_values.c.step >= first,
                )
            )


def running(connection: sa.Connection, trial_ids: set[int]) -> set[int]:
    """Those of `trial_ids` whose trial is RUNNING."""
    if not trial_ids:
        return set()
    return set(
        connection.execute(
            sa.select(_trials.c.trial_id).where(
                _trials.c.trial_id.in_(trial_ids), _trials.c.state == RUNNING
            )
        ).scalars()
    )


def record_heartbeats(connection: sa.Connection, trial_ids: list[int]) -> None:
    """Optuna's heartbeat rows for running trials, with the database's clock as Optuna keeps them.

    The same rows as RDBStorage.record_heartbeat, which takes three queries and a commit per
    trial; trials finished meanwhile (by another machine) get none.
    """
    live = running(connection, set(trial_ids))
    upsert(
        connection,
        _heartbeats,
        ["trial_id"],
        [{"trial_id": t} for t in trial_ids if t in live],
        _BEAT_NOW,
    )


def start_trial(
    connection: sa.Connection, trial_id: int, attrs: dict, *, pausing: bool
) -> Attempt | None:
    """A trial this machine has just taken: its first heartbeat, its attributes (as
    `TrialWriteBuffer.set_attrs` stores them) and its record, in the caller's transaction, after
    one check that it still runs; None when it has finished (another machine took it over).

    A trial asked anew, or a grid point, is a first attempt; a retry or a promoted copy has had
    its record since it was queued (`queue_attempt`). `pausing`: the study's pruner pauses.
    """
    study_id = connection.execute(
        sa.select(_trials.c.study_id).where(
            _trials.c.trial_id == trial_id, _trials.c.state == RUNNING
        )
    ).scalar()
    if study_id is None:
        return None
    upsert(connection, _heartbeats, ["trial_id"], [{"trial_id": trial_id}], _BEAT_NOW)
    _upsert_attrs(connection, {trial_id: attrs})
    attempt = attempt_of(connection, trial_id, pausing=pausing)
    row = {**attempt.to_row(), "trial_id": trial_id, "study_id": study_id}
    upsert(connection, _attempts, ["trial_id"], [row])
    return attempt


def queue_attempt(
    connection: sa.Connection,
    study_id: int,
    previous: Attempt,
    kind: Kind,
    template,
    *,
    target_epochs: int | None = None,
) -> Attempt:
    """Queues the WAITING attempt that continues `previous` (a retry or a promotion), with the
    params and distributions of `template` (the previous attempt's FrozenTrial), and its record,
    in one transaction: no machine ever sees the copy without knowing whose attempt it is.

    The trial rows are those Optuna's `Study.add_trial` writes for a WAITING template (its
    `_get_prepared_new_trial`): the study row locked, the trial inserted and numbered by the
    trials before it; the params and the user attributes Optuna's CLI shows (`retry_of`, the
    first attempt; `promoted_from`, the paused attempt) and Optuna's own `failed_trial`
    (RetryFailedTrialCallback's link) beside them. tests/store/test_attempts.py compares.
    """
    import optuna.distributions as od

    studies = schema.studies
    connection.execute(
        sa.select(studies.c.study_id).where(studies.c.study_id == study_id).with_for_update()
    )
    trial_id = connection.execute(
        _trials.insert().values(study_id=study_id, number=None, state="WAITING")
    ).inserted_primary_key[0]
    number = connection.execute(
        sa.select(sa.func.count(_trials.c.trial_id)).where(
            _trials.c.study_id == study_id, _trials.c.trial_id < trial_id
        )
    ).scalar()
    connection.execute(_trials.update().where(_trials.c.trial_id == trial_id).values(number=number))
    params = [
        {
            "trial_id": trial_id,
            "param_name": name,
            "param_value": template.distributions[name].to_internal_repr(value),
            "distribution_json": od.distribution_to_json(template.distributions[name]),
        }
        for name, value in template.params.items()
    ]
    if params:
        connection.execute(schema.trial_params.insert(), params)
    attempt = previous.follow_up(number, kind, target_epochs)
    user = {"retry_of": attempt.first_attempt}
    system = {"failed_trial": attempt.first_attempt}
    if kind is Kind.PROMOTION:
        user["promoted_from"] = previous.number
    connection.execute(
        _user_attrs.insert(), [_attr_row(trial_id, key, value) for key, value in user.items()]
    )
    connection.execute(
        _system_attrs.insert(), [_attr_row(trial_id, key, value) for key, value in system.items()]
    )
    connection.execute(
        _attempts.insert().values(**attempt.to_row(), trial_id=trial_id, study_id=study_id)
    )
    return attempt


def record_outcome(
    connection: sa.Connection, trial_id: int, study_id: int, attempt: Attempt
) -> bool:
    """The outcome of a trial that has already failed in Optuna (its stale heartbeat failed it),
    unless another machine recorded one first: True when this one is the record."""
    updated = connection.execute(
        _attempts.update()
        .where(_attempts.c.trial_id == trial_id, _attempts.c.outcome.is_(None))
        .values(outcome=attempt.outcome.value, detail=attempt.detail)
    ).rowcount
    if not updated:
        exists = connection.execute(
            sa.select(_attempts.c.trial_id).where(_attempts.c.trial_id == trial_id)
        ).first()
        if exists:
            return False
        connection.execute(
            _attempts.insert().values(**attempt.to_row(), trial_id=trial_id, study_id=study_id)
        )
    _upsert_attrs(connection, {trial_id: {"stop_reason": attempt.stop_reason()}})
    return True


def adopt_attempts(engine: sa.Engine, study_id: int, *, pausing: bool) -> int:
    """Records, derived from their attributes, for the trials of a study that have none (a study
    an earlier sweeper wrote, or grid points queued by Optuna); returns how many were added."""
    t = _trials
    with engine.begin() as connection:
        missing = connection.execute(
            sa.select(t.c.trial_id, t.c.number, t.c.state).where(
                t.c.study_id == study_id,
                ~sa.exists().where(_attempts.c.trial_id == t.c.trial_id),
            )
        ).all()
        rows = []
        for trial_id, number, state in missing:
            user, system = _trial_attrs(connection, trial_id)
            attempt = derived(number, _state(state), user, system, pausing=pausing)
            rows.append({**attempt.to_row(), "trial_id": trial_id, "study_id": study_id})
        upsert(connection, _attempts, ["trial_id"], rows)
    return len(rows)


def attempt_of(connection: sa.Connection, trial_id: int, *, pausing: bool) -> Attempt:
    """A trial's record; derived from its attributes when it has none (a study an earlier
    sweeper wrote, a grid point, a trial asked by a machine that died before recording it)."""
    record = (
        connection.execute(sa.select(_attempts).where(_attempts.c.trial_id == trial_id))
        .mappings()
        .first()
    )
    if record is not None:
        return Attempt.from_row(record)
    number, state = connection.execute(
        sa.select(_trials.c.number, _trials.c.state).where(_trials.c.trial_id == trial_id)
    ).one()
    user, system = _trial_attrs(connection, trial_id)
    return derived(number, _state(state), user, system, pausing=pausing)


def lineage(connection: sa.Connection, study_id: int, first_attempt: int) -> list[Attempt]:
    """The recorded attempts of one trial, by number."""
    rows = connection.execute(
        sa.select(_attempts)
        .where(_attempts.c.study_id == study_id, _attempts.c.first_attempt == first_attempt)
        .order_by(_attempts.c.number)
    ).mappings()
    return [Attempt.from_row(row) for row in rows]


def attempts_of(connection: sa.Connection, study_id: int) -> list[tuple[str, Attempt, int]]:
    """(Optuna state, record, trial id) of a study's attempts that have a record, by number."""
    rows = connection.execute(
        sa.select(_trials.c.state, _attempts)
        .join(_trials, _trials.c.trial_id == _attempts.c.trial_id)
        .where(_attempts.c.study_id == study_id)
        .order_by(_attempts.c.number)
    ).mappings()
    return [(_state(row["state"]), Attempt.from_row(row), row["trial_id"]) for row in rows]


def _state(value) -> str:
    """A trial's state by name: the table handle reads Optuna's enum column as TrialState."""
    return getattr(value, "name", value)


def _trial_attrs(connection: sa.Connection, trial_id: int) -> tuple[dict, dict]:
    """A trial's user and system attributes, decoded."""
    found = []
    for table in (_user_attrs, _system_attrs):
        rows = connection.execute(
            sa.select(table.c.key, table.c.value_json).where(table.c.trial_id == trial_id)
        ).all()
        found.append({key: json.loads(value) for key, value in rows})
    return found[0], found[1]


def upsert(
    connection: sa.Connection,
    table: sa.Table,
    key: list[str],
    rows: list[dict],
    values: dict | None = None,
) -> None:
    """Inserts rows, replacing any with the same `key` (a resumed trial reports its epochs again).

    `values` are SQL expressions set in every row. One statement for all rows.
    """
    if rows:
        values = tuple((values or {}).items())
        connection.execute(
            _upsert_statement(connection.dialect.name, table, tuple(key), tuple(rows[0]), values),
            rows,
        )


@functools.lru_cache(maxsize=64)
def _upsert_statement(dialect: str, table: sa.Table, key: tuple, columns: tuple, values: tuple):
    """Built once per shape: building one (its `excluded` columns) costs more than running it."""
    statement = (
        importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(table).values(dict(values))
    )
    changed = [name for name in [*columns, *dict(values)] if name not in key]
    if dialect == "mysql":  # no ON CONFLICT; every key here is a unique constraint
        return statement.on_duplicate_key_update(
            {name: statement.inserted[name] for name in changed}
        )
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in changed}
    )


def _upsert_attrs(connection: sa.Connection, attrs: dict[int, dict]) -> None:
    """Trial id → attributes: the long ones (schema.LONG_TRIAL_ATTRS) as system attributes, where
    Optuna's CLI and optuna-dashboard do not print them, the others as user attributes."""
    rows: dict[bool, list[dict]] = {True: [], False: []}
    for trial_id, trial_attrs in attrs.items():
        for key, value in trial_attrs.items():
            rows[key in schema.LONG_TRIAL_ATTRS].append(_attr_row(trial_id, key, value))
    upsert(connection, _system_attrs, ["trial_id", "key"], rows[True])
    upsert(connection, _user_attrs, ["trial_id", "key"], rows[False])


def _attr_row(trial_id: int, key: str, value) -> dict:
    return {"trial_id": trial_id, "key": key, "value_json": json.dumps(value)}


def _as_float(value) -> float | None:
    return None if value is None else float(value)


# ---- the supervisor's reads of the same tables ----------------------------------------------


def running_without_news(
    engine: sa.Engine, study_id: int, owner_attr: str
) -> list[tuple[int, datetime.datetime | None, datetime.datetime | None, object]]:
    """(number, datetime_start, last heartbeat, owner) of a study's RUNNING trials; the owner is
    the decoded user attribute `owner_attr` (None when unset)."""
    t, beats, attrs = _trials, _heartbeats, _user_attrs
    query = (
        sa.select(t.c.number, t.c.datetime_start, beats.c.heartbeat, attrs.c.value_json)
        .select_from(
            t.outerjoin(beats, beats.c.trial_id == t.c.trial_id).outerjoin(
                attrs, (attrs.c.trial_id == t.c.trial_id) & (attrs.c.key == owner_attr)
            )
        )
        .where(t.c.study_id == study_id, t.c.state == RUNNING)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        (number, started, heartbeat, json.loads(owner) if owner else None)
        for number, started, heartbeat, owner in rows
    ]


def copy_epochs(engine: sa.Engine, study_id: int, trial_id: int, previous: int) -> list[dict]:
    """Copies into a retry or promoted copy (`trial_id`) the epochs of the attempt it continues
    (number `previous`), and returns them (it resumes after them)."""
    with engine.begin() as connection:
        found = connection.execute(
            sa.select(_trials.c.trial_id).where(
                _trials.c.study_id == study_id, _trials.c.number == previous
            )
        ).scalar()
        if found is None:
            return []
        rows = (
            connection.execute(
                sa.select(_epochs).where(_epochs.c.trial_id == found).order_by(_epochs.c.epoch)
            )
            .mappings()
            .all()
        )
        copies = [{**row, "trial_id": trial_id} for row in rows]
        if copies:
            connection.execute(_epochs.delete().where(_epochs.c.trial_id == trial_id))
            connection.execute(_epochs.insert(), copies)
    return [dict(row) for row in copies]


# The budget (sweeper/sweep/budget.py says what it counts and why): trials, not attempts. A
# trial is its first attempt's number; an attempt with no record yet is a first attempt (just
# asked, or a grid point). Over-budget attempts never count (outcomes.Outcome.in_budget).
_NOT_COUNTED = ", ".join(f"'{o.value}'" for o in Outcome if not o.in_budget)
_LINEAGES = f"""
SELECT COALESCE(a.first_attempt, t.number) AS lineage, t.number, t.state
FROM trials t LEFT JOIN sweeper_attempts a ON a.trial_id = t.trial_id
WHERE t.study_id = :study_id AND (a.outcome IS NULL OR a.outcome NOT IN ({_NOT_COUNTED}))
"""
_TALLY = f"""
SELECT COUNT(DISTINCT l.lineage),
       COALESCE(SUM(CASE WHEN l.state = 'WAITING' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN l.state = 'RUNNING' THEN 1 ELSE 0 END), 0)
FROM ({_LINEAGES}) l
"""
_USED_BELOW = f"SELECT COUNT(DISTINCT l.lineage) FROM ({_LINEAGES}) l WHERE l.number < :below"


def budget_tally(engine: sa.Engine, study_id: int) -> tuple[int, int, int]:
    """(trials using the budget, attempts WAITING, attempts RUNNING) of a study."""
    with engine.connect() as connection:
        used, waiting, running = connection.execute(sa.text(_TALLY), {"study_id": study_id}).one()
    return int(used), int(waiting), int(running)


def budget_used_below(connection: sa.Connection, study_id: int, number: int) -> int:
    """The trials using the budget among the attempts numbered below `number`: a new trial is
    over the budget when this reaches it."""
    query = sa.text(_USED_BELOW)
    return connection.execute(query, {"study_id": study_id, "below": number}).scalar()
