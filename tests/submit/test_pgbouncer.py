"""Many supervisors on one PostgreSQL through a real PgBouncer pooling transactions
(Debian's pgbouncer on loopback, in front of tests/pg.py's server, 2 server connections)."""

import subprocess
import sys
from collections import Counter

import optuna
import sqlalchemy as sa
from optuna.trial import TrialState

from sweeper.store import schema
from tests.pgbouncer import pgbouncer  # noqa: F401 (fixture)
from tests.sweep.recovery_helpers import start, trial_log, wait_for

STUDY = """
from sweeper import Study, loguniform
study = Study(name="pooled", train=dict(epochs=3), space=dict(lr=loguniform(1e-3, 1.0)),
              n_trials=12, trainer="tests.fake_trainer:fit", sampler="tpe", pruner="median")
"""


def test_supervisors_share_two_server_connections_through_pgbouncer(
    write_study, pgbouncer, tmp_path
):
    """Three supervisors (up to 8 connections each) multiplexed on 2 server connections: every
    transaction may land on another server session, so a prepared statement or any session
    state sweeper relied on would fail here ("prepared statement ... does not exist")."""
    bouncer = pgbouncer
    study = write_study(STUDY)
    common = ("--storage", bouncer.url, "--artifacts", tmp_path / "runs", "--workers", 1)
    sweeps = [start("run", study, *common, tmp_path=tmp_path, epoch_seconds=0.05) for _ in range(3)]
    for sweep in sweeps:
        out, err = sweep.communicate(timeout=180)
        assert sweep.returncode == 0, err
    trials = optuna.load_study(study_name="pooled", storage=bouncer.url).trials
    states = Counter(t.state for t in trials)
    assert states[TrialState.COMPLETE] + states[TrialState.PRUNED] == 12  # the exact budget
    assert not states[TrialState.RUNNING] and not states[TrialState.WAITING]
    failed = [t.user_attrs.get("stop_reason") for t in trials if t.state == TrialState.FAIL]
    assert set(failed) <= {"over budget"}, failed
    assert len({entry["dir"] for entry in trial_log(tmp_path)}) == 12
    # It all went through the pooler (its totals are refreshed each second).
    wait_for(lambda: bouncer.stats()["total_xact_count"] > 300, timeout=5, what="PgBouncer's stats")


OPEN = """
import sys
from sweeper.store.engines import open_storage
open_storage(sys.argv[1]).engine.dispose()
"""


def test_a_fleet_starting_at_once_opens_a_fresh_database_through_pgbouncer(pgbouncer, tmp_path):
    """Ten machines' first runs at once, through 2 server connections. Optuna's own first open
    holds one connection while it asks for another, so such runs each held one of the two and
    waited for the pooler's query_wait_timeout (most of them failed). Each now makes the schema
    on one connection, one after the other, and a second wave opens what the first made."""
    for wave in ("fresh database", "schema made"):
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN, pgbouncer.url],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(10)
        ]
        failed = []
        for run in runs:
            _, err = run.communicate(timeout=120)
            if run.returncode:
                failed.append(err.strip().splitlines()[-1:])
        assert not failed, f"{wave}: {len(failed)} of 10 failed: {failed}"
    engine = sa.create_engine(pgbouncer.url, connect_args={"prepare_threshold": None})
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").all() == [
            (schema.head_revision(),)
        ]
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(schema.version_info)).scalar()
            == 1
        )
    engine.dispose()
