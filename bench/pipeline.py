"""Images/s of sweeper's device-resident augmentation against a torchvision DataLoader.

Both make the same training batches (random-resized crop, horizontal flip, normalisation) from
the same uint8 images and deliver them as float tensors on the device; the DataLoader uses
one worker process per core, as a tuned PyTorch script would. Prints the ratio per image size.

    .venv/bin/python bench/pipeline.py                      # CPU defaults, about a minute
    .venv/bin/python bench/pipeline.py --device cuda --images 20000 --batch-size 256
"""

from __future__ import annotations

import argparse
import os
import runpy
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from sweeper.train.augment import Augment
from sweeper.train.config import TrainConfig

CROP_SCALE = 0.35


class Images(Dataset):
    """uint8 images augmented one at a time, the usual torchvision way."""

    def __init__(self, x, y, side, mean, std):
        self.x, self.y = x, y
        self.transform = v2.Compose(
            [
                v2.RandomResizedCrop(side, scale=(CROP_SCALE, 1.0), antialias=False),
                v2.RandomHorizontalFlip(),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean, std),
            ]
        )

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.transform(self.x[i]), self.y[i]


def device_pipeline(x, y, side, batch, device) -> float:
    config = TrainConfig(image_size=side, crop_scale=CROP_SCALE, flip=True)
    x, y = x.to(device), y.to(device)
    augment = Augment(config, x)
    augment.train(x[:batch], y[:batch])  # warm-up
    _sync(device)
    start = time.perf_counter()
    order = torch.randperm(len(y), device=device)
    for i in range(0, len(y) - batch + 1, batch):
        idx = order[i : i + batch]
        augment.train(x[idx], y[idx])
    _sync(device)
    return (len(y) // batch * batch) / (time.perf_counter() - start)


def dataloader(x, y, side, batch, device, workers) -> float:
    mean, std = [0.5] * 3, [0.25] * 3
    loader = DataLoader(
        Images(x, y, side, mean, std),
        batch_size=batch,
        shuffle=True,
        drop_last=True,
        num_workers=workers,
        pin_memory=device.startswith("cuda"),
        persistent_workers=False,
    )
    start = time.perf_counter()
    count = 0
    for images, labels in loader:
        images = images.to(device, non_blocking=True)
        count += len(labels)
    _sync(device)
    return count / (time.perf_counter() - start)


def _sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main():
    cores = len(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument(
        "--sizes", default="32,160", help="image sides in pixels, comma-separated (default 32,160)"
    )
    parser.add_argument(
        "--images", type=int, default=2048, help="images per measurement (default 2048)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=128, help="images per batch (default 128)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=cores,
        help=f"DataLoader worker processes (default: cores = {cores})",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="measurements of each; the best counts (default 3)"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures there (bench/tables.py)"
    )
    args = parser.parse_args()
    setup = (
        f"device {args.device}, {args.images} images, batch {args.batch_size}, DataLoader workers {args.workers}, "
        f"torch threads {torch.get_num_threads()}, best of {args.repeats}"
    )
    print(setup)
    rows = []
    for side in map(int, args.sizes.split(",")):
        g = torch.Generator().manual_seed(0)
        # Stored a little larger than the output, as decoded images are (crops resample them).
        stored = side * 8 // 7
        x = torch.randint(0, 256, (args.images, 3, stored, stored), dtype=torch.uint8, generator=g)
        y = torch.randint(0, 10, (args.images,), generator=g)
        # Best of a few: on a shared machine a single descheduled thread can halve one measurement.
        ours = max(
            device_pipeline(x, y, side, args.batch_size, args.device) for _ in range(args.repeats)
        )
        theirs = max(
            dataloader(x, y, side, args.batch_size, args.device, args.workers)
            for _ in range(args.repeats)
        )
        print(
            f"{side:4d}px  device pipeline {ours:10.0f} img/s   DataLoader {theirs:10.0f} img/s   ratio {ours / theirs:5.2f}x"
        )
        rows.append(
            {
                "side_px": side,
                "pipeline_img_s": ours,
                "dataloader_img_s": theirs,
                "ratio": ours / theirs,
            }
        )
    save = runpy.run_path(str(Path(__file__).with_name("tables.py")))["save"]
    save(args.json, __file__, rows, setup)


if __name__ == "__main__":
    main()
