"""The trial config: one frozen dataclass, validated at the edge. Imports no torch.

The orchestrator and the study loader validate configs with this module alone, so the
catalogue of valid names (datasets, models, optimizers, schedules) lives here; the torch
registries in data.py, models.py, optim.py and schedules.py cover exactly these names (a test
checks).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sweeper.errors import ConfigError
from sweeper.train.checks import (
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    ascending,
    at_least,
    between,
    one_of,
    pair,
    rand_augment_ops,
    weights_name,
)


@dataclass(frozen=True)
class OptimizerSpec:
    """Which hyperparameters an optimizer has, so only those are sampled for it."""

    has_momentum: bool = False
    has_nesterov: bool = False
    has_eps: bool = False
    has_lookahead: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """What a data set is before any setting touches it."""

    side: int  # native (or default cached) image side in pixels
    files: bool = False  # read from data_dir (so data_dir and download apply)
    split: bool = False  # no official validation set: val_split carves one out of train


OPTIMIZERS: dict[str, OptimizerSpec] = {
    "sgd": OptimizerSpec(has_momentum=True, has_nesterov=True),
    "adam": OptimizerSpec(has_eps=True),
    "adamw": OptimizerSpec(has_eps=True),
    "radam": OptimizerSpec(has_eps=True),
    "rmsprop": OptimizerSpec(has_momentum=True, has_eps=True),
    "ranger": OptimizerSpec(
        has_eps=True, has_lookahead=True
    ),  # RAdam + LookAhead + grad centralization
}
DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec(side=8, split=True),
    "synthetic": DatasetSpec(side=32, split=True),
    "cifar10": DatasetSpec(side=32, files=True),
    "cifar100": DatasetSpec(side=32, files=True),
    "imagenette": DatasetSpec(side=160, files=True),
}
RESNET_DEPTHS = (18, 34, 50, 101, 152)
# Models torchvision defines (and has ImageNet weights for, so `pretrained` applies).
TORCHVISION_MODELS = (
    *(f"resnet{d}" for d in RESNET_DEPTHS),
    *(f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")),
    "vit_b_32",
    "swin_b",
)
# "resnet" takes its variant from `depth`; cifar_alexnet is write-up 002's network; cnn_2/3/5
# are write-up 004's; cnn is a small fast default for digits.
MODELS: tuple[str, ...] = (
    "cnn",
    "cnn_2",
    "cnn_3",
    "cnn_5",
    "cifar_alexnet",
    "resnet",
    *TORCHVISION_MODELS,
)
# The least image side (px) of the models that need one: each max-pool of cnn_n halves the side,
# swin_b has five halvings; cifar_alexnet needs 32.
MIN_SIDE = {"cnn_2": 2**2, "cnn_3": 2**3, "cnn_5": 2**5, "swin_b": 2**5, "cifar_alexnet": 32}
SCHEDULES = ("constant", "step", "multistep", "cosine", "flat_cos", "onecycle", "plateau")
# The settings that choose which files a trial reads (its data set, its pretrained weights): the
# preflight checks every distinct combination of them a study can ask for before its first trial.
FILE_SETTINGS = (
    "dataset",
    "data_dir",
    "download",
    "image_size",
    "model",
    "depth",
    "pretrained",
    "pretrained_weights",
)


# Predicates over a config's values for `setting(applies=...)`.
def _dataset_is(*names) -> Callable[[dict], bool]:
    return lambda c: c["dataset"] in names


def _dataset_has(what: str) -> Callable[[dict], bool]:
    return lambda c: getattr(DATASETS[c["dataset"]], what)


def _model_is(*names) -> Callable[[dict], bool]:
    return lambda c: c["model"] in names


def _optimizer_has(what: str) -> Callable[[dict], bool]:
    return lambda c: getattr(OPTIMIZERS[c["optimizer"]], what)


def _schedule_is(*names) -> Callable[[dict], bool]:
    return lambda c: c["schedule"] in names


def _pretrainable(c: dict) -> bool:
    return c["model"] in TORCHVISION_MODELS or c["model"] == "resnet"


def setting(default, check=None, help="", applies=None):
    """A config field with its rules: its validity check, a one-line help that gives its unit,
    and, for a setting that only matters under some condition, `applies(values) -> bool` over
    the config's values (momentum for adam does not apply: it is not sampled)."""
    return field(default=default, metadata={"check": check, "help": help, "applies": applies})


@dataclass(frozen=True)
class TrainConfig:
    """Everything one trial trains with. Unknown keys and bad values fail at once."""

    # Data
    dataset: str = setting("digits", one_of(DATASETS), "data set name")
    data_dir: str | None = setting(
        None,
        help="folder holding the data set, or an ImageFolder tree with train/ and val/ "
        "for imagenette (default ./data)",
        applies=_dataset_has("files"),
    )
    download: bool = setting(
        False,
        help="download the data set into data_dir when it is missing",
        applies=_dataset_has("files"),
    )
    image_size: int | None = setting(
        None,
        at_least(8),
        "side of the square network input in pixels (None: the data set's own, 160 for imagenette)",
    )
    val_split: float = setting(
        0.2,
        between(0, 1, low_open=True, high_open=True),
        "fraction of the images held out for validation (data sets without a validation set)",
        applies=_dataset_has("split"),
    )
    synthetic_images: int = setting(
        1024,
        at_least(16),
        "number of random images synthetic makes (train + val)",
        applies=_dataset_is("synthetic"),
    )
    synthetic_classes: int = setting(
        10, at_least(2), "number of classes synthetic makes", applies=_dataset_is("synthetic")
    )
    # Augmentation, done on the device per batch
    crop_scale: float | None = setting(
        None,
        between(0, 1, low_open=True),
        "lower bound of the random-resized crop's area, as a fraction of the image "
        "(None: no resized crop)",
    )
    crop_ratio: tuple[float, float] = setting(
        (3 / 4, 4 / 3),
        pair(POSITIVE),
        "aspect-ratio range (width/height) of the random-resized crop",
        applies=lambda c: c["crop_scale"] is not None,
    )
    crop_padding: int = setting(
        0,
        NON_NEGATIVE,
        "pixels of zero padding for a random crop at the same size (0: off; 4 for CIFAR)",
    )
    flip: bool = setting(False, help="random horizontal flip")
    color_jitter: float = setting(
        0.0,
        between(0, 1),
        "brightness/contrast/saturation jitter strength: each factor is drawn from [1-s, 1+s]",
    )
    color_jitter_saturation: float | None = setting(
        None,
        between(0, 1),
        "saturation jitter strength s, factor drawn from [1-s, 1+s] (None: color_jitter's; 0: off)",
    )
    color_jitter_hue: float = setting(
        0.0,
        between(0, 0.5),
        "hue jitter: the hue shift is drawn from [-h, h] in turns of the colour wheel (0: off)",
    )
    cutout: float = setting(
        0.0, FRACTION, "side of the square cutout as a fraction of the image side (0: off)"
    )
    auto_augment: bool = setting(
        False,
        help="torchvision's AutoAugment ImageNet policy after the crop, grey fill "
        "(slower: per image, ~0.6 ms per 160 px image on a CPU thread)",
    )
    rand_augment: tuple[int, int] | None = setting(
        None,
        rand_augment_ops,
        "RandAugment (num_ops, magnitude on PaddleClas's 0-10 scale, which uses 2,5) after the "
        "crop (slower: per image, ~1 ms per 160 px image on a CPU thread; None: off)",
    )
    random_erasing: float = setting(
        0.0,
        between(0, 1),
        "probability per image of erasing one rectangle to the mean: area 0.02-1/3 of the "
        "image, aspect ratio 0.3-3.3 (0: off; PaddleClas uses 0.25)",
    )
    grid_mask: float = setting(
        0.0,
        between(0, 1),
        "probability per image of a GridMask: stripes half a period wide across both axes, "
        "period 96-224 px per 224 px of side, keeping 1/4 of the image (0: off; PaddleClas 1)",
    )
    hide_and_seek: float = setting(
        0.0,
        FRACTION,
        "Hide-and-Seek: probability of hiding each patch of a grid of 16, 32, 44 or 56 px per "
        "224 px of side, or none, drawn per image (0: off; PaddleClas uses 0.5)",
    )
    mixup_alpha: float = setting(0.0, NON_NEGATIVE, "mixup Beta(alpha, alpha) parameter (0: off)")
    cutmix_alpha: float = setting(
        0.0,
        NON_NEGATIVE,
        "cutmix Beta(alpha, alpha) parameter (0: off; with mixup, each batch picks one)",
    )
    # Model
    model: str = setting("cnn", one_of(MODELS), "network architecture")
    depth: int = setting(
        18, one_of(RESNET_DEPTHS), "ResNet depth, for model=resnet", applies=_model_is("resnet")
    )
    pretrained: bool = setting(
        False,
        help="start from torchvision's ImageNet weights (must be in the local torch hub cache)",
        applies=_pretrainable,
    )
    pretrained_weights: str = setting(
        "IMAGENET1K_V1",
        weights_name,
        "which torchvision weights pretrained loads, by enum name (IMAGENET1K_V1, DEFAULT, ...)",
        applies=lambda c: c["pretrained"] and _pretrainable(c),
    )
    dropout: float = setting(
        0.0,
        FRACTION,
        "dropout probability before the last (classifier) layer; torchvision's models keep "
        "their own dropout besides (VGG: 0.5 twice in its classifier)",
    )
    dropout1: float = setting(
        0.0,
        FRACTION,
        "cifar_alexnet: dropout probability at the first pool",
        applies=_model_is("cifar_alexnet"),
    )
    dropout2: float = setting(
        0.0,
        FRACTION,
        "cifar_alexnet: dropout probability at the second pool",
        applies=_model_is("cifar_alexnet"),
    )
    dropout3: float = setting(
        0.0,
        FRACTION,
        "cifar_alexnet: dropout probability after the 1x1 conv",
        applies=_model_is("cifar_alexnet"),
    )
    dropout_position: str = setting(
        "after_pool",
        one_of(("after_pool", "before_pool")),
        "cifar_alexnet: dropout1/dropout2 sit after or before their max-pool",
        applies=_model_is("cifar_alexnet"),
    )
    fc_dropout: float = setting(
        0.0,
        FRACTION,
        "cifar_alexnet: dropout probability after fc1 and after fc2",
        applies=_model_is("cifar_alexnet"),
    )
    batchnorm: bool = setting(
        True, help="cifar_alexnet: BatchNorm after each conv", applies=_model_is("cifar_alexnet")
    )
    softmax_before_loss: bool = setting(
        False,
        help="softmax on the logits before the cross-entropy (write-up 002's mistake; "
        "the loss then cannot fall below ~1.46 for 10 classes)",
    )
    # Optimizer
    optimizer: str = setting("sgd", one_of(OPTIMIZERS), "optimizer name")
    lr: float = setting(0.05, POSITIVE, "peak learning rate (per 256 examples when linear_scaling)")
    linear_scaling: bool = setting(
        False, help="linear scaling rule: the lr used is lr * batch_size / 256"
    )
    momentum: float = setting(
        0.9,
        between(0, 1),
        "momentum (sweeper's default 0.9; torch's SGD and RMSprop default to 0; 1.0 is "
        "allowed and diverges)",
        applies=_optimizer_has("has_momentum"),
    )
    nesterov: bool = setting(
        False, help="Nesterov momentum", applies=_optimizer_has("has_nesterov")
    )
    eps: float | None = setting(
        None,
        POSITIVE,
        "Adam-family / RMSprop epsilon (None: the optimizer's own, 1e-8 for torch's, 1e-5 "
        "for ranger)",
        applies=_optimizer_has("has_eps"),
    )
    beta2: float | None = setting(
        None,
        between(0, 1, high_open=True),
        "adam, adamw, radam, ranger: decay of the squared-gradient average (fastai's sqr_mom; "
        "None: the optimizer's own, 0.999)",
        applies=lambda c: c["optimizer"] in ("adam", "adamw", "radam", "ranger"),
    )
    lookahead_steps: int = setting(
        6,
        at_least(1),
        "ranger: fast steps between LookAhead syncs",
        applies=_optimizer_has("has_lookahead"),
    )
    lookahead_alpha: float = setting(
        0.5,
        between(0, 1, low_open=True),
        "ranger: LookAhead step towards the fast weights (fraction)",
        applies=_optimizer_has("has_lookahead"),
    )
    weight_decay: float = setting(
        0.0,
        NON_NEGATIVE,
        "weight decay per step: L2 on the gradient, decoupled (on the weights) for adamw and "
        "ranger, as torch's AdamW and the Ranger package do it",
    )
    decay_bn_bias: bool = setting(
        True,
        help="apply weight decay to BatchNorm weights and biases too",
        applies=lambda c: c["weight_decay"] > 0,
    )
    batch_size: int = setting(64, at_least(1), "examples per step")
    epochs: int = setting(10, at_least(1), "passes over the training set")
    label_smoothing: float = setting(
        0.0, FRACTION, "cross-entropy label smoothing (fraction of the target mass spread)"
    )
    # Schedule (stepped every batch, except plateau which decides after each evaluation)
    schedule: str = setting("cosine", one_of(SCHEDULES), "learning-rate schedule")
    warmup_epochs: float = setting(
        0.0,
        NON_NEGATIVE,
        "epochs of linear warmup from 0 to lr; the schedule runs over the epochs after it",
    )
    step_size: int = setting(
        30, at_least(1), "step: epochs between decays (after warmup)", applies=_schedule_is("step")
    )
    gamma: float = setting(
        0.1,
        POSITIVE,
        "step/multistep: lr factor at each decay",
        applies=_schedule_is("step", "multistep"),
    )
    milestones: tuple[int, ...] = setting(
        (30, 60, 90),
        ascending,
        "multistep: epochs (after warmup) at which the lr is multiplied by gamma",
        applies=_schedule_is("multistep"),
    )
    cosine_end_offset: float = setting(
        0.0,
        NON_NEGATIVE,
        "cosine: the lr reaches 0 at epochs + this many epochs (write-up 000 used 20)",
        applies=_schedule_is("cosine"),
    )
    flat_pct: float = setting(
        0.75,
        between(0, 1, high_open=True),
        "flat_cos: fraction of training at the peak lr before the cosine decay to 1e-5 of it "
        "(fastai's fit_flat_cos, which the ImageNette leaderboard's runs used)",
        applies=_schedule_is("flat_cos"),
    )
    onecycle_pct: float = setting(
        0.3,
        between(0, 1, low_open=True, high_open=True),
        "onecycle: fraction of training spent rising to lr",
        applies=_schedule_is("onecycle"),
    )
    plateau_mode: str = setting(
        "max",
        one_of(("max", "min")),
        "plateau: max watches accuracy, min watches loss (of plateau_watch's set)",
        applies=_schedule_is("plateau"),
    )
    plateau_watch: str = setting(
        "val",
        one_of(("val", "train")),
        "plateau: watch the validation metric (after each evaluation) or the training one "
        "(after every epoch; write-up 002 had no validation set)",
        applies=_schedule_is("plateau"),
    )
    plateau_factor: float = setting(
        0.1,
        between(0, 1, low_open=True, high_open=True),
        "plateau: lr factor at each reduction",
        applies=_schedule_is("plateau"),
    )
    plateau_patience: int = setting(
        10,
        NON_NEGATIVE,
        "plateau: evaluations without improvement before reducing",
        applies=_schedule_is("plateau"),
    )
    plateau_threshold: float = setting(
        1e-4,
        NON_NEGATIVE,
        "plateau: least change that counts as improvement (accuracy in %, for abs)",
        applies=_schedule_is("plateau"),
    )
    plateau_threshold_mode: str = setting(
        "rel",
        one_of(("rel", "abs")),
        "plateau: threshold relative to the best, or absolute",
        applies=_schedule_is("plateau"),
    )
    # Speed and bookkeeping
    bf16: bool = setting(True, help="bf16 autocast (CUDA only; ignored on CPU)")
    channels_last: bool = setting(
        True, help="channels-last memory format (CUDA only; ignored on CPU)"
    )
    compile: bool = setting(
        False, help="torch.compile the model (pays a compile time of tens of seconds)"
    )
    summary_tool: str = setting(
        "torchsummary",
        one_of(("torchsummary", "torchinfo")),
        "whose estimated total size the trial records as summary_size_mb: torchsummary 1.5's "
        "(MiB; write-up 004's CNNs, VGG19, ResNet101) or torchinfo 1.8's (MB of 10^6 bytes; "
        "its ViT_b_32 and Swin_b)",
    )
    summary_batch: int = setting(
        1,
        at_least(1),
        "the batch size summary_size_mb is estimated for (write-up 004: 64 for its own CNNs)",
    )
    eval_every: int = setting(
        1, at_least(1), "evaluate every this many epochs (always after the last)"
    )
    seed: int = setting(0, NON_NEGATIVE, "random seed of the trial (weights, order, augmentation)")
    chance_patience: int = setting(
        3,
        at_least(1),
        "evaluations at chance accuracy (the later half without a new best) before diverged",
    )

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
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
        for problem, fix in _cross_checks(self):
            if problem:
                raise ConfigError(problem, fix)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def side(self) -> int:
        """Side of the network input in pixels."""
        return self.image_size or DATASETS[self.dataset].side

    @property
    def arch(self) -> str:
        """The concrete model name (`resnet` resolved through `depth`)."""
        return f"resnet{self.depth}" if self.model == "resnet" else self.model


def _cross_checks(c: TrainConfig):
    """(problem or None/False, fix) for rules that involve more than one setting."""
    yield (
        c.arch == "vit_b_32"
        and c.side % 32
        and f"vit_b_32 needs an image side divisible by 32, got {c.side}",
        "set image_size to 32, 224, ...",
    )
    need = MIN_SIDE.get(c.arch, 1)
    yield (
        c.side < need and f"{c.arch} needs images of at least {need} pixels, got {c.side}",
        f"set image_size to {need} or more",
    )
    low, high = c.crop_ratio
    yield (
        low > high and f"crop_ratio={c.crop_ratio!r} must be (low, high) with low <= high",
        "swap the two numbers",
    )


def setting_applies(name: str, values: dict) -> bool:
    """Whether setting `name` has any effect given these values (the rest at their defaults)."""
    predicate = _APPLIES.get(name)
    return predicate is None or predicate({**_DEFAULTS, **values})


def is_conditional(name: str) -> bool:
    """Whether setting `name` applies only under some condition (its field's `applies`)."""
    return name in _APPLIES


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(TrainConfig)]


def field_help() -> dict[str, str]:
    return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(TrainConfig)}


def parse_override(key: str, text: str) -> Any:
    """Turns the text of `--set key=text` into a value of the setting's type."""
    if key not in field_names():
        raise ConfigError(
            f"unknown training setting {key!r}", f"valid settings are: {', '.join(field_names())}"
        )
    return _coerce(key, text)


_TYPES = typing.get_type_hints(TrainConfig)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
_APPLIES = {
    f.name: f.metadata["applies"]
    for f in dataclasses.fields(TrainConfig)
    if f.metadata["applies"] is not None
}


def _fix_for(name: str) -> str:
    help_text = field_help()[name]
    return (
        f"set {name} ({help_text}) to a valid value"
        if help_text
        else f"set {name} to a valid value"
    )


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
    try:
        if tuple in kinds:
            return tuple(_number(part) for part in text.strip("()[] ").split(",") if part.strip())
        return int(text) if int in kinds else float(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a number", _fix_for(name)) from None


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _allowed_types(hint) -> tuple:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(typing.get_origin(arg) or arg for arg in typing.get_args(hint))
    return (typing.get_origin(hint) or hint,)
