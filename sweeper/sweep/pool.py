"""The executor processes of one machine: started with spawn, watched, replaced when they die."""

from __future__ import annotations

import multiprocessing as mp
import signal
from dataclasses import dataclass

from sweeper.errors import ConfigError
from sweeper.sweep.executor import executor_main

# A forked child would inherit CUDA state and open database connections; both break.
_CONTEXT = mp.get_context("spawn")


@dataclass
class Executor:
    index: int
    process: mp.Process
    conn: object
    device: str | None = None  # known once the process reports ready
    pid: int | None = None
    running: object = None  # the supervisor's RunningTrial

    @property
    def alive(self) -> bool:
        return self.process.is_alive()


class ExecutorPool:
    """N executors; executor i trains on device i round-robin (or the CPU) with cores // N threads."""

    def __init__(self, workers: int, device: str):
        self.workers = workers
        self.device = device
        self.executors: list[Executor] = []

    def start(self, interrupted=lambda: False) -> None:
        self.executors = [self._spawn(i) for i in range(self.workers)]
        for executor in self.executors:
            self._wait_ready(executor, interrupted)

    def preflight(self, config: dict, trainer: str | None) -> None:
        """Checks in an executor that the trainer loads and the data is there, before any write."""
        executor = self.executors[0]
        executor.conn.send(("check", {"config": config, "trainer": trainer}))
        kind, info = self._receive(executor)
        if kind == "failed":
            raise _failure(info)

    def train(self, task: dict, stop_after) -> tuple[str, dict]:
        """Trains one task on the first executor, outside any study (a rerun).

        `stop_after(metrics)` is asked after each epoch. Returns ("done", result) or
        ("failed", what the executor said)."""
        executor = self.executors[0]
        executor.conn.send(("trial", task))
        while True:
            kind, info = self._receive(executor)
            if kind != "epoch":
                return kind, info
            executor.conn.send(("prune",) if stop_after(info) else ("continue",))

    def replace(self, dead: Executor) -> Executor:
        """A new executor in a dead one's place, without waiting for it to start (seconds with torch
        and CUDA to load) while the others train: it takes trials once `started` has its first message."""
        fresh = self._spawn(dead.index)
        self.executors[self.executors.index(dead)] = fresh
        return fresh

    @staticmethod
    def started(executor: Executor, kind: str, info: dict) -> None:
        """An executor's first message: ready (with its device), or why it could not start."""
        if kind == "failed":
            raise _failure(info)
        executor.device, executor.pid = info["device"], info["pid"]

    @staticmethod
    def died_starting(executor: Executor) -> RuntimeError:
        return RuntimeError(
            f"executor {executor.index} exited with code {executor.process.exitcode} while starting"
        )

    def waitables(self) -> list:
        return [e.conn for e in self.executors] + [e.process.sentinel for e in self.executors]

    def owner(self, waitable) -> Executor:
        return next(e for e in self.executors if waitable in (e.conn, e.process.sentinel))

    def idle(self) -> list[Executor]:
        return [e for e in self.executors if e.device and not e.running and e.alive]

    def busy(self) -> list[Executor]:
        return [e for e in self.executors if e.running]

    def kill(self) -> None:
        for executor in self.executors:
            if executor.alive:
                executor.process.kill()
        for executor in self.executors:
            executor.process.join(5)

    def stop(self) -> None:
        for executor in self.executors:
            if executor.alive:
                try:
                    executor.conn.send(("stop",))
                except OSError:
                    pass
        for executor in self.executors:
            executor.process.join(10)
            if executor.alive:
                executor.process.kill()

    def _spawn(self, index: int) -> Executor:
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=executor_main,
            args=(child, index, self.workers, self.device),
            daemon=True,
            name=f"sweeper-executor-{index}",
        )
        # Born ignoring Ctrl-C and SIGTERM (the disposition survives exec): a signal while the
        # child still imports torch would otherwise print its traceback; the supervisor decides.
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in stops}
        try:
            process.start()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        child.close()
        return Executor(index, process, parent)

    def _wait_ready(self, executor: Executor, interrupted=lambda: False) -> None:
        while not executor.conn.poll(0.1):
            if interrupted():
                raise KeyboardInterrupt
            if not executor.alive:
                raise self.died_starting(executor)
        self.started(executor, *self._receive(executor))

    @staticmethod
    def _receive(executor: Executor):
        try:
            return executor.conn.recv()
        except EOFError:
            raise RuntimeError(
                f"executor {executor.index} exited with code {executor.process.exitcode}"
            ) from None


def _failure(info: dict) -> Exception:
    """The error an executor reported: a user's mistake (exit code 2) or a crash."""
    return ConfigError(info["error"]) if info.get("user_error") else RuntimeError(info["error"])
