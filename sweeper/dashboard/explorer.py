"""The study page's data as one compact JSON document, fetched by the page after it loads.

The trial table goes as column arrays (not one dict per trial), with repeated strings (state,
stop reason) sent once and referenced by index, and floats cut to 6 significant digits. The
browser rebuilds the rows, sorts, filters and pages them, and draws every one-point-per-trial
figure (history, metric by parameter, cost fronts, parallel coordinates) from those same
columns (sweeper/dashboard/scripts.py), so a trial's numbers cross the wire once, not once per
figure. Only the small figures (top trials' learning curves, importance) come built by Plotly.

At 10,000 trials this is about 0.7 MB (0.2 MB gzipped) against 5.5 MB for the page that
inlined every figure and a dict per row; see bench/dashboard.py.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import plotly.io

from sweeper.dashboard.live import clean
from sweeper.outcomes import Outcome
from sweeper.report import figures, pareto
from sweeper.report.build import Report
from sweeper.report.frames import outcomes, param_column

# Trials-frame columns the table shows before the objectives and parameters.
LEADING = ["trial", "state", "outcome", "stop_reason", "best", "best_epoch", "epochs"]
# ... and after them: what a trial cost.
TRAILING = ["seconds", "n_params", "peak_mem_mb"]
DIGITS = 6  # significant digits a float keeps on the wire...
SHOWN = 4  # ... and those the page prints (fmt() in scripts.py)
# A text column with at most this share of distinct values goes as levels + codes.
LEVELS_SHARE = 0.5


def trial_table(report: Report) -> dict:
    """Columns (their order in the table), each column's values, and the filter for each
    parameter: the choices of a categorical one, the low/high of a numeric one. `data` also
    holds `outcome` (completed, paused, pruned, …: sweeper/outcomes.py), which the figures
    select trials by."""
    frame = report.trials
    params = []
    for name, dim in report.space.items():
        if param_column(name) not in frame:
            continue
        choice = dim.get("kind") == "choice"
        params.append(
            {
                "name": name,
                "column": param_column(name),
                "kind": dim.get("kind"),
                "values": list(dim["values"]) if choice else None,
                # How report.figures labels a choice (str() in Python: True, 1.0).
                "labels": [str(v) for v in dim["values"]] if choice else None,
                "log": bool(dim.get("log") or dim.get("kind") == "loguniform"),
            }
        )
    # Cost columns nothing recorded (plain Optuna) would be a column of blanks.
    costs = [c for c in TRAILING if c in frame and frame[c].notna().any()]
    # Several objectives: each has its column, and `best` (the first one's) would only repeat it.
    leading = [c for c in LEADING if c != "best"] if report.multi_objective else LEADING
    columns = [*leading, *report.objectives, *[p["column"] for p in params], *costs]
    data = {column: _column(frame[column]) for column in dict.fromkeys([*columns, "best"])}
    data["outcome"] = _column(outcomes(frame))
    return {
        "columns": columns,
        "length": len(frame),
        "data": data,
        "params": params,
        "metric": report.metric,
        "direction": report.direction,
    }


def study_data(report: Report) -> dict:
    """What the study page fetches: the trial table, and what its figures need beyond it."""
    published = {}
    for name, table in report.param_tables.items():
        if "reference" in table:
            ref = table.dropna(subset=["reference"])
            published[name] = {"x": ref[name].tolist(), "y": ref["reference"].tolist()}
    return clean(
        {
            "table": trial_table(report),
            "multi_objective": report.multi_objective,
            "published": published,
            "cost_fronts": {
                cost: {"label": pareto.COSTS[cost], "front": trials}
                for cost, trials in report.cost_fronts.items()
            },
            "figures": {
                name: _plotly(figure)
                for name, figure in _built_figures(report).items()
                if figure is not None
            },
            # Every figure's look (Plotly's plotly_white), sent once instead of in each figure.
            "template": plotly.io.templates[figures.LAYOUT["template"]].to_plotly_json(),
        }
    )


def figure_settings() -> dict:
    """What the page's scripts share with report.figures (layout, WebGL threshold, log-scaled
    costs, curve panels, colours), read from there so both draw alike. Rendered into the study
    page, not sent in study_data: that is revalidated by the study's version, and a browser
    would keep an old copy across a restart onto changed code."""
    return {
        "webgl_points": figures.WEBGL_POINTS,
        "not_sampled": figures.NOT_SAMPLED,
        "log_costs": list(figures.LOG_COSTS),
        "log_span": figures.LOG_SPAN,
        "layout": figures.LAYOUT,
        "parallel_layout": figures.PARALLEL_LAYOUT,
        "panels": [[title, columns, log] for title, (columns, log) in figures.PANELS.items()],
        "colours": list(figures.COLOURS),
        # The outcome of the trials the figures draw (their values are comparable).
        "completed": Outcome.COMPLETED.value,
    }


def to_json(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def _built_figures(report: Report) -> dict:
    """The figures too small to be worth drawing in the browser, built as the report builds them."""
    return {
        "curves": figures.curves_figure(report.curves, report.metric)
        if len(report.curves)
        else None,
        "importance": figures.importance_figure(report.importance)
        if len(report.importance)
        else None,
    }


def _plotly(figure) -> dict:
    """A figure as plotly.js takes it, without its template (the page applies it)."""
    shown = json.loads(plotly.io.to_json(figure, validate=False))
    shown["layout"].pop("template", None)
    return shown


def _column(values: pd.Series):
    """A column as a JSON list, or as {"levels": [...], "codes": [...]} when it is text that
    repeats (state, stop reason). Floats keep DIGITS significant digits."""
    values = values.astype(object).where(values.notna(), None)
    items = values.tolist()
    if any(isinstance(v, str) for v in items):
        levels = list(dict.fromkeys(items))
        if len(levels) <= max(8, LEVELS_SHARE * len(items)):
            code = {level: i for i, level in enumerate(levels)}
            return {"levels": levels, "codes": [code[v] for v in items]}
    return [_short(v) for v in items]


def _short(value):
    """A float cut to DIGITS significant digits, unless the cut would change what the page
    prints (4 digits): 0.5810500 cut to 0.58105 would print 0.5810, not 0.5811."""
    if isinstance(value, float) and math.isfinite(value):
        short = float(f"{value:.{DIGITS}g}")
        return short if f"{short:.{SHOWN}g}" == f"{value:.{SHOWN}g}" else value
    return value
