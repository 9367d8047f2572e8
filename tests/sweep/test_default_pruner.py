"""A study that names no pruner gets sweeper's default, and keeps the pruner it was stored with.

The default changed from `median` to `promoting` (bench/search.py's figures). A study file that
never named its pruner, resumed on a study an older sweeper stored with `median`, must go on
with `median`: switching pruners half-way would be another experiment, and refusing the file
would make every such user pass --replace-spec for a change they never made.
"""

import pytest

from sweeper import Study, choice
from sweeper.cli import main
from sweeper.store import reads
from sweeper.store.engines import open_reader
from sweeper.strategies import DEFAULT_PRUNER
from tests.conftest import to_old_layout

STUDY = """
from sweeper import Study, choice
study = Study(name="unnamed", train=dict(epochs={epochs}), space=dict(lr=choice([0.1, 0.05])),
              n_trials={n_trials}, trainer="tests.fake_trainer:fit", sampler="random", seed=0{pruner})
"""


def study_file(write_study, *, pruner=None, epochs=2, n_trials=1):
    named = f", pruner={pruner!r}" if pruner else ""
    return write_study(STUDY.format(epochs=epochs, n_trials=n_trials, pruner=named))


def run(study, storage_url, tmp_path, *extra) -> int:
    return main(
        ["run", str(study), "--storage", storage_url, "--artifacts", str(tmp_path / "runs"), *extra]
    )


def stored_pruner(storage_url) -> str:
    """The pruner in the stored spec, wherever the version that stored it kept the spec."""
    engine = open_reader(storage_url)
    try:
        return reads.find_study(engine, "unnamed", storage_url).definition["pruner"]
    finally:
        engine.dispose()


def test_a_new_study_naming_no_pruner_is_stored_with_the_default(write_study, any_url, tmp_path):
    assert DEFAULT_PRUNER == "promoting"
    assert run(study_file(write_study), any_url, tmp_path) == 0
    assert stored_pruner(any_url) == "promoting"  # what it ran with, not "unset"


def test_a_study_stored_with_the_old_default_goes_on_with_it(write_study, storage_url, tmp_path):
    # An older sweeper stored the default it ran with, median, in the study's spec (a user
    # attribute then).
    assert run(study_file(write_study, pruner="median"), storage_url, tmp_path) == 0
    to_old_layout(storage_url)
    unnamed = study_file(write_study, n_trials=2)  # the same file as the user wrote it: no pruner
    assert run(unnamed, storage_url, tmp_path) == 0  # no --replace-spec needed
    assert stored_pruner(storage_url) == "median"
    # --replace-spec replaces what the file says; the file still says nothing of the pruner.
    assert (
        run(study_file(write_study, epochs=3, n_trials=3), storage_url, tmp_path, "--replace-spec")
        == 0
    )
    assert stored_pruner(storage_url) == "median"


def test_naming_another_pruner_is_a_change_of_experiment(
    write_study, storage_url, tmp_path, capsys
):
    assert run(study_file(write_study), storage_url, tmp_path) == 0
    capsys.readouterr()
    assert run(study_file(write_study, pruner="median", n_trials=2), storage_url, tmp_path) == 2
    err = capsys.readouterr().err
    assert 'pruner "promoting" -> "median"' in err and "--replace-spec" in err, err
    assert stored_pruner(storage_url) == "promoting"


@pytest.mark.parametrize(
    "study, stored, pruner",
    [
        (dict(), None, "promoting"),
        (dict(), {"pruner": "median"}, "median"),
        (dict(pruner="none"), {"pruner": "median"}, "none"),
        (dict(), {"pruner": None}, "promoting"),  # a spec without one: the default
        # promotion compares trials at epochs 1, 3, 9: evaluating every other epoch, median
        (dict(train=dict(eval_every=2)), None, "median"),
        (dict(space={"eval_every": choice([1, 2])}), None, "median"),
    ],
)
def test_settled(study, stored, pruner):
    assert Study(name="s", **study).settled(stored).pruner == pruner
