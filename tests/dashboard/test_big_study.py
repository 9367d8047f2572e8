"""The study page of a study with thousands of trials stays light and usable: a small first
response, compact data, and in Chromium the table pages, filters, sorts and overlays, and the
figures drawn from the table's columns hold every trial. Sizes are checked, never times."""

from __future__ import annotations

import gzip
import json
import runpy
import sqlite3
from pathlib import Path

import pytest

from sweeper.dashboard.app import create_app
from tests.dashboard.studies import write_many_trials_study
from tests.dashboard.test_dashboard import ARGS, CHROMIUM, serve  # noqa: F401  (a fixture)

TRIALS = 3000
BENCH = Path(__file__).resolve().parents[2] / "bench" / "report.py"
# At 3,000 trials: HTML about 20 kB, data about 230 kB (55 kB gzipped); the page that inlined
# its figures and a dict per trial was 1.7 MB.
MAX_HTML = 64 * 1024
MAX_DATA = 400 * 1024
MAX_DATA_GZIP = 120 * 1024
FIRST_COMPLETE = "SELECT number FROM trials WHERE state = 'COMPLETE' ORDER BY number LIMIT 2"


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """bench/report.py's study "bench": 80% complete, 15% pruned, 5% failed, 8 epochs each."""
    path = tmp_path_factory.mktemp("big") / "big.db"
    runpy.run_path(str(BENCH))["build_study"](f"sqlite:///{path}", TRIALS, 8)
    return path


def rows_of(path: Path, sql: str) -> list:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_the_study_page_stays_small(big):
    client = create_app(f"sqlite:///{big}").test_client()
    page = client.get("/study/bench")
    assert page.status_code == 200 and len(page.data) < MAX_HTML
    assert b"plotly-graph-div" not in page.data  # no figure inlined

    data = client.get("/api/study/bench/data")
    assert len(data.data) < MAX_DATA
    table = json.loads(data.data)["table"]
    assert table["length"] == TRIALS
    assert all(
        len(c if isinstance(c, list) else c["codes"]) == TRIALS for c in table["data"].values()
    )
    zipped = client.get("/api/study/bench/data", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and len(zipped.data) < MAX_DATA_GZIP
    assert gzip.decompress(zipped.data) == data.data
    # A reload revalidates instead of fetching the data again.
    again = client.get("/api/study/bench/data", headers={"If-None-Match": data.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_a_big_study_filters_sorts_pages_and_overlays(serve, big):
    from playwright.sync_api import sync_playwright

    pruned = {n for (n,) in rows_of(big, "SELECT number FROM trials WHERE state = 'PRUNED'")}
    complete = rows_of(big, "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'")[0][0]
    best = rows_of(
        big,
        "SELECT t.number FROM trials t JOIN trial_values v USING (trial_id) "
        "WHERE t.state = 'COMPLETE' ORDER BY v.value DESC LIMIT 1",
    )[0][0]
    base = serve(f"sqlite:///{big}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Chromium keeps 16 WebGL contexts a page and drops the oldest past that: a figure
        # drawn, then blanked.
        page.on("console", lambda m: "WebGL contexts" in m.text and errors.append(m.text))
        page.goto(base + "/study/bench")
        rows = page.locator("#trials tbody tr")
        rows.first.wait_for()
        shown = lambda: [int(t) for t in rows.evaluate_all("rs => rs.map(r => r.dataset.trial)")]  # noqa: E731
        count = page.locator("#shown-count")
        assert count.inner_text() == f"{TRIALS} of {TRIALS} trials"
        assert rows.count() == 100  # one page drawn, not 3,000 rows
        assert shown()[0] == best  # sorted by best, best first

        # The parallel coordinates hold every complete trial, drawn from the table's columns.
        page.locator("body[data-figures=drawn]").wait_for(state="attached")
        lines = page.evaluate(
            "document.querySelector('[data-figure=parallel]')._fullData[0]"
            ".dimensions.map(d => d.values.length)"
        )
        assert set(lines) == {complete}

        first_page = shown()
        page.locator("#page-next").click()
        assert "rows 101–200" in page.locator("#page-info").inner_text()
        assert not set(shown()) & set(first_page)

        for state in ("COMPLETE", "FAIL"):
            page.locator(f"#state-filter input[value={state}]").uncheck()
        assert count.inner_text() == f"{len(pruned)} of {TRIALS} trials"
        assert "rows 1–100" in page.locator("#page-info").inner_text()  # back to page 1
        page.locator("#filters summary").click()
        page.locator("#param-filters input[data-param=lr][data-bound=max]").fill("0.001")
        kept = shown()
        assert kept and set(kept) <= pruned
        lr = rows_of(
            big,
            "SELECT t.number, p.param_value FROM trial_params p JOIN trials t "
            "USING (trial_id) WHERE p.param_name = 'lr'",
        )
        expected = {n for n, value in lr if value <= 0.001} & pruned
        assert count.inner_text() == f"{len(expected)} of {TRIALS} trials"
        page.locator("#clear-filters").click()
        assert count.inner_text() == f"{TRIALS} of {TRIALS} trials"

        # Sort by trial number, then overlay the curves of the first two complete trials.
        page.locator("#trials th[data-column=trial]").click()
        if shown()[0] != 0:  # the first click may sort descending
            page.locator("#trials th[data-column=trial]").click()
        assert shown()[:3] == [0, 1, 2]
        picked = [n for (n,) in rows_of(big, FIRST_COMPLETE)]
        for number in picked:
            page.locator(f"#trials tr[data-trial='{number}'] input.pick").check()
        page.wait_for_function(
            "document.querySelectorAll('#compare .scatterlayer .trace').length >= 10"
        )
        names = page.evaluate(
            "[...new Set(document.getElementById('compare').data.map(t => t.name))]"
        )
        assert sorted(names) == sorted(f"trial {n}" for n in picked)
        browser.close()
    assert errors == []


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_many_webgl_figures_none_blanked(serve, tmp_path):
    """1,200 trials over 10 parameters: a history and 10 figures of more than 1,000 points,
    each of which would be WebGL (2 of Chromium's 16 contexts a page) and the oldest blanked;
    past 6 the page draws them in SVG."""
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'many.db'}"
    write_many_trials_study(url, 1200, 10)
    base = serve(url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        warnings = []
        page.on("console", lambda m: "WebGL contexts" in m.text and warnings.append(m.text))
        page.goto(base + "/study/many")
        page.locator("body[data-figures=drawn]").wait_for(state="attached")
        page.wait_for_load_state("networkidle")
        kinds = page.evaluate(
            "[...document.querySelectorAll('[data-figure=param]')]"
            ".map(d => d.data[0].type + ' ' + d.data[0].x.length)"
        )
        browser.close()
    assert warnings == []
    assert len(kinds) == 10 and all(kind.endswith(" 1200") for kind in kinds)
    assert 0 < sum(kind.startswith("scattergl") for kind in kinds) < 10
