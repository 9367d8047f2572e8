"""The executor: a long-lived process that trains one trial after another for the supervisor.

It never imports Optuna; the supervisor never imports torch (the trainer is imported here,
inside the child process only). The messages on the pipe, and which answers which, are the
dataclasses of sweeper/sweep/messages.py: the executor answers Ready (or Failed) once started,
then Check with Checked | Failed, Train with Epoch* then Done | Failed | Interrupted, and
exits on Stop. Anything else it receives is a ProtocolError: the executor exits with its
traceback (the supervisor retries its trial elsewhere), it never guesses.
"""

from __future__ import annotations

import importlib
import os
import signal
import traceback

from sweeper.errors import ConfigError, SetupError, SweeperError
from sweeper.sweep.messages import (
    Cause,
    Check,
    Checked,
    Continue,
    Done,
    Epoch,
    Failed,
    Interrupt,
    Interrupted,
    ProtocolError,
    Prune,
    Ready,
    Stop,
    Train,
    unexpected,
)


class _Interrupted(Exception):
    """The supervisor asked this trial to stop after its checkpoint, to be resumed later."""


class _Stopped(Exception):
    """The supervisor is going away (it stops its executors, busy ones included, when it ends
    on an error): leave as quietly as when the pipe closes."""


def load_trainer(reference: str | None):
    """The built-in trainer, or the `module:function` a study names instead."""
    if not reference:
        from sweeper.train import fit

        return fit
    module_name, _, function_name = reference.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def executor_main(conn, index: int, workers: int, device_request: str) -> None:
    # Ctrl-C reaches the whole process group, and a scheduler's SIGTERM (Slurm's scancel,
    # Kubernetes) every process: the supervisor decides what stops and when, so the epoch under
    # way is finished and checkpointed before the grace period's SIGKILL.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signal.SIG_IGN)
    from sweeper.train import device as devices
    from sweeper.train.config import TrainConfig

    try:
        device = devices.setup(index, workers, device_request)
    except SweeperError as error:
        conn.send(Failed(str(error), Cause.USER))
        return
    conn.send(Ready(device, os.getpid()))
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the supervisor is gone: nobody to train for
            return
        if isinstance(message, Stop):
            return
        if isinstance(message, Check):
            conn.send(_check(message))
            continue
        if not isinstance(message, Train):
            raise unexpected(message, "an executor waiting for work")
        try:
            fit = load_trainer(message.trainer)
            config = TrainConfig.from_dict(message.config)
            if message.threads:  # a rerun trains with the thread count the trial had
                devices.set_threads(message.threads)
            result = fit(
                config, _epoch_reporter(conn), device=device, checkpoint_dir=message.checkpoint_dir
            )
            conn.send(Done(checked_result(result)))
        except _Interrupted as stop:
            conn.send(Interrupted(stop.args[0] if stop.args else None))
        except _Stopped:
            return
        except ProtocolError:  # a bug, not the trial's fault: no trial result can be trusted
            raise
        except SetupError as error:
            conn.send(Failed(str(error), Cause.MACHINE))
        except SweeperError as error:
            conn.send(Failed(str(error), Cause.USER))
        except (BrokenPipeError, EOFError):  # the supervisor is gone
            return
        except OSError as error:
            # A file that cannot be read or written (an unwritable runs/, a data folder gone,
            # a broken image): the machine's fault, not the trial's.
            conn.send(Failed(_describe_os_error(error), Cause.MACHINE))
        except Exception as error:  # a failing trial must not take the executor down
            conn.send(Failed(_describe(error, message.config), Cause.TRIAL, traceback.format_exc()))
        finally:
            devices.release(device)


STOPS = ("completed", "pruned", "diverged")  # how a trainer's training may end


class BadResult(Exception):
    """A trainer returned something that is not a result: the trial fails with this line."""


def checked_result(result) -> dict:
    """The trainer's result, checked before the supervisor trusts it: a dict of plain values
    whose `stop` says how training ended."""
    if not isinstance(result, dict):
        raise BadResult(f"the trainer returned {result!r:.80}, not a dict of results")
    if result.get("stop") not in STOPS:
        raise BadResult(
            f"the trainer's result has stop={result.get('stop')!r}, not one of {', '.join(STOPS)}"
        )
    return result


def _check(task: Check) -> Checked | Failed:
    """The trainer imports and, for the built-in one, the data sets and weights of every run
    are where the configs say (all that is missing in one error), and the config's data decodes."""
    from sweeper.train.config import TrainConfig

    try:
        load_trainer(task.trainer)
        if not task.trainer:
            from sweeper.train import data, preflight

            config = TrainConfig.from_dict(task.config)
            preflight.check([config, *map(TrainConfig.from_dict, task.runs)])
            data.load(config)
    except SweeperError as error:
        return Failed(str(error), Cause.USER)
    except OSError as error:
        return Failed(_describe_os_error(error), Cause.USER)
    except (ImportError, AttributeError) as error:
        problem = ConfigError(
            f"cannot load trainer {task.trainer!r}: {error}",
            "check the module:function name and that its module is importable (PYTHONPATH)",
        )
        return Failed(str(problem), Cause.USER)
    return Checked()


def _describe_os_error(error: OSError) -> str:
    where = f" {error.filename}" if getattr(error, "filename", None) else ""
    what = error.strerror or str(error) or type(error).__name__
    return f"{type(error).__name__} on{where}: {what} — fix the file or folder, then run again"


def _describe(error: Exception, config: dict) -> str:
    if (
        type(error).__name__ == "OutOfMemoryError"
    ):  # torch.cuda.OutOfMemoryError, by name: no torch import here
        return (
            f"out of GPU memory with model={config.get('model')} batch_size={config.get('batch_size')}"
            f" image_size={config.get('image_size')}: lower batch_size or image_size, or run fewer --workers per GPU"
        )
    return f"{type(error).__name__}: {error}"


def _epoch_reporter(conn):
    def on_epoch(metrics: dict) -> bool:
        conn.send(Epoch.of(metrics))
        answer = conn.recv()
        if isinstance(answer, Interrupt):
            raise _Interrupted(metrics.get("epoch"))
        if isinstance(answer, Stop):
            raise _Stopped
        if not isinstance(answer, (Continue, Prune)):
            raise unexpected(answer, "an executor waiting for the answer to an epoch")
        return isinstance(answer, Prune)

    return on_epoch
