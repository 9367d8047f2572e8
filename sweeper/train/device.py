"""Pins an executor process to a device and a share of the CPU cores."""

from __future__ import annotations

import gc
import os

import torch

from sweeper.errors import ConfigError


def setup(index: int, workers: int, request: str = "auto") -> str:
    """The device executor `index` of `workers` trains on; limits its CPU threads.

    GPUs are shared round-robin over the visible devices (CUDA_VISIBLE_DEVICES); on the CPU,
    each executor gets cores // workers threads so N executors do not oversubscribe the cores.
    """
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    set_threads(max(1, cores // max(1, workers)))
    if request == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        device = f"cuda:{index % torch.cuda.device_count()}"
        torch.cuda.set_device(device)
        return device
    if request == "cuda":
        raise ConfigError(
            "--device cuda was asked for but no CUDA device is visible",
            "use --device auto or cpu, or check CUDA_VISIBLE_DEVICES and the driver",
        )
    return "cpu"


def set_threads(threads: int) -> None:
    """The CPU threads of this process: they fix the order of floating-point sums on the CPU,
    so a trial reproduces bit for bit only with the thread count it trained with."""
    torch.set_num_threads(threads)


def release(device: str) -> None:
    """Frees what the last trial left on a GPU before the next one allocates (Ray's wait_for_gpu).

    Only for CUDA: on the CPU, reference counting frees the model at once, and a full
    gc.collect() with torch loaded costs tens of milliseconds per trial.
    """
    if device.startswith("cuda"):
        gc.collect()
        torch.cuda.empty_cache()
