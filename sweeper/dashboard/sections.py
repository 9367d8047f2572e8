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
    its fronts, importance and parallel coordinates: the report's order and tables."""
    s, parts = report.summary, []
    if s["finished"] and not report.multi_objective:
        parts.append("<h2>History</h2>" + _figure("history"))
    for name, table in report.param_tables.items():
        figure = _figure("param", param=name) if s["finished"] else ""
        parts.append(
            f"<h2>{html.escape(report.metric)} by {html.escape(name)}</h2><div class='pair'>"
            f"<div class='scroll'>{export.table_html(export.display(table), trial_link)}</div>"
            f"<div>{figure}</div></div>"
        )
    if len(report.curves):
        parts.append("<h2>Learning curves</h2>" + _figure("curves"))
    fronts = "".join(f"<div>{_figure('front', cost=cost)}</div>" for cost in report.cost_fronts)
    parts.append(
        "<h2>Cost beside accuracy</h2><div class='scroll'>"
        + export.table_html(export.display(report.cost))
        + "</div>"
        + (f"<div class='fronts'>{fronts}</div>" if fronts else "")
    )
    if len(report.importance):
        parts.append("<h2>Parameter importance</h2>" + _figure("importance"))
    if len(report.parallel) > 1 and report.space:
        parts.append(_figure("parallel"))
    return "\n".join(parts)


def _figure(kind: str, **data: str) -> str:
    extra = "".join(f" data-{key}='{html.escape(value)}'" for key, value in data.items())
    return f"<div class='figure' data-figure='{kind}'{extra}></div>"
