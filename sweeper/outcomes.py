"""What became of a trial: one vocabulary, and the one rule that counts a study.

A *trial*, as a user counts them, is one configuration of the study. It may take several
*attempts* (each an Optuna trial): its first, a retry after its machine lost it, and a copy
resuming it after it paused (the promoting pruner). Every attempt is recorded with its
`Attempt`: its first attempt, why it exists (`Kind`) and, once it ends, its `Outcome`
(stored in typed columns of `sweeper_attempts`, sweeper/store/schema.py). Every command
reads these; none parses the free-text `stop_reason` that Optuna's CLI shows, which is
derived from them (`stop_reason`).

The budget counts trials, not attempts: a trial and all its attempts use it once, and an
attempt asked past the budget by a race between machines uses none (`Outcome.OVER_BUDGET`).
A trial's status is its latest attempt's: running, waiting, or that attempt's outcome.
`count` is the one count every command shows; the supervisor's budget query
(sweeper/store/writes.py) counts the same in SQL, from the same flags.

This module imports nothing of sweeper's but errors: the orchestrator, the store and the read
side all use it.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

# Attempts in a row that lose their executor or machine before a trial gives up: a trial that
# kills its process every time (out of memory, a segfault) must not be retried forever.
MAX_DEATHS = 3


class Kind(enum.Enum):
    """Why an attempt exists."""

    FIRST = "first"
    RETRY = "retry"  # its previous attempt was lost (a kill, an interrupt, a silent machine)
    PROMOTION = "promotion"  # its previous attempt paused and earned its place on a higher rung


class Outcome(enum.Enum):
    """How an attempt ended."""

    COMPLETED = "completed"  # trained all its epochs, with a finite metric
    PAUSED = "paused"  # stopped at a rung of the promoting pruner; a copy may resume it
    PRUNED = "pruned"  # stopped for good by the pruner
    DIVERGED = "diverged"  # a NaN loss, or accuracy at chance with no new best
    FAILED = "failed"  # its own fault: the training raised, reported nothing usable
    GAVE_UP = "gave up"  # lost its executor or machine MAX_DEATHS times in a row
    DIED = "died"  # its executor process died, or hung past the epoch timeout: retried
    INTERRUPTED = "interrupted"  # Ctrl-C / SIGTERM stopped it after a checkpoint: retried
    MACHINE_FAULT = "machine fault"  # this machine's fault (disk, data, weights): retried
    TAKEN_BACK = "taken back"  # its machine fell silent; another took it back: retried
    OVER_BUDGET = "over budget"  # asked past the budget by a race: never a trial

    @property
    def retried(self) -> bool:
        """Another attempt of the trial follows: the loss was not the trial's own doing."""
        return self in _RETRIED

    @property
    def deadly(self) -> bool:
        """A loss that may be the trial's doing after all (it killed its process): MAX_DEATHS of
        these in a row and the trial gives up. Interrupts and this machine's faults never are."""
        return self in (Outcome.DIED, Outcome.TAKEN_BACK)

    @property
    def final(self) -> bool:
        """The trial ends with this outcome: no attempt follows it, and none may resume it."""
        return not self.retried and self is not Outcome.PAUSED

    @property
    def in_budget(self) -> bool:
        return self is not Outcome.OVER_BUDGET

    @property
    def optuna_state(self) -> str:
        """The state Optuna is told: a PRUNED trial's value is its last intermediate value."""
        if self is Outcome.COMPLETED:
            return "COMPLETE"
        if self in (Outcome.PAUSED, Outcome.PRUNED, Outcome.DIVERGED):
            return "PRUNED"
        return "FAIL"


_RETRIED = frozenset((Outcome.DIED, Outcome.INTERRUPTED, Outcome.MACHINE_FAULT, Outcome.TAKEN_BACK))
# A trial's status: its latest attempt's outcome, or these while that attempt is not over.
RUNNING = "running"
WAITING = "waiting"
# Every status a count has, in the order commands show them. A trial whose latest attempt was
# lost but has no retry yet (its machine died in between: the next run queues it) is "lost".
LOST = "lost"
STATUSES = (
    RUNNING,
    WAITING,
    Outcome.COMPLETED.value,
    Outcome.PAUSED.value,
    Outcome.PRUNED.value,
    Outcome.DIVERGED.value,
    Outcome.FAILED.value,
    Outcome.GAVE_UP.value,
    LOST,
)


@dataclass(frozen=True)
class Attempt:
    """One attempt of a trial: an Optuna trial, as sweeper records it."""

    number: int  # its Optuna trial number
    first_attempt: int  # the number of the trial's first attempt: checkpoints live under it
    kind: Kind = Kind.FIRST
    previous: int | None = None  # the attempt it continues (the lost or paused one)
    target_epochs: int | None = None  # a promotion trains at least to this epoch
    outcome: Outcome | None = None  # None while waiting or running
    detail: str | None = None  # the outcome in words: "train loss is nan at epoch 3"

    @classmethod
    def first(cls, number: int) -> Attempt:
        return cls(number, number)

    def ended(self, outcome: Outcome, detail: str | None = None) -> Attempt:
        return replace(self, outcome=outcome, detail=detail)

    def follow_up(self, number: int, kind: Kind, target_epochs: int | None = None) -> Attempt:
        """The attempt that continues this one (a retry or a promotion), numbered `number`."""
        return Attempt(number, self.first_attempt, kind, self.number, target_epochs)

    def stop_reason(self) -> str | None:
        """The outcome in one line, as Optuna's CLI and optuna-dashboard show it."""
        if self.outcome is None:
            return None
        return f"{self.outcome.value}: {self.detail}" if self.detail else self.outcome.value

    def to_row(self) -> dict:
        return {
            "number": self.number,
            "first_attempt": self.first_attempt,
            "kind": self.kind.value,
            "previous": self.previous,
            "target_epochs": self.target_epochs,
            "outcome": None if self.outcome is None else self.outcome.value,
            "detail": self.detail,
        }

    @classmethod
    def from_row(cls, row: Mapping) -> Attempt:
        outcome = row.get("outcome")
        return cls(
            number=int(row["number"]),
            first_attempt=int(row["first_attempt"]),
            kind=Kind(row.get("kind") or Kind.FIRST.value),
            previous=_int_or_none(row.get("previous")),
            target_epochs=_int_or_none(row.get("target_epochs")),
            outcome=None if _missing(outcome) else Outcome(outcome),
            detail=None if _missing(row.get("detail")) else row["detail"],
        )


def deaths_in_a_row(lineage: Iterable[Attempt]) -> int:
    """How many of a trial's latest attempts, in a row, died or were taken back."""
    deaths = 0
    for attempt in sorted(lineage, key=lambda a: a.number):
        deaths = deaths + 1 if attempt.outcome is not None and attempt.outcome.deadly else 0
    return deaths


def status(state: str, attempt: Attempt) -> str:
    """A trial's status from its latest attempt (its Optuna state and its record)."""
    if state in ("RUNNING", "WAITING"):
        return state.lower()
    if attempt.outcome is None:
        return _STATE_OUTCOME.get(state, Outcome.FAILED).value
    return LOST if attempt.outcome.retried else attempt.outcome.value


@dataclass(frozen=True)
class Counts:
    """A study's trials by status, as every command shows them."""

    by_status: Mapping[str, int]
    attempts: int  # Optuna trials, over-budget ones included

    @property
    def trials(self) -> int:
        """The budget used: trials (not attempts), whatever their status."""
        return sum(self.by_status.values())

    @property
    def done(self) -> int:
        """Trials not waiting or running (a paused trial is done until a copy resumes it)."""
        return self.trials - self.by_status.get(RUNNING, 0) - self.by_status.get(WAITING, 0)

    def __getitem__(self, status: str) -> int:
        return self.by_status.get(status, 0)


# The status of an attempt that is not its trial's latest: a lost one a retry took over, a
# paused one a promoted copy resumed. Neither is a trial of its own, nor is an over-budget one.
RETRIED = "retried"
RESUMED = "resumed"
NOT_TRIALS = (RETRIED, RESUMED, Outcome.OVER_BUDGET.value)


def statuses(attempts: Iterable[tuple[str, Attempt]]) -> list[str]:
    """Each attempt's status, from every attempt's (Optuna state, record) of a study: its
    trial's (`status`) on the trial's latest attempt, else retried, resumed or over budget."""
    rows = list(attempts)
    latest: dict[int, int] = {}
    for _, attempt in rows:
        if attempt.outcome is not Outcome.OVER_BUDGET:
            kept = latest.get(attempt.first_attempt, -1)
            latest[attempt.first_attempt] = max(kept, attempt.number)
    found = []
    for state, attempt in rows:
        if attempt.outcome is Outcome.OVER_BUDGET:
            found.append(Outcome.OVER_BUDGET.value)
        elif attempt.number != latest[attempt.first_attempt]:
            found.append(RESUMED if attempt.outcome is Outcome.PAUSED else RETRIED)
        else:
            found.append(status(state, attempt))
    return found


def count(attempts: Iterable[tuple[str, Attempt]]) -> Counts:
    """Counts a study's trials from every attempt's (Optuna state, record): each trial once, by
    its latest attempt; attempts over budget not at all."""
    found = statuses(attempts)
    return count_statuses(found)


def count_statuses(found: Iterable[str]) -> Counts:
    """The Counts of attempts' statuses (as `statuses` gives them)."""
    found = list(found)
    by_status = Counter(found)
    return Counts({s: by_status[s] for s in STATUSES if by_status[s]}, len(found))


# ---- studies written before attempts were recorded, and plain Optuna studies -------------
_STATE_OUTCOME = {
    "COMPLETE": Outcome.COMPLETED,
    "PRUNED": Outcome.PRUNED,
    "FAIL": Outcome.FAILED,
}
# The stop reasons earlier versions wrote, by their first words.
_LEGACY_REASONS = (
    ("diverged", Outcome.DIVERGED),
    ("failed", Outcome.FAILED),
    ("over budget", Outcome.OVER_BUDGET),
    ("executor died", Outcome.DIED),
    ("interrupted:", Outcome.MACHINE_FAULT),
    ("interrupted", Outcome.INTERRUPTED),
    ("taken back", Outcome.TAKEN_BACK),
)


def derived(
    number: int, state: str, user_attrs: Mapping, system_attrs: Mapping, *, pausing: bool
) -> Attempt:
    """The record of an attempt that has none: one of a study an earlier sweeper wrote (which
    kept it in attributes and free text), or of a plain Optuna study. The one place that reads
    those; `pausing`: the study's pruner was promoting (a pruned trial there paused)."""
    first = system_attrs.get("resume_of", system_attrs.get("failed_trial"))
    first = user_attrs.get("retry_of", number) if first is None else first
    first = int(first) if isinstance(first, (int, float)) else number
    promoted_from = user_attrs.get("promoted_from")
    history = system_attrs.get("retry_history") or []
    if promoted_from is not None:
        kind, previous = Kind.PROMOTION, promoted_from
    elif first != number:
        kind, previous = Kind.RETRY, history[-1] if history else None
    else:
        kind, previous = Kind.FIRST, None
    outcome, detail = _legacy_outcome(state, user_attrs.get("stop_reason"), system_attrs, pausing)
    target = system_attrs.get("promoted_to")
    return Attempt(
        number,
        first,
        kind,
        _int_or_none(previous),
        _int_or_none(target),
        outcome,
        detail,
    )


def _legacy_outcome(
    state: str, reason, system_attrs: Mapping, pausing: bool
) -> tuple[Outcome | None, str | None]:
    if state in ("RUNNING", "WAITING"):
        return None, None
    text = reason if isinstance(reason, str) else ""
    for prefix, outcome in _LEGACY_REASONS:
        if text.startswith(prefix):
            detail = text[len(prefix) :].lstrip(": ").strip() or None
            return outcome, detail
    if state == "PRUNED":
        return (Outcome.PAUSED if pausing else Outcome.PRUNED), None
    if state == "FAIL" and "heartbeat" in str(system_attrs.get("fail_reason", "")):
        return Outcome.TAKEN_BACK, "its heartbeat went stale"
    outcome = _STATE_OUTCOME.get(state, Outcome.FAILED)
    # A plain Optuna failure may say why; "completed" and "pruned" only repeat the state.
    return outcome, text if outcome is Outcome.FAILED and text else None


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _int_or_none(value) -> int | None:
    return None if _missing(value) else int(value)
