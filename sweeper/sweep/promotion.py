"""Successive halving that pauses trials instead of pruning them for good, in brackets.

Optuna's SuccessiveHalvingPruner decides once, when a trial reaches a rung: a trial is kept
if it is in the top 1/eta of the trials that reached that rung *so far*. It cannot wait, so
while a rung holds fewer than eta trials it keeps whoever is best so far: the first trials of
a study are kept at every rung and trained in full, whatever they are worth.

Here a trial that is not in its rung's top 1/eta is *paused*: it stops, its checkpoint is
kept, and it is resumed once the rung's later arrivals put it in the top 1/eta (ASHA's
promotions, Li et al., "A System for Massively Parallel Hyperparameter Tuning", 2020). A
resumed trial restores its epochs from its checkpoint, so a promotion costs only the epochs
it adds. Promotions go before new trials, the highest rung first.

Trials are taken in brackets of eta ** (number of rungs) trials, in the order they start: a
trial goes on from a rung, or is resumed, only once every trial of its bracket has started
(the last bracket closes when the whole budget has). A bracket is the smallest population
that successive halving narrows down to one trial at the full budget (27 trials, 9 past
epoch 1, 3 past epoch 3, 1 past epoch 9, for 12 epochs), so each trial is ranked against
the trials of at least its own bracket; asynchronous promotion (`bracket=1`) ranks the first
trials of a study against a handful and trains on many that later fall out of the top
(bench/search.py measures both). Rungs are shared by all brackets: a trial paused in an
early bracket is still resumed when it is in its rung's top 1/eta later. When no new trial
may start and no promotion is due, the best paused trial of the highest rung is trained to
the full budget (`finish_top` such trials), so the search always ends with a fully trained
best candidate.

`Ladder` is the arithmetic alone, on plain curves (trial: the metric after each epoch, in the
order the trials started), with no study and no database. The supervisor builds the curves
from the study's trials.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial

from sweeper.outcomes import Attempt, Outcome

Curves = Mapping[int, Sequence[float]]  # trial: its metric after epoch 1, 2, ...


@dataclass(frozen=True)
class Ladder:
    """Rungs at min_epochs, min_epochs * eta, ... below max_epochs; a trial goes on from a rung
    only in the top 1/eta (rounded down) of the trials that reached it, and once its bracket
    has started. Curves are keyed by trial number, numbered in the order trials start."""

    max_epochs: int
    min_epochs: int = 1
    eta: int = 3
    finish_top: int = 1
    maximize: bool = True
    n_trials: int | None = None  # the study's budget: the last bracket closes once all started
    bracket: int | None = None  # trials per bracket; None: eta ** len(rungs); 1: asynchronous

    @property
    def rungs(self) -> list[int]:
        """The epochs at which a trial may be paused (the full budget is not one)."""
        found, epochs = [], self.min_epochs
        while epochs < self.max_epochs:
            found.append(epochs)
            epochs *= self.eta
        return found

    @property
    def bracket_size(self) -> int:
        return self.bracket or self.eta ** len(self.rungs)

    def waiting(self, curves: Curves) -> set[int]:
        """The trials of the bracket still filling up: they pause at every rung."""
        started = sorted(curves)
        if self.n_trials is not None and len(started) >= self.n_trials:
            return set()
        return set(started[len(started) - len(started) % self.bracket_size :])

    def describe(self) -> str:
        """What the ladder does to a sweep, in a line for its output."""
        if not self.rungs:
            epochs = f"{self.max_epochs} epoch{'s' * (self.max_epochs != 1)}"
            return f"pruner promoting: trials of {epochs} are never paused"
        if self.n_trials is not None and self.n_trials <= self.bracket_size:
            when = f"all {self.n_trials} trials have started"
        else:
            when = f"each bracket of {self.bracket_size} trials has started"
        return (
            f"pruner promoting: trials pause at epochs {', '.join(map(str, self.rungs))} until "
            f"{when}; the top 1/{self.eta} of each rung then resume from their checkpoints, "
            f"up to {self.max_epochs} epochs"
        )

    def next_stop(self, epochs: int) -> int:
        """The rung (or the full budget) a trial that has trained `epochs` epochs stops at next."""
        return next((r for r in self.rungs if r > epochs), self.max_epochs)

    def _score(self, value: float | None) -> float:
        if value is None or math.isnan(value):
            return -math.inf
        return value if self.maximize else -value

    def top(self, curves: Curves, rung: int) -> list[int]:
        """The trials in the top 1/eta of those that reached `rung` epochs, best first (ties:
        the earlier trial), by their metric at that epoch."""
        reached = [n for n, curve in curves.items() if len(curve) >= rung]
        reached.sort(key=lambda n: (-self._score(curves[n][rung - 1]), n))
        return reached[: len(reached) // self.eta]

    def goes_on(self, number: int, curves: Curves, target: int | None = None) -> bool:
        """Whether trial `number`, which has just trained len(curves[number]) epochs, trains
        the next one. A resumed trial goes on at least to its `target`."""
        epochs = len(curves[number])
        if target is not None and epochs < target:
            return True
        if epochs not in self.rungs:
            return True
        return number in self.top(curves, epochs) and number not in self.waiting(curves)

    def promotion(self, curves: Curves, paused: Collection[int]) -> tuple[int, int] | None:
        """(trial, target epochs) of the paused trial to resume next, or None: the best paused
        trial now in its rung's top 1/eta, from the highest rung down."""
        waiting = self.waiting(curves)
        for rung in reversed(self.rungs):
            for number in self.top(curves, rung):
                if number in paused and len(curves[number]) == rung and number not in waiting:
                    return number, self.next_stop(rung)
        return None

    def finals(self, curves: Curves, paused: Collection[int]) -> list[tuple[int, int]]:
        """[(trial, max_epochs), ...] once nothing else is left to do: while fewer than
        `finish_top` trials have trained in full, the paused trials that got furthest (then the
        best at the last epoch they trained) are trained in full, as many at once as are
        missing (each choice is the same whether the others have finished or not)."""
        finished = sum(len(curve) >= self.max_epochs for curve in curves.values())
        candidates = [n for n in paused if 0 < len(curves[n]) < self.max_epochs]
        candidates.sort(key=lambda n: (-len(curves[n]), -self._score(curves[n][-1]), n))
        return [(n, self.max_epochs) for n in candidates[: max(0, self.finish_top - finished)]]


# ---- in a study: the pruner, and the promotions the supervisor queues -------------------
# A promoted trial runs again as a WAITING copy of its paused attempt (an attempt of kind
# PROMOTION, sweeper/outcomes.py), which resumes from its first attempt's checkpoints; the
# trial and all its attempts use the budget once (sweep/budget.py).
Records = Mapping[int, Attempt]  # trial number: its record (sweeper_attempts)


def _first(number: int, records: Records) -> int:
    """The first attempt of an attempt: checkpoints, and its curve, are kept under its number."""
    record = records.get(number)
    return number if record is None else record.first_attempt


def _curve(trial: FrozenTrial) -> list[float]:
    """Its metric after each epoch (NaN where no value was reported)."""
    values = trial.intermediate_values
    return [values.get(step, math.nan) for step in range(1, max(values, default=0) + 1)]


def study_curves(
    trials: list[FrozenTrial], records: Records
) -> tuple[dict[int, list[float]], set[int], dict[int, FrozenTrial]]:
    """(curves, paused, last) of a study's trials, by first attempt: each the longest curve of
    its attempts; paused, those whose last attempt paused; last, each one's latest attempt."""
    curves: dict[int, list[float]] = {}
    last: dict[int, FrozenTrial] = {}
    for trial in sorted(trials, key=lambda t: t.number):
        root = _first(trial.number, records)
        curve = _curve(trial)
        if len(curve) >= len(curves.get(root, [])):
            curves[root] = curve
        last[root] = trial
    paused = {
        root
        for root, trial in last.items()
        if trial.number in records
        and records[trial.number].outcome is Outcome.PAUSED
        and len(_curve(trial)) > 0
    }
    return curves, paused, last


class PromotingPruner(optuna.pruners.BasePruner):
    """The promotion ladder as an Optuna pruner: "prune" at a rung means *pause*; the
    supervisor resumes paused trials (`next_promotions`). It reads the study's attempt records
    from the supervisor's StudySnapshot (`records`); outside sweeper's supervisor every trial
    is its own first attempt, and it is asynchronous successive halving without promotions:
    paused trials stay pruned."""

    def __init__(self, ladder: Ladder):
        self.ladder = ladder

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        curve = _curve(trial)
        if len(curve) not in self.ladder.rungs:
            return False  # only a rung pauses: no need to read the study's curves every epoch
        ladder = self._ladder(study)
        records = getattr(study, "records", {})
        curves, _, _ = study_curves(
            [t for t in study.get_trials(deepcopy=False) if t.number != trial.number], records
        )
        root = _first(trial.number, records)
        curves[root] = curve
        record = records.get(trial.number)
        return not ladder.goes_on(root, curves, record and record.target_epochs)

    def _ladder(self, study: optuna.Study) -> Ladder:
        maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
        return dataclasses.replace(self.ladder, maximize=maximize)


def next_promotions(
    study, pruner: PromotingPruner, *, finishing: bool, skip: Collection[int] = ()
) -> list[tuple[FrozenTrial, int]]:
    """[(paused attempt, target epochs), ...] to resume next: the one promotion due, or, when
    `finishing` (no new trial may start and none runs) and none is, the final full trainings.
    `study` is the supervisor's StudySnapshot (its trials and `records`); `skip`: paused
    attempts already promoted (their copy may not be in its trials yet)."""
    ladder = pruner._ladder(study)
    trials = study.get_trials(deepcopy=False)
    curves, paused, last = study_curves(trials, study.records)
    paused = {root for root in paused if last[root].number not in skip}
    job = ladder.promotion(curves, paused)
    jobs = [job] if job else ladder.finals(curves, paused) if finishing else []
    return [(last[root], target) for root, target in jobs]
