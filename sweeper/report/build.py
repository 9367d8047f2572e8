"""A study's whole report as DataFrames: what the terminal, CSV, HTML and dashboard render."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from sweeper import references
from sweeper.errors import SweeperError
from sweeper.report import TOP_CURVES, frames, importance, pareto, published, sql, tables
from sweeper.store import reads


@dataclass
class Report:
    study: reads.StudyInfo
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
    # Studies with several objectives: the trials frame has a column per objective (named as
    # the study names them) and `front` holds the trial numbers no other trial beats on all.
    objectives: dict = field(default_factory=dict)  # trials-frame column → direction
    front: list = field(default_factory=list)
    # Cost column (seconds, n_params, peak_mem_mb) → trial numbers on its front with the metric.
    cost_fronts: dict = field(default_factory=dict)

    @property
    def multi_objective(self) -> bool:
        return len(self.objectives) > 1

    @property
    def curves(self) -> pd.DataFrame:
        return self.epochs[self.epochs["trial"].isin(self.curve_trials)]

    @property
    def n_trials(self) -> int | None:
        return self.study.definition.get("n_trials")


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
    study = reads.find_study(engine, name, url)
    spec = study.definition
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
    objectives = _objective_columns(trial_frame, raw, study)
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
        objectives=objectives,
        front=_front_trials(trial_frame, objectives),
        cost_fronts=_cost_fronts(trial_frame, direction),
    )


def _cost_fronts(trial_frame: pd.DataFrame, direction: str) -> dict:
    """Cost column → the finished trials on its front with the metric (`best`)."""
    done = trial_frame[frames.finished(trial_frame)]
    return {
        cost: done.loc[on_front, "trial"].tolist()
        for cost, on_front in pareto.cost_fronts(done, "best", direction).items()
    }


def _objective_columns(trial_frame: pd.DataFrame, raw: sql.RawTrials, study) -> dict:
    """Adds one column per objective to `trial_frame` when the study has several; returns
    column → direction (empty for single-objective studies, whose value is `best`)."""
    if len(study.objectives) < 2:
        return {}
    by_id = raw.objective_values.reindex(trial_frame["trial_id"])
    columns = {}
    for index, (name, direction) in enumerate(zip(study.objectives, study.directions)):
        column = name if name not in trial_frame else f"objective: {name}"
        values = by_id[index] if index in by_id else pd.Series(float("nan"), index=by_id.index)
        trial_frame.insert(trial_frame.columns.get_loc("best"), column, values.to_numpy())
        columns[column] = direction
    return columns


def _front_trials(trial_frame: pd.DataFrame, objectives: dict) -> list[int]:
    if not objectives:
        return []
    complete = trial_frame[trial_frame["state"] == "COMPLETE"]
    on_front = pareto.front(complete, list(objectives), list(objectives.values()))
    return complete.loc[on_front, "trial"].astype(int).tolist()
