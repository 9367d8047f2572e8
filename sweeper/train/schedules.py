"""Schedule registry: name -> shape(t, span, c) giving the lr as a fraction of its peak.

`t` is fractional epochs done (the lr changes every batch). Warmup comes first: a linear ramp
from ~0 to the peak over warmup_epochs; the schedule then starts at its peak with its own clock
at 0 and runs over the `span` of epochs left (like torch's SequentialLR and PaddleClas's
LinearWarmup), so step and multistep epochs count from the end of warmup. Plateau is the one
schedule with state, kept in `Plateau` and checkpointed with the trial.
"""

from __future__ import annotations

import math

from sweeper.train.config import TrainConfig


def _onecycle(t: float, span: float, c: TrainConfig) -> float:
    # torch's OneCycleLR shape: cosine up from peak/25 to the peak, then down to peak/(25*1e4).
    up = c.onecycle_pct * span
    start, end = 1 / 25, 1 / (25 * 1e4)
    if t < up:
        return start + (1 - start) * (1 - math.cos(math.pi * t / up)) / 2
    return end + (1 - end) * (1 + math.cos(math.pi * (t - up) / (span - up))) / 2


def _flat_cos(t: float, span: float, c: TrainConfig) -> float:
    # fastai's fit_flat_cos: the peak for flat_pct of training, then a cosine down to peak/1e5.
    flat, end = c.flat_pct * span, 1e-5
    if t <= flat:
        return 1.0
    return end + (1 - end) * (1 + math.cos(math.pi * (t - flat) / (span - flat))) / 2


REGISTRY = {
    "constant": lambda t, span, c: 1.0,
    "plateau": lambda t, span, c: 1.0,  # the reductions come from Plateau
    "step": lambda t, span, c: c.gamma ** (int(t) // c.step_size),
    "multistep": lambda t, span, c: c.gamma ** sum(int(t) >= m for m in c.milestones),
    # Reaches 0 at the last epoch + cosine_end_offset (write-up 000 stopped 20 epochs early).
    "cosine": lambda t, span, c: (1 + math.cos(math.pi * t / (span + c.cosine_end_offset))) / 2,
    "flat_cos": _flat_cos,
    "onecycle": _onecycle,
}


def factor(c: TrainConfig, t: float) -> float:
    """lr / peak lr after `t` epochs, warmup included."""
    if c.warmup_epochs and t <= c.warmup_epochs:
        return t / c.warmup_epochs  # a trial of warmup_epochs >= epochs only warms up
    return REGISTRY[c.schedule](t - c.warmup_epochs, c.epochs - c.warmup_epochs, c)


class Plateau:
    """ReduceLROnPlateau's rule (cooldown 0, min_lr 0) on the watched metric: accuracy (max)
    or loss (min), of the validation set or the training set (plateau_watch). An epoch
    without the watched value (no evaluation) is skipped."""

    def __init__(self, c: TrainConfig):
        self.c = c
        self.scale, self.best, self.bad = 1.0, None, 0

    def step(self, metrics: dict) -> None:
        c = self.c
        if c.schedule != "plateau":
            return
        value = metrics[f"{c.plateau_watch}_{'acc' if c.plateau_mode == 'max' else 'loss'}"]
        if value is None:
            return
        sign = 1 if c.plateau_mode == "max" else -1
        if self.best is None:
            improved = True
        elif c.plateau_threshold_mode == "rel":
            improved = sign * value > sign * self.best * (1 + sign * c.plateau_threshold)
        else:
            improved = sign * value > sign * self.best + c.plateau_threshold
        if improved:
            self.best, self.bad = value, 0
        else:
            self.bad += 1
        if self.bad > c.plateau_patience:
            self.scale *= c.plateau_factor
            self.bad = 0

    def state_dict(self) -> dict:
        return {"scale": self.scale, "best": self.best, "bad": self.bad}

    def load_state_dict(self, state: dict) -> None:
        self.scale, self.best, self.bad = state["scale"], state["best"], state["bad"]
