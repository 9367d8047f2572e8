"""A sweep left alone: names that cannot reach outside runs/, no trial RUNNING for good, machine
faults told apart from trial failures, a changed study refused, and bad input that writes nothing."""

import datetime
import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
import sqlalchemy as sa
from optuna.trial import TrialState

from sweeper.cli import main
from sweeper.store import schema
from tests.conftest import cli_env, run_cli, study_system_attrs
from tests.sweep.recovery_helpers import running, start, wait_for

FAKE = """
from sweeper import Study, choice
study = Study(name={name!r}, train=dict(epochs={epochs}), space=dict(lr=choice([0.1, 0.05, 0.02])),
              n_trials={n_trials}, trainer="tests.fake_trainer:fit", sampler="random",
              pruner="none", seed=0)
"""


def fake_study(write_study, name="hard", epochs=2, n_trials=3, file="study.py"):
    return write_study(FAKE.format(name=name, epochs=epochs, n_trials=n_trials), file)


def states(url, name="hard") -> dict:
    trials = optuna.load_study(study_name=name, storage=url).trials
    return {s.name: len([t for t in trials if t.state == s]) for s in TrialState}


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def listing(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---- names --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["..", "../../escape", "/tmp/abs", "a/b", "x" * 101, "a\0b", ""])
def test_a_study_named_like_a_path_is_refused_before_anything_is_written(
    name, write_study, tmp_path, capsys
):
    outside = tmp_path / "escape" / "0"
    outside.mkdir(parents=True)
    (outside / "precious.txt").write_text("keep me")
    study = write_study(FAKE.format(name=name, epochs=1, n_trials=1).replace("\0", "\\0"))
    before = listing(tmp_path)
    code = main(
        [
            "run",
            str(study),
            "--storage",
            f"sqlite:///{tmp_path / 'sweeper.db'}",
            "--artifacts",
            str(tmp_path / "runs" / "x"),
        ]
    )
    assert code == 2
    assert "study name" in one_line_error(capsys.readouterr().err) or name == ""
    assert listing(tmp_path) == before  # no database, no runs/, the precious file untouched
    assert (outside / "precious.txt").read_text() == "keep me"


def test_a_worker_refuses_a_path_like_name_planted_in_a_shared_database(
    write_study, storage_url, tmp_path, capsys
):
    # Whoever can write the database chooses the spec a worker runs: its name must not be a path.
    victim = tmp_path / "victim" / "0"
    victim.mkdir(parents=True)
    (victim / "data.txt").write_text("keep me")
    assert (
        main(
            [
                "run",
                str(fake_study(write_study, epochs=1, n_trials=1)),
                "--storage",
                storage_url,
                "--artifacts",
                str(tmp_path / "runs"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    engine = sa.create_engine(storage_url)
    with engine.begin() as connection:
        attrs = schema.study_system_attrs
        spec = json.loads(
            connection.execute(
                sa.select(attrs.c.value_json).where(attrs.c.key == "sweeper_spec")
            ).scalar()
        )
        spec["name"] = str(tmp_path / "victim")
        connection.execute(
            attrs.update().where(attrs.c.key == "sweeper_spec").values(value_json=json.dumps(spec))
        )
    engine.dispose()
    assert (
        main(["worker", "hard", "--storage", storage_url, "--artifacts", str(tmp_path / "runs")])
        == 2
    )
    assert "study name" in one_line_error(capsys.readouterr().err)
    assert (victim / "data.txt").read_text() == "keep me"


# ---- trials never RUNNING for good -----------------------------------------------------
def test_a_trial_created_without_a_heartbeat_is_reclaimed(write_study, storage_url, tmp_path):
    # What a connection dropped between creating a trial and its first heartbeat leaves behind.
    study_file = fake_study(write_study, epochs=1, n_trials=3)
    assert (
        run_cli(
            "run",
            study_file,
            "--storage",
            storage_url,
            "--n-trials",
            1,
            "--artifacts",
            tmp_path / "runs",
            cwd=tmp_path,
        ).returncode
        == 0
    )
    storage = optuna.storages.RDBStorage(storage_url)
    study_id = storage.get_study_id_from_name("hard")
    orphan = storage.create_new_trial(study_id)
    engine = sa.create_engine(storage_url)
    with engine.begin() as connection:  # it was created a while ago, by a process long gone
        connection.execute(
            schema.trials.update()
            .where(schema.trials.c.trial_id == orphan)
            .values(datetime_start=datetime.datetime.now() - datetime.timedelta(seconds=30))
        )
    engine.dispose()
    done = run_cli(
        "run",
        study_file,
        "--storage",
        storage_url,
        "--grace-period",
        5,
        "--artifacts",
        tmp_path / "runs",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    counts = states(storage_url)
    assert counts["RUNNING"] == 0 and counts["COMPLETE"] == 3
    assert "no heartbeat" in done.stdout


def test_a_killed_run_is_taken_back_at_once_by_the_next_run_on_this_host(
    write_study, storage_url, tmp_path
):
    study_file = fake_study(write_study, epochs=6, n_trials=4)
    args = (
        "run",
        study_file,
        "--storage",
        storage_url,
        "--workers",
        2,
        "--artifacts",
        tmp_path / "runs",
    )  # the default grace period: 120 s
    sweep = start(*args, tmp_path=tmp_path)
    wait_for(
        lambda: len([r for r in running(storage_url) if r["epoch"] >= 2]) == 2,
        what="two trials at epoch 2",
    )
    victims = [r["pid"] for r in running(storage_url)]
    sweep.kill()  # the supervisor and, below, its executors: the whole run, as kill -9 would
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    sweep.wait()
    assert states(storage_url)["RUNNING"] == 2
    began = time.monotonic()
    again = run_cli(*args, cwd=tmp_path, timeout=120)
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - began < 60  # not after the 120 s grace period
    counts = states(storage_url)
    assert counts["RUNNING"] == 0 and counts["COMPLETE"] == 4
    assert "is gone" in again.stdout


def test_run_waits_for_trials_running_on_another_machine(write_study, storage_url, tmp_path):
    study_file = fake_study(write_study, epochs=8, n_trials=2)
    other = start(
        "run",
        study_file,
        "--storage",
        storage_url,
        "--artifacts",
        tmp_path / "a",
        tmp_path=tmp_path,
        epoch_seconds=0.4,
    )
    wait_for(lambda: [r for r in running(storage_url) if r["epoch"] >= 1], what="a trial running")
    mine = run_cli(
        "run",
        study_file,
        "--storage",
        storage_url,
        "--artifacts",
        tmp_path / "b",
        "--workers",
        1,
        cwd=tmp_path,
        env=cli_env(FAKE_EPOCH_SECONDS=0.4),
    )
    assert mine.returncode == 0, mine.stderr
    other.communicate(timeout=120)
    # Mine ended only when the budget was met by finished trials, the other's included.
    assert states(storage_url)["RUNNING"] == 0
    assert states(storage_url)["COMPLETE"] == 2


# ---- machine faults are not trial failures ---------------------------------------------
def test_artifacts_pointing_at_a_file_is_one_line_and_writes_nothing(write_study, tmp_path, capsys):
    (tmp_path / "runs").write_text("not a folder")
    study = fake_study(write_study)
    before = listing(tmp_path)
    assert (
        main(
            [
                "run",
                str(study),
                "--storage",
                f"sqlite:///{tmp_path / 'sweeper.db'}",
                "--artifacts",
                str(tmp_path / "runs"),
            ]
        )
        == 2
    )
    assert "is a file" in one_line_error(capsys.readouterr().err)
    assert listing(tmp_path) == before


def test_an_unwritable_artifacts_folder_queues_the_trial_again_and_stops(
    write_study, storage_url, tmp_path
):
    # /proc refuses new folders even to root: the fault shows only when the trainer writes.
    study = fake_study(write_study, n_trials=3)
    done = run_cli(
        "run", study, "--storage", storage_url, "--artifacts", "/proc/sweeper-test", cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    line = one_line_error(done.stderr)
    assert "/proc/sweeper-test" in line
    trials = optuna.load_study(study_name="hard", storage=storage_url).trials
    assert not [t for t in trials if t.state == TrialState.COMPLETE]
    # Nothing counted against the budget: the trial waits for a fixed machine.
    assert [t.state for t in trials].count(TrialState.WAITING) == 1
    assert not [t for t in trials if str(t.user_attrs.get("stop_reason", "")).startswith("failed")]


# ---- a changed study ---------------------------------------------------------------------
def test_a_changed_study_file_is_refused_until_asked_for(
    write_study, storage_url, tmp_path, capsys
):
    first = fake_study(write_study, epochs=1, n_trials=1)
    argv = ["run", str(first), "--storage", storage_url, "--artifacts", str(tmp_path / "runs")]
    assert main(argv) == 0
    stored = study_system_attrs(storage_url, "hard")["sweeper_spec"]
    capsys.readouterr()
    assert main([*argv, "--set", "epochs=2"]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "train.epochs 1 -> 2" in line and "--replace-spec" in line
    study = optuna.load_study(study_name="hard", storage=storage_url)
    assert study_system_attrs(storage_url, "hard")["sweeper_spec"] == stored
    assert len(study.trials) == 1
    # A larger budget is not another experiment.
    assert main([*argv, "--n-trials", "2"]) == 0
    capsys.readouterr()
    assert main([*argv, "--set", "epochs=2", "--n-trials", "3", "--replace-spec"]) == 0
    spec = study_system_attrs(storage_url, "hard")["sweeper_spec"]
    assert spec["train"]["epochs"] == 2 and spec["n_trials"] == 3


# ---- bad input: one line, exit 2, nothing written ---------------------------------------
@pytest.mark.parametrize(
    "storage, message",
    [
        ("sqlite://", "in-memory"),
        ("mysql://u:pw@localhost/db", "not installed"),
        ("oracle://u@h/db", "unknown database"),
    ],
)
def test_storage_urls_that_cannot_work(storage, message, write_study, tmp_path, capsys):
    study = fake_study(write_study)
    before = listing(tmp_path)
    assert main(["run", str(study), "--storage", storage]) == 2
    err = capsys.readouterr().err
    assert message in one_line_error(err)
    assert ":pw@" not in err
    assert listing(tmp_path) == before


@pytest.mark.parametrize(
    "extra, message",
    [
        ('seed="abc"', "seed="),
        ("reference=dict(lr={0.1: object()}), ", "is not a number"),
        ("description=b'bytes', ", "description=b'bytes' must be a string"),
        # A bool is no count: n_trials=True ran one trial.
        ("n_trials=True, ", "n_trials=True must be a whole number"),
        ("patience=True, ", "patience=True must be a whole number"),
        ("seed=1.5, ", "seed=1.5 must be a whole number"),
        ("epoch_timeout=0, ", "epoch_timeout=0 must be a positive number of seconds"),
        ("epoch_timeout=float('nan'), ", "must be a positive number of seconds"),
        ("metric=5, ", "metric=5 must be a string"),
        ("sampler=None, ", "sampler=None must be a string"),
        ("space=dict(lr=uniform(True, 1)), ", "uniform(...) got True"),
        ("space=dict(lr=uniform(0.1, float('inf'))), ", "uniform(...) got inf"),
        ("space=dict(batch_size=intrange(8, 64.5)), ", "must be whole numbers"),
        ("space=dict(optimizer=choice('sgd')), ", "takes a list of values"),
        ("space=dict(lr=choice([0.1], when='sgd')), ", "when='sgd' must be a dict"),
    ],
)
def test_study_values_that_cannot_be_stored(extra, message, write_study, tmp_path, capsys):
    study = write_study(
        "from sweeper import Study, choice, intrange, uniform\n"
        'study = Study(name="hard", train=dict(epochs=1), trainer="tests.fake_trainer:fit", '
        f"{extra})\n"
    )
    before = listing(tmp_path)
    assert main(["run", str(study), "--storage", f"sqlite:///{tmp_path / 's.db'}"]) == 2
    assert message in one_line_error(capsys.readouterr().err)
    assert listing(tmp_path) == before


def test_failed_commands_create_no_database(write_study, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    study = fake_study(write_study)
    real = write_study(
        f"""
        from sweeper import Study, choice
        study = Study(name="real", train=dict(dataset="imagenette", data_dir={str(tmp_path / "missing")!r},
                      model="resnet18", epochs=1), space=dict(lr=choice([0.1])), n_trials=1)
        """,
        "real.py",
    )
    cases = [
        (("worker", "NOSUCH"), "no storage"),
        (("run", study, "--device", "cuda"), "cuda"),
        (("run", real), "missing"),
    ]
    for args, message in cases:
        done = run_cli(*args, cwd=empty, env=cli_env(CUDA_VISIBLE_DEVICES=""))
        assert done.returncode == 2, (args, done.stderr)
        assert message in one_line_error(done.stderr).lower()
        assert listing(empty) == [], args


def test_two_first_runs_on_a_fresh_sqlite_file_both_succeed(write_study, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    study = fake_study(write_study, epochs=1, n_trials=4)
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sweeper.cli",
                "run",
                str(study),
                "--storage",
                url,
                "--artifacts",
                str(tmp_path / "runs"),
            ],
            cwd=tmp_path,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for sweep in runs:
        _out, err = sweep.communicate(timeout=180)
        assert sweep.returncode == 0, err
    assert states(url)["COMPLETE"] == 4


def test_ctrl_c_while_executors_start_is_one_line(write_study, storage_url, tmp_path):
    sweep = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sweeper.cli",
            "run",
            str(fake_study(write_study)),
            "--storage",
            storage_url,
            "--workers",
            "2",
        ],
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    children = f"/proc/{sweep.pid}/task/{sweep.pid}/children"
    wait_for(lambda: len(open(children).read().split()) >= 2, what="executors spawned")
    time.sleep(0.3)  # they are importing torch now
    os.killpg(sweep.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    _out, err = sweep.communicate(timeout=60)
    assert sweep.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


# ---- passwords -----------------------------------------------------------------------------
def test_no_password_in_what_run_and_worker_print(postgres_url, write_study, tmp_path):
    secret = "s3cr3t-Pa55"
    sep = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{sep}password={secret}"
    study = fake_study(write_study, name="pw-hidden", epochs=1, n_trials=1)
    outputs = [
        run_cli("run", study, "--storage", url, "--artifacts", tmp_path / "runs", cwd=tmp_path),
        run_cli(
            "worker", "pw-hidden", "--storage", url, "--artifacts", tmp_path / "runs", cwd=tmp_path
        ),
        # An unreachable server: the driver's error is printed, scrubbed.
        run_cli(
            "run",
            study,
            "--storage",
            f"postgresql+psycopg://me:{secret}@127.0.0.1:9/x",
            cwd=tmp_path,
        ),
    ]
    assert [o.returncode for o in outputs] == [0, 0, 2]
    for done in outputs:
        assert secret not in done.stdout + done.stderr
    stored = optuna.load_study(study_name="pw-hidden", storage=postgres_url)
    assert secret not in json.dumps(stored.user_attrs) + json.dumps(
        [t.user_attrs for t in stored.trials]
    )


def image_tree(root, bad: dict[str, bytes]):
    from PIL import Image

    for split in ("train", "val"):
        for label in ("a", "b"):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(3):
                Image.new("RGB", (40, 40), (i * 80, 0, 0)).save(folder / f"{i}.png")
    for name, data in bad.items():
        (root / "train" / "a" / name).write_bytes(data)


@pytest.mark.parametrize("bad", [{"zero.png": b""}, {"text.jpg": b"not an image at all"}])
def test_a_broken_image_is_named_before_any_trial(bad, write_study, tmp_path):
    image_tree(tmp_path / "images", bad)
    study = write_study(
        f"""
        from sweeper import Study, choice
        study = Study(name="imgs", train=dict(dataset="imagenette", data_dir={str(tmp_path / "images")!r},
                      model="cnn", image_size=32, epochs=1), space=dict(lr=choice([0.1])), n_trials=1)
        """
    )
    done = run_cli("run", study, cwd=tmp_path)
    assert done.returncode == 2
    assert next(iter(bad)) in one_line_error(done.stderr)
    assert not (tmp_path / "sweeper.db").exists()


def test_pretrained_weights_not_cached_stop_the_run_before_any_trial(write_study, tmp_path):
    study = write_study(
        """
        from sweeper import Study, choice
        study = Study(name="weights", train=dict(dataset="digits", model="resnet18", pretrained=True,
                      epochs=1), space=dict(lr=choice([0.1])), n_trials=1)
        """
    )
    done = run_cli("run", study, cwd=tmp_path, env=cli_env(TORCH_HOME=tmp_path / "empty-hub"))
    assert done.returncode == 2
    assert "not in the local cache" in one_line_error(done.stderr)
    assert not (tmp_path / "sweeper.db").exists()


def test_a_read_only_sqlite_file_is_one_line_and_left_as_it_was(write_study, tmp_path):
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    study = fake_study(write_study, epochs=1, n_trials=1)
    assert run_cli("run", study, "--storage", url, cwd=tmp_path).returncode == 0
    # Root writes through file modes; the immutable flag stops even root, where the file
    # system has it.
    if subprocess.run(["chattr", "+i", tmp_path / "ro.db"], capture_output=True).returncode:
        pytest.skip("this file system has no immutable flag (chattr +i)")
    try:
        before = (tmp_path / "ro.db").read_bytes()
        done = run_cli("run", study, "--storage", url, "--n-trials", "2", cwd=tmp_path)
        assert done.returncode == 2
        assert "read-only" in one_line_error(done.stderr)
        assert (tmp_path / "ro.db").read_bytes() == before
    finally:
        subprocess.run(["chattr", "-i", tmp_path / "ro.db"])
