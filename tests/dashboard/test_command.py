"""`sweeper dashboard` as a user starts it: binds to 127.0.0.1 by default and serves the list."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from tests.conftest import cli_env
from tests.report.conftest import write_known_study


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dashboard_command_serves_on_localhost(tmp_path):
    url = f"sqlite:///{tmp_path / 'known.db'}"
    write_known_study(url)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sweeper.cli", "dashboard", "--storage", url, "--port", str(port)],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, body = time.time() + 30, None
        while body is None and time.time() < deadline:
            assert server.poll() is None, server.communicate()[0]
            try:
                body = (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies").read().decode()
                )
            except OSError:
                time.sleep(0.2)
        assert body is not None and '"name":"batch"' in body
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert (
        f"at http://127.0.0.1:{port}/" in output and "known.db" in output
    )  # bound to this machine only


def test_port_in_use_is_one_line(tmp_path, capsys):
    from sweeper.cli import main

    url = f"sqlite:///{tmp_path / 'known.db'}"
    write_known_study(url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["dashboard", "--storage", url, "--port", str(taken.getsockname()[1])]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
