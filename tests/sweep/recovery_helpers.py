"""Running `sweeper run` in the background and watching its study in the database."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import sqlalchemy as sa

from tests.conftest import cli_env


def start(*args, tmp_path, epoch_seconds=0.3) -> subprocess.Popen:
    env = cli_env(FAKE_EPOCH_SECONDS=epoch_seconds, FAKE_TRIAL_LOG=tmp_path / "trials.jsonl")
    return subprocess.Popen(
        [sys.executable, "-m", "sweeper.cli", *map(str, args)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def running(url: str) -> list[dict]:
    """RUNNING trials with their last stored epoch and their executor's pid."""
    query = sa.text(
        "SELECT t.number, (SELECT MAX(e.epoch) FROM sweeper_epochs e WHERE e.trial_id = t.trial_id) AS epoch,"
        " (SELECT u.value_json FROM trial_user_attributes u WHERE u.trial_id = t.trial_id AND u.key = 'pid') AS pid"
        " FROM trials t WHERE t.state = 'RUNNING'"
    )
    try:
        with sa.create_engine(url).connect() as connection:
            return [
                {"number": n, "epoch": e or 0, "pid": json.loads(p) if p else None}
                for n, e, p in connection.execute(query)
            ]
    except sa.exc.OperationalError:  # the tables are not there yet
        return []


def trial_log(tmp_path) -> list[dict]:
    path = tmp_path / "trials.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
