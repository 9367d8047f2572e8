"""`sweeper report`: the study's tables in the terminal, and CSV + one HTML file on disk."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sweeper.errors import SweeperError
from sweeper.report import TOP_CURVES
from sweeper.urls import STORAGE_HELP, redact, resolve_url

DESCRIPTION = """\
Rebuild a study's tables and curves from the storage alone (no study file needed):
metric by each searched parameter (with the published reference numbers where the study
carries them), every trial with its outcome and cost, learning curves of the best trials,
parameter importance and parallel coordinates.

Prints the tables and writes, under OUT/<study name>/: trials.csv, epochs.csv,
by_<param>.csv per parameter, cost.csv, importance.csv and report.html (one file,
opens offline)."""
EPILOG = """\
examples:
  sweeper report studies/imagenette_batch.py              # tables + reports/imagenette-batch/
  sweeper report imagenette-batch --by batch_size          # by name, one parameter's table
  sweeper report imagenette-batch --trial 3 7 --format html
  sweeper report my-study --storage postgresql+psycopg://user@db/sweeps --out /tmp/r"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report",
        help="tables, curves, CSV and HTML for a study",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "study",
        metavar="STUDY",
        help="a study file (studies/NAME.py) or a study name in the storage",
    )
    parser.add_argument("--storage", metavar="URL", help=STORAGE_HELP)
    parser.add_argument(
        "--out", metavar="DIR", default="reports", help="folder for the files (default: reports/)"
    )
    parser.add_argument(
        "--format", default="csv,html", help="files to write: csv, html, both (default) or none"
    )
    parser.add_argument(
        "--by", metavar="PARAM", help="print only this parameter's table (all are written)"
    )
    parser.add_argument(
        "--trial",
        metavar="N",
        type=int,
        nargs="+",
        default=[],
        help="trial numbers whose epochs to print and whose curves to draw",
    )
    parser.add_argument(
        "--top",
        metavar="K",
        type=int,
        default=TOP_CURVES,
        help=f"learning curves for the best K trials (default: {TOP_CURVES})",
    )
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here: the parser above is built for every `sweeper` command, this only for reports.
    from rich.console import Console

    from sweeper.names import report_folder
    from sweeper.report import export
    from sweeper.report.build import build_report
    from sweeper.report.terminal import print_report
    from sweeper.spec import study_name_of
    from sweeper.store.engines import open_reader

    formats = parse_formats(args.format)
    name = study_name_of(args.study)
    url = resolve_url(args.storage)
    engine = open_reader(url)
    try:
        report = build_report(
            engine, name, url=url, by=args.by, trials=tuple(args.trial), top=args.top
        )
    finally:
        engine.dispose()
    # Piped into a file or a log, print tables at full width instead of squeezing them to 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=240)
    print_report(report, console, tuple(args.trial))
    if formats:
        out = report_folder(Path(args.out), name)
        written = export.write(report, out, formats)
        console.print(f"wrote {len(written)} files to {out}/ (from {redact(url)})")
    return 0


def parse_formats(text: str) -> tuple:
    """'csv,html' → ('csv', 'html'); 'none' or '' → no files."""
    from sweeper.report.export import FORMATS

    chosen = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if chosen in ((), ("none",)):
        return ()
    unknown = [part for part in chosen if part not in FORMATS]
    if unknown:
        raise SweeperError(
            f"unknown report format {', '.join(map(repr, unknown))}",
            f"use --format with {', '.join(FORMATS)}, both (csv,html) or none",
        )
    return chosen
