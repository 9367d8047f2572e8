"""The executor: a long-lived process that trains one trial after another for the supervisor.

It never imports Optuna; the supervisor never imports torch (the trainer is imported here,
inside the child process only). Messages on the pipe are plain tuples:
supervisor -> executor: ("check", task) | ("trial", task) | ("continue",) | ("prune",)
                        | ("interrupt",) | ("stop",)
executor -> supervisor: ("ready", info) | ("checked", {}) | ("epoch", metrics) | ("done", result)
                        | ("failed", error) | ("interrupted", info)
"""

from __future__ import annotations

import importlib
import os
import signal
import traceback

from sweeper.errors import ConfigError, SetupError, SweeperError


class Interrupted(Exception):
    """The supervisor asked this trial to stop after its checkpoint, to be resumed later."""


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
        conn.send(("failed", {"error": str(error), "user_error": True}))
        return
    conn.send(("ready", {"device": device, "pid": os.getpid()}))
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the supervisor is gone: nobody to train for
            return
        if message[0] == "stop":
            return
        task = message[1]
        if message[0] == "check":
            conn.send(_check(task))
            continue
        try:
            fit = load_trainer(task.get("trainer"))
            config = TrainConfig.from_dict(task["config"])
            if task.get("threads"):  # a rerun trains with the thread count the trial had
                devices.set_threads(task["threads"])
            result = fit(
                config,
                _epoch_reporter(conn),
                device=device,
                checkpoint_dir=task.get("checkpoint_dir"),
            )
            conn.send(("done", result))
        except Interrupted as stop:
            conn.send(("interrupted", {"epoch": stop.args[0] if stop.args else None}))
        except SetupError as error:
            conn.send(("failed", {"error": str(error), "setup": True}))
        except SweeperError as error:
            conn.send(("failed", {"error": str(error), "user_error": True}))
        except (BrokenPipeError, EOFError):  # the supervisor is gone
            return
        except OSError as error:
            # A file that cannot be read or written (an unwritable runs/, a data folder gone,
            # a broken image): the machine's fault, not the trial's.
            conn.send(("failed", {"error": _describe_os_error(error), "setup": True}))
        except Exception as error:  # a failing trial must not take the executor down
            conn.send(
                ("failed", {"error": _describe(error, task), "traceback": traceback.format_exc()})
            )
        finally:
            devices.release(device)


def _check(task: dict) -> tuple:
    """The trainer imports and, for the built-in one, the data set is where the config says."""
    from sweeper.train.config import TrainConfig

    try:
        load_trainer(task.get("trainer"))
        if not task.get("trainer"):
            from sweeper.train import data, models

            config = TrainConfig.from_dict(task["config"])
            models.check_weights(config)
            data.load(config)
    except SweeperError as error:
        return ("failed", {"error": str(error), "user_error": True})
    except OSError as error:
        return ("failed", {"error": _describe_os_error(error), "user_error": True})
    except (ImportError, AttributeError) as error:
        problem = ConfigError(
            f"cannot load trainer {task.get('trainer')!r}: {error}",
            "check the module:function name and that its module is importable (PYTHONPATH)",
        )
        return ("failed", {"error": str(problem), "user_error": True})
    return ("checked", {})


def _describe_os_error(error: OSError) -> str:
    where = f" {error.filename}" if getattr(error, "filename", None) else ""
    what = error.strerror or str(error) or type(error).__name__
    return f"{type(error).__name__} on{where}: {what} — fix the file or folder, then run again"


def _describe(error: Exception, task: dict) -> str:
    if (
        type(error).__name__ == "OutOfMemoryError"
    ):  # torch.cuda.OutOfMemoryError, by name: no torch import here
        config = task["config"]
        return (
            f"out of GPU memory with model={config.get('model')} batch_size={config.get('batch_size')}"
            f" image_size={config.get('image_size')}: lower batch_size or image_size, or run fewer --workers per GPU"
        )
    return f"{type(error).__name__}: {error}"


def _epoch_reporter(conn):
    def on_epoch(metrics: dict) -> bool:
        conn.send(("epoch", metrics))
        answer = conn.recv()[0]
        if answer == "interrupt":
            raise Interrupted(metrics.get("epoch"))
        return answer == "prune"

    return on_epoch
