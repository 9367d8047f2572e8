"""Trials per hour with `sweeper run --workers 1` against `--workers N` on one device.

Small networks leave a GPU mostly idle; several executors on the same GPU fill it. Runs
write-up 002's CIFAR network (cifar_alexnet) through the real CLI, each worker count on a
fresh SQLite storage, and prints trials/hour and the ratio. Start-up (spawning executors,
importing torch) is included, as a user pays it.

    .venv/bin/python bench/packing.py                        # CPU defaults, about a minute
    .venv/bin/python bench/packing.py --device cuda --dataset cifar10 --data-dir data \\
        --epochs 2 --trials 16 --workers 1,4
"""

from __future__ import annotations

import argparse
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY = """
from sweeper import Study, loguniform
study = Study(
    name="packing",
    train={train!r},
    space=dict(lr=loguniform(1e-4, 3e-3)),
    sampler="random", pruner="none", metric="val_acc", seed=0,
)
"""


def trials_per_hour(workers: int, args, folder: Path) -> float:
    train = dict(
        model="cifar_alexnet",
        optimizer="adam",
        schedule="constant",
        epochs=args.epochs,
        batch_size=args.batch_size,
        dataset=args.dataset,
        crop_padding=4,
        flip=True,
    )
    if args.dataset == "synthetic":
        train.update(synthetic_images=args.images, image_size=32)
    if args.data_dir:
        train["data_dir"] = args.data_dir
    study = folder / f"packing_{workers}.py"
    study.write_text(STUDY.format(train=train))
    command = [
        sys.executable,
        "-m",
        "sweeper.cli",
        "run",
        str(study),
        "--storage",
        f"sqlite:///{folder}/w{workers}.db",
        "--workers",
        str(workers),
        "--n-trials",
        str(args.trials),
        "--device",
        args.device,
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"sweeper run failed:\n{done.stdout}\n{done.stderr}")
    return args.trials / seconds * 3600


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    parser.add_argument(
        "--workers",
        default="1,4",
        help="worker counts to compare, the first is the baseline (default 1,4)",
    )
    parser.add_argument("--trials", type=int, default=4, help="trials per run (default 4)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per trial (default 1)")
    parser.add_argument("--dataset", default="synthetic", help="synthetic (default) or cifar10")
    parser.add_argument(
        "--data-dir", default=None, help="folder holding cifar10 (for --dataset cifar10)"
    )
    parser.add_argument(
        "--images", type=int, default=512, help="synthetic images per trial (default 512)"
    )
    parser.add_argument("--batch-size", type=int, default=64, help="images per step (default 64)")
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures there (bench/tables.py)"
    )
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        rates = {w: trials_per_hour(w, args, Path(tmp)) for w in counts}
    setup = f"cifar_alexnet, {args.dataset}, {args.trials} trials x {args.epochs} epochs on {args.device}"
    print(setup)
    for w, rate in rates.items():
        print(f"--workers {w}: {rate:8.0f} trials/hour   ratio {rate / rates[counts[0]]:.2f}x")
    rows = [
        {"workers": w, "trials_per_hour": rate, "ratio": rate / rates[counts[0]]}
        for w, rate in rates.items()
    ]
    save = runpy.run_path(str(Path(__file__).with_name("tables.py")))["save"]
    save(args.json, __file__, rows, setup)


if __name__ == "__main__":
    main()
