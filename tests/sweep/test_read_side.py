"""The commands that only read (status, report, dashboard) never write to a storage, never print
a password, and never write outside --out, whatever the study's name or its values."""

import hashlib
import json
import sqlite3

import optuna
import pytest
from optuna.trial import TrialState

from sweeper.cli import main
from sweeper.dashboard.app import create_app
from tests.conftest import run_cli


def listing(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plain_optuna_study(url: str, name: str) -> None:
    """A study as plain Optuna writes it: any name, 0-based steps, an infinite best value, a
    running and a waiting trial, and no sweeper tables."""
    study = optuna.create_study(study_name=name, storage=url, direction="maximize")
    for value in (0.5, float("inf"), 0.7):
        trial = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1.0, log=True)})
        for step in range(3):
            trial.report(value if value < 1 else 0.9, step)
        study.tell(trial, value)
    study.ask()  # left RUNNING
    study.enqueue_trial({"lr": 0.01})  # WAITING


@pytest.fixture
def plain_sqlite(tmp_path):
    """A plain Optuna SQLite file in its default (rollback journal) mode."""
    path = tmp_path / "optuna.db"
    plain_optuna_study(f"sqlite:///{path}", "plain")
    return path


def test_status_report_and_dashboard_leave_a_plain_optuna_file_as_it_was(
    plain_sqlite, tmp_path, capsys
):
    url = f"sqlite:///{plain_sqlite}"
    tables = _tables(plain_sqlite)
    before, folder = digest(plain_sqlite), listing(tmp_path)

    assert main(["status", "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "inf (#1)" in out  # the infinite best is shown as such, not a crash
    row = next(line for line in out.splitlines() if "plain" in line)
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    # trials, then by status: running waiting completed pruned failed
    assert cells[1:7] == ["5", "1", "1", "3", "0", "0"]
    assert main(["status", "plain", "--storage", url]) == 0
    capsys.readouterr()
    assert main(["report", "plain", "--storage", url, "--format", "none"]) == 0
    client = create_app(url).test_client()
    for page in ("/", "/study/plain", "/study/plain/trial/0", "/api/study/plain/live"):
        assert client.get(page).status_code == 200, page

    assert digest(plain_sqlite) == before
    assert listing(tmp_path) == folder  # no -wal, no -shm, no sweeper.db beside it
    assert _tables(plain_sqlite) == tables
    with sqlite3.connect(plain_sqlite) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def _tables(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return sorted(r[0] for r in connection.execute("SELECT name FROM sqlite_master"))


def test_status_and_report_of_a_missing_storage_create_nothing(tmp_path):
    for args in (("status",), ("report", "digits"), ("status", "digits")):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert (
            done.stderr.startswith("error: there is no storage") and "Traceback" not in done.stderr
        )
        assert listing(tmp_path) == [], args


@pytest.mark.parametrize("name", ["..", "../../escape", "/tmp/abs", "a b", "x" * 300])
def test_a_report_stays_inside_out_whatever_the_study_is_called(name, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    plain_optuna_study(url, name)
    out = tmp_path / "reports" / "sub"
    assert main(["report", name, "--storage", url, "--out", str(out)]) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "optuna.db"]
    assert written and all(p.is_relative_to(out) for p in written), written
    assert [p.name for p in out.iterdir()] != [] and all(len(p.name) <= 100 for p in out.iterdir())


def test_legal_study_names_are_reachable_and_bad_trial_numbers_are_404(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    plain_optuna_study(url, "v1.2_lr-sweep")
    client = create_app(url).test_client()
    assert client.get("/study/v1.2_lr-sweep").status_code == 200
    assert client.get("/study/v1.2_lr-sweep/trial/2").status_code == 200
    for number in ("9", "99999999999999999999999", "-1"):
        assert client.get(f"/study/v1.2_lr-sweep/trial/{number}").status_code == 404, number
    assert client.get("/study/nope").status_code == 404


def test_no_password_in_status_report_files_or_dashboard(postgres_url, tmp_path, capsys):
    secret = "s3cr3t-Pa55"
    sep = "&" if "?" in postgres_url else "?"
    with_query = f"{postgres_url}{sep}password={secret}"
    plain_optuna_study(postgres_url, "pw-read")
    user_at = postgres_url.replace("postgres@", f"postgres:{secret}@")
    for url in (with_query, user_at):
        out = tmp_path / "reports"
        assert main(["status", "--storage", url]) == 0
        assert main(["status", "nope", "--storage", url]) == 2
        assert main(["report", "pw-read", "--storage", url, "--out", str(out)]) == 0
        assert main(["report", "nope", "--storage", url]) == 2
        printed = capsys.readouterr()
        assert secret not in printed.out + printed.err
        assert "pw-read" in printed.out and "no study named 'nope'" in printed.err
        for path in out.rglob("*"):
            if path.is_file():
                assert secret not in path.read_text(), path
        client = create_app(url).test_client()
        for page in ("/", "/study/pw-read", "/study/pw-read/trial/0", "/study/pw-read/trial/77"):
            response = client.get(page)
            assert secret not in response.get_data(as_text=True), page
        assert client.get("/nope-page").status_code == 404
        assert secret not in client.get("/study/nope").get_data(as_text=True)
    # and nothing stored holds it
    stored = optuna.load_study(study_name="pw-read", storage=postgres_url)
    assert secret not in json.dumps(stored.user_attrs, default=str)
    assert all(t.state != TrialState.FAIL for t in stored.trials)
