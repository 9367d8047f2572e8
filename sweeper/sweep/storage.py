"""Optuna storages opened for writing, and the batched writes running trials make."""

from __future__ import annotations

import functools
import importlib
import json
import time

import optuna
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from sweeper.errors import StorageError
from sweeper.store import schema
from sweeper.store.schema import EPOCH_METRICS, SPEC_ATTR, metadata  # noqa: F401 (re-exported)
from sweeper.store.schema import epochs as epochs_table
from sweeper.urls import check_url, check_writable, redact

# Seconds a SQLite writer waits for a lock before failing: longer than any write we make.
SQLITE_BUSY_TIMEOUT_S = 60
CREATE_ATTEMPTS = 5
# Optuna's tables that sweeper writes in batches (the intermediate value type is a database
# enum on PostgreSQL, so values go through Optuna's own conversion).
_intermediate_values = schema.trial_intermediate_values
_user_attrs = schema.trial_user_attrs
_heartbeats = schema.trial_heartbeats
_BEAT_NOW = {"heartbeat": sa.func.now()}  # one object, so the heartbeat upsert is built once


def engine_kwargs(url: str) -> dict:
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    # Connections dropped by the server after idle hours are replaced, not failed (optuna#5600).
    # Up to 8 connections a supervisor (pool_size + max_overflow): README's sizing relies on it.
    kwargs = {"pool_pre_ping": True, "pool_size": 4, "max_overflow": 4, "pool_recycle": 3600}
    if make_url(url).get_driver_name() == "psycopg":
        # No server-side prepared statements (psycopg prepares a query after 5 runs): behind
        # PgBouncer in transaction mode each transaction may run on another server session.
        kwargs["connect_args"] = {"prepare_threshold": None}
    return kwargs


def open_storage(url: str, **rdb_kwargs) -> optuna.storages.RDBStorage:
    """An Optuna RDBStorage with our epochs table; a bad or unreachable URL is a StorageError."""
    check_url(url)
    check_writable(url)
    try:
        storage = _create_schema(url, rdb_kwargs)
    except (OperationalError, SQLAlchemyError, optuna.exceptions.StorageInternalError) as error:
        raise StorageError(
            f"cannot open the storage {redact(url)}: {_first_line(error)}",
            "check that the database server is running and the URL, user and password are right",
        ) from None
    except ModuleNotFoundError as error:
        raise StorageError(
            f"the driver {error.name!r} for {redact(url)} is not installed",
            "use postgresql+psycopg://… (psycopg 3 ships with sweeper) or install the driver",
        ) from None
    return storage


def _create_schema(url: str, rdb_kwargs: dict) -> optuna.storages.RDBStorage:
    """Optuna's and our tables. Two first runs on a fresh database race to create them: the
    loser sees a unique-key error from Alembic's version row or "table already exists", and a
    second try finds them made."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            storage = optuna.storages.RDBStorage(
                url, engine_kwargs=engine_kwargs(url), **rdb_kwargs
            )
            metadata.create_all(storage.engine)
            if storage.engine.dialect.name == "sqlite":
                tune_sqlite(storage.engine)
            return storage
        except (IntegrityError, OperationalError, optuna.exceptions.StorageInternalError) as error:
            # Optuna wraps what its own sessions meet (a pooler's query_wait_timeout while
            # another first run holds the schema's locks) in StorageInternalError.
            racing = not isinstance(error, OperationalError) or "already exists" in str(error)
            if not racing or attempt == CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def tune_sqlite(engine: sa.Engine) -> None:
    """WAL, so readers (reports, the dashboard) never block the writer, and no fsync per commit.

    In WAL mode synchronous=NORMAL stays consistent and loses nothing when a process is killed;
    only a power cut can lose the last commits. It makes each commit ~30x cheaper.
    """
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")  # persistent: stored in the file
    sa.event.listen(engine, "connect", _per_connection_pragmas)
    engine.dispose()  # pooled connections were opened before the listener


def _per_connection_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def read_engine(url: str) -> sa.Engine:
    """An engine for read-only SQL (reports, dashboard), without Optuna's schema checks."""
    check_url(url)
    return sa.create_engine(url, **engine_kwargs(url))


class TrialLog:
    """What running trials report, written in batches: epoch rows, pruning values, attributes.

    Optuna writes each intermediate value and each user attribute in a transaction of its own,
    through its ORM (a few ms of CPU each): for a sweep of instant epochs that was most of the
    supervisor's time. With `flush_every_s`, everything arriving faster than that is written in
    one transaction; a sweep of second-long epochs still writes each at once.
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
        """User attributes of a running trial, as Optuna stores them (JSON per key)."""
        self.attrs.setdefault(trial_id, {}).update(attrs)
        self.flush_if_due()

    def flush_if_due(self) -> None:
        if self.pending() and time.monotonic() - self.last_flush >= self.flush_every_s:
            self.flush()

    def pending(self) -> bool:
        return bool(self.epochs or self.pruning_values or self.attrs)

    def flush(self) -> None:
        """Writes what is buffered in one transaction; it stays buffered if the database fails,
        for a retry. Rows of trials that are no longer RUNNING are dropped, as Optuna's own
        writes refuse them: another machine may have failed the trial as silent meanwhile, and
        its retry now owns the trial's story."""
        if self.pending():
            with self.engine.begin() as connection:
                live = _running(
                    connection,
                    {
                        *self.attrs,
                        *(k[0] for k in self.epochs),
                        *(k[0] for k in self.pruning_values),
                    },
                )
                attrs = [
                    {"trial_id": trial_id, "key": key, "value_json": json.dumps(value)}
                    for trial_id, trial_attrs in self.attrs.items()
                    if trial_id in live
                    for key, value in trial_attrs.items()
                ]
                epochs = [row for key, row in self.epochs.items() if key[0] in live]
                values = [row for key, row in self.pruning_values.items() if key[0] in live]
                upsert(connection, _user_attrs, ["trial_id", "key"], attrs)
                upsert(connection, epochs_table, ["trial_id", "epoch"], epochs)
                upsert(connection, _intermediate_values, ["trial_id", "step"], values)
            self.epochs, self.pruning_values, self.attrs = {}, {}, {}
        self.last_flush = time.monotonic()

    def forget_epochs(self, trial_id: int, first: int) -> None:
        """Drops a trial's epochs from `first` on, buffered and stored: it restarted there."""
        self.flush()
        with self.engine.begin() as connection:
            connection.execute(
                epochs_table.delete().where(
                    epochs_table.c.trial_id == trial_id, epochs_table.c.epoch >= first
                )
            )
            connection.execute(
                _intermediate_values.delete().where(
                    _intermediate_values.c.trial_id == trial_id,
                    _intermediate_values.c.step >= first,
                )
            )


def _running(connection: sa.Connection, trial_ids: set[int]) -> set[int]:
    trials = schema.trials
    return set(
        connection.execute(
            sa.select(trials.c.trial_id).where(
                trials.c.trial_id.in_(trial_ids), trials.c.state == "RUNNING"
            )
        ).scalars()
    )


def record_heartbeats(connection: sa.Connection, trial_ids: list[int]) -> None:
    """Optuna's heartbeat rows for running trials, with the database's clock as Optuna keeps them.

    The same rows as RDBStorage.record_heartbeat, which takes three queries and a commit per trial.
    """
    if trial_ids:
        upsert(
            connection, _heartbeats, ["trial_id"], [{"trial_id": t} for t in trial_ids], _BEAT_NOW
        )


def set_trial_attrs(connection: sa.Connection, trial_id: int, attrs: dict) -> None:
    """User attributes of a trial, as Optuna stores them (JSON per key), in the caller's transaction."""
    rows = [{"trial_id": trial_id, "key": k, "value_json": json.dumps(v)} for k, v in attrs.items()]
    upsert(connection, _user_attrs, ["trial_id", "key"], rows)


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


def _as_float(value) -> float | None:
    return None if value is None else float(value)


def _first_line(error: Exception) -> str:
    if isinstance(error, optuna.exceptions.StorageInternalError) and error.__cause__:
        error = error.__cause__  # Optuna's text is generic; the driver's says what happened
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
