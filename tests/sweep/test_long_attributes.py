"""The long attributes (a trial's config, environment and traceback; the study's spec) stay out of
what Optuna's CLI and optuna-dashboard print, and every reader still finds them, in studies
written now (system attributes) and by earlier versions (user attributes)."""

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import sqlalchemy as sa

from sweeper.dashboard.app import create_app
from sweeper.report.build import build_report
from sweeper.report.sql import list_studies
from sweeper.spec import choice
from sweeper.store import reads
from sweeper.store.engines import open_reader
from sweeper.store.schema import LONG_TRIAL_ATTRS, SPEC_ATTR
from sweeper.sweep import rerun, study_io
from tests.conftest import to_old_layout
from tests.sweep.test_supervisor import fake_study, run

# Characters. A table row of `optuna trials` is about 130 of Optuna's own columns plus the user
# attributes, about 330 for this study's trials; with the config and environment it was 1,000
# to 1,700.
WIDEST = 600
OPTUNA = [str(Path(sys.executable).with_name("optuna"))]


@pytest.fixture
def swept(storage_url, tmp_path) -> str:
    """A finished sweep of two trials, one crashed (with a traceback), written as sweeper does."""
    study = fake_study(
        n_trials=2,
        space=dict(dropout=choice([0.95, 0.1])),
        sampler="grid",
        description="dropout on the fake trainer",
    )
    run(study, storage_url, artifacts=tmp_path / "runs")
    return storage_url


def optuna_cli(*args) -> str:
    done = subprocess.run([*OPTUNA, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("form", ["table", "json", "yaml"])
def test_optuna_trials_prints_short_lines_with_the_short_attributes(swept, form):
    out = optuna_cli("trials", "--study-name", "fake", "--storage", swept, "-f", form)
    # JSON is one line for all trials: each trial's record is what must stay short there.
    lines = [json.dumps(row) for row in json.loads(out)] if form == "json" else out.splitlines()
    widest = max(lines, key=len)
    assert len(widest) <= WIDEST, widest[:200]
    # What a user looks for there is still printed: why each trial stopped, and its cost.
    assert "stop_reason" in out and "completed" in out and "fake crash" in out
    assert "seconds" in out and "best_epoch" in out
    if form == "json":
        rows = json.loads(out)
        assert not {key for row in rows for key in row["user_attrs"]} & set(LONG_TRIAL_ATTRS)


def test_optuna_studies_prints_short_lines(swept):
    out = optuna_cli("studies", "--storage", swept, "-f", "table")
    assert "fake" in out and max(map(len, out.splitlines())) <= WIDEST
    assert "user_attrs" not in out  # the spec was its one study attribute


@pytest.mark.parametrize("layout", ["now", "earlier"])
def test_every_reader_finds_the_spec_config_and_environment(swept, layout):
    if layout == "earlier":
        to_old_layout(swept)
    engine = open_reader(swept)
    try:
        study = reads.find_study(engine, "fake", swept)
        assert study.definition["description"] == "dropout on the fake trainer"
        listed = list_studies(engine).set_index("name").loc["fake"]
        assert listed["n_trials"] == 2 and listed["description"] == study.definition["description"]
        assert build_report(engine, "fake").n_trials == 2
        with engine.connect() as connection:
            ids = reads.trial_ids_by_number(connection, study.study_id)
            attrs = {n: reads.trial_attrs(connection, i) for n, i in ids.items()}
            only = reads.trial_attrs(connection, ids[0], ("config", "stop_reason"))
    finally:
        engine.dispose()
    crashed, completed = sorted(attrs.values(), key=lambda a: a["stop_reason"] == "completed")
    assert "fake crash" in crashed["stop_reason"] and "RuntimeError" in crashed["traceback"]
    assert completed["config"]["dropout"] == 0.1 and "threads" in completed["environment"]
    assert set(only) == {"config", "stop_reason"}
    assert list(completed) == sorted(completed)

    # A worker finds the stored spec by the study's name; a later run compares its file with it.
    assert study_io.resolve_study("fake", swept).description == study.definition["description"]
    storage = optuna.storages.RDBStorage(swept)
    try:
        assert study_io.stored_study(storage, "fake").definition == study.definition
    finally:
        storage.engine.dispose()
    number = next(n for n, a in attrs.items() if a is completed)
    stored = rerun.read_trial(swept, "fake", number)
    assert stored.config == completed["config"]
    assert stored.threads == completed["environment"]["threads"]

    page = create_app(swept).test_client().get(f"/study/fake/trial/{number}")
    shown = page.get_data(as_text=True)
    # The config and environment are listed among the trial's attributes.
    assert page.status_code == 200 and "batch_size" in shown and "threads" in shown
    crashed_number = next(n for n, a in attrs.items() if a is crashed)
    page = create_app(swept).test_client().get(f"/study/fake/trial/{crashed_number}")
    assert "RuntimeError" in page.get_data(as_text=True)


def test_the_system_attribute_wins_over_a_stale_user_attribute(swept):
    """A study continued after an upgrade may hold both: the system attribute is the newer."""
    engine = sa.create_engine(swept)
    with engine.begin() as connection:
        for kind, owner, key in (("study", "study_id", SPEC_ATTR), ("trial", "trial_id", "config")):
            connection.exec_driver_sql(
                f"INSERT INTO {kind}_user_attributes ({owner}, key, value_json) "
                f"SELECT {owner}, key, '{{\"stale\": true}}' FROM {kind}_system_attributes "
                f"WHERE key = '{key}'"
            )
    engine.dispose()
    engine = open_reader(swept)
    try:
        study = reads.find_study(engine, "fake", swept)
        assert "stale" not in study.definition
        listed = list_studies(engine).set_index("name").loc["fake"]
        assert (
            listed["description"]
            == study.definition["description"]
            == "dropout on the fake trainer"
        )
        with engine.connect() as connection:
            trial_id = reads.trial_id_of(connection, study.study_id, 0)
            assert "stale" not in reads.trial_attrs(connection, trial_id)["config"]
    finally:
        engine.dispose()


def test_optuna_dashboard_shows_the_short_attributes_only(swept):
    optuna_dashboard = pytest.importorskip("optuna_dashboard")
    from werkzeug.test import Client

    client = Client(optuna_dashboard.wsgi(swept))
    summaries = json.loads(client.get("/api/studies").get_data())["study_summaries"]
    (summary,) = [s for s in summaries if s["study_name"] == "fake"]
    assert summary["user_attrs"] == []  # the spec is not shown as a study attribute
    detail = json.loads(client.get(f"/api/studies/{summary['study_id']}").get_data())
    for trial in detail["trials"]:
        shown = {attr["key"]: attr["value"] for attr in trial["user_attrs"]}
        assert "stop_reason" in shown and not set(shown) & set(LONG_TRIAL_ATTRS)
        assert max(map(len, shown.values())) <= 80, shown
    assert {a["key"] for a in detail["union_user_attrs"]} >= {"stop_reason", "seconds"}
