"""A real one-node Slurm cluster for tests: munged, slurmctld and slurmd on this machine.

Debian's slurm-wlm and munge packages, run as root (Slurm's daemons need it to start jobs as
the submitting user), every file in a temp dir: its own munge key and socket, its own
slurm.conf on free ports. Clients (sbatch, squeue, scancel) find it through $SLURM_CONF.

    with SlurmCluster(cpus=4) as cluster:
        cluster.env            # {"SLURM_CONF": ...}: pass it to sbatch and friends
        cluster.jobs()         # {"123_0": "RUNNING", ...} of the queue
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.pg import free_port

DAEMONS = ("munged", "slurmctld", "slurmd")


def unavailable() -> str | None:
    """Why no cluster can be started here, or None."""
    missing = [d for d in DAEMONS if not shutil.which(d, path="/usr/sbin:/usr/bin")]
    if missing or not shutil.which("sbatch"):
        return (
            f"{', '.join(missing) or 'sbatch'} not found: install Debian's slurm-wlm and munge "
            "(scripts/test.sh does)"
        )
    if os.geteuid() != 0:
        return "a Slurm cluster's daemons need root"
    return None


class SlurmCluster:
    def __init__(self, cpus: int = 4, kill_wait_s: int = 10):
        self.root = Path(tempfile.mkdtemp(prefix="sweeper-slurm-", dir="/tmp"))
        self.root.chmod(0o700)  # munged refuses a key or socket others could reach
        self.host = socket.gethostname().split(".")[0]
        self.conf = self.root / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.processes: list[subprocess.Popen] = []
        try:
            self._munge()
            self._configure(cpus, kill_wait_s)
            for daemon in ("slurmctld", "slurmd"):
                self._start(f"/usr/sbin/{daemon}", "-D", "-f", str(self.conf), log=daemon)
            self._wait_idle()
        except BaseException:
            self.close()
            raise

    def _start(self, *command: str, log: str) -> None:
        out = open(self.root / f"{log}.out", "w")
        self.processes.append(
            subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        )

    def _munge(self) -> None:
        key = self.root / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self.munge_socket = self.root / "munge.socket"
        self._start(
            "/usr/sbin/munged",
            "--foreground",
            "--force",  # as root, in a temp dir
            f"--socket={self.munge_socket}",
            f"--key-file={key}",
            f"--pid-file={self.root / 'munged.pid'}",
            f"--log-file={self.root / 'munged.log'}",
            f"--seed-file={self.root / 'munged.seed'}",
            log="munged",
        )
        self._wait(self.munge_socket.exists, "munged's socket")

    def _configure(self, cpus: int, kill_wait_s: int) -> None:
        for folder in ("state", "spool"):
            (self.root / folder).mkdir()
        r = self.root
        self.conf.write_text(
            f"""\
ClusterName=sweepertest
SlurmctldHost={self.host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/slurmctld.log
SlurmdLogFile={r}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
KillWait={kill_wait_s}
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
        )

    def _wait(self, predicate, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{process.args[0]} exited while waiting for {what}:\n{self.logs()}"
                    )
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}:\n{self.logs()}")
            time.sleep(0.2)

    def _wait_idle(self) -> None:
        def idle() -> bool:
            result = subprocess.run(
                ["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True
            )
            return result.stdout.strip() == "idle"

        self._wait(idle, "the node to be idle")

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(self.root.glob("*.log"))
        )

    def jobs(self) -> dict[str, str]:
        """The queue: job (array task) id -> state."""
        result = subprocess.run(
            ["squeue", "-h", "-r", "-o", "%i %T"], env=self.env, capture_output=True, text=True
        )
        return dict(line.split() for line in result.stdout.splitlines() if line.strip())

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> SlurmCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
