"""Shared fixtures: a SQLite storage in a temp dir, study files written by tests, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def storage_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'sweeper.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request, tmp_path):
    """The test once on SQLite and once on the real PostgreSQL of tests/pg.py."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sweeper.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def write_study(tmp_path):
    """Writes a study file into the temp dir and returns its path."""

    def write(text: str, name: str = "study.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


def study_system_attrs(url: str, name: str) -> dict:
    """A stored study's system attributes, where sweeper keeps its spec (Optuna 5 has no
    Study.system_attrs)."""
    import optuna

    storage = optuna.storages.RDBStorage(url)
    try:
        return storage.get_study_system_attrs(storage.get_study_id_from_name(name))
    finally:
        storage.engine.dispose()


def records(url: str, name: str) -> dict:
    """A stored study's attempt records by trial number (sweeper.outcomes.Attempt), as every
    command reads them."""
    import sqlalchemy as sa

    from sweeper.store import reads

    engine = sa.create_engine(url)
    try:
        study = reads.find_study(engine, name)
        with engine.connect() as connection:
            frame = reads.attempts(connection, study.study_id, pausing=True)
    finally:
        engine.dispose()
    return {int(n): a for n, a in zip(frame["number"], frame["attempt"])}


def cli_env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(*args, cwd=None, timeout=300, env=None) -> subprocess.CompletedProcess:
    """`sweeper ARGS` as a user runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "sweeper.cli", *map(str, args)],
        cwd=cwd,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


from tests.pg import postgres_server, postgres_url  # noqa: E402,F401  (fixtures: a real PostgreSQL server)


def to_old_layout(url: str) -> None:
    """Moves the long attributes back to user attributes: a study as earlier versions wrote it."""
    import sqlalchemy as sa

    from sweeper.store.schema import LONG_TRIAL_ATTRS, SPEC_ATTR

    engine = sa.create_engine(url)
    keys = ", ".join(f"'{key}'" for key in LONG_TRIAL_ATTRS)
    with engine.begin() as connection:
        for kind, owner, where in (
            ("study", "study_id", f"key = '{SPEC_ATTR}'"),
            ("trial", "trial_id", f"key IN ({keys})"),
        ):
            moved = connection.exec_driver_sql(
                f"INSERT INTO {kind}_user_attributes ({owner}, key, value_json) "
                f"SELECT {owner}, key, value_json FROM {kind}_system_attributes WHERE {where}"
            ).rowcount
            assert moved > 0
            connection.exec_driver_sql(f"DELETE FROM {kind}_system_attributes WHERE {where}")
    engine.dispose()
