"""sweeper: hyperparameter sweeps for PyTorch image classifiers on a SQL-backed Optuna study."""
from sweeper.spec import Study, choice, intrange, loguniform, uniform

__all__ = ["Study", "choice", "intrange", "loguniform", "uniform"]
