"""sweeper's dashboard beside optuna-dashboard on the same SQLite study: everything
optuna-dashboard's JSON API reports for the study (trials per state, the best value and trial,
each trial's params, conditional ones included, and its intermediate values) is on sweeper's
study page too, as Chromium shows it. Screenshots of both pages go to
test-artifacts/side-by-side/ for a person to compare."""

from __future__ import annotations

import json
import math
import threading
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import run_cli
from tests.dashboard.test_dashboard import ARGS, CHROMIUM, serve  # noqa: F401  (a fixture)

optuna_dashboard = pytest.importorskip("optuna_dashboard")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "side-by-side"
# momentum only for SGD; dropout >= 0.9 makes the fake trainer crash (a failed trial).
STUDY = """
from sweeper import Study, choice, loguniform, uniform
study = Study(name="side", train=dict(epochs=6),
              space=dict(optimizer=choice(["sgd", "adam"]), lr=loguniform(1e-3, 1.0),
                         momentum=uniform(0.5, 0.99, when={"optimizer": "sgd"}),
                         dropout=uniform(0.0, 0.95), batch_size=choice([32, 64])),
              n_trials=16, trainer="tests.fake_trainer:fit", sampler="random",
              pruner="median", seed=11)
"""
STATES = {"Complete": "complete", "Pruned": "pruned", "Fail": "failed"}


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("side")
    (folder / "study.py").write_text(STUDY)
    url = f"sqlite:///{folder / 'sweeper.db'}"
    done = run_cli("run", folder / "study.py", "--storage", url, "--artifacts", folder / "runs")
    assert done.returncode == 0, done.stderr
    return url


@pytest.fixture
def optuna_app(storage):
    server = make_server("127.0.0.1", 0, optuna_dashboard.wsgi(storage), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def get_json(url: str):
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())


def shown(value: str) -> str:
    """A parameter's value as sweeper's table prints it (4 significant digits)."""
    try:
        number = float(value)
    except ValueError:
        return value
    return f"{number:.4g}" if not number.is_integer() else str(int(number))


def test_sweeper_shows_what_optuna_dashboard_reports(serve, optuna_app, storage):
    from playwright.sync_api import sync_playwright

    studies = get_json(optuna_app + "/api/studies")["study_summaries"]
    study_id = next(s["study_id"] for s in studies if s["study_name"] == "side")
    detail = get_json(f"{optuna_app}/api/studies/{study_id}")
    trials = {t["number"]: t for t in detail["trials"]}
    states = Counter(t["state"] for t in trials.values())
    assert set(states) <= set(STATES) and states["Complete"] and len(trials) == 16
    conditional = [t for t in trials.values() if "momentum" not in {p["name"] for p in t["params"]}]
    assert conditional  # adam trials: no momentum
    (best,) = detail["best_trials"]

    base = serve(storage)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(30_000)

        page.goto(f"{optuna_app}/dashboard/studies/{study_id}")
        page.get_by_text("side").first.wait_for()
        page.wait_for_load_state("networkidle")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "optuna-dashboard.png", full_page=True)

        page.goto(base + "/study/side")
        page.locator("#trials tbody tr").first.wait_for()
        page.wait_for_function(
            "/trials done/.test(document.getElementById('live-status').textContent)"
        )
        page.locator("body[data-figures=drawn]").wait_for(state="attached")
        page.screenshot(path=SHOTS / "sweeper.png", full_page=True)

        # Trials per state: the live line and the state filter's count of each.
        status = page.locator("#live-status").inner_text()
        for state, word in STATES.items():
            assert f"{states[state]} {word}" in status, (state, status)
        # The best value and trial.
        header = page.locator("h1 + p").inner_text()
        assert f"best val_acc {best['values'][0]:.4g} (trial {best['number']}," in header

        # Every trial's row: state, params (a conditional one not sampled: blank), the epochs
        # it reported (optuna-dashboard's intermediate values) and its value.
        columns = page.locator("#trials thead th").all_inner_texts()
        at = {c.rstrip(" ▲▼"): i for i, c in enumerate(columns)}
        cells = page.evaluate(
            "[...document.querySelectorAll('#trials tbody tr')].map(r =>"
            " [+r.dataset.trial, [...r.children].map(c => c.textContent)])"
        )
        assert sorted(n for n, _ in cells) == sorted(trials)
        for number, row in cells:
            trial = trials[number]
            assert row[at["state"]] == trial["state"].upper()
            params = {p["name"]: p["param_external_value"] for p in trial["params"]}
            for name in ("optimizer", "lr", "momentum", "dropout", "batch_size"):
                assert row[at[name]] == (shown(params[name]) if name in params else ""), (
                    number,
                    name,
                )
            assert int(row[at["epochs"]] or 0) == len(trial["intermediate_values"]), number
            if trial["state"] == "Complete":
                assert math.isclose(float(row[at["best"]]), trial["values"][0], rel_tol=1e-3)

        # A trial's own page lists each reported step as an epoch.
        number = best["number"]
        page.goto(f"{base}/study/side/trial/{number}")
        epochs = page.locator("h2:text-is('Epochs') + div table tbody tr")
        assert epochs.count() == len(trials[number]["intermediate_values"])
        browser.close()
