"""Storage URLs: which database a command uses, and how it is shown to people.

Imports neither Optuna nor the trainer, so parsing a command line stays cheap. Every URL a
person, a log, a page or a file may see goes through `redact`; every message that may quote
a URL or a driver's error goes through `scrub`, which also masks the URL's secrets wherever
they appear in the text.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sweeper.errors import StorageError

DEFAULT_STORAGE = "sqlite:///sweeper.db"
STORAGE_HELP = f"database URL (default: $SWEEPER_STORAGE, else {DEFAULT_STORAGE})"
MASK = "***"
URL_FORMS = "use sqlite:///PATH.db or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
BACKENDS = ("sqlite", "postgresql", "mysql")
# Query parameters that carry a secret in the URL forms SQLAlchemy and libpq accept
# (?password=, ?sslpassword=, a token for a cloud proxy, ...).
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|credential|auth", re.IGNORECASE)
_QUERY_PAIR = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")
# A URL's user and password as SQLAlchemy's make_url reads them: user up to ':' or '/',
# password up to the first '@'.
_USERINFO = re.compile(r"([^:/]*)(?::([^@]*))?@")


def resolve_url(url: str | None) -> str:
    """--storage, else $SWEEPER_STORAGE, else sqlite:///sweeper.db in the working directory."""
    return url or os.environ.get("SWEEPER_STORAGE") or DEFAULT_STORAGE


def redact(url: str) -> str:
    """The URL with every secret masked: the password and secret query parameters.

    The password is found where SQLAlchemy finds it, so what is masked is what is used. A URL SQLAlchemy cannot read, or reads ambiguously (an unescaped '@' in a password
    lands in its host: `ambiguous`), is shown with everything before its last '@' masked.
    """
    parsed = _parse(url)
    if parsed is None or _ambiguous(parsed):
        scheme, sep, rest = url.partition("://")
        if not sep:
            return _mask_query(url)
        at = rest.rfind("@")
        return (
            f"{scheme}://{MASK}@{_mask_query(rest[at + 1 :])}"
            if at >= 0
            else f"{scheme}://{_mask_query(rest)}"
        )
    scheme, _, rest = url.partition("://")
    userinfo = _USERINFO.match(rest)  # where SQLAlchemy's own pattern finds the password
    if userinfo and userinfo.group(2) is not None:
        rest = f"{userinfo.group(1)}:{MASK}@{rest[userinfo.end() :]}"
    return f"{scheme}://{_mask_query(rest)}"


def secrets(url: str) -> set[str]:
    """The secret strings a URL carries, raw and unescaped, for masking them in any text: the
    password as SQLAlchemy reads it and as written, and secret query values."""
    found: set[str] = set()
    parsed = _parse(url)
    if parsed is not None and parsed.password:
        found.add(str(parsed.password))
    _scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if sep and at >= 0:  # as written, up to the last '@' (an ambiguous one's whole userinfo)
        _user, colon, password = rest[:at].partition(":")
        if colon and password:
            found |= {password, unquote(password)}
    for _sep, key, value in _QUERY_PAIR.findall(url):
        if _SECRET_KEY.search(key) and value:
            found |= {value, unquote(value)}
    if parsed is not None:
        for key, value in parsed.query.items():
            for one in value if isinstance(value, tuple) else (value,):
                if _SECRET_KEY.search(key) and one:
                    found.add(one)
    return {secret for secret in found if secret}


def ambiguous(url: str) -> bool:
    """Whether SQLAlchemy would read the URL otherwise than it looks: an '@' written unescaped
    in a user name or password makes the rest of the password part of the host."""
    parsed = _parse(url)
    return parsed is not None and _ambiguous(parsed)


def _parse(url: str):
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        return None


def _ambiguous(parsed) -> bool:
    return "@" in (parsed.host or "") or "@" in (parsed.username or "")


def scrub(text: str, url: str | None) -> str:
    """`text` with the URL and each of its secrets masked (driver errors may quote either)."""
    if not url:
        return text
    text = text.replace(url, redact(url))
    for secret in sorted(secrets(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _mask_query(text: str) -> str:
    def mask(match: re.Match) -> str:
        sep, key, value = match.groups()
        return f"{sep}{key}={MASK}" if _SECRET_KEY.search(key) and value else match.group(0)

    return _QUERY_PAIR.sub(mask, text)


def backend(url: str) -> str:
    """'sqlite', 'postgresql' or 'mysql'; a malformed or ambiguous URL or another database is
    a StorageError."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StorageError(
            f"storage URL {redact(url)!r} is not a database URL", URL_FORMS
        ) from None
    if _ambiguous(parsed):
        raise StorageError(
            f"storage URL {redact(url)!r} has an '@' in its user name or password, which "
            "SQLAlchemy would read as part of the host",
            "write each '@' of a user name or password as %40, e.g. "
            "postgresql+psycopg://me:p%40ss@db-host/sweeps",
        )
    name = parsed.get_backend_name()
    if name not in BACKENDS:
        raise StorageError(
            f"storage URL {redact(url)!r} names an unknown database {name!r}", URL_FORMS
        )
    return name


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database. An in-memory SQLite is refused:
    a study there would vanish with the process that made it."""
    if backend(url) != "sqlite":
        return None
    database = make_url(url).database
    if database in (None, "", ":memory:") or database.startswith("file::memory:"):
        raise StorageError(
            f"storage URL {redact(url)!r} is an in-memory SQLite database, which keeps nothing",
            "give it a file: sqlite:///sweeper.db (or sqlite:////absolute/path.db)",
        )
    return Path(database).expanduser()


def check_url(url: str) -> None:
    """Fails with one clear line for a malformed URL, an unknown backend, a driver that is not
    installed or a missing folder. Touches no database."""
    path = sqlite_file(url)
    if path is not None:
        folder = path.resolve().parent
        if not folder.is_dir():
            raise StorageError(
                f"the folder {folder} of the SQLite storage does not exist",
                "create it first, or point --storage at an existing folder",
            )
        return
    try:
        make_url(url).get_dialect().import_dbapi()
    except ImportError as error:
        raise StorageError(
            f"the database driver {getattr(error, 'name', None) or error} for {redact(url)} "
            "is not installed",
            "use postgresql+psycopg://... (psycopg 3 ships with sweeper) or pip install the driver",
        ) from None
    except Exception as error:  # a dialect SQLAlchemy cannot load (NoSuchModuleError, ...)
        raise StorageError(f"storage URL {redact(url)!r}: {error}", URL_FORMS) from None


def check_writable(url: str) -> None:
    """For a SQLite storage: the file, and its folder (SQLite writes its journal beside it),
    can be written. One clear line instead of a failure at the first commit."""
    path = sqlite_file(url)
    if path is None:
        return
    path = path.resolve()
    if path.exists() and not os.access(path, os.W_OK):
        raise StorageError(
            f"the SQLite storage {path} is read-only",
            "make it writable (chmod u+w), or run with --storage pointing at a writable file",
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StorageError(
            f"the folder {path.parent} of the SQLite storage is not writable "
            "(SQLite keeps its journal there)",
            "make the folder writable, or point --storage at a file in a writable folder",
        )
