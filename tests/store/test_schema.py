"""Every table and column that sweeper's SQL names exists in the installed Optuna's models.

sweeper/store/ is where all SQL on Optuna's tables lives (tests/store/test_boundary.py), so
parsing its statements finds every name sweeper relies on. A column Optuna renames or drops
fails here, under the Optuna version being tested, not in a user's report.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from sweeper.store import schema

STORE = Path(__file__).resolve().parents[2] / "sweeper" / "store"
TABLES: dict[str, set[str]] = {
    table.name: {column.name for column in table.columns}
    for table in (*schema.OPTUNA_TABLES, schema.epochs, schema.attempts)
}
TABLES["alembic_version"] = {"version_num"}
ANY_COLUMN = set().union(*TABLES.values())
HOLE = "HOLE"  # where an f-string formats something in: a value, a table name, a condition
STATEMENT = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b")
SOURCE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(\w+)(?:\s+(?:AS\s+)?([a-z]\w*))?")


def statements() -> list[tuple[str, str]]:
    """(where, text) of every string in sweeper/store/ that holds SQL; f-string holes become
    a placeholder."""
    found = []
    for path in sorted(STORE.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(
                    part.value if isinstance(part, ast.Constant) else f" {HOLE} "
                    for part in node.values
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if STATEMENT.search(text) and SOURCE.search(text):
                found.append((f"{path.name}:{node.lineno}", text))
    return found


def names_in(sql: str) -> tuple[dict[str, str], set[str], set[tuple[str, str]]]:
    """(alias → table, bare column names, (alias, column) pairs) that a statement names."""
    sql = re.sub(r"'[^']*'", " ", sql)  # string literals
    sql = re.sub(r":\w+", " ", sql)  # bound parameters
    sql = re.sub(r"\bAS\s+\w+", " ", sql)  # output names
    aliases = {}
    for table, alias in SOURCE.findall(sql):
        aliases[table] = table
        if alias:
            aliases[alias] = table
    qualified = set(re.findall(r"\b([a-z]\w*)\.([a-z]\w*)\b", sql))
    bare = set(re.findall(r"(?<![.\w])([a-z]\w*)\b(?!\.)", sql)) - set(aliases)
    return aliases, bare, qualified


ALL_STATEMENTS = statements()


def test_the_store_holds_sql_to_check():
    assert len(ALL_STATEMENTS) >= 20


@pytest.mark.parametrize("where, sql", ALL_STATEMENTS, ids=[w for w, _ in ALL_STATEMENTS])
def test_every_table_and_column_named_exists(where, sql):
    aliases, bare, qualified = names_in(sql)
    unknown_tables = {t for t in aliases.values() if t not in TABLES and t != HOLE}
    assert not unknown_tables, f"{where}: no such tables {unknown_tables}"
    for alias, column in qualified:
        # A fragment's alias, or a table formatted in: the column must exist somewhere.
        known = TABLES.get(aliases.get(alias), ANY_COLUMN)
        assert column in known, f"{where}: {aliases.get(alias, alias)} has no {column}"
    columns = set().union(*(TABLES.get(table, ANY_COLUMN) for table in aliases.values()))
    assert bare <= columns, f"{where}: no such columns {bare - columns}"


def test_the_handles_are_the_tables_optuna_makes(tmp_path):
    """Optuna's own RDBStorage creates exactly the tables and columns the handles name."""
    import optuna

    url = f"sqlite:///{tmp_path / 'x.db'}"
    optuna.storages.RDBStorage(url)
    inspector = sa.inspect(sa.create_engine(url))
    for table in schema.OPTUNA_TABLES:
        made = {column["name"] for column in inspector.get_columns(table.name)}
        assert {column.name for column in table.columns} == made, table.name
    for handle in ("trials", "studies", "trial_user_attrs", "trial_heartbeats"):
        assert getattr(schema, handle) in schema.OPTUNA_TABLES


def test_the_check_itself_catches_a_wrong_name():
    aliases, bare, qualified = names_in(
        "SELECT t.number, v.valu FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id"
    )
    assert ("v", "valu") in qualified and "valu" not in TABLES[aliases["v"]]
    _, bare, _ = names_in("SELECT trial_idd FROM trials WHERE study_id = :id")
    assert "trial_idd" in bare


def structure(url: str) -> dict:
    """What a schema is made of, as the database reports it: every table's columns, keys,
    indexes and constraints, Alembic's revision and Optuna's version row."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            tables = {}
            for name in sorted(inspector.get_table_names()):
                tables[name] = {
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(name)
                    ],
                    "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
                    "foreign keys": sorted(
                        (tuple(k["constrained_columns"]), k["referred_table"])
                        for k in inspector.get_foreign_keys(name)
                    ),
                    "indexes": sorted(
                        (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                        for i in inspector.get_indexes(name)
                    ),
                    "unique": sorted(
                        tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
                    ),
                    "checks": sorted(c["sqltext"] for c in inspector.get_check_constraints(name)),
                }
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
            version = connection.execute(sa.select(schema.version_info)).all()
    finally:
        engine.dispose()
    return {"tables": tables, "alembic": revision, "version_info": [tuple(r) for r in version]}


@pytest.fixture
def two_fresh_databases(any_url, tmp_path):
    """(a, b): two empty storages of one kind, SQLite files or databases of the test server."""
    if any_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    server = sa.create_engine(any_url, isolation_level="AUTOCOMMIT")
    urls = []
    with server.connect() as connection:
        for name in ("made_by_optuna", "made_by_sweeper"):
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
            urls.append(str(sa.engine.make_url(any_url).set(database=name)))
    server.dispose()
    return tuple(urls)


def test_sweeper_makes_the_schema_optuna_makes(two_fresh_databases):
    """sweeper creates Optuna's schema itself (one connection, one transaction): what it makes
    is what RDBStorage's first open makes, plus sweeper's own tables, so plain Optuna, its
    CLI and optuna-dashboard read a sweeper storage as their own."""
    import optuna

    from sweeper.store.engines import open_storage

    by_optuna, by_sweeper = two_fresh_databases
    optuna.storages.RDBStorage(by_optuna).engine.dispose()
    open_storage(by_sweeper).engine.dispose()

    made_by_optuna, made_by_sweeper = structure(by_optuna), structure(by_sweeper)
    ours = {table.name for table in schema.metadata.tables.values()}
    assert ours <= set(made_by_sweeper["tables"])
    for name in ours:
        del made_by_sweeper["tables"][name]
    assert made_by_sweeper == made_by_optuna
    assert made_by_sweeper["alembic"] == [(schema.head_revision(),)]
    # And Optuna opens it with its own checks on.
    optuna.storages.RDBStorage(by_sweeper).engine.dispose()
