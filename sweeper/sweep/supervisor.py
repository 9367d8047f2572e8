"""The supervisor: one per machine, the only process that talks to the storage.

It asks Optuna for trials, hands them to N executor processes, writes every epoch they
report, answers continue / prune / interrupt, and tells Optuna how each trial ended.
One writer per machine keeps SQLite free of lock fights (optuna#820). Every storage call
goes through `patiently`, so a database restart pauses the sweep instead of ending it.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import time
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

import optuna
import sqlalchemy as sa

from sweeper.errors import SetupError, SweeperError
from sweeper.names import inside, study_folder
from sweeper.outcomes import Attempt, Kind, Outcome
from sweeper.spec import Study
from sweeper.store.engines import open_storage
from sweeper.store.optuna_private import inner_pruner, new_trial, study_id, trial_id
from sweeper.store.schema import SPEC_ATTR
from sweeper.store.writes import TrialWriteBuffer, adopt_attempts, record_heartbeats, start_trial
from sweeper.sweep import budget, promotion, pruning, study_io, trials
from sweeper.sweep.budget import Tally
from sweeper.sweep.messages import (
    Cause,
    Continue,
    Done,
    Epoch,
    Failed,
    Interrupt,
    Interrupted,
    Prune,
    Train,
    unexpected,
)
from sweeper.sweep.pool import Executor, ExecutorPool, ExecutorState, describe_exit
from sweeper.sweep.progress import Best, BestSoFar, Progress
from sweeper.sweep.registry import make_pruner, make_sampler
from sweeper.sweep.resilience import patiently

optuna.logging.set_verbosity(optuna.logging.WARNING)
# Heartbeats with ask/tell are deliberate (docs/architecture.md): Optuna's notices are noise here.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings(
    "ignore", message="Heartbeat of storage is supposed to be used with Study.optimize"
)

DEFAULT_GRACE_PERIOD_S = 120
# Epochs shorter than this are written to the database in batches, and pruned against a copy of
# the study's trials read at most this long ago: sub-second epochs do not pay a commit each.
SYNC_INTERVAL_S = 1.0


@dataclass
class RunningTrial:
    trial: optuna.trial.Trial
    params: dict
    config: dict  # the resolved training config
    attempt: Attempt  # its record: the first attempt, whose checkpoints retries resume from
    epochs: list = field(default_factory=list)
    started: float = field(default_factory=time.time)
    heard_at: float = field(default_factory=time.monotonic)  # its last message (or its start)
    hung: str | None = None  # why the supervisor killed its executor, when it did

    @property
    def root(self) -> int:
        return self.attempt.first_attempt

    @property
    def last_epoch(self) -> int:
        return self.epochs[-1]["epoch"] if self.epochs else 0


def check_artifacts(root: Path, study_name: str) -> Path:
    """artifacts/<study>/, checked writable without writing anything yet (the trainer makes
    the folders): a SetupError naming the folder otherwise."""
    folder = study_folder(root, study_name)
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise SetupError(
            f"cannot keep checkpoints in {folder}: {existing} is a file",
            "point --artifacts at a folder (default runs/)",
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SetupError(
            f"cannot keep checkpoints in {folder}: {existing} is not writable",
            "make it writable, or point --artifacts at a writable folder",
        )
    return folder


class Supervisor:
    """Runs a study's trials on `workers` executors until the study's budget is used.

    Args:
        grace_period: seconds without a heartbeat after which another machine's running trial
            is taken as lost, failed and retried. Heartbeats come from the supervisor, not the
            epochs, so it need not cover a long epoch.
    """

    def __init__(
        self,
        study: Study,
        storage_url: str,
        *,
        workers: int = 1,
        device: str = "auto",
        artifacts: str | Path = "runs",
        progress: Progress | None = None,
        grace_period: int = DEFAULT_GRACE_PERIOD_S,
        replace_spec: bool = False,
    ):
        self.definition = study  # what to search and how; self.study is Optuna's study of it
        self.replace_spec = replace_spec
        self.storage_url = storage_url
        self.pool = ExecutorPool(workers, device)
        self.artifacts = Path(artifacts)
        self.progress = progress or Progress(study.name, study.n_trials, study.metric)
        self.grace_period = grace_period
        self.heartbeat_interval = max(1, grace_period // 4)
        self.stopping = False  # first Ctrl-C / SIGTERM: ask nothing new, checkpoint and stop
        self.aborting = False  # second Ctrl-C: stop now
        self.losses_in_a_row = 0  # trials failed or executors lost in a row, here
        self.failing: str | None = None  # why the run stopped when trials kept failing
        self.last_heartbeat = 0.0
        self.last_stale_check = float("-inf")
        self.budget = Tally(study.n_trials, max_age_s=SYNC_INTERVAL_S)
        self.best = BestSoFar(study.direction)
        self.owner = trials.owner_token()
        self.setup_problem: str | None = None  # a fault of this machine that stopped the run
        self.waiting_for = 0  # other machines' running trials, last counted
        # Set by run() once its check has passed: building a Supervisor touches no file or storage.
        self.study_artifacts: Path | None = None
        self.storage: optuna.storages.RDBStorage | None = None
        self.engine: sa.Engine | None = None
        self.writes: TrialWriteBuffer | None = None
        self.study: optuna.Study | None = None
        self.study_id: int | None = None
        self.snapshot: pruning.StudySnapshot | None = None
        # Paused attempts this supervisor has queued a copy of, or found queued by another.
        self.promoted: set[int] = set()

    def _db(self, operation):
        return patiently(operation, self.progress.note)

    # ---- setup -------------------------------------------------------------------------
    def run(self) -> optuna.Study:
        """Every check first (executors start, data and weights load, artifacts writable, the
        stored study agrees with this one), then the first write."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.pool.start(interrupted=lambda: self.stopping)
            self.pool.preflight(
                self.definition.base_config().to_dict(),
                self.definition.trainer,
                self.definition.possible_configs(),
            )
            self.study_artifacts = check_artifacts(self.artifacts, self.definition.name)
            self.storage = open_storage(
                self.storage_url,
                heartbeat_interval=self.heartbeat_interval,
                grace_period=self.grace_period,
                heartbeat_stale_trial_callback=self._on_stale,
            )
            self.engine = self.storage.engine
            self.writes = TrialWriteBuffer(self.engine, flush_every_s=SYNC_INTERVAL_S)
            self.study = self._db(self._open_study)
            self.study_id = study_id(self.study)
            self.snapshot = pruning.StudySnapshot(self.study, SYNC_INTERVAL_S)
            if self.definition.pruner == "promoting":
                self.progress.note(inner_pruner(self.study.pruner).ladder.describe())
            self._loop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.pool.stop()
            self.progress.close()
        return self.study

    def _open_study(self) -> optuna.Study:
        stored = study_io.stored_study(self.storage, self.definition.name)
        # A file that names no pruner runs on with the stored study's (older studies: median).
        spec = self.definition = self.definition.settled(stored and stored.definition)
        if stored is not None:
            study_io.check_compatible(stored, spec, self.replace_spec)
        study = optuna.create_study(
            study_name=spec.name,
            storage=self.storage,
            load_if_exists=True,
            direction=spec.direction,
            sampler=make_sampler(spec.sampler, spec.space, spec.seed),
            pruner=make_pruner(
                spec.pruner, spec.base_config().epochs, spec.n_trials, spec.patience
            ),
        )
        if stored is None or stored.definition != study_io.as_stored(spec):
            # A new study, a new budget or description, or a change the user asked for.
            self.storage.set_study_system_attr(study_id(study), SPEC_ATTR, spec.to_dict())
        if stored is None:
            study.set_metric_names([spec.metric])
        # Studies an earlier sweeper wrote get their attempts' records, derived once; a trial
        # whose machine died between failing it and queueing its retry gets its retry.
        adopt_attempts(self.storage.engine, study_id(study), pausing=self._pausing())
        trials.queue_lost_retries(self.storage.engine, study, study_id(study))
        if spec.sampler == "grid":
            self._enqueue_grid(study)
        return study

    def _pausing(self) -> bool:
        """Whether a pruned trial pauses (the promoting pruner) rather than stops for good."""
        return self.definition.pruner == "promoting"

    def _on_stale(self, study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        """Optuna's stale-trial callback: it has failed a silent machine's trial."""
        trials.take_back_stale(self.storage.engine, study, frozen, pausing=self._pausing())

    def _enqueue_grid(self, study: optuna.Study) -> None:
        """Queues the grid points no trial has taken yet, as far as the budget allows."""
        taken = [t.params for t in study.get_trials(deepcopy=False)]
        room = self.definition.n_trials - budget.used(self.engine, study_id(study))
        missing = [point for point in self.definition.grid_points() if point not in taken]
        for point in missing[: max(0, room)]:
            study.enqueue_trial(point, skip_if_exists=True)

    # ---- the loop ----------------------------------------------------------------------
    def _loop(self) -> None:
        while not self.aborting:
            self._heartbeat()
            self._db(self.writes.flush_if_due)
            self._kill_hung()
            self._dispatch()
            if not self.pool.busy() and not self._can_ask() and not self._waiting_for_others():
                return
            ready = wait(self.pool.waitables(), timeout=0.5)
            for executor in {id(e): e for e in map(self.pool.owner, ready)}.values():
                self._service(executor)
            self.progress.update(self._snapshot())
        self._abort_running()

    def _can_ask(self, recount: bool = True) -> bool:
        """Whether the budget allows another trial.

        The last tally, kept up to date with our own asks and retries, is trusted while it is
        younger than SYNC_INTERVAL_S and leaves room (always, with `recount=False`); otherwise
        the budget is counted again. Other machines' asks since are caught by the rank check.
        """
        if self.stopping:
            return False
        if self.budget.due(time.monotonic(), recount=recount):
            counts = self._db(lambda: budget.tally(self.engine, self.study_id))
            self.budget.counted(counts, time.monotonic())
        return self.budget.has_room()

    def _waiting_for_others(self) -> bool:
        """The budget is taken but other machines' trials still run: the run ends when they
        finish, or takes them over (stale check) when their machine goes silent."""
        running = 0 if self.stopping else self.budget.running()
        if running and running != self.waiting_for:
            self.progress.note(
                f"waiting for {running} trials running on other machines (taken over here if "
                f"silent for {self.grace_period} s)"
            )
        self.waiting_for = running
        return bool(running)

    def _dispatch(self) -> None:
        idle = self.pool.idle()
        if not idle:
            return
        if time.monotonic() - self.last_stale_check >= self.heartbeat_interval:
            # Lost machines' trials come back as retries (before the budget check: they may be
            # all of it); staleness is measured in heartbeat intervals.
            self.last_stale_check = time.monotonic()
            self._db(lambda: optuna.storages.fail_stale_trials(self.study))
            self._db(self._reclaim_abandoned)
            self._db(lambda: trials.queue_lost_retries(self.engine, self.study, self.study_id))
            self.budget.forget()  # their retries wait: count again
        promoting = self.definition.pruner == "promoting"
        if promoting:
            self._db(self._promote)  # counts the budget first: that count is trusted below
        if not self._can_ask(recount=not promoting):
            return
        for executor in idle:
            if not self._can_ask(recount=False):
                return
            running = self._db(functools.partial(self._ask, executor))
            # Count our own ask (ask takes a WAITING retry first) instead of tallying again;
            # other machines' asks are caught by the rank check inside _ask.
            self.budget.asked()
            if running:
                self._send_trial(executor, running)

    def _promote(self) -> None:
        """The promoting pruner: a paused trial due for promotion waits (a copy that resumes
        from its checkpoints) for the next idle executor, ahead of any new trial; at the end,
        the final full trainings wait together, for as many executors."""
        room = self._can_ask()  # counts again when the budget looks taken
        if self.stopping or self.budget.waiting() > 0:
            return
        finishing = not room and not self.budget.running() and not self.pool.busy()
        pruner = inner_pruner(self.study.pruner)  # under `patience`
        jobs = promotion.next_promotions(
            self.snapshot, pruner, finishing=finishing, skip=self.promoted
        )
        for paused, target in jobs:
            # One copy per paused attempt, whichever machine queues it: the storage refuses a
            # second (another machine's copy reaches the snapshot within a second).
            self.promoted.add(paused.number)
            record = self.snapshot.records.get(paused.number) or Attempt.first(paused.number)
            if trials.promote(self.engine, self.study_id, paused, record, target):
                self.budget.queued(instead_of_running=False)

    def _reclaim_abandoned(self) -> None:
        mine = {e.running.trial.number for e in self.pool.busy()}
        for number, reason in trials.abandoned(self.engine, self.study_id, self.grace_period):
            if number not in mine:
                trials.reclaim(
                    self.writes, self.study, self.study_id, number, reason, pausing=self._pausing()
                )
                self.progress.note(f"trial {number}: {reason}; retrying it from its checkpoint")

    def _ask(self, executor: Executor) -> RunningTrial | None:
        trial = self._new_trial()
        with self.engine.begin() as connection:
            # The heartbeat, the owner and the record, so that even a trial we lose from here
            # comes back (after the grace period, or at once from a later run on this host).
            attempt = start_trial(
                connection,
                trial_id(trial),
                {trials.OWNER_ATTR: self.owner},
                pausing=self._pausing(),
            )
            # A race between machines can ask one trial too many: the later-numbered one yields.
            # Retries and promoted copies are of trials counted already.
            over_budget = (
                attempt is not None
                and attempt.kind is Kind.FIRST
                and budget.used_below(connection, self.study_id, trial.number)
                >= self.definition.n_trials
            )
        if attempt is None:
            return None  # another machine has finished it meanwhile
        if over_budget:
            trials.fail(self.writes, self.study, self.study_id, trial, attempt, Outcome.OVER_BUDGET)
            return None
        try:
            params = self.definition.sample(trial)
            config = self.definition.config_for(params)
        except SweeperError as error:
            trials.fail(
                self.writes, self.study, self.study_id, trial, attempt, Outcome.FAILED, str(error)
            )
            return None
        self.snapshot.note(attempt)
        running = RunningTrial(trial, params, config.to_dict(), attempt)
        self.writes.set_attrs(
            trial_id(trial),
            {
                "config": running.config,
                "host": trials.HOST,
                "device": executor.device,
                "pid": executor.pid,
            },
        )
        if attempt.previous is not None:
            running.epochs = trials.inherit_epochs(self.engine, self.study_id, trial, attempt)
            for epoch in running.epochs:
                self._report(running, epoch)
        return running

    def _new_trial(self) -> optuna.trial.Trial:
        """Study.ask, without its search for a waiting trial when the budget's tally counts none.

        Study.ask first re-reads every unfinished trial of the study (seven queries) to find a
        waiting one (a retry, a grid point); the tally, at most SYNC_INTERVAL_S old and counting
        our own retries, already says whether there is one. A trial left waiting by another
        machine since is taken by a later ask, and the rank check keeps the budget exact.
        """
        if self.budget.waiting() > 0:
            return self.study.ask()
        return new_trial(self.study)

    def checkpoints(self, first_attempt: int) -> Path:
        """The checkpoint folder of a trial's attempts (`trials.first_attempt`)."""
        return inside(self.study_artifacts, first_attempt)

    def _send_trial(self, executor: Executor, running: RunningTrial) -> None:
        checkpoints = self.checkpoints(running.root)
        if running.root == running.trial.number:
            # A first attempt starts from scratch: checkpoints under its number can only be left
            # over from an earlier study of the same name (a deleted database), not its own.
            # `inside` keeps this within artifacts/<study>/, whatever the storage holds.
            shutil.rmtree(checkpoints, ignore_errors=True)
        try:
            executor.take(running, Train(running.config, self.definition.trainer, str(checkpoints)))
        except OSError:
            pass  # it died after it was idle: _service finds it dead and retries the trial

    def _service(self, executor: Executor) -> None:
        try:
            while executor.conn.poll():
                message = executor.conn.recv()
                if executor.state is ExecutorState.STARTING:  # a replacement
                    self.pool.started(executor, message)
                else:
                    self._handle(executor, message)
        except (EOFError, ConnectionResetError, BrokenPipeError):
            pass
        if not executor.alive:
            if executor.state is ExecutorState.STARTING:  # replacing it would only fail again
                raise self.pool.died_starting(executor)
            self._replace_dead(executor)

    def _handle(self, executor: Executor, message: Epoch | Done | Failed | Interrupted) -> None:
        """A message from a busy executor: its trial's epoch, or how the trial ended."""
        if executor.state is not ExecutorState.BUSY or not isinstance(
            message, (Epoch, Done, Failed, Interrupted)
        ):
            raise unexpected(message, f"the supervisor, from {executor.state.value} executor")
        running = executor.running
        running.heard_at = time.monotonic()
        if isinstance(message, Epoch):
            # A restored epoch reported again after a resume replaces its copy; a fresh epoch at
            # or below the last known one means the trial restarted (its checkpoint was set
            # aside): the later epochs of the earlier attempt are gone with it.
            payload = dict(message.metrics)
            if message.note:
                self.progress.note(f"trial {running.trial.number}: {message.note}")
            if not message.resumed and payload["epoch"] <= running.last_epoch:
                running.epochs = [e for e in running.epochs if e["epoch"] < payload["epoch"]]
                self._db(
                    lambda: self.writes.forget_epochs(trial_id(running.trial), payload["epoch"])
                )
            running.epochs = [e for e in running.epochs if e["epoch"] != payload["epoch"]] + [
                payload
            ]
            answer = self._db(lambda: self._record_epoch(running, payload))
            executor.conn.send(answer)
            return
        executor.release()
        if isinstance(message, Done):
            payload = dict(message.result)
            payload.setdefault("seconds", time.time() - running.started)
            frozen, ended = self._db(
                lambda: trials.finish(
                    self.writes,
                    self.study,
                    self.study_id,
                    running.trial,
                    running.attempt,
                    running.epochs,
                    payload,
                    self.definition.metric,
                    pausing=self._pausing(),
                )
            )
            self.snapshot.record(frozen, ended)
            if ended.outcome is Outcome.COMPLETED:
                self._note_best(running)
            self._ended(running, ended)
        elif isinstance(message, Interrupted):
            self._fail(running, Outcome.INTERRUPTED, f"after epoch {running.last_epoch}")
        elif message.cause is Cause.MACHINE:
            # This machine's fault, not the trial's: the trial waits for a fixed machine.
            self._fail(running, Outcome.MACHINE_FAULT, message.error)
            self.setup_problem = message.error
            self.stopping = True
            self.progress.note(f"stopping: trial {running.trial.number} hit {message.error}")
        else:
            ended = self._fail(running, Outcome.FAILED, message.error, traceback=message.traceback)
            self._ended(running, ended)

    def _ended(self, running: RunningTrial, ended: Attempt) -> None:
        """A trial's attempt ended here: the terminal's line, and the run stops when trials keep
        failing (their own error, or their executor lost) however many workers try them."""
        self.progress.finished(
            running.trial.number,
            ended.outcome.value,
            ended.detail,
            running.params,
            self._best(),
            resumes=running.root if running.root != running.trial.number else None,
        )
        if ended.outcome not in (Outcome.FAILED, Outcome.DIED, Outcome.GAVE_UP):
            self.losses_in_a_row = 0
            return
        self.losses_in_a_row += 1
        if self.losses_in_a_row >= max(3, self.pool.workers) and not self.stopping:
            self.stopping = True
            params = ", ".join(f"{k}={v}" for k, v in running.params.items()) or "no params"
            self.failing = (
                f"{self.losses_in_a_row} trials in a row failed or lost their executor, the "
                f"last trial {running.trial.number} ({params}): {ended.stop_reason()}"
            )
            self.progress.note(f"stopping: {self.failing}")

    def _record_epoch(self, running: RunningTrial, metrics: dict) -> Continue | Prune | Interrupt:
        self.writes.epoch(trial_id(running.trial), metrics["epoch"], metrics)
        self._report(running, metrics)
        if self.stopping:
            return Interrupt()
        values = {
            e["epoch"]: v for e in running.epochs if (v := self._pruning_value(e)) is not None
        }
        return Prune() if pruning.should_prune(self.snapshot, running.trial, values) else Continue()

    def _report(self, running: RunningTrial, epoch: dict) -> None:
        value = self._pruning_value(epoch)
        if value is not None:
            self.writes.pruning_value(trial_id(running.trial), epoch["epoch"], value)

    def _pruning_value(self, epoch: dict) -> float | None:
        value = epoch.get(self.definition.metric)
        return (
            value if value is not None and value == value else None
        )  # NaN is not a value to prune on

    def _fail(
        self,
        running: RunningTrial,
        outcome: Outcome,
        detail: str | None,
        *,
        traceback: str | None = None,
    ) -> Attempt:
        """Fails a trial of ours; a lost one has its retry queued (trials.fail decides)."""
        extra = {"traceback": traceback} if traceback else {}
        frozen, ended = self._db(
            lambda: trials.fail(
                self.writes,
                self.study,
                self.study_id,
                running.trial,
                running.attempt,
                outcome,
                detail,
                extra=extra,
            )
        )
        self.snapshot.record(frozen, ended)
        if ended.outcome.retried:
            self.budget.queued(instead_of_running=True)  # for _new_trial to take first
        return ended

    def _replace_dead(self, executor: Executor) -> None:
        """A dead executor's trial is lost: retried from its checkpoint (or given up after
        MAX_DEATHS in a row); a new executor takes its place."""
        running = executor.dead()
        if running:
            how = running.hung or describe_exit(executor.process.exitcode)
            ended = self._fail(running, Outcome.DIED, f"after epoch {running.last_epoch}: {how}")
            if ended.outcome is Outcome.DIED:
                self.progress.note(
                    f"trial {running.trial.number}: {ended.stop_reason()}; "
                    "retrying it from its checkpoint"
                )
            self._ended(running, ended)
        if not (self.stopping or self.aborting):
            self.pool.replace(executor)

    def _kill_hung(self) -> None:
        """Kills the executors whose trial has reported nothing for the study's epoch_timeout:
        a trainer that hangs (a deadlock, a stuck data loader) is lost like one that dies."""
        timeout = self.definition.epoch_timeout
        if timeout is None:
            return
        for executor in self.pool.busy():
            running = executor.running
            if running.hung is None and time.monotonic() - running.heard_at > timeout:
                running.hung = f"no epoch reported for {timeout:g} s (epoch_timeout)"
                executor.process.kill()

    def _heartbeat(self) -> None:
        if time.time() - self.last_heartbeat < self.heartbeat_interval:
            return
        self.last_heartbeat = time.time()
        running = [trial_id(executor.running.trial) for executor in self.pool.busy()]
        self._db(lambda: self._record_heartbeats(running))

    def _record_heartbeats(self, trial_ids: list[int]) -> None:
        with self.engine.begin() as connection:
            record_heartbeats(connection, trial_ids)

    # ---- stopping ----------------------------------------------------------------------
    def _on_signal(self, signum, frame) -> None:
        if self.stopping:
            self.aborting = True
            self.progress.note(
                "stopping now; running trials resume from their last checkpoint next time"
            )
            return
        self.stopping = True
        self.progress.note(
            "stopping after the running trials checkpoint their epoch (Ctrl-C again to stop now)"
        )

    def _abort_running(self) -> None:
        self.pool.kill()
        for executor in self.pool.busy():
            running = executor.dead()
            self._fail(running, Outcome.INTERRUPTED, f"after epoch {running.last_epoch}")

    # ---- what the terminal shows --------------------------------------------------------
    def _snapshot(self) -> dict:
        counts = self.budget.counts or self._db(lambda: budget.tally(self.engine, self.study_id))
        running = [
            {
                "number": e.running.trial.number,
                "epoch": e.running.last_epoch,
                "device": e.device,
                "epochs": e.running.config["epochs"],
                "params": e.running.params,
                "value": e.running.epochs[-1].get(self.definition.metric)
                if e.running.epochs
                else None,
            }
            for e in self.pool.busy()
        ]
        return {
            "finished": counts.finished,
            "running": running,
        }

    def _best(self) -> Best | None:
        """The best trial seen: the study's, read until it has one, then kept up to date locally."""
        if self.best.trial is None:
            try:
                trial = self._db(lambda: self.study.best_trial)
            except ValueError:  # no complete trial yet
                return None
            self.best.offer(trial.number, trial.value, trial.params)
        return self.best.trial

    def _note_best(self, running: RunningTrial) -> None:
        value = trials.best_value(
            [e.get(self.definition.metric) for e in running.epochs], self.definition.direction
        )
        self._best()  # the study's best first: one from another machine may beat this one
        self.best.offer(running.trial.number, value, running.params)
