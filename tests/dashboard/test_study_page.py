"""The study page's HTML: the report's sections, each figure a placeholder the page draws, and
what its scripts share with report.figures taken from there, not repeated in the scripts."""

from __future__ import annotations

import json
import re

import pytest

from sweeper.dashboard.app import create_app
from sweeper.dashboard.scripts import DASHBOARD_JS
from sweeper.report import export, figures
from sweeper.report.build import build_report
from sweeper.store.engines import open_reader
from tests.report.conftest import write_known_study


@pytest.fixture
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'known.db'}"
    write_known_study(url)
    return url


def headings(html: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", html)


def test_the_study_page_has_the_reports_sections_with_placeholders(url):
    report = build_report(open_reader(url), "batch")
    sections = export.report_sections(report, trials_table=False)
    page = create_app(url).test_client().get("/study/batch").get_data(as_text=True)
    below = page.split('<table class="table" id="trials">')[1]
    assert headings(below) == headings(sections)
    kinds = re.findall(r"data-figure='(\w+)'", below)
    assert kinds == [
        "history",
        "param",
        "param",
        "curves",
        "front",
        "front",
        "front",
        "importance",
        "parallel",
    ]
    assert sections.count('class="plotly-graph-div"') == len(kinds)
    assert "plotly-graph-div" not in page  # nothing built: the page draws every figure
    assert "data-param='batch_size'" in below and "data-cost='seconds'" in below


def test_a_figure_hook_gets_each_figure_and_builds_it_only_if_it_asks(url):
    report = build_report(open_reader(url), "batch")
    seen = []

    def hook(kind, which, build):
        seen.append((kind, which))
        return f"<figure {kind}>" if kind != "importance" else export.figure_html(build())

    sections = export.report_sections(report, figure=hook)
    assert seen[:3] == [
        ("history", {}),
        ("param", {"param": "batch_size"}),
        ("param", {"param": "lr"}),
    ]
    assert ("front", {"cost": "n_params"}) in seen
    assert sections.count('class="plotly-graph-div"') == 1  # importance, the one built
    assert "<figure parallel>" in sections and "<h2>Trials</h2>" in sections


def test_the_scripts_take_the_figure_settings_from_report_figures(url):
    page = create_app(url).test_client().get("/study/batch").get_data(as_text=True)
    settings = json.loads(re.search(r"figures: (\{.*\}),\n", page)[1])
    assert settings["webgl_points"] == figures.WEBGL_POINTS
    assert settings["not_sampled"] == figures.NOT_SAMPLED
    assert settings["log_costs"] == list(figures.LOG_COSTS)
    assert settings["log_span"] == figures.LOG_SPAN
    assert settings["layout"] == figures.LAYOUT
    assert settings["parallel_layout"] == figures.PARALLEL_LAYOUT
    assert [title for title, _, _ in settings["panels"]] == list(figures.PANELS)
    assert settings["colours"] == list(figures.COLOURS)
    # ... and the scripts do not repeat them (as the string literals they once were).
    for value in (
        figures.NOT_SAMPLED,
        figures.LAYOUT["template"],
        *figures.LOG_COSTS,
        *[column for columns, _ in figures.PANELS.values() for column in columns],
        *figures.COLOURS,
    ):
        assert f'"{value}"'.lower() not in DASHBOARD_JS.lower(), value
