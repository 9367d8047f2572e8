"""Study files and the search space: validation before anything touches the storage."""

import optuna
import pytest

from sweeper.errors import ConfigError, StudyFileError
from sweeper.spec import (
    Study,
    choice,
    intrange,
    load_study_file,
    loguniform,
    published,
    uniform,
)

GOOD = """
from sweeper import Study, choice, loguniform
study = Study(name="s", train=dict(epochs=3), space=dict(lr=loguniform(1e-3, 1.0), optimizer=choice(["sgd", "adam"])))
"""


def test_loads_a_study_file(write_study):
    study = load_study_file(write_study(GOOD))
    assert study.name == "s"
    assert study.space["lr"] == loguniform(1e-3, 1.0)
    assert study.n_trials == 20 and study.direction == "maximize"


@pytest.mark.parametrize(
    "text, message",
    [
        ("study = Study(", "syntax error"),
        ("from sweeper import Study\nx = 1 / 0\n", "ZeroDivisionError"),
        ("x = 1\n", "defines no `study = Study(...)`"),
        (
            "from sweeper import Study\nstudy = Study(name='s', train=dict(optimizer='sgdd'))\n",
            "optimizer='sgdd' must be one of",
        ),
        (
            "from sweeper import Study\nstudy = Study(name='s', train=dict(model='resnet9000'))\n",
            "model='resnet9000' must be one of",
        ),
        (
            "from sweeper import Study\nstudy = Study(name='s', train=dict(dataset='mnistt'))\n",
            "dataset='mnistt' must be one of",
        ),
        ("from sweeper import Study\nstudy = Study(name='s', train=dict(lr=-0.1))\n", "lr=-0.1"),
        (
            "from sweeper import Study\nstudy = Study(name='s', train=dict(epochz=3))\n",
            "unknown training setting 'epochz'",
        ),
        (
            "from sweeper import Study\nstudy = Study(name='s', sampler='tpee')\n",
            "unknown sampler 'tpee'",
        ),
        (
            "from sweeper import Study\nstudy = Study(name='s', pruner='medain')\n",
            "unknown pruner 'medain'",
        ),
        (
            "from sweeper import Study, choice\nstudy = Study(name='s', space=dict(batch_size=choice([])))\n",
            "empty choice",
        ),
        (
            "from sweeper import Study, uniform\nstudy = Study(name='s', space=dict(dropout=uniform(0.5, 0.1)))\n",
            "must be below high",
        ),
        (
            "from sweeper import Study, loguniform\nstudy = Study(name='s', space=dict(lr=loguniform(0, 1)))\n",
            "log range needs positive bounds",
        ),
        (
            "from sweeper import Study, choice\nstudy = Study(name='s', space=dict(optimizer=choice(['sgd', 'adamz'])))\n",
            "optimizer='adamz' must be one of",
        ),
        (
            "from sweeper import Study\nstudy = Study(name='s', metric='accuracy')\n",
            "unknown metric",
        ),
        (
            "from sweeper import Study\nstudy = Study(name='s', pruner='promoting', train=dict(eval_every=2))\n",
            "every rung epoch, but eval_every=2 skips some",
        ),
        (
            "from sweeper import Study, choice\nstudy = Study(name='s', pruner='promoting', space=dict(eval_every=choice([1, 2])))\n",
            "every rung epoch, but searching eval_every skips some",
        ),
    ],
)
def test_each_bad_study_file_is_one_clear_error(write_study, text, message):
    with pytest.raises((StudyFileError, ConfigError)) as error:
        load_study_file(write_study(text))
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert " — " in str(error.value)  # every error says how to fix it


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match="adam, adamw.*sgd"):
        Study(name="s", train=dict(optimizer="nope"))
    with pytest.raises(ConfigError, match="tpe, random, grid, cmaes, qmc"):
        Study(name="s", sampler="nope")


def test_missing_file_names_the_studies_nearby(tmp_path):
    (tmp_path / "digits.py").write_text(GOOD)
    with pytest.raises(StudyFileError, match="digits.py"):
        load_study_file(tmp_path / "digitz.py")


def test_space_maps_one_to_one_to_optuna_distributions():
    assert choice([1, 2]).distribution() == optuna.distributions.CategoricalDistribution((1, 2))
    assert uniform(0.0, 0.5).distribution() == optuna.distributions.FloatDistribution(0.0, 0.5)
    assert loguniform(1e-4, 1).distribution() == optuna.distributions.FloatDistribution(
        1e-4, 1.0, log=True
    )
    assert intrange(1, 9, step=2).distribution() == optuna.distributions.IntDistribution(
        1, 9, step=2
    )


def test_momentum_is_sampled_only_where_the_optimizer_has_it():
    study = Study(
        name="s",
        space=dict(momentum=uniform(0, 0.99), optimizer=choice(["sgd", "adam"])),
        sampler="random",
    )
    optuna_study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = {"sgd": set(), "adam": set()}
    for _ in range(20):
        params = study.sample(optuna_study.ask())
        seen[params["optimizer"]].add("momentum" in params)
    assert seen == {"sgd": {True}, "adam": {False}}


def test_explicit_conditions():
    study = Study(
        name="s",
        space=dict(
            optimizer=choice(["sgd", "adam"]),
            nesterov=choice([True, False]),
            step_size=intrange(1, 5, when={"schedule": "step"}),
        ),
    )
    params = study.sample(optuna.create_study().ask())
    assert "step_size" not in params  # the fixed schedule is cosine


def test_overrides_are_type_checked_and_pin_searched_settings():
    study = Study(name="s", space=dict(epochs=choice([5, 10]), lr=loguniform(1e-3, 1)))
    pinned = study.with_overrides({"epochs": "2", "batch_size": "32"}, n_trials=3)
    assert pinned.train == {"epochs": 2, "batch_size": 32}
    assert list(pinned.space) == ["lr"] and pinned.n_trials == 3
    with pytest.raises(ConfigError, match="unknown training setting 'epoch'"):
        study.with_overrides({"epoch": "2"})
    with pytest.raises(ConfigError, match="not a number"):
        study.with_overrides({"epochs": "two"})


def test_grid_budget_is_the_grid_size_and_rejects_continuous_ranges():
    assert (
        Study(
            name="s",
            space=dict(batch_size=choice([16, 32, 64]), epochs=intrange(1, 2)),
            sampler="grid",
        ).n_trials
        == 6
    )
    with pytest.raises(ConfigError, match="grid sampler cannot enumerate"):
        Study(name="s", space=dict(lr=uniform(0.1, 1)), sampler="grid")


def test_spec_round_trips_through_json():
    import json

    study = Study(
        name="s",
        space=dict(lr=loguniform(1e-3, 1), batch_size=choice([32, 64], when={"optimizer": "sgd"})),
        reference={"batch_size": {32: 93.5}},
    )
    spec = json.loads(json.dumps(study.to_dict()))
    again = Study.from_dict(spec)
    assert again.space == study.space and again.name == "s"
    assert again.reference == {"batch_size": {"32": 93.5}}


def test_grid_points_leave_out_settings_that_do_not_apply():
    study = Study(
        name="s",
        space=dict(optimizer=choice(["sgd", "adam"]), momentum=choice([0.0, 0.9, 1.0])),
        sampler="grid",
    )
    assert study.grid_points() == [
        {"optimizer": "sgd", "momentum": 0.0},
        {"optimizer": "sgd", "momentum": 0.9},
        {"optimizer": "sgd", "momentum": 1.0},
        {"optimizer": "adam"},
    ]
    assert study.n_trials == 4  # not 6: adam is not run three times


ADAM = {"optimizer": "adam", "lr": 1e-3, "schedule": "multistep", "milestones": (5, 80, 100)}
STEP = {"optimizer": "sgd", "schedule": "step", "step_size": 25}


def test_points_run_once_each_beside_the_grid_and_spell_out_their_settings():
    study = Study(
        name="s",
        train=dict(epochs=3),
        points=[ADAM, STEP],
        space=dict(batch_size=choice([16, 32])),
        sampler="grid",
    )
    labels = list(study.point_settings())
    assert labels == [
        "optimizer=adam, lr=0.001, schedule=multistep, milestones=[5, 80, 100]",
        "optimizer=sgd, schedule=step, step_size=25",
    ]
    assert study.grid_points() == [
        {"point": labels[0]},
        {"point": labels[1]},
        {"point": None, "batch_size": 16},
        {"point": None, "batch_size": 32},
    ]
    assert study.n_trials == 4
    config = study.config_for({"point": labels[0]})
    assert (config.optimizer, config.lr, config.milestones, config.epochs) == (
        "adam",
        1e-3,
        (5, 80, 100),
        3,
    )
    assert study.config_for({"point": None, "batch_size": 16}).batch_size == 16
    # An enqueued point comes back from Optuna as the trial's `point` parameter.
    optuna_study = optuna.create_study()
    optuna_study.enqueue_trial({"point": labels[1]})
    assert study.sample(optuna_study.ask()) == {"point": labels[1]}


def test_a_pinned_setting_wins_over_the_points():
    study = Study(
        name="s", points=[{"lr": 0.1, "epochs": 5}, {"lr": 0.1, "epochs": 9}], sampler="grid"
    )
    pinned = study.with_overrides({"epochs": "1"})
    assert pinned.points == [{"lr": 0.1}] and pinned.n_trials == 1
    assert pinned.config_for(pinned.grid_points()[0]).epochs == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(points=[{"lr": -1.0}], sampler="grid"), "points[0]: lr=-1.0"),
        (dict(points=[{"lrr": 0.1}], sampler="grid"), "points[0]: unknown training setting"),
        (dict(points=[{"lr": 0.1}, {"lr": 0.1}], sampler="grid"), "listed twice"),
        (dict(points=[{}], sampler="grid"), "not a dict of settings"),
        (dict(points=[{"lr": 0.1}]), "grid sampler"),
        (dict(reference=[93.5]), "reference=[0] is 93.5"),
        (dict(reference=5), "reference=5 must be a dict or a list"),
        (dict(reference={"batch_size": 93.5}), "{param: {value: published number}}"),
        (dict(reference={"batch_size": {32: "93.5%"}}), "is not a number"),
        (dict(reference=[published(93.5, {})]), "names no run"),
        (dict(reference=[published(93.5, {"lr": 0.1}, metric="acc")]), "unknown metric 'acc'"),
        (dict(reference=[published(93.5, {"lr": 0.1}, at="last")]), "at='last'"),
        (dict(reference=[published(93.5, {"lr": 0.1}, at=0)]), "at=0"),
        (dict(reference=[published(93.5, {"lr": 0.1}, at="final", within=9)]), "within=9"),
        (dict(reference=[published(93.5, {"lrr": 0.1})]), "unknown settings 'lrr'"),
        (
            dict(reference=[published(40.6, {"lr": 0.1}, metric="params", at="final")]),
            "measured once per trial",
        ),
    ],
)
def test_bad_points_and_references_are_one_line_errors(kwargs, message):
    with pytest.raises(ConfigError) as error:
        Study(name="s", **kwargs)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_points_and_references_round_trip_through_json():
    import json

    study = Study(
        name="s",
        points=[ADAM, STEP],
        sampler="grid",
        reference=[
            published(92.0, ADAM, metric="train_acc", at="final"),
            published(50.41, {"weight_decay": 1e-4}, source="MobileNetV1_x0_25"),
            published(219_044, STEP, metric="params"),
        ],
    )
    again = Study.from_dict(json.loads(json.dumps(study.to_dict())))
    assert again == study
    assert again.reference[0].run["milestones"] == [5, 80, 100]
    assert (again.reference[1].metric, again.reference[1].at) == (None, "best")
    assert again.reference[2].at is None


def test_a_study_stored_before_points_existed_is_the_same_experiment():
    from sweeper.sweep.study_io import as_stored, spec_changes

    study = Study(name="s", space=dict(lr=loguniform(1e-3, 1)), reference={"lr": {0.1: 90.0}})
    stored = {k: v for k, v in as_stored(study).items() if k != "points"}
    assert spec_changes(stored, as_stored(study)) == []
    pointed = Study(name="s", points=[{"lr": 0.1}], sampler="grid")
    assert spec_changes(stored, as_stored(pointed))[0].startswith("space")
    assert any(
        change.startswith("points [] ->") for change in spec_changes(stored, as_stored(pointed))
    )
