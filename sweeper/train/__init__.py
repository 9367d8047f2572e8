"""The trainer: knows torch, never imports Optuna. `fit(config, on_epoch) -> result`.

`on_epoch(metrics)` gets, after each epoch: epoch (1-based), train_loss, train_acc, val_loss,
val_acc, val_top5 (None under 10 classes; the val values are None on epochs that eval_every
skips), lr, seconds, images_per_s, peak_mem_mb. Accuracies are percentages. Returning True
stops the trial (pruned). The result: best_val_acc, best_epoch, final_val_acc, epochs_run,
stop_reason ("completed" | "pruned" | "diverged: <why>"), params, model_size_mb, seconds,
images_per_s, peak_mem_mb, device.
"""


def fit(*args, **kwargs):
    # Imported lazily so that `sweeper.train.config` (validation only) never pulls in torch.
    from sweeper.train.loop import fit as _fit

    return _fit(*args, **kwargs)
