"""Finding a study by file or by name, and holding a study file to the study stored under its name."""

from __future__ import annotations

import json
from dataclasses import dataclass

import optuna
import sqlalchemy as sa

from sweeper.errors import ConfigError, StudyFileError
from sweeper.names import check_study_name, names_a_file
from sweeper.spec import Study, load_study_file
from sweeper.store import reads
from sweeper.store.engines import open_reader, unreadable
from sweeper.store.schema import SPEC_ATTR

# Spec keys that say what a trial runs: a study file that changes one of them is another
# experiment. The budget, the description and the published references may change freely.
EXPERIMENT_KEYS = (
    "train",
    "space",
    "points",
    "sampler",
    "pruner",
    "patience",
    "metric",
    "direction",
    "trainer",
    "seed",
)
# Experiment keys added since studies were first stored, with the value an older spec means.
ADDED_LATER = {"points": []}
REPLACE_FLAG = "--replace-spec"


@dataclass(frozen=True)
class StoredStudy:
    name: str
    definition: dict | None  # Study.to_dict() as stored; None for a study made by plain Optuna
    direction: str


def resolve_study(reference: str, storage_url: str) -> Study:
    """A study file's Study, or the spec stored with a study of that name. Reads only.

    A name the storage does not hold is `reads.find_study`'s error, the same line `status`,
    `report`, `export` and `rerun` give.
    """
    if names_a_file(reference):
        return load_study_file(reference)
    check_study_name(reference)
    engine = open_reader(storage_url)
    try:
        stored = reads.find_study(engine, reference, storage_url)
    except sa.exc.SQLAlchemyError as error:
        raise unreadable(storage_url, error) from None
    finally:
        engine.dispose()
    if not stored.definition:
        raise StudyFileError(
            f"study {reference!r} was not made by sweeper (it has no stored spec)",
            "run it with its study file instead",
        )
    return Study.from_dict(stored.definition)


def stored_study(storage: optuna.storages.RDBStorage, name: str) -> StoredStudy | None:
    """The study of that name in an open storage, without creating it; None when absent."""
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return None
    directions = storage.get_study_directions(study_id)
    # A system attribute; a user attribute in studies written by earlier versions.
    spec = storage.get_study_system_attrs(study_id).get(SPEC_ATTR)
    if spec is None:
        spec = storage.get_study_user_attrs(study_id).get(SPEC_ATTR)
    return StoredStudy(name, spec, directions[0].name.lower())


def check_compatible(stored: StoredStudy, study: Study, replace_spec: bool) -> None:
    """Refuses a study file that would mix another experiment into the stored study."""
    if stored.direction != study.direction:
        raise ConfigError(
            f"study {study.name!r} in the storage is {stored.direction}d, the file says "
            f"{study.direction}",
            "keep the direction of the stored study, or give this study a new name",
        )
    if replace_spec:
        return
    if stored.definition is None:
        raise ConfigError(
            f"a study named {study.name!r} already exists and was not made by sweeper",
            f"give this study another name, or pass {REPLACE_FLAG} to run it in that study",
        )
    changes = spec_changes(stored.definition, as_stored(study))
    if changes:
        shown = "; ".join(changes[:4]) + (
            f"; and {len(changes) - 4} more" if len(changes) > 4 else ""
        )
        raise ConfigError(
            f"study {study.name!r} in the storage was run with other settings ({shown})",
            f"give the study a new name to start afresh, or pass {REPLACE_FLAG} to continue the "
            "stored study with this file's settings (its finished trials stay)",
        )


def as_stored(study: Study) -> dict:
    """The spec as it reads back from the storage (JSON: tuples become lists, keys strings)."""
    return json.loads(json.dumps(study.to_dict()))


def spec_changes(stored: dict, new: dict) -> list[str]:
    """What differs between two specs, in the experiment's keys: 'train.epochs 12 -> 2'."""
    changes = []
    for key in EXPERIMENT_KEYS:
        old_value, new_value = stored.get(key, ADDED_LATER.get(key)), new.get(key)
        if isinstance(old_value, dict) and isinstance(new_value, dict):
            for sub in sorted(set(old_value) | set(new_value)):
                if old_value.get(sub) != new_value.get(sub):
                    changes.append(
                        f"{key}.{sub} {_short(old_value.get(sub))} -> {_short(new_value.get(sub))}"
                    )
        elif old_value != new_value:
            changes.append(f"{key} {_short(old_value)} -> {_short(new_value)}")
    return changes


def _short(value) -> str:
    text = "unset" if value is None else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
