"""A real PgBouncer (Debian's `pgbouncer`) on a free port of 127.0.0.1, in front of a tests/pg.py
server, in transaction pooling mode: each transaction may run on another server connection.

PgBouncer refuses to run as root, so as root it runs as the `postgres` OS user, its files in
the server's folder (owned by that user). Trust authentication, as the server behind it.

    with PgBouncer(server, pool_size=2) as bouncer:   # `server`: a tests.pg.PostgresServer
        bouncer.url      # postgresql+psycopg://postgres@127.0.0.1:PORT/sweeper
        bouncer.stats()  # SHOW STATS of the admin console, for that database
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.pg import DATABASE, USER, PostgresServer, free_port, wait_until_accepting

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
SKIP_REASON = "pgbouncer not found: install Debian's pgbouncer package (scripts/test.sh does)"


def available() -> bool:
    return os.access(BINARY, os.X_OK)


class PgBouncer:
    def __init__(
        self,
        server: PostgresServer,
        *,
        pool_size: int = 2,
        max_clients: int = 2000,
        query_wait_timeout: int = 120,
    ):
        self.port = free_port()
        self.folder = server.root
        self.config = self.folder / "pgbouncer.ini"
        (self.folder / "userlist.txt").write_text(f'"{USER}" ""\n')
        self.config.write_text(
            "[databases]\n"
            f"{DATABASE} = host=127.0.0.1 port={server.port} dbname={DATABASE} user={USER}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            f"unix_socket_dir = {self.folder}\n"
            "auth_type = trust\n"
            f"auth_file = {self.folder / 'userlist.txt'}\n"
            f"admin_users = {USER}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = {max_clients}\n"
            # How long a client waits for a server connection before PgBouncer fails its query.
            f"query_wait_timeout = {query_wait_timeout}\n"
            f"logfile = {self.folder / 'pgbouncer.log'}\n"
            "stats_period = 1\n"  # SHOW STATS totals are refreshed this often (default 60 s)
        )
        if server.as_root:
            for name in ("pgbouncer.ini", "userlist.txt"):
                os.chown(self.folder / name, server.owner.pw_uid, server.owner.pw_gid)
        command = [BINARY, str(self.config)]
        if server.as_root:
            command = ["runuser", "-u", USER, "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{DATABASE}"
        try:
            wait_until_accepting(self.url, timeout=20)
        except BaseException:
            self.close()
            raise

    def stats(self) -> dict:
        """SHOW STATS for our database (the admin console speaks the simple protocol only)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="pgbouncer", autocommit=True
        ) as connection:
            cursor = psycopg.ClientCursor(connection)
            cursor.execute("SHOW STATS")
            names = [column.name for column in cursor.description]
            rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        return next(row for row in rows if row["database"] == DATABASE)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> PgBouncer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@pytest.fixture
def pgbouncer(postgres_server):
    """A PgBouncer pooling transactions onto 2 server connections of a fresh PostgreSQL."""
    if not available():
        pytest.skip(SKIP_REASON)
    # A client stuck waiting for a server connection fails in 30 s rather than PgBouncer's 120.
    with PgBouncer(postgres_server, pool_size=2, query_wait_timeout=30) as bouncer:
        yield bouncer
