"""The study page's trial table as plain JSON: rows, columns and what each can be filtered by.

The browser sorts, filters and selects on these rows (sweeper/dashboard/scripts.py); the
rows come from the cached report, so opening the page costs no extra SQL.
"""

from __future__ import annotations

from sweeper.dashboard.live import clean
from sweeper.report.build import Report
from sweeper.report.frames import param_column

# Trials-frame columns the table shows before the objectives and parameters.
LEADING = ["trial", "state", "stop_reason", "best", "best_epoch", "epochs"]
# ... and after them: what a trial cost.
TRAILING = ["seconds", "n_params", "peak_mem_mb"]


def trial_table(report: Report) -> dict:
    """Rows (one dict per trial), column order, and the filter for each parameter: the choices
    of a categorical one, the low/high of a numeric one."""
    frame = report.trials
    params = [
        {
            "name": name,
            "column": param_column(name),
            "kind": dim.get("kind"),
            "values": list(dim["values"]) if dim.get("kind") == "choice" else None,
        }
        for name, dim in report.space.items()
        if param_column(name) in frame
    ]
    # Cost columns nothing recorded (plain Optuna) would be a column of blanks.
    costs = [c for c in TRAILING if c in frame and frame[c].notna().any()]
    # Several objectives: each has its column, and `best` (the first one's) would only repeat it.
    leading = [c for c in LEADING if c != "best"] if report.multi_objective else LEADING
    columns = [
        *leading,
        *report.objectives,
        *[p["column"] for p in params],
        *costs,
    ]
    return clean(
        {
            "columns": columns,
            "rows": frame[columns].to_dict(orient="records"),
            "params": params,
            "metric": report.metric,
            "direction": report.direction,
        }
    )
