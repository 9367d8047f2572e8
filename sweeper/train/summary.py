"""The "Estimated Total Size (MB)" write-up 004 tabulated as "Total Size", as each tool counts it.

Write-up 004's table mixes two tools: torchsummary 1.5.1 gave its CNNs' (batch_size=64), VGG19's
and ResNet101's sizes (one image), and torchinfo 1.8.0 its ViT_b_32's and Swin_b's (one image:
torchinfo gives 263.59 and 425.33 exactly; torchsummary crashes on vit_b_32 and says 720.31
for swin_b). Both are written out here with forward hooks, so neither is a dependency. Each
runs one image through the model and scales to `batch` images: the input and the outputs grow
with the batch, the weights do not.

torchsummary hooks every module but Sequential and ModuleList (the root included), once per
call, and counts in MiB (2^20 bytes) at 4 bytes a number: the input, twice the hooked outputs
(for the gradients) and each hooked module's `weight` and `bias` (not other parameters, such as
a ViT's class token). An in-place ReLU's output counts like any other; a module returning a
tuple (attention) counts nothing.

torchinfo (torchinfo/model_statistics.py) counts in MB (10^6 bytes) the input tensor's storage
as `sys.getsizeof` gives it (its bytes and a few dozen of object overhead), twice the output
bytes of every call of a leaf module (one without children) that has parameters (a tuple
output: its first tensor), and the parameter bytes of each such leaf once. Parameters of
modules with children (a ViT's class token and position embedding, attention's in-projection)
and leaves never called (attention's out_proj, whose weight is used through F.linear) count
nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from torch import nn

BYTES_PER_NUMBER = 4  # torchsummary assumes float32 whatever the dtype


def estimated_total_mb(
    model: nn.Module, input_shape: tuple[int, ...], tool: str = "torchsummary", batch: int = 1
) -> float:
    """`tool`'s estimated total size for `batch` inputs of `input_shape` (no batch axis)."""
    return TOOLS[tool](model, input_shape, batch)


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

    hooked = [m for m in model.modules() if not isinstance(m, (nn.Sequential, nn.ModuleList))]
    _forward(model, hooked, count, input_shape)
    numbers = batch * torch.Size(input_shape).numel() + 2 * batch * sum(outputs) + sum(params)
    return numbers * BYTES_PER_NUMBER / 2**20


@torch.no_grad()
def torchinfo_size_mb(model: nn.Module, input_shape: tuple[int, ...], batch: int = 1) -> float:
    """torchinfo's estimated total size for `batch` inputs of `input_shape` (no batch axis)."""
    output_bytes, param_bytes, seen = [], [], set()

    def count(module, inputs, output):
        params = list(module.parameters())
        if not params:
            return
        first = _first_tensor(output)
        if first is not None:
            output_bytes.append(first.numel() * first.element_size())
        if id(module) not in seen:  # a leaf called again counts its outputs, not its weights
            seen.add(id(module))
            param_bytes.append(sum(p.numel() * p.element_size() for p in params))

    leaves = [m for m in model.modules() if not any(m.children())]
    image = _forward(model, leaves, count, input_shape)
    storage = image.untyped_storage()
    input_bytes = sys.getsizeof(storage) + (batch - 1) * storage.nbytes()
    return (input_bytes + 2 * batch * sum(output_bytes) + sum(param_bytes)) / 1e6


def _forward(model: nn.Module, hooked: list[nn.Module], count: Callable, input_shape):
    """One zero image through the model in eval mode with `count` hooked on `hooked`; the
    model is left in the mode it was in, without hooks. Returns the image."""
    hooks = [m.register_forward_hook(count) for m in hooked]
    was_training = model.training
    try:
        model.eval()  # one sample through BatchNorm; eval mode calls the same modules
        device = next(model.parameters()).device
        image = torch.zeros(1, *input_shape, device=device)
        model(image)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return image


def _first_tensor(output):
    """The tensor torchinfo sizes an output by: itself, a sequence's first, a dict's last."""
    while not isinstance(output, torch.Tensor):
        if isinstance(output, dict) and output:
            output = list(output.values())[-1]
        elif isinstance(output, (list, tuple)) and output:
            output = output[0]
        else:
            return None
    return output


TOOLS = {"torchsummary": summary_size_mb, "torchinfo": torchinfo_size_mb}
