"""summary_size_mb: torchsummary's estimated total size, which write-up 004 published."""

import pytest
import torch
from torch import nn

from sweeper.train import models
from sweeper.train.config import TrainConfig
from sweeper.train.summary import summary_size_mb


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
def test_write_up_004s_vgg19():
    # ... and on VGG19 at 224px with torchsummary's default batch (one image); ~10 s on CPU.
    model = models.build(TrainConfig(model="vgg19", image_size=224), 3, 100)
    assert round(summary_size_mb(model, (3, 224, 224)), 2) == 773.24
