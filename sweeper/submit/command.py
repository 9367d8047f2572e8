"""`sweeper submit slurm|k8s`: parsing only; the work is in slurm.py and k8s.py."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from sweeper.errors import UsageError
from sweeper.names import names_a_file
from sweeper.urls import STORAGE_HELP, redact, resolve_url

SLURM_EPILOG = textwrap.dedent("""\
    examples:
      export SWEEPER_STORAGE=postgresql+psycopg://me:PASSWORD@db.example:5432/sweeper
      sweeper submit slurm digits --nodes 4 --gpus-per-node 2 --time 04:00:00 --dry-run
      sweeper submit slurm digits --nodes 4 --gpus-per-node 2 --partition gpu \\
        --artifacts /shared/runs
    Each task runs `sweeper worker STUDY` with one executor per GPU it gets (1 without GPUs).
    The storage URL travels in the environment, never in the script. scancel stops the tasks
    cleanly: their running trials go back to the queue and resume from their checkpoints.""")
K8S_EPILOG = textwrap.dedent("""\
    examples:
      sweeper submit k8s digits --workers 4 --gpus-per-pod 2 --image registry.example/sweeper:1 \\
        --out k8s/
      kubectl create secret generic sweeper-db --from-literal=password=PW \\
        --from-literal=url=postgresql+psycopg://sweeper:PW@sweeper-pgbouncer:5432/sweeper
      kubectl apply -f k8s/""")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "submit",
        help="run a study's workers on a Slurm or Kubernetes cluster",
        description="Run `sweeper worker STUDY` on many machines of a cluster.",
    )
    clusters = parser.add_subparsers(dest="cluster", required=True, metavar="CLUSTER")
    _add_slurm(clusters)
    _add_k8s(clusters)
    return parser


def _add_slurm(clusters) -> None:
    command = clusters.add_parser(
        "slurm",
        help="submit a Slurm job array, one `sweeper worker` per node",
        description="Submit one job array whose tasks each run `sweeper worker STUDY`.",
        epilog=SLURM_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("study", metavar="STUDY", help="a stored study's name, or a study file")
    command.add_argument("--nodes", type=int, required=True, metavar="N", help="array tasks")
    command.add_argument(
        "--gpus-per-node", type=int, default=0, metavar="G", help="GPUs per task (default 0)"
    )
    command.add_argument("--partition", metavar="P", help="the Slurm partition")
    command.add_argument("--time", metavar="HH:MM:SS", help="each task's time limit")
    command.add_argument(
        "--artifacts",
        default="runs",
        metavar="DIR",
        help="checkpoints, on a file system every node sees (default runs)",
    )
    command.add_argument(
        "--logs", default="slurm-logs", metavar="DIR", help="one log per task (default slurm-logs)"
    )
    command.add_argument(
        "--sbatch",
        action="append",
        default=[],
        metavar="OPTION",
        help="another sbatch option, e.g. --sbatch=--account=lab (repeatable)",
    )
    command.add_argument("--storage", metavar="URL", help=STORAGE_HELP)
    command.add_argument(
        "--dry-run", action="store_true", help="print the batch script, submit nothing"
    )
    command.set_defaults(handler=_slurm)


def _add_k8s(clusters) -> None:
    command = clusters.add_parser(
        "k8s",
        help="render Kubernetes manifests for a study",
        description="Render the manifests (PostgreSQL behind PgBouncer, the dashboard, an "
        "artifacts volume, the workers as an Indexed Job) for `kubectl apply`.",
        epilog=K8S_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("study", metavar="STUDY", help="a stored study's name, or a study file")
    command.add_argument(
        "--workers", type=int, required=True, metavar="N", help="worker pods, one supervisor each"
    )
    command.add_argument(
        "--gpus-per-pod",
        type=int,
        default=1,
        metavar="G",
        help="GPUs each pod requests, one executor each (default 1; 0 for CPU pods)",
    )
    command.add_argument(
        "--image", default="sweeper:latest", help="the image built from docker/Dockerfile"
    )
    command.add_argument(
        "--external-database",
        action="store_true",
        help="no PostgreSQL/PgBouncer: the Secret's url names a database run elsewhere",
    )
    command.add_argument("--out", metavar="DIR", help="write one file per part (default stdout)")
    command.set_defaults(handler=_k8s)


def _slurm(args) -> int:
    from sweeper.submit import slurm
    from sweeper.submit.worker import check_shared_storage, check_study_reference

    study = check_study_reference(args.study)
    url = check_shared_storage(resolve_url(args.storage))
    if names_a_file(study):
        study = str(Path(study).resolve())  # the tasks may start in another folder
    job = slurm.SlurmJob(
        study=study,
        nodes=args.nodes,
        artifacts=str(Path(args.artifacts).resolve()),
        logs=Path(args.logs).resolve(),
        workdir=Path.cwd(),
        gpus_per_node=args.gpus_per_node,
        partition=args.partition,
        time=args.time,
        extra=args.sbatch,
    )
    if args.dry_run:
        print(job.script(), end="")
        return 0
    from sweeper.sweep.study_io import resolve_study

    sbatch = slurm.find_sbatch()
    resolve_study(study, url)  # an unknown study or a broken file: one line now, not N logs later
    job_id = slurm.submit(job, url, sbatch)
    print(
        f"submitted job array {job_id} ({args.nodes} tasks) for study {args.study!r} on "
        f"{redact(url)}\nlogs: {job.log_pattern}\ncancel: scancel {job_id}"
    )
    return 0


def _k8s(args) -> int:
    from sweeper.submit import k8s
    from sweeper.submit.worker import check_study_reference

    check_study_reference(args.study)
    files = k8s.render(
        args.study,
        args.workers,
        gpus_per_pod=args.gpus_per_pod,
        image=args.image,
        external_database=args.external_database,
    )
    if not args.out:
        sys.stdout.write(k8s.to_yaml([doc for documents in files.values() for doc in documents]))
        return 0
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file", "give a folder for the manifests")
    out.mkdir(parents=True, exist_ok=True)
    for name, documents in files.items():
        (out / name).write_text(k8s.to_yaml(documents))
    print(f"wrote {', '.join(files)} to {out}; apply with: kubectl apply -f {out}")
    return 0
