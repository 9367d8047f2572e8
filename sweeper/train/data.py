"""Data sets as uint8 tensors: decoded once (disk cache next to the data, or in the user's cache
folder for digits), kept per process.

Every builder returns the whole data set as uint8 NCHW tensors; the trial moves them to its
device once and augments there (augment.py), so no per-image Python work happens per step.
"""

from __future__ import annotations

import importlib.util
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch

from sweeper.errors import ConfigError
from sweeper.train.config import DATASETS, TrainConfig


@dataclass
class Data:
    train_x: torch.Tensor  # uint8 (N, C, H, W)
    train_y: torch.Tensor  # int64 (N,)
    val_x: torch.Tensor
    val_y: torch.Tensor
    classes: int

    def to(self, device) -> Data:
        return Data(
            *(t.to(device) for t in (self.train_x, self.train_y, self.val_x, self.val_y)),
            self.classes,
        )


def _split(x, y, classes, fraction) -> Data:
    # The same split for every trial (fixed seed), so trials are compared on the same images.
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    n_val = max(1, round(len(y) * fraction))
    val, train = order[:n_val], order[n_val:]
    return Data(x[train], y[train], x[val], y[val], classes)


def _digits(c: TrainConfig) -> Data:
    """scikit-learn's digits, decoded once into the user's cache folder: importing scikit-learn
    costs an executor seconds of start-up. The cache is keyed by the size and modification
    time of scikit-learn's digits file (another scikit-learn, another key) and the split."""
    source = _digits_source()
    if source is None:  # no scikit-learn to find: let the import say so
        return _decode_digits(c)
    stat = source.stat()
    name = f"digits-{stat.st_size}-{stat.st_mtime_ns}-val{c.val_split}.pt"
    return _disk_cached(_cache_home() / "datasets" / name, lambda: _decode_digits(c))


def _digits_source() -> Path | None:
    """scikit-learn's digits.csv.gz, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    for folder in (spec and spec.submodule_search_locations) or []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.exists():
            return path
    return None


def _decode_digits(c: TrainConfig) -> Data:
    from sklearn.datasets import load_digits

    digits = load_digits()  # 1797 8x8 images, values 0..16
    x = torch.as_tensor(digits.images * (255 / 16)).round().to(torch.uint8).unsqueeze(1)
    return _split(x, torch.as_tensor(digits.target, dtype=torch.int64), 10, c.val_split)


def _synthetic(c: TrainConfig) -> Data:
    """Noisy copies of one smooth random template per class: learnable, any shape, seeded."""
    g = torch.Generator().manual_seed(0)
    n, k, side = c.synthetic_images, c.synthetic_classes, c.side
    templates = torch.nn.functional.interpolate(
        torch.rand(k, 3, 4, 4, generator=g), size=(side, side), mode="bilinear"
    )
    y = torch.arange(n) % k
    x = torch.empty(n, 3, side, side, dtype=torch.uint8)
    for start in range(0, n, 256):  # chunks keep the float temporaries small at 160px+
        ys = y[start : start + 256]
        noise = torch.rand(len(ys), 3, side, side, generator=g)
        x[start : start + 256] = ((0.6 * templates[ys] + 0.4 * noise) * 255).to(torch.uint8)
    return _split(x, y, k, c.val_split)


def _root(c: TrainConfig) -> Path:
    return Path(c.data_dir or "data").expanduser()


def _disk_cached(path: Path, build) -> Data:
    """Loads `path`, or builds the data and writes it there atomically for every later trial.

    A data folder may be read-only (a shared mount): the cache then goes to the user's cache
    folder instead. A cache that cannot be read back is rebuilt, never a trial's failure.
    """
    for candidate in (path, _fallback_cache(path)):
        if candidate.exists():
            try:
                return Data(**torch.load(candidate, weights_only=True))
            except Exception:  # torn or from another torch: decode again
                candidate.unlink(missing_ok=True)
    data = build()
    for candidate in (path, _fallback_cache(path)):
        try:
            candidate.parent.mkdir(parents=True, exist_ok=True)
            tmp = candidate.with_suffix(f".tmp{os.getpid()}")
            torch.save(vars(data), tmp)
            os.replace(tmp, candidate)
            break
        except OSError:
            continue
    return data


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sweeper"


def _fallback_cache(path: Path) -> Path:
    return _cache_home() / str(path.resolve()).strip("/").replace("/", "_")


def _cifar(name: str, classes: int):
    def build(c: TrainConfig) -> Data:
        from torchvision import datasets

        root = _root(c)

        def decode() -> Data:
            kind = datasets.CIFAR10 if classes == 10 else datasets.CIFAR100
            try:
                parts = [
                    kind(str(root), train=train, download=c.download) for train in (True, False)
                ]
            except RuntimeError:
                raise ConfigError(
                    f"{name} is not in {root.resolve()}",
                    f"put torchvision's {name} files there, point data_dir at them, or add --set download=true",
                ) from None
            x = [torch.as_tensor(p.data).permute(0, 3, 1, 2).contiguous() for p in parts]
            y = [torch.as_tensor(p.targets, dtype=torch.int64) for p in parts]
            return Data(x[0], y[0], x[1], y[1], classes)

        return _disk_cached(root / ".sweeper-cache" / f"{name}.pt", decode)

    return build


def _imagenette(c: TrainConfig) -> Data:
    """torchvision's Imagenette under data_dir, or any ImageFolder tree data_dir/{train,val}/<class>/."""
    from torchvision import datasets

    root, side = _root(c), c.side
    folder = (root / "train").is_dir() and (root / "val").is_dir()

    def decode() -> Data:
        load = _image_loader(side)
        if folder:
            parts = [
                datasets.ImageFolder(str(root / split), loader=load) for split in ("train", "val")
            ]
            if (
                parts[0].classes != parts[1].classes
            ):  # labels are folder positions: they must line up
                raise ConfigError(
                    f"{root / 'val'} has class folders {parts[1].classes}, {root / 'train'} has {parts[0].classes}",
                    "give val/ the same class sub-folders as train/",
                )
        else:
            size = "160px" if side <= 160 else "320px" if side <= 320 else "full"
            try:
                parts = [
                    datasets.Imagenette(
                        str(root), split=s, size=size, download=c.download, loader=load
                    )
                    for s in ("train", "val")
                ]
            except RuntimeError:
                raise ConfigError(
                    f"imagenette ({size}) is not in {root.resolve()}",
                    "add --set download=true, or point data_dir at a folder with train/ and val/ "
                    "holding one sub-folder of images per class",
                ) from None
        return Data(*_decode_all(parts[0]), *_decode_all(parts[1]), len(parts[0].classes))

    tag = "folder" if folder else "imagenette"
    return _disk_cached(root / ".sweeper-cache" / f"{tag}-{side}px.pt", decode)


def _image_loader(side: int):
    """Opens one image as RGB, resizes its shorter side to `side` and centre-crops a square."""
    from PIL import Image

    def load(path):
        with Image.open(path) as image:
            image.draft(
                "RGB", (side, side)
            )  # JPEGs decode at 1/2, 1/4 or 1/8 size when that still covers `side`
            image = image.convert("RGB")
            scale = side / min(image.size)
            w, h = (
                max(side, math.ceil(image.width * scale)),
                max(side, math.ceil(image.height * scale)),
            )
            image = image.resize((w, h), Image.BILINEAR, reducing_gap=3.0)
            left, top = (w - side) // 2, (h - side) // 2
            image = image.crop((left, top, left + side, top + side))
            return (
                torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
                .view(side, side, 3)
                .permute(2, 0, 1)
            )

    return load


def _decode_all(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    # PIL releases the GIL while decoding, so threads use every core.
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        items = list(pool.map(dataset.__getitem__, range(len(dataset))))
    if not items:
        raise ConfigError(
            f"no images found in {getattr(dataset, 'root', dataset)}",
            "put images in one sub-folder per class",
        )
    return torch.stack([x for x, _ in items]), torch.tensor(
        [y for _, y in items], dtype=torch.int64
    )


REGISTRY = {
    "digits": _digits,
    "synthetic": _synthetic,
    "cifar10": _cifar("cifar10", 10),
    "cifar100": _cifar("cifar100", 100),
    "imagenette": _imagenette,
}

_MEMORY: dict[tuple, Data] = {}  # per process: an executor runs many trials in a row
MEMORY_SLOTS = 2  # data sets kept in memory per process, the most recently used
_ON_DEVICE: list = []  # one slot: (key, device, Data) of the last trial, so its successor skips the copy


def _key(c: TrainConfig) -> tuple:
    spec = DATASETS[c.dataset]
    key = [c.dataset]
    if spec.files:
        key.append(str(_root(c).resolve()))
    if spec.split:
        key.append(c.val_split)
    if c.dataset in ("imagenette", "synthetic"):
        key.append(c.side)  # decoded at the trial's size
    if c.dataset == "synthetic":
        key += [c.synthetic_images, c.synthetic_classes]
    return tuple(key)


def load(c: TrainConfig, device: str | torch.device = "cpu") -> Data:
    """The trial's data set on `device`, from the first cache that has it."""
    key = _key(c)
    if _ON_DEVICE and _ON_DEVICE[0][:2] == (key, str(device)):
        return _ON_DEVICE[0][2]
    if key not in _MEMORY:
        _MEMORY[key] = REGISTRY[c.dataset](c)
    _MEMORY[key] = _MEMORY.pop(key)  # most recent last
    while len(_MEMORY) > MEMORY_SLOTS:
        _MEMORY.pop(next(iter(_MEMORY)))
    _ON_DEVICE.clear()  # free the previous trial's copy before making a new one
    data = _MEMORY[key].to(device)
    _ON_DEVICE.append((key, str(device), data))
    return data
