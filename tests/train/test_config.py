"""TrainConfig: catalogues, validation messages, --set parsing, which settings apply."""

import pytest

from sweeper.errors import ConfigError
from sweeper.train import config as cfg
from sweeper.train.config import TrainConfig, parse_override, setting_applies


def error_of(**values) -> str:
    with pytest.raises(ConfigError) as caught:
        TrainConfig.from_dict(values)
    return str(caught.value)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"lr": 0}, "lr=0.0 must be > 0"),
        ({"weight_decay": -1}, "weight_decay=-1.0 must be >= 0"),
        ({"val_split": 1.0}, "val_split=1.0 must be > 0 and < 1"),
        ({"dropout": 1.0}, "dropout=1.0 must be >= 0 and < 1"),
        ({"epochs": 0}, "epochs=0 must be >= 1"),
        ({"lr": float("nan")}, "lr=nan must be a finite number"),
        ({"optimizer": "lbfgs"}, "must be one of adam, adamw, radam, ranger, rmsprop, sgd"),
        ({"depth": 20}, "depth=20 must be one of 18, 34, 50, 101, 152"),
        ({"model": "vit_b_32", "image_size": 48}, "vit_b_32 needs an image side divisible by 32"),
        ({"model": "cnn_5"}, "cnn_5 needs images of at least 32 pixels, got 8"),
        ({"crop_ratio": (2.0, 1.0)}, "low <= high"),
        ({"milestones": (60, 30)}, "must be increasing whole epochs"),
        ({"batch_size": "many"}, "batch_size='many' is not a number"),
        ({"flip": 3}, "flip=3 must be bool"),
        ({"color_jitter_hue": 0.6}, "color_jitter_hue=0.6 must be >= 0 and <= 0.5"),
        ({"dropout_position": "inside"}, "must be one of after_pool, before_pool"),
        ({"pretrained_weights": "imagenet"}, "must be a torchvision weights name in capitals"),
    ],
)
def test_bad_values_give_one_clear_line(values, message):
    text = error_of(**values)
    assert message in text and "\n" not in text
    assert "inf" not in text.replace("info", "")


def test_unknown_keys_are_listed_with_the_valid_ones():
    text = error_of(lr=0.1, learning_rate=0.1, epoch=3)
    assert "'epoch', 'learning_rate'" in text and "valid settings are: dataset" in text


def test_every_field_has_help_with_words_and_a_check_or_a_bool_type():
    for name, help_text in cfg.field_help().items():
        assert len(help_text) > 10, name
    import dataclasses

    for f in dataclasses.fields(TrainConfig):
        assert f.metadata["check"] or f.type in ("bool", "str | None"), f.name


def test_round_trip_through_a_dict_and_json_lists():
    config = TrainConfig.from_dict(
        {"dataset": "cifar10", "milestones": [5, 80], "crop_ratio": [0.5, 2]}
    )
    assert config.milestones == (5, 80) and config.crop_ratio == (0.5, 2.0)
    assert TrainConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "key, text, value",
    [
        ("epochs", "3", 3),
        ("lr", "1e-3", 1e-3),
        ("flip", "true", True),
        ("image_size", "none", None),
        ("milestones", "30,60", (30, 60)),
        ("crop_scale", "0.35", 0.35),
        ("dataset", "synthetic", "synthetic"),
    ],
)
def test_parse_override(key, text, value):
    assert parse_override(key, text) == value


def test_settings_apply_only_where_they_matter():
    assert setting_applies("momentum", {"optimizer": "sgd"})
    assert setting_applies("momentum", {"optimizer": "rmsprop"})
    assert not setting_applies("momentum", {"optimizer": "adam"})
    assert not setting_applies("eps", {"optimizer": "sgd"})
    assert setting_applies("lookahead_steps", {"optimizer": "ranger"})
    assert setting_applies("depth", {"model": "resnet"}) and not setting_applies(
        "depth", {"model": "resnet50"}
    )
    assert setting_applies("dropout2", {"model": "cifar_alexnet"}) and not setting_applies(
        "dropout2", {"model": "cnn"}
    )
    assert setting_applies("pretrained", {"model": "vgg19"}) and not setting_applies(
        "pretrained", {"model": "cnn_2"}
    )
    assert setting_applies("fc_dropout", {"model": "cifar_alexnet"})
    assert not setting_applies("batchnorm", {"model": "cnn_3"})
    assert setting_applies("pretrained_weights", {"model": "resnet50", "pretrained": True})
    assert not setting_applies("pretrained_weights", {"model": "resnet50"})
    assert not setting_applies("pretrained_weights", {"model": "cnn", "pretrained": True})
    assert setting_applies("plateau_patience", {"schedule": "plateau"})
    assert not setting_applies("plateau_patience", {"schedule": "cosine"})
    assert not setting_applies("decay_bn_bias", {"weight_decay": 0.0})
    assert not setting_applies("val_split", {"dataset": "cifar10"})
    assert TrainConfig(model="resnet", depth=50).arch == "resnet50"
    assert cfg.is_conditional("momentum") and not cfg.is_conditional("lr")
