"""Every reader checks Optuna's schema version first and says so in one line when it differs.

A storage made by an older Optuna (or upgraded by a newer one) has another Alembic revision:
reading it anyway could give wrong numbers or a traceback half-way through a report. Each
command that reads says what is wrong and how to mend it, exits 2, and leaves the file as it was.
"""

import hashlib
import sqlite3

import optuna
import pytest

from sweeper.cli import main
from sweeper.dashboard.app import create_app
from sweeper.errors import StorageError
from sweeper.store import schema

OLD_REVISION = "v3.0.0.a"  # Optuna 3.0's schema


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def old_file(tmp_path):
    """A study as plain Optuna writes it, whose schema then claims an older revision."""
    path = tmp_path / "old.db"
    study = optuna.create_study(study_name="old", storage=f"sqlite:///{path}")
    trial = study.ask()
    study.tell(trial, 1.0)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (OLD_REVISION,))
    connection.close()
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["status", "old"],
        ["report", "old", "--format", "none"],
        ["dashboard", "--port", "0"],
        ["export", "old", "--tensorboard", "tb"],
        ["rerun", "old", "0"],
        ["worker", "old"],
    ],
    ids=lambda args: " ".join(args),
)
def test_each_reader_refuses_another_schema_in_one_line(
    old_file, tmp_path, monkeypatch, capsys, args
):
    monkeypatch.chdir(tmp_path)
    before = digest(old_file)
    files = sorted(p.name for p in tmp_path.iterdir())

    assert main([*args, "--storage", f"sqlite:///{old_file}"]) == 2

    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("error: the storage sqlite:///"), err
    assert f"Optuna's schema {OLD_REVISION}" in err
    assert f"installed optuna {optuna.__version__} uses {schema.head_revision()}" in err
    assert "optuna storage upgrade" in err and "Traceback" not in out + err
    assert digest(old_file) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_the_dashboard_app_refuses_it_before_serving(old_file):
    with pytest.raises(StorageError, match=OLD_REVISION):
        create_app(f"sqlite:///{old_file}")


def test_the_current_schema_reads_as_before(old_file, capsys):
    with sqlite3.connect(old_file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (schema.head_revision(),))
    connection.close()
    assert main(["status", "--storage", f"sqlite:///{old_file}"]) == 0
    assert "old" in capsys.readouterr().out


def test_a_sweep_refuses_another_schema_before_writing(old_file, tmp_path, capsys):
    """The writer's side: a supervisor makes the schema itself, and checks it first, in the
    same transaction, so an older schema is refused with the readers' line, untouched."""
    study = tmp_path / "study.py"
    study.write_text(
        "from sweeper import Study, loguniform\n"
        "study = Study(name='old', train=dict(epochs=1), space=dict(lr=loguniform(1e-3, 1.0)),\n"
        "              n_trials=1, trainer='tests.fake_trainer:fit')\n"
    )
    before = digest(old_file)

    assert main(["run", str(study), "--storage", f"sqlite:///{old_file}"]) == 2

    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and f"Optuna's schema {OLD_REVISION}" in err, err
    assert "optuna storage upgrade" in err and "Traceback" not in out + err
    assert digest(old_file) == before
