"""Study names, and the folders built from them.

A study name becomes a folder name (its checkpoints, its report), and a `sweeper worker`
reads it from a shared database: whoever can write that database chooses it. So a name is
checked wherever a study is created or read, and every folder made from one goes through
`inside`, which refuses any path that would land outside its root.
"""

from __future__ import annotations

import re
from pathlib import Path

from sweeper.errors import ConfigError

MAX_LENGTH = 100
# Letters, digits, '.', '_' and '-', starting with a letter or digit: a valid file name on
# every system, a URL path segment as it is, and never '.', '..' or an absolute path.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
RULE = f"letters, digits, '.', '_' and '-', starting with a letter or digit, at most {MAX_LENGTH}"


def check_study_name(name: object) -> str:
    """The name, or a ConfigError saying what is wrong with it."""
    if not isinstance(name, str) or not name:
        raise ConfigError(f"study name {name!r} is not a non-empty string", f"use {RULE}")
    if len(name) > MAX_LENGTH:
        raise ConfigError(
            f"study name {name[:40]!r}... is {len(name)} characters long", f"use {RULE}"
        )
    if not _NAME.fullmatch(name):
        raise ConfigError(f"study name {name!r} is not allowed", f"use {RULE}")
    return name


def is_study_name(name: str) -> bool:
    try:
        check_study_name(name)
    except ConfigError:
        return False
    return True


def inside(root: Path, *parts: str | int) -> Path:
    """root/part/... resolved, refused unless it stays strictly inside root."""
    base = Path(root).resolve()
    path = base.joinpath(*map(str, parts)).resolve()
    if path == base or not path.is_relative_to(base):
        raise ConfigError(
            f"{'/'.join(map(str, parts))!r} would lead outside {base}",
            f"study names use {RULE}",
        )
    return path


def study_folder(root: Path, name: str) -> Path:
    """The folder of a study under root (artifacts, reports): checked name, confined path."""
    return inside(root, check_study_name(name))


def report_folder(root: Path, name: str) -> Path:
    """The folder of a stored study's report under root.

    A report also reads studies sweeper did not create (plain Optuna allows any name, "../x" or
    "my study" included), so a name outside the rule is mapped onto it instead of refused.
    """
    if not is_study_name(name):
        name = "_" + re.sub(r"[^A-Za-z0-9._-]", "_", name)[: MAX_LENGTH - 1]
    return inside(root, name)


def names_a_file(argument: str) -> bool:
    """Whether a command's STUDY argument is a study file rather than a stored study's name:
    the one rule every command uses."""
    path = Path(argument)
    try:
        return path.suffix == ".py" or path.is_file()
    except OSError:  # too long for a file name, or unreadable: it cannot name a study file
        return False
