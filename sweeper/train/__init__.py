"""The trainer: knows torch, never imports Optuna. `fit(config, on_epoch) -> result`."""


def fit(*args, **kwargs):
    # Imported lazily so that `sweeper.train.config` (validation only) never pulls in torch.
    from sweeper.train.loop import fit as _fit

    return _fit(*args, **kwargs)
