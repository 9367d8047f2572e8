"""Before a study's first trial: the data sets and pretrained weights of every run it can ask for.

A study of seven models that lacked the weights of its fourth trained three models first and
then stopped; one of four ResNet depths would have trained ResNet-18 for 200 epochs before
finding ResNet-34's weights missing. `check` looks at every config at once and names all that
is missing in one line. It only asks whether files exist (no model is built, no data set
decoded): the seven configs of write-up 004's study take milliseconds. The executor decodes
the first trial's data set besides, which finds a broken image before any trial too.
"""

from __future__ import annotations

from pathlib import Path

from sweeper.errors import SetupError
from sweeper.train import data, models
from sweeper.train.config import DATASETS, TORCHVISION_MODELS, TrainConfig


def check(configs: list[TrainConfig]) -> None:
    """A SetupError naming every data set and weights file the configs need and this machine
    lacks, with how to get each; a ConfigError for a weights name an architecture does not
    have. Each data set and weights file is looked at once, however many configs share it."""
    weights: dict[tuple[str, str], tuple[str, Path]] = {}  # (arch, weights name) -> (url, path)
    missing_data: dict[str, str] = {}  # what is missing -> how to fix it
    looked_at = set()
    for c in configs:
        if c.pretrained and c.arch in TORCHVISION_MODELS:
            name, url, path = models.weights_location(c.arch, c.pretrained_weights)
            if not path.exists():
                weights[(c.arch, name)] = (url, path)
        key = (c.dataset, str(data._root(c).resolve()), c.side, c.download)
        if key not in looked_at:
            looked_at.add(key)
            problem = _missing_data(c)
            if problem:
                missing_data.setdefault(*problem)
    problems, fixes = [], []
    if weights:
        folders = ", ".join(sorted({str(path.parent) for _, path in weights.values()}))
        names = ", ".join(f"{arch} {name}" for arch, name in weights)
        urls = ", ".join(url for url, _ in weights.values())
        problems.append(f"pretrained weights {names} are not in the local cache ({folders})")
        fixes.append(f"download {urls} into {folders}, or set pretrained=false")
    problems += list(missing_data)
    fixes += list(missing_data.values())
    if problems:
        raise SetupError(f"missing before the first trial: {'; '.join(problems)}", "; ".join(fixes))


def _missing_data(c: TrainConfig) -> tuple[str, str] | None:
    """(what is missing, how to fix it) for the config's data set, or None when it is there
    (or will be downloaded)."""
    if not DATASETS[c.dataset].files or c.download:
        return None
    root = data._root(c)
    if c.dataset == "imagenette":
        return _missing_imagenette(c, root)
    from torchvision import datasets

    kind = datasets.CIFAR10 if c.dataset == "cifar10" else datasets.CIFAR100
    files = [root / kind.base_folder / name for name, _ in kind.train_list + kind.test_list]
    if _cached(root / ".sweeper-cache" / f"{c.dataset}.pt") or all(f.exists() for f in files):
        return None
    return (
        f"{c.dataset} is not in {root.resolve()}",
        f"put torchvision's {c.dataset} files there, point data_dir at them, or add "
        "--set download=true",
    )


def _missing_imagenette(c: TrainConfig, root: Path) -> tuple[str, str] | None:
    if (root / "train").is_dir() and (root / "val").is_dir():  # an ImageFolder tree
        return None
    # The version data.py decodes for this side: the smallest that still covers it.
    size = "160px" if c.side <= 160 else "320px" if c.side <= 320 else "full"
    if _cached(root / ".sweeper-cache" / f"imagenette-{c.side}px.pt"):
        return None
    from torchvision import datasets

    try:  # lists the files, decodes none
        datasets.Imagenette(str(root), split="train", size=size)
        datasets.Imagenette(str(root), split="val", size=size)
        return None
    except (RuntimeError, OSError):
        return (
            f"imagenette ({size}) is not in {root.resolve()}",
            "add --set download=true, or point data_dir at a folder with train/ and val/ "
            "holding one sub-folder of images per class",
        )


def _cached(path: Path) -> bool:
    """Whether data.py's decoded copy is there, beside the data or in the user's cache."""
    return path.exists() or data._fallback_cache(path).exists()
