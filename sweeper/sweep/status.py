"""`sweeper status`: studies, trial counts by state, best value and params, what is running now.

Read-only, through the report's reader: status never creates a file or a table, never switches
a SQLite file to WAL, and reads studies plain Optuna wrote as well as sweeper's own.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from sweeper.outcomes import STATUSES
from sweeper.report.sql import list_studies
from sweeper.spec import study_name_of
from sweeper.store import reads
from sweeper.store.engines import open_reader
from sweeper.sweep.progress import make_console
from sweeper.urls import redact, resolve_url

# Statuses that get a column even when no study has any (the others appear when one has).
ALWAYS_SHOWN = ("running", "waiting", "completed", "pruned", "failed")


def show_status(reference: str | None, storage: str | None, console: Console | None = None) -> int:
    console = console or make_console()
    url = resolve_url(storage)
    engine = open_reader(url)
    try:
        studies = list_studies(engine)
        if reference:
            name = study_name_of(reference)
            reads.find_study(engine, name, url)  # one message for an unknown study, as report's
            studies = studies[studies.name == name]
        if studies.empty:
            console.print(
                f"no studies in {redact(url)} yet; start one with `sweeper run studies/digits.py`"
            )
            return 0
        shown = [s for s in STATUSES if s in ALWAYS_SHOWN or studies[s].any()]
        with engine.connect() as connection:
            records = studies.to_dict(orient="records")
            rows = [_row(connection, study, shown) for study in records]
            running = [
                (study["name"], _running(connection, study["study_id"]))
                for study in records
                if study["running"]
            ]
    finally:
        engine.dispose()
    table = Table(title=f"studies in {redact(url)}")
    for column in ("study", "trials", *shown, "best", "best trial params"):
        table.add_column(
            column, justify="left" if column.startswith(("study", "best t")) else "right"
        )
    for row in rows:
        table.add_row(*row)
    console.print(table)
    for name, trials in running:
        now = Table(title=f"running in {name}")
        for column in ("trial", "epoch", "host", "device", "started"):
            now.add_column(column)
        for trial in trials:
            now.add_row(*trial)
        console.print(now)
    return 0


def _row(connection: sa.Connection, study: dict, shown: list[str]) -> list[str]:
    """A study's line: its trials (of its budget) by status, and its best trial."""
    budget = f"/{int(study['n_trials'])}" if pd.notna(study["n_trials"]) else ""
    numbers = [f"{study['trials']}{budget}", *(str(study[s]) for s in shown)]
    best = _best(connection, study["study_id"], study["direction"])
    if best is None:
        return [study["name"], *numbers, "-", ""]
    number, value = best
    return [
        study["name"],
        *numbers,
        f"{value:.4g} (#{number})",
        _params(connection, study["study_id"], number),
    ]


def _best(connection: sa.Connection, study_id: int, direction: str) -> tuple[int, float] | None:
    return reads.best_complete(connection, study_id, direction)


def _running(connection: sa.Connection, study_id: int) -> list[tuple[str, ...]]:
    frame = reads.running_trials(connection, study_id)
    return [
        (
            str(r.number),
            str(int(r.epoch)) if pd.notna(r.epoch) else "0",
            r.host or "-",
            r.device or "-",
            str(r.datetime_start)[:19],
        )
        for r in frame.itertuples()
    ]


def _params(connection: sa.Connection, study_id: int, number: int) -> str:
    from optuna.distributions import json_to_distribution

    rows = reads.best_trial_params(connection, study_id, number)
    shown = []
    for name, value, distribution_json in rows:
        external = json_to_distribution(distribution_json).to_external_repr(value)
        shown.append(
            f"{name}={external:.4g}" if isinstance(external, float) else f"{name}={external}"
        )
    return " ".join(shown)
