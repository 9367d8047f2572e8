"""A report as CSV files and as one self-contained HTML page (plotly.js inlined: opens offline)."""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io
import plotly.offline

from sweeper.report import figures, pareto
from sweeper.report.build import Report
from sweeper.report.frames import finished, param_column
from sweeper.report.tables import describe_counts

FORMATS = ("csv", "html")
# The HTML trials table lists the best this many; trials.csv has them all.
HTML_TRIALS = 300
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1500px; color: #222; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table.table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
table.table th, table.table td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
table.table th { background: #f6f6f6; } table.table td:first-child, table.table th:first-child { text-align: left; }
.muted { color: #777; }
.pair { display: grid; grid-template-columns: fit-content(calc(100% - 400px)) minmax(380px, 1fr);
  gap: 16px; align-items: start; }
/* narrow windows: the table above its figure */
@media (max-width: 1000px) { .pair { grid-template-columns: minmax(0, 1fr); } }
.scroll { overflow-x: auto; min-width: 0; } .pair > div { min-width: 0; }
.fronts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 12px; }
"""


def write(report: Report, out: Path, formats: tuple = FORMATS) -> list[Path]:
    """Writes the chosen formats into `out` (created if needed); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if "csv" in formats:
        for filename, frame in csv_frames(report).items():
            frame.to_csv(out / filename, index=False)
            written.append(out / filename)
    if "html" in formats:
        (out / "report.html").write_text(standalone_html(report), encoding="utf-8")
        written.append(out / "report.html")
    return written


def csv_frames(report: Report) -> dict[str, pd.DataFrame]:
    """File name → frame: trials, epochs, one table per parameter, cost, importance."""
    files = {"trials.csv": report.trials, "epochs.csv": report.epochs}
    for name, table in report.param_tables.items():
        files[f"by_{safe_name(name)}.csv"] = table
    files["cost.csv"] = report.cost
    files["importance.csv"] = report.importance
    if len(report.published) or len(report.not_run):
        files["published.csv"] = report.published
        files["not_run.csv"] = report.not_run
    return files


def safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)


def standalone_html(report: Report) -> str:
    """The whole report as one file; plotly.js is embedded once in the head."""
    title = html.escape(f"{report.study.name} — sweeper report")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{STYLE}</style><script type='text/javascript'>{plotly_js()}</script></head>"
        f"<body>{report_body(report)}</body></html>"
    )


@lru_cache(maxsize=1)
def plotly_js() -> str:
    return plotly.offline.get_plotlyjs()


def report_body(report: Report, trial_link: Callable[[int], str] | None = None) -> str:
    """Header, parameter tables with their figures, curves, cost, importance, trials (HTML).

    Args:
        trial_link: trial number → URL; trial numbers become links (the dashboard's trial pages).
    """
    return report_header(report, trial_link) + "\n" + report_sections(report, trial_link)


def report_header(report: Report, trial_link: Callable[[int], str] | None = None) -> str:
    """The study's name, description, counts and best trial (or Pareto front)."""
    spec, s = report.study.definition, report.summary
    parts = [f"<h1>{html.escape(report.study.name)}</h1>"]
    if spec.get("description"):
        parts.append(f"<p class='description'>{html.escape(spec['description'])}</p>")
    budget = f" of {report.n_trials}" if report.n_trials else ""
    if report.multi_objective:
        front = ", ".join(_link(n, trial_link) for n in report.front) or "none yet"
        best = f"Pareto front: trial {front}"
        metric = "Objectives " + ", ".join(
            f"{html.escape(name)} ({direction})" for name, direction in report.objectives.items()
        )
    else:
        best = (
            f"best {html.escape(report.metric)} <b>{fmt(s['best'])}</b> "
            f"(trial {_link(s['best_trial'], trial_link)}, epoch {fmt(s['best_epoch'])})"
            if s["best"] is not None
            else "no finished trial yet"
        )
        metric = f"Metric {html.escape(report.metric)}, {report.direction}"
    parts.append(
        f"<p>{s['trials']}{budget} trials: {describe_counts(s)} — "
        f"{best}. <span class='muted'>{metric}.</span></p>"
    )
    if len(report.published):
        parts.append(
            "<h2>Published beside measured</h2><p class='muted'>Each published number beside "
            "the run it came from, measured the same way.</p><div class='scroll'>"
            f"{table_html(display(report.published), trial_link)}</div>"
        )
    if len(report.not_run):
        parts.append(
            "<h2>Published, not run</h2><p class='muted'>No trial has run these settings yet."
            f"</p><div class='scroll'>{table_html(display(report.not_run))}</div>"
        )
    if report.multi_objective:
        parts.append(_front_html(report, trial_link))
    return "\n".join(parts)


# How report_sections puts a figure on the page: called with the figure's kind ("history",
# "param", "curves", "front", "importance", "parallel"), what tells it apart from others of its
# kind ({"param": name} or {"cost": column}; {} for the rest) and a function that builds it.
# Building is left to the hook because the dashboard never builds these figures: its page
# draws them in the browser from the data it fetches.
FigureHook = Callable[[str, dict[str, str], Callable[[], go.Figure]], str]


def embedded_figure(kind: str, which: dict[str, str], build: Callable[[], go.Figure]) -> str:
    """report.html's figure hook: the figure built and embedded (figure_html)."""
    return figure_html(build())


def report_sections(
    report: Report,
    trial_link: Callable[[int], str] | None = None,
    trials_table: bool = True,
    figure: FigureHook = embedded_figure,
) -> str:
    """Everything below the header: parameter tables and figures, curves, cost, importance,
    parallel coordinates and (unless `trials_table` is False) the trials table.

    Args:
        figure: renders each figure into the page (see FigureHook).
    """
    s, parts = report.summary, []
    if s["completed"] and not report.multi_objective:
        history = partial(figures.history_figure, report.trials, report.metric, report.direction)
        parts.append("<h2>History</h2>" + figure("history", {}, history))
    for name, table in report.param_tables.items():
        build = partial(
            figures.param_figure, report.trials, name, report.space[name], table, report.metric
        )
        # No figure until a trial has finished: an empty plot says less than the table.
        drawn = figure("param", {"param": name}, build) if s["completed"] else ""
        parts.append(
            f"<h2>{html.escape(report.metric)} by {html.escape(name)}</h2><div class='pair'>"
            f"<div class='scroll'>{table_html(display(table), trial_link)}</div>"
            f"<div>{drawn}</div></div>"
        )
    if len(report.curves):
        curves = partial(figures.curves_figure, report.curves, report.metric)
        parts.append("<h2>Learning curves</h2>" + figure("curves", {}, curves))
    parts.append(
        "<h2>Cost beside accuracy</h2><div class='scroll'>"
        + table_html(display(report.cost))
        + "</div>"
        + _cost_fronts_html(report, figure)
    )
    if len(report.importance):
        importance = partial(figures.importance_figure, report.importance)
        parts.append("<h2>Parameter importance</h2>" + figure("importance", {}, importance))
    if len(report.parallel) > 1 and report.space:
        parallel = partial(figures.parallel_figure, report.parallel, report.space, report.metric)
        parts.append(figure("parallel", {}, parallel))
    if not trials_table:
        return "\n".join(parts)
    shown = report.trials.sort_values(
        "best", ascending=report.direction != "maximize", na_position="last"
    )
    note = (
        f" (the best {HTML_TRIALS} of {len(shown)}; all in trials.csv)"
        if len(shown) > HTML_TRIALS
        else ""
    )
    shown = shown.head(HTML_TRIALS).drop(columns=["trial_id"])
    parts.append(
        f"<h2>Trials{note}</h2><div class='scroll'>{table_html(display(shown), trial_link)}</div>"
    )
    return "\n".join(parts)


def _front_html(report: Report, trial_link) -> str:
    """The front's trials with every objective, and the first two objectives against each other."""
    params = [param_column(name) for name in report.space]
    columns = ["trial", *report.objectives, *[c for c in params if c in report.trials]]
    front = report.trials[report.trials["trial"].isin(report.front)][columns]
    (x, x_dir), (y, y_dir) = list(report.objectives.items())[:2]
    figure = figures.pareto_figure(
        report.trials[report.trials["state"] == "COMPLETE"],
        x,
        y,
        report.front,
        f"{x} ({x_dir})",
        f"{y} ({y_dir})",
        f"Pareto front: {y} against {x}",
    )
    return (
        "<h2>Pareto front</h2><div class='pair'>"
        f"<div class='scroll'>{table_html(display(front), trial_link)}</div>"
        f"<div>{figure_html(figure)}</div></div>"
    )


def _cost_fronts_html(report: Report, figure: FigureHook) -> str:
    """The metric against each recorded cost, its Pareto front drawn and named: which trial
    buys how much accuracy for how many seconds, parameters or megabytes."""
    done = report.trials[finished(report.trials)]
    cells = []
    for cost, trials in report.cost_fronts.items():
        label = pareto.COSTS[cost]
        build = partial(
            figures.pareto_figure,
            done,
            cost,
            "best",
            trials,
            label,
            f"best {report.metric}",
            f"{report.metric} against {label}",
        )
        cells.append(f"<div>{figure('front', {'cost': cost}, build)}</div>")
    return f"<div class='fronts'>{''.join(cells)}</div>" if cells else ""


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """Strings for people: short numbers, blanks for missing, `mean ± std` in one column."""
    shown = frame.copy()
    if "mean" in shown and "std" in shown:
        mean_std = [
            f"{fmt(m)} ± {fmt(s)}" if not pd.isna(s) else fmt(m)
            for m, s in zip(shown["mean"], shown["std"])
        ]
        at = shown.columns.get_loc("mean")
        shown = shown.drop(columns=["mean", "std"])
        shown.insert(at, "mean ± std", mean_std)
    for column in shown.columns:
        shown[column] = [fmt(v) for v in shown[column]]
    return shown


def table_html(shown: pd.DataFrame, trial_link: Callable[[int], str] | None = None) -> str:
    escaped = shown.map(html.escape)
    for column in ("trial", "best_trial"):
        if trial_link and column in escaped:
            escaped[column] = [_link(v, trial_link) for v in shown[column]]
    return escaped.to_html(index=False, escape=False, classes="table", border=0)


def _link(number, trial_link) -> str:
    if number in (None, "") or trial_link is None:
        return html.escape(str(number if number is not None else ""))
    return f"<a href='{html.escape(trial_link(int(number)))}'>{html.escape(str(number))}</a>"


def figure_html(fig) -> str:
    """A figure's div and data, without plotly.js: the page includes that once (inline, or served
    by the dashboard)."""
    return plotly.io.to_html(
        fig, full_html=False, include_plotlyjs=False, config={"displaylogo": False}
    )


def fmt(value) -> str:
    """A value as the tables print it: 4 significant digits, thousands separated, blank if missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
    if isinstance(value, numbers.Real):
        if math.isnan(value):
            return ""
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    return str(value)
