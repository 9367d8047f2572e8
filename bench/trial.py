"""The trainer's overhead: one epoch of ResNet-18 on synthetic images through `fit`, against a
bare forward/backward/step loop on pre-made device tensors of the same shape.

The ratio (fit images/s / bare images/s) is what the trainer costs: batch gathering,
augmentation, schedule, metrics. Both use SGD, and on CUDA bf16 autocast and channels-last.

    .venv/bin/python bench/trial.py                                   # CPU defaults, about a minute
    .venv/bin/python bench/trial.py --device cuda --images 10000 --batch-size 256
    .venv/bin/python bench/trial.py --model cnn --dataset digits --threads 1   # the quickstart's
"""

from __future__ import annotations

import argparse
import contextlib
import time

import torch
import torch.nn.functional as F

from sweeper.train import data, fit, models
from sweeper.train.config import TrainConfig


def through_fit(config: TrainConfig, device: str) -> float:
    """Train images/s of fit's last epoch (the first pays one-off costs: data, allocator, cudnn)."""
    epochs = []
    fit(config, epochs.append, device=device)
    return epochs[-1]["images_per_s"]


def bare_loop(config: TrainConfig, device: str, steps: int, shape: data.Data) -> float:
    """Train images/s of forward/backward/step on one pre-made batch shaped like `shape`'s."""
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    channels, classes = shape.train_x.shape[1], shape.classes
    torch.manual_seed(0)
    model = models.build(config, channels, classes).to(dev)
    fmt = torch.channels_last if cuda else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    x = torch.randn(config.batch_size, channels, config.side, config.side, device=dev).contiguous(
        memory_format=fmt
    )
    y = torch.randint(0, classes, (config.batch_size,), device=dev)
    autocast = (
        (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else contextlib.nullcontext
    )

    def step():
        with autocast():
            loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):  # warm-up
        step()
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    return steps * config.batch_size / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--model", default="resnet18", help="model name (default resnet18)")
    parser.add_argument(
        "--dataset",
        choices=["synthetic", "digits"],
        default="synthetic",
        help="synthetic images (default), or the quickstart's digits (8x8, --image-size unused)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's own)"
    )
    parser.add_argument(
        "--image-size", type=int, default=160, help="image side in pixels (default 160)"
    )
    parser.add_argument(
        "--images",
        type=int,
        default=120,
        help="synthetic images, 80%% of them trained on (default 120)",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="images per step (default 32)")
    parser.add_argument(
        "--augment", action="store_true", help="fit also does random-resized crop + flip"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    extra = dict(crop_scale=0.35, flip=True) if args.augment else {}
    if args.dataset == "synthetic":
        extra.update(synthetic_images=args.images, image_size=args.image_size)
    config = TrainConfig.from_dict(
        dict(
            dataset=args.dataset,
            model=args.model,
            batch_size=args.batch_size,
            epochs=2,
            optimizer="sgd",
            lr=0.01,
            schedule="cosine",
            **extra,
        )
    )
    loaded = data.load(config, args.device)  # make the data set before timing anything
    ours = through_fit(config, args.device)
    steps = len(loaded.train_y) // args.batch_size
    bare = bare_loop(config, args.device, steps, loaded)
    print(
        f"{args.model} on {args.dataset} {config.side}px batch {args.batch_size} on {args.device},"
        f" {steps} steps per epoch"
        f"{' with augmentation' if args.augment else ''}"
    )
    print(f"fit {ours:8.1f} img/s   bare loop {bare:8.1f} img/s   ratio {ours / bare:.3f}")


if __name__ == "__main__":
    main()
