"""The RSS sampler, used where Linux refuses to reset the process's RSS high-water mark."""

import mmap
import time

from sweeper.train.memory import SAMPLE_EVERY_S, Sampler, current_rss_bytes


def test_sampler_sees_a_peak_that_is_gone_again():
    """A block mapped afresh (mmap: pages a busy process cannot have resident already), held
    until the background thread has seen it, then unmapped: the peak stays."""
    sampler = Sampler()
    try:
        size = 256 * 2**20
        block = mmap.mmap(-1, size)
        block.write(b"\1" * size)  # written, so it is resident
        with_block = current_rss_bytes()
        deadline = time.monotonic() + 30  # the thread may wait for a CPU on a loaded machine
        while sampler._peak < with_block and time.monotonic() < deadline:
            time.sleep(SAMPLE_EVERY_S)
        block.close()
        gone = current_rss_bytes()
        assert gone < with_block - 200 * 2**20  # the block is gone...
        assert sampler.peak_mb() >= with_block / 2**20  # ... and its peak was seen
    finally:
        sampler.stop()
