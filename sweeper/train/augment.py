"""Batch augmentation on the device: one affine resample for crop/flip/resize, then colour,
normalisation, the erasing masks (cutout, random erasing, GridMask, Hide-and-Seek) and
mixup/cutmix, all as whole-batch tensor ops (no per-image Python). AutoAugment and
RandAugment are the exception: torchvision draws one op per call, so they run per image.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from sweeper.train.config import TrainConfig


class Augment:
    """Turns uint8 batches into normalised float batches of side `config.side`."""

    def __init__(self, c: TrainConfig, train_x: torch.Tensor):
        self.c = c
        self.side = c.side
        self.mean, self.std = _channel_stats(train_x)
        self._mean255, self._std255 = (
            self.mean * 255,
            self.std * 255,
        )  # batches stay in 0..255 until normalised
        self.memory_format = (
            torch.channels_last if c.channels_last and train_x.is_cuda else torch.contiguous_format
        )
        self.policy = _policy(c)

    def eval(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if x.shape[-1] != self.side:
            x = F.interpolate(
                x, size=(self.side, self.side), mode="bilinear", antialias=True, align_corners=False
            )
        return self._normalize(x)

    def train(self, x: torch.Tensor, y: torch.Tensor):
        """Returns (images, labels, mixed labels or None, weight of `labels` in the loss)."""
        c = self.c
        x = x.float()
        if c.crop_scale is not None or c.crop_padding or x.shape[-1] != self.side:
            x = self._resample(x)
        elif c.flip:
            x = torch.where(torch.rand(len(x), 1, 1, 1, device=x.device) < 0.5, x.flip(3), x)
        if self.policy is not None:
            x = self._per_image(x)
        if c.color_jitter or c.color_jitter_saturation:
            x = self._jitter(x)
        if c.color_jitter_hue and x.shape[1] == 3:  # grey images have no hue (as in torchvision)
            turns = torch.empty(len(x), 1, 1, device=x.device).uniform_(
                -c.color_jitter_hue, c.color_jitter_hue
            )
            x = shift_hue(x, turns)
        x = self._normalize(x)
        if c.cutout:
            x = x * ~self._boxes(len(x), torch.full((len(x),), c.cutout, device=x.device))
        if c.random_erasing:
            x = x * ~self._erased_rectangles(len(x), x.device)
        if c.grid_mask:
            x = x * ~self._grid_mask(len(x), x.device)
        if c.hide_and_seek:
            x = x * ~self._hidden_patches(len(x), x.device)
        return self._mix(x, y)

    def _normalize(self, x):
        return x.sub_(self._mean255).div_(self._std255).contiguous(memory_format=self.memory_format)

    def _resample(self, x):
        """Random-resized crop, padded random crop and flip as one affine grid per image."""
        c, n, dev, in_side = self.c, len(x), x.device, x.shape[-1]
        width = height = torch.ones(n, device=dev)  # crop size as a fraction of the image side
        if c.crop_scale is not None:
            area = torch.empty(n, device=dev).uniform_(c.crop_scale, 1.0)
            log_ratio = torch.empty(n, device=dev).uniform_(
                math.log(c.crop_ratio[0]), math.log(c.crop_ratio[1])
            )
            width = (area * log_ratio.exp()).sqrt().clamp(max=1.0)
            height = (area / log_ratio.exp()).sqrt().clamp(max=1.0)
        # Centre offsets in [-1, 1] grid units; a crop of fraction w can move by (1 - w).
        cx = (torch.rand(n, device=dev) * 2 - 1) * (1 - width)
        cy = (torch.rand(n, device=dev) * 2 - 1) * (1 - height)
        if c.crop_padding:
            shift = (
                torch.randint(-c.crop_padding, c.crop_padding + 1, (2, n), device=dev).float()
                * 2
                / in_side
            )
            cx, cy = cx + shift[0], cy + shift[1]  # whole pixels: out-of-image samples read zeros
        sign = (
            torch.where(torch.rand(n, device=dev) < 0.5, -1.0, 1.0)
            if c.flip
            else torch.ones(n, device=dev)
        )
        # The sampling grid of an axis-aligned affine map, built by broadcasting (cheaper than
        # affine_grid's batched matmul): output pixel centres in [-1, 1], scaled and shifted.
        base = (torch.arange(self.side, device=dev, dtype=torch.float32) * 2 + 1) / self.side - 1
        gx = (base.view(1, 1, -1) * (width * sign).view(n, 1, 1) + cx.view(n, 1, 1)).expand(
            n, self.side, self.side
        )
        gy = (base.view(1, -1, 1) * height.view(n, 1, 1) + cy.view(n, 1, 1)).expand(
            n, self.side, self.side
        )
        grid = torch.stack((gx, gy), dim=-1)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def _per_image(self, x):
        """The policy on each image in 0..255 integers, as PaddleClas applies it to the crop."""
        images = x.round_().clamp_(0, 255).to(torch.uint8)
        return torch.stack([self.policy(image) for image in images]).float()

    def _jitter(self, x):
        c, n = self.c, len(x)
        saturation = (
            c.color_jitter if c.color_jitter_saturation is None else c.color_jitter_saturation
        )
        factor = lambda s: torch.empty(n, 1, 1, 1, device=x.device).uniform_(1 - s, 1 + s)  # noqa: E731
        grey = x.mean(dim=1, keepdim=True)
        x = x * factor(c.color_jitter)  # brightness
        x = (x - grey.mean(dim=(2, 3), keepdim=True)) * factor(c.color_jitter) + grey.mean(
            dim=(2, 3), keepdim=True
        )  # contrast
        grey = x.mean(dim=1, keepdim=True)
        return ((x - grey) * factor(saturation) + grey).clamp_(0, 255)

    def _erased_rectangles(self, n, dev, attempts=10):
        """A (n, 1, side, side) mask of one rectangle per image with probability random_erasing:
        area 0.02-1/3, log-uniform aspect 0.3-1/0.3, the first of `attempts` draws that fits
        (PaddleClas's RandomErasing; an image none fits is left whole)."""
        side = self.side
        area = torch.empty(n, attempts, device=dev).uniform_(0.02, 1 / 3) * side**2
        ratio = torch.empty(n, attempts, device=dev).uniform_(math.log(0.3), -math.log(0.3)).exp()
        height, width = (area * ratio).sqrt().round(), (area / ratio).sqrt().round()
        fits = (height < side) & (width < side)
        first = fits.to(torch.uint8).argmax(dim=1, keepdim=True)
        height, width = height.gather(1, first), width.gather(1, first)  # (n, 1)
        erase = fits.any(dim=1, keepdim=True) & (
            torch.rand(n, 1, device=dev) < self.c.random_erasing
        )
        top = (torch.rand(n, 1, device=dev) * (side - height + 1)).floor()
        left = (torch.rand(n, 1, device=dev) * (side - width + 1)).floor()
        pos = torch.arange(side, device=dev, dtype=torch.float32).view(1, -1)
        rows = (pos >= top) & (pos < top + height) & erase
        cols = (pos >= left) & (pos < left + width)
        return (rows.unsqueeze(2) & cols.unsqueeze(1)).unsqueeze(1)

    def _grid_mask(self, n, dev):
        """A (n, 1, side, side) mask of PaddleClas's GridMask (mode 0, no rotation) with
        probability grid_mask: a period d drawn from [96, 224) px per 224 px of side, and the
        rows and columns within the first half of each period (at a random phase) erased."""
        side = self.side
        low, high = round(96 / 224 * side), side
        period = torch.randint(low, max(high, low + 1), (n, 1), device=dev)
        width = (period * 0.5 + 0.5).floor()
        phase = (torch.rand(2, n, 1, device=dev) * period).floor()
        pos = torch.arange(side, device=dev, dtype=torch.float32).view(1, -1)
        rows = torch.remainder(pos - phase[0], period) < width
        cols = torch.remainder(pos - phase[1], period) < width
        applied = (torch.rand(n, 1, 1, device=dev) < self.c.grid_mask).unsqueeze(1)
        return (rows.unsqueeze(2) | cols.unsqueeze(1)).unsqueeze(1) & applied

    def _hidden_patches(self, n, dev):
        """A (n, 1, side, side) mask of Hide-and-Seek: each image draws a patch side of 0 (none),
        16, 32, 44 or 56 px per 224 px, and hides each patch with probability hide_and_seek."""
        side = self.side
        sizes = torch.tensor([0, 16, 32, 44, 56], device=dev) * side / 224
        patch = sizes[torch.randint(len(sizes), (n,), device=dev)].round().clamp(max=side)
        per_side = math.ceil(side / max(1, round(16 * side / 224)))
        hidden = torch.rand(n, per_side, per_side, device=dev) < self.c.hide_and_seek
        hidden &= (patch > 0).view(n, 1, 1)
        pos = torch.arange(side, device=dev, dtype=torch.float32).view(1, -1)
        index = (pos / patch.clamp(min=1).view(n, 1)).floor().long().clamp(max=per_side - 1)
        # Pixel -> cell as one-hot matrices: two batched matmuls are twice as fast on CPU as
        # a gather with three index tensors.
        cell = F.one_hot(index, per_side).float()  # (n, side, per_side)
        return (cell @ hidden.float() @ cell.transpose(1, 2) > 0.5).unsqueeze(1)

    def _boxes(self, n, fraction):
        """A (n, 1, side, side) mask of one random square box per image, `fraction` of the side."""
        dev = fraction.device
        half = fraction.view(n, 1, 1) * self.side / 2
        centre = torch.rand(2, n, 1, 1, device=dev) * self.side
        pos = torch.arange(self.side, device=dev, dtype=torch.float32) + 0.5
        rows = (pos.view(1, -1, 1) - centre[0]).abs() < half
        cols = (pos.view(1, 1, -1) - centre[1]).abs() < half
        return (rows & cols).unsqueeze(1)

    def _mix(self, x, y):
        c, n = self.c, len(x)
        modes = [m for m, a in (("mixup", c.mixup_alpha), ("cutmix", c.cutmix_alpha)) if a > 0]
        if not modes or n < 2:
            return x, y, None, 1.0
        mode = modes[int(torch.randint(len(modes), ()))]
        alpha = c.mixup_alpha if mode == "mixup" else c.cutmix_alpha
        lam = float(torch.distributions.Beta(alpha, alpha).sample())
        perm = torch.randperm(n, device=x.device)
        if mode == "mixup":
            return lam * x + (1 - lam) * x[perm], y, y[perm], lam
        # CutMix: a box covering (1 - lam) of the area comes from the partner image.
        box = self._boxes(1, torch.tensor([math.sqrt(1 - lam)], device=x.device))
        lam = 1 - float(box.float().mean())
        return torch.where(box, x[perm], x), y, y[perm], lam


def _policy(c: TrainConfig):
    """AutoAugment and/or RandAugment on uint8 images, filling with PaddleClas's grey (128)."""
    if not c.auto_augment and c.rand_augment is None:
        return None
    # Imported only here: torchvision pulls in torch._dynamo, seconds of an executor's start-up.
    from torchvision.transforms import v2

    ops = []
    if c.auto_augment:
        ops.append(v2.AutoAugment(v2.AutoAugmentPolicy.IMAGENET, fill=128))
    if c.rand_augment is not None:
        num_ops, magnitude = c.rand_augment
        # 11 bins: magnitude 10 is each op's maximum, as on PaddleClas's 0-10 scale.
        ops.append(v2.RandAugment(num_ops, magnitude, num_magnitude_bins=11, fill=128))
    return v2.Compose(ops) if ops else None


def shift_hue(x: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Rotates each RGB image's hue by `turns` (n, 1, 1) of the colour wheel, keeping value and
    chroma per pixel: torchvision's adjust_hue (RGB -> HSV -> RGB) in closed form."""
    r, g, b = x.unbind(1)
    high, low = x.amax(1), x.amin(1)
    chroma = high - low
    safe = chroma.clamp_min(1e-12)  # grey pixels: any hue, chroma 0 keeps them grey
    sixths = torch.where(
        high == r,
        (g - b) / safe,
        torch.where(high == g, 2 + (b - r) / safe, 4 + (r - g) / safe),
    )
    hue = torch.remainder(sixths + 6 * turns, 6)
    # HSV -> RGB: channel n (5 red, 3 green, 1 blue) is high - chroma * clamp(min(k, 4 - k)).
    channels = []
    for n in (5, 3, 1):
        k = torch.remainder(n + hue, 6)
        channels.append(high - chroma * torch.minimum(k, 4 - k).clamp(0, 1))
    return torch.stack(channels, dim=1)


def _channel_stats(x: torch.Tensor, images: int = 4096, chunk: int = 256):
    """Per-channel mean and std of the first `images` images in [0, 1] units, a chunk at a time
    (a float copy of 4096 images at 224px would be 2.5 GB)."""
    total = torch.zeros(x.shape[1], dtype=torch.float64, device=x.device)
    squares = torch.zeros_like(total)
    count = 0
    for start in range(0, min(len(x), images), chunk):
        part = x[start : min(start + chunk, images)].double().div_(255)
        total += part.sum(dim=(0, 2, 3))
        squares += part.square().sum(dim=(0, 2, 3))
        count += part.numel() // x.shape[1]
    mean = total / count
    std = (squares / count - mean.square()).clamp_min(1e-6).sqrt()
    return mean.float().view(1, -1, 1, 1), std.float().view(1, -1, 1, 1)
