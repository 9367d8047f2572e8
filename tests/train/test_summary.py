"""summary_size_mb: torchsummary's or torchinfo's estimated total size, which write-up 004
published (torchsummary's for its CNNs, VGG19 and ResNet101; torchinfo's for ViT_b_32 and
Swin_b: torchinfo 1.8.0 gives 263.59 and 425.33 for them, torchsummary 1.5.1 crashes on
vit_b_32 and gives 720.31 for swin_b)."""

import sys

import pytest
import torch
from torch import nn

from sweeper.train import models
from sweeper.train.config import TrainConfig
from sweeper.train.summary import estimated_total_mb, summary_size_mb, torchinfo_size_mb


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)  # 2x4x4 = 32 outputs, 18 + 2 weights
        self.relu = nn.ReLU(inplace=True)  # 32 more: in place or not, torchsummary counts it
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32, 3))  # 32 and 3; 96 + 3 weights
        self.scale = nn.Parameter(torch.ones(1))  # neither weight nor bias: not counted

    def forward(self, x):
        return self.head(self.relu(self.conv(x))) * self.scale  # the root's 3 count too


def test_counts_like_torchsummary():
    outputs, weights = 32 + 32 + 32 + 3 + 3, 20 + 99
    for batch in (1, 2):
        numbers = batch * 36 + 2 * batch * outputs + weights
        assert summary_size_mb(Tiny(), (1, 6, 6), batch) == pytest.approx(numbers * 4 / 2**20)


def test_leaves_the_model_as_it_was():
    model = Tiny().train()
    summary_size_mb(model, (1, 6, 6))
    assert model.training and not model._forward_hooks and not model.conv._forward_hooks


@pytest.mark.parametrize("name, published", [("cnn_2", 40.63), ("cnn_3", 46.94), ("cnn_5", 55.43)])
def test_write_up_004s_own_networks(name, published):
    # Write-up 004 ran torchsummary on its CNNs with batch_size=64 (its training batch).
    model = models.build(TrainConfig(model=name, image_size=32), 3, 100)
    assert round(summary_size_mb(model, (3, 32, 32), batch=64), 2) == published


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, published, within", [("vgg19", 773.24, 0), ("resnet101", 593.20, 0.025)]
)
def test_write_up_004s_vgg19_and_resnet101(name, published, within):
    # ... and on VGG19 and ResNet101 at 224px with torchsummary's default batch (one image);
    # ~10 s on CPU. ResNet101 measures 593.22: some 5,000 numbers (about one 2048-wide
    # output and its gradient) more than the write-up's torchsummary saw, a gap still to explain.
    model = models.build(TrainConfig(model=name, image_size=224), 3, 100)
    size = summary_size_mb(model, (3, 224, 224))
    assert round(size, 2) == pytest.approx(published, abs=within)


def test_counts_like_torchinfo():
    # Leaves with parameters only: the conv (32 outputs, 20 weights) and the linear layer
    # (3 outputs, 99 weights); not the ReLU or Flatten, nor the root's own `scale`. In MB of
    # 10^6 bytes, the input as sys.getsizeof gives its storage.
    for batch in (1, 2):
        storage = torch.zeros(batch, 1, 6, 6).untyped_storage()
        total = sys.getsizeof(storage) + 2 * batch * (32 + 3) * 4 + (20 + 99) * 4
        assert torchinfo_size_mb(Tiny(), (1, 6, 6), batch) == pytest.approx(total / 1e6)


def test_a_leaf_called_twice_counts_its_outputs_twice_and_its_weights_once():
    linear = nn.Linear(4, 4)
    twice = nn.Sequential(linear, nn.ReLU(), linear)
    storage = torch.zeros(1, 4).untyped_storage()
    total = sys.getsizeof(storage) + 2 * (4 + 4) * 4 + 20 * 4
    assert torchinfo_size_mb(twice, (4,)) == pytest.approx(total / 1e6)


@pytest.mark.slow
@pytest.mark.parametrize("name, published", [("vit_b_32", 263.59), ("swin_b", 425.33)])
def test_write_up_004s_transformers_are_torchinfos(name, published):
    # One 224 px image, 100 classes; a few seconds each on a CPU.
    model = models.build(TrainConfig(model=name, image_size=224), 3, 100)
    assert round(estimated_total_mb(model, (3, 224, 224), "torchinfo"), 2) == published
