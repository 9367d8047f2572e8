"""Every dashboard page in real headless Chromium at a laptop's 1280 px, as a person uses it:
nothing scrolls sideways, parallel coordinates draw every finished trial, the trial table
filters and overlays curves, a failed trial shows its traceback, plain Optuna studies (0-based
steps, two objectives, a waiting trial, an infinite value) read right.

Screenshots of each page go to test-artifacts/screenshots/ (gitignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.studies import BEST, TRACEBACK, TRIALS, write_plain_studies, write_wide_study
from tests.dashboard.test_dashboard import ARGS, CHROMIUM, serve  # noqa: F401  (a fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTH = 1280
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)
FINISHED = [n for n, t in enumerate(TRIALS) if t[2].name == "COMPLETE"]


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "sweeper.db"
    url = f"sqlite:///{path}"
    write_wide_study(url)
    write_plain_studies(url)
    return url


@pytest.fixture
def laptop():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 800})
        page.set_default_timeout(20_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
        assert errors == []  # no script on any page failed


def look(page, name: str) -> None:
    """Checks the page does not scroll sideways and keeps a screenshot of it."""
    page.wait_for_load_state("networkidle")
    if page.locator("div.figure[data-figure]").count():  # the study page draws them one by one
        page.locator("body[data-figures=drawn]").wait_for(state="attached")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert overflow <= 0, f"{name}: {overflow} px wider than the {WIDTH} px window"


def test_study_list_fits_a_laptop(serve, laptop, storage):
    laptop.goto(serve(storage) + "/")
    row = laptop.locator("#studies tbody tr", has_text="wide")
    row.wait_for()
    look(laptop, "studies")
    # The long description wraps: every column, best value included, is on screen.
    best = laptop.locator("#studies tbody tr", has_text="wide").locator("td").nth(7)
    assert best.inner_text() == "98.5" and best.bounding_box()["x"] + 20 < WIDTH
    plain = laptop.locator("#studies tbody tr", has_text="plain").locator("td")
    assert plain.nth(6).inner_text() == "1"  # the waiting trial is counted
    pareto = laptop.locator("#studies tbody tr", has_text="pareto").inner_text()
    assert "Pareto front (2 objectives)" in pareto


def test_study_page_parallel_coordinates_filter_and_overlay(serve, laptop, storage):
    laptop.goto(serve(storage) + "/study/wide")
    laptop.locator("#trials tbody tr").first.wait_for()
    look(laptop, "study-wide")

    # Parallel coordinates: a line per finished trial, adam's and adamw's included (momentum
    # "not sampled" for them), the best trial among them.
    dims = laptop.evaluate(
        """() => {
        const plot = [...document.querySelectorAll('.js-plotly-plot')]
            .find(p => p.data && p.data[0].type === 'parcoords');
        return plot._fullData[0].dimensions.map(d => ({label: d.label, values: Array.from(d.values),
                                                  ticktext: d.ticktext || []}));
    }"""
    )
    assert len(dims) == 21  # 20 parameters and the metric
    assert all(len(d["values"]) == len(FINISHED) for d in dims)
    assert all(v is not None for d in dims for v in d["values"])  # nothing for Plotly to drop
    momentum = next(d for d in dims if d["label"] == "momentum")
    assert "not sampled" in momentum["ticktext"]
    assert max(dims[-1]["values"]) == 98.5  # trial 13, adam, the best

    # Filters: by state, by a parameter's range, by stop reason.
    rows = laptop.locator("#trials tbody tr")
    assert rows.count() == len(TRIALS)
    for state in ("COMPLETE", "FAIL", "RUNNING", "WAITING"):
        laptop.locator(f"#state-filter input[value={state}]").uncheck()
    assert sorted(int(t) for t in rows.evaluate_all("rs => rs.map(r => r.dataset.trial)")) == [
        3,
        4,
        9,
        11,
    ]
    laptop.locator("#filters summary").click()
    laptop.locator("#param-filters input[data-param=lr][data-bound=max]").fill("0.25")
    assert sorted(int(t) for t in rows.evaluate_all("rs => rs.map(r => r.dataset.trial)")) == [4]
    laptop.locator("#clear-filters").click()
    laptop.locator("#reason-filter").select_option("failed")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.trial)") == ["7"]
    laptop.locator("#clear-filters").click()
    assert rows.count() == len(TRIALS)

    # Sorting by best, best first; then ticking two trials overlays their curves.
    laptop.locator("#trials th[data-column=best]").click()
    first = rows.first.get_attribute("data-trial")
    if first != str(BEST):  # the first click may sort ascending
        laptop.locator("#trials th[data-column=best]").click()
    assert rows.first.get_attribute("data-trial") == str(BEST)
    laptop.locator(f"#trials tr[data-trial='{BEST}'] input.pick").check()
    laptop.locator("#trials tr[data-trial='0'] input.pick").check()
    laptop.wait_for_function(
        "document.querySelectorAll('#compare .scatterlayer .trace').length >= 10"
    )
    names = laptop.evaluate(
        "[...new Set(document.getElementById('compare').data.map(t => t.name))]"
    )
    panels = laptop.locator("#compare .annotation-text").all_text_contents()
    assert sorted(names) == ["trial 0", f"trial {BEST}"]
    assert panels == ["loss", "accuracy (%)", "learning rate"]
    look(laptop, "study-wide-compare")

    # Cost against accuracy: a Pareto front per cost, its trials named.
    front = laptop.locator(".js-plotly-plot", has_text="val_acc against seconds")
    assert f"trial {BEST}" in front.inner_text()


def test_the_figures_follow_report_figures(serve, laptop, storage, monkeypatch):
    """The page draws with report.figures' settings as the server has them: changed there, the
    figures change, with nothing in the page's scripts to keep in step."""
    from sweeper.report import figures

    monkeypatch.setattr(figures, "WEBGL_POINTS", 3)
    monkeypatch.setattr(figures, "NOT_SAMPLED", "none")
    monkeypatch.setitem(figures.LAYOUT, "height", 360)
    laptop.goto(serve(storage) + "/study/wide")
    laptop.locator("body[data-figures=drawn]").wait_for(state="attached")
    drawn = laptop.evaluate(
        """() => {
        const history = document.querySelector('[data-figure=history]');
        const parallel = document.querySelector('[data-figure=parallel]');
        const momentum = parallel._fullData[0].dimensions.find(d => d.label === 'momentum');
        return {type: history.data[0].type, height: history._fullLayout.height,
                ticks: momentum.ticktext};
    }"""
    )
    assert drawn["type"] == "scattergl" and drawn["height"] == 360  # 14 trials, over 3
    assert "none" in drawn["ticks"] and "not sampled" not in drawn["ticks"]


def test_trial_pages_show_the_traceback_and_epochs(serve, laptop, storage):
    base = serve(storage)
    laptop.goto(base + "/study/wide/trial/7")
    assert "CUDA out of memory" in laptop.locator("h1").inner_text()
    assert laptop.locator("pre.traceback").inner_text() == TRACEBACK
    look(laptop, "trial-failed")
    laptop.goto(base + f"/study/wide/trial/{BEST}")
    laptop.locator(".js-plotly-plot").wait_for()
    assert "val_acc: 98.5" in laptop.locator("body").inner_text()
    look(laptop, "trial-best")


def test_plain_optuna_studies(serve, laptop, storage):
    base = serve(storage)
    laptop.goto(base + "/study/plain")
    laptop.locator("#trials tbody tr").first.wait_for()
    header = laptop.locator("h1 + p").inner_text()
    assert "7 trials" in header and "1 waiting" in header
    assert laptop.locator("#live-curve").is_hidden()  # nothing running: no empty chart
    epochs = {
        row["trial"]: row["epochs"]
        for row in laptop.evaluate(
            "[...document.querySelectorAll('#trials tbody tr')].map(r => ({trial: r.dataset.trial,"
            " epochs: r.children[6].textContent}))"
        )
    }
    assert epochs["0"] == "10" and epochs["1"] == "1"  # steps 0..9; pruned at step 0
    assert "inf" in laptop.locator("#trials tr[data-trial='2']").inner_text()
    look(laptop, "study-plain")
    laptop.goto(base + "/study/plain/trial/1")  # pruned after reporting step 0 only
    epochs = laptop.locator("table.table", has_text="epoch").locator("tbody tr")
    assert epochs.count() == 1 and epochs.locator("td").first.inner_text() == "1"
    look(laptop, "trial-plain-pruned")

    laptop.goto(base + "/study/pareto")
    laptop.locator("#trials tbody tr").first.wait_for()
    body = laptop.locator("body").inner_text()
    assert "Objectives accuracy (maximize), objective: seconds (minimize)" in body
    assert "Pareto front: trial 0, 1, 2, 3, 5" in body
    look(laptop, "study-pareto")
    laptop.goto(base + "/study/pareto/trial/4")
    assert "accuracy: 92" in laptop.locator("body").inner_text()
    assert "seconds: 40" in laptop.locator("body").inner_text()


def test_report_html_fits_a_laptop(laptop, storage, tmp_path):
    from sweeper.report import export
    from sweeper.report.build import build_report
    from sweeper.store.engines import open_reader

    for name in ("wide", "pareto"):
        page = tmp_path / f"{name}.html"
        page.write_text(export.standalone_html(build_report(open_reader(storage), name)))
        laptop.goto(page.as_uri())
        laptop.locator(".js-plotly-plot").first.wait_for()
        look(laptop, f"report-{name}")
