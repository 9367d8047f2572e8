"""8 executors on one SQLite file while the dashboard reads it: no "database is locked" anywhere."""

import threading
from collections import Counter

import optuna
from optuna.trial import TrialState

from sweeper.dashboard.app import create_app
from tests.sweep.recovery_helpers import start, wait_for

STUDY = """
from sweeper import Study, loguniform
study = Study(name="busy", train=dict(epochs=5), space=dict(lr=loguniform(1e-3, 1.0)),
              n_trials=40, trainer="tests.fake_trainer:fit", sampler="random", pruner="median")
"""


def test_eight_executors_and_the_dashboard_on_one_sqlite_file(write_study, storage_url, tmp_path):
    sweep = start(
        "run",
        write_study(STUDY),
        "--storage",
        storage_url,
        "--artifacts",
        tmp_path / "runs",
        "--workers",
        8,
        tmp_path=tmp_path,
        epoch_seconds=0.05,
    )
    wait_for(lambda: (tmp_path / "sweeper.db").exists(), what="the storage file")
    client = create_app(storage_url).test_client()
    statuses, done = Counter(), threading.Event()

    def browse():
        while not done.is_set():
            for path in ("/", "/api/studies", "/study/busy", "/api/study/busy/live"):
                statuses[client.get(path).status_code] += 1

    reader = threading.Thread(target=browse)
    reader.start()
    try:
        out, err = sweep.communicate(timeout=240)
    finally:
        done.set()
        reader.join()
    assert sweep.returncode == 0, err
    assert "locked" not in out + err
    assert (
        Counter(t.state for t in optuna.load_study(study_name="busy", storage=storage_url).trials)[
            TrialState.FAIL
        ]
        == 0
    )
    finished = [
        t
        for t in optuna.load_study(study_name="busy", storage=storage_url).trials
        if t.state.is_finished()
    ]
    assert len(finished) == 40
    assert statuses[200] > 10 and set(statuses) <= {200, 404}  # 404 only before the study exists
