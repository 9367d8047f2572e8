"""Finding a study by file or by name, and reading it back from the storage."""

from __future__ import annotations

from pathlib import Path

import optuna

from sweeper.errors import StudyFileError
from sweeper.spec import Study, load_study_file
from sweeper.sweep.storage import SPEC_ATTR, open_storage
from sweeper.urls import redact


def study_names(storage) -> list[str]:
    return [s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)]


def resolve_study(reference: str, storage_url: str) -> Study:
    """A study file's Study, or the spec stored with a study of that name."""
    if reference.endswith(".py") or Path(reference).is_file():
        return load_study_file(reference)
    storage = open_storage(storage_url)
    names = study_names(storage)
    if reference not in names:
        raise StudyFileError(
            f"no study named {reference!r} in {redact(storage_url)}",
            f"studies there: {', '.join(names)}"
            if names
            else "run `sweeper run STUDY_FILE` first to create it",
        )
    attrs = optuna.load_study(study_name=reference, storage=storage).user_attrs
    if SPEC_ATTR not in attrs:
        raise StudyFileError(
            f"study {reference!r} was not made by sweeper (it has no stored spec)",
            "run it with its study file instead",
        )
    return Study.from_spec(attrs[SPEC_ATTR])
