"""bench/trial.py: its arithmetic, and one tiny interleaved run through fit."""

import runpy
from pathlib import Path

import pytest

bench = runpy.run_path(str(Path(__file__).parent.parent / "bench" / "trial.py"))


def test_fit_epochs_run_from_leaving_one_callback_to_entering_the_next():
    enters, leaves = [1.0, 3.0, 6.5], [2.0, 4.0, 7.0]  # the bare epoch runs inside each callback
    assert bench["fit_epoch_seconds"](enters, leaves) == [1.0, 2.5]


def test_paired_ratios_are_fit_speed_over_bare_speed():
    assert bench["paired_ratios"]([2.0, 1.0], [1.0, 1.0]) == [0.5, 1.0]


def test_rows_give_medians_and_the_quartiles_of_the_ratios():
    samples = {
        "fit_img_s": [90.0, 100.0, 80.0],
        "bare_img_s": [100.0, 100.0, 100.0],
        "fit_epoch_s": [1.0, 1.25, 2.0],
        "bare_epoch_s": [1.0, 1.0, 1.0],
    }
    steps, whole = bench["rows"](samples)
    assert "fit      90.0 img/s" in steps and "ratio 0.900 [0.850..0.950]" in steps
    assert "fit    1.2500 s" in whole and "bare loop    1.0000 s" in whole
    assert whole.endswith("ratio 0.800 [0.650..0.900]")


def test_merge_joins_the_samples_of_every_fit():
    merged = bench["merge"]([{"a": [1], "b": [2]}, {"a": [3], "b": [4]}])
    assert merged == {"a": [1, 3], "b": [2, 4]}


@pytest.mark.parametrize("checkpoint", [True, False])
def test_an_interleaved_run_gives_one_sample_per_epoch_after_the_first(checkpoint):
    from sweeper.train import data
    from sweeper.train.config import TrainConfig

    config = TrainConfig.from_dict(dict(dataset="digits", model="cnn", epochs=3, optimizer="sgd"))
    bare = bench["BareLoop"](config, "cpu", data.load(config))
    samples = bench["interleaved"](config, "cpu", bare, checkpoint)
    assert {key: len(values) for key, values in samples.items()} == dict.fromkeys(samples, 2)
    assert all(value > 0 for values in samples.values() for value in values)
