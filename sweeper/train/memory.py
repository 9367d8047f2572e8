"""Peak memory of the trial running in this process, in MiB, counted from the trial's start.

An executor trains many trials in one process, so a process-lifetime peak (ru_maxrss) would
carry one trial's peak into every later one. On CUDA: the memory torch allocated. On the CPU:
the resident set size (RSS), whose high-water mark Linux resets on request (clear_refs 5);
where that is refused (some sandboxes), a thread samples the current RSS instead.
"""

from __future__ import annotations

import os
import re
import threading

import torch

SAMPLE_EVERY_S = 0.01  # the sampler can miss a peak shorter than this


class Peak:
    """Starts counting at construction; `mb()` is the peak since then; `close()` when done."""

    def __init__(self, device: torch.device):
        self.device = device
        self._sampler = None
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        elif not _reset_high_water_mark():
            self._sampler = Sampler()

    def mb(self) -> float:
        if self.device.type == "cuda":
            return torch.cuda.max_memory_allocated(self.device) / 2**20
        if self._sampler:
            return self._sampler.peak_mb()
        return _high_water_mark_kib() / 1024

    def close(self) -> None:
        if self._sampler:
            self._sampler.stop()


class Sampler:
    """The largest current RSS seen by a background thread every SAMPLE_EVERY_S seconds."""

    def __init__(self):
        self._peak = current_rss_bytes()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(SAMPLE_EVERY_S):
            self._peak = max(self._peak, current_rss_bytes())

    def peak_mb(self) -> float:
        self._peak = max(self._peak, current_rss_bytes())
        return self._peak / 2**20

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_high_water_mark() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _high_water_mark_kib() -> int:
    with open("/proc/self/status") as status:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status.read(), re.MULTILINE).group(1))
