"""Report frames on a study with known values, the exported files, and the command's errors."""

from __future__ import annotations

import argparse
import math
import re
import uuid

import optuna
import pandas as pd
import pytest

from sweeper.errors import SweeperError
from sweeper.report import command, export
from sweeper.report.build import build_report
from sweeper.report.sql import list_studies
from sweeper.report.tables import param_table
from sweeper.store.engines import open_reader
from sweeper.store.reads import find_study
from tests.pg import postgres_url  # noqa: F401 (fixture)
from tests.report.conftest import write_known_study

NA = None  # a missing value in an expected row


def rows(frame: pd.DataFrame) -> list[list]:
    """Frame rows as plain lists, NaN/NA as None and floats rounded, for exact comparison."""

    def plain(value):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        return round(float(value), 4) if isinstance(value, float) else value

    return [[plain(v) for v in row] for row in frame.astype(object).itertuples(index=False)]


@pytest.fixture
def report(known_url):
    return build_report(open_reader(known_url), "batch", trials=(3,))


def test_batch_size_table_has_the_write_ups_shape_with_reference(report):
    table = report.param_tables["batch_size"]
    assert list(table.columns) == [
        "batch_size",
        "trials",
        "running",
        "completed",
        "paused",
        "pruned",
        "diverged",
        "failed",
        "best",
        "reference",
        "final",
        "mean",
        "std",
        "best_trial",
        "best_epoch",
    ]
    assert rows(table) == [
        [32, 3, 1, 2, 0, 0, 0, 0, 80.0, 93.53, 78.0, 78.0, 2.8284, 0, 3],
        [64, 3, 0, 1, 0, 1, 1, 0, 85.0, 94.11, 83.0, 85.0, NA, 2, 2],
        [128, 1, 0, 0, 0, 0, 0, 1, NA, NA, NA, NA, NA, NA, NA],
    ]


def test_log_parameter_is_binned_by_decades_of_its_range(report):
    table = report.param_tables["lr"]
    assert "reference" not in table
    assert rows(table) == [
        ["0.0001–0.000398", 1, 0, 0, 0, 0, 0, 1, NA, NA, NA, NA, NA, NA],
        ["0.000398–0.00158", 1, 0, 1, 0, 0, 0, 0, 76.0, 76.0, 76.0, NA, 1, 4],
        ["0.00158–0.00631", 0, 0, 0, 0, 0, 0, 0, NA, NA, NA, NA, NA, NA],
        ["0.00631–0.0251", 3, 1, 2, 0, 0, 0, 0, 85.0, 83.0, 82.5, 3.5355, 2, 2],
        ["0.0251–0.1", 2, 0, 0, 0, 1, 1, 0, NA, NA, NA, NA, NA, NA],
    ]


def test_uniform_parameter_gets_quantile_bins():
    trials = pd.DataFrame(
        {
            "trial": range(10),
            "state": "COMPLETE",
            "outcome": "completed",
            "dropout": [i / 10 for i in range(10)],
            "best": [float(i) for i in range(10)],
            "best_epoch": [1] * 10,
        }
    )
    table = param_table(trials, "dropout", {"kind": "uniform", "low": 0.0, "high": 1.0}, "minimize")
    assert table["dropout"].tolist() == [
        "0–0.18",
        "0.18–0.36",
        "0.36–0.54",
        "0.54–0.72",
        "0.72–0.9",
    ]
    assert table["trials"].tolist() == [2, 2, 2, 2, 2]
    assert table["best"].tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]  # minimize: the lowest of each bin


def test_trials_frame_rows(report):
    t = report.trials
    assert t.columns[:6].tolist() == [
        "trial",
        "state",
        "outcome",
        "stop_reason",
        "batch_size",
        "lr",
    ]
    columns = [
        "trial",
        "state",
        "outcome",
        "stop_reason",
        "batch_size",
        "lr",
        "best",
        "final",
        "best_epoch",
        "epochs",
        "pruned_at",
        "n_params",
    ]
    assert rows(t[columns]) == [
        # Written as an earlier sweeper did (a stop reason, no record): read as it meant.
        [0, "COMPLETE", "completed", "completed", 32, 0.01, 80.0, 78.0, 3, 4, NA, 11_000_000],
        [1, "COMPLETE", "completed", "completed", 32, 0.001, 76.0, 76.0, 4, 4, NA, 11_000_000],
        [2, "COMPLETE", "completed", "completed", 64, 0.01, 85.0, 83.0, 2, 4, NA, 22_000_000],
        [3, "PRUNED", "pruned", "pruned", 64, 0.05, 25.0, 25.0, 2, 2, 2, 22_000_000],
        [
            4,
            "COMPLETE",
            "diverged",
            "diverged: loss is NaN",
            64,
            0.09,
            10.0,
            10.0,
            1,
            3,
            NA,
            22_000_000,
        ],
        [
            5,
            "FAIL",
            "failed",
            "failed: CUDA out of memory",
            128,
            0.0001,
            NA,
            NA,
            NA,
            NA,
            NA,
            44_000_000,
        ],
        [6, "RUNNING", "running", "running", 32, 0.02, 65.0, 65.0, 2, 2, NA, 11_000_000],
    ]
    assert t["host"].tolist() == ["box"] * 7


def test_summary_cost_curves_and_importance(report):
    assert report.summary == {
        "trials": 7,
        "running": 1,
        "waiting": 0,
        "completed": 3,
        "paused": 0,
        "pruned": 1,
        "diverged": 1,
        "failed": 1,
        "gave up": 0,
        "lost": 0,
        "best_trial": 2,
        "best": 85.0,
        "best_epoch": 2,
    }
    cost = report.cost[["batch_size", "trials", "n_params", "seconds", "peak_mem_mb", "best"]]
    assert rows(cost) == [
        [32, 3, 11_000_000, 33.3333, 320.0, 80.0],
        [64, 3, 22_000_000, 30.0, 640.0, 85.0],
        [128, 1, 44_000_000, 0.0, 1280.0, NA],
    ]
    # Asked-for trial first, then the best trial of each batch size, then the overall top.
    assert report.curve_trials == [3, 0, 2, 1]
    assert sorted(report.curves["trial"].unique()) == [0, 1, 2, 3]
    assert set(report.importance["param"]) == {"batch_size", "lr"}
    assert report.importance["importance"].sum() == pytest.approx(1.0)
    assert report.parallel["trial"].tolist() == [0, 1, 2, 4]


def test_exports_exist_and_parse(report, tmp_path):
    written = export.write(report, tmp_path)
    assert sorted(p.name for p in written) == sorted(
        [
            "trials.csv",
            "epochs.csv",
            "by_batch_size.csv",
            "by_lr.csv",
            "cost.csv",
            "importance.csv",
            "published.csv",
            "not_run.csv",
            "report.html",
        ]
    )
    trials = pd.read_csv(tmp_path / "trials.csv")
    assert trials["best"].tolist()[:3] == [80.0, 76.0, 85.0] and len(trials) == 7
    epochs = pd.read_csv(tmp_path / "epochs.csv")
    assert len(epochs) == 4 + 4 + 4 + 2 + 3 + 2 and {"train_loss", "val_acc", "lr"} <= set(
        epochs.columns
    )
    by_batch = pd.read_csv(tmp_path / "by_batch_size.csv")
    assert by_batch["reference"].tolist()[:2] == [93.53, 94.11]
    page = (tmp_path / "report.html").read_text()
    assert "<table" in page and "93.53" in page and "78 ± 2.828" in page
    assert '"type":"parcoords"' in page and '"type":"scatter"' in page and '"val_acc"' in page
    assert not re.search(r"<script[^>]+src=", page), "the page must open offline"
    assert "Plotly" in page and len(page) > 1_000_000  # plotly.js itself is inlined


def parse(*argv):
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    return parser.parse_args(["report", *argv])


def test_command_by_name_without_study_file(known_url, tmp_path, capsys):
    args = parse(
        "batch",
        "--storage",
        known_url,
        "--out",
        str(tmp_path),
        "--by",
        "batch_size",
        "--trial",
        "3",
    )
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert (
        "val_acc by batch_size" in out and "val_acc by lr" not in out and "Trial 3: epochs" in out
    )
    assert (tmp_path / "batch" / "report.html").is_file() and (
        tmp_path / "batch" / "trials.csv"
    ).is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nosuch"], "no study named 'nosuch'"),
        (["batch", "--by", "momentum"], "has no parameter 'momentum'"),
        (["batch", "--format", "pdf"], "unknown report format 'pdf'"),
        (["batch", "--trial", "99"], "has no trial 99"),
    ],
)
def test_user_errors_say_what_is_valid(known_url, tmp_path, argv, message):
    args = parse(*argv, "--storage", known_url, "--out", str(tmp_path))
    with pytest.raises(SweeperError) as error:
        args.handler(args)
    assert message in error.value.what
    assert {"nosuch": "batch", "momentum": "batch_size, lr", "pdf": "csv, html", "99": "0–6"}[
        argv[-1]
    ] in error.value.fix


def test_missing_storage_file_is_not_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'absent.db'}"
    with pytest.raises(SweeperError, match="no storage"):
        open_reader(url)
    assert not (tmp_path / "absent.db").exists()


def test_a_storage_whose_tables_optuna_is_still_creating_reads_as_empty(tmp_path):
    # The dashboard may read a new SQLite file between two of Optuna's CREATE TABLEs.
    import sqlite3

    path = tmp_path / "new.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE studies (study_id INTEGER PRIMARY KEY, study_name VARCHAR(512))"
        )
        connection.execute("INSERT INTO studies VALUES (1, 'early')")
    engine = open_reader(f"sqlite:///{path}")
    assert list_studies(engine).empty
    with pytest.raises(SweeperError) as error:
        find_study(engine, "early")
    assert "no studies yet" in error.value.fix


def test_plain_optuna_study_reports_from_intermediate_values(tmp_path):
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    study = optuna.create_study(storage=url, study_name="plain", direction="minimize")

    def objective(trial):
        x = trial.suggest_float("x", -4, 4)
        for step in range(3):
            trial.report((x - 1) ** 2 + 1 / (step + 1), step)
        return (x - 1) ** 2

    study.optimize(objective, n_trials=12)
    report = build_report(open_reader(url), "plain")
    assert report.metric == "value" and report.direction == "minimize"
    assert report.summary["best"] == pytest.approx(study.best_value)
    assert report.trials["epochs"].tolist() == [3] * 12  # steps 0, 1, 2: three epochs
    assert report.param_tables["x"]["trials"].sum() == 12
    assert len(report.curves) and "value" in report.curves


def test_same_report_on_postgresql(postgres_url, report):
    name = f"batch-{uuid.uuid4().hex[:8]}"  # the session's server is shared by other tests
    write_known_study(postgres_url, name)
    on_pg = build_report(open_reader(postgres_url), name, trials=(3,))
    for param, table in report.param_tables.items():
        assert rows(on_pg.param_tables[param]) == rows(table)
    columns = [c for c in report.trials.columns if c not in ("started", "completed", "trial_id")]
    assert rows(on_pg.trials[columns]) == rows(report.trials[columns])
    assert rows(on_pg.epochs.drop(columns="trial_id")) == rows(
        report.epochs.drop(columns="trial_id")
    )
    assert on_pg.summary == report.summary


def test_outcomes_are_exclusive_whatever_state_a_diverged_trial_has():
    trials = pd.DataFrame(
        {
            "trial": range(4),
            "opt": ["sgd"] * 4,
            "best": [90.0, 10.0, 10.0, 50.0],
            "best_epoch": [3, 1, 1, 2],
            "state": ["COMPLETE", "COMPLETE", "PRUNED", "PRUNED"],
            "outcome": ["completed", "diverged", "diverged", "pruned"],
        }
    )
    table = param_table(trials, "opt", {"kind": "choice", "values": ["sgd"]}, "maximize")
    assert rows(
        table[["trials", "running", "completed", "pruned", "diverged", "failed", "best"]]
    ) == [[4, 0, 1, 1, 2, 0, 90.0]]
