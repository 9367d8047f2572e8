"""The executor processes of one machine: started with spawn, watched, replaced when they die."""

from __future__ import annotations

import enum
import multiprocessing as mp
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sweeper.errors import ConfigError
from sweeper.sweep.executor import executor_main
from sweeper.sweep.messages import (
    Cause,
    Check,
    Checked,
    Continue,
    Done,
    Epoch,
    Failed,
    Prune,
    Ready,
    Stop,
    Train,
    unexpected,
)

# A forked child would inherit CUDA state and open database connections; both break.
_CONTEXT = mp.get_context("spawn")


class ExecutorState(enum.Enum):
    STARTING = "starting"  # spawned; its first message (Ready, or why not) not read yet
    IDLE = "idle"  # ready for a trial
    BUSY = "busy"  # training `running`
    DEAD = "dead"  # its process is gone (found dead, or killed)


@dataclass
class Executor:
    """One executor process as the supervisor sees it. The state changes only through the
    methods below; whether the process still lives is `alive`, asked of the process itself."""

    index: int
    process: mp.Process
    conn: Any  # multiprocessing.connection.Connection
    state: ExecutorState = ExecutorState.STARTING
    device: str | None = None  # from its Ready message
    pid: int | None = None
    running: Any = None  # the supervisor's RunningTrial while BUSY, else None

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def ready(self, message: Ready) -> None:
        self._expect(ExecutorState.STARTING)
        self.device, self.pid, self.state = message.device, message.pid, ExecutorState.IDLE

    def take(self, running: Any, task: Train) -> None:
        """Sends it a trial to train. Busy with it first: should it have died since it was
        idle (the send fails), it is a dead executor with a trial, retried like any other."""
        self._expect(ExecutorState.IDLE)
        self.running, self.state = running, ExecutorState.BUSY
        self.conn.send(task)

    def release(self) -> Any:
        """Its trial ended (done, failed or interrupted): it is idle again; returns the trial."""
        self._expect(ExecutorState.BUSY)
        running, self.running, self.state = self.running, None, ExecutorState.IDLE
        return running

    def dead(self) -> Any:
        """Its process is gone: returns the trial it was training, if any."""
        running, self.running, self.state = self.running, None, ExecutorState.DEAD
        return running

    def _expect(self, state: ExecutorState) -> None:
        if self.state is not state:
            raise RuntimeError(f"executor {self.index} is {self.state.value}, not {state.value}")


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

    def preflight(self, config: dict, trainer: str | None, runs: list[dict] = ()) -> None:
        """Checks in an executor that the trainer loads and the data is there, before any write:
        `config`'s data set decoded, and the data and weights of every config in `runs` there."""
        executor = self.executors[0]
        executor.conn.send(Check(config, trainer, tuple(runs)))
        message = self._receive(executor)
        if isinstance(message, Failed):
            raise _failure(message)
        if not isinstance(message, Checked):
            raise unexpected(message, "the supervisor, waiting for Checked")

    def train(self, task: Train, stop_after: Callable[[dict], bool]) -> Done | Failed:
        """Trains one task on the first executor, outside any study (a rerun).

        `stop_after(metrics)` is asked after each epoch. Returns what the executor said last."""
        executor = self.executors[0]
        executor.conn.send(task)
        while True:
            message = self._receive(executor)
            if isinstance(message, (Done, Failed)):
                return message
            if not isinstance(message, Epoch):
                raise unexpected(message, "the supervisor, waiting for an epoch")
            executor.conn.send(Prune() if stop_after(message.metrics) else Continue())

    def replace(self, dead: Executor) -> Executor:
        """A new executor in a dead one's place, without waiting for it to start (seconds with torch
        and CUDA to load) while the others train: it takes trials once `started` has its first message."""
        fresh = self._spawn(dead.index)
        self.executors[self.executors.index(dead)] = fresh
        return fresh

    @staticmethod
    def started(executor: Executor, message: Ready | Failed) -> None:
        """An executor's first message: ready (with its device), or why it could not start."""
        if isinstance(message, Failed):
            raise _failure(message)
        if not isinstance(message, Ready):
            raise unexpected(message, f"the supervisor, waiting for executor {executor.index}")
        executor.ready(message)

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
        return [e for e in self.executors if e.state is ExecutorState.IDLE and e.alive]

    def busy(self) -> list[Executor]:
        return [e for e in self.executors if e.state is ExecutorState.BUSY]

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
                    executor.conn.send(Stop())
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
        self.started(executor, self._receive(executor))

    @staticmethod
    def _receive(executor: Executor):
        try:
            return executor.conn.recv()
        except EOFError:
            raise RuntimeError(
                f"executor {executor.index} exited with code {executor.process.exitcode}"
            ) from None


def describe_exit(code: int | None) -> str:
    """How an executor process ended, in words a user can act on."""
    if code is None:
        return "executor died"
    if code < 0:  # killed by a signal
        return f"executor killed by {_signal_name(-code)}{_SIGNAL_HINTS.get(-code, '')}"
    if code > 128 and code - 128 in _SIGNAL_HINTS:  # a shell's or os._exit's 128 + signal
        return f"executor exited with code {code} (128 + {_signal_name(code - 128)}){_SIGNAL_HINTS[code - 128]}"
    return f"executor exited with code {code}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_SIGNAL_HINTS = {
    signal.SIGKILL: " (the kernel's out-of-memory killer sends it: lower batch_size or --workers)",
    signal.SIGSEGV: " (a crash in native code: a CUDA or extension bug)",
    signal.SIGABRT: " (a native library aborted)",
    signal.SIGBUS: " (a bus error: out of shared memory, or a file truncated under it)",
}


def _failure(failed: Failed) -> Exception:
    """The error an executor reported: a user's mistake (exit code 2) or a crash."""
    return ConfigError(failed.error) if failed.cause is Cause.USER else RuntimeError(failed.error)
