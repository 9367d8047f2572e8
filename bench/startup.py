"""An executor's start-up: from spawning a process to its first training batch ready, against
spawning a bare `python -c "import torch"`, in turn in the same rounds (ABAB...).

Each executor process does what a sweep's executor does before its first step, timed from the
spawn (wall clock, read by both processes):

- python:  the interpreter is up (the first line of the child runs);
- torch:   torch imported and the device set up (sweeper.train.device.setup);
- trainer: the trainer imported (sweeper.train.loop, what fit imports on the first trial);
- data:    the data set loaded (sweeper.train.data.load: decoded, or read from its disk cache);
- batch:   the model built and the first augmented batch ready.

Every round runs the bare spawn, then an executor whose data cache is empty (a fresh cache
folder: the first executor ever), then one that finds the cache the previous one wrote (every
later executor, and every later run). A first, untimed bare spawn warms the page cache. The
ratio is the median over rounds of (executor seconds / bare spawn seconds of the same round):
1.00 would be an executor costing nothing beyond importing torch.

    .venv/bin/python bench/startup.py                    # digits, 4 rounds, about a minute
    .venv/bin/python bench/startup.py --compare ../old   # also times another checkout's sweeper
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("python", "torch", "trainer", "data", "batch")

BARE = "import time; import torch; print(time.time())"

# The executor's steps, each phase's end stamped with time.time(); the last line is JSON.
EXECUTOR = """
import time
stamps = {"python": time.time()}
import json, sys
from sweeper.train import device as devices
device = devices.setup(0, 1, "cpu")
stamps["torch"] = time.time()
from sweeper.train import loop
stamps["trainer"] = time.time()
from sweeper.train import data, models
from sweeper.train.augment import Augment
from sweeper.train.config import TrainConfig
config = TrainConfig.from_dict(json.loads(sys.argv[1]))
loaded = data.load(config, device)
stamps["data"] = time.time()
import torch
torch.manual_seed(config.seed)
model = models.build(config, loaded.train_x.shape[1], loaded.classes).to(device)
augment = Augment(config, loaded.train_x)
x, y, _, _ = augment.train(loaded.train_x[: config.batch_size], loaded.train_y[: config.batch_size])
stamps["batch"] = time.time()
print(json.dumps(stamps))
"""


def spawn(code: str, args: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, str]:
    """(the child's spawn time, its last line of output). It runs in `cwd`, which comes first
    on its sys.path, before PYTHONPATH: the checkout whose sweeper it imports."""
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return start, out.strip().splitlines()[-1]


def phases(start: float, stamps: dict) -> dict:
    """Seconds of each phase (from the previous phase's end; python's from the spawn), and
    'total': the spawn to the first batch."""
    seconds, previous = {}, start
    for name in PHASES:
        seconds[name] = stamps[name] - previous
        previous = stamps[name]
    seconds["total"] = stamps[PHASES[-1]] - start
    return seconds


def ratios(executor_totals: list[float], bare_totals: list[float]) -> list[float]:
    """Executor start-up over bare torch spawn, round by round."""
    return [ours / bare for ours, bare in zip(executor_totals, bare_totals)]


def figures(label: str, runs: list[dict], bare_totals: list[float]) -> dict:
    """The median of each phase and of the total, and the median ratio to the bare spawn."""
    median = statistics.median
    return {
        "label": label,
        "total_s": median(r["total"] for r in runs),
        **{f"{name}_s": median(r[name] for r in runs) for name in PHASES},
        "ratio": median(ratios([r["total"] for r in runs], bare_totals)),
    }


def line(label: str, runs: list[dict], bare_totals: list[float]) -> str:
    """One result line: the median of each phase and of the total, and the median ratio."""
    row = figures(label, runs, bare_totals)
    cells = "  ".join(f"{name} {row[f'{name}_s']:5.2f}" for name in PHASES)
    return f"{label:<28}{row['total_s']:6.2f} s   ({cells})   ratio {row['ratio']:.2f}"


def environment(tree: Path, cache: str) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))
    return env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=4, help="rounds (default 4)")
    parser.add_argument(
        "--config",
        default='{"dataset": "digits", "model": "cnn", "batch_size": 32}',
        help="the trial's settings, JSON (default: the quickstart's digits CNN)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        action="append",
        default=[],
        help="another checkout whose sweeper is timed in the same rounds (repeatable)",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures there (bench/tables.py)"
    )
    args = parser.parse_args()
    trees = {"executor": ROOT, **{f"executor {path}": path.resolve() for path in args.compare}}
    bare_totals: list[float] = []
    runs: dict[str, list[dict]] = {f"{n}, {k}": [] for n in trees for k in ("cold", "warm")}
    with tempfile.TemporaryDirectory() as scratch:
        spawn(BARE, [], environment(ROOT, scratch))  # warms the page cache; not timed
        for round_ in range(args.rounds):
            start, printed = spawn(BARE, [], environment(ROOT, scratch))
            bare_totals.append(float(printed) - start)
            for index, (name, tree) in enumerate(trees.items()):
                cache = f"{scratch}/cache-{round_}-{index}"  # empty: the first executor ever
                for kind in ("cold", "warm"):  # warm: the cache the cold one wrote
                    start, printed = spawn(EXECUTOR, [args.config], environment(tree, cache), tree)
                    runs[f"{name}, {kind}"].append(phases(start, json.loads(printed)))
    setup = f"{args.config}, {args.rounds} rounds in turn, medians"
    print(f"start-up to the first batch, {setup} (seconds; ratio: / bare spawn)")
    bare = "bare python -c import torch"
    print(f"{bare:<28}{statistics.median(bare_totals):6.2f} s")
    for label, measured in runs.items():
        print(line(label, measured, bare_totals))
    table = [{"label": bare, "total_s": statistics.median(bare_totals), "ratio": 1.0}]
    table += [figures(label, measured, bare_totals) for label, measured in runs.items()]
    save = runpy.run_path(str(Path(__file__).with_name("tables.py")))["save"]
    save(args.json, __file__, table, setup)


if __name__ == "__main__":
    main()
