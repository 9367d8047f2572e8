"""Published beside measured: each number a study carries, next to its own run measured its way.

A published number is matched to the trials whose settings (the study's fixed setup, the
trial's point and its sampled params) hold every setting of its run, and read the way the
write-up read it: the same metric, at the best or the final epoch. A number whose run no trial
has made is listed apart as not run, never beside some other run.
"""

from __future__ import annotations

import math

import pandas as pd

from sweeper.references import TRIAL_MEASURES, describe, matches, parse
from sweeper.report.frames import counted, outcomes, param_column
from sweeper.train.config import TrainConfig

COLUMNS = ["run", "source", "measure", "published", "measured", "trial", "outcome", "runs"]
COLUMNS += ["warning"]  # the trial shown trained fewer epochs than the number was measured at
NOT_RUN_COLUMNS = ["run", "source", "measure", "published"]
_ABSENT = object()  # a setting no trial has (a spec from another version of sweeper)
# Trial measure → its trials-frame column.
_TRIAL_COLUMN = {"params": "n_params", "summary_size_mb": "summary_size_mb"}


def published_tables(
    spec: dict, trials: pd.DataFrame, epochs: pd.DataFrame, metric: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(published numbers with their measured run, published numbers not run)."""
    entries = parse(spec.get("reference") or {}, "stored reference") if spec else []
    ran = trials[counted(trials)]
    settings = _Settings(spec, ran)
    measured, not_run = [], []
    for entry in entries:
        entry_metric = entry.metric or metric
        row = [
            describe(entry.run),
            entry.source or "",
            _measure(entry_metric, entry.at, entry.within, entry.batch),
        ]
        found = ran[settings.matching(entry.run)]
        if not len(found):
            not_run.append([*row, entry.value])
            continue
        values = _values(found, epochs, entry_metric, entry.at, entry.within)
        if entry_metric == "summary_size_mb":
            values = _at_batch(values, found, settings, entry.batch or 1)
        trial, value = _chosen(found, values, entry_metric)
        shown = found["trial"] == trial
        outcome = outcomes(found).loc[shown].iloc[0]
        warning = _too_short(found.loc[shown, "epochs"].iloc[0], entry.epochs)
        measured.append([*row, entry.value, value, trial, outcome, len(found), warning])
    table = pd.DataFrame(measured, columns=COLUMNS)
    table["trial"] = table["trial"].astype("Int64")
    table["runs"] = table["runs"].astype("Int64")
    return table, pd.DataFrame(not_run, columns=NOT_RUN_COLUMNS)


class _Settings:
    """The trials' settings, column by column as references ask for them: the defaults, the
    study's fixed setup, the trial's point, its params (10,000 trials match in milliseconds)."""

    def __init__(self, spec: dict, trials: pd.DataFrame):
        self.trials = trials
        self.base = {**TrainConfig().to_dict(), **spec.get("train", {})}
        self.points = {describe(point): point for point in spec.get("points", [])}
        self.params = [n for n in spec.get("space", {}) if param_column(n) in trials]
        self.columns: dict[str, pd.Series] = {}

    def matching(self, run: dict) -> pd.Series:
        """Which trials are the run: they hold each of its settings."""
        mask = pd.Series(True, index=self.trials.index)
        for key, wanted in run.items():
            column = self.column(key)
            # One comparison per distinct value (few, however many trials), keyed by repr:
            # values may be lists (milestones), which cannot be hashed.
            keys = column.map(repr)
            distinct = ~keys.duplicated()
            verdicts = {
                text: value is not _ABSENT and matches({0: wanted}, {0: value})
                for text, value in zip(keys[distinct], column[distinct])
            }
            mask &= keys.map(verdicts).astype(bool)
        return mask

    def column(self, key: str) -> pd.Series:
        if key not in self.columns:
            default = self.base.get(key, _ABSENT)
            labels = self.trials["point"] if "point" in self.trials else None
            values = pd.Series([default] * len(self.trials), index=self.trials.index, dtype=object)
            if labels is not None:
                values = labels.map(
                    lambda label: (
                        self.points.get(label, {}).get(key, default)
                        if isinstance(label, str)
                        else default
                    )
                ).astype(object)
            if key in self.params:
                params = self.trials[param_column(key)]
                values = values.where(params.isna(), params)
            self.columns[key] = values
        return self.columns[key]


def _values(
    found: pd.DataFrame, epochs: pd.DataFrame, metric: str, at, within: int | None
) -> pd.Series:
    """Each found trial's measure, by trial number (NaN where it has none yet)."""
    numbers = found["trial"].astype(int)
    if metric in TRIAL_MEASURES:
        return pd.Series(found[_TRIAL_COLUMN[metric]].values, index=numbers.values, dtype=float)
    if metric not in epochs:
        return pd.Series(math.nan, index=numbers.values)
    rows = epochs[epochs["trial"].isin(numbers)].dropna(subset=[metric])
    if isinstance(at, int):
        rows = rows[rows["epoch"] == at]
    elif within is not None:
        rows = rows[rows["epoch"] <= within]
    by_trial = rows.sort_values("epoch").groupby("trial")[metric]
    if at == "final" or isinstance(at, int):
        values = by_trial.last()
    else:
        values = by_trial.min() if _lower_is_better(metric) else by_trial.max()
    return values.reindex(numbers.values)


def _chosen(found: pd.DataFrame, values: pd.Series, metric: str) -> tuple[int, float]:
    """The trial shown for a published number: its best finished run, else its first finished
    run (a measure it did not record stays blank), else its latest run."""
    finished = found.loc[outcomes(found) == "completed", "trial"].astype(int)
    candidates = values.reindex(finished.values).dropna()
    if len(candidates):
        number = candidates.idxmin() if _lower_is_better(metric) else candidates.idxmax()
    elif len(finished):
        number = int(finished.min())
    else:
        number = int(found["trial"].max())
    value = values.get(number, math.nan)
    return int(number), float(value) if not _missing(value) else math.nan


def _at_batch(sizes: pd.Series, found: pd.DataFrame, settings: _Settings, batch: int) -> pd.Series:
    """Each trial's estimated total size for `batch` images. A trial records it for its own
    summary_batch (1 before that setting existed), already rounded to 4 significant digits:
    measured at the number's batch, it is read as it is. Otherwise torchsummary's is scaled
    (the input and activations grow with the batch, the weights do not; its weights are every
    module's weight and bias, taken here as all parameters: exact for networks made only of
    convolutions, BatchNorm and linear layers), which multiplies the rounding by the ratio of
    the batches; torchinfo's weights are not known from the parameter count, so its size at
    another batch stays blank."""
    numbers = found["trial"].astype(int).values
    measured_at = pd.Series(
        settings.column("summary_batch").loc[found.index].values, index=numbers
    ).astype(float)
    tool = pd.Series(settings.column("summary_tool").loc[found.index].values, index=numbers)
    weights_mb = pd.Series(found["n_params"].astype(float).values * 4 / 2**20, index=numbers)
    scaled = weights_mb + batch / measured_at * (sizes - weights_mb)
    same = measured_at == batch
    return sizes.where(same, scaled.where(tool == "torchsummary"))


def _too_short(trained, needed: int | None) -> str:
    """A warning when a trial trained fewer epochs than the number was measured at (a run
    tried with --set epochs=1, a trial still running or stopped early); else blank."""
    trained = 0 if _missing(trained) else int(trained)
    if needed is None or trained >= needed:
        return ""
    return f"trained {trained} of the {needed} epochs this number was measured at"


def _measure(metric: str, at, within: int | None, batch: int | None = None) -> str:
    if metric in TRIAL_MEASURES:
        return f"{metric}, batch {batch}" if batch else metric
    if at == "final":
        return f"{metric}, final epoch"
    if isinstance(at, int):
        return f"{metric}, epoch {at}"
    best = "lowest" if _lower_is_better(metric) else "best epoch"
    return f"{metric}, {best}" + (f" of the first {within}" if within else "")


def _lower_is_better(metric: str) -> bool:
    return metric.endswith("loss")


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
