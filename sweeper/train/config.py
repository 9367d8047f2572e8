"""The trial config: one frozen dataclass, validated at the edge. Imports no torch.

The orchestrator and the study loader validate configs with this module alone, so the
catalogue of valid names (datasets, models, optimizers, schedules) lives here; the torch
registries in data.py, models.py and optim.py must cover exactly these names (a test checks).
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from sweeper.errors import ConfigError


@dataclass(frozen=True)
class OptimizerSpec:
    """Which hyperparameters an optimizer has, so only those are sampled for it."""

    has_momentum: bool = False
    has_nesterov: bool = False
    has_eps: bool = False


OPTIMIZERS: dict[str, OptimizerSpec] = {
    "sgd": OptimizerSpec(has_momentum=True, has_nesterov=True),
    "adam": OptimizerSpec(has_eps=True),
    "adamw": OptimizerSpec(has_eps=True),
}
DATASETS = ("digits", "synthetic")
MODELS = ("cnn", "resnet18")
SCHEDULES = ("constant", "cosine", "step")

# A setting that only matters under some condition is not sampled when it does not apply
# (momentum for adam): name -> predicate over the config's values.
APPLIES: dict[str, Callable[[dict], bool]] = {
    "momentum": lambda c: OPTIMIZERS[c["optimizer"]].has_momentum,
    "nesterov": lambda c: OPTIMIZERS[c["optimizer"]].has_nesterov,
    "eps": lambda c: OPTIMIZERS[c["optimizer"]].has_eps,
}


def _one_of(names) -> Callable[[Any], str | None]:
    def check(value):
        if value not in names:
            return f"must be one of {', '.join(sorted(names))}"
        return None

    return check


def _range(low=None, high=None, low_open=False, high_open=False) -> Callable[[Any], str | None]:
    def check(value):
        if value is None:
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            left = "(" if low_open else "["
            right = ")" if high_open else "]"
            return f"must be in {left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        return None

    return check


POSITIVE = _range(0, low_open=True)
NON_NEGATIVE = _range(0)
FRACTION = _range(0, 1, high_open=True)


def setting(default, check=None, help=""):
    """A config field with its validity check and a one-line help that gives its unit."""
    return field(default=default, metadata={"check": check, "help": help})


@dataclass(frozen=True)
class TrainConfig:
    """Everything one trial trains with. Unknown keys and bad values fail at once."""

    dataset: str = setting("digits", _one_of(DATASETS), "data set name")
    data_dir: str | None = setting(None, help="folder holding the data set (downloads go here)")
    download: bool = setting(False, help="download the data set into data_dir when missing")
    image_size: int | None = setting(None, _range(8), "side of the square input in pixels (None: native)")
    val_split: float = setting(0.2, _range(0, 1, True, True), "fraction held out for validation")
    model: str = setting("cnn", _one_of(MODELS), "network architecture")
    dropout: float = setting(0.0, FRACTION, "dropout before the classifier")
    optimizer: str = setting("sgd", _one_of(OPTIMIZERS), "optimizer name")
    lr: float = setting(0.05, POSITIVE, "peak learning rate")
    momentum: float = setting(0.9, _range(0, 1), "SGD momentum (1.0 is allowed and diverges)")
    nesterov: bool = setting(False, help="Nesterov momentum")
    eps: float = setting(1e-8, POSITIVE, "Adam-family epsilon")
    weight_decay: float = setting(0.0, NON_NEGATIVE, "L2 weight decay (decoupled for adamw)")
    batch_size: int = setting(64, _range(1), "examples per step")
    epochs: int = setting(10, _range(1), "passes over the training set")
    schedule: str = setting("cosine", _one_of(SCHEDULES), "learning-rate schedule")
    step_size: int = setting(30, _range(1), "epochs between decays, for the step schedule")
    gamma: float = setting(0.1, POSITIVE, "decay factor per step")
    warmup_epochs: int = setting(0, NON_NEGATIVE, "epochs of linear warmup")
    label_smoothing: float = setting(0.0, FRACTION, "cross-entropy label smoothing")
    seed: int = setting(0, NON_NEGATIVE, "random seed of the trial")
    chance_patience: int = setting(3, _range(1), "epochs at chance accuracy before a trial is stopped as diverged")

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        unknown = sorted(set(values) - set(field_names()))
        if unknown:
            raise ConfigError(
                f"unknown training setting {', '.join(map(repr, unknown))}",
                f"valid settings are: {', '.join(field_names())}",
            )
        typed = {name: _coerce(name, value) for name, value in values.items()}
        config = cls(**typed)
        config.validate()
        return config

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            check = f.metadata.get("check")
            problem = check(getattr(self, f.name)) if check else None
            if problem:
                raise ConfigError(f"{f.name}={getattr(self, f.name)!r} {problem}", _fix_for(f.name))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def applies(self, name: str) -> bool:
        """Whether setting `name` has any effect in this config (momentum does not for adam)."""
        return setting_applies(name, self.to_dict())


def setting_applies(name: str, values: dict) -> bool:
    predicate = APPLIES.get(name)
    return predicate is None or predicate({**_DEFAULTS, **values})


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(TrainConfig)]


def field_help() -> dict[str, str]:
    return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(TrainConfig)}


def parse_override(key: str, text: str) -> Any:
    """Turns the text of `--set key=text` into a value of the setting's type."""
    if key not in field_names():
        raise ConfigError(f"unknown training setting {key!r}", f"valid settings are: {', '.join(field_names())}")
    return _coerce(key, text)


_TYPES = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig)}


def _fix_for(name: str) -> str:
    help_text = field_help()[name]
    return f"set {name} ({help_text}) to a valid value" if help_text else f"set {name} to a valid value"


def _coerce(name: str, value: Any) -> Any:
    """Checks `value` against the field's declared type; strings (from --set) are parsed."""
    kinds = _allowed_types(_TYPES[name])
    if value is None:
        if type(None) in kinds:
            return None
        raise ConfigError(f"{name} cannot be None", _fix_for(name))
    if isinstance(value, str) and str not in kinds:
        return _coerce(name, _parse_text(name, value, kinds))
    if isinstance(value, bool):
        if bool in kinds:
            return value
    elif isinstance(value, int) and int in kinds:
        return value
    elif isinstance(value, (int, float)) and float in kinds:
        return float(value)
    elif isinstance(value, str) and str in kinds:
        return value
    elif isinstance(value, (list, tuple)) and tuple in kinds:
        return tuple(value)
    wanted = " or ".join(k.__name__ for k in kinds if k is not type(None))
    raise ConfigError(f"{name}={value!r} must be {wanted}", _fix_for(name))


def _parse_text(name: str, text: str, kinds: tuple) -> Any:
    lowered = text.strip().lower()
    if lowered in ("none", "null") and type(None) in kinds:
        return None
    if bool in kinds and lowered in ("true", "false", "yes", "no", "1", "0"):
        return lowered in ("true", "yes", "1")
    if tuple in kinds:
        return tuple(_number(part) for part in text.split(","))
    try:
        return int(text) if int in kinds else float(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a number", _fix_for(name)) from None


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _allowed_types(annotation) -> tuple:
    hint = eval(annotation, {"tuple": tuple}) if isinstance(annotation, str) else annotation
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(typing.get_origin(arg) or arg for arg in typing.get_args(hint))
    return (typing.get_origin(hint) or hint,)
