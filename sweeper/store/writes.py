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
from collections import Counter

import sqlalchemy as sa

from sweeper.store import schema
from sweeper.store.schema import EPOCH_METRICS

RUNNING = "RUNNING"
_epochs = schema.epochs
_trials = schema.trials
_intermediate_values = schema.trial_intermediate_values
_user_attrs = schema.trial_user_attrs
_system_attrs = schema.trial_system_attrs
_heartbeats = schema.trial_heartbeats
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

    def flush_if_due(self) -> None:
        if self.pending() and time.monotonic() - self.last_flush >= self.flush_every_s:
            self.flush()

    def pending(self) -> bool:
        return bool(self.epochs or self.pruning_values or self.attrs)

    def flush(self) -> None:
        """Writes what is buffered in one transaction; it stays buffered if the database fails,
        for a retry. Rows of trials that are no longer RUNNING are dropped."""
        if self.pending():
            with self.engine.begin() as connection:
                live = running(
                    connection,
                    {
                        *self.attrs,
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
            self.epochs, self.pruning_values, self.attrs = {}, {}, {}
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


def start_trial(connection: sa.Connection, trial_id: int, attrs: dict) -> None:
    """A trial this machine has just taken: its first heartbeat and its attributes (as
    `TrialWriteBuffer.set_attrs` stores them), in the caller's transaction, after one check
    that it still runs; nothing when it has finished (another machine took it over)."""
    if running(connection, {trial_id}):
        upsert(connection, _heartbeats, ["trial_id"], [{"trial_id": trial_id}], _BEAT_NOW)
        _upsert_attrs(connection, {trial_id: attrs})


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


_PREVIOUS_ATTEMPT = sa.text(
    "SELECT t.trial_id FROM trials t WHERE t.study_id = :study_id AND t.number < :number"
    " AND t.state = 'FAIL' AND (t.number = :root OR EXISTS (SELECT 1 FROM trial_user_attributes u"
    " WHERE u.trial_id = t.trial_id AND u.key = 'retry_of' AND u.value_json = :root_json))"
    " ORDER BY t.number DESC LIMIT 1"
)


def copy_previous_epochs(
    engine: sa.Engine, study_id: int, trial_id: int, number: int, root: int
) -> list[dict]:
    """Copies into a retry (`trial_id`, `number`) the epochs of the latest failed attempt of
    trial `root`, and returns them (the retry resumes after them)."""
    with engine.begin() as connection:
        found = connection.execute(
            _PREVIOUS_ATTEMPT,
            {"study_id": study_id, "number": number, "root": root, "root_json": str(root)},
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


# The budget (sweeper/sweep/budget.py says what it counts and why).
_FAILED_FOR_GOOD = """EXISTS (
    SELECT 1 FROM trial_user_attributes u
    WHERE u.trial_id = t.trial_id AND u.key = 'stop_reason' AND u.value_json LIKE '"failed:%')"""
# A paused trial (promoting pruner) that a copy resumes: the copy counts instead. MySQL casts
# to SIGNED; SQLite and PostgreSQL to INTEGER.
_PROMOTED = """t.number NOT IN (
    SELECT CAST(p.value_json AS INT_TYPE) FROM trial_user_attributes p
    JOIN trials c ON c.trial_id = p.trial_id
    WHERE c.study_id = :study_id AND p.key = 'promoted_from')"""
_TALLY = f"""
SELECT t.state, COUNT(*) FROM trials t
WHERE t.study_id = :study_id AND {_PROMOTED}
  AND (t.state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED') OR (t.state = 'FAIL' AND {_FAILED_FOR_GOOD}))
GROUP BY t.state
"""
_USED_BELOW = f"""
SELECT COUNT(*) FROM trials t
WHERE t.study_id = :study_id AND t.number < :below AND {_PROMOTED}
  AND (t.state <> 'FAIL' OR {_FAILED_FOR_GOOD})
"""


@functools.cache
def _budget_sql(template: str, dialect: str) -> sa.TextClause:
    return sa.text(template.replace("INT_TYPE", "SIGNED" if dialect == "mysql" else "INTEGER"))


def budget_tally(engine: sa.Engine, study_id: int) -> Counter:
    """Budget-using trials by state (WAITING, RUNNING, COMPLETE, PRUNED, FAIL)."""
    with engine.connect() as connection:
        query = _budget_sql(_TALLY, connection.dialect.name)
        return Counter(dict(connection.execute(query, {"study_id": study_id}).all()))


def budget_used_below(connection: sa.Connection, study_id: int, number: int) -> int:
    """The budget taken by trials numbered below `number` (one count, without the tally's split
    by state: half the time in a study of 10,000 trials)."""
    query = _budget_sql(_USED_BELOW, connection.dialect.name)
    return connection.execute(query, {"study_id": study_id, "below": number}).scalar()


def unix_now(dialect: str) -> sa.ColumnElement:
    """The database's clock in unix seconds, as each backend writes it: claims are compared
    across machines, whose own clocks may disagree by more than the grace period."""
    if dialect == "sqlite":
        return sa.literal_column("((julianday('now') - 2440587.5) * 86400.0)")
    if dialect == "mysql":
        return sa.literal_column("UNIX_TIMESTAMP(NOW(6))")
    return sa.extract("epoch", sa.func.now())


def claim_promotion(
    engine: sa.Engine, paused_trial_id: int, *, copy_attr: str, stale_after_s: float
) -> bool:
    """True for the one supervisor, of all machines on the study, that may queue the copy
    resuming this paused trial; False when another has claimed it.

    A claim and its copy are two writes (Optuna queues the copy in its own transaction): a
    supervisor killed between them leaves a claim with no copy, and the trial would stay paused
    for good. Such a claim (older than `stale_after_s`, and no trial of the study has the user
    attribute `copy_attr` naming the paused trial's number) is taken over, by one machine only:
    the update matches the claim's old time. Claims are timed by the database's clock.
    """
    claims, trials = schema.promotions, schema.trials
    now = unix_now(engine.dialect.name)
    try:
        with engine.begin() as connection:
            connection.execute(claims.insert().values(trial_id=paused_trial_id, claimed_at=now))
        return True
    except sa.exc.IntegrityError:
        pass
    with engine.begin() as connection:
        claim = connection.execute(
            sa.select(claims.c.claimed_at, now - claims.c.claimed_at).where(
                claims.c.trial_id == paused_trial_id
            )
        ).first()
        if claim is None or claim[0] is None or claim[1] < stale_after_s:
            return False
        paused, copy = trials.alias("paused"), trials.alias("copy")
        copied = connection.execute(
            sa.select(sa.literal(1))
            .select_from(paused)
            .join(copy, copy.c.study_id == paused.c.study_id)
            .join(_user_attrs, _user_attrs.c.trial_id == copy.c.trial_id)
            .where(
                paused.c.trial_id == paused_trial_id,
                _user_attrs.c.key == copy_attr,
                _user_attrs.c.value_json == sa.cast(paused.c.number, sa.String),
            )
            .limit(1)
        ).first()
        if copied:
            return False
        taken = connection.execute(
            claims.update()
            .where(claims.c.trial_id == paused_trial_id, claims.c.claimed_at == claim[0])
            .values(claimed_at=now)
        )
        return taken.rowcount == 1
