"""`sweeper export STUDY --tensorboard DIR --mlflow URI`: the trials where people already look."""

from __future__ import annotations

import argparse
from pathlib import Path

from sweeper.errors import UsageError
from sweeper.urls import STORAGE_HELP, redact, resolve_url

DESCRIPTION = """\
Write a study's trials where people already look at training curves:

  --tensorboard DIR  one TensorBoard run per trial under DIR/<study>/ (metrics per epoch as
                     scalars, parameters in the HParams tab); replaces the study's earlier
                     export there. Needs: pip install 'sweeper[tensorboard]'
  --mlflow URI       one MLflow run per trial in the experiment named after the study
                     (parameters, metrics per epoch, stop reason); exporting again adds only
                     new trials. Needs: pip install 'sweeper[mlflow]'

Reads the storage only; running it during a sweep is safe."""
EPILOG = """\
examples:
  sweeper export digits --tensorboard tb/ && tensorboard --logdir tb/
  sweeper export digits --mlflow sqlite:///mlflow.db
  sweeper export digits --mlflow http://mlflow.example:5000 \\
      --storage postgresql+psycopg://me@db/sweeps"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export",
        help="a study's trials as TensorBoard event files or MLflow runs",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "study", metavar="STUDY", help="a study name in the storage, or its study file"
    )
    parser.add_argument("--storage", metavar="URL", help=STORAGE_HELP)
    parser.add_argument("--tensorboard", metavar="DIR", help="folder for TensorBoard runs")
    parser.add_argument("--mlflow", metavar="URI", help="MLflow tracking URI")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here: the parser above is built for every `sweeper` command, this only to export.
    from sweeper.export import mlflow_runs, tensorboard_runs
    from sweeper.export.source import read_study
    from sweeper.spec import study_name_of

    if not args.tensorboard and not args.mlflow:
        raise UsageError("nothing to export to", "give --tensorboard DIR, --mlflow URI or both")
    url = resolve_url(args.storage)
    study = read_study(url, study_name_of(args.study))
    if args.tensorboard:
        folder, runs = tensorboard_runs.write_runs(study, Path(args.tensorboard))
        print(f"wrote {runs} TensorBoard runs of {study.name} to {folder}/ (from {redact(url)})")
    if args.mlflow:
        written, before = mlflow_runs.log_runs(study, args.mlflow)
        print(
            f"logged {written} runs of {study.name} to MLflow at {redact(args.mlflow)}"
            + (f" ({before} were there already)" if before else "")
        )
    return 0
