"""A report printed as rich tables: the parameter tables first, as the write-ups print them."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from sweeper.report.build import Report
from sweeper.report.export import display
from sweeper.report.frames import param_column
from sweeper.report.tables import describe_counts

TOP_TRIALS = 10
# Trial columns worth a terminal line; the rest are in trials.csv.
TRIAL_COLUMNS = ["trial", "stop_reason", "best", "best_epoch", "epochs", "seconds"]
EPOCH_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]


def print_report(report: Report, console: Console, trials: tuple = ()) -> None:
    """The summary, the parameter tables (only --by's if given), top trials, cost, importance,
    and the epochs of each trial asked for with --trial."""
    s = report.summary
    budget = f" of {report.n_trials}" if report.n_trials else ""
    console.print(
        f"[bold]{report.study.name}[/]: {s['trials']}{budget} trials — {describe_counts(s)}"
    )
    if report.multi_objective:
        names = ", ".join(f"{name} ({d})" for name, d in report.objectives.items())
        front = ", ".join(map(str, report.front)) or "none yet"
        console.print(f"objectives {names}; Pareto front: trial {front}")
    elif s["best"] is not None:
        console.print(
            f"best {report.metric} {s['best']:.4g} (trial {s['best_trial']}, epoch {s['best_epoch']})"
        )
    if len(report.published):
        console.print(rich_table(display(report.published), "Published beside measured"))
    if len(report.not_run):
        console.print(rich_table(display(report.not_run), "Published, not run"))
    tables = {report.by: report.param_tables[report.by]} if report.by else report.param_tables
    for name, table in tables.items():
        console.print(rich_table(display(table), f"{report.metric} by {name}"))
    params = [param_column(name) for name in report.space if param_column(name) in report.trials]
    top = report.trials.sort_values(
        "best", ascending=report.direction != "maximize", na_position="last"
    )
    columns = ["trial", *params, *TRIAL_COLUMNS[1:]]
    console.print(
        rich_table(
            display(top.head(TOP_TRIALS)[columns]),
            f"Top {min(TOP_TRIALS, len(top))} trials by {report.metric}",
        )
    )
    if report.cost.drop(columns=["trials"]).notna().any().any():
        console.print(rich_table(display(report.cost), "Cost beside accuracy"))
    if len(report.importance):
        console.print(rich_table(display(report.importance), "Parameter importance"))
    for number in trials:
        rows = report.epochs[report.epochs["trial"] == int(number)]
        shown = [c for c in EPOCH_COLUMNS if c in rows and rows[c].notna().any()] or list(
            rows.columns
        )
        console.print(rich_table(display(rows[shown]), f"Trial {number}: epochs"))


def rich_table(shown: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for i, column in enumerate(shown.columns):
        table.add_column(str(column), justify="left" if i == 0 else "right", no_wrap=i > 0)
    for row in shown.itertuples(index=False):
        table.add_row(*row)
    return table
