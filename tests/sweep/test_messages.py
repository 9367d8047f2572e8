"""The pipe protocol without processes: typed messages, and an unknown one is an error on both sides."""

import signal

import pytest

from sweeper.errors import ConfigError
from sweeper.spec import Study
from sweeper.sweep import executor as executor_module
from sweeper.sweep.messages import (
    Cause,
    Check,
    Checked,
    Continue,
    Done,
    Epoch,
    Failed,
    Interrupt,
    Interrupted,
    ProtocolError,
    Prune,
    Ready,
    Stop,
    Train,
)
from sweeper.sweep.pool import Executor, ExecutorPool, ExecutorState
from sweeper.sweep.progress import Progress
from sweeper.sweep.supervisor import Supervisor

FAKE = "tests.fake_trainer:fit"
CONFIG = {"epochs": 2, "lr": 0.1}


class FakeConn:
    """One end of a pipe: what it will receive, and what was sent on it."""

    def __init__(self, *incoming):
        self.incoming = list(incoming)
        self.sent = []

    def send(self, message):
        self.sent.append(message)

    def recv(self):
        if not self.incoming:
            raise EOFError
        return self.incoming.pop(0)


@pytest.fixture
def in_process(monkeypatch):
    """executor_main runs here: no signal dispositions changed, no threads set, the CPU."""
    from sweeper.train import device

    monkeypatch.setattr(signal, "signal", lambda *args: None)
    monkeypatch.setattr(device, "setup", lambda index, workers, request: "cpu")


def serve(*incoming) -> list:
    conn = FakeConn(*incoming)
    executor_module.executor_main(conn, 0, 1, "cpu")
    return conn.sent


def test_the_executor_answers_each_message_with_its_type(in_process):
    sent = serve(Check(CONFIG, FAKE), Train(CONFIG, FAKE), Continue(), Prune(), Stop())
    assert isinstance(sent[0], Ready) and sent[0].device == "cpu"
    assert sent[1] == Checked()
    assert [type(m) for m in sent[2:]] == [Epoch, Epoch, Done]
    assert sent[2].metrics["epoch"] == 1 and "resumed" not in sent[2].metrics
    assert sent[4].result["stop"] == "pruned"


def test_an_interrupt_stops_the_trial_after_its_epoch(in_process):
    sent = serve(Train(CONFIG, FAKE), Interrupt(), Stop())
    assert [type(m) for m in sent] == [Ready, Epoch, Interrupted]
    assert sent[-1].epoch == 1


def test_failures_say_whose_fault_they_are(in_process):
    sent = serve(
        Check(CONFIG, "no_such_module:fit"),
        Train({**CONFIG, "dropout": 0.95}, FAKE),  # the fake trainer crashes
        Train({"epochs": 0}, FAKE),  # an invalid config
        Stop(),
    )
    assert [type(m) for m in sent[1:]] == [Failed, Failed, Failed]
    assert sent[1].cause is Cause.USER and "cannot load trainer" in sent[1].error
    assert sent[2].cause is Cause.TRIAL and "fake crash" in sent[2].traceback
    assert sent[3].cause is Cause.USER and "epochs=0" in sent[3].error


@pytest.mark.parametrize(
    "incoming",
    [
        [("trial", {"config": CONFIG, "trainer": FAKE})],  # the old tuples start nothing
        [Continue()],  # an answer to no epoch
        [Train(CONFIG, FAKE), ("continue",)],  # an epoch answered with something else
    ],
)
def test_an_unknown_message_is_an_error_in_the_executor(in_process, incoming):
    with pytest.raises(ProtocolError, match="unexpected message"):
        serve(*incoming)


def test_a_stop_while_training_ends_the_executor_quietly(in_process):
    """A supervisor ending on an error stops busy executors too: each leaves without a
    traceback under the supervisor's one line (the trial is retried from its checkpoint)."""
    sent = serve(Train(CONFIG, FAKE), Stop(), Check(CONFIG, FAKE))
    assert [type(m) for m in sent] == [Ready, Epoch]  # gone: the Check is never answered


def starting_executor() -> Executor:
    return Executor(0, process=None, conn=FakeConn())


def test_executor_state_moves_only_along_its_life():
    executor = starting_executor()
    with pytest.raises(RuntimeError, match="is starting, not idle"):
        executor.take("trial", Train(CONFIG))
    ExecutorPool.started(executor, Ready("cpu", 123))
    assert (executor.state, executor.device, executor.pid) == (ExecutorState.IDLE, "cpu", 123)
    executor.take("trial", Train(CONFIG))
    assert executor.state is ExecutorState.BUSY and executor.conn.sent == [Train(CONFIG)]
    assert executor.release() == "trial" and executor.state is ExecutorState.IDLE
    executor.take("again", Train(CONFIG))
    assert executor.dead() == "again" and executor.state is ExecutorState.DEAD


def test_an_executor_that_died_while_idle_keeps_the_trial_it_was_sent():
    """The send fails on a dead executor's pipe: the trial is its own, so the dead executor's
    replacement retries it rather than leaving it RUNNING with nobody on it."""
    executor = starting_executor()
    ExecutorPool.started(executor, Ready("cpu", 123))

    def broken(message):
        raise BrokenPipeError

    executor.conn.send = broken
    with pytest.raises(BrokenPipeError):
        executor.take("trial", Train(CONFIG))
    assert executor.state is ExecutorState.BUSY and executor.dead() == "trial"


def test_an_executor_that_cannot_start_says_why():
    with pytest.raises(ConfigError, match="no CUDA device"):
        ExecutorPool.started(starting_executor(), Failed("no CUDA device", Cause.USER))
    with pytest.raises(RuntimeError, match="boom"):
        ExecutorPool.started(starting_executor(), Failed("boom"))


def test_an_unknown_message_is_an_error_in_the_supervisor(tmp_path):
    with pytest.raises(ProtocolError):
        ExecutorPool.started(starting_executor(), ("ready", {"device": "cpu", "pid": 1}))
    study = Study(name="proto", trainer=FAKE)
    supervisor = Supervisor(
        study, f"sqlite:///{tmp_path / 'unused.db'}", progress=Progress("proto", 1, "val_acc")
    )
    idle = starting_executor()
    ExecutorPool.started(idle, Ready("cpu", 1))
    with pytest.raises(ProtocolError, match="from idle executor"):
        supervisor._handle(idle, Epoch({"epoch": 1}))  # no trial to report on
    idle.take("trial", Train(CONFIG))
    with pytest.raises(ProtocolError, match="unexpected message"):
        supervisor._handle(idle, ("epoch", {"epoch": 1}))
    with pytest.raises(ProtocolError):
        supervisor._handle(idle, Ready("cpu", 1))
    assert not (tmp_path / "unused.db").exists()  # building a Supervisor opens nothing


def test_an_epoch_splits_the_trainers_markers_from_its_metrics():
    epoch = Epoch.of({"epoch": 3, "val_acc": 50.0, "resumed": True, "note": "restarted"})
    assert epoch == Epoch({"epoch": 3, "val_acc": 50.0}, resumed=True, note="restarted")
    assert Epoch.of({"epoch": 1}) == Epoch({"epoch": 1})
