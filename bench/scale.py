"""How sweeper scales: trials per second with 1, 4, 16 executors, and per-trial cost as a study grows.

The objective is instant (tests/fake_trainer.py, FAKE_EPOCH_SECONDS=0: 10 epochs, no work), so
what is timed is the orchestration.

1. Throughput on SQLite and PostgreSQL: sweeper's real Supervisor with k executors, against k
   raw Optuna processes, each running `study.optimize` on the same storage with the same
   objective (suggest lr, 10 x report + should_prune, return), sharing the budget, with the same
   sampler (random) and pruner (median, n_startup_trials=4, n_warmup_steps=1).
   Start-up is not timed on either side: the clock runs from the moment every executor (or raw
   process) has started, imported and opened the study, to the last trial's end.
   On SQLite each measurement gets a fresh file, since sweeper turns WAL on for good in its
   file; on SQLite it also times raw Optuna on the storage as sweeper tunes it (WAL, no fsync per commit,
   60 s busy timeout), to tell the orchestration's cost from the tuning's gain. Each point is
   the median of --repeat rounds (raw and sweeper alternating): on a 2-core machine shared with
   the database server one round varies by a third from the next.
2. Per-trial cost (one executor; one raw process) with 100 and with 10,000 trials already in
   the study, prefilled with bulk SQL as complete sweeper trials (10 intermediate values, 10
   epoch rows, a few attributes each), the median of --repeat rounds that each add --extra
   trials to the same two studies. The steady cost is the slope over the trials after the
   first; the first is shown apart: a process's first read of the study fills Optuna's cache
   (_CachedStorage) with every stored trial, once, in raw Optuna and sweeper alike.

3. Supervisors on one PostgreSQL (one machine each in a real fleet; here processes with one
   executor each), directly and through PgBouncer in transaction mode (tests/pgbouncer.py,
   Debian's pgbouncer): trials/s as their number doubles, until it stops growing (less than
   --growth more than the last count), with the most server connections seen at once.
   Every supervisor starts, imports and opens the study before the clock starts.

Targets: sweeper >= raw Optuna at every point; the cost at 10,000 trials <= 2x the cost at 100.

    python bench/scale.py                                   # small defaults, a few minutes on 2 cores
    python bench/scale.py --trials 400 --executors 1,4,16,64 --existing 100,10000,100000
    python bench/scale.py --postgres postgresql+psycopg://me:pw@db/bench --skip-history
    python bench/scale.py --skip-throughput --skip-history --supervisors 1,2,4,8,16,32,64
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import io
import json
import math
import multiprocessing as mp
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["FAKE_EPOCH_SECONDS"] = "0"
os.environ.setdefault("PYTHONPATH", str(ROOT))  # spawned executors import tests.fake_trainer

import optuna  # noqa: E402
import sqlalchemy as sa  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)

EPOCHS = 10


# ---- the objective, as raw Optuna runs it ----------------------------------------------------
def curve(lr: float, epoch: int) -> float:
    """tests/fake_trainer.py's val_acc, so the pruner sees the same numbers on both sides."""
    ceiling = 95 - 20 * abs(math.log10(lr) + 1)
    return ceiling * (1 - math.exp(-epoch / 2))


def objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
    best = None
    for epoch in range(1, EPOCHS + 1):
        value = curve(lr, epoch)
        best = value if best is None else max(best, value)
        trial.report(value, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return best


def pruner(trials: int) -> optuna.pruners.BasePruner:
    from sweeper.sweep.registry import make_pruner

    return make_pruner("median", EPOCHS, trials)


def raw_storage(url: str, tuned: bool):
    if tuned:
        from sweeper.store.engines import open_storage

        return open_storage(url)
    return url  # what a user of raw Optuna passes: optuna.storages.get_storage(url)


def raw_process(url: str, name: str, trials: int, tuned: bool, ready, go, results) -> None:
    """One raw Optuna process: open the study, wait for the start signal, optimize its share."""
    try:
        study = optuna.load_study(
            study_name=name,
            storage=raw_storage(url, tuned),
            sampler=optuna.samplers.RandomSampler(),
            pruner=pruner(trials),
        )
        ready.put(os.getpid())
        go.wait()
        error = None
        try:
            study.optimize(objective, n_trials=trials)
        except (
            Exception
        ) as exc:  # e.g. "database is locked": the process stops, as it would for a user
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        results.put((time.perf_counter(), error))
    except Exception as exc:
        ready.put(None)
        results.put((time.perf_counter(), f"{type(exc).__name__}: {exc}"))


def count_finished(url: str, name: str) -> tuple[int, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = dict(
            connection.execute(
                sa.text(
                    "SELECT t.state, COUNT(*) FROM trials t JOIN studies s ON s.study_id = t.study_id "
                    "WHERE s.study_name = :name GROUP BY t.state"
                ),
                {"name": name},
            ).all()
        )
    engine.dispose()
    return rows.get("COMPLETE", 0) + rows.get("PRUNED", 0), rows.get("FAIL", 0)


def run_raw(url: str, name: str, trials: int, processes: int, tuned: bool = False) -> dict:
    optuna.create_study(study_name=name, storage=raw_storage(url, tuned), direction="maximize")
    context = mp.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    shares = [trials // processes + (i < trials % processes) for i in range(processes)]
    children = [
        context.Process(target=raw_process, args=(url, name, share, tuned, ready, go, results))
        for share in shares
        if share
    ]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=600)
    started = time.perf_counter()
    go.set()
    ends = [results.get(timeout=1800) for _ in children]
    for child in children:
        child.join(30)
    seconds = max(end for end, _ in ends) - started
    finished, failed = count_finished(url, name)
    errors = sorted({error for _, error in ends if error})
    return {"seconds": seconds, "finished": finished, "failed": failed, "errors": errors}


# ---- sweeper's side: the real Supervisor --------------------------------------------------
def make_supervisor_class():
    from sweeper.sweep.supervisor import Supervisor

    class TimedSupervisor(Supervisor):
        """The real Supervisor; the clock runs over its loop, after every executor is ready."""

        barrier = None  # (ready, go): report ready, then wait for the common start

        def _loop(self) -> None:
            if self.barrier:
                ready, go = self.barrier
                ready.put(os.getpid())
                go.wait()
            self.loop_started = time.perf_counter()
            try:
                super()._loop()
            finally:
                self.loop_ended = time.perf_counter()

    return TimedSupervisor


def run_sweeper(
    url: str,
    name: str,
    trials: int,
    executors: int,
    artifacts: str,
    profile: cProfile.Profile | None = None,
    barrier=None,
) -> dict:
    from sweeper.spec import Study, loguniform
    from sweeper.sweep.progress import Progress

    study = Study(
        name=name,
        train=dict(epochs=EPOCHS),
        space=dict(lr=loguniform(1e-3, 1.0)),
        n_trials=trials,
        trainer="tests.fake_trainer:fit",
        sampler="random",
        pruner="median",
    )
    with contextlib.redirect_stdout(io.StringIO()):
        progress = Progress(name, trials, "val_acc")
    finished_at = []  # time the sweep, not the printing; keep when each trial ended
    progress.note = lambda *a, **k: None
    progress.finished = lambda *a, **k: finished_at.append(time.perf_counter())
    supervisor = make_supervisor_class()(
        study, url, workers=executors, artifacts=artifacts, progress=progress
    )
    supervisor.barrier = barrier
    if profile:
        profile.enable()
    try:
        supervisor.run()
    finally:
        if profile:
            profile.disable()
    finished, failed = count_finished(url, name)
    return {
        "seconds": supervisor.loop_ended - supervisor.loop_started,
        "finished": finished,
        "failed": failed,
        "errors": [],
        "started": supervisor.loop_started,
        "ended": supervisor.loop_ended,
        "finished_at": finished_at,
    }


# ---- prefilled studies ---------------------------------------------------------------------
def prefill(url: str, name: str, count: int) -> None:
    """A study with `count` complete sweeper-like trials, written with bulk SQL in seconds."""
    from sweeper.store import optuna_private, schema
    from sweeper.store.engines import open_storage

    storage = open_storage(url)
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    study_id = optuna_private.study_id(study)
    distribution = optuna.distributions.distribution_to_json(
        optuna.distributions.FloatDistribution(1e-3, 1.0, log=True)
    )
    now = datetime.datetime.now()
    lrs = [10 ** (-3 + 3 * ((i * 0.618034) % 1)) for i in range(count)]
    finite = "FINITE"  # the value-type column's enum, by name
    with storage.engine.begin() as connection:
        connection.execute(
            schema.trials.insert(),
            [
                {
                    "number": i,
                    "study_id": study_id,
                    "state": "COMPLETE",
                    "datetime_start": now,
                    "datetime_complete": now,
                }
                for i in range(count)
            ],
        )
        ids = dict(
            connection.execute(
                sa.text("SELECT number, trial_id FROM trials WHERE study_id = :s"), {"s": study_id}
            ).all()
        )
        trial_ids = [ids[i] for i in range(count)]
        connection.execute(
            schema.trial_params.insert(),
            [
                {
                    "trial_id": t,
                    "param_name": "lr",
                    "param_value": lr,
                    "distribution_json": distribution,
                }
                for t, lr in zip(trial_ids, lrs)
            ],
        )
        connection.execute(
            schema.trial_values.insert(),
            [
                {
                    "trial_id": t,
                    "objective": 0,
                    "value": curve(lr, EPOCHS),
                    "value_type": finite,
                }
                for t, lr in zip(trial_ids, lrs)
            ],
        )
        connection.execute(
            schema.trial_intermediate_values.insert(),
            [
                {
                    "trial_id": t,
                    "step": e,
                    "intermediate_value": curve(lr, e),
                    "intermediate_value_type": finite,
                }
                for t, lr in zip(trial_ids, lrs)
                for e in range(1, EPOCHS + 1)
            ],
        )
        connection.execute(
            schema.trial_user_attrs.insert(),
            [
                {"trial_id": t, "key": key, "value_json": json.dumps(value)}
                for t, lr in zip(trial_ids, lrs)
                for key, value in (
                    ("stop_reason", "completed"),
                    ("epochs_run", EPOCHS),
                    ("best_value", curve(lr, EPOCHS)),
                    ("best_epoch", EPOCHS),
                    ("config", {"lr": lr, "epochs": EPOCHS}),
                )
            ],
        )
        connection.execute(
            schema.epochs.insert(),
            [
                {
                    "trial_id": t,
                    "epoch": e,
                    "val_acc": curve(lr, e),
                    "train_acc": curve(lr, e),
                    "val_loss": 1 / e,
                    "train_loss": 1 / e,
                    "lr": lr,
                    "seconds": 0.0,
                    "recorded_at": time.time(),
                }
                for t, lr in zip(trial_ids, lrs)
                for e in range(1, EPOCHS + 1)
            ],
        )
    storage.engine.dispose()


def raw_sequential(url: str, name: str, trials: int) -> dict:
    """One raw Optuna process on an existing study (sweeper's storage settings), with when each trial ended."""
    study = optuna.load_study(
        study_name=name,
        storage=raw_storage(url, tuned=True),
        sampler=optuna.samplers.RandomSampler(),
        pruner=pruner(trials),
    )
    finished_at = []
    started = time.perf_counter()
    study.optimize(
        objective,
        n_trials=trials,
        callbacks=[lambda study, trial: finished_at.append(time.perf_counter())],
    )
    return {"started": started, "finished_at": finished_at}


def split_cost(result: dict) -> tuple[float, float]:
    """(seconds to the first finished trial, seconds per trial after it).

    The first `ask` of a process reads every stored trial into Optuna's cache (_CachedStorage),
    once; the steady per-trial cost is the slope over the trials after the first.
    """
    ends = result["finished_at"]
    return ends[0] - result["started"], (ends[-1] - ends[0]) / (len(ends) - 1)


# ---- the report ------------------------------------------------------------------------------
def rate(result: dict) -> float:
    return result["finished"] / result["seconds"] if result["seconds"] > 0 else float("nan")


def describe(result: dict, rounds: list[dict] = ()) -> str:
    text = f"{rate(result):7.1f} trials/s ({result['finished']} in {result['seconds']:.2f} s"
    if len(rounds) > 1:
        text += "; rounds: " + ", ".join(f"{rate(r):.1f}" for r in rounds)
    if result["failed"]:
        text += f", {result['failed']} FAIL"
    if result["errors"]:
        text += f"; {len(result['errors'])} kind(s) of error: {result['errors'][0]}"
    return text + ")"


def throughput(
    storages: dict, executors: list[int], trials: int, repeat: int, folder: str
) -> list[str]:
    misses = []
    for label, make_url in storages.items():
        print(
            f"\n== throughput on {label}: {trials} trials, instant objective, start-up not timed; "
            f"median of {repeat} rounds, raw and sweeper alternating ==",
            flush=True,
        )
        for k in executors:
            rounds = {"raw": [], "tuned": [], "sweeper": []}
            for _ in range(repeat):
                tag = f"{label}-{k}-{int(time.time() * 1000) % 10**8}"
                rounds["raw"].append(run_raw(make_url(f"raw-{k}"), f"raw-{tag}", trials, k))
                if (
                    label == "sqlite"
                ):  # on PostgreSQL sweeper changes only the pool: nothing to tell apart
                    rounds["tuned"].append(
                        run_raw(make_url(f"tuned-{k}"), f"tuned-{tag}", trials, k, tuned=True)
                    )
                rounds["sweeper"].append(
                    run_sweeper(make_url(f"sweeper-{k}"), f"sweeper-{tag}", trials, k, folder)
                )
            raw, tuned, ours = (median_run(rounds[side]) for side in ("raw", "tuned", "sweeper"))
            ratio = rate(ours) / rate(raw)
            print(
                f"  {k:>2} executors | raw Optuna x{k}: {describe(raw, rounds['raw'])}", flush=True
            )
            if tuned:
                print(
                    f"             | raw Optuna x{k} on sweeper's storage settings: {describe(tuned, rounds['tuned'])}",
                    flush=True,
                )
            verdict = "ok" if ratio >= 1 else "MISSED"
            print(
                f"             | sweeper, {k} executor(s): {describe(ours, rounds['sweeper'])}",
                flush=True,
            )
            print(
                f"             | sweeper / raw Optuna: {ratio:.2f}x (target >= 1.00x: {verdict})"
                + (f"; / raw on tuned storage: {rate(ours) / rate(tuned):.2f}x" if tuned else ""),
                flush=True,
            )
            if ratio < 1:
                misses.append(f"{label}, {k} executors: {ratio:.2f}x of raw Optuna")
    return misses


def median_run(runs: list[dict]) -> dict | None:
    """The run with the median rate (the upper one of an even count)."""
    return sorted(runs, key=rate)[len(runs) // 2] if runs else None


def history(
    storages: dict,
    existing: list[int],
    extra: int,
    repeat: int,
    folder: str,
    profile_path: str | None,
) -> list[str]:
    misses = []
    for label, make_url in storages.items():
        print(
            f"\n== per-trial cost on {label} with trials already in the study (one executor; {extra} new trials "
            f"per round; median of {repeat} rounds, raw and sweeper alternating on the same two studies) ==",
            flush=True,
        )
        costs = {}
        for count in existing:
            tag = f"{label}-{count}-{int(time.time() * 1000) % 10**8}"
            url = make_url(f"history-{count}")
            started = time.perf_counter()
            prefill(url, f"raw-{tag}", count)
            prefill(url, f"sweeper-{tag}", count)
            filled = time.perf_counter() - started
            rounds = {"raw": [], "sweeper": []}
            for number in range(1, repeat + 1):
                rounds["raw"].append(split_cost(raw_sequential(url, f"raw-{tag}", extra)))
                profile = (
                    cProfile.Profile()
                    if profile_path and count == max(existing) and number == repeat
                    else None
                )
                rounds["sweeper"].append(
                    split_cost(
                        run_sweeper(
                            url, f"sweeper-{tag}", count + number * extra, 1, folder, profile
                        )
                    )
                )
            (raw_first, raw), (first, per_trial) = (
                sorted(rounds[side], key=lambda c: c[1])[repeat // 2] for side in ("raw", "sweeper")
            )
            costs[count] = per_trial
            print(
                f"  {count:>6} trials stored (prefilled in {filled:.1f} s): per trial: raw Optuna {raw * 1e3:6.1f} ms, "
                f"sweeper {per_trial * 1e3:6.1f} ms ({per_trial / raw:.2f}x raw; rounds: "
                + ", ".join(f"{c * 1e3:.1f}" for _, c in rounds["sweeper"])
                + f" ms); first trial, once per process (Optuna's cache fill): raw {raw_first:.2f} s, sweeper {first:.2f} s",
                flush=True,
            )
            if profile:
                path = f"{profile_path}.{label}.{count}"
                profile.dump_stats(path)
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
                print(
                    f"  profile of the supervisor at {count} trials ({path}):\n"
                    + "\n".join("    " + line for line in out.getvalue().splitlines()[:60]),
                    flush=True,
                )
        low, high = min(existing), max(existing)
        ratio = costs[high] / costs[low]
        verdict = "ok" if ratio <= 2 else "MISSED"
        print(
            f"  sweeper's cost at {high} / at {low}: {ratio:.2f}x (target <= 2.00x: {verdict})",
            flush=True,
        )
        if ratio > 2:
            misses.append(f"{label}: cost at {high} trials is {ratio:.2f}x the cost at {low}")
    return misses


# ---- many supervisors on one PostgreSQL ------------------------------------------------------
def supervisor_process(url, name, trials, folder, ready, go, results) -> None:
    """One machine of a fleet: a supervisor with one executor, started with the others."""
    try:
        result = run_sweeper(url, name, trials, 1, folder, barrier=(ready, go))
        results.put((result["ended"], None))
    except Exception as exc:
        ready.put(None)
        results.put((time.perf_counter(), f"{type(exc).__name__}: {str(exc).splitlines()[0]}"))


def server_connections(admin_url: str) -> int:
    """Backends of the benchmark's database, as PostgreSQL counts them now."""
    engine = sa.create_engine(admin_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        ).scalar()
    return count - 1  # this one


def run_fleet(url: str, admin_url: str, name: str, supervisors: int, trials: int, folder) -> dict:
    context = mp.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    children = [
        context.Process(
            target=supervisor_process, args=(url, name, trials, folder, ready, go, results)
        )
        for _ in range(supervisors)
    ]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=900)
    started = time.perf_counter()
    go.set()
    peak, ends = 0, []
    while len(ends) < len(children):
        peak = max(peak, server_connections(admin_url))
        with contextlib.suppress(Exception):
            ends.append(results.get(timeout=0.2))
    for child in children:
        child.join(60)
    finished, failed = count_finished(url, name)
    errors = sorted({error for _, error in ends if error})
    seconds = max(end for end, _ in ends) - started
    return {
        "seconds": seconds,
        "finished": finished,
        "failed": failed,
        "errors": errors,
        "peak": peak,
    }


def fleet(
    routes: dict, counts: list[int], trials_each: int, growth: float, folder: str
) -> list[str]:
    """Doubles the supervisors on each route (direct, PgBouncer) until trials/s stops growing."""
    findings = []
    for label, (url, admin_url) in routes.items():
        print(
            f"\n== supervisors on one PostgreSQL, {label}: {trials_each} trials each, one "
            f"executor each, instant objective, start-up not timed ==",
            flush=True,
        )
        best = None
        for count in counts:
            name = f"fleet-{label.split()[0]}-{count}-{time.time_ns() % 10**8}"
            result = run_fleet(url, admin_url, name, count, count * trials_each, folder)
            print(
                f"  {count:>3} supervisors: {describe(result)}; at most {result['peak']} server "
                f"connections at once",
                flush=True,
            )
            if best is not None and rate(result) < rate(best[1]) * (1 + growth):
                break
            if best is None or rate(result) > rate(best[1]):
                best = (count, result)
        verdict = f"{best[0]} supervisors ({rate(best[1]):.1f} trials/s)"
        grew = best[0] == counts[-1]
        print(
            f"  trials/s {'still grew at' if grew else 'stopped growing after'} {verdict}",
            flush=True,
        )
        findings.append(f"{label}: {'>= ' if grew else ''}{verdict}")
    return findings


def fleet_routes(url: str, server, stack: contextlib.ExitStack) -> dict:
    """label -> (URL the supervisors use, URL that counts the server's connections)."""
    routes = {"directly": (url, url)}
    from tests import pgbouncer

    if server is None:
        print("no PgBouncer: it is started only in front of the PostgreSQL this script starts")
    elif not pgbouncer.available():
        print(f"skipping PgBouncer: {pgbouncer.SKIP_REASON}")
    else:
        bouncer = stack.enter_context(pgbouncer.PgBouncer(server, pool_size=20))
        routes["through PgBouncer (20 server connections)"] = (bouncer.url, url)
    return routes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--trials", type=int, default=48, help="trials per throughput measurement (default 48)"
    )
    parser.add_argument(
        "--executors", default="1,4,16", help="executor / raw process counts (default 1,4,16)"
    )
    parser.add_argument(
        "--existing",
        default="100,10000",
        help="trials already stored, for the per-trial cost (default 100,10000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds per measurement; the median counts (default 3)",
    )
    parser.add_argument(
        "--extra",
        type=int,
        default=60,
        help="new trials timed per round on each prefilled study (default 60)",
    )
    parser.add_argument(
        "--storages", default="sqlite,postgres", help="sqlite, postgres or both (default both)"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="an existing PostgreSQL database (default: start one with tests/pg.py)",
    )
    parser.add_argument(
        "--supervisors",
        default="1,2,4,8,16,32",
        help="supervisor counts on one PostgreSQL, tried in order (default 1,2,4,8,16,32)",
    )
    parser.add_argument(
        "--fleet-trials", type=int, default=12, help="trials per supervisor (default 12)"
    )
    parser.add_argument(
        "--growth",
        type=float,
        default=0.05,
        help="the least gain in trials/s that counts as growing (default 0.05)",
    )
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="cProfile the supervisor at the largest study; stats to PATH.*",
    )
    args = parser.parse_args()
    executors = [int(k) for k in args.executors.split(",")]
    existing = [int(n) for n in args.existing.split(",")]
    wanted = [s.strip() for s in args.storages.split(",") if s.strip()]

    with (
        tempfile.TemporaryDirectory(prefix="sweeper-scale-") as folder,
        contextlib.ExitStack() as stack,
    ):
        storages = {}
        if "sqlite" in wanted:
            storages["sqlite"] = lambda key: f"sqlite:///{folder}/{key}-{time.time_ns()}.db"
        server = None
        if "postgres" in wanted:
            url = args.postgres
            if not url:
                from tests.pg import PostgresServer, PostgresUnavailable

                try:
                    server = stack.enter_context(PostgresServer(durable=True))
                    url = server.url
                    print(
                        f"PostgreSQL {server.bin.parent.name} started on {url} (fsync on, as in production)"
                    )
                except PostgresUnavailable as error:
                    print(f"skipping PostgreSQL: {error}")
            if url:
                storages["postgresql"] = lambda key, url=url: url
        print(
            f"sweeper scale benchmark: optuna {optuna.__version__}, {os.cpu_count()} CPUs, python {sys.version.split()[0]}"
        )
        misses = []
        if not args.skip_throughput:
            misses += throughput(storages, executors, args.trials, args.repeat, folder)
        if not args.skip_history:
            misses += history(storages, existing, args.extra, args.repeat, folder, args.profile)
        findings = []
        if not args.skip_fleet and "postgresql" in storages:
            counts = [int(n) for n in args.supervisors.split(",")]
            routes = fleet_routes(storages["postgresql"]("fleet"), server, stack)
            findings = fleet(routes, counts, args.fleet_trials, args.growth, folder)
        print("\ntargets: " + ("all met" if not misses else "missed: " + "; ".join(misses)))
        if findings:
            print("supervisors one PostgreSQL serves here: " + "; ".join(findings))


if __name__ == "__main__":
    main()
