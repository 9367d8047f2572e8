"""Published numbers a study re-runs: which run each belongs to, and what it measured.

A write-up's number is only comparable to the run it came from, measured the way it was
measured: training or validation accuracy, the best or the last epoch, the lowest or the last
loss, on the model the write-up used. `published(...)` says all of that; the report matches
each one to the trials whose settings contain its `run` and measures them the same way.

The older form `{param: {value: number}}` still reads: the study's metric at its best epoch,
for the trials with that value.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from sweeper.errors import ConfigError
from sweeper.train.config import field_names

# Per-epoch metrics a number can be read from ("best": the highest accuracy or lowest loss).
EPOCH_METRICS = ("val_acc", "val_top5", "train_acc", "val_loss", "train_loss")
# Per-trial measures, read once per trial (no epoch to pick).
TRIAL_MEASURES = ("params", "summary_size_mb")
WHEN = ("best", "final")


@dataclass(frozen=True)
class Published:
    """One published number.

    Args:
        value: the number as the write-up printed it (percent for accuracies).
        run: the settings that identify the run it came from, e.g. {"batch_size": 32}; a
            trial matches when its settings hold every one of them.
        metric: an epoch metric (val_acc, train_acc, val_loss, ...) or a trial measure
            (params, summary_size_mb); None: the study's metric.
        at: "best" (highest accuracy, lowest loss over the epochs), "final" (last epoch), or
            an epoch number (the value logged at that epoch); None for trial measures.
        within: with at="best": the best of the first `within` epochs only (write-up 001's
            "best within N epochs" of one long run).
        batch: summary_size_mb only: the batch size the size was estimated for (None: one
            image). A trial records it for its own summary_batch, with its summary_tool;
            write-up 004 used 64 for its own CNNs.
        source: the model the write-up measured, where it differs from the one re-run.
        epochs: how many epochs the run had trained when the number was measured: `at`'s
            epoch, `within`, else the run's own epochs. The Study fills it in from its file
            (so `--set epochs=1` does not change it), and the report warns beside a trial
            that trained fewer.
    """

    value: float
    run: dict = field(default_factory=dict)
    metric: str | None = None
    at: str | int | None = "best"
    within: int | None = None
    batch: int | None = None
    source: str | None = None
    epochs: int | None = None

    def to_dict(self) -> dict:
        return {
            "value": self.value,
            "run": dict(self.run),
            "metric": self.metric,
            "at": self.at,
            "within": self.within,
            "batch": self.batch,
            "source": self.source,
            "epochs": self.epochs,
        }


def published(
    value: float,
    run: dict,
    *,
    metric: str | None = None,
    at: str | int | None = None,
    within: int | None = None,
    batch: int | None = None,
    source: str | None = None,
) -> Published:
    """A published number and the run it belongs to (see `Published`).

    `at` defaults to "best" for epoch metrics and to nothing for trial measures.
    """
    if at is None and metric not in TRIAL_MEASURES:
        at = "best"
    run = plain(run) if isinstance(run, dict) else run
    return Published(value, run, metric, at, within, batch, source)


def parse(reference, where: str = "Study reference=") -> list[Published]:
    """Published numbers from either form (a list of `published(...)` or their stored dicts,
    or {param: {value: number}}); anything else is a one-line ConfigError."""
    if isinstance(reference, dict):
        return _parse_by_value(reference, where)
    if not isinstance(reference, (list, tuple)):
        raise ConfigError(
            f"{where} must be a list of published(...) or {{param: {{value: number}}}}",
            "write e.g. reference=[published(93.5, {'batch_size': 32})]",
        )
    entries = []
    for i, item in enumerate(reference):
        if isinstance(item, dict):
            known = {"value", "run", "metric", "at", "within", "batch", "source", "epochs"}
            if not set(item) <= known or "value" not in item:
                raise ConfigError(
                    f"{where}[{i}] has keys {sorted(item)}",
                    f"use published(...), or a dict with {', '.join(sorted(known))}",
                )
            item = Published(**{"run": {}, **item})
        if isinstance(item, Published) and isinstance(item.run, dict):
            item = dataclasses.replace(item, run=plain(item.run))
        if not isinstance(item, Published):
            raise ConfigError(
                f"{where}[{i}] is {item!r}",
                "write each entry as published(number, {setting: value})",
            )
        _check(item, f"{where}[{i}]")
        entries.append(item)
    return entries


def _parse_by_value(reference: dict, where: str) -> list[Published]:
    entries = []
    for param, table in reference.items():
        if not isinstance(table, dict):
            raise ConfigError(
                f"{where} must be {{param: {{value: published number}}}}",
                'write e.g. reference={"batch_size": {64: 91.2}}',
            )
        for value, number in table.items():
            entry = Published(number, {param: value})
            _check(entry, f"{where}[{param!r}][{value!r}]")
            entries.append(entry)
    return entries


def _check(entry: Published, where: str) -> None:
    if not _is_number(entry.value):
        raise ConfigError(f"{where}: {entry.value!r} is not a number", "give the published number")
    if not isinstance(entry.run, dict) or not entry.run:
        raise ConfigError(
            f"{where} names no run", "give the settings of its run, e.g. {'batch_size': 32}"
        )
    if entry.metric is not None and entry.metric not in EPOCH_METRICS + TRIAL_MEASURES:
        raise ConfigError(
            f"{where}: unknown metric {entry.metric!r}",
            f"use one of: {', '.join(EPOCH_METRICS + TRIAL_MEASURES)}",
        )
    if entry.metric in TRIAL_MEASURES:
        if entry.at is not None:
            raise ConfigError(
                f"{where}: {entry.metric} is measured once per trial, not at={entry.at!r}",
                "leave `at` out",
            )
    elif entry.at not in WHEN and not _is_epoch(entry.at):
        raise ConfigError(
            f"{where}: at={entry.at!r}", "use at='best', at='final' or an epoch number"
        )
    if entry.within is not None and (entry.at != "best" or not _is_epoch(entry.within)):
        raise ConfigError(
            f"{where}: within={entry.within!r} with at={entry.at!r}",
            "within= is a number of epochs, for at='best'",
        )
    if entry.batch is not None and (
        entry.metric != "summary_size_mb" or not _is_epoch(entry.batch)
    ):
        raise ConfigError(
            f"{where}: batch={entry.batch!r} with metric={entry.metric!r}",
            "batch= is the batch size the size was estimated for (a whole number), for "
            "summary_size_mb",
        )
    unknown = sorted(set(entry.run) - set(field_names()))
    if unknown:
        raise ConfigError(
            f"{where}: its run names unknown settings {', '.join(map(repr, unknown))}",
            f"settings are: {', '.join(field_names())}",
        )
    if entry.epochs is not None and not _is_epoch(entry.epochs):
        raise ConfigError(f"{where}: epochs={entry.epochs!r}", "give a whole number of epochs")
    if entry.source is not None and not isinstance(entry.source, str):
        raise ConfigError(f"{where}: source={entry.source!r}", "name the model as a string")


def for_param(entries: list[Published], param: str, metric: str) -> dict:
    """{str(value): number} of the entries a parameter table can show beside its best column:
    one setting, the study's metric, at the best epoch."""
    return {
        str(e.run[param]): e.value
        for e in entries
        if list(e.run) == [param]
        and e.metric in (None, metric)
        and e.at == "best"
        and e.within is None
    }


def matches(run: dict, settings: dict) -> bool:
    """Whether a trial with these settings is the run: it holds each of the run's settings."""
    return all(key in settings and same(value, settings[key]) for key, value in run.items())


def same(a, b) -> bool:
    """Setting values as equal: 32 == "32" (JSON keys), 1e-3 == 0.001, (30, 80) == [30, 80]."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return str(a).lower() == str(b).lower()
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    except (TypeError, ValueError):
        return str(a) == str(b)


def describe(run: dict) -> str:
    """The run as one short line: `key=value, ...`."""
    return ", ".join(f"{key}={_text(value)}" for key, value in run.items())


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return repr(value) if isinstance(value, float) else str(value)  # repr: exact, never two alike


def plain(settings: dict) -> dict:
    """Settings as JSON holds them (tuples as lists), so a study compares equal to its spec."""
    return {key: list(v) if isinstance(v, tuple) else v for key, v in settings.items()}


def _is_epoch(value) -> bool:  # a positive whole number: an epoch, or a batch size
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
