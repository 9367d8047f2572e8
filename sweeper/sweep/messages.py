"""The messages on the pipe between the supervisor and an executor, one frozen dataclass each.

Imported by both sides: it imports neither Optuna nor torch. Each side accepts only the
messages listed for it, and raises ProtocolError on anything else (a bug, never a trial's fault).

supervisor -> executor:  Check (once, before any write) -> Checked | Failed
                         Train -> Epoch* then Done | Failed | Interrupted
                         Continue | Prune | Interrupt (the answer to each Epoch)
                         Stop (the executor exits)
executor -> supervisor:  Ready | Failed (its first message: the device it trains on, or why not)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class ProtocolError(RuntimeError):
    """A message the receiving side does not expect: a bug in sweeper, not a user's mistake."""


def unexpected(message: object, where: str) -> ProtocolError:
    return ProtocolError(f"{where} got an unexpected message: {message!r}")


# ---- supervisor -> executor --------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """Before any write: the trainer imports and (built-in trainer) the data and weights are there,
    for `config` (its data set is decoded) and for every other config in `runs` (the ones the
    study can ask for: their files must exist)."""

    config: dict
    trainer: str | None = None
    runs: tuple = ()


@dataclass(frozen=True)
class Train:
    """Train one trial: `config` is TrainConfig.to_dict(); `trainer` a "module:function" or None
    for the built-in one; `threads` the CPU thread count to train with (a rerun's)."""

    config: dict
    trainer: str | None = None
    checkpoint_dir: str | None = None
    threads: int | None = None


@dataclass(frozen=True)
class Continue:
    """After an epoch: train the next one."""


@dataclass(frozen=True)
class Prune:
    """After an epoch: stop the trial, pruned."""


@dataclass(frozen=True)
class Interrupt:
    """After an epoch: stop the trial now that its checkpoint is written, to resume it later."""


@dataclass(frozen=True)
class Stop:
    """The executor exits."""


# ---- executor -> supervisor --------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    """The executor's first message: it is pinned to `device` and waits for work."""

    device: str
    pid: int


@dataclass(frozen=True)
class Checked:
    """The answer to Check: all is there."""


@dataclass(frozen=True)
class Epoch:
    """An epoch's metrics (the trainer's on_epoch dict, without the two keys below).

    `resumed`: an epoch restored from a checkpoint, reported again; `note`: something the
    trainer says about it (a corrupt checkpoint set aside)."""

    metrics: dict
    resumed: bool = False
    note: str | None = None

    @classmethod
    def of(cls, metrics: dict) -> Epoch:
        metrics = dict(metrics)
        return cls(metrics, bool(metrics.pop("resumed", False)), metrics.pop("note", None))


@dataclass(frozen=True)
class Done:
    """The trainer's result dict."""

    result: dict


class Cause(enum.Enum):
    """Whose fault a failure is, which decides what happens to the trial and the run."""

    TRIAL = "trial"  # the trial's own: it fails for good, the sweep goes on
    USER = "user"  # a mistake the user can fix (a ConfigError): exit code 2 before any trial
    MACHINE = "machine"  # this machine's (a SetupError, an unwritable folder): queued again


@dataclass(frozen=True)
class Failed:
    error: str
    cause: Cause = Cause.TRIAL
    traceback: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Interrupted:
    """The trial stopped after its checkpoint, as Interrupt asked."""

    epoch: int | None = None
