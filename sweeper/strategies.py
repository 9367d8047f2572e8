"""The names of the samplers and pruners a study may choose, without their builders.

A study file is checked (sweeper/spec.py) before anything imports Optuna, and `spec` must not
depend on the orchestrator that builds them (sweeper/sweep/registry.py, whose dicts have exactly
these keys: tests/sweep/test_pruning.py checks it).
"""

from __future__ import annotations

from sweeper.errors import ConfigError

SAMPLER_NAMES = ("tpe", "random", "grid", "cmaes", "qmc")
PRUNER_NAMES = ("median", "percentile", "hyperband", "successive_halving", "none", "promoting")


def check_name(kind: str, name: str, names: tuple[str, ...]) -> None:
    if name not in names:
        raise ConfigError(f"unknown {kind} {name!r}", f"use one of: {', '.join(names)}")
