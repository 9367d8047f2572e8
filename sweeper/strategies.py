"""The names of the samplers and pruners a study may choose, without their builders.

A study file is checked (sweeper/spec.py) before anything imports Optuna, and `spec` must not
depend on the orchestrator that builds them (sweeper/sweep/registry.py, whose dicts have exactly
these keys: tests/sweep/test_pruning.py checks it).
"""

from __future__ import annotations

from sweeper.errors import ConfigError

SAMPLER_NAMES = ("tpe", "random", "grid", "cmaes", "qmc")
PRUNER_NAMES = ("median", "percentile", "hyperband", "successive_halving", "none", "promoting")
# The pruner of a study that names none. On both tasks of bench/search.py (README,
# Benchmarks) its median best over seeds stayed within unpruned search's range on 26-33 % of
# its epochs, fewer than successive halving. Its rungs compare trials at epochs 1, 3, 9, ...: where eval_every > 1
# skips some of them, the default is the median pruner.
DEFAULT_PRUNER = "promoting"
DEFAULT_PRUNER_SPARSE_EVAL = "median"


def check_name(kind: str, name: str, names: tuple[str, ...]) -> None:
    if name not in names:
        raise ConfigError(f"unknown {kind} {name!r}", f"use one of: {', '.join(names)}")
