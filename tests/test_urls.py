"""No secret of a storage URL reaches a person: every form SQLAlchemy and libpq accept."""

import pytest

from sweeper.urls import redact, scrub, secrets

CASES = [
    # (url, the secret, what must still show)
    ("postgresql+psycopg://me:hunter2@db:5432/sweeps", "hunter2", "me:***@db:5432/sweeps"),
    ("postgresql+psycopg://me:hun@ter2@db/sweeps", "hun@ter2", "@db/sweeps"),  # '@' unescaped
    ("postgresql+psycopg://me:hun%40ter2@db/sweeps", "hun%40ter2", "@db/sweeps"),
    ("postgresql+psycopg://me:p:a/ss@db/sweeps", "p:a/ss", "@db/sweeps"),
    ("postgresql+psycopg://me@db/sweeps?password=hunter2", "hunter2", "password=***"),
    ("postgresql+psycopg://me@db/sweeps?sslmode=require&password=hunter2", "hunter2", "sslmode"),
    ("postgresql+psycopg:///sweeps?host=/run/pg&user=me&password=hunter2", "hunter2", "user=me"),
    ("postgresql+psycopg://me@db/sweeps?sslpassword=hunter2", "hunter2", "sslpassword=***"),
    ("mysql+pymysql://me:hunter2@db/sweeps?charset=utf8", "hunter2", "charset=utf8"),
    # Where SQLAlchemy ends the password (its first '@'), whatever else holds an '@'.
    ("postgresql+psycopg://u:ab@cd@127.0.0.1:1/db", "ab@cd", "***@127.0.0.1:1/db"),
    ("postgresql+psycopg://me:hunter2@db/sweeps?application_name=a@b", "hunter2", "a@b"),
    ("postgresql+psycopg://me@db/sweeps?sslpassword=hunter2&app=a@b", "hunter2", "me@db/sweeps"),
    ("postgresql+psycopg://me:hu?nter2@db/sweeps", "hu?nter2", "me:***@db/sweeps"),
    ("postgresql+psycopg://me:hu#nter2@db/sweeps", "hu#nter2", "me:***@db/sweeps"),
    ("postgresql+psycopg://:hunter2@db/sweeps", "hunter2", ":***@db/sweeps"),
    ("postgresql+psycopg://me:hunter2@[::1]:5432/sweeps", "hunter2", "[::1]:5432"),
    ("postgresql+psycopg://me:hunter2@/sweeps?host=/run/pg", "hunter2", "host=/run/pg"),
    ("postgresql+psycopg://me:hunter2@h1:5432,h2:5433/sweeps", "hunter2", "h2:5433"),
]


@pytest.mark.parametrize("url, secret, shown", CASES)
def test_redact_masks_every_secret(url, secret, shown):
    masked = redact(url)
    assert secret not in masked and secret.replace("%40", "@") not in masked
    assert shown in masked


@pytest.mark.parametrize("url, secret, shown", CASES)
def test_scrub_masks_secrets_quoted_anywhere_in_a_message(url, secret, shown):
    message = (
        f'cannot connect to {url}: password "{secret}" rejected for {secret.replace("%40", "@")}'
    )
    cleaned = scrub(message, url)
    assert secret not in cleaned and secret.replace("%40", "@") not in cleaned
    assert secrets(url)


def test_urls_without_secrets_are_shown_as_they_are():
    for url in ("sqlite:///sweeper.db", "sqlite:////tmp/a@b/x.db", "postgresql+psycopg://me@db/s"):
        assert redact(url) == url
        assert scrub(f"at {url}", url) == f"at {url}"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://u:ab@cd@127.0.0.1:1/db",  # the password's '@' unescaped
        "postgresql+psycopg://a@b:pw@db/sweeps",  # the user's
    ],
)
def test_an_at_sign_sqlalchemy_would_put_in_the_host_is_refused_with_how_to_escape_it(url):
    from sweeper.errors import StorageError
    from sweeper.urls import check_url

    with pytest.raises(StorageError) as refused:
        check_url(url)
    assert "%40" in str(refused.value) and "ab@cd" not in str(refused.value)
    assert "pw" not in redact(url)


def test_a_sqlite_path_is_shown_as_written():
    assert redact("sqlite:////data/p@th/s.db") == "sqlite:////data/p@th/s.db"
