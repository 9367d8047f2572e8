"""`sweeper submit k8s`: Kubernetes manifests for a study, ready for `kubectl apply`.

Rendered from Python rather than kept as templates, so a study's name, its worker count and
its GPUs land in the right fields and the tests validate exactly what users apply. Pieces:
  database.yaml   PostgreSQL (a StatefulSet with its volume) behind PgBouncer in transaction
                  mode, each a ClusterIP Service; left out with --external-database
  artifacts.yaml  a ReadWriteMany volume for checkpoints, shared by every worker pod
  dashboard.yaml  `sweeper dashboard` as a Deployment behind a ClusterIP Service
  workers-<study>.yaml  an Indexed Job: one pod per worker, each `sweeper worker STUDY` with
                  one executor per GPU it requests (the same line Slurm tasks run)
Credentials stay in the Secret `sweeper-db` the user creates (keys `password` for the bundled
PostgreSQL, `url` for sweeper); no manifest holds one.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sweeper.errors import UsageError
from sweeper.names import names_a_file
from sweeper.submit.worker import STORAGE_VARIABLE, WORKERS_VARIABLE, worker_line

SECRET = "sweeper-db"
LABEL = "app.kubernetes.io/name"
POSTGRES_IMAGE = "postgres:16"
PGBOUNCER_IMAGE = "edoburu/pgbouncer:v1.25.1-p0"
# 8 connections a supervisor at most: PgBouncer lets thousands of them share a few server ones.
PGBOUNCER_CLIENTS = 5000
PGBOUNCER_SERVER_POOL = 40
ARTIFACTS = "/artifacts"
STUDIES = "/work/studies"  # the image's WORKDIR is /work
IMAGE_UID = 1000  # docker/Dockerfile's `sweeper` user
STOP_GRACE_S = 120  # SIGTERM: running trials checkpoint their epoch first


def _meta(name: str, component: str) -> dict:
    return {"name": name, "labels": {LABEL: "sweeper", "app.kubernetes.io/component": component}}


def _selector(component: str) -> dict:
    return {LABEL: "sweeper", "app.kubernetes.io/component": component}


def _secret_env(name: str, key: str) -> dict:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": SECRET, "key": key}}}


def _service(name: str, component: str, port: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, component),
        "spec": {
            "type": "ClusterIP",
            "selector": _selector(component),
            "ports": [{"port": port, "targetPort": port}],
        },
    }


def database() -> list[dict]:
    postgres = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta("sweeper-postgres", "postgres"),
        "spec": {
            "serviceName": "sweeper-postgres",
            "replicas": 1,
            "selector": {"matchLabels": _selector("postgres")},
            "template": {
                "metadata": {"labels": _selector("postgres")},
                "spec": {
                    "containers": [
                        {
                            "name": "postgres",
                            "image": POSTGRES_IMAGE,
                            "args": ["-c", f"max_connections={PGBOUNCER_SERVER_POOL + 60}"],
                            "env": [
                                {"name": "POSTGRES_USER", "value": "sweeper"},
                                {"name": "POSTGRES_DB", "value": "sweeper"},
                                {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                                _secret_env("POSTGRES_PASSWORD", "password"),
                            ],
                            "ports": [{"containerPort": 5432}],
                            "readinessProbe": {
                                "exec": {"command": ["pg_isready", "-U", "sweeper"]},
                                "periodSeconds": 5,
                            },
                            "volumeMounts": [
                                {"name": "pgdata", "mountPath": "/var/lib/postgresql/data"}
                            ],
                        }
                    ]
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "pgdata"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "20Gi"}},
                    },
                }
            ],
        },
    }
    pgbouncer = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta("sweeper-pgbouncer", "pgbouncer"),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": _selector("pgbouncer")},
            "template": {
                "metadata": {"labels": _selector("pgbouncer")},
                "spec": {
                    "containers": [
                        {
                            "name": "pgbouncer",
                            "image": PGBOUNCER_IMAGE,
                            "env": [
                                {"name": "DB_HOST", "value": "sweeper-postgres"},
                                {"name": "DB_USER", "value": "sweeper"},
                                {"name": "DB_NAME", "value": "sweeper"},
                                _secret_env("DB_PASSWORD", "password"),
                                {"name": "AUTH_TYPE", "value": "scram-sha-256"},
                                {"name": "POOL_MODE", "value": "transaction"},
                                {"name": "MAX_CLIENT_CONN", "value": str(PGBOUNCER_CLIENTS)},
                                {"name": "DEFAULT_POOL_SIZE", "value": str(PGBOUNCER_SERVER_POOL)},
                            ],
                            "ports": [{"containerPort": 5432}],
                            "readinessProbe": {"tcpSocket": {"port": 5432}, "periodSeconds": 5},
                        }
                    ]
                },
            },
        },
    }
    return [
        postgres,
        _service("sweeper-postgres", "postgres", 5432),
        pgbouncer,
        _service("sweeper-pgbouncer", "pgbouncer", 5432),
    ]


def artifacts(size: str = "100Gi") -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": _meta("sweeper-artifacts", "artifacts"),
            "spec": {
                # Every worker pod writes checkpoints; a retried trial resumes on another node.
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": size}},
            },
        }
    ]


def dashboard(image: str) -> list[dict]:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta("sweeper-dashboard", "dashboard"),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": _selector("dashboard")},
            "template": {
                "metadata": {"labels": _selector("dashboard")},
                "spec": {
                    "containers": [
                        {
                            "name": "dashboard",
                            "image": image,
                            "args": ["dashboard", "--host", "0.0.0.0", "--port", "8080"],
                            "env": [_secret_env(STORAGE_VARIABLE, "url")],
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": {
                                "httpGet": {"path": "/", "port": 8080},
                                "periodSeconds": 10,
                            },
                        }
                    ]
                },
            },
        },
    }
    return [deployment, _service("sweeper-dashboard", "dashboard", 8080)]


def kube_name(study: str) -> str:
    """A DNS-1123 label from a study name (lower case, '-' for '.' and '_')."""
    stem = re.sub(r"[^a-z0-9-]+", "-", Path(study).stem.lower()).strip("-")
    return f"sweeper-{stem}"[:52].rstrip("-")  # Jobs' pods append a suffix within 63


def workers(study: str, pods: int, gpus_per_pod: int, image: str) -> list[dict]:
    """The Indexed Job, and the study file as a ConfigMap when STUDY names one."""
    if pods < 1:
        raise UsageError(f"--workers {pods} must be 1 or more", "give the number of worker pods")
    if gpus_per_pod < 0:
        raise UsageError(f"--gpus-per-pod {gpus_per_pod} is negative", "give 0 for CPU pods")
    name = kube_name(study)
    documents, mounts, volumes = [], [{"name": "artifacts", "mountPath": ARTIFACTS}], []
    volumes.append(
        {"name": "artifacts", "persistentVolumeClaim": {"claimName": "sweeper-artifacts"}}
    )
    reference = study
    if names_a_file(study):
        path = Path(study)
        if not path.is_file():
            raise UsageError(f"no study file {study}", "give a study's name or an existing file")
        documents.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": _meta(f"{name}-study", "study"),
                "data": {path.name: path.read_text()},
            }
        )
        mounts.append({"name": "study", "mountPath": STUDIES, "readOnly": True})
        volumes.append({"name": "study", "configMap": {"name": f"{name}-study"}})
        reference = f"{STUDIES}/{path.name}"
    container = {
        "name": "worker",
        "image": image,
        "command": ["/bin/sh", "-c", worker_line(reference, ARTIFACTS)],
        "env": [
            _secret_env(STORAGE_VARIABLE, "url"),
            {"name": WORKERS_VARIABLE, "value": str(max(gpus_per_pod, 1))},
        ],
        "volumeMounts": mounts,
    }
    if gpus_per_pod:
        container["resources"] = {"limits": {"nvidia.com/gpu": gpus_per_pod}}
    documents.append(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta(name, "worker"),
            "spec": {
                "completionMode": "Indexed",
                "completions": pods,
                "parallelism": pods,
                # A worker ends 0 once the study's budget is used; a crashed one is restarted.
                "backoffLimit": 3 * pods,
                "template": {
                    "metadata": {"labels": _selector("worker")},
                    "spec": {
                        "restartPolicy": "OnFailure",
                        # The image runs as uid 1000: volumes it writes must let its group in.
                        "securityContext": {"fsGroup": IMAGE_UID},
                        "terminationGracePeriodSeconds": STOP_GRACE_S,
                        "containers": [container],
                        "volumes": volumes,
                    },
                },
            },
        }
    )
    return documents


def render(
    study: str,
    pods: int,
    *,
    gpus_per_pod: int = 1,
    image: str = "sweeper:latest",
    external_database: bool = False,
) -> dict[str, list[dict]]:
    """File name -> the manifests in it."""
    files = {} if external_database else {"database.yaml": database()}
    files["artifacts.yaml"] = artifacts()
    files["dashboard.yaml"] = dashboard(image)
    files[f"workers-{kube_name(study).removeprefix('sweeper-')}.yaml"] = workers(
        study, pods, gpus_per_pod, image
    )
    return files


def to_yaml(documents: list[dict]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, width=100)
