"""The trainer: knows torch, never imports Optuna. `fit(config, on_epoch) -> result`.

`fit(config, on_epoch, *, device="cpu", checkpoint_dir=None)`. The caller sets torch's CPU
thread count (the executor does, with `device.set_threads`; a rerun sets the recorded one).

`on_epoch(metrics)` gets, after each epoch: epoch (1-based), train_loss, train_acc, val_loss,
val_acc, val_top5 (None under 10 classes; the val values are None on epochs that eval_every
skips), lr, seconds, images_per_s, peak_mem_mb (this trial's peak so far: GPU memory allocated
on CUDA, resident set size on the CPU). Accuracies are percentages. A true value returned
(True, or the numpy bool Optuna's should_prune gives) stops the trial (pruned). The result,
all JSON values: best_val_acc, best_epoch, final_val_acc, epochs_run, stop ("completed" |
"pruned" | "diverged"), stop_detail (why it diverged, else None), params, model_size_mb
(parameters and buffers, MiB), summary_size_mb (the "Estimated Total Size (MB)" of the config's
summary_tool, torchsummary or torchinfo, for summary_batch images, as write-up 004 tabulated
it), seconds, images_per_s, peak_mem_mb, device,
environment (seed, torch, cuda, cudnn, device_name, threads, interop_threads,
deterministic_algorithms, cudnn_deterministic, cudnn_benchmark: what a rerun needs to match).
"""


def fit(*args, **kwargs):
    # Imported lazily so that `sweeper.train.config` (validation only) never pulls in torch.
    from sweeper.train.loop import fit as _fit

    return _fit(*args, **kwargs)
