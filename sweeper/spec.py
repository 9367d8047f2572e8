"""A study: the fixed training setup, the search space and how to search it; loading study files.

A study file is plain data: it builds one `Study(...)` named `study`. Everything is validated
when the Study is built, so a bad study file fails before anything touches the storage.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import math
import os
import runpy
import traceback
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna.distributions as od

from sweeper import references
from sweeper.errors import ConfigError, StudyFileError, SweeperError
from sweeper.names import check_study_name, names_a_file
from sweeper.strategies import (
    DEFAULT_PRUNER,
    DEFAULT_PRUNER_SPARSE_EVAL,
    PRUNER_NAMES,
    SAMPLER_NAMES,
    check_name,
)
from sweeper.train.config import (
    FILE_SETTINGS,
    TrainConfig,
    field_names,
    is_conditional,
    parse_override,
    setting_applies,
)

# Metrics a study can optimize (per-epoch values the trainer reports) and their natural direction.
METRICS = {
    "val_acc": "maximize",
    "val_top5": "maximize",
    "train_acc": "maximize",
    "val_loss": "minimize",
    "train_loss": "minimize",
}
# The parameter that says which of a study's `points` a trial runs (None: a point of the space).
POINT = "point"


@dataclass(frozen=True)
class Dimension:
    """One searched setting. `when` restricts it to trials where other settings have given values."""

    when: dict = field(default_factory=dict, kw_only=True)

    def conditional(self, name: str) -> bool:
        return bool(self.when) or is_conditional(name)

    def active(self, name: str, values: dict) -> bool:
        for other, wanted in self.when.items():
            allowed = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
            if values.get(other) not in allowed:
                return False
        return setting_applies(name, values)

    def to_dict(self) -> dict:
        data = {
            "kind": self.kind,
            **{k: v for k, v in dataclasses.asdict(self).items() if k != "when"},
        }
        if self.when:
            data["when"] = self.when
        return data


@dataclass(frozen=True)
class Choice(Dimension):
    values: tuple
    kind = "choice"

    def distribution(self) -> od.BaseDistribution:
        return od.CategoricalDistribution(self.values)

    def candidates(self) -> tuple:
        return self.values

    def grid_values(self) -> list:
        return list(self.values)

    def suggest(self, trial, name):
        return trial.suggest_categorical(name, self.values)


@dataclass(frozen=True)
class Uniform(Dimension):
    low: float
    high: float
    kind = "uniform"
    log = False

    def distribution(self) -> od.BaseDistribution:
        return od.FloatDistribution(self.low, self.high, log=self.log)

    def candidates(self) -> tuple:
        return (self.low, self.high)

    def grid_values(self) -> list:
        raise ConfigError(
            f"the grid sampler cannot enumerate a continuous range ({self.kind} {self.low}..{self.high})",
            "use choice([...]) for grid studies, or another sampler such as tpe",
        )

    def suggest(self, trial, name):
        return trial.suggest_float(name, self.low, self.high, log=self.log)


@dataclass(frozen=True)
class LogUniform(Uniform):
    kind = "loguniform"
    log = True


@dataclass(frozen=True)
class IntRange(Dimension):
    low: int
    high: int
    step: int = 1
    log: bool = False
    kind = "intrange"

    def distribution(self) -> od.BaseDistribution:
        return od.IntDistribution(self.low, self.high, step=self.step, log=self.log)

    def candidates(self) -> tuple:
        return (self.low, self.high)

    def grid_values(self) -> list:
        return list(range(self.low, self.high + 1, self.step))

    def suggest(self, trial, name):
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)


def choice(values, *, when: dict | None = None) -> Choice:
    """One of `values` (numbers, strings, booleans)."""
    if not isinstance(values, (list, tuple)):
        raise ConfigError(
            f"choice({values!r}) takes a list of values",
            'write e.g. choice([32, 64]) or choice(["sgd", "adam"])',
        )
    return Choice(tuple(values), when=_when(when))


def uniform(low: float, high: float, *, when: dict | None = None) -> Uniform:
    """A float drawn evenly from [low, high]."""
    return Uniform(_bound("uniform", low), _bound("uniform", high), when=_when(when))


def loguniform(low: float, high: float, *, when: dict | None = None) -> LogUniform:
    """A float drawn evenly on a log scale from [low, high]: for lr and weight decay."""
    return LogUniform(_bound("loguniform", low), _bound("loguniform", high), when=_when(when))


def intrange(
    low: int, high: int, step: int = 1, log: bool = False, *, when: dict | None = None
) -> IntRange:
    """An integer in [low, high] in steps of `step`."""
    low, high, step = (_bound("intrange", v, whole=True) for v in (low, high, step))
    if not isinstance(log, bool):
        raise ConfigError(f"intrange(log={log!r}) must be True or False", "write log=True")
    return IntRange(low, high, step, log, when=_when(when))


def _bound(kind: str, value, *, whole: bool = False):
    """A range's bound as written: a finite number (a bool is none), whole for intrange."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or (whole and value != int(value)):
        wanted = "whole numbers" if whole else "finite numbers"
        raise ConfigError(
            f"{kind}(...) got {value!r}: its bounds must be {wanted}",
            f"write e.g. {kind}(1, 10)" if whole else f"write e.g. {kind}(1e-4, 1e-1)",
        )
    return int(value) if whole else float(value)


def _when(when) -> dict:
    if when is not None and not isinstance(when, dict):
        raise ConfigError(
            f"when={when!r} must be a dict of settings and their values",
            'write e.g. when={"optimizer": "sgd"}',
        )
    return dict(when or {})


published = references.published

_KINDS = {"choice": choice, "uniform": uniform, "loguniform": loguniform, "intrange": intrange}


@dataclass(frozen=True)
class Study:
    """A hyperparameter study: what is fixed, what is searched, and how.

    Args:
        name: the study's name in the storage.
        train: fixed training settings (docs/study-file.md lists them).
        space: searched settings: choice / uniform / loguniform / intrange.
        points: explicit runs, each a dict of settings over `train`, run once each beside the
            space's grid (grid sampler only): the exact runs a write-up published. A trial's
            `point` parameter names its point by its settings.
        sampler: tpe, random, grid, cmaes or qmc.
        pruner: promoting, median, percentile, hyperband, successive_halving or none.
            Unset: the pruner the stored study was run with when it resumes one, else
            promoting (median where eval_every > 1). `Study.settled` fills it in.
        patience: also wait this many epochs without improvement before pruning.
        metric: the per-epoch metric to optimize; a trial's value is its best epoch.
        direction: maximize or minimize (default: the metric's natural one).
        n_trials: the study's trial budget, shared by all workers (default: the grid size
            for grid studies, else 20).
        reference: published numbers, each tied to its run and to what it measured: a list of
            `published(value, run, metric=..., at=..., source=...)`, or the older
            {param: {value: number}} (the study's metric at the best epoch).
        trainer: "module:function" replacing the built-in trainer, called as fn(config, on_epoch).
        seed: sampler seed, for reproducible searches.
        epoch_timeout: seconds a trial may go without reporting an epoch (its first included)
            before its executor is killed and the trial retried like one whose process died
            (None: no limit). For trainers that may hang: a deadlock, a stuck data loader.
    """

    name: str
    train: dict = field(default_factory=dict)
    space: dict = field(default_factory=dict)
    points: list = field(default_factory=list)
    sampler: str = "tpe"
    pruner: str | None = None
    patience: int | None = None
    metric: str = "val_acc"
    direction: str | None = None
    n_trials: int | None = None
    reference: dict | list = field(default_factory=dict)
    description: str = ""
    trainer: str | None = None
    seed: int | None = None
    epoch_timeout: float | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise StudyFileError(
                "the study has no name", 'give it one: Study(name="my-study", ...)'
            )
        check_study_name(self.name)
        _check_field_types(self)
        if self.epoch_timeout is not None and not (0 < self.epoch_timeout < math.inf):
            raise ConfigError(
                f"epoch_timeout={self.epoch_timeout!r} must be a positive number of seconds",
                "write e.g. epoch_timeout=600, or leave it out for no limit",
            )
        object.__setattr__(self, "train", dict(self.train))
        object.__setattr__(self, "space", dict(self.space))
        check_name("sampler", self.sampler, SAMPLER_NAMES)
        if self.pruner is not None:
            check_name("pruner", self.pruner, PRUNER_NAMES)
        if self.metric not in METRICS:
            raise ConfigError(
                f"unknown metric {self.metric!r}", f"use one of: {', '.join(METRICS)}"
            )
        direction = self.direction or METRICS[self.metric]
        if direction not in ("maximize", "minimize"):
            raise ConfigError(
                f"direction {direction!r} is neither maximize nor minimize", "use one of those"
            )
        object.__setattr__(self, "direction", direction)
        if self.patience is not None and self.patience < 1:
            raise ConfigError(
                f"patience={self.patience!r} must be a positive whole number of epochs",
                "set it to 1 or more, or leave it out",
            )
        if self.trainer is not None and ":" not in self.trainer:
            raise ConfigError(
                f"trainer {self.trainer!r} is not of the form module:function",
                'write e.g. trainer="mypackage.train:fit"',
            )
        base = self.base_config()  # validates `train` alone
        if self.pruner == "promoting" and self._sparse_eval():
            # Its rungs (epochs 1, 3, 9, ...) compare the metric at those very epochs.
            skips = (
                "searching eval_every"
                if "eval_every" in self.space
                else f"eval_every={base.eval_every}"
            )
            raise ConfigError(
                f"pruner 'promoting' compares trials at every rung epoch, but {skips} skips "
                "some of them",
                "set eval_every=1, or choose another pruner",
            )
        for name, dim in self.space.items():
            _check_dimension(name, dim, self.train, self.space)
        self._check_points()
        self._normalize_reference()
        if self.n_trials is None:
            object.__setattr__(self, "n_trials", self._default_budget())
        if (
            isinstance(self.n_trials, bool)
            or not isinstance(self.n_trials, int)
            or self.n_trials < 1
        ):
            raise ConfigError(
                f"n_trials={self.n_trials!r} must be a positive whole number",
                "set n_trials (or --n-trials) to 1 or more",
            )
        if self.sampler == "grid":
            for dim in self.space.values():
                dim.grid_values()
        _check_storable(self)

    def _sparse_eval(self) -> bool:
        return self.base_config().eval_every > 1 or "eval_every" in self.space

    def settled(self, stored: dict | None = None) -> Study:
        """The study with its pruner chosen, given the definition stored under its name (None
        for a new study): the file's, else the stored study's, so a default changed since does
        not change a running experiment, else the default."""
        if self.pruner is not None:
            return self
        pruner = (stored or {}).get("pruner")
        if pruner is None:
            pruner = DEFAULT_PRUNER_SPARSE_EVAL if self._sparse_eval() else DEFAULT_PRUNER
        return dataclasses.replace(self, pruner=pruner)

    def _normalize_reference(self) -> None:
        entries = references.parse(self.reference)  # validates either form
        if not isinstance(self.reference, dict):
            entries = [
                e if e.epochs is not None else dataclasses.replace(e, epochs=self._measured_at(e))
                for e in entries
            ]
            object.__setattr__(self, "reference", entries)

    def _measured_at(self, entry: references.Published) -> int | None:
        """How many epochs a published number's run had trained when it was measured: its
        `at` epoch, its `within`, else the epochs of the study's run it names (the grid's runs
        that hold its settings, or the fixed setup with them); None for a trial measure."""
        if isinstance(entry.at, int):
            return entry.at
        if entry.within is not None:
            return entry.within
        if entry.metric in references.TRIAL_MEASURES:
            return None
        runs = []
        if self.sampler == "grid" and (self.space or self.points):
            try:
                runs = [self.config_for(point).to_dict() for point in self.grid_points()]
            except ConfigError:  # a continuous range in a grid: its own check says so
                runs = []
        epochs = {run["epochs"] for run in runs if references.matches(entry.run, run)}
        if len(epochs) == 1:
            return epochs.pop()
        try:
            return TrainConfig.from_dict({**self.train, **entry.run}).epochs
        except ConfigError:
            return None

    def _check_points(self) -> None:
        if not isinstance(self.points, (list, tuple)):
            raise ConfigError(
                f"points={self.points!r} must be a list of dicts of settings",
                'write e.g. points=[{"optimizer": "adam", "lr": 1e-3}]',
            )
        object.__setattr__(
            self, "points", [references.plain(p) if isinstance(p, dict) else p for p in self.points]
        )
        if self.points and self.sampler != "grid":
            raise ConfigError(
                f"points= are run once each by the grid sampler, not {self.sampler!r}",
                'set sampler="grid"',
            )
        labels = set()
        for i, point in enumerate(self.points):
            if not isinstance(point, dict) or not point:
                raise ConfigError(
                    f"points[{i}] is {point!r}, not a dict of settings",
                    'write each point as a dict, e.g. {"lr": 0.1}',
                )
            try:
                self.config_for(point)
            except ConfigError as error:
                raise ConfigError(f"points[{i}]: {error.what}", error.fix) from None
            label = references.describe(point)
            if label in labels:
                raise ConfigError(f"points[{i}] ({label}) is listed twice", "list each run once")
            labels.add(label)

    def _default_budget(self) -> int:
        if self.sampler == "grid" and (self.space or self.points):
            return len(self.grid_points())
        return 20

    def base_config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.train)

    def config_for(self, params: dict) -> TrainConfig:
        """The full training config of a trial: the fixed setup with its sampled params."""
        return TrainConfig.from_dict(self.settings_of(params))

    def settings_of(self, params: dict) -> dict:
        """A trial's settings over `train`: its params, with its point (if any) spelled out."""
        params = dict(params)
        label = params.pop(POINT, None)
        point = self.point_settings().get(label, {}) if label is not None else {}
        return {**self.train, **point, **params}

    def point_settings(self) -> dict[str, dict]:
        """Each point's settings by its label (the value of a trial's `point` parameter)."""
        return {references.describe(point): point for point in self.points}

    def sample(self, trial) -> dict:
        """Draws the trial's params; settings that do not apply to it (momentum for adam) are skipped."""
        if self.points:
            label = trial.suggest_categorical(POINT, self._point_choices())
            if label is not None:
                return {POINT: label}
            return {POINT: None, **self._active_params(lambda name, dim: dim.suggest(trial, name))}
        return self._active_params(lambda name, dim: dim.suggest(trial, name))

    def _point_choices(self) -> list:
        # None stands for "a point of the space", when there is a space beside the points.
        return [*self.point_settings(), *([None] if self.space else [])]

    def grid_points(self) -> list[dict]:
        """Every distinct point of a grid study, settings that do not apply left out: the
        study's explicit points first, then the space's grid.

        Optuna's GridSampler would run sgd x 3 momenta and adam x 3 momenta: three identical
        adam trials. These points are enqueued instead, each run once.
        """
        explicit = [{POINT: label} for label in self.point_settings()]
        if explicit and not self.space:
            return explicit
        grid = []
        for combination in itertools.product(*(dim.grid_values() for dim in self.space.values())):
            chosen = dict(zip(self.space, combination))
            params = self._active_params(lambda name, _dim, chosen=chosen: chosen[name])
            params = {POINT: None, **params} if self.points else params
            if params not in grid:
                grid.append(params)
        return explicit + grid

    def possible_configs(self, settings=FILE_SETTINGS) -> list[dict]:
        """Every distinct training config a trial of this study can ask for, as far as
        `settings` tell configs apart (by default the ones that choose which data set and
        weights a trial reads): each point's, then every combination of the space's values of
        those settings (a choice's values, an integer range's every step), the fixed setup
        with the rest. `TrainConfig.to_dict()`s, so the preflight can check each one.

        Settings outside `settings` are left at the fixed setup's (a continuous range cannot be
        listed, and an lr does not choose a file); a setting another one's `when` depends on is
        varied too, so a conditional choice is listed under the values that make it apply. A
        combination that is no valid config is left out: no trial can train it.
        """
        vary = [name for name in self.space if name in settings]
        vary += [
            other
            for name in list(vary)
            for other in self.space[name].when
            if other in self.space and other not in vary
        ]
        space = {name: self.space[name] for name in self.space if name in vary}
        runs = [self.settings_of({POINT: label}) for label in self.point_settings()]
        if self.space or not self.points:
            base = self.base_config().to_dict()
            ordered = sorted(space.items(), key=lambda item: item[1].conditional(item[0]))
            for combination in itertools.product(*(_listed(dim) for _, dim in ordered)):
                values, params = dict(base), {}
                for (name, dim), value in zip(ordered, combination):
                    if dim.active(name, values):
                        params[name] = values[name] = value
                runs.append({**self.train, **params})
        configs, seen = [], set()
        for run in runs:
            try:
                config = TrainConfig.from_dict(run).to_dict()
            except ConfigError:
                continue
            key = repr([config[name] for name in settings])
            if key not in seen:
                seen.add(key)
                configs.append(config)
        return configs

    def _active_params(self, pick) -> dict:
        values = {**self.base_config().to_dict()}
        params = {}
        # Unconditional settings first, so the conditions of the others can be judged.
        ordered = sorted(self.space.items(), key=lambda item: item[1].conditional(item[0]))
        for name, dim in ordered:
            if dim.active(name, values):
                params[name] = values[name] = pick(name, dim)
        return params

    def with_overrides(
        self, settings: dict[str, str] | None = None, n_trials: int | None = None
    ) -> Study:
        """This study with `--set` settings pinned (removed from the space) and a new budget."""
        train = dict(self.train)
        space = dict(self.space)
        for key, text in (settings or {}).items():
            train[key] = parse_override(key, text)
            space.pop(key, None)
        # A pinned setting wins over the points too; points that then coincide run once.
        points = []
        for point in self.points:
            kept = {k: v for k, v in point.items() if k not in (settings or {})}
            if kept and kept not in points:
                points.append(kept)
        changes = {"train": train, "space": space, "points": points}
        if n_trials is not None:
            changes["n_trials"] = n_trials
        elif (
            space.keys() != self.space.keys() or points != self.points
        ) and self.sampler == "grid":
            changes["n_trials"] = None  # the grid shrank: recompute its size
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON-able data, stored with the study so it can be rebuilt without the file."""
        data = dataclasses.asdict(self)
        data["space"] = {name: dim.to_dict() for name, dim in self.space.items()}
        data["points"] = [dict(point) for point in self.points]
        if isinstance(self.reference, dict):
            # The older form, kept as it was written so stored studies compare equal.
            data["reference"] = {
                p: {str(k): v for k, v in table.items()} for p, table in self.reference.items()
            }
        else:
            data["reference"] = [entry.to_dict() for entry in self.reference]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Study:
        """The Study `to_dict` described (as stored with a study in the storage). A definition
        that does not read as one (edited by hand, written by a newer sweeper) is one line."""
        try:
            data = dict(data)
            space = data.get("space", {})
            data["space"] = {name: _dimension_from_dict(d) for name, d in dict(space).items()}
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in known})
        except SweeperError as error:
            raise StudyFileError(
                f"the stored study's definition: {error.what}", error.fix
            ) from None
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise StudyFileError(
                f"the stored study's definition cannot be read ({type(error).__name__}: {error})",
                "run the study from its study file with --replace-spec to store it afresh",
            ) from None


def _check_field_types(study: Study) -> None:
    """Each argument of Study has the type its annotation says; a bool is no number here
    (n_trials=True would run one trial), and a number is no string."""
    for f in dataclasses.fields(study):
        value = getattr(study, f.name)
        kinds = _FIELD_TYPES[f.name]
        if value is None and type(None) in kinds:
            continue
        ok = (
            isinstance(value, bool)
            and bool in kinds
            or not isinstance(value, bool)
            and (
                isinstance(value, tuple(k for k in kinds if k is not type(None)))
                or float in kinds
                and isinstance(value, int)
            )
        )
        if not ok:
            wanted = " or ".join(_TYPE_WORDS[k] for k in kinds)
            raise ConfigError(
                f"Study {f.name}={value!r} must be {wanted}",
                f"write e.g. {_EXAMPLES[f.name]} (docs/study-file.md lists every argument)",
            )


_TYPE_WORDS = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "True or False",
    dict: "a dict",
    list: "a list",
    tuple: "a tuple",
    type(None): "None",
}
_EXAMPLES = {
    "name": 'name="my-study"',
    "train": "train=dict(epochs=10)",
    "space": "space=dict(lr=loguniform(1e-4, 1e-1))",
    "points": 'points=[{"lr": 0.1}]',
    "sampler": 'sampler="tpe"',
    "pruner": 'pruner="promoting"',
    "patience": "patience=3",
    "metric": 'metric="val_acc"',
    "direction": 'direction="maximize"',
    "n_trials": "n_trials=20",
    "reference": 'reference=[published(93.1, {"lr": 0.1})]',
    "description": 'description="what this study asks"',
    "trainer": 'trainer="mypackage.train:fit"',
    "seed": "seed=0",
    "epoch_timeout": "epoch_timeout=600",
}


def _listed(dim: Dimension) -> list:
    """The values of a dimension a preflight lists: every one of a choice or an integer range,
    a continuous range's two ends."""
    return dim.grid_values() if isinstance(dim, (Choice, IntRange)) else list(dim.candidates())


def _check_storable(study: Study) -> None:
    """The study's definition is stored as JSON with it: a value JSON cannot hold fails here, by
    name, before anything touches the storage."""
    for key, value in study.to_dict().items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ConfigError(
                f"Study {key}= holds a value that cannot be stored ({error})",
                "use plain numbers, strings, booleans, lists and dicts there",
            ) from None


def _dimension_from_dict(data: dict) -> Dimension:
    data = dict(data)
    kind = data.pop("kind")
    when = data.pop("when", None)
    if kind == "choice":
        return choice(data["values"], when=when)
    return _KINDS[kind](**data, when=when)


def _check_dimension(name: str, dim: Any, train: dict, space: dict) -> None:
    where = f"space[{name!r}]"
    if name not in field_names():
        raise ConfigError(
            f"{where}: unknown training setting {name!r}",
            f"searchable settings are: {', '.join(field_names())}",
        )
    if not isinstance(dim, Dimension):
        raise ConfigError(
            f"{where} is {dim!r}, not a search dimension",
            "use choice([...]), uniform(a, b), loguniform(a, b) or intrange(a, b)",
        )
    if isinstance(dim, Choice):
        if not dim.values:
            raise ConfigError(f"{where} is an empty choice", "list at least one value")
        if len(set(map(repr, dim.values))) != len(dim.values):
            raise ConfigError(f"{where} lists a value twice", "list each value once")
    else:
        if not dim.low < dim.high:
            raise ConfigError(
                f"{where}: low {dim.low} must be below high {dim.high}", "swap or widen the range"
            )
        if dim.log and dim.low <= 0:
            raise ConfigError(
                f"{where}: a log range needs positive bounds, got low {dim.low}",
                "use a low bound above 0, e.g. 1e-5",
            )
        if getattr(dim, "step", 1) < 1:
            raise ConfigError(f"{where}: step must be 1 or more", "set step to a positive integer")
    for other in dim.when:
        if other not in field_names():
            raise ConfigError(
                f"{where}: condition on unknown setting {other!r}",
                f"settings are: {', '.join(field_names())}",
            )
    for value in dim.candidates():
        try:
            TrainConfig.from_dict({**train, name: value})
        except ConfigError as error:
            raise ConfigError(f"{where}: {error.what}", error.fix) from None


def load_study_file(path: str | Path) -> Study:
    """Runs a study file and returns its validated `study`; every problem is a StudyFileError."""
    path = Path(path)
    if not path.is_file():
        nearby = sorted(p.name for p in path.parent.glob("*.py")) if path.parent.is_dir() else []
        fix = (
            f"check the path; {path.parent}/ has: {', '.join(nearby)}"
            if nearby
            else "check the path"
        )
        raise StudyFileError(f"study file {path} does not exist", fix)
    try:
        with _no_exit():
            namespace = runpy.run_path(str(path), run_name="__study__")
    except _Exited as exit:
        raise StudyFileError(
            f"{path}{_line_in(path, exit)}: the study file ended the process (exit code "
            f"{exit.args[0]!r}) while it was loaded",
            "a study file only defines `study = Study(...)`: remove the exit, or put it under "
            "`if __name__ == '__main__':`",
        ) from None
    except SweeperError as error:
        raise type(error)(f"{path}: {error.what}", error.fix) from None
    except SyntaxError as error:
        raise StudyFileError(
            f"{path}:{error.lineno}: syntax error: {error.msg}", "fix that line of the study file"
        ) from None
    except Exception as error:  # the study file is user code: any failure is theirs to fix
        line = _line_in(path, error)
        raise StudyFileError(
            f"{path}{line}: {type(error).__name__}: {error}",
            "fix the study file so it runs with `python` alone",
        ) from None
    study = namespace.get("study")
    if not isinstance(study, Study):
        raise StudyFileError(
            f"{path} defines no `study = Study(...)`",
            "assign the Study to a variable named `study`",
        )
    if not study.description and namespace.get("__doc__"):
        study = dataclasses.replace(study, description=namespace["__doc__"].strip())
    return study


class _Exited(BaseException):
    """A study file that tried to end the process while it was loaded (sys.exit, os._exit)."""


@contextlib.contextmanager
def _no_exit():
    """While a study file runs: an exit in it is an error of the file, not the end of
    `sweeper run` (which would exit 0, or with any code, printing nothing)."""

    def refuse(code=0, *args):
        raise _Exited(code)

    previous = os._exit
    os._exit = refuse
    try:
        yield
    except SystemExit as exit:
        raise _Exited(exit.code).with_traceback(exit.__traceback__) from None
    finally:
        os._exit = previous


def study_name_of(reference: str) -> str:
    """A study file's study name, or the argument itself when it names a stored study."""
    return load_study_file(reference).name if names_a_file(reference) else reference


def _line_in(path: Path, error: Exception) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
    return f":{frames[-1].lineno}" if frames else ""


def _allowed(hint) -> tuple:
    if typing.get_origin(hint) in (typing.Union, __import__("types").UnionType):
        return tuple(typing.get_origin(arg) or arg for arg in typing.get_args(hint))
    return (typing.get_origin(hint) or hint,)


_FIELD_TYPES = {
    name: tuple(k for kind in _allowed(hint) for k in ((list, tuple) if kind is list else (kind,)))
    for name, hint in typing.get_type_hints(Study).items()
}
