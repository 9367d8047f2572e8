"""Read-only SQL over Optuna's tables and `sweeper_epochs`, straight into pandas.

Reports never go through `study.trials`: building thousands of FrozenTrials is slow
(optuna#763, #4890), while a handful of SELECTs into DataFrames takes a fraction of a second.
Every read is one short transaction on a connection that cannot write, so a report or the
dashboard never holds a lock a running sweep waits for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from sweeper.errors import SweeperError
from sweeper.store.schema import RESULT_COST_ATTRS
from sweeper.sweep.storage import SPEC_ATTR, read_engine
from sweeper.urls import redact

# Trial user attributes the supervisor writes that reports show. `config` is left out on
# purpose: it is the largest attribute and only the trial page needs it.
TRIAL_ATTRS = (
    "stop_reason",
    "best_epoch",
    "final_value",
    "epochs_run",
    "pruned_at",
    *RESULT_COST_ATTRS,
    "host",
    "device",
    "retry_of",
)
MAX_NAMES = 20  # study names listed in an "unknown study" message
# Optuna's tables that reports read (sweeper_epochs is optional: plain Optuna studies lack it).
_OPTUNA_TABLES = {
    "studies",
    "study_directions",
    "study_user_attributes",
    "trials",
    "trial_params",
    "trial_values",
    "trial_intermediate_values",
    "trial_user_attributes",
    "trial_system_attributes",
}
# Optuna's own system attributes: why a trial failed, and which trial a retry repeats.
SYSTEM_ATTRS = ("fail_reason", "failed_trial")
# Where Optuna keeps the names given with Study.set_metric_names (a study system attribute).
METRIC_NAMES_ATTR = "study:metric_names"
STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")


@dataclass
class StudyInfo:
    """One study's identity and spec (an empty spec for studies made by plain Optuna)."""

    study_id: int
    name: str
    direction: str  # "maximize" or "minimize", of the first objective
    spec: dict = field(default_factory=dict)
    # Every objective's direction and name, in objective order; plain Optuna studies may have
    # several (named by Study.set_metric_names, else "value 0", "value 1", ...).
    directions: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)


@dataclass
class RawTrials:
    """The study's rows, one frame per Optuna table, read in one transaction."""

    trials: pd.DataFrame  # trial_id, number, state, datetime_start, datetime_complete
    values: pd.DataFrame  # trial_id, value (of objective 0)
    params: pd.DataFrame  # trial_id, param_name, param_value, distribution_json
    attrs: pd.DataFrame  # trial_id, key, value (decoded JSON); user and system attributes
    epochs: pd.DataFrame  # sweeper_epochs rows, or intermediate values as the metric column
    # trial_id → one column per objective (±inf kept), for studies with several objectives.
    objective_values: pd.DataFrame = field(default_factory=pd.DataFrame)


def open_reader(url: str) -> sa.Engine:
    """An engine whose connections refuse writes (SQLite: PRAGMA query_only; PostgreSQL: read-only
    transactions).

    A missing SQLite file is an error here: connecting would create an empty database.
    """
    engine = read_engine(url)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database not in (None, "", ":memory:") and not Path(database).expanduser().is_file():
            raise SweeperError(
                f"there is no storage at {redact(url)}",
                "run a study first (sweeper run STUDY_FILE), or point --storage / $SWEEPER_STORAGE at it",
            )

        @sa.event.listens_for(engine, "connect")
        def _read_only(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA query_only = ON")

    elif engine.dialect.name == "postgresql":

        @sa.event.listens_for(engine, "connect")
        def _read_only_transactions(dbapi_connection, _record):
            # psycopg 3 opens every transaction as BEGIN READ ONLY: scoped to the transaction,
            # so it holds through a transaction-pooling PgBouncer, unlike a session SET.
            if hasattr(dbapi_connection, "read_only"):
                dbapi_connection.read_only = True

    return engine


def list_studies(engine: sa.Engine) -> pd.DataFrame:
    """One row per study: name, trial counts by state, best value, metric and budget."""
    with engine.connect() as conn:
        if not _has_optuna_tables(conn):
            return pd.DataFrame(columns=["study_id", "name"])
        studies = pd.read_sql(
            sa.text(
                "SELECT s.study_id, s.study_name AS name, d.direction FROM studies s "
                "LEFT JOIN study_directions d ON d.study_id = s.study_id AND d.objective = 0 "
                "ORDER BY s.study_id"
            ),
            conn,
        )
        counts = pd.read_sql(
            sa.text("SELECT study_id, state, COUNT(*) AS n FROM trials GROUP BY study_id, state"),
            conn,
        )
        best = pd.read_sql(
            sa.text(
                "SELECT t.study_id, MAX(v.value) AS max_value, MIN(v.value) AS min_value "
                "FROM trial_values v JOIN trials t ON t.trial_id = v.trial_id "
                "WHERE t.state = 'COMPLETE' AND v.objective = 0 AND v.value_type = 'FINITE' "
                "GROUP BY t.study_id"
            ),
            conn,
        )
        specs = pd.read_sql(
            sa.text(
                "SELECT a.study_id, a.value_json FROM study_user_attributes a WHERE a.key = :key"
            ),
            conn,
            params={"key": SPEC_ATTR},
        )
        objectives = pd.read_sql(
            sa.text("SELECT study_id, COUNT(*) AS n FROM study_directions GROUP BY study_id"), conn
        ).set_index("study_id")["n"]
    by_state = counts.pivot_table(index="study_id", columns="state", values="n", aggfunc="sum")
    frame = studies.set_index("study_id").join(by_state).join(best.set_index("study_id"))
    for state in STATES:
        frame[state] = frame[state].fillna(0).astype(int) if state in frame else 0
    spec = specs.set_index("study_id")["value_json"].map(json.loads).reindex(frame.index)
    frame["direction"] = frame["direction"].fillna("MAXIMIZE").str.lower()
    frame["best"] = frame["max_value"].where(frame["direction"] == "maximize", frame["min_value"])
    frame["metric"] = [s.get("metric", "value") if isinstance(s, dict) else "value" for s in spec]
    frame["n_trials"] = [s.get("n_trials") if isinstance(s, dict) else None for s in spec]
    frame["description"] = [s.get("description", "") if isinstance(s, dict) else "" for s in spec]
    frame["trials"] = frame[list(STATES)].sum(axis=1)
    # A single best means nothing with several objectives: the study page shows their front.
    frame["objectives"] = objectives.reindex(frame.index).fillna(1).astype(int)
    frame["best"] = frame["best"].where(frame["objectives"] == 1)
    return frame.drop(columns=["max_value", "min_value"]).reset_index()


def find_study(engine: sa.Engine, name: str, url: str = "") -> StudyInfo:
    """The study called `name`; an unknown name is a SweeperError listing the names there are."""
    with engine.connect() as conn:
        has_studies = _has_optuna_tables(conn)
        row = (
            has_studies
            and conn.execute(
                sa.text("SELECT study_id FROM studies WHERE study_name = :name"), {"name": name}
            ).first()
        )
        if not row:
            names = (
                conn.execute(sa.text("SELECT study_name FROM studies ORDER BY study_id"))
                .scalars()
                .all()
                if has_studies
                else []
            )
            where = f" in {redact(url)}" if url else ""
            shown = ", ".join(names[:MAX_NAMES]) + (
                f" … ({len(names) - MAX_NAMES} more)" if len(names) > MAX_NAMES else ""
            )
            fix = (
                f"studies there: {shown}"
                if names
                else "the storage has no studies yet; run `sweeper run STUDY_FILE` first, or check --storage"
            )
            raise SweeperError(f"no study named {name!r}{where}", fix)
        study_id = row[0]
        directions = [
            d.lower()
            for d in conn.execute(
                sa.text(
                    "SELECT direction FROM study_directions WHERE study_id = :id ORDER BY objective"
                ),
                {"id": study_id},
            ).scalars()
        ] or ["maximize"]
        names_json = conn.execute(
            sa.text(
                "SELECT a.value_json FROM study_system_attributes a "
                "WHERE a.study_id = :id AND a.key = :key"
            ),
            {"id": study_id, "key": METRIC_NAMES_ATTR},
        ).scalar()
        spec_json = conn.execute(
            sa.text(
                "SELECT a.value_json FROM study_user_attributes a WHERE a.study_id = :id AND a.key = :key"
            ),
            {"id": study_id, "key": SPEC_ATTR},
        ).scalar()
    spec = json.loads(spec_json) if spec_json else {}
    names = json.loads(names_json) if names_json else None
    if not names or len(names) != len(directions):
        one = [spec.get("metric", "value")]
        names = one if len(directions) == 1 else [f"value {i}" for i in range(len(directions))]
    return StudyInfo(study_id, name, directions[0], spec, directions, list(names))


def read_trials(engine: sa.Engine, study_id: int, metric: str = "value") -> RawTrials:
    """Everything a report needs about a study's trials."""
    of_study = f"x.trial_id IN (SELECT trial_id FROM trials WHERE study_id = {int(study_id)})"
    with engine.connect() as conn:
        trials = _frame(
            conn,
            "SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
            f"WHERE study_id = {int(study_id)} ORDER BY number",
        )
        values = _frame(
            conn,
            f"SELECT trial_id, objective, value, value_type FROM trial_values x WHERE {of_study}",
        )
        params = _frame(
            conn,
            f"SELECT trial_id, param_name, param_value, distribution_json FROM trial_params x WHERE {of_study}",
        )
        attrs = pd.concat(
            [
                _attrs(conn, table, keys, of_study)
                for table, keys in (
                    ("trial_user_attributes", TRIAL_ATTRS),
                    ("trial_system_attributes", SYSTEM_ATTRS),
                )
            ]
        )
        epochs = read_epochs(conn, study_id, metric, numbers=trials.set_index("trial_id")["number"])
    for column in ("datetime_start", "datetime_complete"):
        trials[column] = pd.to_datetime(trials[column])
    # Optuna stores infinities as a value type beside a NULL/placeholder value.
    infinite = {"INF_POS": float("inf"), "INF_NEG": float("-inf")}
    values["value"] = values["value_type"].map(infinite).fillna(pd.to_numeric(values["value"]))
    by_objective = values.pivot(index="trial_id", columns="objective", values="value")
    first = values[values["objective"] == 0][["trial_id", "value"]].reset_index(drop=True)
    return RawTrials(trials, first, params, attrs, epochs, by_objective)


def read_epochs(
    conn, study_id: int, metric: str = "value", trial_ids=None, numbers: pd.Series | None = None
) -> pd.DataFrame:
    """Per-epoch metrics of a study's trials (or only of `trial_ids`), `trial` (number) first.

    Studies made by plain Optuna have no `sweeper_epochs` rows: their intermediate values stand
    in as the one metric column, so curves and epoch-of-best still work. Their steps are
    usually 0-based (Trial.report at step 0..n-1), while epochs count from 1 as sweeper writes
    them: a trial whose steps start at 0 has each step read as epoch step + 1.

    Args:
        numbers: trial_id → trial number, when the caller has read the trials already.
    """
    where = f"x.trial_id IN (SELECT trial_id FROM trials WHERE study_id = {int(study_id)})"
    if trial_ids is not None:
        where += f" AND x.trial_id IN ({', '.join(str(int(i)) for i in trial_ids) or '-1'})"
    frame = pd.DataFrame()
    if sa.inspect(conn).has_table("sweeper_epochs"):
        frame = _frame(conn, f"SELECT * FROM sweeper_epochs x WHERE {where}")
    if not len(frame):
        frame = _frame(
            conn,
            f"SELECT trial_id, step AS epoch, intermediate_value AS {_ident(metric)} "
            f"FROM trial_intermediate_values x WHERE {where}",
        )
        zero_based = frame.groupby("trial_id")["epoch"].transform("min") == 0
        frame["epoch"] = frame["epoch"] + zero_based.astype(int)
    if numbers is None:
        numbers = _frame(
            conn, f"SELECT trial_id, number FROM trials WHERE study_id = {int(study_id)}"
        ).set_index("trial_id")["number"]
    frame.insert(0, "trial", frame["trial_id"].map(numbers))
    # A metric no trial reported comes back as all-None objects: keep every metric numeric.
    for column in frame.columns.difference(["trial", "trial_id", "epoch"]):
        frame[column] = pd.to_numeric(frame[column])
    return frame.sort_values(["trial", "epoch"], kind="stable", ignore_index=True)


def _attrs(conn, table: str, keys: tuple, of_study: str) -> pd.DataFrame:
    names = ", ".join(f"'{key}'" for key in keys)  # our own constants, not user input
    # `x.key`, qualified: KEY is a reserved word in MySQL, and a qualified name may be one.
    frame = _frame(
        conn,
        f"SELECT x.trial_id, x.key, x.value_json FROM {table} x WHERE {of_study} AND x.key IN ({names})",
    )
    # One json.loads over all values at once: ten times faster than one call per row.
    frame["value"] = json.loads("[" + ",".join(frame.pop("value_json")) + "]") if len(frame) else []
    return frame


def _has_optuna_tables(conn: sa.Connection) -> bool:
    """Whether Optuna's tables are all there: a storage is read while Optuna creates them one by one."""
    return _OPTUNA_TABLES <= set(sa.inspect(conn).get_table_names())


def _frame(conn: sa.Connection, sql: str) -> pd.DataFrame:
    """Rows of a SELECT straight from the driver's cursor: for 200,000 epoch rows this is twice
    as fast as going through SQLAlchemy's result rows. Only ints and our own constants are ever
    formatted into `sql`, so it takes no bound parameters (whose style differs per driver)."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()


def _ident(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"not a column name: {name!r}")
    return name
