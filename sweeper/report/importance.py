"""Parameter importance (Optuna's evaluators) and the parallel-coordinates data.

Importance runs on an in-memory Optuna study rebuilt from the trials frame, so it needs
no second pass over the storage and never touches the live database.
"""

from __future__ import annotations

import math
import warnings

import optuna
import pandas as pd

from sweeper.report.frames import param_column

# Importance is estimated on at most this many finished trials (a fixed random sample): the
# estimate is stable well before that, and rebuilding 10,000 FrozenTrials takes seconds.
MAX_TRIALS = 1000


def importance_frame(trials: pd.DataFrame, dists: dict, direction: str) -> pd.DataFrame:
    """Parameter → importance (sums to 1), highest first; empty when it cannot be judged yet.

    Args:
        dists: parameter name → Optuna distribution, as sampled.
    """
    done = trials[(trials["state"] == "COMPLETE") & trials["best"].map(_finite)]
    names = [
        name
        for name in dists
        if param_column(name) in done and done[param_column(name)].nunique() > 1
    ]
    empty = pd.DataFrame({"param": pd.Series(dtype=str), "importance": pd.Series(dtype=float)})
    if len(done) < 2 or not names:
        return empty
    if len(done) > MAX_TRIALS:
        done = done.sample(MAX_TRIALS, random_state=0)
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "new study created in memory" line
    try:
        study = optuna.create_study(direction=direction)
    finally:
        optuna.logging.set_verbosity(verbosity)
    columns = [param_column(name) for name in names]
    frozen = []
    for values, best in zip(done[columns].itertuples(index=False, name=None), done["best"]):
        params = {name: value for name, value in zip(names, values) if not _missing(value)}
        try:
            frozen.append(
                optuna.trial.create_trial(
                    params=params,
                    distributions={name: dists[name] for name in params},
                    value=float(best),
                )
            )
        except ValueError:
            continue  # a value outside the latest distribution: the space changed mid-study
    study.add_trials(frozen)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature notices, not the user's concern
            scores = optuna.importance.get_param_importances(study, params=names)
    except (RuntimeError, ValueError):
        return empty  # e.g. no trial holds every parameter (conditional spaces)
    return pd.DataFrame({"param": list(scores), "importance": list(scores.values())})


def parallel_frame(trials: pd.DataFrame, names: list[str], metric: str) -> pd.DataFrame:
    """Finished trials' parameters and best metric, one row per trial, for parallel coordinates."""
    columns = [param_column(name) for name in names if param_column(name) in trials]
    done = trials[(trials["state"] == "COMPLETE") & trials["best"].map(_finite)]
    return done[["trial", *columns, "best"]].rename(columns={"best": metric}).reset_index(drop=True)


def _finite(value) -> bool:
    return value is not None and not pd.isna(value) and math.isfinite(value)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
