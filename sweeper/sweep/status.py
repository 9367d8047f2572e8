"""`sweeper status`: studies, trial counts by state, best value and params, what is running now."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from sweeper.errors import StudyFileError
from sweeper.sweep.progress import make_console
from sweeper.sweep.storage import open_storage
from sweeper.urls import redact, resolve_url

_STUDIES = """
SELECT s.study_name, s.study_id, d.direction,
  SUM(CASE WHEN t.state = 'COMPLETE' THEN 1 ELSE 0 END) AS complete,
  SUM(CASE WHEN t.state = 'PRUNED' THEN 1 ELSE 0 END) AS pruned,
  SUM(CASE WHEN t.state = 'FAIL' THEN 1 ELSE 0 END) AS failed,
  SUM(CASE WHEN t.state = 'RUNNING' THEN 1 ELSE 0 END) AS running,
  SUM(CASE WHEN t.state = 'WAITING' THEN 1 ELSE 0 END) AS waiting
FROM studies s JOIN study_directions d ON d.study_id = s.study_id
LEFT JOIN trials t ON t.study_id = s.study_id
GROUP BY s.study_name, s.study_id, d.direction ORDER BY s.study_id
"""
_BEST = """
SELECT t.number, v.value FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id
WHERE t.study_id = :study_id AND t.state = 'COMPLETE'
ORDER BY v.value {order} LIMIT 1
"""
_RUNNING = """
SELECT t.trial_id, t.number, t.datetime_start,
  (SELECT MAX(e.epoch) FROM sweeper_epochs e WHERE e.trial_id = t.trial_id) AS epoch,
  (SELECT u.value_json FROM trial_user_attributes u WHERE u.trial_id = t.trial_id AND u.key = 'host') AS host,
  (SELECT u.value_json FROM trial_user_attributes u WHERE u.trial_id = t.trial_id AND u.key = 'device') AS device
FROM trials t WHERE t.study_id = :study_id AND t.state = 'RUNNING' ORDER BY t.number
"""


def show_status(reference: str | None, storage: str | None, console: Console | None = None) -> int:
    console = console or make_console()
    url = resolve_url(storage)
    engine = open_storage(url).engine
    with engine.connect() as connection:
        studies = pd.read_sql(sa.text(_STUDIES), connection)
        if reference:
            name = _study_name(reference)
            if name not in set(studies.study_name):
                raise StudyFileError(
                    f"no study named {name!r} in {redact(url)}",
                    f"studies there: {', '.join(studies.study_name)}"
                    if len(studies)
                    else "run `sweeper run STUDY_FILE` first",
                )
            studies = studies[studies.study_name == name]
        if studies.empty:
            console.print(
                f"no studies in {redact(url)} yet; start one with `sweeper run studies/digits.py`"
            )
            return 0
        table = Table(title=f"studies in {redact(url)}")
        for column in (
            "study",
            "complete",
            "pruned",
            "failed",
            "running",
            "waiting",
            "best",
            "best trial params",
        ):
            table.add_column(
                column, justify="left" if column in ("study", "best trial params") else "right"
            )
        details = []
        for row in studies.itertuples():
            order = "DESC" if row.direction == "MAXIMIZE" else "ASC"
            best = connection.execute(
                sa.text(_BEST.format(order=order)), {"study_id": row.study_id}
            ).first()
            params = _params(connection, row.study_id, best.number) if best else ""
            table.add_row(
                row.study_name,
                *(
                    str(int(getattr(row, c) or 0))
                    for c in ("complete", "pruned", "failed", "running", "waiting")
                ),
                f"{best.value:.4g} (#{best.number})" if best else "-",
                params,
            )
            if row.running:
                details.append(
                    (
                        row.study_name,
                        pd.read_sql(
                            sa.text(_RUNNING), connection, params={"study_id": row.study_id}
                        ),
                    )
                )
    console.print(table)
    for name, running in details:
        now = Table(title=f"running in {name}")
        for column in ("trial", "epoch", "host", "device", "started"):
            now.add_column(column)
        for r in running.itertuples():
            now.add_row(
                str(r.number),
                str(int(r.epoch)) if r.epoch == r.epoch and r.epoch is not None else "0",
                json.loads(r.host) if r.host else "-",
                json.loads(r.device) if r.device else "-",
                str(r.datetime_start)[:19],
            )
        console.print(now)
    return 0


def _study_name(reference: str) -> str:
    if reference.endswith(".py"):
        from sweeper.spec import load_study_file

        return load_study_file(reference).name
    return reference


def _params(connection, study_id: int, number: int) -> str:
    rows = connection.execute(
        sa.text(
            "SELECT p.param_name, p.param_value, p.distribution_json FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id"
            " WHERE t.study_id = :study_id AND t.number = :number"
        ),
        {"study_id": study_id, "number": number},
    ).all()
    from optuna.distributions import json_to_distribution

    shown = []
    for name, value, distribution_json in rows:
        external = json_to_distribution(distribution_json).to_external_repr(value)
        shown.append(
            f"{name}={external:.4g}" if isinstance(external, float) else f"{name}={external}"
        )
    return " ".join(shown)
