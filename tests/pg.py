"""A real PostgreSQL server for tests and benchmarks: initdb + pg_ctl on a free port of 127.0.0.1.

Uses Debian's server binaries (/usr/lib/postgresql/*/bin, the `postgresql` package); without
them the fixtures skip. initdb refuses to run as root, so as root the binaries run as the
`postgres` OS user (`runuser -u postgres -- …`) in a temp dir under /tmp owned by that user.
Trust authentication, listening on 127.0.0.1 only, its Unix socket in the temp dir.

    from tests.pg import postgres_url            # session fixture: one server for the test session
    from tests.pg import postgres_server         # function fixture: a fresh server to stop/start

    def test_restart(postgres_server):
        postgres_server.stop()                   # same port and data dir afterwards
        postgres_server.start()

    with PostgresServer() as server:             # outside pytest (bench/scale.py)
        server.url                               # postgresql+psycopg://postgres@127.0.0.1:PORT/sweeper

    url, stop = start_postgres()                 # the same as a plain function
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DATABASE = "sweeper"
USER = "postgres"
SKIP_REASON = "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install Debian's postgresql package"


class PostgresUnavailable(RuntimeError):
    """No server binaries, or no way to run them (root without a `postgres` OS user)."""


def find_bin() -> Path:
    """The newest /usr/lib/postgresql/VERSION/bin holding initdb and pg_ctl (or $PG_BIN)."""
    candidates = [os.environ["PG_BIN"]] if os.environ.get("PG_BIN") else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p)],
        reverse=True,
    )
    for folder in candidates:
        if all(os.access(Path(folder, name), os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    raise PostgresUnavailable(SKIP_REASON)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One throwaway cluster. `start()` / `stop()` may be called again: same port, same data.

    durable=False (the default, for tests) turns fsync and synchronous commit off: a clean stop
    still writes everything, only a crash of the machine could lose commits.
    """

    def __init__(
        self, tmpdir: str | Path | None = None, *, port: int | None = None, durable: bool = False
    ):
        self.bin = find_bin()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam(USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root and there is no {USER!r} OS user to run initdb as: "
                    "install Debian's postgresql package, or run the tests as a normal user"
                ) from None
            if not shutil.which("runuser"):
                raise PostgresUnavailable("running as root and `runuser` is missing (util-linux)")
            # A pytest tmp_path is private to root: the cluster lives in a folder of its own under /tmp.
            self.root = Path(tempfile.mkdtemp(prefix="sweeper-pg-", dir="/tmp"))
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        else:
            self.root = Path(tempfile.mkdtemp(prefix="sweeper-pg-", dir=tmpdir))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = port or free_port()
        self.durable = durable
        self.url = f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{DATABASE}"
        self.running = False
        try:
            self._initdb()
        except BaseException:
            self.close()
            raise
        atexit.register(self.close)

    # ---- running the binaries -------------------------------------------------------------
    def _run(self, name: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bin / name), *args]
        if self.as_root:
            command = ["runuser", "-u", USER, "--", *command]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        result = subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{name} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}\n{log}"
            )
        return result

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "200",  # 16 executors x pools, raw Optuna processes, the tests
            "shared_buffers": "64MB",
            "logging_collector": "off",
        }
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# tests/pg.py\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
        self.start()
        self._create_database()

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    # ---- the public part ------------------------------------------------------------------
    def start(self) -> None:
        """Starts the server on the same port and data dir; returns once it accepts connections."""
        if self.running:
            return
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stops the server: fast (disconnects clients, clean shutdown) or immediate (like a crash)."""
        if not self.running:
            return
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stops the server and removes its folder."""
        try:
            self.stop("immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)
        atexit.unregister(self.close)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_postgres(tmpdir: str | Path | None = None, **kwargs) -> tuple[str, callable]:
    """Starts a fresh server; returns its SQLAlchemy URL and a function that stops and removes it.

    Raises PostgresUnavailable when the binaries are missing.
    """
    server = PostgresServer(tmpdir, **kwargs)
    return server.url, server.close


def _server_or_skip(tmpdir) -> PostgresServer:
    try:
        return PostgresServer(tmpdir)
    except PostgresUnavailable as error:
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """URL of a PostgreSQL server shared by the test session (database `sweeper`): use distinct study names."""
    server = _server_or_skip(tmp_path_factory.mktemp("pg"))
    yield server.url
    server.close()


@pytest.fixture
def postgres_server(tmp_path):
    """A fresh PostgreSQL server for one test, which may stop() and start() it."""
    server = _server_or_skip(tmp_path)
    yield server
    server.close()


def wait_until_accepting(url: str, timeout: float = 30) -> None:
    """Blocks until a server at `url` (a SQLAlchemy URL) takes connections."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(
                host=parsed.host,
                port=parsed.port,
                user=parsed.username,
                dbname=parsed.database,
                password=parsed.password,
                connect_timeout=2,
            ).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
