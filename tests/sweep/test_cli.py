"""Bad input on the command line: one line saying what and how to fix it, exit 2, nothing stored."""

import sqlite3
import subprocess
import sys

import pytest

from sweeper.cli import main
from tests.conftest import cli_env, run_cli

FAKE = """
from sweeper import Study, loguniform
study = Study(name="fake", train=dict(epochs=2), space=dict(lr=loguniform(1e-3, 1.0)),
              n_trials=2, trainer="tests.fake_trainer:fit")
"""


def studies_in(path) -> list:
    if not path.exists():
        return []
    with sqlite3.connect(path) as connection:
        tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        return (
            [r[0] for r in connection.execute("SELECT study_name FROM studies")]
            if "studies" in tables
            else []
        )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--workers", "0"], "--workers 0 must be 1 or more"),
        (["--set", "epochs"], "is not KEY=VALUE"),
        (["--set", "epochz=3"], "unknown training setting 'epochz'"),
        (["--set", "epochs=three"], "epochs='three' is not a number"),
        (["--set", "lr=-1"], "lr=-1.0 must be"),
        (["--set", "optimizer=adamm"], "must be one of"),
        (["--n-trials", "0"], "--n-trials 0 must be 1 or more"),
        (["--storage", "sqlit:///x.db"], "unknown database 'sqlit'"),
        (["--storage", "not a url"], "is not a database URL"),
        (["--storage", "sqlite:////no/such/folder/x.db"], "does not exist"),
        (
            ["--storage", "postgresql+psycopg://sweeper:secret@127.0.0.1:9/sweeps"],
            "cannot open the storage",
        ),
    ],
)
def test_bad_run_arguments(write_study, tmp_path, capsys, args, message):
    study = write_study(FAKE)
    default_args = [] if "--storage" in args else ["--storage", f"sqlite:///{tmp_path / 's.db'}"]
    code = main(["run", str(study), *default_args, *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.startswith("error: ") and err.count("\n") == 1 and " — " in err
    assert "secret" not in err  # passwords are never printed
    assert studies_in(tmp_path / "s.db") == []


def test_broken_study_file_exits_2_without_traceback(write_study, tmp_path):
    study = write_study(
        "from sweeper import Study\nstudy = Study(name='x', train=dict(optimizer='sgdd'))\n"
    )
    result = run_cli("run", study, "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "optimizer='sgdd' must be one of" in result.stderr
    assert not (tmp_path / "s.db").exists()


def test_missing_study_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.py")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_every_command_explains_itself_with_an_example(capsys):
    for command in (["--help"], ["run", "--help"], ["worker", "--help"], ["status", "--help"]):
        with pytest.raises(SystemExit) as done:
            main(command)
        assert done.value.code == 0
        assert "example" in capsys.readouterr().out


def test_status_of_an_unknown_study_lists_the_known_ones(write_study, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["run", str(write_study(FAKE)), "--storage", url]) == 0
    capsys.readouterr()
    assert main(["status", "nope", "--storage", url]) == 2
    assert "studies there: fake" in capsys.readouterr().err
    assert main(["status", "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "fake" in out and "2" in out


def test_the_command_line_parser_imports_no_heavy_library():
    # `sweeper --help` and every parse error answer at once: no Optuna, torch, pandas or Flask.
    probe = (
        "import sys; from sweeper.cli import _parser; _parser(); "
        "print(sorted(m for m in ('optuna', 'torch', 'pandas', 'plotly', 'flask') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env()
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
