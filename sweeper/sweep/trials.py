"""Finishing trials in the storage: their outcome, attributes, retries and inherited epochs."""

from __future__ import annotations

import datetime
import math
import os
import socket
from pathlib import Path

import optuna
import sqlalchemy as sa
from optuna.trial import TrialState

from sweeper.store import optuna_private, schema, writes
from sweeper.store.writes import TrialWriteBuffer
from sweeper.sweep.promotion import PROMOTED_TO

MAX_RETRIES = 3
HOST = socket.gethostname()
OWNER_ATTR = "supervisor"  # "host:pid:start" of the supervisor running a trial


def _process_start(pid: int) -> str | None:
    """When a process started (clock ticks since boot), so that a reused pid is not taken for
    the process that ran a trial; None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except FileNotFoundError:
        return None
    except OSError:  # no /proc (macOS): whether the pid exists is all there is to know
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "?"


def owner_token() -> str:
    """Who runs a trial: this supervisor, on this host."""
    return f"{HOST}:{os.getpid()}:{_process_start(os.getpid())}"


def owner_gone(token: object) -> bool:
    """Whether the supervisor that a token names ran on this host and has exited."""
    if not isinstance(token, str) or token.count(":") < 2:
        return False
    host, pid, started = token.rsplit(":", 2)
    if host != HOST or not pid.isdigit():
        return False
    now = _process_start(int(pid))
    return now is None or (started not in ("?", "None") and now not in ("?", started))


def abandoned(engine: sa.Engine, study_id: int, silent_s: float) -> list[tuple[int, str]]:
    """(number, why) of RUNNING trials nobody will finish: their supervisor ran on this host and
    is gone (taken back at once), or they never had a heartbeat for `silent_s` seconds (their
    ask was cut off between creating the trial and its first heartbeat, which Optuna's stale
    check, reading heartbeats only, never reclaims)."""
    rows = writes.running_without_news(engine, study_id, OWNER_ATTR)
    # Optuna stamps datetime_start with the asking machine's local clock, without a zone.
    cutoff = datetime.datetime.now() - datetime.timedelta(seconds=silent_s)
    found = []
    for number, started, heartbeat, owner in rows:
        if owner_gone(owner):
            found.append((number, f"its supervisor on {HOST} (pid {owner.split(':')[-2]}) is gone"))
        elif heartbeat is None and started is not None and started < cutoff:
            found.append((number, f"no heartbeat in {silent_s:.0f} s since it started"))
    return found


def reclaim(writes: TrialWriteBuffer, study: optuna.Study, number: int, reason: str) -> None:
    """Fails an abandoned trial and queues its retry, which resumes from its checkpoints."""
    frozen = optuna_private.trial_by_number(study, number)
    if frozen.state != TrialState.RUNNING:
        return  # finished meanwhile by whoever had it
    writes.set_attrs(optuna_private.trial_id(frozen), {"stop_reason": f"taken back: {reason}"})
    writes.flush()
    fail_frozen = study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
    retry_trial(study, fail_frozen)


def best_value(values, direction: str) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    return max(finite) if direction == "maximize" else min(finite)


def _significant(value, digits: int = 4):
    """A cost figure to the digits anyone reads (12.34 s, not 12.3371829...): Optuna's CLI and
    optuna-dashboard print user attributes as stored, and 17 digits make their rows wide."""
    if isinstance(value, float) and math.isfinite(value) and value != 0:
        return float(f"{value:.{digits}g}")
    return value


def finish(
    writes: TrialWriteBuffer,
    study: optuna.Study,
    trial: optuna.trial.Trial,
    epochs: list[dict],
    result: dict,
    metric: str,
) -> optuna.trial.FrozenTrial:
    """Tells Optuna how a trial ended; the value is the best epoch's metric.

    Diverged trials (NaN loss, chance accuracy) are PRUNED: stopped early as hopeless, like
    pruned ones, with their reason kept in `stop_reason`.
    """
    direction = (
        "maximize" if study.direction == optuna.study.StudyDirection.MAXIMIZE else "minimize"
    )
    values = [e.get(metric) for e in epochs]
    best = best_value(values, direction)
    stop = result.get("stop_reason", "completed")
    attrs = {
        "stop_reason": stop,
        "epochs_run": result.get("epochs_run", len(epochs)),
        "final_value": values[-1] if values else None,
        "best_value": best,
        "best_epoch": next((e["epoch"] for e in epochs if e.get(metric) == best), None),
        **{k: _significant(result.get(k)) for k in schema.RESULT_COST_ATTRS},
        # What decides its numbers (seed, versions, device, threads): `sweeper rerun` reads it.
        "environment": result.get("environment"),
    }
    if stop != "completed":
        attrs["pruned_at"] = epochs[-1]["epoch"] if epochs else 0
    state = TrialState.COMPLETE if stop == "completed" and best is not None else TrialState.PRUNED
    if stop == "completed" and best is None:
        attrs["stop_reason"] = f"failed: no finite {metric} in any epoch"
        state = TrialState.FAIL
    _write_outcome(writes, trial, attrs)
    return study.tell(
        trial, best if state == TrialState.COMPLETE else None, state=state, skip_if_finished=True
    )


def fail(
    writes: TrialWriteBuffer,
    study: optuna.Study,
    trial: optuna.trial.Trial,
    reason: str,
    *,
    retry: bool,
    extra: dict | None = None,
) -> optuna.trial.FrozenTrial:
    """Fails a trial; with `retry`, a WAITING copy takes its place in the budget and resumes it.
    `extra` attributes go with the reason (a crashed trial's traceback)."""
    _write_outcome(writes, trial, {"stop_reason": reason, **(extra or {})})
    frozen = study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
    if retry:
        retry_trial(study, frozen)
    return frozen


def first_attempt(trial: optuna.trial.Trial | optuna.trial.FrozenTrial) -> int:
    """The number of a trial's first attempt: its retries and promoted copies (`retry_of`)
    resume from that attempt's checkpoints and keep writing them there."""
    return trial.user_attrs.get("retry_of", trial.number)


def retry_trial(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
    """A WAITING copy of a failed trial, linked to the original; also Optuna's stale-trial callback.

    Unlike optuna's RetryFailedTrialCallback it does not copy the failed attempt's outcome
    attributes; `retry_of` names the first attempt, whose checkpoints the copy resumes from.
    """
    root = first_attempt(frozen)
    history = list(frozen.system_attrs.get("retry_history", [])) + [frozen.number]
    if len(history) > MAX_RETRIES:
        return
    # A promoted trial's retry still trains to the epochs it was promoted to.
    promoted = {k: frozen.system_attrs[k] for k in (PROMOTED_TO,) if k in frozen.system_attrs}
    study.add_trial(
        optuna.create_trial(
            state=TrialState.WAITING,
            params=frozen.params,
            distributions=frozen.distributions,
            user_attrs={"retry_of": root},
            system_attrs={"failed_trial": root, "retry_history": history, **promoted},
        )
    )


def _write_outcome(writes: TrialWriteBuffer, trial: optuna.trial.Trial, attrs: dict) -> None:
    """The outcome attributes and everything still buffered, in one transaction, before Optuna's tell."""
    writes.set_attrs(optuna_private.trial_id(trial), attrs)
    writes.flush()


def inherit_epochs(
    engine: sa.Engine, study_id: int, trial: optuna.trial.Trial, root: int
) -> list[dict]:
    """Copies the epochs of the retried attempt into the retry, which resumes after them."""
    return writes.copy_previous_epochs(
        engine, study_id, optuna_private.trial_id(trial), trial.number, root
    )
