"""docker/: the compose file's services and the commands the image runs, checked without a Docker engine."""

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from sweeper.cli import _parser
from sweeper.urls import redact, resolve_url

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(value, env: dict):
    """Compose's ${VAR} / ${VAR:-default} substitution, over a parsed document."""
    if isinstance(value, str):
        return VARIABLE.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    return value


def compose(**env) -> dict:
    return interpolate(yaml.safe_load((DOCKER / "compose.yaml").read_text()), env)


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (DOCKER / "Dockerfile").read_text())
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def instruction(name: str) -> list[str]:
    return [args for kind, args in dockerfile_instructions() if kind == name]


def test_compose_has_postgres_pgbouncer_dashboard_and_worker():
    services = compose()["services"]
    assert set(services) == {"postgres", "pgbouncer", "dashboard", "worker"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["pgbouncer"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("dashboard", "worker"):
        assert services[name]["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
        assert services[name]["depends_on"]["pgbouncer"]["condition"] == "service_healthy"


def test_pgbouncer_pools_transactions_onto_the_postgres_service():
    services = compose(POSTGRES_PASSWORD="s3cret")["services"]
    pgbouncer, postgres = services["pgbouncer"]["environment"], services["postgres"]["environment"]
    assert pgbouncer["POOL_MODE"] == "transaction" and pgbouncer["DB_HOST"] == "postgres"
    assert (pgbouncer["DB_USER"], pgbouncer["DB_NAME"], pgbouncer["DB_PASSWORD"]) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_DB"],
        "s3cret",
    )
    max_connections = int(services["postgres"]["command"][-1].split("=")[1])
    assert int(pgbouncer["DEFAULT_POOL_SIZE"]) < max_connections  # room for direct clients
    assert int(pgbouncer["MAX_CLIENT_CONN"]) >= 8 * 500  # 500 supervisors of 8 connections
    assert all(p.startswith("127.0.0.1:") for p in services["pgbouncer"]["ports"])


def test_postgres_keeps_its_data_in_a_named_volume_and_has_a_healthcheck():
    document = compose()
    postgres = document["services"]["postgres"]
    volume, target = postgres["volumes"][0].split(":")
    assert target == "/var/lib/postgresql/data" and volume in document["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert all(
        port.startswith("127.0.0.1:") for port in postgres["ports"]
    )  # other machines: opt in


def test_worker_reserves_gpus_and_shares_artifacts():
    document = compose()
    worker = document["services"]["worker"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert any(
        d["driver"] == "nvidia" and "gpu" in d["capabilities"] and d.get("count") for d in devices
    )
    assert (
        "replicas" not in worker.get("deploy", {}) and "container_name" not in worker
    )  # --scale worker=N works
    mounts = dict(reversed(v.split(":")[:2]) for v in worker["volumes"])
    assert mounts["/artifacts"] in document["volumes"]
    assert worker["command"][worker["command"].index("--artifacts") + 1] == "/artifacts"


def test_dashboard_port_is_bound_to_localhost_only():
    dashboard = compose()["services"]["dashboard"]
    assert dashboard["ports"] and all(
        port.startswith("127.0.0.1:") and port.endswith(":8080") for port in dashboard["ports"]
    )
    assert dashboard["ports"] == ["127.0.0.1:8080:8080"]
    assert compose(DASHBOARD_PORT="9000")["services"]["dashboard"]["ports"] == [
        "127.0.0.1:9000:8080"
    ]


def test_storage_url_points_at_pgbouncer_with_the_postgres_credentials(monkeypatch):
    services = compose()["services"]
    env = services["postgres"]["environment"]
    url = services["worker"]["environment"]["SWEEPER_STORAGE"]
    assert url == services["dashboard"]["environment"]["SWEEPER_STORAGE"]
    assert (
        url
        == f"postgresql+psycopg://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@pgbouncer:5432/{env['POSTGRES_DB']}"
    )
    secret = compose(POSTGRES_PASSWORD="s3cret")["services"]
    assert (
        secret["postgres"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"
        and ":s3cret@" in secret["worker"]["environment"]["SWEEPER_STORAGE"]
    )
    assert "s3cret" not in " ".join(
        secret["worker"]["command"] + secret["dashboard"]["command"]
    )  # not in `ps`
    monkeypatch.setenv("SWEEPER_STORAGE", url)
    assert resolve_url(None) == url and env["POSTGRES_PASSWORD"] not in redact(url)


def test_worker_command_is_a_real_sweeper_worker_command():
    for env, study, workers in (
        ({}, "studies/digits.py", 1),
        ({"STUDY": "imagenette-batch", "WORKERS": "4"}, "imagenette-batch", 4),
    ):
        args = _parser().parse_args(compose(**env)["services"]["worker"]["command"])
        assert (args.command, args.study, args.workers, args.artifacts) == (
            "worker",
            study,
            workers,
            "/artifacts",
        )
        assert args.handler.__name__ == "_worker"
    assert (ROOT / "studies" / "digits.py").is_file()  # the default STUDY, mounted at /work/studies
    assert "../studies:/work/studies:ro" in compose()["services"]["worker"]["volumes"]
    assert instruction("WORKDIR")[-1] == "/work"


def test_dashboard_command_is_a_real_sweeper_dashboard_command():
    args = _parser().parse_args(compose()["services"]["dashboard"]["command"])
    assert (args.command, args.host, args.port) == ("dashboard", "0.0.0.0", 8080)


def test_dockerfile_installs_the_project_and_runs_sweeper():
    assert re.match(r"pytorch/pytorch:[\d.]+-cuda[\d.]+-cudnn\d+-runtime$", instruction("FROM")[0])
    assert json.loads(instruction("ENTRYPOINT")[-1]) == ["sweeper"]
    assert (
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["sweeper"]
        == "sweeper.cli:main"
    )
    assert any(re.search(r"\bpip install \.(\s|$)", run) for run in instruction("RUN"))
    copied = " ".join(instruction("COPY"))
    for path in ("pyproject.toml", "sweeper"):
        assert path in copied and (ROOT / path).exists()
    assert "README.md" not in copied or (ROOT / "README.md").exists()  # pyproject's readme
    assert instruction("USER") and instruction("USER")[-1] not in ("root", "0")
    assert "8080" in instruction("EXPOSE")[-1].split()
    with pytest.raises(SystemExit) as exit_:  # CMD ["--help"]
        _parser().parse_args(json.loads(instruction("CMD")[-1]))
    assert exit_.value.code == 0


@pytest.mark.skipif(
    not shutil.which("docker")
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode,
    reason="docker compose is not installed (the check needs only the CLI, no engine)",
)
def test_docker_compose_accepts_the_file():
    result = subprocess.run(
        ["docker", "compose", "-f", str(DOCKER / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
