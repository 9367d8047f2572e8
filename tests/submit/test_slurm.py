"""`sweeper submit slurm` on a real one-node Slurm cluster (tests/submit/slurm_cluster.py):
two array tasks share a study's budget exactly, and a task cancelled mid-trial loses nothing."""

import os
import subprocess
import sys
from collections import Counter

import optuna
import pytest
import sqlalchemy as sa
from optuna.trial import TrialState

from tests.conftest import cli_env, run_cli
from tests.submit.slurm_cluster import SlurmCluster, unavailable
from tests.sweep.recovery_helpers import running, trial_log, wait_for

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=unavailable() or "")

STUDY = """
from sweeper import Study, loguniform
study = Study(name="{name}", train=dict(epochs={epochs}), space=dict(lr=loguniform(1e-3, 1.0)),
              n_trials={n_trials}, trainer="tests.fake_trainer:fit", sampler="random",
              pruner="none")
"""


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster(cpus=4) as started:
        yield started


@pytest.fixture
def submit_env(cluster, tmp_path, postgres_url):
    """The submitting shell: `sweeper` on PATH, the storage and the cluster in the environment."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sweeper = bin_dir / "sweeper"
    sweeper.write_text(f'#!/bin/sh\nexec {sys.executable} -m sweeper.cli "$@"\n')
    sweeper.chmod(0o755)
    return cli_env(
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        SLURM_CONF=cluster.env["SLURM_CONF"],
        SWEEPER_STORAGE=postgres_url,
        FAKE_TRIAL_LOG=tmp_path / "trials.jsonl",
    )


def submit(study, tmp_path, env, epoch_seconds):
    result = run_cli(
        "submit", "slurm", study, "--nodes", 2, "--time", "00:05:00",
        cwd=tmp_path, env={**env, "FAKE_EPOCH_SECONDS": str(epoch_seconds)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.split("job array ")[1].split()[0]


def wait_done(cluster, job_id, timeout=120):
    wait_for(
        lambda: not any(j.split("_")[0] == job_id for j in cluster.jobs()),
        timeout=timeout,
        what=f"job array {job_id} to end\n{cluster.logs()}",
    )


def trials_running(url) -> list[dict]:
    try:
        return running(url)
    except sa.exc.ProgrammingError:  # psycopg: the tables are not made yet
        return []


def finished(name, url):
    trials = optuna.load_study(study_name=name, storage=url).trials
    return trials, Counter(t.state for t in trials)


def test_two_array_tasks_run_a_study_to_its_exact_budget(
    cluster, submit_env, write_study, tmp_path, postgres_url
):
    study = write_study(STUDY.format(name="slurm-budget", epochs=2, n_trials=6), "budget.py")
    job_id = submit(study.name, tmp_path, submit_env, epoch_seconds=0.3)
    wait_done(cluster, job_id)
    logs = [tmp_path / "slurm-logs" / f"sweeper-budget-{job_id}_{task}.out" for task in (0, 1)]
    assert all(log.exists() for log in logs), list((tmp_path / "slurm-logs").iterdir())
    trials, states = finished("slurm-budget", postgres_url)
    assert states[TrialState.COMPLETE] == 6, [log.read_text()[-2000:] for log in logs]
    assert not states[TrialState.RUNNING] and not states[TrialState.WAITING]
    assert len({entry["dir"] for entry in trial_log(tmp_path)}) == 6  # none ran twice
    owners = {t.user_attrs["supervisor"] for t in trials if t.state == TrialState.COMPLETE}
    assert len(owners) == 2  # both tasks worked on it
    assert "study 'slurm-budget'" in logs[0].read_text() + logs[1].read_text()
    assert (
        postgres_url.split("@")[1]
        not in (tmp_path / "slurm-logs" / "sweeper-budget.sbatch").read_text()
    )


def test_a_cancelled_task_gives_its_trial_to_the_other(
    cluster, submit_env, write_study, tmp_path, postgres_url
):
    study = write_study(STUDY.format(name="slurm-cancel", epochs=6, n_trials=4), "cancel.py")
    job_id = submit(study.name, tmp_path, submit_env, epoch_seconds=0.5)
    # Both tasks are training, each a trial past its first epoch: cancel task 1 mid-trial.
    wait_for(
        lambda: len([t for t in trials_running(postgres_url) if t["epoch"] >= 2]) == 2,
        timeout=90,
        what="two trials past epoch 2",
    )
    subprocess.run(["scancel", f"{job_id}_1"], env=cluster.env, check=True)
    wait_done(cluster, job_id)
    cancelled = (tmp_path / "slurm-logs" / f"sweeper-cancel-{job_id}_1.out").read_text()
    assert "stopping after the running trials checkpoint" in cancelled
    trials, states = finished("slurm-cancel", postgres_url)
    assert states[TrialState.COMPLETE] == 4  # the exact budget, the cancelled trial included
    assert not states[TrialState.RUNNING] and not states[TrialState.WAITING]
    given_back = [t for t in trials if t.state == TrialState.FAIL]
    assert len(given_back) == 1, [t.user_attrs.get("stop_reason") for t in given_back]
    retry = next(t for t in trials if t.user_attrs.get("retry_of") == given_back[0].number)
    assert retry.state == TrialState.COMPLETE
    assert retry.user_attrs["supervisor"] != given_back[0].user_attrs["supervisor"]
    # It resumed from its checkpoint on the other task, after the epochs the first attempt ran.
    starts = [
        e["start"] for e in trial_log(tmp_path) if e["dir"].endswith(f"/{given_back[0].number}")
    ]
    assert starts[0] == 1 and starts[-1] > 2, starts
