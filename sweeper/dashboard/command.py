"""`sweeper dashboard`: serve the live web view of every study in a storage."""
from __future__ import annotations

import argparse

from sweeper.dashboard.app import create_app
from sweeper.sweep.storage import redact, resolve_url

DESCRIPTION = """\
A live web view of every study in the storage: the study list with progress; per study the
running trials with their epoch and curve so far (refreshed every 2 s without reloading), the
report's tables and figures and CSV/HTML downloads; per trial its params, config and epochs.

Read-only: it never writes to the storage, and its short read transactions never make a
running sweep wait or fail. Binds to 127.0.0.1 (this machine only) unless --host says otherwise."""
EPILOG = """\
examples:
  sweeper dashboard                                   # http://127.0.0.1:8080 over ./sweeper.db
  sweeper dashboard --storage sqlite:///runs/sweeper.db --port 8081
  sweeper dashboard --host 0.0.0.0                    # reachable from other machines: trusted networks only"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "dashboard", help="live web view of the studies in a storage", description=DESCRIPTION,
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--storage", metavar="URL", help="database URL (default: $SWEEPER_STORAGE, else sqlite:///sweeper.db)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    url = resolve_url(args.storage)
    app = create_app(url)
    print(f"sweeper dashboard for {redact(url)} at http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    app.run(host=args.host, port=args.port, threaded=True, debug=False, use_reloader=False)
    return 0
