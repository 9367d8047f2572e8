"""The executor: a long-lived process that trains one trial after another for the supervisor.

It never imports Optuna; the supervisor never imports torch (the trainer is imported here,
inside the child process only). Messages on the pipe are plain tuples:
supervisor -> executor: ("trial", task) | ("continue",) | ("prune",) | ("interrupt",) | ("stop",)
executor -> supervisor: ("ready", info) | ("epoch", metrics) | ("done", result)
                        | ("failed", error) | ("interrupted", info)
"""
from __future__ import annotations

import importlib
import signal
import traceback

from sweeper.errors import SweeperError


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
    # Ctrl-C reaches the whole process group; the supervisor decides what stops and when.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from sweeper.train import device as devices
    from sweeper.train.config import TrainConfig

    try:
        device = devices.setup(index, workers, device_request)
    except SweeperError as error:
        conn.send(("failed", {"error": str(error), "user_error": True}))
        return
    conn.send(("ready", {"device": device}))
    while True:
        message = conn.recv()
        if message[0] == "stop":
            return
        task = message[1]
        try:
            fit = load_trainer(task.get("trainer"))
            config = TrainConfig.from_dict(task["config"])
            result = fit(config, _epoch_reporter(conn), device=device, checkpoint_dir=task.get("checkpoint_dir"))
            conn.send(("done", result))
        except Interrupted as stop:
            conn.send(("interrupted", {"epoch": stop.args[0] if stop.args else None}))
        except SweeperError as error:
            conn.send(("failed", {"error": str(error), "user_error": True}))
        except Exception as error:  # a failing trial must not take the executor down
            conn.send(("failed", {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}))
        finally:
            devices.release(device)


def _epoch_reporter(conn):
    def on_epoch(metrics: dict) -> bool:
        conn.send(("epoch", metrics))
        answer = conn.recv()[0]
        if answer == "interrupt":
            raise Interrupted(metrics.get("epoch"))
        return answer == "prune"

    return on_epoch
