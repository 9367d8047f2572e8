"""A small study with known values, written the way the supervisor writes one."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState

from sweeper.store.engines import open_storage
from sweeper.store.schema import EPOCH_METRICS, SPEC_ATTR
from sweeper.store.schema import epochs as epochs_table
from sweeper.store.writes import upsert

SPEC = {
    "name": "batch",
    "train": {"dataset": "digits", "model": "cnn_2", "epochs": 4},
    "space": {
        "batch_size": {"kind": "choice", "values": [32, 64, 128]},
        "lr": {"kind": "loguniform", "low": 1e-4, "high": 1e-1},
    },
    "sampler": "grid",
    "pruner": "median",
    "metric": "val_acc",
    "direction": "maximize",
    "n_trials": 12,
    "reference": {"batch_size": {"32": 93.53, "64": 94.11}},
    "description": "batch size against accuracy",
}
DISTS = {
    "batch_size": CategoricalDistribution([32, 64, 128]),
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
}
# (batch_size, lr, state, val_acc per epoch, stop_reason); the numbers the tests assert on.
TRIALS = [
    (32, 0.01, TrialState.COMPLETE, [50, 70, 80, 78], "completed"),
    (32, 0.001, TrialState.COMPLETE, [40, 60, 75, 76], "completed"),
    (64, 0.01, TrialState.COMPLETE, [55, 85, 84, 83], "completed"),
    (64, 0.05, TrialState.PRUNED, [20, 25], "pruned"),
    (64, 0.09, TrialState.COMPLETE, [10, 10, 10], "diverged: loss is NaN"),
    (128, 0.0001, TrialState.FAIL, [], "failed: CUDA out of memory"),
    (32, 0.02, TrialState.RUNNING, [45, 65], None),
]


def write_known_study(url: str, name: str = SPEC["name"], **spec) -> None:
    """The known study; `spec` replaces keys of its stored spec (another reference, say)."""
    storage = open_storage(url)
    study = optuna.create_study(storage=storage, study_name=name, direction="maximize")
    study_id = storage.get_study_id_from_name(name)
    storage.set_study_system_attr(study_id, SPEC_ATTR, {**SPEC, **spec, "name": name})
    for number, (batch, lr, state, accs, reason) in enumerate(TRIALS):
        attrs = {
            "params": 11_000_000 * batch // 32,
            "model_size_mb": 42.0,
            "host": "box",
            "device": "cuda:0",
            "seconds": 10.0 * len(accs),
            "images_per_s": 1000.0 + batch,
            "peak_mem_mb": 10.0 * batch,
        }
        if batch == 64:  # the others ran before the trainer recorded torchsummary's size
            attrs["summary_size_mb"] = 100.0
        if reason:
            attrs["stop_reason"] = reason
        if state == TrialState.PRUNED:
            attrs["pruned_at"] = len(accs)
        study.add_trial(
            optuna.trial.create_trial(
                params={"batch_size": batch, "lr": lr},
                distributions=DISTS,
                state=state,
                value=max(accs) if state == TrialState.COMPLETE else None,
                intermediate_values=dict(enumerate(accs, 1)),
                user_attrs=attrs,
            )
        )
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, number)
        # Written as a finished history: TrialWriteBuffer, the live path, refuses rows of finished trials.
        with storage.engine.begin() as connection:
            upsert(
                connection,
                epochs_table,
                ["trial_id", "epoch"],
                [
                    {
                        **dict.fromkeys(EPOCH_METRICS),
                        "trial_id": trial_id,
                        "epoch": epoch,
                        "recorded_at": 1_700_000_000.0 + epoch,
                        "val_acc": acc,
                        "train_acc": acc + 5,
                        "val_loss": 2 - acc / 100,
                        "train_loss": 1.9 - acc / 100,
                        "lr": lr / epoch,
                    }
                    for epoch, acc in enumerate(accs, 1)
                ],
            )
    storage.engine.dispose()


@pytest.fixture
def known_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'known.db'}"
    write_known_study(url)
    return url
