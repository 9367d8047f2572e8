"""The RSS sampler, used where Linux refuses to reset the process's RSS high-water mark."""

import time

import torch

from sweeper.train.memory import SAMPLE_EVERY_S, Sampler, current_rss_bytes


def test_sampler_sees_a_peak_that_is_gone_again():
    sampler = Sampler()
    try:
        start = current_rss_bytes() / 2**20
        block = torch.ones(256 * 2**20 // 4)  # 256 MiB, written so it is resident
        time.sleep(10 * SAMPLE_EVERY_S)
        del block
        time.sleep(2 * SAMPLE_EVERY_S)
        assert sampler.peak_mb() > start + 200 > current_rss_bytes() / 2**20
    finally:
        sampler.stop()
