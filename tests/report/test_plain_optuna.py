"""Reports of studies written by plain Optuna: 0-based steps, several objectives, waiting
trials and infinite values read as Optuna's own API reads them."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pandas as pd
import pytest

from sweeper.report import export
from sweeper.report.build import build_report
from sweeper.report.pareto import front
from sweeper.store.engines import open_reader
from tests.dashboard.studies import write_plain_studies


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('plain') / 'plain.db'}"
    write_plain_studies(url)
    return url


def test_zero_based_steps_are_epochs_from_one(url):
    report = build_report(open_reader(url), "plain")
    trials = report.trials.set_index("trial")
    assert trials.loc[0, "epochs"] == 10  # steps 0..9
    assert trials.loc[1, "epochs"] == 1 and trials.loc[1, "pruned_at"] == 1  # pruned at step 0
    assert report.epochs["epoch"].min() == 1
    assert trials.loc[0, "best_epoch"] == 10  # the last step's value is the lowest
    per_epoch = report.cost["seconds_per_epoch"]
    assert per_epoch.notna().any() and np.isfinite(per_epoch.dropna()).all()


def test_waiting_trials_count_and_infinite_values_show(url):
    report = build_report(open_reader(url), "plain")
    assert report.summary["trials"] == 7 and report.summary["waiting"] == 1
    assert "7 trials" in export.report_header(report) and "1 waiting" in export.report_header(
        report
    )
    infinite = report.trials.set_index("trial").loc[2, "best"]
    assert infinite == math.inf
    assert export.display(report.trials)["best"].tolist()[2] == "inf"


def test_two_objectives_are_named_and_the_front_replaces_a_best(url):
    study = optuna.load_study(study_name="pareto", storage=url)
    report = build_report(open_reader(url), "pareto")
    assert list(report.objectives.items()) == [
        ("accuracy", "maximize"),
        ("objective: seconds", "minimize"),  # apart from the trial's own wall time
    ]
    assert sorted(report.front) == sorted(t.number for t in study.best_trials)
    header = export.report_header(report)
    assert "Pareto front: trial 0, 1, 2, 3, 5" in header and "best value" not in header
    assert report.trials["objective: seconds"].tolist() == [10, 30, 12, 5, 40, 90]


def test_front_matches_a_pairwise_check():
    rng = np.random.default_rng(0)
    for columns in (["a", "b"], ["a", "b", "c"]):
        frame = pd.DataFrame(rng.integers(0, 6, (40, len(columns))), columns=columns).astype(float)
        frame.iloc[3, 0] = np.nan  # a trial without a value is never on the front
        directions = ["maximize", "minimize", "minimize"][: len(columns)]
        got = front(frame, columns, directions).tolist()
        scores = frame.to_numpy() * np.array([-1, 1, 1][: len(columns)])
        ok = ~np.isnan(scores).any(axis=1)
        expected = [
            bool(ok[i])
            and not any(
                ok[j] and (scores[j] <= scores[i]).all() and (scores[j] < scores[i]).any()
                for j in range(len(frame))
            )
            for i in range(len(frame))
        ]
        assert got == expected


def test_importance_of_a_conditional_parameter_is_optunas(tmp_path):
    url = f"sqlite:///{tmp_path / 'conditional.db'}"
    study = optuna.create_study(
        storage=url, study_name="conditional", sampler=optuna.samplers.RandomSampler(seed=0)
    )

    def objective(trial):
        optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
        if optimizer == "sgd":
            trial.suggest_float("momentum", 0.0, 0.99)  # sampled only for SGD
        return (10.0 if optimizer == "adam" else 50.0) + trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=30)
    importance = build_report(open_reader(url), "conditional").importance
    ours = dict(zip(importance["param"], importance["importance"]))
    assert ours == pytest.approx(optuna.importance.get_param_importances(study))
    assert set(ours) == {"optimizer", "momentum", "x"}


def test_status_and_the_dashboards_live_view_name_the_same_best(tmp_path, capsys):
    """One rule for "best" on the read side: an infinite value of a maximized study is its best
    in the report, in `sweeper status` and in the dashboard's live header alike."""
    from sweeper.dashboard.app import create_app
    from sweeper.sweep.status import show_status

    url = f"sqlite:///{tmp_path / 'inf.db'}"
    study = optuna.create_study(study_name="upward", storage=url, direction="maximize")
    for value in (0.5, math.inf, 0.7):
        study.add_trial(optuna.create_trial(value=value))
    report = build_report(open_reader(url), "upward")
    assert report.trials.set_index("trial")["best"].max() == math.inf
    live = create_app(url).test_client().get("/api/study/upward/live").get_json()
    assert live["best"] == "inf"
    assert show_status("upward", url) == 0
    assert "inf (#1)" in capsys.readouterr().out
