"""The supervisor: one per machine, the only process that talks to the storage.

It asks Optuna for trials, hands them to N executor processes, writes every epoch they
report, answers continue / prune / interrupt, and tells Optuna how each trial ended.
One writer per machine keeps SQLite free of lock fights (optuna#820).
"""
from __future__ import annotations

import multiprocessing as mp
import signal
import time
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

import optuna

from sweeper.errors import ConfigError, StorageError, SweeperError
from sweeper.spec import Study
from sweeper.sweep import budget, trials
from sweeper.sweep.executor import executor_main
from sweeper.sweep.progress import Progress
from sweeper.sweep.registry import make_pruner, make_sampler
from sweeper.sweep.storage import SPEC_ATTR, EpochLog, open_storage, redact

optuna.logging.set_verbosity(optuna.logging.WARNING)
# We use heartbeats with ask/tell on purpose (DESIGN.md): Optuna's notices about that are noise here.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")


@dataclass
class RunningTrial:
    trial: optuna.trial.Trial
    params: dict
    config: dict  # the resolved training config
    root: int  # number of the first attempt: retries resume from its checkpoints
    epochs: list = field(default_factory=list)
    started: float = field(default_factory=time.time)


@dataclass
class Executor:
    index: int
    process: mp.Process
    conn: object
    device: str | None = None  # known once the process reports ready
    running: RunningTrial | None = None


class Supervisor:
    """Runs a study's trials on `workers` executors until the study's budget is used."""

    def __init__(self, study: Study, storage_url: str, *, workers: int = 1, device: str = "auto",
                 artifacts: str | Path = "runs", progress: Progress | None = None,
                 heartbeat_interval: int = 30, grace_period: int = 120):
        self.spec = study
        self.storage_url = storage_url
        self.workers = workers
        self.device = device
        self.artifacts = Path(artifacts)
        self.progress = progress or Progress(study.name, study.n_trials, study.metric)
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.executors: list[Executor] = []
        self.stopping = False  # first Ctrl-C / SIGTERM: ask nothing new, checkpoint and stop
        self.aborting = False  # second Ctrl-C: stop now
        self.failures_in_a_row = 0
        self.last_heartbeat = 0.0

    # ---- setup -------------------------------------------------------------------------
    def run(self) -> optuna.Study:
        self.storage = open_storage(
            self.storage_url, heartbeat_interval=self.heartbeat_interval, grace_period=self.grace_period,
            heartbeat_stale_trial_callback=trials.retry_trial,
        )
        self.epoch_log = EpochLog(self.storage.engine)
        context = mp.get_context("spawn")  # a forked child would inherit CUDA state and DB connections
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for index in range(self.workers):
                self.executors.append(self._start_executor(context, index))
            self._wait_until_ready()
            self.study = self._open_study()  # the first write: every check has passed by now
            self.study_id = self.study._study_id
            self._loop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stop_executors()
            self.progress.close()
        return self.study

    def _start_executor(self, context, index: int) -> Executor:
        parent, child = context.Pipe()
        process = context.Process(
            target=executor_main, args=(child, index, self.workers, self.device), daemon=True,
            name=f"sweeper-executor-{index}",
        )
        process.start()
        child.close()
        return Executor(index, process, parent)

    def _wait_until_ready(self) -> None:
        pending = list(self.executors)
        while pending:
            for executor in list(pending):
                if not executor.conn.poll(0.05):
                    if not executor.process.is_alive():
                        raise RuntimeError(f"executor {executor.index} exited with code {executor.process.exitcode} while starting")
                    continue
                kind, info = executor.conn.recv()
                if kind == "failed":
                    raise ConfigError(info["error"]) if info.get("user_error") else RuntimeError(info["error"])
                executor.device = info["device"]
                pending.remove(executor)
            if self.aborting:
                raise KeyboardInterrupt

    def _open_study(self) -> optuna.Study:
        spec = self.spec
        base = spec.base_config()
        try:
            study = optuna.create_study(
                study_name=spec.name, storage=self.storage, load_if_exists=True, direction=spec.direction,
                sampler=make_sampler(spec.sampler, spec.space, spec.seed),
                pruner=make_pruner(spec.pruner, base.epochs, spec.patience),
            )
        except optuna.exceptions.StorageInternalError as error:
            raise StorageError(f"cannot write to {redact(self.storage_url)}: {error}", "check the database") from None
        if study.direction.name.lower() != spec.direction:
            raise ConfigError(
                f"study {spec.name!r} in the storage maximizes/minimizes differently ({study.direction.name.lower()})",
                "keep the direction of the existing study, or give this study a new name",
            )
        study.set_user_attr(SPEC_ATTR, spec.to_spec())
        return study

    # ---- the loop ----------------------------------------------------------------------
    def _loop(self) -> None:
        while not self.aborting:
            self._heartbeat()
            self._dispatch()
            if not any(e.running for e in self.executors) and not self._can_ask():
                return
            connections = [e.conn for e in self.executors] + [e.process.sentinel for e in self.executors]
            for ready in wait(connections, timeout=0.5):
                executor = next(e for e in self.executors if ready in (e.conn, e.process.sentinel))
                self._service(executor)
            self.progress.update(self._snapshot())
        self._abort_running()

    def _can_ask(self) -> bool:
        if self.stopping:
            return False
        counts = budget.tally(self.storage.engine, self.study_id)
        self.counts = counts
        return counts["WAITING"] > 0 or sum(counts.values()) < self.spec.n_trials

    def _dispatch(self) -> None:
        idle = [e for e in self.executors if e.device and not e.running and e.process.is_alive()]
        if not idle or not self._can_ask():
            return
        optuna.storages.fail_stale_trials(self.study)  # trials of dead machines come back as retries
        for executor in idle:
            if not self._can_ask():
                return
            running = self._ask(executor)
            if running:
                self._send_trial(executor, running)

    def _ask(self, executor: Executor) -> RunningTrial | None:
        trial = self.study.ask()
        # A race between machines can ask one trial too many: the later-numbered one yields.
        if budget.used(self.storage.engine, self.study_id, below=trial.number) >= self.spec.n_trials:
            trials.fail(self.storage.engine, self.study, trial, "over budget", retry=False)
            return None
        try:
            params = self.spec.sample(trial)
            config = self.spec.config_for(params)
        except SweeperError as error:
            trials.fail(self.storage.engine, self.study, trial, f"failed: {error}", retry=False)
            return None
        root = trial.user_attrs.get("retry_of", trial.number)
        running = RunningTrial(trial, params, config.to_dict(), root)
        trials.set_attrs(self.storage.engine, trial, {"config": running.config, "host": trials.HOST, "device": executor.device})
        if root != trial.number:
            running.epochs = trials.inherit_epochs(self.storage.engine, self.study_id, trial, root)
            for epoch in running.epochs:
                self._report(running, epoch)
        return running

    def _send_trial(self, executor: Executor, running: RunningTrial) -> None:
        self.storage.record_heartbeat(running.trial._trial_id)
        task = {
            "number": running.trial.number,
            "config": running.config,
            "trainer": self.spec.trainer,
            "checkpoint_dir": str(self.artifacts / self.spec.name / str(running.root)),
        }
        executor.running = running
        executor.conn.send(("trial", task))

    def _service(self, executor: Executor) -> None:
        try:
            while executor.conn.poll():
                self._handle(executor, *executor.conn.recv())
        except (EOFError, ConnectionResetError, BrokenPipeError):
            pass
        if not executor.process.is_alive():
            self._replace_dead(executor)

    def _handle(self, executor: Executor, kind: str, payload: dict) -> None:
        running = executor.running
        if kind == "epoch":
            running.epochs.append(payload)
            self.epoch_log.write(running.trial._trial_id, payload["epoch"], payload)
            self._report(running, payload)
            answer = "interrupt" if self.stopping else "prune" if running.trial.should_prune() else "continue"
            executor.conn.send((answer,))
            return
        executor.running = None
        if kind == "done":
            payload.setdefault("seconds", time.time() - running.started)
            state = trials.finish(self.storage.engine, self.study, running.trial, running.epochs, payload, self.spec.metric)
            self.failures_in_a_row = 0
            self.progress.finished(running.trial.number, state.name, payload.get("stop_reason"), running.params, self._best())
        elif kind == "interrupted":
            trials.fail(self.storage.engine, self.study, running.trial, f"interrupted at epoch {payload.get('epoch')}", retry=True)
        else:  # failed
            reason = f"failed: {payload['error']}"
            trials.fail(self.storage.engine, self.study, running.trial, reason, retry=False)
            self.failures_in_a_row += 1
            self.progress.finished(running.trial.number, "FAIL", reason, running.params, self._best())
            if self.failures_in_a_row >= max(3, self.workers):
                self.stopping = True
                self.progress.note(f"stopping: {self.failures_in_a_row} trials in a row failed; the last with {payload['error']}")

    def _report(self, running: RunningTrial, epoch: dict) -> None:
        value = epoch.get(self.spec.metric)
        if value is not None and value == value:  # NaN is not a value to prune on
            running.trial.report(value, epoch["epoch"])

    def _replace_dead(self, executor: Executor) -> None:
        """A dead executor's trial fails with the reason and is retried; a new executor takes its place."""
        code = executor.process.exitcode
        if executor.running:
            last = executor.running.epochs[-1]["epoch"] if executor.running.epochs else 0
            reason = f"executor died (exit code {code}) after epoch {last}"
            trials.fail(self.storage.engine, self.study, executor.running.trial, reason, retry=True)
            self.progress.note(f"trial {executor.running.trial.number}: {reason}; retrying it from its checkpoint")
            executor.running = None
        if self.stopping or self.aborting:
            return
        replacement = self._start_executor(mp.get_context("spawn"), executor.index)
        self.executors[self.executors.index(executor)] = replacement
        kind, info = replacement.conn.recv()
        replacement.device = info.get("device")

    def _heartbeat(self) -> None:
        if time.time() - self.last_heartbeat < self.heartbeat_interval / 2:
            return
        self.last_heartbeat = time.time()
        for executor in self.executors:
            if executor.running:
                self.storage.record_heartbeat(executor.running.trial._trial_id)

    # ---- stopping ----------------------------------------------------------------------
    def _on_signal(self, signum, frame) -> None:
        if self.stopping:
            self.aborting = True
            self.progress.note("stopping now; running trials resume from their last checkpoint next time")
            return
        self.stopping = True
        self.progress.note("stopping after the running trials checkpoint their epoch (Ctrl-C again to stop now)")

    def _abort_running(self) -> None:
        for executor in self.executors:
            if executor.process.is_alive():
                executor.process.kill()
        for executor in self.executors:
            executor.process.join(5)
            if executor.running:
                last = executor.running.epochs[-1]["epoch"] if executor.running.epochs else 0
                trials.fail(self.storage.engine, self.study, executor.running.trial, f"interrupted after epoch {last}", retry=True)
                executor.running = None

    def _stop_executors(self) -> None:
        for executor in self.executors:
            if executor.process.is_alive():
                try:
                    executor.conn.send(("stop",))
                except (BrokenPipeError, OSError):
                    pass
        for executor in self.executors:
            executor.process.join(10)
            if executor.process.is_alive():
                executor.process.kill()

    # ---- what the terminal shows --------------------------------------------------------
    def _snapshot(self) -> dict:
        counts = getattr(self, "counts", None) or budget.tally(self.storage.engine, self.study_id)
        running = [
            {"number": e.running.trial.number, "epoch": len(e.running.epochs), "device": e.device,
             "epochs": e.running.config["epochs"], "params": e.running.params,
             "value": e.running.epochs[-1].get(self.spec.metric) if e.running.epochs else None}
            for e in self.executors if e.running
        ]
        return {"finished": counts["COMPLETE"] + counts["PRUNED"] + counts["FAIL"], "running": running}

    def _best(self):
        try:
            best = self.study.best_trial
        except ValueError:
            return None
        return best.number, best.value, best.params
