"""A checkpoint that cannot be read back is named, set aside, and the trial restarts cleanly."""

from pathlib import Path

import pytest
import torch

from sweeper.train import fit
from sweeper.train.config import TrainConfig

SMALL = dict(dataset="digits", model="cnn", optimizer="sgd", lr=0.05, epochs=2)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return run(tmp_path_factory.mktemp("clean"))


def run(folder):
    epochs = []
    result = fit(TrainConfig.from_dict(SMALL), epochs.append, checkpoint_dir=folder)
    return epochs, result


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage"])
def test_a_corrupt_last_pt_is_set_aside_and_the_trial_restarts(tmp_path, damage, clean):
    clean, clean_result = clean
    run(tmp_path / "trial")
    last = tmp_path / "trial" / "last.pt"
    data = last.read_bytes()
    last.write_bytes(
        {"truncate": data[: len(data) // 2], "empty": b"", "garbage": b"\x00" * 999}[damage]
    )
    epochs, result = run(tmp_path / "trial")
    assert (tmp_path / "trial" / "last.pt.corrupt").exists()  # kept for a look, never read again
    assert "unusable" in epochs[0]["note"] and "last.pt" in epochs[0]["note"]
    assert [m["epoch"] for m in epochs] == [1, 2] and not any(m.get("resumed") for m in epochs)
    # A clean restart: the same curve as a trial that never had a checkpoint.
    assert [m["val_acc"] for m in epochs] == [m["val_acc"] for m in clean]
    assert result["best_val_acc"] == clean_result["best_val_acc"]
    assert (tmp_path / "trial" / "last.pt").exists()


def test_a_data_cache_that_cannot_be_written_or_read_is_no_failure(tmp_path, monkeypatch):
    from sweeper.train import data

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    built = []

    def build():
        built.append(1)
        return data.Data(*(torch.zeros(2, 1, 4, 4), torch.zeros(2).long()) * 2, 2)

    unwritable = Path("/proc/sweeper-test/cache.pt")  # /proc refuses new files, even to root
    first = data._disk_cached(unwritable, build)
    again = data._disk_cached(unwritable, build)
    assert first.classes == again.classes == 2 and len(built) == 1  # the fallback cache served
    torn = tmp_path / "torn.pt"
    torn.write_bytes(b"\0" * 10)
    assert data._disk_cached(torn, build).classes == 2 and len(built) == 2
