"""What opening a storage costs a supervisor, against Optuna's own RDBStorage on the same one.

Every `sweeper run` and `sweeper worker` opens its storage once (store/engines.open_storage:
sweeper makes or checks the schema itself on one connection, under an advisory lock on
PostgreSQL, then opens RDBStorage with creation and its check skipped). Timed here, each the
median of --rounds opens of a storage whose schema exists, with the engine disposed after each:

  sweeper     open_storage(url)
  optuna      optuna.storages.RDBStorage(url) (its tables, version row and Alembic check)

on a SQLite file and on a local PostgreSQL server (tests/pg.py; skipped without its binaries).

    .venv/bin/python bench/open_storage.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import runpy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
optuna.logging.set_verbosity(optuna.logging.WARNING)

from sweeper.store.engines import open_storage  # noqa: E402
from tests.pg import PostgresServer, PostgresUnavailable  # noqa: E402


def median_seconds(open_once, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        open_once().engine.dispose()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(label: str, url: str, rounds: int) -> dict:
    open_storage(url).engine.dispose()  # the schema exists from here on
    ours = median_seconds(lambda: open_storage(url), rounds)
    optunas = median_seconds(lambda: optuna.storages.RDBStorage(url), rounds)
    print(
        f"{label:<11} sweeper {ours * 1000:6.1f} ms   optuna {optunas * 1000:6.1f} ms   "
        f"ratio {ours / optunas:.2f}x"
    )
    return {"storage": label, "sweeper_s": ours, "optuna_s": optunas, "ratio": ours / optunas}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="opens timed per storage (15)")
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures there (bench/tables.py)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = [compare("sqlite", f"sqlite:///{folder}/bench.db", args.rounds)]
    try:
        with PostgresServer() as server:
            rows.append(compare("postgresql", server.url, args.rounds))
    except PostgresUnavailable as error:
        print(f"postgresql  skipped: {error}")
    setup = f"median of {args.rounds} opens of a storage whose schema exists"
    save = runpy.run_path(str(Path(__file__).with_name("tables.py")))["save"]
    save(args.json, __file__, rows, setup)


if __name__ == "__main__":
    main()
