"""Device-side augmentation: each op does what it says, on whole batches."""

import pytest
import torch

from sweeper.train.augment import Augment, shift_hue
from sweeper.train.config import TrainConfig


def batch(n=16, side=12):
    torch.manual_seed(0)
    return torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8), torch.arange(n) % 4


def pixels(aug, x):
    """Back from normalised floats to 0..255."""
    return (x * aug.std + aug.mean) * 255


def test_without_augmentation_training_and_evaluation_only_normalise():
    x, y = batch()
    aug = Augment(TrainConfig(image_size=12), x)
    out, labels, mixed, lam = aug.train(x, y)
    assert torch.allclose(pixels(aug, out), x.float(), atol=1e-3)
    assert torch.allclose(aug.eval(x), out) and mixed is None and lam == 1.0


def test_flip_gives_each_image_or_its_mirror():
    x, y = batch()
    aug = Augment(TrainConfig(image_size=12, flip=True), x)
    out = pixels(aug, aug.train(x, y)[0])
    same = (out - x.float()).abs().amax(dim=(1, 2, 3)) < 1e-3
    mirrored = (out - x.flip(3).float()).abs().amax(dim=(1, 2, 3)) < 1e-3
    assert bool((same | mirrored).all()) and same.any() and mirrored.any()


def test_padded_random_crop_shifts_by_whole_pixels_and_pads_with_zeros():
    x, y = batch()
    aug = Augment(TrainConfig(image_size=12, crop_padding=2), x)
    out = pixels(aug, aug.train(x, y)[0])
    padded = torch.nn.functional.pad(x.float(), (2, 2, 2, 2))
    for image, source in zip(out, padded):
        shifts = [
            (image - source[:, dy : dy + 12, dx : dx + 12]).abs().max()
            for dy in range(5)
            for dx in range(5)
        ]
        assert min(shifts) < 1e-2


def test_random_resized_crop_and_resize_give_the_trial_side():
    x, y = batch(side=20)
    aug = Augment(TrainConfig(image_size=12, crop_scale=0.2, crop_ratio=(0.5, 2.0)), x)
    out = aug.train(x, y)[0]
    assert out.shape == (16, 3, 12, 12) and torch.isfinite(out).all()
    assert aug.eval(x).shape == (16, 3, 12, 12)


def test_cutout_zeroes_a_square_of_the_asked_size():
    x, y = batch(n=64, side=16)
    aug = Augment(TrainConfig(image_size=16, cutout=0.5), x)
    out = aug.train(x, y)[0]
    erased = (out == 0).all(dim=1).float().mean()
    assert 0.1 < float(erased) <= 0.25  # at most an 8x8 box of 16x16, less at the borders


@pytest.mark.parametrize("knob", ["mixup_alpha", "cutmix_alpha"])
def test_mixing_returns_partner_labels_and_their_weight(knob):
    x, y = batch()
    out, labels, mixed, lam = Augment(TrainConfig(image_size=12, **{knob: 1.0}), x).train(x, y)
    assert torch.equal(labels, y) and sorted(mixed.tolist()) == sorted(y.tolist()) and 0 <= lam <= 1


def test_colour_jitter_stays_in_range():
    x, y = batch()
    aug = Augment(TrainConfig(image_size=12, color_jitter=0.8), x)
    out = pixels(aug, aug.train(x, y)[0])
    assert (
        out.min() > -1e-2 and out.max() < 255 + 1e-2 and not torch.allclose(out, x.float(), atol=1)
    )


def test_hue_shift_is_torchvision_adjust_hue():
    from torchvision.transforms import functional as tv

    torch.manual_seed(0)
    x = torch.rand(9, 3, 10, 10)
    x[0] = 0.5  # grey: no hue to turn
    turns = torch.linspace(-0.5, 0.5, 9)
    expected = torch.stack([tv.adjust_hue(image, float(t)) for image, t in zip(x, turns)])
    assert torch.allclose(shift_hue(x * 255, turns.view(9, 1, 1)) / 255, expected, atol=1e-5)


def test_hue_jitter_turns_colours_and_keeps_each_pixels_brightest_and_darkest_channel():
    x, y = batch()
    aug = Augment(TrainConfig(image_size=12, color_jitter_hue=0.5), x)
    out = pixels(aug, aug.train(x, y)[0])
    assert torch.allclose(out.amax(1), x.float().amax(1), atol=1e-2)
    assert torch.allclose(out.amin(1), x.float().amin(1), atol=1e-2)
    assert (out - x.float()).abs().amax(dim=(1, 2, 3)).min() > 1  # every image turned
