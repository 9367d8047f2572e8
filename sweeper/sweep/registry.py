"""Samplers and pruners by name: Optuna's own classes in a dict, not wrapped.

The names alone are in sweeper/strategies.py, for checking a study without importing Optuna.
"""

from __future__ import annotations

import optuna

from sweeper.sweep.promotion import Ladder, PromotingPruner

SAMPLERS = {
    # constant_liar keeps parallel workers from sampling the same point (Optuna's default only since 5.0).
    "tpe": lambda space, seed: optuna.samplers.TPESampler(seed=seed, constant_liar=True),
    "random": lambda space, seed: optuna.samplers.RandomSampler(seed=seed),
    # Grid studies enqueue their distinct points (Study.grid_points) as waiting trials, which
    # ask() hands out first; the sampler only serves trials asked beyond the grid.
    "grid": lambda space, seed: optuna.samplers.RandomSampler(seed=seed),
    "cmaes": lambda space, seed: optuna.samplers.CmaEsSampler(
        seed=seed, warn_independent_sampling=False
    ),
    "qmc": lambda space, seed: optuna.samplers.QMCSampler(
        seed=seed, warn_independent_sampling=False
    ),
}

# Each builder takes the epochs per trial (the resource Hyperband and successive halving divide)
# and the study's trial budget (the promoting pruner closes its last bracket when all started).
PRUNERS = {
    "median": lambda epochs, n_trials: optuna.pruners.MedianPruner(
        n_startup_trials=4, n_warmup_steps=1
    ),
    "percentile": lambda epochs, n_trials: optuna.pruners.PercentilePruner(
        25.0, n_startup_trials=4, n_warmup_steps=1
    ),
    "hyperband": lambda epochs, n_trials: optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=epochs, reduction_factor=3
    ),
    "successive_halving": lambda epochs, n_trials: optuna.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=3
    ),
    "none": lambda epochs, n_trials: optuna.pruners.NopPruner(),
    # Successive halving whose stopped trials are paused and resumed when they earn it
    # (sweep/promotion.py); bench/search.py measures it against the others.
    "promoting": lambda epochs, n_trials: PromotingPruner(promotion_ladder(epochs, n_trials)),
}


def make_sampler(name: str, space: dict, seed: int | None = None) -> optuna.samplers.BaseSampler:
    return SAMPLERS[name](space, seed)


def make_pruner(
    name: str, epochs: int, n_trials: int, patience: int | None = None
) -> optuna.pruners.BasePruner:
    pruner = PRUNERS[name](epochs, n_trials)
    if patience:
        # Prune only after `patience` epochs without improvement as well as by the rule above.
        pruner = optuna.pruners.PatientPruner(pruner, patience=patience)
    return pruner


def promotion_ladder(epochs: int, n_trials: int) -> Ladder:
    """The "promoting" pruner's ladder for a study of `n_trials` trials of `epochs` epochs."""
    return Ladder(max_epochs=epochs, min_epochs=1, eta=3, finish_top=2, n_trials=n_trials)
