"""The augmentations write-up 003 compares: random erasing, GridMask, Hide-and-Seek (masks
built per image on the whole batch), AutoAugment and RandAugment (per image), and colour
jitter without saturation (write-up 002's)."""

import pytest
import torch

from sweeper.errors import ConfigError
from sweeper.train import fit
from sweeper.train.augment import Augment
from sweeper.train.config import TrainConfig, parse_override


def batch(n, side, low=0, high=256):
    torch.manual_seed(0)
    x = torch.randint(low, high, (n, 3, side, side), dtype=torch.uint8)
    return x, torch.arange(n) % 4


def erased(aug, x, y):
    """(n, side, side) True where the mask set the normalised image to 0 (the mean)."""
    return (aug.train(x, y)[0] == 0).all(dim=1)


def test_random_erasing_erases_one_rectangle_of_the_stated_area_and_aspect():
    x, y = batch(64, 40)
    holes = erased(Augment(TrainConfig(image_size=40, random_erasing=1.0), x), x, y)
    assert int(holes.any(dim=(1, 2)).sum()) >= 56  # an image none of 10 draws fits stays whole
    for hole in holes[holes.any(dim=(1, 2))]:
        rows, cols = hole.any(dim=1).nonzero(), hole.any(dim=0).nonzero()
        height, width = int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
        assert int(hole.sum()) == height * width  # one filled rectangle
        assert 0.02 - 0.01 <= height * width / 40**2 <= 1 / 3 + 0.03  # rounded to pixels
        assert 0.3 - 0.1 <= height / width <= 1 / 0.3 + 0.6


def test_random_erasing_touches_about_its_probability_of_images():
    x, y = batch(400, 16)
    holes = erased(Augment(TrainConfig(image_size=16, random_erasing=0.25), x), x, y)
    assert 0.15 < float(holes.any(dim=(1, 2)).float().mean()) < 0.33


def test_grid_mask_erases_whole_row_and_column_stripes_keeping_about_a_quarter():
    x, y = batch(64, 64)
    holes = erased(Augment(TrainConfig(image_size=64, grid_mask=1.0), x), x, y)
    stripes_rows, stripes_cols = holes.all(dim=2), holes.all(dim=1)
    assert torch.equal(holes, stripes_rows.unsqueeze(2) | stripes_cols.unsqueeze(1))
    kept = 1 - holes.float().mean(dim=(1, 2))
    assert bool((kept > 0.1).all()) and 0.2 < float(kept.mean()) < 0.35  # (1 - 1/2)^2
    assert len(set(stripes_rows.sum(1).tolist())) > 3  # the period and phase vary per image


def test_hide_and_seek_hides_whole_cells_of_one_grid_per_image():
    x, y = batch(64, 224)
    holes = erased(Augment(TrainConfig(image_size=224, hide_and_seek=0.5), x), x, y)
    grids = []
    for hole in holes:
        aligned = [
            g
            for g in (16, 32, 44, 56)
            if torch.equal(
                hole, hole[::g, ::g].repeat_interleave(g, 0).repeat_interleave(g, 1)[:224, :224]
            )
        ]
        assert aligned or not hole.any()
        grids.append(aligned[-1] if aligned and hole.any() else 0)
    assert len(set(grids)) == 5  # each image draws its own grid, none included
    assert 0.3 < float(holes.float().mean()) < 0.5  # half the cells of 4 grids in 5


@pytest.mark.parametrize("setting", [dict(auto_augment=True), dict(rand_augment=(2, 5))])
def test_policies_give_each_image_its_own_ops_in_uint8_range_reproducibly(setting):
    x, y = batch(1, 32, low=40, high=220)
    x = x.repeat(24, 1, 1, 1)  # one image 24 times: any difference is the policy's
    aug = Augment(TrainConfig(image_size=32, **setting), x)
    torch.manual_seed(1)
    out = aug.train(x, y.repeat(24))[0]
    torch.manual_seed(1)
    again = aug.train(x, y.repeat(24))[0]
    pixels = (out * aug.std + aug.mean) * 255
    assert out.shape == x.shape and torch.equal(out, again)
    assert pixels.min() > -0.01 and pixels.max() < 255.01
    assert torch.allclose(pixels, pixels.round(), atol=1e-2)  # whole 0..255 levels
    assert len({image.numpy().tobytes() for image in pixels.round()}) > 6


def test_colour_jitter_without_saturation_keeps_each_images_colourfulness():
    x, y = batch(16, 12, low=100, high=156)  # no clamping at 0 or 255
    ratios = []
    for saturation in (0.0, None):
        config = TrainConfig(image_size=12, color_jitter=0.3, color_jitter_saturation=saturation)
        aug = Augment(config, x)
        pixels = (aug.train(x, y)[0] * aug.std + aug.mean) * 255
        # Brightness and contrast scale colour (x - grey) and grey's spread alike.
        ratios.append(spread(pixels) / spread(x.float()))
    kept, jittered = ratios
    assert torch.allclose(kept, torch.ones_like(kept), atol=1e-3)
    assert (jittered - 1).abs().max() > 0.05


def spread(x):
    """How colourful each image is next to how varied its grey is."""
    grey = x.mean(dim=1, keepdim=True)
    return (x - grey).std(dim=(1, 2, 3)) / grey.std(dim=(1, 2, 3))


@pytest.mark.parametrize(
    "values, message",
    [
        ({"rand_augment": (2, 11)}, "magnitude from 0 to 10"),
        ({"rand_augment": (0, 5)}, "num_ops >= 1"),
        ({"rand_augment": (2.5, 5)}, "must be two whole numbers"),
        ({"rand_augment": (2,)}, "must be two whole numbers"),
        ({"random_erasing": 1.5}, "random_erasing=1.5 must be >= 0 and <= 1"),
        ({"grid_mask": -0.1}, "grid_mask=-0.1 must be >= 0 and <= 1"),
        ({"hide_and_seek": 1.0}, "hide_and_seek=1.0 must be >= 0 and < 1"),
        ({"color_jitter_saturation": 2}, "color_jitter_saturation=2.0 must be >= 0 and <= 1"),
        ({"auto_augment": 3}, "auto_augment=3 must be bool"),
    ],
)
def test_bad_values_are_one_line(values, message):
    with pytest.raises(ConfigError) as caught:
        TrainConfig.from_dict(values)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_rand_augment_reads_from_the_command_line():
    assert parse_override("rand_augment", "2,5") == (2, 5)
    assert parse_override("rand_augment", "none") is None


def test_all_of_them_train_on_grey_images():
    values = dict(dataset="digits", epochs=1, batch_size=64, auto_augment=True)
    values |= dict(rand_augment=(2, 5), random_erasing=0.25, grid_mask=1.0, hide_and_seek=0.5)
    epochs = []
    result = fit(TrainConfig.from_dict(values), epochs.append)
    assert result["stop"] == "completed" and epochs[0]["train_loss"] < 10
