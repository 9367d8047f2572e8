"""A trainer that trains nothing, for tests about orchestration: curves from the config alone.

val_acc rises towards a ceiling set by lr (best near lr=0.1), so samplers and pruners have
something to find; FAKE_EPOCH_SECONDS slows each epoch; lr >= 5 diverges (NaN loss);
dropout >= 0.9 raises, standing in for a trial that crashes; batch_size >= 4096 runs out of
GPU memory. With FAKE_TRIAL_LOG set, each start appends {"dir", "start", "pid"} to that file,
so tests can see which trial ran where and from which epoch it resumed.

Process deaths, as the kernel's OOM killer or a native crash deal them, after the first epoch
an attempt trains: dropout == 0.5 exits with code 137 on a trial's first attempt only (its
retry goes on);
dropout == 0.6 exits so on every attempt; FAKE_DIE=exit|segv|hang does so (exit 137, a
segfault, a hang) on every trial.
"""

import json
import math
import os
import signal
import time
from pathlib import Path


def _die(how: str) -> None:
    if how == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if how == "hang":
        time.sleep(3600)
    os._exit(137)


def fit(config, on_epoch, *, device="cpu", checkpoint_dir=None):
    delay = float(os.environ.get("FAKE_EPOCH_SECONDS", "0"))
    if config.dropout >= 0.9:
        raise RuntimeError("fake crash for dropout >= 0.9")
    if config.batch_size >= 4096:
        import torch

        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    ceiling = 95 - 20 * abs(math.log10(config.lr) + 1)
    history = []
    state = Path(checkpoint_dir, "last.json") if checkpoint_dir else None
    if state and state.exists():
        history = json.loads(state.read_text())["history"]
    start = len(history) + 1
    if os.environ.get("FAKE_TRIAL_LOG"):
        with open(os.environ["FAKE_TRIAL_LOG"], "a") as log:
            log.write(
                json.dumps({"dir": str(checkpoint_dir), "start": start, "pid": os.getpid()}) + "\n"
            )
    # As the real trainer does: epochs restored from the checkpoint are reported again, so the
    # caller has every one, even one whose report was lost with a killed supervisor.
    for metrics in history:
        on_epoch({**metrics, "resumed": True})
    best, best_epoch, value = None, None, None
    for epoch in range(start, config.epochs + 1):
        time.sleep(delay)
        diverged = config.lr >= 5
        value = 10.0 if diverged else ceiling * (1 - math.exp(-epoch / 2))
        metrics = {
            "epoch": epoch,
            "train_loss": math.nan if diverged else 1 / epoch,
            "train_acc": value,
            "val_loss": 1 / epoch,
            "val_acc": value,
            "val_top5": None,
            "lr": config.lr,
            "seconds": delay,
            "images_per_s": 1000.0,
            "peak_mem_mb": None,
        }
        if state:
            history.append(metrics)
            state.parent.mkdir(parents=True, exist_ok=True)
            state.write_text(json.dumps({"history": history}))
        # After the first epoch an attempt trains and checkpoints, before it is reported.
        if epoch == start and (config.dropout == 0.6 or (config.dropout == 0.5 and start == 1)):
            _die("exit")
        if epoch == start and os.environ.get("FAKE_DIE"):
            _die(os.environ["FAKE_DIE"])
        if best is None or value > best:
            best, best_epoch = value, epoch
        if diverged:
            on_epoch(metrics)
            return _result(
                best,
                best_epoch,
                value,
                epoch,
                "diverged",
                device,
                f"train loss is nan at epoch {epoch}",
            )
        if on_epoch(metrics):
            return _result(best, best_epoch, value, epoch, "pruned", device)
    return _result(best, best_epoch, value, config.epochs, "completed", device)


def _result(best, best_epoch, final, epochs_run, stop, device, detail=None):
    return {
        "best_val_acc": best,
        "best_epoch": best_epoch,
        "final_val_acc": final,
        "epochs_run": epochs_run,
        "stop": stop,
        "stop_detail": detail,
        "params": 1234,
        "model_size_mb": 0.01,
        "seconds": 0.0,
        "images_per_s": 1000.0,
        "peak_mem_mb": None,
        "device": device,
        # As the real trainer's: what decides the numbers, which `sweeper rerun` reads back.
        "environment": {"seed": 0, "threads": 1, "device": device, "torch": None},
    }
