"""Many supervisors on one PostgreSQL through a real PgBouncer pooling transactions
(Debian's pgbouncer on loopback, in front of tests/pg.py's server)."""

from collections import Counter

import optuna
from optuna.trial import TrialState

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
