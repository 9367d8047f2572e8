"""A study as TensorBoard runs: DIR/<study>/trial-0007/ per trial, its metrics per epoch as
scalars and its parameters in the HParams plugin, so TensorBoard's HParams tab lists every
trial with its parameters, best metric (or each objective) and outcome.

Written with the `tensorboard` package's own writer and hparams summaries: no torch, no
TensorFlow.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from sweeper.errors import UsageError
from sweeper.export.source import ExportedStudy
from sweeper.names import report_folder

# HParams session status of each finished Optuna state. HParams knows no "stopped early": a
# pruned trial ended as the sweep meant it to, so it is a success there.
_RUN = re.compile(r"trial-\d{4,}")  # the folder of one trial's run
_STATUS = {"COMPLETE": "STATUS_SUCCESS", "PRUNED": "STATUS_SUCCESS", "FAIL": "STATUS_FAILURE"}


def _remove_earlier_export(folder: Path) -> None:
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and path.name.startswith("events.out.tfevents."):
            path.unlink()
        elif path.is_dir() and _RUN.fullmatch(path.name):
            shutil.rmtree(path)


def write_runs(study: ExportedStudy, out: Path) -> tuple[Path, int]:
    """Writes the study's runs under out/<study name>/; returns that folder and the number of
    runs (trials that ran). The study's earlier export there is replaced, so exporting again
    never doubles a curve."""
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.plugins.hparams import summary_v2
        from tensorboard.summary import Writer
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ModuleNotFoundError:
        raise UsageError(
            "the TensorBoard export needs the tensorboard package",
            "pip install 'sweeper[tensorboard]'",
        ) from None

    # Confined to `out` whatever the stored name ("..", "/abs"); only what an earlier export
    # wrote there is removed, never a file or folder of the user's.
    folder = report_folder(out, study.name)
    _remove_earlier_export(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def write_summary(path: Path, summary_pb, wall_time: float) -> None:
        events = EventFileWriter(str(path))
        events.add_event(event_pb2.Event(wall_time=wall_time, summary=summary_pb))
        events.close()

    metrics = sorted({name for t in study.trials for name in t.metrics}) + study.results
    as_text = {name for name, dim in study.space.items() if _mixed_choices(dim)}
    hparams = [
        summary_v2.HParam(name, _domain(summary_v2, dim, name in as_text))
        for name, dim in study.space.items()
    ]
    write_summary(
        folder,
        summary_v2.hparams_config_pb(hparams, [summary_v2.Metric(name) for name in metrics]),
        time.time(),
    )
    ran = [trial for trial in study.trials if trial.state != "WAITING"]  # others: no curve
    for trial in ran:
        run = folder / f"trial-{trial.number:04d}"
        writer = Writer(str(run))
        for name, points in trial.metrics.items():
            for epoch, value, at in points:
                writer.add_scalar(name, value, epoch, wall_time=at or trial.started or 0.0)
        last = max((p[0] for points in trial.metrics.values() for p in points), default=0)
        for name, value in trial.results.items():
            writer.add_scalar(name, value, last, wall_time=trial.completed or 0.0)
        writer.close()
        start = trial.started or time.time()
        session = summary_v2.hparams_pb(
            {
                name: str(value) if name in as_text else _hparam_value(value)
                for name, value in trial.params.items()
            },
            trial_id=f"trial {trial.number}",
            start_time_secs=start,
        )
        write_summary(run, session, start)
        if trial.state in _STATUS:
            end = trial.completed or start
            write_summary(run, _session_end(_STATUS[trial.state], end), end)
    return folder, len(ran)


def _session_end(status: str, end_time: float):
    """The HParams session-end summary (the plugin's own session_end_pb needs TensorFlow)."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

    info = plugin_data_pb2.SessionEndInfo(
        status=api_pb2.Status.Value(status), end_time_secs=end_time
    )
    summary = summary_pb2.Summary()
    summary.value.add(
        tag=metadata.SESSION_END_INFO_TAG,
        metadata=metadata.create_summary_metadata(
            plugin_data_pb2.HParamsPluginData(session_end_info=info)
        ),
        tensor=metadata.NULL_TENSOR,
    )
    return summary


def _mixed_choices(dim: dict) -> bool:
    """Choices of several types (None and 0.5): HParams wants one type, so they go as text."""
    if dim.get("kind") != "choice":
        return False
    return len({type(_hparam_value(v)) for v in dim["values"]}) > 1


def _domain(summary_v2, dim: dict, as_text: bool):
    kind = dim.get("kind")
    if kind == "choice":
        values = [str(v) if as_text else _hparam_value(v) for v in dim["values"]]
        return summary_v2.Discrete(values)
    if kind == "intrange":
        return summary_v2.IntInterval(int(dim["low"]), int(dim["high"]))
    if "low" in dim and "high" in dim:
        return summary_v2.RealInterval(float(dim["low"]), float(dim["high"]))
    return None


def _hparam_value(value):
    """HParams takes bool, number or text: anything else (None, a tuple) as its text."""
    return value if isinstance(value, (bool, int, float, str)) else str(value)
