"""`sweeper dashboard`: serve the live web view of every study in a storage."""

from __future__ import annotations

import argparse
import socket

from sweeper.errors import UsageError
from sweeper.urls import STORAGE_HELP, redact, resolve_url

DESCRIPTION = """\
A live web view of every study in the storage: the study list with progress and best value;
per study the running trials with their epoch and curve so far (refreshed every 2 s without
reloading), a trial table that sorts, filters (state, stop reason, parameter ranges) and
overlays the curves of the trials you tick, the report's tables and figures and CSV/HTML
downloads; per trial its params, config, epochs and, if it crashed, its traceback.

Read-only: it never writes to the storage, and its short read transactions never make a
running sweep wait or fail. Binds to 127.0.0.1 (this machine only) unless --host says otherwise."""
EPILOG = """\
examples:
  sweeper dashboard                                   # http://127.0.0.1:8080 over ./sweeper.db
  sweeper dashboard --storage sqlite:///runs/sweeper.db --port 8081
  sweeper dashboard --host 0.0.0.0                    # reachable from other machines: trusted networks only"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "dashboard",
        help="live web view of the studies in a storage",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--storage", metavar="URL", help=STORAGE_HELP)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here: the parser above is built for every `sweeper` command, this only to serve.
    from werkzeug.serving import make_server

    from sweeper.dashboard.app import create_app

    url = resolve_url(args.storage)
    app = create_app(url)
    _check_can_listen(args.host, args.port)
    server = make_server(args.host, args.port, app, threaded=True)
    print(
        f"sweeper dashboard for {redact(url)} at http://{args.host}:{server.server_port}/ (Ctrl-C stops it)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # the way to stop it: not an error
        pass
    return 0


def _check_can_listen(host: str, port: int) -> None:
    """A taken port or a foreign address is the user's to fix: werkzeug would exit 1 on its own."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            probe.bind((host, port))
    except (OSError, OverflowError) as error:
        raise UsageError(
            f"cannot listen on {host}:{port}: {error}",
            "pick a free port with --port (or stop what is using it), and an address of this machine with --host",
        ) from None
