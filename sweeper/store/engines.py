"""Connections to a storage: Optuna's RDBStorage for the supervisor, read-only engines for the rest.

Writers open the storage through `open_storage` (Optuna's RDBStorage, which creates or checks
Optuna's schema, plus our `sweeper_epochs`). Readers (status, report, dashboard, export, rerun,
and resolving a stored study by name) open it through `open_reader`: connections that cannot
write, on a storage whose schema is the one the installed Optuna uses (`schema.check_schema`),
so an old or newer schema is one line, not a wrong number or a traceback.
"""

from __future__ import annotations

import time
from pathlib import Path

import optuna
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from sweeper.errors import StorageError
from sweeper.store.schema import check_schema, create_schema
from sweeper.urls import check_url, check_writable, redact

# Seconds a SQLite writer waits for a lock before failing: longer than any write we make.
SQLITE_BUSY_TIMEOUT_S = 60
CREATE_ATTEMPTS = 5
# The PostgreSQL advisory lock first runs take to create the schema one at a time: any fixed
# 64-bit number no other application on the database uses (these are the bytes of "sweeper").
SCHEMA_LOCK_KEY = int.from_bytes(b"sweeper", "big")


def engine_kwargs(url: str, *, pooled: bool = True) -> dict:
    """create_engine's arguments for a storage; `pooled=False`: the connection's alone, for an
    engine with its own pool class."""
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    kwargs = {}
    if pooled:
        # Connections dropped by the server after idle hours are replaced, not failed
        # (optuna#5600). Up to 8 connections a supervisor (pool_size + max_overflow): README's
        # sizing relies on it.
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
            f"cannot open the storage {redact(url)}: {first_line(error)}",
            "check that the database server is running and the URL, user and password are right",
        ) from None
    except ModuleNotFoundError as error:
        raise StorageError(
            f"the driver {error.name!r} for {redact(url)} is not installed",
            "use postgresql+psycopg://… (psycopg 3 ships with sweeper) or install the driver",
        ) from None
    return storage


def _create_schema(url: str, rdb_kwargs: dict) -> optuna.storages.RDBStorage:
    """Optuna's and our tables (`schema.create_schema`), then Optuna's RDBStorage on them.

    On PostgreSQL the creation runs in one transaction under an advisory lock, so first runs that
    start together make the schema one after the other, each on a single connection: behind
    PgBouncer they neither deadlock on its pool nor see half-made tables. A storage another Optuna
    made is refused (`check_schema`) before anything is written to it.
    SQLite has no such lock and commits DDL as it goes: two first runs can race to create a
    table, and the loser's second try finds it made.
    """
    for attempt in range(CREATE_ATTEMPTS):
        engine = sa.create_engine(
            url, poolclass=sa.pool.NullPool, **engine_kwargs(url, pooled=False)
        )
        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
                check_schema(connection, redact(url))
                create_schema(connection)
            break
        except (IntegrityError, OperationalError, ProgrammingError) as error:
            if "already exists" not in str(error) and not isinstance(error, IntegrityError):
                raise
            if attempt == CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
        finally:
            engine.dispose()
    storage = optuna.storages.RDBStorage(
        url,
        engine_kwargs=engine_kwargs(url),
        skip_table_creation=True,
        skip_compatibility_check=True,  # check_schema above, in the creating transaction
        **rdb_kwargs,
    )
    if storage.engine.dialect.name == "sqlite":
        tune_sqlite(storage.engine)
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


def read_engine(url: str) -> sa.Engine:
    """An engine for SQL without Optuna's schema checks or read-only guard (tests, benches);
    the commands read through `open_reader`."""
    check_url(url)
    return sa.create_engine(url, **engine_kwargs(url))


def open_reader(url: str) -> sa.Engine:
    """An engine whose connections refuse writes (SQLite: PRAGMA query_only; PostgreSQL: read-only
    transactions), on a storage whose Optuna schema is the installed Optuna's.

    A missing SQLite file is an error here: connecting would create an empty database. So is a
    schema another Optuna made (`check_schema`): checked once, on open, before any other read.
    """
    engine = read_engine(url)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database not in (None, "", ":memory:") and not Path(database).expanduser().is_file():
            raise StorageError(
                f"there is no storage at {redact(url)}",
                "run a study first (sweeper run STUDY_FILE), or point --storage / $SWEEPER_STORAGE at it",
            )

        @sa.event.listens_for(engine, "connect")
        def _read_only(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA query_only = ON")

    elif engine.dialect.name == "postgresql":

        @sa.event.listens_for(engine, "connect")
        def _read_only_transactions(dbapi_connection, _record):
            # psycopg 3 opens every transaction as BEGIN READ ONLY: scoped to the transaction,
            # so it holds through a transaction-pooling PgBouncer, unlike a session SET.
            if hasattr(dbapi_connection, "read_only"):
                dbapi_connection.read_only = True

    try:
        with engine.connect() as connection:
            check_schema(connection, redact(url))
    except sa.exc.DBAPIError as error:
        engine.dispose()
        raise unreadable(url, error) from None
    except StorageError:
        engine.dispose()
        raise
    return engine


def unreadable(url: str, error: Exception) -> StorageError:
    """The one line for a storage a reader cannot read (raise it `from None`)."""
    return StorageError(
        f"cannot read the storage {redact(url)}: {first_line(error)}",
        "check --storage (or $SWEEPER_STORAGE) and that the database is up",
    )


def first_line(error: Exception) -> str:
    """What a database error says, on one line: the driver's text rather than a wrapper's."""
    if isinstance(error, optuna.exceptions.StorageInternalError) and error.__cause__:
        error = error.__cause__  # Optuna's text is generic; the driver's says what happened
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
