"""The `sweeper` command: thin parsing over importable functions; user errors become one line, exit 2."""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap

from sweeper.errors import SweeperError, UsageError
from sweeper.urls import STORAGE_HELP


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sweeper",
        description="Hyperparameter sweeps for PyTorch image classifiers on a SQL-backed Optuna study.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent("""\
            examples:
              sweeper run studies/digits.py --workers 2     # a sweep on the CPU, stored in sweeper.db
              sweeper status                               # every study: trials, best, running now
              sweeper report digits --out reports/         # tables, curves, CSV and one HTML file
              sweeper dashboard                            # live view on http://127.0.0.1:8080
            Run `sweeper COMMAND --help` for each command. Study files are Python: run only studies you trust."""),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(commands)
    _add_worker(commands)
    _add_status(commands)
    _add_rerun(commands)
    for module in (
        "sweeper.report.command",
        "sweeper.dashboard.command",
        "sweeper.export.command",
        "sweeper.submit.command",
    ):
        try:
            importlib.import_module(module).add_parser(commands)
        except ModuleNotFoundError as error:
            if not module.startswith(error.name or "\0"):
                raise
    return parser


def _add_sweep_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="executor processes on this machine, each training one trial at a time (default 1)",
    )
    command.add_argument("--storage", metavar="URL", help=STORAGE_HELP)
    command.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="auto: GPUs round-robin when there are any, else the CPU (default auto)",
    )
    command.add_argument(
        "--artifacts",
        default="runs",
        metavar="DIR",
        help="where checkpoints go, runs/<study>/<trial>/ (default runs; a shared path across machines)",
    )
    command.add_argument(
        "--grace-period",
        type=int,
        default=120,
        metavar="SECONDS",
        help="a running trial whose machine has not been heard from for this long is retried elsewhere (default 120)",
    )


def _add_run(commands) -> None:
    command = commands.add_parser(
        "run",
        help="run a study file's trials on this machine",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the trials of a study file until the study's trial budget is used. "
        "Running it again continues the same study up to its budget. With the default pruner "
        "(promoting), trials pause at epochs 1, 3, 9, ... and the best third of each rung "
        "resume from their checkpoints once every trial of their bracket has started (27 "
        "trials for 12 epochs, or the whole budget if smaller), so each is ranked against "
        "enough others; a resumed trial trains on in the checkpoint folder of the trial it "
        "resumes.",
        epilog=textwrap.dedent("""\
            examples:
              sweeper run studies/digits.py --workers 2
              sweeper run studies/digits.py --n-trials 40 --set epochs=5 --set batch_size=32
              sweeper run studies/imagenette_batch.py --storage postgresql+psycopg://me:pw@db/sweeps"""),
    )
    command.add_argument(
        "study", metavar="STUDY_FILE", help="a Python file that defines study = Study(...)"
    )
    _add_sweep_options(command)
    command.add_argument(
        "--n-trials",
        type=int,
        metavar="N",
        help="the study's trial budget, shared by all workers (overrides the file)",
    )
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="pin a training setting for this run, e.g. --set epochs=2 (repeatable; type-checked)",
    )
    command.add_argument(
        "--replace-spec",
        action="store_true",
        help="the storage holds a study of this name with other settings: continue it with this "
        "file's settings (its finished trials stay; without the flag the run is refused)",
    )
    command.set_defaults(handler=_run)


def _add_worker(commands) -> None:
    command = commands.add_parser(
        "worker",
        help="join a study from another machine",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Work on a study stored in a shared database, by name: its spec is stored with it.",
        epilog="example:\n  sweeper worker imagenette-batch --storage postgresql+psycopg://me:pw@db/sweeps --workers 4",
    )
    command.add_argument(
        "study", metavar="STUDY", help="the study's name in the storage, or its study file"
    )
    _add_sweep_options(command)
    command.set_defaults(handler=_worker)


def _add_status(commands) -> None:
    command = commands.add_parser(
        "status",
        help="trials by state, best so far and running trials",
        description="Show every study in the storage, or one in detail.",
        epilog="examples:\n  sweeper status\n  sweeper status digits",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "study",
        nargs="?",
        metavar="STUDY",
        help="a study name or study file (default: all studies)",
    )
    command.add_argument("--storage", metavar="URL", help=STORAGE_HELP)
    command.set_defaults(handler=_status)


def _add_rerun(commands) -> None:
    command = commands.add_parser(
        "rerun",
        help="train one stored trial again and check it reproduces",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a stored trial again from its stored config (no study file needed), "
        "into a scratch folder, with the thread count it trained with, and print its per-epoch "
        "metrics beside the stored ones. Exit code 0 when every epoch matches exactly, 1 when "
        "any differs (another machine, device or library version changes the last bits), "
        "2 for bad input. The storage is only read.",
        epilog="examples:\n  sweeper rerun digits 3\n"
        "  sweeper rerun imagenette-batch 12 --storage postgresql+psycopg://me@db/sweeps",
    )
    command.add_argument("study", metavar="STUDY", help="the study's name, or its study file")
    command.add_argument("trial", metavar="TRIAL", type=int, help="the trial's number")
    command.add_argument("--storage", metavar="URL", help=STORAGE_HELP)
    command.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where to train (default auto: a GPU when there is one); a trial reproduces "
        "exactly only on the kind of device it trained on",
    )
    command.add_argument(
        "--keep",
        metavar="DIR",
        help="train into this new folder and keep its checkpoints (default: a temporary folder)",
    )
    command.set_defaults(handler=_rerun)


def parse_sets(items: list[str]) -> dict[str, str]:
    settings = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r} is not KEY=VALUE", "write e.g. --set epochs=2")
        settings[key.strip()] = value.strip()
    return settings


def _run(args) -> int:
    from sweeper.spec import load_study_file

    study = load_study_file(args.study)
    if args.n_trials is not None and args.n_trials < 1:
        raise UsageError(
            f"--n-trials {args.n_trials} must be 1 or more", "give the number of trials to run"
        )
    study = study.with_overrides(parse_sets(args.set), args.n_trials)
    return _sweep(study, args)


def _worker(args) -> int:
    from sweeper.sweep.study_io import resolve_study
    from sweeper.urls import resolve_url

    return _sweep(resolve_study(args.study, resolve_url(args.storage)), args)


def _sweep(study, args) -> int:
    from sweeper.sweep.runner import run_sweep

    if args.workers < 1:
        raise UsageError(
            f"--workers {args.workers} must be 1 or more", "use --workers 1 for one trial at a time"
        )
    if args.grace_period < 2:
        raise UsageError(
            f"--grace-period {args.grace_period} is too short",
            "give at least a few seconds; the default is 120",
        )
    return run_sweep(
        study,
        args.storage,
        workers=args.workers,
        device=args.device,
        artifacts=args.artifacts,
        grace_period=args.grace_period,
        replace_spec=getattr(args, "replace_spec", False),
    )


def _rerun(args) -> int:
    from sweeper.spec import study_name_of
    from sweeper.sweep.rerun import rerun

    return rerun(study_name_of(args.study), args.trial, args.storage, args.device, args.keep)


def _status(args) -> int:
    from sweeper.sweep.status import show_status

    return show_status(args.study, args.storage)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except SweeperError as error:
        from sweeper.urls import resolve_url, scrub

        # Drivers quote URLs and DSNs in their errors: no secret of the storage gets through.
        print(
            f"error: {scrub(str(error), resolve_url(getattr(args, 'storage', None)))}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
