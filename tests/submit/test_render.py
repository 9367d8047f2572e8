"""`sweeper submit slurm --dry-run` and `sweeper submit k8s`: what would run on a cluster,
checked without one (the Kubernetes manifests against the API's schemas, offline)."""

import shlex
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from sweeper.cli import _parser
from sweeper.submit import k8s
from sweeper.submit.worker import WORKERS_VARIABLE, worker_line
from tests.conftest import ROOT, cli_env, run_cli

PG_URL = "postgresql+psycopg://sweeper:s3cret-pw@db.example:5432/sweeper"
K8S_VERSION = "1.30"


def dry_run(tmp_path, *args, storage=PG_URL):
    return run_cli(
        "submit", "slurm", *args, "--dry-run", cwd=tmp_path, env=cli_env(SWEEPER_STORAGE=storage)
    )


def run_line(line: str, workers: int) -> list[str]:
    """The argv `exec ...` runs, with the workers variable as the cluster sets it."""
    words = shlex.split(line.replace(f"${WORKERS_VARIABLE}", str(workers)))
    assert words[:2] == ["exec", "sweeper"]
    return words[2:]


def test_slurm_script_is_one_array_of_worker_tasks(tmp_path):
    result = dry_run(
        tmp_path,
        "digits",
        "--nodes", "3",
        "--gpus-per-node", "2",
        "--partition", "gpu",
        "--time", "04:00:00",
        "--sbatch=--account=lab",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    script = result.stdout
    directives = [
        line.split(None, 1)[1] for line in script.splitlines() if line.startswith("#SBATCH")
    ]
    for expected in ("--array=0-2", "--partition=gpu", "--time=04:00:00", "--gres=gpu:2"):
        assert expected in directives
    assert "--account=lab" in directives
    logs = next(d for d in directives if d.startswith("--output="))
    assert logs == f"--output={tmp_path}/slurm-logs/sweeper-digits-%A_%a.out"  # one per task
    assert "s3cret-pw" not in script and "db.example" not in script  # the URL stays in the env
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    line = script.rstrip().splitlines()[-1]
    assert line == worker_line("digits", str(tmp_path / "runs"))
    args = _parser().parse_args(run_line(line, 2))
    assert (args.command, args.study, args.workers) == ("worker", "digits", 2)
    assert args.artifacts == str(tmp_path / "runs") and args.storage is None


def test_slurm_task_runs_one_executor_per_gpu_it_gets(tmp_path):
    script = dry_run(tmp_path, "digits", "--nodes", "1", "--gpus-per-node", "4").stdout
    assert f'export {WORKERS_VARIABLE}="${{SLURM_GPUS_ON_NODE:-4}}"' in script
    cpu = dry_run(tmp_path, "digits", "--nodes", "1").stdout
    assert f'export {WORKERS_VARIABLE}="${{SLURM_GPUS_ON_NODE:-1}}"' in cpu
    assert "--gres" not in cpu


def test_slurm_study_file_is_passed_by_absolute_path(tmp_path):
    study = tmp_path / "my_study.py"
    study.write_text("")
    script = dry_run(tmp_path, "my_study.py", "--nodes", "2").stdout
    assert run_line(script.rstrip().splitlines()[-1], 1)[1] == str(study)


@pytest.mark.parametrize(
    "args, storage, message",
    [
        (["digits", "--nodes", "2"], "sqlite:///sweeper.db", "SQLite file"),
        (["digits", "--nodes", "0"], PG_URL, "--nodes 0"),
        (["digits", "--nodes", "2", "--time", "4h"], PG_URL, "--time '4h'"),
        (["digits", "--nodes", "2", "--sbatch=account"], PG_URL, "--sbatch 'account'"),
        (["../evil", "--nodes", "2"], PG_URL, "study name"),
    ],
)
def test_slurm_bad_input_is_one_line(tmp_path, args, storage, message):
    result = dry_run(tmp_path, *args, storage=storage)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_slurm_without_sbatch_says_so(tmp_path):
    env = cli_env(SWEEPER_STORAGE=PG_URL, PATH="/nonexistent")
    result = run_cli("submit", "slurm", "digits", "--nodes", "2", cwd=tmp_path, env=env)
    assert result.returncode == 2 and "sbatch is not on PATH" in result.stderr


def all_documents(files: dict) -> list[dict]:
    return [document for documents in files.values() for document in documents]


@pytest.mark.parametrize("external", [False, True])
def test_k8s_manifests_are_valid_kubernetes(tmp_path, external):
    study = tmp_path / "study.py"
    study.write_text("")
    for reference in ("digits", str(study)):
        files = k8s.render(reference, 3, gpus_per_pod=2, external_database=external)
        for document in all_documents(files):
            # strict: an unknown or misplaced field fails too
            kubernetes_validate.validate(document, K8S_VERSION, strict=True)
        kinds = {(d["kind"], d["metadata"]["name"]) for d in all_documents(files)}
        bundled = {("Service", "sweeper-pgbouncer"), ("StatefulSet", "sweeper-postgres")}
        assert bundled <= kinds if not external else not bundled & kinds
        assert ("Deployment", "sweeper-dashboard") in kinds
        assert ("PersistentVolumeClaim", "sweeper-artifacts") in kinds


def test_k8s_validation_catches_a_broken_manifest():
    job = k8s.workers("digits", 2, 1, "sweeper:latest")[-1]
    job["spec"]["completions"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, K8S_VERSION, strict=True)


def test_k8s_workers_run_the_slurm_line_on_their_gpus(tmp_path):
    job = k8s.workers("digits", 4, 2, "registry.example/sweeper:1")[-1]
    spec = job["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", 4, 4)
    container = spec["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": 2}
    env = {e["name"]: e for e in container["env"]}
    assert env[WORKERS_VARIABLE]["value"] == "2"
    assert env["SWEEPER_STORAGE"]["valueFrom"]["secretKeyRef"] == {
        "name": "sweeper-db",
        "key": "url",
    }
    assert container["command"][:2] == ["/bin/sh", "-c"]
    assert container["command"][2] == worker_line("digits", "/artifacts")
    slurm = dry_run(tmp_path, "digits", "--nodes", "4", "--artifacts", "/artifacts").stdout
    assert slurm.rstrip().splitlines()[-1] == container["command"][2]  # the same line
    args = _parser().parse_args(run_line(container["command"][2], 2))
    assert (args.command, args.study, args.workers, args.artifacts) == (
        "worker",
        "digits",
        2,
        "/artifacts",
    )
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    assert (
        volumes[mounts["/artifacts"]]["persistentVolumeClaim"]["claimName"] == "sweeper-artifacts"
    )
    assert spec["template"]["spec"]["securityContext"]["fsGroup"] == 1000  # the image's user
    cpu = k8s.workers("digits", 1, 0, "sweeper:latest")[-1]["spec"]["template"]["spec"]
    assert "resources" not in cpu["containers"][0]


def test_k8s_study_file_travels_in_a_config_map(tmp_path):
    study = tmp_path / "Tiny_Study.py"
    study.write_text("study = 'the file'\n")
    config_map, job = k8s.workers(str(study), 1, 1, "sweeper:latest")
    assert config_map["kind"] == "ConfigMap" and config_map["data"] == {
        study.name: study.read_text()
    }
    assert job["metadata"]["name"] == "sweeper-tiny-study"  # a DNS label
    pod = job["spec"]["template"]["spec"]
    args = _parser().parse_args(run_line(pod["containers"][0]["command"][2], 1))
    assert args.study == f"{k8s.STUDIES}/{study.name}"
    assert {"name": "study", "configMap": {"name": config_map["metadata"]["name"]}} in pod[
        "volumes"
    ]


def test_k8s_holds_no_credential_and_pgbouncer_pools_transactions():
    documents = all_documents(k8s.render("digits", 2))
    text = yaml.safe_dump_all(documents)
    assert "password" not in text.replace("key: password", "")  # only the Secret's key name
    pgbouncer = next(d for d in documents if d["metadata"]["name"] == "sweeper-pgbouncer")
    env = {
        e["name"]: e.get("value")
        for e in pgbouncer["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["POOL_MODE"] == "transaction" and env["DB_HOST"] == "sweeper-postgres"


def test_k8s_cli_writes_the_files_in_docker_k8s(tmp_path):
    """docker/k8s/ is what `sweeper submit k8s digits --workers 2` writes: never out of date."""
    result = run_cli("submit", "k8s", "digits", "--workers", "2", "--out", tmp_path / "k8s")
    assert result.returncode == 0, result.stderr
    written = {p.name: p.read_text() for p in (tmp_path / "k8s").iterdir()}
    shipped = {p.name: p.read_text() for p in (ROOT / "docker" / "k8s").glob("*.yaml")}
    assert written == shipped, "regenerate: sweeper submit k8s digits --workers 2 --out docker/k8s"
    stdout = run_cli("submit", "k8s", "digits", "--workers", "2").stdout
    in_order = [d for name in k8s.render("digits", 2) for d in yaml.safe_load_all(written[name])]
    assert list(yaml.safe_load_all(stdout)) == in_order


def test_k8s_bad_input_is_one_line(tmp_path):
    for args, message in (
        (["digits", "--workers", "0"], "--workers 0"),
        (["digits", "--workers", "2", "--gpus-per-pod", "-1"], "--gpus-per-pod -1"),
        (["missing.py", "--workers", "2"], "no study file"),
    ):
        result = run_cli("submit", "k8s", *args, cwd=tmp_path)
        assert result.returncode == 2 and result.stderr.startswith("error: "), result.stderr
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_docker_k8s_folder_has_no_other_files():
    assert sorted(p.name for p in (ROOT / "docker" / "k8s").iterdir()) == sorted(
        Path(name).name for name in k8s.render("digits", 2)
    )


def test_third_party_images_are_pinned_to_a_version():
    """A `:latest` PostgreSQL or PgBouncer would change under a running fleet on the next pull."""
    images = [
        container["image"]
        for document in all_documents(k8s.render("digits", 2))
        for container in document.get("spec", {})
        .get("template", {})
        .get("spec", {})
        .get("containers", [])
    ]
    images += [
        service["image"].split(":-", 1)[-1].rstrip("}")
        for service in yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())[
            "services"
        ].values()
        if "image" in service
    ]
    third_party = [image for image in images if not image.startswith("sweeper:")]
    assert {image.split(":")[0] for image in third_party} >= {"postgres", "edoburu/pgbouncer"}
    for image in third_party:
        name, _, tag = image.partition(":")
        assert tag and tag != "latest" and any(ch.isdigit() for ch in tag), image
