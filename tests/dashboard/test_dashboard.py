"""The dashboard in a real headless Chromium: study list, study page, trial page, and the live
view following a real sweep (fake trainer) that writes to the same SQLite file."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from sweeper.dashboard.app import create_app
from tests.conftest import cli_env
from tests.report.conftest import write_known_study

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)

LIVE_STUDY = """
from sweeper import Study, choice, loguniform
study = Study(name="live", train=dict(epochs=6), space=dict(lr=loguniform(1e-3, 1.0), batch_size=choice([32, 64])),
              n_trials=4, trainer="tests.fake_trainer:fit", sampler="random", pruner="none", seed=3)
"""


@pytest.fixture
def serve():
    """Starts the dashboard for a storage URL on a free 127.0.0.1 port; returns its base URL."""
    servers = []

    def start(url: str) -> str:
        server = make_server("127.0.0.1", 0, create_app(url), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def test_study_list_study_page_and_trial_page(serve, page, tmp_path):
    url = f"sqlite:///{tmp_path / 'known.db'}"
    write_known_study(url)
    before = (tmp_path / "known.db").read_bytes()
    base = serve(url)

    page.goto(base + "/")
    row = page.locator("#studies tbody tr", has_text="batch")
    row.wait_for()
    assert "6 / 12" in row.inner_text()  # finished + pruned + failed of the budget
    page.screenshot(path=tmp_path / "studies.png", full_page=True)

    row.locator("a").click()
    page.wait_for_url("**/study/batch")
    table = page.locator("table.table", has_text="reference").first
    assert "93.53" in table.inner_text() and "78 ± 2.828" in table.inner_text()
    # The figures are drawn from the data the page fetches after it loads.
    page.wait_for_function(
        "document.querySelectorAll('[data-figure=curves] .scatterlayer .trace').length > 0"
    )
    curves = page.locator(".js-plotly-plot", has_text="Learning curves")
    assert curves.locator(".scatterlayer .trace").count() >= 3  # trials 0, 2, 1 at least
    page.locator("#running tbody", has_text="6").wait_for()  # the running trial 6 in the live table
    page.screenshot(path=tmp_path / "study.png", full_page=True)

    page.locator("a[href$='/trial/2']").first.click()
    page.wait_for_url("**/trial/2")
    assert "Trial 2" in page.locator("h1").inner_text()
    assert "cuda:0" in page.content() and page.locator(".js-plotly-plot").count() == 1
    page.screenshot(path=tmp_path / "trial.png", full_page=True)

    csv = urllib.request.urlopen(base + "/study/batch/files/by_batch_size.csv").read().decode()
    assert csv.splitlines()[0].startswith("batch_size,trials,running,completed,paused")
    with pytest.raises(urllib.error.HTTPError) as refused:  # read-only: nothing accepts a write
        urllib.request.urlopen(
            urllib.request.Request(base + "/study/batch", method="POST", data=b"")
        )
    assert refused.value.code == 405
    assert (tmp_path / "known.db").read_bytes() == before  # browsing every page changed nothing


def test_live_page_follows_a_running_sweep(serve, page, tmp_path, write_study):
    url = f"sqlite:///{tmp_path / 'sweeper.db'}"
    sweep = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sweeper.cli",
            "run",
            str(write_study(LIVE_STUDY)),
            "--storage",
            url,
            "--artifacts",
            str(tmp_path / "runs"),
        ],
        env=cli_env(FAKE_EPOCH_SECONDS=0.5),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = serve_when_running(serve, url, sweep)
        page.goto(base + "/study/live")
        page.evaluate("window.notReloaded = true")
        page.wait_for_function(
            "/^[1-9]/.test(document.querySelector('#running td.epoch')?.textContent || '')"
        )
        first_epoch = int(page.locator("#running td.epoch").first.inner_text())
        page.wait_for_function(
            "document.querySelectorAll('#live-curve .scatterlayer .trace').length > 0"
        )
        page.screenshot(path=tmp_path / "live.png", full_page=True)
        hammer = Hammer(base + "/api/study/live/live")  # many more reads than a person makes
        # The same page, never reloaded, shows later epochs and then finished trials.
        page.wait_for_function(
            f"""() => {{
            const cell = document.querySelector('#running td.epoch');
            return (cell && +cell.textContent > {first_epoch}) || /^[1-9]/.test(document.getElementById('live-status').textContent);
        }}""",
            timeout=30_000,
        )
        page.wait_for_function(
            "/^[1-9] of 4 trials done/.test(document.getElementById('live-status').textContent)",
            timeout=60_000,
        )
        assert page.evaluate("window.notReloaded") is True
        assert not page.locator(
            "#stale"
        ).is_hidden()  # offers a reload for the finished trials' tables
        page.screenshot(path=tmp_path / "live-later.png", full_page=True)
        _, stderr = sweep.communicate(timeout=120)
        hammer.stop()
        assert sweep.returncode == 0, stderr
        assert "locked" not in stderr and hammer.errors == [] and hammer.reads > 10
    finally:
        if sweep.poll() is None:
            sweep.kill()


def serve_when_running(serve, url: str, sweep: subprocess.Popen) -> str:
    """Waits until the sweep has created its study and a trial has run an epoch, then serves."""
    deadline = time.time() + 60
    db = Path(url.removeprefix("sqlite:///"))
    base = None
    while time.time() < deadline:
        assert sweep.poll() is None, sweep.communicate()[1]
        if base is None and db.exists():
            base = serve(url)
        if base and epochs_written(db):
            with urllib.request.urlopen(base + "/api/studies") as response:
                assert b'"live"' in response.read()
            return base
        time.sleep(0.3)
    raise AssertionError("the sweep did not start within 60 s")


def epochs_written(db: Path) -> bool:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        return (
            "sweeper_epochs" in tables
            and connection.execute("SELECT COUNT(*) FROM sweeper_epochs").fetchone()[0] > 0
        )


class Hammer:
    """Reads an endpoint in a loop from another thread, counting reads and errors."""

    def __init__(self, url: str):
        self.url, self.reads, self.errors, self.running = url, 0, [], True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                urllib.request.urlopen(self.url).read()
                self.reads += 1
            except Exception as error:  # any failure is a finding: record it for the assertion
                self.errors.append(repr(error))
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.thread.join()
