"""Data sets: shapes, fixed splits, the ImageFolder path, disk and memory caches, clear errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sweeper.errors import ConfigError
from sweeper.train import data, fit
from sweeper.train.config import TrainConfig


@pytest.fixture(autouse=True)
def empty_caches():
    data._MEMORY.clear()
    data._ON_DEVICE.clear()
    yield
    data._MEMORY.clear()
    data._ON_DEVICE.clear()


def test_digits_is_grey_uint8_with_the_same_split_for_every_seed():
    a = data.load(TrainConfig(seed=1))
    assert a.train_x.dtype == torch.uint8 and a.train_x.shape[1:] == (1, 8, 8)
    assert len(a.val_y) == round(1797 * 0.2) and a.classes == 10
    data._MEMORY.clear()
    assert torch.equal(data.load(TrainConfig(seed=2)).val_x, a.val_x)


def test_synthetic_makes_any_shape_and_class_count():
    d = data.load(
        TrainConfig(dataset="synthetic", image_size=24, synthetic_images=100, synthetic_classes=4)
    )
    assert (
        d.train_x.shape[1:] == (3, 24, 24)
        and len(d.train_y) + len(d.val_y) == 100
        and d.classes == 4
    )


def test_the_memory_cache_serves_later_trials():
    first = data.load(TrainConfig())
    assert data.load(TrainConfig(lr=0.3)) is first


def write_tree(root, classes=("cat", "dog"), per_split=None):
    per_split = per_split or {"train": 6, "val": 3}
    rng = np.random.default_rng(0)
    for split, count in per_split.items():
        for label, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 255, (20 + i, 30, 3), dtype=np.uint8)
                pixels[..., label] = 255  # each class has its own colour cast
                Image.fromarray(pixels).save(folder / f"{i}.png")


def test_imagenette_reads_any_imagefolder_tree_and_caches_it_on_disk(tmp_path):
    write_tree(tmp_path)
    config = TrainConfig(
        dataset="imagenette",
        data_dir=str(tmp_path),
        image_size=16,
        model="cnn",
        epochs=2,
        batch_size=4,
        crop_scale=0.5,
        flip=True,
    )
    result = fit(config, lambda m: None)
    assert result["stop"] == "completed"
    cache = tmp_path / ".sweeper-cache" / "folder-16px.pt"
    assert cache.exists()
    decoded = data._MEMORY.popitem()[1]
    assert (
        decoded.train_x.shape == (12, 3, 16, 16)
        and decoded.val_x.shape == (6, 3, 16, 16)
        and decoded.classes == 2
    )
    again = data.load(config)  # from the disk cache, without decoding
    assert torch.equal(again.train_x, decoded.train_x) and torch.equal(again.val_y, decoded.val_y)


def test_imagenette_reads_torchvisions_layout(tmp_path):
    # torchvision's Imagenette finds imagenette2-160/{train,val}/<wnid>/*.JPEG under data_dir.
    for split, count in (("train", 4), ("val", 2)):
        for wnid in ("n01440764", "n02102040"):
            folder = tmp_path / "imagenette2-160" / split / wnid
            folder.mkdir(parents=True)
            for i in range(count):
                Image.new("RGB", (40, 30), (i * 40, 0, 0)).save(folder / f"{i}.JPEG")
    loaded = data.load(TrainConfig(dataset="imagenette", data_dir=str(tmp_path), image_size=32))
    assert (
        loaded.train_x.shape == (8, 3, 32, 32)
        and loaded.val_x.shape == (4, 3, 32, 32)
        and loaded.classes == 2
    )
    assert (tmp_path / ".sweeper-cache" / "imagenette-32px.pt").exists()


def test_memory_cache_keeps_the_most_recent_data_sets():
    for classes in (2, 3, 4):
        data.load(TrainConfig(dataset="synthetic", synthetic_images=32, synthetic_classes=classes))
    assert [key[-1] for key in data._MEMORY] == [3, 4]


def test_imagefolder_classes_must_match_between_train_and_val(tmp_path):
    write_tree(tmp_path)
    (tmp_path / "val" / "dog").rename(tmp_path / "val" / "horse")
    with pytest.raises(ConfigError, match="same class sub-folders"):
        data.load(TrainConfig(dataset="imagenette", data_dir=str(tmp_path), image_size=16))


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "imagenette"])
def test_a_missing_data_folder_is_a_config_error_naming_it(tmp_path, dataset):
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError) as caught:
        fit(TrainConfig(dataset=dataset, data_dir=str(missing), model="cnn"), lambda m: None)
    text = str(caught.value)
    assert str(missing) in text and "download=true" in text


def test_cifar_uses_its_disk_cache_without_torchvision_files(tmp_path):
    fake = data.Data(
        torch.zeros(8, 3, 32, 32, dtype=torch.uint8),
        torch.arange(8) % 10,
        torch.zeros(4, 3, 32, 32, dtype=torch.uint8),
        torch.arange(4),
        10,
    )
    (tmp_path / ".sweeper-cache").mkdir()
    torch.save(vars(fake), tmp_path / ".sweeper-cache" / "cifar10.pt")
    loaded = data.load(TrainConfig(dataset="cifar10", data_dir=str(tmp_path)))
    assert torch.equal(loaded.train_y, fake.train_y) and loaded.classes == 10


def test_digits_are_decoded_once_into_the_cache_and_again_when_the_source_changes(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "digits.csv.gz"  # stands in for scikit-learn's file
    source.write_bytes(b"one")
    monkeypatch.setattr(data, "_digits_source", lambda: source)
    decoded = []
    decode = data._decode_digits
    monkeypatch.setattr(data, "_decode_digits", lambda c: decoded.append(1) or decode(c))
    config = TrainConfig(dataset="digits")
    first = data._digits(config)
    again = data._digits(config)  # a later executor, or a later run
    assert len(decoded) == 1 and len(list((tmp_path / "cache").rglob("digits-*.pt"))) == 1
    for a, b in zip(vars(first).values(), vars(again).values()):
        assert torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b
    source.write_bytes(b"changed")  # another scikit-learn: another key
    data._digits(config)
    assert len(decoded) == 2
    data._digits(TrainConfig(dataset="digits", val_split=0.3))  # another split: another file
    assert len(decoded) == 3 and len(list((tmp_path / "cache").rglob("digits-*.pt"))) == 3


def test_digits_train_without_importing_scikit_learn_or_torchvision_once_cached(tmp_path):
    code = (
        "import sys; from sweeper.train import fit; from sweeper.train.config import TrainConfig;"
        "fit(TrainConfig(dataset='digits', epochs=1), lambda m: None);"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'torchvision'}))"
    )
    env = {
        "PYTHONPATH": str(Path(__file__).parents[2]),
        "XDG_CACHE_HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    run = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)]
    run.append(
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    )
    assert run[0].stdout.strip() == "['sklearn']", run[0].stderr  # the first decodes
    assert run[1].stdout.strip() == "[]", run[1].stderr
