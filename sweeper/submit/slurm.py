"""`sweeper submit slurm`: one job array whose tasks each run `sweeper worker STUDY`.

The batch script is a plain template, printed by --dry-run and kept beside the logs, so what
runs on the nodes can be read before and after. The storage URL reaches the tasks through
$SWEEPER_STORAGE in the environment sbatch passes on (--export=ALL): never in the script,
which Slurm stores and shows to anyone who can run `scontrol write batch_script`.

Stopping: scancel, a time limit or a node shutdown sends SIGTERM to every process of a task.
The supervisor takes it as Ctrl-C (asks for nothing new); its executors die with it, and each
running trial goes back to the queue at once as a retry that resumes from its last finished
epoch's checkpoint. A node that dies without a signal stops heartbeating; the other tasks
take its trials back after the grace period.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from sweeper.errors import UsageError
from sweeper.submit.worker import STORAGE_VARIABLE, WORKERS_VARIABLE, worker_line

TEMPLATE = Template("""\
#!/bin/bash
# `sweeper worker $study` on $nodes node(s), one array task each (made by `sweeper submit slurm`).
#SBATCH --job-name=$job_name
#SBATCH --array=0-$last_task
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --output=$log_pattern
#SBATCH --export=ALL
$options
# The storage comes from $$$storage_variable in the environment sbatch passed on.
if [ -z "$$$storage_variable" ]; then
  echo "error: $storage_variable is not set in the environment sbatch passed on" >&2
  exit 2
fi
# One executor per GPU Slurm gave this task.
export $workers_variable="$${SLURM_GPUS_ON_NODE:-$default_workers}"
cd $workdir
$command
""")
_TIME = re.compile(r"(\d+-)?\d{1,3}:\d{2}:\d{2}")


@dataclass(frozen=True)
class SlurmJob:
    """What `sweeper submit slurm` was asked for; `script()` renders it."""

    study: str
    nodes: int
    artifacts: str
    logs: Path
    workdir: Path
    gpus_per_node: int = 0
    partition: str | None = None
    time: str | None = None
    extra: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.nodes < 1:
            raise UsageError(f"--nodes {self.nodes} must be 1 or more", "give the array's size")
        if self.gpus_per_node < 0:
            raise UsageError(
                f"--gpus-per-node {self.gpus_per_node} is negative", "give 0 for CPU nodes"
            )
        if self.time is not None and not _TIME.fullmatch(self.time):
            raise UsageError(
                f"--time {self.time!r} is not HH:MM:SS", "write e.g. --time 12:00:00 or 2-00:00:00"
            )
        for option in self.extra:
            if not option.startswith("--") or "\n" in option:
                raise UsageError(
                    f"--sbatch {option!r} is not one sbatch option",
                    "write it as sbatch takes it, e.g. --sbatch=--account=lab",
                )

    @property
    def job_name(self) -> str:
        return f"sweeper-{Path(self.study).stem}"

    @property
    def log_pattern(self) -> Path:
        """One log per task: %A is the array's job id, %a the task's index."""
        return self.logs / f"{self.job_name}-%A_%a.out"

    def options(self) -> list[str]:
        options = []
        if self.partition:
            options.append(f"--partition={self.partition}")
        if self.time:
            options.append(f"--time={self.time}")
        if self.gpus_per_node:
            options.append(f"--gres=gpu:{self.gpus_per_node}")
        return options + list(self.extra)

    def script(self) -> str:
        return TEMPLATE.substitute(
            study=self.study,
            nodes=self.nodes,
            job_name=self.job_name,
            last_task=self.nodes - 1,
            log_pattern=self.log_pattern,
            options="\n".join(f"#SBATCH {option}" for option in self.options()),
            storage_variable=STORAGE_VARIABLE,
            workers_variable=WORKERS_VARIABLE,
            default_workers=self.gpus_per_node or 1,
            workdir=shlex.quote(str(self.workdir)),
            command=worker_line(self.study, self.artifacts),
        )


def find_sbatch() -> str:
    """sbatch, and the `sweeper` the tasks will run with this environment."""
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise UsageError(
            "sbatch is not on PATH",
            "run this on a Slurm login node, or add --dry-run to see the script",
        )
    if shutil.which("sweeper") is None:
        raise UsageError(
            "`sweeper` is not on PATH, and the tasks run `sweeper worker` with this environment",
            "activate the environment sweeper is installed in (e.g. source .venv/bin/activate)",
        )
    return sbatch


def submit(job: SlurmJob, storage_url: str, sbatch: str) -> str:
    """Hands the script to sbatch with the storage in its environment; returns the job id.
    The script is kept beside the logs as `<job name>.sbatch`."""
    job.logs.mkdir(parents=True, exist_ok=True)
    script = job.logs / f"{job.job_name}.sbatch"
    script.write_text(job.script())
    result = subprocess.run(
        [sbatch, "--parsable", str(script)],
        env={**os.environ, STORAGE_VARIABLE: storage_url},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip() or result.stdout.strip() or "no reason given").splitlines()
        raise UsageError(
            f"sbatch refused the job: {reason[-1]}",
            f"check --partition, --time and --sbatch against `sinfo`; the script is in {script}",
        )
    return result.stdout.strip().split(";")[0]
