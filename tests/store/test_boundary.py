"""sweeper/store/ is the one house of Optuna's tables and Optuna's private API.

Every module of sweeper outside sweeper/store/ is parsed: none may import Optuna's private
modules (optuna.storages._rdb, ...), name the Optuna table handles of sweeper.store.schema,
touch Optuna's private attributes (trial._trial_id, study._storage, ...), or hold a SQL
statement on Optuna's tables. A newcomer finds all of those in sweeper/store/, and a change of
Optuna's internals is mended there alone.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sweeper.store import schema

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sweeper"
STORE = PACKAGE / "store"

# Attributes Optuna keeps private on its Study, Trial, FrozenTrial and storages.
PRIVATE_ATTRS = {
    "_trial_id",
    "_study_id",
    "_storage",
    "_rdb",
    "_cached_frozen_trial",
    "_backend",
    "_thread_local",
    "_cache",
    "_engine",
    "_wrapped_pruner",
}
# schema's names that are Optuna's tables, models or stored forms (ours and constants are fine).
OPTUNA_HANDLES = {
    name
    for name, value in vars(schema).items()
    if any(value is table for table in schema.OPTUNA_TABLES)
} | {
    "OPTUNA_TABLES",
    "models",
    "intermediate_value_to_stored",
    "intermediate_value_from_stored",
    "value_from_stored",
    "version_info",
}
OPTUNA_TABLE_NAMES = sorted(table.name for table in schema.OPTUNA_TABLES) + ["alembic_version"]
SQL_ON_OPTUNA = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+(" + "|".join(OPTUNA_TABLE_NAMES) + r")\b"
)


def violations(source: str) -> list[str]:
    """What a module outside sweeper/store/ does that only sweeper/store/ may do."""
    tree = ast.parse(source)
    schema_names = set()  # local names bound to sweeper.store.schema
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _private_optuna(alias.name):
                    found.append(f"line {node.lineno}: imports {alias.name}")
                if alias.name == "sweeper.store.schema":
                    schema_names.add(alias.asname or "sweeper")
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _private_optuna(node.module) or _private_optuna(full):
                    found.append(f"line {node.lineno}: imports {full}")
                if node.module == "sweeper.store" and alias.name == "schema":
                    schema_names.add(alias.asname or "schema")
                if node.module == "sweeper.store.schema" and alias.name in OPTUNA_HANDLES:
                    found.append(f"line {node.lineno}: imports schema.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in PRIVATE_ATTRS:
                found.append(f"line {node.lineno}: uses Optuna's private .{node.attr}")
            if (
                node.attr in OPTUNA_HANDLES
                and isinstance(node.value, ast.Name)
                and node.value.id in schema_names
            ):
                found.append(f"line {node.lineno}: uses schema.{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in PRIVATE_ATTRS:  # getattr(pruner, "_wrapped_pruner", ...)
                found.append(f"line {node.lineno}: names Optuna's private {node.value}")
            match = SQL_ON_OPTUNA.search(node.value)
            if match:
                found.append(f"line {node.lineno}: SQL on Optuna's table {match.group(1)}")
    return found


def _private_optuna(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "optuna" and any(part.startswith("_") for part in parts[1:])


def modules_outside_store() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if STORE not in p.parents)


@pytest.mark.parametrize("path", modules_outside_store(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_store_touches_optunas_tables_and_private_api(path):
    assert violations(path.read_text()) == [], (
        f"{path.relative_to(ROOT)}: move this into sweeper/store/ "
        "(schema.py, reads.py, writes.py or optuna_private.py) and call it from there"
    )


@pytest.mark.parametrize(
    "source",
    [
        "from optuna.storages._rdb import models",
        "import optuna.storages._rdb.models as m",
        "from optuna.storages import _rdb",
        "def f(trial):\n    return trial._trial_id",
        "def f(study):\n    return study._storage.get_trial(1)",
        "from sweeper.store import schema\nx = schema.trials.c.state",
        "from sweeper.store.schema import trial_user_attrs",
        "import sqlalchemy as sa\nq = sa.text('SELECT COUNT(*) FROM trials t WHERE t.study_id = 1')",
        "q = 'SELECT a.value_json FROM x JOIN trial_user_attributes a ON 1 = 1'",
        "p = getattr(study.pruner, '_wrapped_pruner', study.pruner)",
    ],
)
def test_the_check_sees_each_kind_of_trespass(source):
    assert violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "from sweeper.store.schema import SPEC_ATTR, RESULT_COST_ATTRS, EPOCH_METRICS",
        "from sweeper.store import optuna_private\nn = optuna_private.trial_id(t)",
        '"""Reads the trials of a study from the storage."""',  # prose, not SQL
        "self._study = study",  # our own private attributes are ours
    ],
)
def test_the_check_lets_the_rest_be(source):
    assert violations(source) == []


def test_store_imports_no_torch():
    for path in STORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] == "torch" for n in names), path
