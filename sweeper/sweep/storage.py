"""Storage URLs to Optuna storages, and the per-epoch metrics table beside Optuna's tables.

Per-epoch metrics live in a table of our own, `sweeper_epochs` (one row per trial and epoch,
one column per metric), rather than in Optuna's intermediate values plus JSON attributes:
Optuna keeps one number per step, and reports need a dozen per epoch, read for thousands of
trials with one SQL query into pandas. The metric that pruning watches is also reported to
Optuna as the intermediate value, so the study stays a plain Optuna study.
Accuracies are percentages (0-100), the unit the write-ups publish.
"""
from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path

import optuna
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from sweeper.errors import StorageError

DEFAULT_STORAGE = "sqlite:///sweeper.db"
STORAGE_HELP = f"database URL (default: $SWEEPER_STORAGE, else {DEFAULT_STORAGE})"  # every command's --storage
# Study user attribute holding the study spec, so workers and reports need no study file.
SPEC_ATTR = "sweeper_spec"
# Seconds a SQLite writer waits for a lock before failing: longer than any write we make.
SQLITE_BUSY_TIMEOUT_S = 60

EPOCH_METRICS = (
    "train_loss", "train_acc", "val_loss", "val_acc", "val_top5",
    "lr", "seconds", "images_per_s", "peak_mem_mb",
)

metadata = sa.MetaData()
epochs_table = sa.Table(
    "sweeper_epochs",
    metadata,
    sa.Column("trial_id", sa.Integer, primary_key=True),  # Optuna's trials.trial_id
    sa.Column("epoch", sa.Integer, primary_key=True),  # 1-based
    *(sa.Column(name, sa.Float) for name in EPOCH_METRICS),
    sa.Column("recorded_at", sa.Float),  # unix seconds
)


def resolve_url(url: str | None) -> str:
    """--storage, else $SWEEPER_STORAGE, else sqlite:///sweeper.db in the working directory."""
    return url or os.environ.get("SWEEPER_STORAGE") or DEFAULT_STORAGE


def redact(url: str) -> str:
    """The URL with its password masked, for anything a person or a log may see."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparsable storage URL>"


def check_url(url: str) -> None:
    """Fails with one clear line for a malformed URL, an unknown backend or a missing folder."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StorageError(
            f"storage URL {redact(url)!r} is not a database URL",
            "use sqlite:///PATH.db or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB",
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql", "mysql"):
        raise StorageError(
            f"storage URL {redact(url)!r} names an unknown database {backend!r}",
            "use sqlite:///PATH.db or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB",
        )
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise StorageError(
                f"the folder {folder} of the SQLite storage does not exist",
                "create it first, or point --storage at an existing folder",
            )


def engine_kwargs(url: str) -> dict:
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    # Connections dropped by the server after idle hours are replaced, not failed (optuna#5600).
    return {"pool_pre_ping": True, "pool_size": 4, "max_overflow": 4, "pool_recycle": 3600}


def open_storage(url: str, **rdb_kwargs) -> optuna.storages.RDBStorage:
    """An Optuna RDBStorage with our epochs table; a bad or unreachable URL is a StorageError."""
    check_url(url)
    try:
        storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs(url), **rdb_kwargs)
        metadata.create_all(storage.engine)
        if storage.engine.dialect.name == "sqlite":
            tune_sqlite(storage.engine)
    except (OperationalError, SQLAlchemyError) as error:
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


def write_user_attrs(engine: sa.Engine, trial_id: int, attrs: dict) -> None:
    """Sets many user attributes of a running trial in one transaction, as Optuna stores them.

    Optuna's set_user_attr commits once per key; a finished trial has a dozen of them.
    """
    table = sa.table("trial_user_attributes", sa.column("trial_id"), sa.column("key"), sa.column("value_json"))
    with engine.begin() as connection:
        connection.execute(table.delete().where((table.c.trial_id == trial_id) & table.c.key.in_(list(attrs))))
        connection.execute(table.insert(), [
            {"trial_id": trial_id, "key": key, "value_json": json.dumps(value)} for key, value in attrs.items()
        ])


def read_engine(url: str) -> sa.Engine:
    """An engine for read-only SQL (reports, dashboard), without Optuna's schema checks."""
    check_url(url)
    return sa.create_engine(url, **engine_kwargs(url))


class EpochLog:
    """Writes one row per trial and epoch into `sweeper_epochs`.

    With `flush_every_s`, rows arriving faster than that are written together in one
    transaction: a sweep of second-long epochs writes each at once, one of instant epochs does
    not pay a commit per epoch. Rows still buffered when a supervisor is killed are not lost:
    a resumed trial reports its restored epochs again.
    """

    def __init__(self, engine: sa.Engine, flush_every_s: float = 0.0):
        self.engine = engine
        self.flush_every_s = flush_every_s
        self.pending: list[dict] = []
        self.last_flush = 0.0
        dialect = engine.dialect.name
        # Dialects with INSERT ... ON CONFLICT; others (MySQL) take REPLACE INTO.
        self._insert = (importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
                        if dialect in ("sqlite", "postgresql") else None)

    def write(self, trial_id: int, epoch: int, metrics: dict) -> None:
        row = {name: _as_float(metrics.get(name)) for name in EPOCH_METRICS}
        row.update(trial_id=trial_id, epoch=epoch, recorded_at=time.time())
        self.pending = [r for r in self.pending if (r["trial_id"], r["epoch"]) != (trial_id, epoch)] + [row]
        self.flush_if_due()

    def flush_if_due(self) -> None:
        if self.pending and time.monotonic() - self.last_flush >= self.flush_every_s:
            self.flush()

    def flush(self) -> None:
        """Writes the buffered rows; they stay buffered if the database fails, for a retry."""
        if self.pending:
            with self.engine.begin() as connection:
                for row in self.pending:
                    connection.execute(self._upsert(row))
            self.pending = []
        self.last_flush = time.monotonic()

    def _upsert(self, row: dict):
        """An insert that replaces a re-sent epoch (a resumed trial reports it again): one statement."""
        if self._insert is not None:
            statement = self._insert(epochs_table).values(**row)
            changed = {k: v for k, v in row.items() if k not in ("trial_id", "epoch")}
            return statement.on_conflict_do_update(index_elements=["trial_id", "epoch"], set_=changed)
        return sa.text("REPLACE INTO sweeper_epochs ({0}) VALUES ({1})".format(
            ", ".join(row), ", ".join(f":{k}" for k in row))).bindparams(**row)


def _as_float(value) -> float | None:
    return None if value is None else float(value)


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
