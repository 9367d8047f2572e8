"""torchsummary's "Estimated Total Size (MB)", which write-up 004 tabulated as "Size (MB)".

torchsummary hooks every module but Sequential and ModuleList (the root included), once per
call, and counts in MiB at 4 bytes a number: the input, twice the hooked outputs (for the
gradients) and each hooked module's `weight` and `bias` (not other parameters, such as a ViT's
class token). An in-place ReLU's output counts like any other; a module returning a tuple
(attention) counts nothing. Written out with forward hooks so torchsummary is no dependency.
Write-up 004 ran it with batch_size=64 on its own CNNs and with the default (one image) on
the torchvision models; fit reports it for one image.
"""

from __future__ import annotations

import torch
from torch import nn

BYTES_PER_NUMBER = 4  # torchsummary assumes float32 whatever the dtype


@torch.no_grad()
def summary_size_mb(model: nn.Module, input_shape: tuple[int, ...], batch: int = 1) -> float:
    """torchsummary's estimated total size for `batch` inputs of `input_shape` (no batch axis)."""
    outputs, params = [], []

    def count(module, inputs, output):
        if isinstance(output, torch.Tensor):
            outputs.append(output[0].numel())
        params.extend(
            t.numel()
            for t in (getattr(module, "weight", None), getattr(module, "bias", None))
            if isinstance(t, torch.Tensor)
        )

    hooks = [
        m.register_forward_hook(count)
        for m in model.modules()
        if not isinstance(m, (nn.Sequential, nn.ModuleList))
    ]
    was_training = model.training
    try:
        model.eval()  # one sample through BatchNorm; eval mode calls the same modules
        device = next(model.parameters()).device
        model(torch.zeros(1, *input_shape, device=device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    numbers = batch * torch.Size(input_shape).numel() + 2 * batch * sum(outputs) + sum(params)
    return numbers * BYTES_PER_NUMBER / 2**20
