"""The study page below its trial table: the report's sections (export.report_sections) with
each figure an empty placeholder that the page fills from the data it fetches
(explorer.study_data), so the HTML stays a few tens of kB at any number of trials."""

from __future__ import annotations

import html
from collections.abc import Callable

from sweeper.report import export
from sweeper.report.build import Report


def study_sections(report: Report, trial_link: Callable[[int], str]) -> str:
    """History, a table and figure per parameter, learning curves, cost beside accuracy with
    its fronts, importance and parallel coordinates: the report's order and tables. The page
    has its own trials table above them."""
    return export.report_sections(report, trial_link, trials_table=False, figure=placeholder)


def placeholder(kind: str, which: dict[str, str], build: Callable) -> str:
    """The figure hook: a div that scripts.py's drawFigures draws by its kind and data-
    attributes. `build` is never called: building every figure is what the page avoids."""
    extra = "".join(f" data-{key}='{html.escape(value)}'" for key, value in which.items())
    return f"<div class='figure' data-figure='{kind}'{extra}></div>"
