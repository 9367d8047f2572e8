"""Optimizer registry: name -> builder(config, param_groups, lr) -> torch optimizer."""

from __future__ import annotations

import torch
from torch import nn

from sweeper.train.config import TrainConfig


class Ranger(torch.optim.RAdam):
    """RAdam + LookAhead + gradient centralization (Wright's Ranger, write-ups 000/001).

    Gradient centralization subtracts each conv/linear weight gradient's mean over its fan-in;
    every `k` steps LookAhead moves slow weights `alpha` of the way to the fast ones and resets
    the fast weights there. The slow weights live in the optimizer state, so they checkpoint.
    """

    def __init__(self, params, lr, eps, weight_decay, k=6, alpha=0.5):
        super().__init__(params, lr=lr, betas=(0.95, 0.999), eps=eps, weight_decay=weight_decay)
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


REGISTRY = {
    "sgd": lambda c, groups, lr: torch.optim.SGD(
        groups,
        lr=lr,
        momentum=c.momentum,
        nesterov=c.nesterov and c.momentum > 0,
        weight_decay=c.weight_decay,
    ),
    "adam": lambda c, groups, lr: torch.optim.Adam(
        groups, lr=lr, eps=c.eps, weight_decay=c.weight_decay
    ),
    "adamw": lambda c, groups, lr: torch.optim.AdamW(
        groups, lr=lr, eps=c.eps, weight_decay=c.weight_decay
    ),
    "radam": lambda c, groups, lr: torch.optim.RAdam(
        groups, lr=lr, eps=c.eps, weight_decay=c.weight_decay
    ),
    "rmsprop": lambda c, groups, lr: torch.optim.RMSprop(
        groups, lr=lr, momentum=c.momentum, eps=c.eps, weight_decay=c.weight_decay
    ),
    "ranger": lambda c, groups, lr: Ranger(
        groups,
        lr=lr,
        eps=c.eps,
        weight_decay=c.weight_decay,
        k=c.lookahead_steps,
        alpha=c.lookahead_alpha,
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
