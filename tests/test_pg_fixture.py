"""The PostgreSQL fixture of tests/pg.py: a real server that Optuna can use and that survives a restart."""

import optuna
import pytest
import sqlalchemy as sa

from tests.pg import PostgresUnavailable, postgres_server, postgres_url, start_postgres  # noqa: F401 (fixtures)


def make_study(url: str, name: str) -> optuna.Study:
    storage = optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
    return optuna.create_study(
        study_name=name, storage=storage, load_if_exists=True, direction="maximize"
    )


def test_session_server_takes_an_optuna_storage(postgres_url):
    assert postgres_url.startswith(
        "postgresql+psycopg://postgres@127.0.0.1:"
    ) and postgres_url.endswith("/sweeper")
    study = make_study(postgres_url, "pg-fixture-session")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 3
    with sa.create_engine(postgres_url).connect() as connection:
        assert connection.exec_driver_sql("SHOW listen_addresses").scalar() == "127.0.0.1"


def test_data_survives_stop_and_start_on_the_same_port(postgres_server):
    url = postgres_server.url
    study = make_study(url, "pg-fixture-restart")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    before = [t.params for t in study.trials]
    port = postgres_server.port

    postgres_server.stop()
    try:
        sa.create_engine(url).connect().close()
        raise AssertionError("the server still answers after stop()")
    except sa.exc.OperationalError:
        pass
    postgres_server.start()

    assert postgres_server.port == port and postgres_server.url == url
    again = make_study(url, "pg-fixture-restart")
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert [t.number for t in again.trials] == [0, 1, 2]
    assert [t.params for t in again.trials[:2]] == before


def test_start_postgres_function_returns_url_and_stop():
    try:
        url, stop = start_postgres()
    except PostgresUnavailable as error:
        pytest.skip(str(error))
    try:
        with sa.create_engine(url).connect() as connection:
            assert connection.exec_driver_sql("SELECT current_database()").scalar() == "sweeper"
    finally:
        stop()
    try:
        sa.create_engine(url).connect().close()
        raise AssertionError("the server still answers after stop")
    except sa.exc.OperationalError:
        pass
