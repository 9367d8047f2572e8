"""sweeper: hyperparameter sweeps for PyTorch image classifiers on a SQL-backed Optuna study."""

__all__ = ["Study", "choice", "intrange", "loguniform", "published", "uniform"]


def __getattr__(name):
    # Lazy, so that executor processes (which import sweeper.train) never load Optuna.
    if name in __all__:
        from sweeper import spec

        return getattr(spec, name)
    raise AttributeError(f"module 'sweeper' has no attribute {name!r}")
