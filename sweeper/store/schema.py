"""The tables sweeper reads and writes: Optuna's, as the installed Optuna defines them, and ours.

This is the one module that imports Optuna's private storage models. Everything else in
`sweeper.store` names tables and columns through the handles below, never in SQL strings,
so a column Optuna renames fails at import (and in tests/store/test_schema.py), not in a
user's report. `check_schema` is the check Optuna's RDBStorage makes on open, for the
connections that do not go through RDBStorage (readers, batched writes).

Per-epoch metrics live in a table of our own, `sweeper_epochs` (one row per trial and epoch,
one column per metric), rather than in Optuna's intermediate values plus JSON attributes:
Optuna keeps one number per step, and reports need a dozen per epoch, read for thousands of
trials with one SQL query into pandas. The metric that pruning watches is also reported to
Optuna as the intermediate value, so the study stays a plain Optuna study.
Accuracies are percentages (0-100), the unit the write-ups publish.
"""

from __future__ import annotations

import functools
from pathlib import Path

import optuna
import sqlalchemy as sa
from optuna.storages._rdb import models

from sweeper.errors import StorageError

# The study attribute holding the study spec, so workers and reports need no study file.
SPEC_ATTR = "sweeper_spec"
# Attributes too long to read on one line: the spec (a study's), a trial's resolved training
# config, its environment and a crashed trial's traceback. `optuna studies`, `optuna trials` and
# optuna-dashboard print every USER attribute, so these are Optuna SYSTEM attributes (which none
# of them shows), and the short ones a user looks for there (stop_reason, seconds, params, ...)
# stay user attributes. Studies written by earlier versions hold them as user attributes, so
# readers take the system attribute first and fall back to the user attribute of that name.
LONG_TRIAL_ATTRS = ("config", "environment", "traceback")

# What the trainer's result says about a trial's cost, copied into its user attributes as it
# finishes and read back by reports: one list, so a new key reaches both sides.
RESULT_COST_ATTRS = (
    "seconds",
    "images_per_s",
    "params",
    "model_size_mb",
    "summary_size_mb",
    "peak_mem_mb",
)

EPOCH_METRICS = (
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "val_top5",
    "lr",
    "seconds",
    "images_per_s",
    "peak_mem_mb",
)

metadata = sa.MetaData()
epochs = sa.Table(
    "sweeper_epochs",
    metadata,
    sa.Column("trial_id", sa.Integer, primary_key=True),  # Optuna's trials.trial_id
    sa.Column("epoch", sa.Integer, primary_key=True),  # 1-based
    *(sa.Column(name, sa.Float) for name in EPOCH_METRICS),
    sa.Column("recorded_at", sa.Float),  # unix seconds
)
# Every attempt sweeper makes of a trial (sweeper/outcomes.py): why it exists and how it ended,
# in typed columns, so that the budget, status, reports, the dashboard and promotions count
# and read them one way. Numbers are Optuna's trial numbers within the study. A trial with no
# row is a first attempt still waiting (a grid point), or one of a study written before
# attempts were recorded (its row is derived from its attributes: outcomes.derived).
attempts = sa.Table(
    "sweeper_attempts",
    metadata,
    sa.Column("trial_id", sa.Integer, primary_key=True),  # Optuna's trials.trial_id
    sa.Column("study_id", sa.Integer, nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("first_attempt", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # outcomes.Kind
    sa.Column("previous", sa.Integer),  # the attempt it continues (lost or paused)
    sa.Column("target_epochs", sa.Integer),  # a promotion trains at least to this epoch
    sa.Column("outcome", sa.String(16)),  # outcomes.Outcome; NULL while waiting or running
    sa.Column("detail", sa.Text),  # the outcome in words
    # An attempt is continued by one attempt at most: two machines retrying or promoting the
    # same attempt at once cannot both queue it (the second INSERT fails). NULLs (first
    # attempts) are distinct on every backend.
    sa.UniqueConstraint("study_id", "previous", name="sweeper_attempts_one_follow_up"),
)
# Optuna's tables, as its own models define them.
studies = models.StudyModel.__table__
study_directions = models.StudyDirectionModel.__table__
study_user_attrs = models.StudyUserAttributeModel.__table__
study_system_attrs = models.StudySystemAttributeModel.__table__
trials = models.TrialModel.__table__
trial_params = models.TrialParamModel.__table__
trial_values = models.TrialValueModel.__table__
trial_intermediate_values = models.TrialIntermediateValueModel.__table__
trial_user_attrs = models.TrialUserAttributeModel.__table__
trial_system_attrs = models.TrialSystemAttributeModel.__table__
trial_heartbeats = models.TrialHeartbeatModel.__table__
version_info = models.VersionInfoModel.__table__
OPTUNA_TABLES = tuple(models.BaseModel.metadata.tables.values())

# Optuna's stored forms of values (NaN and ±inf are a type column beside the number).
intermediate_value_to_stored = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr
intermediate_value_from_stored = (
    models.TrialIntermediateValueModel.stored_repr_to_intermediate_value
)
value_from_stored = models.TrialValueModel.stored_repr_to_value
SCHEMA_VERSION = models.SCHEMA_VERSION


@functools.cache
def _alembic_script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(models.__file__).parent / "alembic"))


def head_revision() -> str:
    """The Alembic revision of the installed Optuna's schema (what RDBStorage checks)."""
    return _alembic_script().get_current_head()


def create_schema(connection: sa.Connection) -> None:
    """Optuna's tables, its version row and Alembic stamp, as RDBStorage's first open makes them,
    and ours, all on the caller's one connection and transaction.

    RDBStorage's own first open holds one pooled connection while it asks for a second (its
    Alembic check inside an open transaction, its compatibility check inside a session). Behind a
    pooler with fewer server connections than first runs, those runs each hold one and wait for
    another until the pooler gives up: the supervisor makes the schema here instead, and opens
    RDBStorage on tables that exist. Tables already there are left as they are.
    """
    from alembic.runtime.migration import MigrationContext

    models.BaseModel.metadata.create_all(connection)
    metadata.create_all(connection)
    stored = connection.execute(sa.select(version_info.c.schema_version)).first()
    if stored is None:
        connection.execute(
            version_info.insert().values(
                version_info_id=1, schema_version=SCHEMA_VERSION, library_version=optuna.__version__
            )
        )
    context = MigrationContext.configure(connection)
    if context.get_current_revision() is None:
        # As RDBStorage: a storage from before Optuna used Alembic starts at Alembic's base.
        script = _alembic_script()
        current = stored is None or stored.schema_version == SCHEMA_VERSION
        context.stamp(script, script.get_current_head() if current else script.get_base())


def stored_revision(connection: sa.Connection) -> tuple[str | None, str | None]:
    """(Alembic revision, Optuna version that made the schema) of a storage; Nones if absent."""
    inspector = sa.inspect(connection)
    revision = library = None
    if inspector.has_table("alembic_version"):
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    if inspector.has_table(version_info.name):
        library = connection.execute(sa.select(version_info.c.library_version)).scalar()
    return revision, library


def check_schema(connection: sa.Connection, url_shown: str) -> None:
    """One clear line when the storage's schema is not the one the installed Optuna uses."""
    revision, library = stored_revision(connection)
    if revision is None or revision == head_revision():
        return
    raise StorageError(
        f"the storage {url_shown} has Optuna's schema {revision} (made by optuna "
        f"{library or '?'}), but the installed optuna {optuna.__version__} uses {head_revision()}",
        "run `optuna storage upgrade --storage URL` for an older schema, "
        "or install the newer optuna that made it",
    )
