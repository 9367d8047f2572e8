"""The trainer's overhead: epochs through `fit` against a bare loop, in turn, epoch by epoch.

`fit` runs as a sweep runs it: with a checkpoint folder (last.pt every epoch, best.pt at each
new best), train metrics, the lr schedule, augmentation and normalisation per batch, a
validation pass with loss, top-1 and top-5. The bare loop is what a hand-written script does on
the same model and data: shuffle, slice batches of pre-normalised tensors, forward/backward/
step (SGD, constant lr), then an accuracy-only pass over the validation images. On CUDA both use
bf16 autocast and channels-last.

The bare loop's epoch runs inside fit's per-epoch callback (ABAB...: both see the same load on a
shared machine); fit's epoch is the time between two callbacks less the bare epoch inside. The
first epoch of each is left out (data, allocator, cudnn). Two rows, medians over the epochs:

- train steps: images/s of the training steps only (fit's `images_per_s`);
- whole epoch: seconds per epoch, training + validation (+ fit's checkpoint and metrics).

Each ratio is the median [quartiles] over epochs of (fit rate / bare rate) of adjacent epochs:
1.00 is free, 0.95 a trainer costing 5 % of an epoch.

    .venv/bin/python bench/trial.py                                   # CPU defaults, minutes
    .venv/bin/python bench/trial.py --device cuda --images 10000 --batch-size 256
    .venv/bin/python bench/trial.py --model cnn --dataset digits --threads 1   # the quickstart's
"""

from __future__ import annotations

import argparse
import contextlib
import runpy
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from sweeper.train import data, fit, models
from sweeper.train.config import TrainConfig


class BareLoop:
    """A hand-written loop over pre-normalised device tensors of the trial's data set."""

    def __init__(self, config: TrainConfig, device: str, loaded: data.Data):
        self.dev = torch.device(device)
        self.cuda = self.dev.type == "cuda"
        self.batch = config.batch_size
        torch.manual_seed(0)
        self.model = models.build(config, loaded.train_x.shape[1], loaded.classes).to(self.dev)
        self.fmt = torch.channels_last if self.cuda else torch.contiguous_format
        self.model = self.model.to(memory_format=self.fmt)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=config.lr, momentum=config.momentum)
        mean = loaded.train_x.float().mean(dim=(0, 2, 3), keepdim=True)
        std = loaded.train_x.float().std(dim=(0, 2, 3), keepdim=True)
        self.train_x = self._images(loaded.train_x, mean, std, config.side)
        self.val_x = self._images(loaded.val_x, mean, std, config.side)
        self.train_y, self.val_y = loaded.train_y, loaded.val_y
        self.steps = len(self.train_y) // self.batch
        self.generator = torch.Generator(device=self.dev).manual_seed(0)  # fit's RNG untouched

    def _images(self, x, mean, std, side):
        x = (x.float() - mean) / std
        if x.shape[-1] != side:
            x = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True)
        return x.contiguous(memory_format=self.fmt)

    def _autocast(self):
        if self.cuda:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def epoch(self) -> tuple[float, float]:
        """(seconds of the training steps, seconds of the whole epoch)."""
        self._sync()
        start = time.perf_counter()
        self.model.train()
        order = torch.randperm(len(self.train_y), device=self.dev, generator=self.generator)
        with torch.random.fork_rng(devices=[self.dev] if self.cuda else []):  # dropout's draws
            for i in range(self.steps):
                idx = order[i * self.batch : (i + 1) * self.batch]
                with self._autocast():
                    loss = F.cross_entropy(self.model(self.train_x[idx]), self.train_y[idx])
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                self.opt.step()
        self._sync()
        trained = time.perf_counter()
        self.model.eval()
        correct = torch.zeros((), dtype=torch.int64, device=self.dev)
        with torch.no_grad(), self._autocast():
            for at in range(0, len(self.val_y), 2 * self.batch):
                out = self.model(self.val_x[at : at + 2 * self.batch])
                correct += (out.argmax(1) == self.val_y[at : at + 2 * self.batch]).sum()
        correct.item()  # the accuracy a loop reports
        return trained - start, time.perf_counter() - start


def fit_epoch_seconds(enters: list[float], leaves: list[float]) -> list[float]:
    """fit's epochs 2.. from its callbacks' entry and exit times: the time from leaving one
    callback (after the bare epoch in it) to entering the next."""
    return [enter - leave for enter, leave in zip(enters[1:], leaves[:-1])]


def paired_ratios(fit_seconds: list[float], bare_seconds: list[float]) -> list[float]:
    """Speed of fit over speed of the bare loop, epoch by adjacent epoch (same work per epoch)."""
    return [bare / ours for ours, bare in zip(fit_seconds, bare_seconds)]


def interleaved(config: TrainConfig, device: str, bare: BareLoop, checkpoint: bool) -> dict:
    """One fit of config.epochs epochs with a bare epoch inside each callback; per-epoch samples
    of epochs 2.. : fit/bare train images/s and fit/bare whole-epoch seconds."""
    enters, leaves, bare_runs, rates = [], [], [], []

    def on_epoch(metrics):
        enters.append(time.perf_counter())
        rates.append(metrics["images_per_s"])
        bare_runs.append(bare.epoch())
        leaves.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as folder:  # a fresh folder: never a resume
        fit(config, on_epoch, device=device, checkpoint_dir=folder if checkpoint else None)
    images = bare.steps * bare.batch
    return {
        "fit_img_s": rates[1:],
        "bare_img_s": [images / train for train, _ in bare_runs[1:]],
        "fit_epoch_s": fit_epoch_seconds(enters, leaves),
        "bare_epoch_s": [whole for _, whole in bare_runs[1:]],
    }


def merge(runs: list[dict]) -> dict:
    return {key: [v for run in runs for v in run[key]] for key in runs[0]}


def quartiles(values: list[float]) -> list[float]:
    """[median, first quartile, third quartile]."""
    low, mid, high = statistics.quantiles(values, n=4, method="inclusive")
    return [mid, low, high]


def spread(cell: list[float]) -> str:
    mid, low, high = cell
    return f"{mid:.3f} [{low:.3f}..{high:.3f}]"


def summary(samples: dict) -> list[dict]:
    """The two results: the median of each side and the quartiles of the adjacent-epoch ratios."""
    median = statistics.median
    steps = [ours / bare for ours, bare in zip(samples["fit_img_s"], samples["bare_img_s"])]
    whole = paired_ratios(samples["fit_epoch_s"], samples["bare_epoch_s"])
    return [
        {
            "measure": "train steps",
            "unit": "img/s",
            "fit": median(samples["fit_img_s"]),
            "bare": median(samples["bare_img_s"]),
            "ratio": quartiles(steps),
        },
        {
            "measure": "whole epoch",
            "unit": "s",
            "fit": median(samples["fit_epoch_s"]),
            "bare": median(samples["bare_epoch_s"]),
            "ratio": quartiles(whole),
        },
    ]


def rows(samples: dict) -> list[str]:
    """The two result lines."""
    steps, whole = summary(samples)
    return [
        f"train steps  fit {steps['fit']:9.1f} img/s   "
        f"bare loop {steps['bare']:9.1f} img/s   ratio {spread(steps['ratio'])}",
        f"whole epoch  fit {whole['fit']:9.4f} s       "
        f"bare loop {whole['bare']:9.4f} s       ratio {spread(whole['ratio'])}",
    ]


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
        "--epochs", type=int, default=None, help="epochs per fit (default 12 digits, 4 synthetic)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="fits in a row (default 3)")
    parser.add_argument(
        "--no-checkpoint", action="store_true", help="fit without a checkpoint folder"
    )
    parser.add_argument(
        "--augment", action="store_true", help="fit also does random-resized crop + flip"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures there (bench/tables.py)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    extra = dict(crop_scale=0.35, flip=True) if args.augment else {}
    if args.dataset == "synthetic":
        extra.update(synthetic_images=args.images, image_size=args.image_size)
    epochs = args.epochs or (12 if args.dataset == "digits" else 4)
    config = TrainConfig.from_dict(
        dict(
            dataset=args.dataset,
            model=args.model,
            batch_size=args.batch_size,
            epochs=epochs,
            optimizer="sgd",
            lr=0.01,
            schedule="cosine",
            **extra,
        )
    )
    loaded = data.load(config, args.device)  # make the data set before timing anything
    bare = BareLoop(config, args.device, loaded)
    runs = [
        interleaved(config, args.device, bare, not args.no_checkpoint) for _ in range(args.repeats)
    ]
    setup = (
        f"{args.model} on {args.dataset} {config.side}px batch {args.batch_size} on {args.device},"
        f" {torch.get_num_threads()} threads, {bare.steps} steps per epoch"
        f"{' with augmentation' if args.augment else ''}"
        f"{'' if args.no_checkpoint else ', fit checkpointing every epoch'};"
        f" {args.repeats} x {epochs - 1} epochs each, in turn"
    )
    print(setup)
    samples = merge(runs)
    print("\n".join(rows(samples)))
    save = runpy.run_path(str(Path(__file__).with_name("tables.py")))["save"]
    save(args.json, __file__, summary(samples), setup)


if __name__ == "__main__":
    main()
