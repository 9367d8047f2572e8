"""`sweeper export` as a user runs it, read back by TensorBoard's and MLflow's own readers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sweeper.cli import main
from tests.conftest import cli_env
from tests.dashboard.studies import (
    BEST,
    DISTS,
    TRIALS,
    write_plain_studies,
    write_wide_study,
)

RAN = [n for n, t in enumerate(TRIALS) if t[2].name != "WAITING"]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'sweeper.db'}"
    write_wide_study(url)
    write_plain_studies(url)
    return url


def read_run(folder):
    """A run folder as TensorBoard loads it: scalars by tag, and the HParams plugin's data."""
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata
    from tensorboard.util import tensor_util

    events = EventAccumulator(str(folder))
    events.Reload()
    scalars = {
        tag: [
            (e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in events.Tensors(tag)
        ]
        for tag in events.Tags()["tensors"]
        if not tag.startswith("_hparams_")
    }
    content = events.PluginTagToContent(metadata.PLUGIN_NAME)
    return scalars, content, metadata


def test_tensorboard_reads_every_trial_back(url, tmp_path, capsys):
    out = tmp_path / "tb"
    assert main(["export", "wide", "--storage", url, "--tensorboard", str(out)]) == 0
    assert f"wrote {len(RAN)} TensorBoard runs of wide" in capsys.readouterr().out
    runs = sorted(p.name for p in (out / "wide").iterdir() if p.is_dir())
    assert runs == [f"trial-{n:04d}" for n in RAN]  # the waiting trial never ran

    _, content, metadata = read_run(out / "wide")
    experiment = metadata.parse_experiment_plugin_data(content[metadata.EXPERIMENT_TAG])
    assert sorted(h.name for h in experiment.hparam_infos) == sorted(DISTS)
    assert "best_val_acc" in [m.name.tag for m in experiment.metric_infos]

    scalars, content, _ = read_run(out / "wide" / f"trial-{BEST:04d}")
    assert scalars["val_acc"] == [(1, 72), (2, 88), (3, 94), (4, 96), (5, 97), (6, 98.5)]
    assert scalars["best_val_acc"] == [(6, 98.5)]
    start = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
    assert start.hparams["optimizer"].string_value == "adam"
    assert start.hparams["lr"].number_value == pytest.approx(0.003)
    assert "momentum" not in start.hparams  # not sampled for adam
    end = metadata.parse_session_end_info_plugin_data(content[metadata.SESSION_END_INFO_TAG])
    assert end.status == 1  # STATUS_SUCCESS

    sgd, _, _ = read_run(out / "wide" / "trial-0000")
    assert main(["export", "wide", "--storage", url, "--tensorboard", str(out)]) == 0
    again, _, _ = read_run(out / "wide" / "trial-0000")
    assert again == sgd  # exporting again replaces, never doubles a curve


def test_plain_optuna_steps_become_epochs_from_one(url, tmp_path):
    assert main(["export", "plain", "--storage", url, "--tensorboard", str(tmp_path)]) == 0
    scalars, _, _ = read_run(tmp_path / "plain" / "trial-0000")
    assert [step for step, _ in scalars["value"]] == list(range(1, 11))
    pruned, _, _ = read_run(tmp_path / "plain" / "trial-0001")
    assert [step for step, _ in pruned["value"]] == [1]


def test_each_objective_of_a_two_objective_study_is_a_scalar(url, tmp_path):
    assert main(["export", "pareto", "--storage", url, "--tensorboard", str(tmp_path)]) == 0
    _, content, metadata = read_run(tmp_path / "pareto")
    experiment = metadata.parse_experiment_plugin_data(content[metadata.EXPERIMENT_TAG])
    assert [m.name.tag for m in experiment.metric_infos] == ["accuracy", "seconds"]
    scalars, _, _ = read_run(tmp_path / "pareto" / "trial-0004")
    assert scalars == {"accuracy": [(0, 92)], "seconds": [(0, 40)]}


def test_mlflow_logs_a_run_per_trial(url, tmp_path, monkeypatch, capsys):
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow's own opt-in to file stores
    store = (tmp_path / "mlruns").as_uri()
    assert main(["export", "wide", "--storage", url, "--mlflow", store]) == 0
    assert f"logged {len(RAN)} runs of wide" in capsys.readouterr().out

    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("wide")
    runs = {
        int(r.data.tags["sweeper.trial"]): r for r in client.search_runs([experiment.experiment_id])
    }
    assert sorted(runs) == RAN
    best = runs[BEST]
    assert best.info.run_name == f"trial {BEST}" and best.info.status == "FINISHED"
    assert best.data.params["optimizer"] == "adam" and "momentum" not in best.data.params
    assert float(best.data.params["lr"]) == pytest.approx(0.003)
    history = client.get_metric_history(best.info.run_id, "val_acc")
    assert [(m.step, m.value) for m in history] == [
        (1, 72),
        (2, 88),
        (3, 94),
        (4, 96),
        (5, 97),
        (6, 98.5),
    ]
    assert runs[7].data.tags["stop_reason"] == "failed: CUDA out of memory"
    assert runs[7].info.status == "FAILED" and runs[3].info.status == "KILLED"
    assert runs[10].info.status == "RUNNING"

    # Again: nothing doubles; only the trial that was running is written anew.
    assert main(["export", "wide", "--storage", url, "--mlflow", store]) == 0
    assert "logged 1 runs of wide" in capsys.readouterr().out
    assert len(client.search_runs([experiment.experiment_id])) == len(RAN)


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "nope", "--tensorboard", "tb"], "error: no study named 'nope'"),
        (["export", "wide"], "error: nothing to export to"),
    ],
)
def test_bad_input_is_one_line(url, args, message, capsys):
    assert main([*args, "--storage", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_missing_storage_is_one_line(tmp_path, capsys):
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert main(["export", "wide", "--storage", missing, "--tensorboard", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: there is no storage at") and err.count("\n") == 1
    assert not (tmp_path / "none.db").exists()

    down = "postgresql+psycopg://me:secret@127.0.0.1:1/sweeps"  # nothing listens on port 1
    assert main(["export", "wide", "--storage", down, "--tensorboard", str(tmp_path / "tb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read the storage") and err.count("\n") == 1
    assert "secret" not in err and not (tmp_path / "tb").exists()


@pytest.mark.parametrize("extra, flag", [("tensorboard", "--tensorboard"), ("mlflow", "--mlflow")])
def test_a_missing_extra_names_what_to_install(url, tmp_path, extra, flag):
    hide = f"import sys; sys.modules[{extra!r}] = None; from sweeper.cli import main; "
    run = f"sys.exit(main(['export', 'wide', '--storage', {url!r}, {flag!r}, {str(tmp_path)!r}]))"
    result = subprocess.run(
        [sys.executable, "-c", hide + run], env=cli_env(), capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().endswith(f"pip install 'sweeper[{extra}]'")
    assert result.stderr.count("\n") == 1


def test_the_export_needs_no_torch(url, tmp_path):
    block = "import sys; sys.modules['torch'] = None; from sweeper.cli import main; "
    args = ["export", "wide", "--storage", url, "--tensorboard", str(tmp_path)]
    run = f"sys.exit(main({args!r}))"
    result = subprocess.run(
        [sys.executable, "-c", block + run], env=cli_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wide" / f"trial-{BEST:04d}").is_dir()


@pytest.mark.parametrize("name", ["..", "../escape"])
def test_exporting_a_path_like_study_name_removes_nothing_outside_its_folder(name, tmp_path):
    import optuna

    url = f"sqlite:///{tmp_path / 'plain.db'}"
    study = optuna.create_study(study_name=name, storage=url)
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    out = tmp_path / "tb" / "sub"
    mine = [out / "notes.txt", tmp_path / "tb" / "keep.txt", tmp_path / "escape" / "keep.txt"]
    for path in mine:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine")
    for _ in range(2):  # exporting again replaces the earlier export, and only that
        assert main(["export", name, "--storage", url, "--tensorboard", str(out)]) == 0
    assert all(path.read_text() == "mine" for path in mine)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p not in mine]
    assert all(p.is_relative_to(out) for p in written if p.name != "plain.db")
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["trial-0000", "trial-0001"]
