"""Riding out a database that restarts or drops connections: pause, retry with backoff, go on."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import optuna
import sqlalchemy.exc as sa_exc

from sweeper.errors import StorageError
from sweeper.store.engines import first_line

T = TypeVar("T")

# Errors that mean "the database is not answering right now", not "this request is wrong".
TRANSIENT = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    optuna.exceptions.StorageInternalError,
)
OUTAGE_LIMIT_S = 3600  # give up after an hour without the database
MAX_DELAY_S = 30


def patiently(
    operation: Callable[[], T], note: Callable[[str], None], limit_s: float = OUTAGE_LIMIT_S
) -> T:
    """Runs `operation`, retrying it while the database is unreachable, up to `limit_s` seconds.

    Every operation passed here must be safe to repeat: epoch rows and attributes are
    replaced, intermediate values are upserts, and `tell` skips trials already finished.
    """
    delay, started = 1.0, time.monotonic()
    while True:
        try:
            return operation()
        except TRANSIENT as error:
            if time.monotonic() - started > limit_s:
                raise StorageError(
                    f"the database did not answer for {limit_s:.0f} s: {_first_line(error)}",
                    "check the database server, then run the same command again to continue",
                ) from None
            note(f"database unreachable ({_first_line(error)}); retrying in {delay:.0f} s")
            time.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)


def _first_line(error: Exception) -> str:
    return first_line(error)[:200]
