"""Optimizer registry: name -> builder(config, param_groups, lr) -> torch optimizer."""

from __future__ import annotations

import torch
from torch import nn

from sweeper.train.config import TrainConfig

# Each optimizer's own defaults, used where the config leaves eps or beta2 unset (None): a
# built-in default must not replace the library's (Ranger's eps is 1e-5, torch's 1e-8).
TORCH_EPS = 1e-8  # torch's Adam, AdamW, RAdam and RMSprop
RANGER_EPS = 1e-5  # Wright's Ranger package
TORCH_BETA2 = 0.999  # torch's Adam family and the Ranger package alike


class Ranger(torch.optim.RAdam):
    """RAdam + LookAhead + gradient centralization (Wright's Ranger, write-ups 000/001).

    Gradient centralization subtracts each conv/linear weight gradient's mean over its fan-in;
    every `k` steps LookAhead moves slow weights `alpha` of the way to the fast ones and resets
    the fast weights there. The slow weights live in the optimizer state, so they checkpoint.
    The package's defaults: betas (0.95, 0.999), eps 1e-5, and weight decay applied to the
    weights (p -= lr * wd * p, its ranger/ranger.py; torch's decoupled_weight_decay), not
    added to the gradient as torch's RAdam does by default.
    """

    def __init__(self, params, lr, eps=RANGER_EPS, weight_decay=0.0, k=6, alpha=0.5, beta2=0.999):
        super().__init__(
            params,
            lr=lr,
            betas=(0.95, beta2),
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=True,
        )
        self.k, self.alpha = k, alpha

    @torch.no_grad()
    def step(self, closure=None):
        fresh = {}  # LookAhead's slow weights start from the weights before the first step
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            fresh.update((p, p.detach().clone()) for p in params if "slow" not in self.state[p])
            grads = [p.grad for p in params if p.grad.dim() > 1]
            if grads:
                torch._foreach_sub_(
                    grads, [g.mean(dim=tuple(range(1, g.dim())), keepdim=True) for g in grads]
                )
        loss = super().step(closure)
        for p, weights in fresh.items():
            self.state[p]["slow"] = weights  # after RAdam's step, which initialises an empty state
        for group in self.param_groups:
            # The count lives in the param group, so it is saved with the optimizer's state_dict.
            group["lookahead_step"] = group.get("lookahead_step", 0) + 1
            if group["lookahead_step"] % self.k == 0:
                params = [p for p in group["params"] if "slow" in self.state[p]]
                slow = [self.state[p]["slow"] for p in params]
                torch._foreach_lerp_(slow, params, self.alpha)
                torch._foreach_copy_(params, slow)
        return loss


def _eps(c: TrainConfig, default: float = TORCH_EPS) -> float:
    return default if c.eps is None else c.eps


def _betas(c: TrainConfig) -> tuple[float, float]:
    return (0.9, TORCH_BETA2 if c.beta2 is None else c.beta2)  # torch's Adam family's beta1


REGISTRY = {
    "sgd": lambda c, groups, lr: torch.optim.SGD(
        groups,
        lr=lr,
        momentum=c.momentum,
        nesterov=c.nesterov and c.momentum > 0,
        weight_decay=c.weight_decay,
    ),
    "adam": lambda c, groups, lr: torch.optim.Adam(
        groups, lr=lr, betas=_betas(c), eps=_eps(c), weight_decay=c.weight_decay
    ),
    "adamw": lambda c, groups, lr: torch.optim.AdamW(
        groups, lr=lr, betas=_betas(c), eps=_eps(c), weight_decay=c.weight_decay
    ),
    "radam": lambda c, groups, lr: torch.optim.RAdam(
        groups, lr=lr, betas=_betas(c), eps=_eps(c), weight_decay=c.weight_decay
    ),
    "rmsprop": lambda c, groups, lr: torch.optim.RMSprop(
        groups, lr=lr, momentum=c.momentum, eps=_eps(c), weight_decay=c.weight_decay
    ),
    "ranger": lambda c, groups, lr: Ranger(
        groups,
        lr=lr,
        eps=_eps(c, RANGER_EPS),
        weight_decay=c.weight_decay,
        k=c.lookahead_steps,
        alpha=c.lookahead_alpha,
        beta2=TORCH_BETA2 if c.beta2 is None else c.beta2,
    ),
}


def peak_lr(c: TrainConfig) -> float:
    """The lr the schedule peaks at: `lr`, or `lr` per 256 examples under the linear scaling rule."""
    return c.lr * c.batch_size / 256 if c.linear_scaling else c.lr


def build(c: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if c.decay_bn_bias or not c.weight_decay:
        groups = [{"params": params}]
    else:  # BatchNorm weights and all biases are the 1-d tensors
        groups = [
            {"params": [p for p in params if p.dim() > 1]},
            {"params": [p for p in params if p.dim() <= 1], "weight_decay": 0.0},
        ]
    return REGISTRY[c.optimizer](c, groups, peak_lr(c))
