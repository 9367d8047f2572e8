"""Nothing lost: killed executors, a killed `sweeper run`, Ctrl-C, out-of-memory trials, missing data."""

import os
import signal
import time

import optuna
from optuna.trial import TrialState

from sweeper.outcomes import Outcome
from tests.conftest import records, run_cli
from tests.sweep.recovery_helpers import running, start, trial_log, wait_for

STUDY = """
from sweeper import Study, choice
study = Study(name="recover", train=dict(epochs={epochs}), space=dict(lr=choice([0.1, 0.05, 0.02])),
              n_trials={n_trials}, trainer="tests.fake_trainer:fit", sampler="random", pruner="none")
"""


def by_state(url):
    trials = optuna.load_study(study_name="recover", storage=url).trials
    return {state: [t for t in trials if t.state == state] for state in TrialState}


def test_a_killed_executor_is_replaced_and_its_trial_resumes_from_its_checkpoint(
    write_study, storage_url, tmp_path
):
    study = write_study(STUDY.format(epochs=6, n_trials=3))
    sweep = start(
        "run", study, "--storage", storage_url, "--artifacts", tmp_path / "runs", tmp_path=tmp_path
    )
    victim = wait_for(
        lambda: [r for r in running(storage_url) if r["epoch"] >= 2 and r["pid"]],
        what="a trial at epoch 2",
    )[0]
    os.kill(victim["pid"], signal.SIGKILL)
    out, err = sweep.communicate(timeout=120)
    assert sweep.returncode == 0, err
    states = by_state(storage_url)
    assert len(states[TrialState.COMPLETE]) == 3  # the budget still comes out exact
    [failed] = states[TrialState.FAIL]
    assert failed.number == victim["number"]
    died = records(storage_url, "recover")[failed.number]
    assert died.outcome is Outcome.DIED and "executor killed by SIGKILL" in died.detail
    [retry] = [
        t for t in states[TrialState.COMPLETE] if t.user_attrs.get("retry_of") == victim["number"]
    ]
    assert retry.params == failed.params
    assert sorted(retry.intermediate_values) == [1, 2, 3, 4, 5, 6]  # the curve is whole
    resumed = [e for e in trial_log(tmp_path) if e["dir"].endswith(f"/{victim['number']}")]
    assert [e["start"] for e in resumed][0] == 1 and resumed[-1]["start"] > 2  # from the checkpoint
    assert "retrying it from its checkpoint" in out


def test_a_killed_run_leaves_no_trial_running_forever(write_study, storage_url, tmp_path):
    # Both trials of the budget are running when the run is killed: the next run must not
    # take the budget as used up, but bring them back once their heartbeats are stale.
    study = write_study(STUDY.format(epochs=8, n_trials=2))
    args = (
        "run",
        study,
        "--storage",
        storage_url,
        "--artifacts",
        tmp_path / "runs",
        "--workers",
        2,
        "--grace-period",
        2,
    )
    sweep = start(*args, tmp_path=tmp_path)
    wait_for(
        lambda: len([r for r in running(storage_url) if r["epoch"] >= 2]) == 2,
        what="two trials at epoch 2",
    )
    sweep.kill()
    sweep.wait()
    assert len(by_state(storage_url)[TrialState.RUNNING]) == 2
    time.sleep(3)  # past the grace period
    again = start(
        *args, tmp_path=tmp_path
    )  # after the grace period, the stale trials come back as retries
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    states = by_state(storage_url)
    assert len(states[TrialState.COMPLETE]) == 2 and not states[TrialState.RUNNING]
    assert len(states[TrialState.FAIL]) == 2
    retries = [t for t in states[TrialState.COMPLETE] if "retry_of" in t.user_attrs]
    assert sorted(t.user_attrs["retry_of"] for t in retries) == sorted(
        t.number for t in states[TrialState.FAIL]
    )
    assert all(sorted(t.intermediate_values) == list(range(1, 9)) for t in retries)
    assert any(e["start"] > 2 for e in trial_log(tmp_path))


def test_ctrl_c_checkpoints_running_trials_and_the_next_run_resumes_them(
    write_study, storage_url, tmp_path
):
    study = write_study(STUDY.format(epochs=10, n_trials=4))
    args = (
        "run",
        study,
        "--storage",
        storage_url,
        "--artifacts",
        tmp_path / "runs",
        "--workers",
        2,
    )
    sweep = start(*args, tmp_path=tmp_path)
    wait_for(
        lambda: len([r for r in running(storage_url) if r["epoch"] >= 1]) == 2,
        what="two running trials",
    )
    sweep.send_signal(signal.SIGINT)
    out, err = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, err
    assert "stopped early" in out and "sweeper worker recover" in out  # says how to continue
    states = by_state(storage_url)
    assert not states[TrialState.RUNNING]
    assert len(states[TrialState.WAITING]) == 2
    found = records(storage_url, "recover")
    assert all(
        found[t.number].outcome is Outcome.INTERRUPTED
        and found[t.number].detail.startswith("after epoch")
        for t in states[TrialState.FAIL]
    )
    again = start(*args, tmp_path=tmp_path)
    again.communicate(timeout=120)
    assert again.returncode == 0
    states = by_state(storage_url)
    assert len(states[TrialState.COMPLETE]) == 4
    assert sum(e["start"] > 1 for e in trial_log(tmp_path)) == 2  # both interrupted trials resumed


def test_a_second_ctrl_c_stops_at_once_and_still_loses_at_most_an_epoch(
    write_study, storage_url, tmp_path
):
    study = write_study(STUDY.format(epochs=10, n_trials=2))
    sweep = start(
        "run",
        study,
        "--storage",
        storage_url,
        "--artifacts",
        tmp_path / "runs",
        tmp_path=tmp_path,
        epoch_seconds=2,
    )
    wait_for(
        lambda: [r for r in running(storage_url) if r["epoch"] >= 1], what="a trial at epoch 1"
    )
    sweep.send_signal(signal.SIGINT)
    sweep.send_signal(signal.SIGINT)
    sweep.communicate(timeout=20)
    assert sweep.returncode == 130
    states = by_state(storage_url)
    [interrupted] = states[TrialState.FAIL]
    assert not states[TrialState.RUNNING] and len(states[TrialState.WAITING]) == 1
    assert (
        interrupted.user_attrs["stop_reason"]
        == f"interrupted: after epoch {max(interrupted.intermediate_values)}"
    )


def test_out_of_memory_fails_one_trial_and_the_executor_goes_on(write_study, storage_url, tmp_path):
    study = write_study("""
        from sweeper import Study, choice
        study = Study(name="recover", train=dict(epochs=2), space=dict(batch_size=choice([4096, 32])),
                      trainer="tests.fake_trainer:fit", sampler="grid", pruner="none")
    """)
    result = run_cli(
        "run", study, "--storage", storage_url, "--artifacts", tmp_path / "runs", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    states = by_state(storage_url)
    [oom] = states[TrialState.FAIL]
    assert oom.user_attrs["stop_reason"].startswith(
        "failed: out of GPU memory with model=cnn batch_size=4096"
    )
    assert "lower batch_size" in oom.user_attrs["stop_reason"]
    [ok] = states[TrialState.COMPLETE]
    assert ok.user_attrs["pid"] == oom.user_attrs["pid"]  # the same executor took the next trial


def test_a_missing_data_folder_is_one_line_and_no_study(write_study, storage_url, tmp_path):
    study = write_study(f"""
        from sweeper import Study
        study = Study(name="cifar", train=dict(dataset="cifar10", data_dir="{tmp_path / "nothing"}"))
    """)
    result = run_cli("run", study, "--storage", storage_url, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "nothing" in result.stderr and "download" in result.stderr
    assert optuna.get_all_study_summaries(storage_url) == []
