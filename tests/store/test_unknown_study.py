"""Every command that takes a STUDY says the same one line for a name the storage lacks."""

import optuna
import pytest

from sweeper.cli import main
from sweeper.dashboard.app import create_app
from sweeper.errors import UnknownStudyError
from sweeper.store.engines import open_reader
from sweeper.store.reads import find_study

COMMANDS = [
    ["status", "nope"],
    ["report", "nope", "--format", "none"],
    ["export", "nope", "--tensorboard", "tb"],
    ["rerun", "nope", "0"],
    ["worker", "nope"],
]


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    optuna.create_study(study_name="there", storage=url)
    return url


def test_each_command_says_the_same_line_for_a_missing_study(url, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    said = set()
    for args in COMMANDS:
        assert main([*args, "--storage", url]) == 2, args
        out, err = capsys.readouterr()
        assert err.count("\n") == 1, (args, err)
        said.add(err)
    assert said == {f"error: no study named 'nope' in {url} — studies there: there\n"}


def test_the_dashboard_names_it_the_same_way(url):
    client = create_app(url).test_client()
    page = client.get("/study/nope")
    assert page.status_code == 404 and "no study named &#39;nope&#39; in" in page.text


def test_one_error_type(url):
    engine = open_reader(url)
    with pytest.raises(UnknownStudyError, match="no study named 'nope'"):
        find_study(engine, "nope", url)
    engine.dispose()


def test_each_command_says_the_same_line_for_a_missing_storage(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'none.db'}"
    said = set()
    for args in COMMANDS:
        assert main([*args, "--storage", url]) == 2, args
        said.add(capsys.readouterr().err)
    assert len(said) == 1 and said.pop().startswith(f"error: there is no storage at {url} — ")
    assert not (tmp_path / "none.db").exists()
