"""The one policy for a trial's attempts: how each ends (sweeper/outcomes.py), which are
retried, when a trial gives up, and the epochs a retry or a promoted copy inherits."""

from __future__ import annotations

import datetime
import math
import os
import socket
from pathlib import Path

import optuna
import sqlalchemy as sa
from optuna.trial import TrialState

from sweeper.outcomes import MAX_DEATHS, Attempt, Kind, Outcome, deaths_in_a_row
from sweeper.store import optuna_private, schema, writes
from sweeper.store.writes import TrialWriteBuffer

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


def reclaim(
    writes: TrialWriteBuffer,
    study: optuna.Study,
    study_id: int,
    number: int,
    reason: str,
    *,
    pausing: bool,
) -> None:
    """Fails an abandoned trial (taken back) and queues its retry, which resumes from its
    checkpoints, unless the trial has lost too many attempts in a row."""
    frozen = optuna_private.trial_by_number(study, number)
    if frozen.state != TrialState.RUNNING:
        return  # finished meanwhile by whoever had it
    attempt = record_of(writes.engine, frozen, pausing=pausing)
    fail(writes, study, study_id, frozen, attempt, Outcome.TAKEN_BACK, reason)


def take_back_stale(
    engine: sa.Engine, study: optuna.Study, frozen: optuna.trial.FrozenTrial, *, pausing: bool
) -> None:
    """Optuna's stale-trial callback: it has failed `frozen` for a stale heartbeat; its outcome
    is recorded (taken back) and its retry queued, unless it has lost too many in a row."""
    study_id = optuna_private.study_id(study)
    attempt = record_of(engine, frozen, pausing=pausing)
    outcome, detail = _give_up_after_deaths(
        engine, study_id, attempt, Outcome.TAKEN_BACK, "its heartbeat went stale"
    )
    ended = attempt.ended(outcome, detail)
    with engine.begin() as connection:
        recorded = writes.record_outcome(
            connection, optuna_private.trial_id(frozen), study_id, ended
        )
    if recorded and outcome.retried:
        _queue_retry(engine, study_id, ended, frozen)


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
    study_id: int,
    trial: optuna.trial.Trial,
    attempt: Attempt,
    epochs: list[dict],
    result: dict,
    metric: str,
    *,
    pausing: bool,
) -> tuple[optuna.trial.FrozenTrial, Attempt]:
    """Tells Optuna how a trial's training ended (`result["stop"]`: completed, pruned or
    diverged); its value is the best epoch's metric. Returns the trial and its record.

    A pruned trial paused when the pruner pauses (`pausing`, promoting); a diverged one is
    PRUNED in Optuna too, stopped early as hopeless, with its reason kept.
    """
    direction = (
        "maximize" if study.direction == optuna.study.StudyDirection.MAXIMIZE else "minimize"
    )
    values = [e.get(metric) for e in epochs]
    best = best_value(values, direction)
    last = epochs[-1]["epoch"] if epochs else 0
    stop = result["stop"]
    if stop == "completed":
        outcome, detail = Outcome.COMPLETED, None
        if best is None:
            outcome, detail = Outcome.FAILED, f"no finite {metric} in any epoch"
    elif stop == "pruned":
        outcome, detail = (Outcome.PAUSED if pausing else Outcome.PRUNED), f"at epoch {last}"
    else:
        outcome, detail = Outcome.DIVERGED, result.get("stop_detail")
    attrs = {
        "epochs_run": result.get("epochs_run", len(epochs)),
        "final_value": values[-1] if values else None,
        "best_value": best,
        "best_epoch": next((e["epoch"] for e in epochs if e.get(metric) == best), None),
        **{k: _significant(result.get(k)) for k in schema.RESULT_COST_ATTRS},
        # What decides its numbers (seed, versions, device, threads): `sweeper rerun` reads it.
        "environment": result.get("environment"),
    }
    if outcome is not Outcome.COMPLETED:
        attrs["pruned_at"] = last
    ended = attempt.ended(outcome, detail)
    _write_outcome(writes, trial, study_id, ended, attrs)
    state = TrialState[outcome.optuna_state]
    frozen = study.tell(
        trial, best if state == TrialState.COMPLETE else None, state=state, skip_if_finished=True
    )
    return frozen, ended


def fail(
    writes: TrialWriteBuffer,
    study: optuna.Study,
    study_id: int,
    trial: optuna.trial.Trial | optuna.trial.FrozenTrial,
    attempt: Attempt,
    outcome: Outcome,
    detail: str | None = None,
    *,
    extra: dict | None = None,
) -> tuple[optuna.trial.FrozenTrial, Attempt]:
    """Fails a trial with `outcome`. A lost attempt (outcome.retried) has a WAITING retry
    queued, which resumes from its checkpoints, unless the trial has died MAX_DEATHS times in
    a row: then it gives up, and counts as the budget's like any finished trial. `extra`
    attributes go with it (a crashed trial's traceback). Returns the trial and its record."""
    outcome, detail = _give_up_after_deaths(writes.engine, study_id, attempt, outcome, detail)
    ended = attempt.ended(outcome, detail)
    _write_outcome(writes, trial, study_id, ended, extra or {})
    frozen = study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
    if outcome.retried:
        _queue_retry(writes.engine, study_id, ended, frozen)
    return frozen, ended


def record_of(
    engine: sa.Engine, trial: optuna.trial.Trial | optuna.trial.FrozenTrial, *, pausing: bool
) -> Attempt:
    """The record of an attempt another machine started (or one that never got its own)."""
    with engine.connect() as connection:
        return writes.attempt_of(connection, optuna_private.trial_id(trial), pausing=pausing)


def queue_lost_retries(engine: sa.Engine, study: optuna.Study, study_id: int) -> int:
    """Queues the retry of every trial whose latest attempt was lost without one (its machine
    died between failing it and queueing the retry); returns how many were queued."""
    with engine.connect() as connection:
        rows = writes.attempts_of(connection, study_id)
    latest: dict[int, tuple[str, Attempt]] = {}
    for state, attempt, _ in rows:  # by number: each trial's last attempt stays
        latest[attempt.first_attempt] = (state, attempt)
    queued = 0
    for state, attempt in latest.values():
        if state == "FAIL" and attempt.outcome is not None and attempt.outcome.retried:
            frozen = optuna_private.trial_by_number(study, attempt.number)
            queued += _queue_retry(engine, study_id, attempt, frozen)
    return queued


def promote(
    engine: sa.Engine,
    study_id: int,
    paused: optuna.trial.FrozenTrial,
    record: Attempt,
    target_epochs: int,
) -> bool:
    """Queues the WAITING copy that resumes a paused attempt from its first attempt's
    checkpoints and trains to `target_epochs` at least; False when another machine has."""
    try:
        with engine.begin() as connection:
            writes.queue_attempt(
                connection, study_id, record, Kind.PROMOTION, paused, target_epochs=target_epochs
            )
        return True
    except sa.exc.IntegrityError:
        return False


def _give_up_after_deaths(
    engine: sa.Engine, study_id: int, attempt: Attempt, outcome: Outcome, detail: str | None
) -> tuple[Outcome, str | None]:
    """`outcome`, or GAVE_UP when it is the trial's MAX_DEATHS-th death in a row."""
    if not outcome.deadly:
        return outcome, detail
    with engine.connect() as connection:
        earlier = writes.lineage(connection, study_id, attempt.first_attempt)
    earlier = [a for a in earlier if a.number != attempt.number]
    if deaths_in_a_row([*earlier, attempt.ended(outcome)]) < MAX_DEATHS:
        return outcome, detail
    said = f"{outcome.value}: {detail}" if detail else outcome.value
    return Outcome.GAVE_UP, f"lost {MAX_DEATHS} attempts in a row, the last {said}"


def _queue_retry(
    engine: sa.Engine, study_id: int, lost: Attempt, frozen: optuna.trial.FrozenTrial
) -> bool:
    """The WAITING retry of a lost attempt; False when another machine has queued it already
    (an attempt is continued by one attempt only: the storage refuses a second)."""
    try:
        with engine.begin() as connection:
            # A retry of a promoted copy still trains to the epochs it was promoted to.
            writes.queue_attempt(
                connection, study_id, lost, Kind.RETRY, frozen, target_epochs=lost.target_epochs
            )
        return True
    except sa.exc.IntegrityError:
        return False


def _write_outcome(
    writes: TrialWriteBuffer, trial, study_id: int, attempt: Attempt, attrs: dict
) -> None:
    """The record, the outcome attributes and everything still buffered, in one transaction,
    before Optuna's tell."""
    writes.set_attrs(optuna_private.trial_id(trial), attrs)
    writes.end_attempt(optuna_private.trial_id(trial), study_id, attempt)
    writes.flush()


def inherit_epochs(engine: sa.Engine, study_id: int, trial, attempt: Attempt) -> list[dict]:
    """Copies the epochs of the attempt a retry or promoted copy continues into it."""
    if attempt.previous is None:
        return []
    return writes.copy_epochs(engine, study_id, optuna_private.trial_id(trial), attempt.previous)
