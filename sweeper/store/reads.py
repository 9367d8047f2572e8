"""Every read of Optuna's tables that the read side makes: report, dashboard, status, export,
rerun, and finding a stored study by name.

Reads go through engines from `engines.open_reader` (connections that cannot write, on a schema
the installed Optuna uses). Nothing here goes through `study.trials`: building thousands of
FrozenTrials is slow (optuna#763, #4890), while a handful of SELECTs into DataFrames takes a
fraction of a second. Every read is one short transaction, so a report or the dashboard never
holds a lock a running sweep waits for. Functions taking a connection leave the transaction
to the caller (a page built from several reads sees one state of the study).

The frames come back as stored, decoded only from Optuna's stored forms (JSON attributes,
infinities as a value type, 0-based steps); what they mean is the report's business.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from sweeper.errors import UnknownStudyError
from sweeper.outcomes import Attempt, Counts, count, derived
from sweeper.store.schema import LONG_TRIAL_ATTRS, RESULT_COST_ATTRS, SPEC_ATTR
from sweeper.urls import redact

# Trial user attributes the supervisor writes that reports show. The long ones (`config`, ...:
# schema.LONG_TRIAL_ATTRS) are left out on purpose: only the trial page and rerun need them.
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
    "study_system_attributes",
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
# Optuna stores an infinite value as a value type beside a placeholder value.
INFINITE = {"INF_POS": math.inf, "INF_NEG": -math.inf}
# ... and an intermediate value (NaN too) as its own type.
INTERMEDIATE_SPECIAL = {**INFINITE, "NAN": math.nan}


@dataclass
class StudyInfo:
    """One study's identity and stored definition (empty for studies made by plain Optuna)."""

    study_id: int
    name: str
    direction: str  # "maximize" or "minimize", of the first objective
    definition: dict = field(default_factory=dict)  # Study.to_dict() as stored
    # Every objective's direction and name, in objective order; plain Optuna studies may have
    # several (named by Study.set_metric_names, else "value 0", "value 1", ...).
    directions: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)


# ---- studies ---------------------------------------------------------------------------------


def has_optuna_tables(conn: sa.Connection) -> bool:
    """Whether Optuna's tables are all there: a storage is read while Optuna creates them one by one."""
    return _OPTUNA_TABLES <= set(sa.inspect(conn).get_table_names())


def study_rows(conn: sa.Connection) -> dict[str, pd.DataFrame] | None:
    """The frames behind the list of studies, None when the storage has no studies' tables:
    studies (study_id, name, direction), counts (study_id, state, n), best (study_id,
    max_value, min_value of finite complete values), specs (study_id, spec), objectives
    (study_id, n)."""
    if not has_optuna_tables(conn):
        return None
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
    # The spec's system attribute first; earlier versions wrote it as a user attribute.
    specs = pd.read_sql(
        sa.text(
            "SELECT a.study_id, a.value_json, 0 AS from_user FROM study_system_attributes a "
            "WHERE a.key = :key UNION ALL "
            "SELECT a.study_id, a.value_json, 1 AS from_user FROM study_user_attributes a "
            "WHERE a.key = :key"
        ),
        conn,
        params={"key": SPEC_ATTR},
    )
    specs = specs.sort_values(["study_id", "from_user"], kind="stable").drop_duplicates("study_id")
    specs = specs.drop(columns="from_user").reset_index(drop=True)
    specs["spec"] = specs.pop("value_json").map(json.loads)
    objectives = pd.read_sql(
        sa.text("SELECT study_id, COUNT(*) AS n FROM study_directions GROUP BY study_id"), conn
    )
    return {
        "studies": studies,
        "counts": counts,
        "best": best,
        "specs": specs,
        "objectives": objectives,
    }


def find_study(engine: sa.Engine, name: str, url: str = "") -> StudyInfo:
    """The study called `name`; an unknown name is an UnknownStudyError listing the names there are."""
    with engine.connect() as conn:
        has_studies = has_optuna_tables(conn)
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
            raise unknown_study(name, url, names)
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
                "SELECT COALESCE("
                "(SELECT a.value_json FROM study_system_attributes a "
                "WHERE a.study_id = :id AND a.key = :key), "
                # Earlier versions wrote the spec as a user attribute.
                "(SELECT a.value_json FROM study_user_attributes a "
                "WHERE a.study_id = :id AND a.key = :key))"
            ),
            {"id": study_id, "key": SPEC_ATTR},
        ).scalar()
    spec = json.loads(spec_json) if spec_json else {}
    names = json.loads(names_json) if names_json else None
    if not names or len(names) != len(directions):
        one = [spec.get("metric", "value")]
        names = one if len(directions) == 1 else [f"value {i}" for i in range(len(directions))]
    return StudyInfo(study_id, name, directions[0], spec, directions, list(names))


def unknown_study(name: str, url: str, names: list[str]) -> UnknownStudyError:
    """The one error every command gives for a study name the storage does not hold."""
    where = f" in {redact(url)}" if url else ""
    shown = ", ".join(names[:MAX_NAMES]) + (
        f" … ({len(names) - MAX_NAMES} more)" if len(names) > MAX_NAMES else ""
    )
    fix = (
        f"studies there: {shown}"
        if names
        else "the storage has no studies yet; run `sweeper run STUDY_FILE` first, or check --storage"
    )
    return UnknownStudyError(f"no study named {name!r}{where}", fix)


# ---- a study's trials --------------------------------------------------------------------


def trial_rows(
    engine: sa.Engine, study_id: int, metric: str = "value", *, pausing: bool = False
) -> dict[str, pd.DataFrame]:
    """Everything a report needs about a study's trials, in one transaction: trials (trial_id,
    number, state, datetime_start, datetime_complete), values (trial_id, objective, value with
    infinities decoded), params (trial_id, param_name, param_value, distribution_json), attrs
    (trial_id, key, value: user attributes TRIAL_ATTRS and system attributes SYSTEM_ATTRS,
    decoded), epochs (see read_epochs) and attempts (see attempts)."""
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
        records = attempts(conn, study_id, pausing=pausing)
    # Optuna stores infinities as a value type beside a NULL/placeholder value.
    values["value"] = values["value_type"].map(INFINITE).fillna(pd.to_numeric(values["value"]))
    return {
        "trials": trials,
        "values": values,
        "params": params,
        "attrs": attrs,
        "epochs": epochs,
        "attempts": records,
    }


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
            f"SELECT trial_id, step AS epoch, intermediate_value AS {_ident(metric)}, "
            f"intermediate_value_type AS value_type FROM trial_intermediate_values x WHERE {where}",
        )
        # Optuna keeps NaN and ±inf as a type beside the number (the number column holds
        # none): read them back as stored.
        special = frame.pop("value_type").map(INTERMEDIATE_SPECIAL)
        if special.notna().any():
            frame[metric] = pd.to_numeric(frame[metric]).where(special.isna(), special)
        zero_based = frame.groupby("trial_id")["epoch"].transform("min") == 0
        frame["epoch"] = frame["epoch"] + zero_based.astype(int)
    if numbers is None:  # the numbers of the trials read, not of the whole study
        numbers = _frame(conn, f"SELECT trial_id, number FROM trials x WHERE {where}").set_index(
            "trial_id"
        )["number"]
    frame.insert(0, "trial", frame["trial_id"].map(numbers))
    # A metric no trial reported comes back as all-None objects: keep every metric numeric.
    for column in frame.columns.difference(["trial", "trial_id", "epoch"]):
        frame[column] = pd.to_numeric(frame[column])
    return frame.sort_values(["trial", "epoch"], kind="stable", ignore_index=True)


def trial_id_of(conn: sa.Connection, study_id: int, number: int) -> int | None:
    """The row id of trial `number` of a study; None when there is none."""
    return conn.execute(
        sa.text("SELECT trial_id FROM trials WHERE study_id = :s AND number = :n"),
        {"s": study_id, "n": number},
    ).scalar()


def trial_ids_by_number(conn: sa.Connection, study_id: int) -> dict[int, int]:
    """Trial number → row id, for every trial of a study."""
    return dict(
        conn.execute(
            sa.text("SELECT number, trial_id FROM trials WHERE study_id = :id"), {"id": study_id}
        ).all()
    )


def trial_attrs(conn: sa.Connection, trial_id: int, keys: tuple[str, ...] | None = None) -> dict:
    """The attributes sweeper gives a trial (all, or only `keys`), key → decoded value, sorted by
    key: its user attributes and the long ones kept as system attributes (LONG_TRIAL_ATTRS),
    which win over a user attribute of the same name (where earlier versions kept them)."""
    only = " AND a.key IN :keys" if keys is not None else ""
    query = (
        "SELECT a.key, a.value_json, 1 AS from_user FROM trial_user_attributes a "
        f"WHERE a.trial_id = :t{only} UNION ALL "
        "SELECT a.key, a.value_json, 0 AS from_user FROM trial_system_attributes a "
        f"WHERE a.trial_id = :t AND a.key IN :long{only}"
    )
    params: dict = {"t": trial_id, "long": list(LONG_TRIAL_ATTRS)}
    statement = sa.text(query).bindparams(sa.bindparam("long", expanding=True))
    if keys is not None:
        params["keys"] = list(keys)
        statement = statement.bindparams(sa.bindparam("keys", expanding=True))
    attrs: dict = {}
    for key, text, _ in sorted(conn.execute(statement, params).all(), key=lambda r: r[2]):
        attrs.setdefault(key, json.loads(text))
    return dict(sorted(attrs.items()))


def trial_params(conn: sa.Connection, trial_id: int) -> pd.DataFrame:
    """A trial's params: trial_id, param_name, param_value (internal), distribution_json."""
    return pd.read_sql(
        sa.text(
            "SELECT trial_id, param_name, param_value, distribution_json FROM trial_params WHERE trial_id = :t"
        ),
        conn,
        params={"t": trial_id},
    )


def trial_values(conn: sa.Connection, trial_id: int) -> list[tuple[int, float | None]]:
    """(objective, value) of a trial, infinities decoded, in objective order."""
    rows = conn.execute(
        sa.text(
            "SELECT objective, value, value_type FROM trial_values WHERE trial_id = :t "
            "ORDER BY objective"
        ),
        {"t": trial_id},
    ).all()
    return [(objective, INFINITE.get(kind, value)) for objective, value, kind in rows]


def trial_row(conn: sa.Connection, study_id: int, number: int):
    """(trial_id, state, datetime_start, datetime_complete) of trial `number`, or None."""
    return conn.execute(
        sa.text(
            "SELECT trial_id, state, datetime_start, datetime_complete FROM trials "
            "WHERE study_id = :id AND number = :n"
        ),
        {"id": study_id, "n": number},
    ).first()


# ---- attempts: what became of each trial (sweeper/outcomes.py) ------------------------------


def attempts(conn: sa.Connection, study_id: int, *, pausing: bool) -> pd.DataFrame:
    """Every attempt of a study, by number: trial_id, number, state and its record (an
    outcomes.Attempt, in column `attempt`). Attempts without a stored record (studies an
    earlier sweeper or plain Optuna wrote, grid points not yet asked) get the record
    `outcomes.derived` reads from their attributes; `pausing`: the study's pruner paused."""
    has_table = sa.inspect(conn).has_table("sweeper_attempts")
    joined = (
        "LEFT JOIN sweeper_attempts a ON a.trial_id = t.trial_id"
        if has_table
        else "LEFT JOIN (SELECT NULL AS trial_id, NULL AS first_attempt, NULL AS kind, "
        "NULL AS previous, NULL AS target_epochs, NULL AS outcome, NULL AS detail) a ON 1 = 0"
    )
    frame = _frame(
        conn,
        "SELECT t.trial_id, t.number, t.state, a.trial_id AS recorded, a.first_attempt, a.kind, "
        f"a.previous, a.target_epochs, a.outcome, a.detail FROM trials t {joined} "
        f"WHERE t.study_id = {int(study_id)} ORDER BY t.number",
    )
    missing = frame.loc[frame["recorded"].isna(), "trial_id"].tolist()
    attrs = _attrs_of(conn, missing)
    records = []
    for row in frame.itertuples():
        if row.trial_id in missing:
            user, system = attrs.get(row.trial_id, ({}, {}))
            records.append(derived(row.number, row.state, user, system, pausing=pausing))
        else:
            records.append(Attempt.from_row(row._asdict()))
    out = frame[["trial_id", "number", "state"]].copy()
    out["attempt"] = pd.Series(records, index=frame.index, dtype=object)
    return out


def outcome_counts(conn: sa.Connection, study_id: int, *, pausing: bool) -> Counts:
    """A study's trials by status: the one count status, report, dashboard and run show."""
    frame = attempts(conn, study_id, pausing=pausing)
    return count(zip(frame["state"], frame["attempt"]))


def _attrs_of(conn: sa.Connection, trial_ids: list[int]) -> dict[int, tuple[dict, dict]]:
    """trial_id → (user attributes, system attributes), decoded, of those trials."""
    found: dict[int, tuple[dict, dict]] = {t: ({}, {}) for t in trial_ids}
    for start in range(0, len(trial_ids), 500):  # IN lists of a bounded length
        ids = ", ".join(str(int(t)) for t in trial_ids[start : start + 500])
        for index, table in enumerate(("trial_user_attributes", "trial_system_attributes")):
            rows = _frame(
                conn,
                f"SELECT x.trial_id, x.key, x.value_json FROM {table} x WHERE x.trial_id IN ({ids})",
            )
            for trial_id, key, value in rows.itertuples(index=False):
                found[trial_id][index][key] = json.loads(value)
    return found


# ---- status and the live views -----------------------------------------------------------


def best_complete(conn: sa.Connection, study_id: int, direction: str) -> tuple[int, float] | None:
    """(number, value) of the best complete trial on the first objective, infinities included
    (ties: the earlier trial). One row from the database: the live views poll this."""
    order = "DESC" if direction == "maximize" else "ASC"
    row = conn.execute(
        sa.text(
            "SELECT t.number, v.value, v.value_type FROM trials t "
            "JOIN trial_values v ON v.trial_id = t.trial_id "
            "WHERE t.study_id = :study_id AND t.state = 'COMPLETE' AND v.objective = 0 "
            "ORDER BY CASE v.value_type WHEN 'INF_NEG' THEN 0 WHEN 'FINITE' THEN 1 ELSE 2 END "
            f"{order}, v.value {order}, t.number LIMIT 1"
        ),
        {"study_id": study_id},
    ).first()
    if row is None:
        return None
    number, value, kind = row
    return number, INFINITE.get(kind, value)


def running_trials(conn: sa.Connection, study_id: int) -> pd.DataFrame:
    """A study's RUNNING trials by number: trial_id, number, datetime_start, epoch (the last one
    recorded; NaN when none), host and device (decoded user attributes; None when unset)."""
    epochs = (
        "(SELECT MAX(e.epoch) FROM sweeper_epochs e WHERE e.trial_id = t.trial_id)"
        if sa.inspect(conn).has_table("sweeper_epochs")
        # Plain Optuna's steps start at 0: the epochs done are the last step + 1.
        else "(SELECT MAX(i.step) + 1 FROM trial_intermediate_values i "
        "WHERE i.trial_id = t.trial_id)"
    )
    frame = pd.read_sql(
        sa.text(
            f"SELECT t.trial_id, t.number, t.datetime_start, {epochs} AS epoch, "
            "(SELECT u.value_json FROM trial_user_attributes u "
            " WHERE u.trial_id = t.trial_id AND u.key = 'host') AS host, "
            "(SELECT u.value_json FROM trial_user_attributes u "
            " WHERE u.trial_id = t.trial_id AND u.key = 'device') AS device "
            "FROM trials t WHERE t.study_id = :study_id AND t.state = 'RUNNING' ORDER BY t.number"
        ),
        conn,
        params={"study_id": study_id},
        parse_dates=["datetime_start"],
    )
    for column in ("host", "device"):
        # A trial just asked has neither yet: pandas reads those cells as None, or as NaN when
        # other rows have one; object dtype keeps them None (a string column would make NaN).
        decoded = [json.loads(text) if isinstance(text, str) else None for text in frame[column]]
        frame[column] = pd.Series(decoded, index=frame.index, dtype=object)
    return frame


def best_trial_params(conn: sa.Connection, study_id: int, number: int) -> list[tuple]:
    """(name, internal value, distribution_json) of the params of trial `number`."""
    return [
        tuple(row)
        for row in conn.execute(
            sa.text(
                "SELECT p.param_name, p.param_value, p.distribution_json FROM trial_params p "
                "JOIN trials t ON t.trial_id = p.trial_id "
                "WHERE t.study_id = :study_id AND t.number = :number"
            ),
            {"study_id": study_id, "number": number},
        ).all()
    ]


def version(conn: sa.Connection, study_id: int) -> tuple:
    """Changes whenever a trial is added or finishes: the key of a cached full report."""
    row = conn.execute(
        sa.text(
            "SELECT COUNT(*), SUM(CASE WHEN state IN ('COMPLETE', 'PRUNED', 'FAIL') THEN 1 ELSE 0 END), "
            "MAX(datetime_complete) FROM trials WHERE study_id = :id"
        ),
        {"id": study_id},
    ).one()
    return (int(row[0]), int(row[1] or 0), str(row[2]))


def running_params(conn: sa.Connection, study_id: int) -> pd.DataFrame:
    """The params rows of a study's RUNNING trials (the trials: running_trials)."""
    return pd.read_sql(
        sa.text(
            "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json FROM trial_params p "
            "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = :id AND t.state = 'RUNNING'"
        ),
        conn,
        params={"id": study_id},
    )


def recent_finished(conn: sa.Connection, study_id: int, n: int) -> list[dict]:
    """The last `n` trials to finish, latest first: number, state, value (objective 0, decoded)."""
    recent = pd.read_sql(
        sa.text(
            "SELECT t.number, t.state, v.value, v.value_type, t.datetime_complete "
            "FROM trials t LEFT JOIN trial_values v "
            "ON v.trial_id = t.trial_id AND v.objective = 0 WHERE t.study_id = :id AND t.datetime_complete IS NOT NULL "
            "ORDER BY t.datetime_complete DESC LIMIT :n"
        ),
        conn,
        params={"id": study_id, "n": n},
    )
    return [
        {"trial": int(r.number), "state": r.state, "value": INFINITE.get(r.value_type, r.value)}
        for r in recent.itertuples()
    ]


# ---- helpers -------------------------------------------------------------------------------


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
