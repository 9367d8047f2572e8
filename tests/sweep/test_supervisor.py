"""Orchestration with the fake trainer: budgets, continuing, pruning, failures, plain Optuna studies."""

import subprocess
import sys

import optuna
from optuna.trial import TrialState

from sweeper.spec import Study, choice, loguniform
from sweeper.store.engines import read_engine
from sweeper.store.schema import SPEC_ATTR
from sweeper.sweep.progress import Progress
from sweeper.sweep.supervisor import Supervisor
from tests.conftest import study_system_attrs


def fake_study(**kw) -> Study:
    args = dict(
        name="fake",
        train=dict(epochs=4),
        space=dict(lr=loguniform(1e-3, 1.0)),
        n_trials=7,
        trainer="tests.fake_trainer:fit",
        sampler="random",
        pruner="none",
    )
    args.update(kw)
    return Study(**args)


def run(study, url, workers=1, **kw):
    return Supervisor(
        study,
        url,
        workers=workers,
        progress=Progress(study.name, study.n_trials, study.metric),
        **kw,
    ).run()


def finished(optuna_study):
    return [t for t in optuna_study.get_trials() if t.state.is_finished()]


def test_budget_is_per_study_not_per_worker(storage_url, tmp_path):
    optuna_study = run(fake_study(), storage_url, workers=3, artifacts=tmp_path)
    trials = optuna_study.get_trials()
    assert len(trials) == 7
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_running_again_continues_the_study_to_a_larger_budget(storage_url, tmp_path):
    run(fake_study(n_trials=3), storage_url, artifacts=tmp_path)
    again = run(fake_study(n_trials=5), storage_url, workers=2, artifacts=tmp_path)
    assert len(finished(again)) == 5
    same = run(
        fake_study(n_trials=5), storage_url, artifacts=tmp_path
    )  # already done: nothing more
    assert len(same.get_trials()) == 5


def test_epochs_values_and_attributes_are_stored(storage_url, tmp_path):
    optuna_study = run(fake_study(n_trials=2), storage_url, artifacts=tmp_path)
    trial = optuna_study.get_trials()[0]
    assert sorted(trial.intermediate_values) == [1, 2, 3, 4]
    assert trial.value == max(trial.intermediate_values.values())
    assert trial.user_attrs["stop_reason"] == "completed"
    assert (
        trial.user_attrs["best_epoch"] == 4
        and trial.system_attrs["config"]["lr"] == trial.params["lr"]
    )
    # The long attributes are system attributes, which Optuna's CLI and optuna-dashboard hide.
    assert not {"config", "environment"} & set(trial.user_attrs)
    assert "environment" in trial.system_attrs
    with read_engine(storage_url).connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT epoch, val_acc FROM sweeper_epochs WHERE trial_id = ? ORDER BY epoch",
            (trial._trial_id,),
        ).all()
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert [r[1] for r in rows] == [trial.intermediate_values[e] for e in (1, 2, 3, 4)]


def test_a_sweeper_study_is_a_plain_optuna_study(storage_url, tmp_path):
    run(
        fake_study(
            n_trials=3, space=dict(lr=loguniform(1e-3, 1.0), optimizer=choice(["sgd", "adam"]))
        ),
        storage_url,
        artifacts=tmp_path,
    )
    loaded = optuna.load_study(study_name="fake", storage=storage_url)
    assert len(loaded.trials) == 3
    for trial in loaded.trials:
        assert set(trial.params) == {"lr", "optimizer"} and 1e-3 <= trial.params["lr"] <= 1.0
        assert trial.value > 0
    spec = study_system_attrs(storage_url, "fake")[SPEC_ATTR]
    assert Study.from_dict(spec).space["optimizer"] == choice(["sgd", "adam"])


def test_hopeless_trials_are_pruned(storage_url, tmp_path):
    # Half the lr range is hopeless; the median pruner (after 4 finished trials) stops those early.
    good, hopeless = [0.1, 0.12, 0.08, 0.09], [1e-4, 1.2e-4, 0.8e-4, 0.9e-4]
    study = fake_study(
        n_trials=None,
        train=dict(epochs=8),
        space=dict(lr=choice(good + hopeless)),
        pruner="median",
        sampler="grid",
    )  # grid points run in order: the good ones first
    optuna_study = run(study, storage_url, artifacts=tmp_path)
    pruned = [t for t in optuna_study.trials if t.state == TrialState.PRUNED]
    assert sorted(t.params["lr"] for t in pruned) == sorted(hopeless)
    assert all(t.user_attrs["pruned_at"] < 8 for t in pruned)


def test_diverged_trials_stop_with_their_reason(storage_url, tmp_path):
    optuna_study = run(
        fake_study(n_trials=1, train=dict(epochs=5, lr=8.0), space={}),
        storage_url,
        artifacts=tmp_path,
    )
    trial = optuna_study.trials[0]
    assert trial.state == TrialState.PRUNED
    assert trial.user_attrs["stop_reason"].startswith("diverged: train loss is nan")


def test_a_crashing_trial_fails_with_its_error_and_the_sweep_goes_on(storage_url, tmp_path):
    study = fake_study(n_trials=4, space=dict(dropout=choice([0.95, 0.1])), sampler="grid")
    optuna_study = run(study, storage_url, artifacts=tmp_path)
    failed = [t for t in optuna_study.trials if t.state == TrialState.FAIL]
    assert failed and all("fake crash" in t.user_attrs["stop_reason"] for t in failed)
    assert len(optuna_study.trials) == 4  # failures count in the budget: no endless retries


def test_supervisor_never_imports_torch_and_executors_never_import_optuna(tmp_path):
    code = (
        "import sys, sweeper.sweep.supervisor, sweeper.cli, sweeper.sweep.runner\n"
        "assert 'torch' not in sys.modules, 'the orchestrator imported torch'\n"
        "import sweeper.sweep.executor as e, sweeper.train.loop\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    probe = (
        "import sys, sweeper.sweep.executor\n"
        "from sweeper.train import device\n"
        "assert 'optuna' not in sys.modules, 'the executor imported optuna'\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_a_grid_study_runs_each_distinct_point_once(storage_url, tmp_path):
    study = fake_study(
        n_trials=None,
        sampler="grid",
        space=dict(
            optimizer=choice(["sgd", "adam"]), momentum=choice([0.0, 0.9]), lr=choice([0.1, 0.01])
        ),
    )
    optuna_study = run(study, storage_url, workers=2, artifacts=tmp_path)
    params = sorted(tuple(sorted(t.params.items())) for t in optuna_study.trials)
    assert len(params) == 6 == len(set(params))  # sgd x 2 momenta x 2 lr, adam x 2 lr
    assert all(t.state == TrialState.COMPLETE for t in optuna_study.trials)


def test_checkpoints_left_by_an_earlier_study_of_the_same_name_are_not_resumed(
    storage_url, tmp_path
):
    stale = tmp_path / "fake" / "0"
    stale.mkdir(parents=True)
    (stale / "last.json").write_text(
        '{"history": [{"epoch": 1, "val_acc": 1.0}, {"epoch": 2, "val_acc": 1.0}]}'
    )
    optuna_study = run(fake_study(n_trials=1), storage_url, artifacts=tmp_path)
    assert sorted(optuna_study.trials[0].intermediate_values) == [1, 2, 3, 4]
    assert (
        optuna_study.trials[0].intermediate_values[1] != 1.0
    )  # trained from epoch 1, not the stale file's numbers
