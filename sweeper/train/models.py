"""The model registry: name -> builder(config, in_channels, classes) -> nn.Module.

torchvision's networks are adapted here (stem, head, pretrained weights from the local cache);
the networks sweeper defines itself are in architectures.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from sweeper.errors import ConfigError, SetupError
from sweeper.train import architectures
from sweeper.train.config import RESNET_DEPTHS, TORCHVISION_MODELS, TrainConfig

SMALL_IMAGE = 96  # below this side (px), ResNets get a 3x3 stride-1 stem and no max-pool


def check_weights(c: TrainConfig) -> None:
    """Before any trial: a ConfigError for a weights name the architecture does not have, a
    SetupError when the weights are not in the local cache."""
    if c.pretrained and c.arch in TORCHVISION_MODELS:
        _weights_file(c.arch, c.pretrained_weights)


def weights_location(arch: str, name: str) -> tuple[str, str, Path]:
    """(the weights' enum name, their download URL, where the local cache keeps them) of
    torchvision's weights `name` for `arch`; a ConfigError for a name `arch` does not have.
    Reads no file: the preflight checks many architectures' weights by their path alone."""
    weights = _weights(arch, name)
    path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)
    return weights.name, weights.url, path


def _weights(arch: str, name: str):
    """torchvision's weights enum entry `name` for `arch` (DEFAULT is an alias of one)."""
    from torchvision import models

    choices = models.get_model_weights(arch)
    if name not in choices.__members__:
        raise ConfigError(
            f"pretrained_weights={name!r} is not one of {arch}'s torchvision weights",
            f"set pretrained_weights to one of {', '.join(choices.__members__)}",
        )
    return choices[name]


def _weights_file(arch: str, name: str) -> Path:
    enum_name, url, path = weights_location(arch, name)
    if not path.exists():
        raise SetupError(
            f"pretrained weights {arch} {enum_name} are not in the local cache ({path})",
            f"download {url} into {path.parent}, or set pretrained=false",
        )
    return path


def _pretrained_state(arch: str, name: str) -> dict:
    """torchvision's ImageNet weights from the local torch hub cache; never downloads."""
    return torch.load(_weights_file(arch, name), map_location="cpu", weights_only=True)


def _torchvision(arch: str, c: TrainConfig, in_ch: int, classes: int) -> nn.Module:
    from torchvision import models

    # torchvision's own dropout stays at its default (VGG fine-tunes with p=0.5 in its
    # classifier, as write-up 004's VGG19 did); `dropout` adds one before the new last layer.
    extra = {"image_size": c.side} if arch == "vit_b_32" else {}
    model = models.get_model(arch, weights=None, **extra)
    if c.pretrained:
        state = _pretrained_state(arch, c.pretrained_weights)
        if arch == "vit_b_32" and c.side != 224:
            from torchvision.models.vision_transformer import interpolate_embeddings

            state = interpolate_embeddings(c.side, 32, state)
        model.load_state_dict(state)
    return model


def _resnet(arch: str):
    def build(c: TrainConfig, in_ch: int, classes: int) -> nn.Module:
        model = _torchvision(arch, c, in_ch, classes)
        if c.side < SMALL_IMAGE:
            model.conv1 = nn.Conv2d(in_ch, 64, 3, 1, 1, bias=False)
            model.maxpool = nn.Identity()
        elif in_ch != 3:
            model.conv1 = nn.Conv2d(in_ch, 64, 7, 2, 3, bias=False)
        model.fc = nn.Sequential(nn.Dropout(c.dropout), nn.Linear(model.fc.in_features, classes))
        return model

    return build


def _head(c: TrainConfig, features: int, classes: int) -> nn.Module:
    """The new last layer, after `dropout` when it is set (no module when it is not: a module
    that does nothing would still count in torchsummary's and torchinfo's sizes)."""
    linear = nn.Linear(features, classes)
    return nn.Sequential(nn.Dropout(c.dropout), linear) if c.dropout else linear


def _vgg(arch: str):
    def build(c: TrainConfig, in_ch: int, classes: int) -> nn.Module:
        model = _torchvision(arch, c, in_ch, classes)
        if in_ch != 3:
            model.features[0] = nn.Conv2d(in_ch, 64, 3, padding=1)
        model.classifier[-1] = _head(c, model.classifier[-1].in_features, classes)
        return model

    return build


def _vit(c: TrainConfig, in_ch: int, classes: int) -> nn.Module:
    model = _torchvision("vit_b_32", c, in_ch, classes)
    if in_ch != 3:
        model.conv_proj = nn.Conv2d(in_ch, model.hidden_dim, 32, 32)
    model.heads = _head(c, model.hidden_dim, classes)
    return model


def _swin(c: TrainConfig, in_ch: int, classes: int) -> nn.Module:
    model = _torchvision("swin_b", c, in_ch, classes)
    if in_ch != 3:
        patches = model.features[0][0]
        model.features[0][0] = nn.Conv2d(in_ch, patches.out_channels, 4, 4)
    model.head = _head(c, model.head.in_features, classes)
    return model


REGISTRY = {
    "cnn": lambda c, i, k: architectures.cnn(i, k, c.dropout),
    "cnn_2": lambda c, i, k: architectures.cnn_n(2)(i, k, c.dropout, c.side),
    "cnn_3": lambda c, i, k: architectures.cnn_n(3)(i, k, c.dropout, c.side),
    "cnn_5": lambda c, i, k: architectures.cnn_n(5)(i, k, c.dropout, c.side),
    "cifar_alexnet": lambda c, i, k: architectures.CifarAlexNet(
        i,
        k,
        c.dropout,
        c.dropout1,
        c.dropout2,
        c.dropout3,
        fc_dropout=c.fc_dropout,
        batchnorm=c.batchnorm,
        dropout_before_pool=c.dropout_position == "before_pool",
    ),
    "resnet": lambda c, i, k: _resnet(c.arch)(c, i, k),
    **{f"resnet{d}": _resnet(f"resnet{d}") for d in RESNET_DEPTHS},
    **{f"vgg{d}{bn}": _vgg(f"vgg{d}{bn}") for d in (11, 13, 16, 19) for bn in ("", "_bn")},
    "vit_b_32": _vit,
    "swin_b": _swin,
}


def build(c: TrainConfig, in_channels: int, classes: int) -> nn.Module:
    """The config's model (its name is checked by TrainConfig, against config.MODELS)."""
    return REGISTRY[c.model](c, in_channels, classes)


def size_mb(model: nn.Module) -> float:
    """Bytes of parameters and buffers, in MiB."""
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20
