"""Checkpoints written behind the training: a kill mid-write leaves the previous last.pt whole,
the resumed trial is bit for bit the uninterrupted one, and a write's error is not lost."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from sweeper.train import checkpoint, fit
from sweeper.train.config import TrainConfig

SMALL = dict(dataset="digits", model="cnn", optimizer="sgd", lr=0.05, epochs=3, seed=5)
TIMING = {"seconds", "images_per_s", "peak_mem_mb"}

# In a child: epoch 2's last.pt gets half its bytes written, then the writer stalls (the marker
# file says so) until the test kills the process with SIGKILL.
CHILD = """
import sys, time
from pathlib import Path
from sweeper.train import checkpoint, fit
from sweeper.train.config import TrainConfig

folder, marker, values = Path(sys.argv[1]), Path(sys.argv[2]), eval(sys.argv[3])
write = checkpoint._write

def stalling(raw, path):
    if path.name == "last.pt" and path.exists():  # epoch 1's is there: this is epoch 2's
        tmp = path.with_name(f".{path.name}.tmp-stalled")
        tmp.write_bytes(bytes(raw[: len(raw) // 2]))
        marker.touch()
        time.sleep(600)
    write(raw, path)

checkpoint._write = stalling
fit(TrainConfig.from_dict(values), lambda metrics: None, checkpoint_dir=folder)
"""


def without_timing(epochs):
    return [{k: v for k, v in m.items() if k not in TIMING and k != "resumed"} for m in epochs]


def test_a_kill_during_the_background_write_leaves_the_last_checkpoint_whole(tmp_path):
    whole = []
    whole_result = fit(TrainConfig.from_dict(SMALL), whole.append)
    folder, marker = tmp_path / "trial", tmp_path / "stalled"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), str(marker), repr(SMALL)], env=env
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    saved = checkpoint.load(folder / "last.pt")  # whole: epoch 1's, not the torn half of 2's
    assert [m["epoch"] for m in saved["history"]] == [1]
    seen = []
    result = fit(TrainConfig.from_dict(SMALL), seen.append, checkpoint_dir=folder)
    assert [(m["epoch"], m.get("resumed", False)) for m in seen] == [
        (1, True),
        (2, False),
        (3, False),
    ]
    assert without_timing(seen) == without_timing(whole)  # bit for bit
    assert result["best_val_acc"] == whole_result["best_val_acc"]
    assert [m["epoch"] for m in torch.load(folder / "last.pt")["history"]] == [1, 2, 3]


def test_every_checkpoint_is_on_disk_when_fit_returns(tmp_path, monkeypatch):
    write = checkpoint._write

    def slow(raw, path):
        time.sleep(0.2)
        write(raw, path)

    monkeypatch.setattr(checkpoint, "_write", slow)
    fit(TrainConfig.from_dict({**SMALL, "epochs": 2}), lambda m: None, checkpoint_dir=tmp_path)
    assert [m["epoch"] for m in checkpoint.load(tmp_path / "last.pt")["history"]] == [1, 2]
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_an_interrupting_caller_still_finds_the_epoch_checkpointed(tmp_path, monkeypatch):
    write = checkpoint._write
    monkeypatch.setattr(checkpoint, "_write", lambda raw, path: (time.sleep(0.2), write(raw, path)))

    def interrupt(metrics):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(TrainConfig.from_dict(SMALL), interrupt, checkpoint_dir=tmp_path)
    assert [m["epoch"] for m in checkpoint.load(tmp_path / "last.pt")["history"]] == [1]


def test_a_failed_write_is_raised_by_the_next_wait(tmp_path):
    writer = checkpoint.Writer()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    writer.save(({"a": 1}, blocker / "last.pt"))
    with pytest.raises(OSError):
        writer.wait()
    writer.wait()  # raised once
    writer.save(({"a": 2}, tmp_path / "ok.pt"))
    writer.wait()
    assert torch.load(tmp_path / "ok.pt") == {"a": 2}
