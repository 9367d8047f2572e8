"""The command every node of a cluster runs, built in one place for Slurm and Kubernetes."""

from __future__ import annotations

import shlex

from sweeper.errors import UsageError
from sweeper.names import check_study_name, names_a_file
from sweeper.urls import backend, redact

# Executors per node: each cluster sets it from the GPUs it gives the node (one per GPU).
WORKERS_VARIABLE = "SWEEPER_WORKERS"
STORAGE_VARIABLE = "SWEEPER_STORAGE"


def worker_line(study: str, artifacts: str) -> str:
    """`exec sweeper worker STUDY ...` as one shell line. `exec` makes sweeper the process the
    cluster signals (scancel, a pod's termination), so its SIGTERM handling applies."""
    fixed = shlex.join(["sweeper", "worker", study, "--artifacts", artifacts])
    return f'exec {fixed} --workers "${WORKERS_VARIABLE}"'


def check_study_reference(study: str) -> str:
    """A study name, or a study file: what `sweeper worker` accepts."""
    return study if names_a_file(study) else check_study_name(study)


def check_shared_storage(url: str) -> str:
    """Nodes of a cluster share one database server: a SQLite file lives on one machine."""
    if backend(url) == "sqlite":
        raise UsageError(
            f"the storage {redact(url)} is a SQLite file, which a cluster's nodes cannot share",
            f"export {STORAGE_VARIABLE}=postgresql+psycopg://USER:PASSWORD@HOST:5432/DB "
            "(or pass --storage)",
        )
    return url
