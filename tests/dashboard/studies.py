"""Studies the dashboard tests browse, written the way the supervisor and plain Optuna write them.

`wide`: a sweeper study with a long description and 20 parameters, momentum sampled only for
SGD (a conditional parameter), finished, pruned, failed (with its traceback), running and
waiting trials. `plain` and `pareto`: studies made by plain Optuna (0-based steps, a trial
pruned at step 0, an infinite value; two named objectives). `many`: plain-Optuna trials by
the thousand over many parameters, written in bulk.
"""

from __future__ import annotations

import math

import optuna
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState

from sweeper.store.engines import open_storage
from sweeper.store.schema import EPOCH_METRICS, SPEC_ATTR
from sweeper.store.schema import epochs as epochs_table
from sweeper.store.writes import upsert

DESCRIPTION = (
    "Every trick of write-up 003 at once on a small CNN: optimizer and learning rate, momentum "
    "for SGD only, weight decay, batch size, dropout, label smoothing, warm-up, crop scale, "
    "mixup and cutmix, depth and width, and the schedule's knobs. The description is long on "
    "purpose, as study descriptions get: the study list has to wrap it instead of pushing the "
    "progress, counts and best columns off a laptop screen, and the study page must not scroll "
    "sideways because of it. " * 2
)
CHOICES = {
    "optimizer": ["sgd", "adam", "adamw"],
    "batch_size": [16, 32, 64, 128],
    "model": ["cnn_2", "cnn_3", "cnn_5"],
    "schedule": ["cosine", "step", "multistep", "plateau"],
    "augment_flip": [True, False],
}
FLOATS = {  # name: (low, high, log)
    "lr": (1e-4, 0.5, True),
    "momentum": (0.0, 0.99, False),
    "weight_decay": (1e-6, 1e-2, True),
    "dropout": (0.0, 0.6, False),
    "label_smoothing": (0.0, 0.2, False),
    "crop_scale_min": (0.08, 1.0, False),
    "mixup_alpha": (0.0, 0.4, False),
    "cutmix_prob": (0.0, 1.0, False),
    "gamma": (0.05, 0.5, True),
    "min_lr_ratio": (1e-4, 0.1, True),
    "grad_clip": (0.1, 10.0, True),
    "ema_decay": (0.9, 0.9999, False),
}
INTS = {"warmup_epochs": (0, 5), "width": (8, 64), "depth": (2, 8)}
DISTS = {
    **{n: CategoricalDistribution(v) for n, v in CHOICES.items()},
    **{n: FloatDistribution(lo, hi, log=log) for n, (lo, hi, log) in FLOATS.items()},
    **{n: IntDistribution(lo, hi) for n, (lo, hi) in INTS.items()},
}
assert len(DISTS) == 20
SPEC = {
    "name": "wide",
    "description": DESCRIPTION,
    "train": {"dataset": "digits", "epochs": 6},
    "space": {
        **{n: {"kind": "choice", "values": v} for n, v in CHOICES.items()},
        **{
            n: {"kind": "loguniform" if log else "uniform", "low": lo, "high": hi}
            for n, (lo, hi, log) in FLOATS.items()
        },
        **{
            n: {"kind": "intrange", "low": lo, "high": hi, "step": 1}
            for n, (lo, hi) in INTS.items()
        },
    },
    "metric": "val_acc",
    "direction": "maximize",
    "n_trials": 24,
}
# optimizer, lr, state, val_acc per epoch; 8 finished, trial 13 (adam) the best.
TRIALS = [
    ("sgd", 0.05, TrialState.COMPLETE, [60, 80, 90, 93, 94, 95]),
    ("adam", 0.001, TrialState.COMPLETE, [70, 85, 92, 94, 95, 96]),
    ("adamw", 0.002, TrialState.COMPLETE, [65, 82, 90, 93, 95, 95.5]),
    ("sgd", 0.3, TrialState.PRUNED, [30, 35]),
    ("adam", 0.2, TrialState.PRUNED, [20]),
    ("sgd", 0.01, TrialState.COMPLETE, [50, 70, 85, 90, 92, 93]),
    ("adamw", 0.0005, TrialState.COMPLETE, [55, 75, 88, 92, 94, 94.5]),
    ("sgd", 0.1, TrialState.FAIL, [40]),
    ("adam", 0.0002, TrialState.COMPLETE, [45, 65, 80, 88, 91, 92]),
    ("sgd", 0.4, TrialState.PRUNED, [25, 28, 30]),
    ("adamw", 0.005, TrialState.RUNNING, [60, 78]),
    ("adam", 0.3, TrialState.PRUNED, [15, 18]),
    ("sgd", 0.02, TrialState.WAITING, []),
    ("adam", 0.003, TrialState.COMPLETE, [72, 88, 94, 96, 97, 98.5]),
]
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "sweeper/train/loop.py", line 120, in fit\n'
    "    loss = criterion(model(images), labels)\n"
    "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 10.76 GiB total "
    "capacity; 8.10 GiB already allocated; 1.52 GiB free; 8.20 GiB reserved in total by PyTorch)"
)
BEST = 13


def params_of(number: int, optimizer: str, lr: float) -> dict:
    """Deterministic values inside every range; momentum only for SGD."""
    params = {"optimizer": optimizer, "lr": lr}
    for i, (name, values) in enumerate(CHOICES.items()):
        params.setdefault(name, values[(number + i) % len(values)])
    for i, (name, (lo, hi, log)) in enumerate(FLOATS.items()):
        share = ((number * 7 + i * 3) % 11) / 10
        value = (
            math.exp(math.log(lo) + share * math.log(hi / lo)) if log else lo + share * (hi - lo)
        )
        params.setdefault(name, min(max(value, lo), hi))  # exp(log) rounding stays inside
    for i, (name, (lo, hi)) in enumerate(INTS.items()):
        params[name] = lo + (number + i) % (hi - lo + 1)
    if optimizer != "sgd":
        del params["momentum"]
    return params


def write_wide_study(url: str) -> None:
    storage = open_storage(url)
    study = optuna.create_study(storage=storage, study_name="wide", direction="maximize")
    study_id = storage.get_study_id_from_name("wide")
    storage.set_study_system_attr(study_id, SPEC_ATTR, SPEC)  # where sweeper keeps it
    for number, (optimizer, lr, state, accs) in enumerate(TRIALS):
        params = params_of(number, optimizer, lr)
        attrs = {"seconds": 2.0 * len(accs) + number % 3, "params": 20_000 + 5_000 * (number % 4)}
        attrs["peak_mem_mb"] = 100.0 + 10 * (number % 5)
        if state == TrialState.FAIL:
            attrs.update(stop_reason="failed: CUDA out of memory")
        if state == TrialState.PRUNED:
            attrs.update(stop_reason=f"pruned at epoch {len(accs)}", pruned_at=len(accs))
        study.add_trial(
            optuna.trial.create_trial(
                params=params,
                distributions={n: DISTS[n] for n in params},
                state=state,
                value=max(accs) if state == TrialState.COMPLETE else None,
                intermediate_values=dict(enumerate(accs, 1)),
                user_attrs=attrs,
                # A long attribute: a system one, as sweeper writes it (schema.LONG_TRIAL_ATTRS).
                system_attrs={"traceback": TRACEBACK} if state == TrialState.FAIL else {},
            )
        )
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, number)
        with storage.engine.begin() as connection:
            rows = [
                {
                    **dict.fromkeys(EPOCH_METRICS),
                    "trial_id": trial_id,
                    "epoch": epoch,
                    "recorded_at": 1_700_000_000.0 + epoch,
                    "val_acc": acc,
                    "train_acc": min(100.0, acc + 3),
                    "val_loss": 2.5 - acc / 50,
                    "train_loss": 2.4 - acc / 50,
                    "lr": lr * (1 - epoch / 7),
                }
                for epoch, acc in enumerate(accs, 1)
            ]
            if rows:
                upsert(connection, epochs_table, ["trial_id", "epoch"], rows)
    storage.engine.dispose()


def write_plain_studies(url: str) -> None:
    """`plain`: 6 trials reporting steps 0..9 (one pruned at step 0, one valued +inf) and one
    waiting. `pareto`: accuracy (maximize) against seconds (minimize), named by Optuna."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    plain = optuna.create_study(storage=url, study_name="plain", direction="minimize")
    for number in range(6):
        trial = plain.ask({"x": FloatDistribution(-4, 4)})
        x = trial.params["x"]
        steps = 1 if number == 1 else 10
        for step in range(steps):
            trial.report((x - 1) ** 2 + 1 / (step + 1), step)
        if number == 1:
            plain.tell(trial, state=TrialState.PRUNED)
        else:
            plain.tell(trial, math.inf if number == 2 else (x - 1) ** 2)
    plain.enqueue_trial({"x": 1.0})
    pareto = optuna.create_study(
        storage=url, study_name="pareto", directions=["maximize", "minimize"]
    )
    pareto.set_metric_names(["accuracy", "seconds"])
    for accuracy, seconds in [(90, 10), (95, 30), (93, 12), (80, 5), (92, 40), (96, 90)]:
        trial = pareto.ask({"width": IntDistribution(8, 64)})
        pareto.tell(trial, [accuracy, seconds])


def write_many_trials_study(url: str, trials: int, params: int) -> None:
    """`many`: `trials` complete plain-Optuna trials over `params` floats p0, p1, …, written
    in one transaction (Optuna's add_trials takes a minute for a thousand)."""
    import datetime as dt
    import random

    import sqlalchemy as sa
    from optuna.distributions import distribution_to_json

    storage = open_storage(url)
    optuna.create_study(storage=storage, study_name="many", direction="maximize")
    study_id = storage.get_study_id_from_name("many")
    tables = sa.MetaData()
    tables.reflect(storage.engine)
    dist = distribution_to_json(FloatDistribution(0.0, 1.0))
    rng, start = random.Random(0), dt.datetime(2026, 1, 1)
    rows = {"trials": [], "trial_params": [], "trial_values": []}
    for number in range(trials):
        values = [rng.random() for _ in range(params)]
        rows["trials"].append(
            dict(
                trial_id=number + 1,
                number=number,
                study_id=study_id,
                state="COMPLETE",
                datetime_start=start,
                datetime_complete=start,
            )
        )
        rows["trial_params"] += [
            dict(trial_id=number + 1, param_name=f"p{i}", param_value=v, distribution_json=dist)
            for i, v in enumerate(values)
        ]
        rows["trial_values"].append(
            dict(trial_id=number + 1, objective=0, value=sum(values), value_type="FINITE")
        )
    with storage.engine.begin() as connection:
        for name, batch in rows.items():
            connection.execute(tables.tables[name].insert(), batch)
    storage.engine.dispose()
