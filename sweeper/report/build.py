"""A study's whole report as DataFrames: what the terminal, CSV, HTML and dashboard render."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from sweeper import references
from sweeper.errors import SweeperError
from sweeper.report import frames, importance, published, sql, tables

TOP_CURVES = 5  # learning curves drawn for the best few finished trials


@dataclass
class Report:
    study: sql.StudyInfo
    metric: str  # the per-epoch column optimized; "value" for plain Optuna studies
    direction: str
    space: dict  # parameter → spec-style dimension
    summary: dict
    trials: pd.DataFrame
    epochs: pd.DataFrame
    param_tables: dict  # parameter → its table, in the space's order
    published: pd.DataFrame  # each published number beside its own run, measured its way
    not_run: pd.DataFrame  # published numbers whose run no trial has made
    cost: pd.DataFrame
    importance: pd.DataFrame
    parallel: pd.DataFrame
    curve_trials: list  # trial numbers whose learning curves are drawn
    by: str | None  # the parameter asked for with --by, if any

    @property
    def curves(self) -> pd.DataFrame:
        return self.epochs[self.epochs["trial"].isin(self.curve_trials)]

    @property
    def n_trials(self) -> int | None:
        return self.study.spec.get("n_trials")


def build_report(
    engine: sa.Engine,
    name: str,
    *,
    url: str = "",
    by: str | None = None,
    trials: tuple = (),
    top: int = TOP_CURVES,
) -> Report:
    """Reads the study `name` and computes every table.

    Args:
        by: one parameter to focus on (its table first; its best trial per value gets a curve).
        trials: trial numbers whose learning curves are wanted besides the top ones.
    """
    study = sql.find_study(engine, name, url)
    spec = study.spec
    metric = spec.get("metric", "value")
    direction = spec.get("direction", study.direction)
    raw = sql.read_trials(engine, study.study_id, metric)
    dists = frames.distributions(raw.params)
    space = dict(spec.get("space", {}))
    space.update({p: tables.dimension_of(d) for p, d in dists.items() if p not in space})
    if by is not None and by not in space:
        raise SweeperError(
            f"study {name!r} has no parameter {by!r}",
            f"use --by with one of: {', '.join(space) or '(none)'}",
        )

    trial_frame = frames.trials_frame(raw, metric, direction, list(space))
    missing = sorted(set(int(n) for n in trials) - set(trial_frame["trial"]))
    if missing:
        numbers = trial_frame["trial"]
        have = f"trials {numbers.min()}–{numbers.max()}" if len(numbers) else "no trials yet"
        raise SweeperError(
            f"study {name!r} has no trial {', '.join(map(str, missing))}", f"it has {have}"
        )

    reference = references.parse(spec.get("reference") or {}, "stored reference")
    order = [by] + [p for p in space if p != by] if by else list(space)
    param_tables = {
        p: tables.param_table(
            trial_frame, p, space[p], direction, references.for_param(reference, p, metric)
        )
        for p in order
    }
    epochs = frames.epochs_frame(raw.epochs)
    published_table, not_run = published.published_tables(spec, trial_frame, epochs, metric)
    main_table = param_tables[order[0]] if order else None
    return Report(
        study=study,
        metric=metric,
        direction=direction,
        space=space,
        summary=tables.summary(trial_frame, direction),
        trials=trial_frame,
        epochs=epochs,
        param_tables=param_tables,
        published=published_table,
        not_run=not_run,
        cost=tables.cost_table(trial_frame, tables.few_valued(trial_frame, space), direction),
        importance=importance.importance_frame(trial_frame, dists, direction),
        parallel=importance.parallel_frame(trial_frame, list(space), metric),
        curve_trials=tables.curve_trials(trial_frame, direction, top, main_table, trials),
        by=by,
    )
