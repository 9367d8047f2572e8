"""A setting left unset trains with the library's own default, never a sweeper default in its
place: write-up 004 fine-tuned torchvision's VGG19 with its classifier dropout, and the Ranger
package's eps and weight decay are not torch's."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from sweeper.train import models, optim
from sweeper.train.config import TrainConfig


def test_vgg_keeps_torchvisions_classifier_dropout():
    net = models.build(TrainConfig(model="vgg11", image_size=32), 3, 100)
    assert [m.p for m in net.classifier if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    assert net.classifier[-1].out_features == 100


def test_dropout_adds_one_before_the_new_last_layer_of_torchvisions_models():
    for name in ("vgg11", "vit_b_32", "swin_b"):
        net = models.build(TrainConfig(model=name, image_size=32, dropout=0.3), 3, 10)
        head = list(net.modules())[-2:]
        assert isinstance(head[0], nn.Dropout) and head[0].p == 0.3, name
        assert isinstance(head[1], nn.Linear) and head[1].out_features == 10, name


@pytest.mark.parametrize(
    "name, eps", [("ranger", 1e-5), ("adam", 1e-8), ("radam", 1e-8), ("rmsprop", 1e-8)]
)
def test_an_unset_eps_is_the_optimizers_own(name, eps):
    opt = optim.build(TrainConfig(optimizer=name), nn.Linear(2, 2))
    assert opt.param_groups[0]["eps"] == eps


def test_beta2_reaches_the_adam_family_and_ranger():
    net = nn.Linear(2, 2)
    assert optim.build(TrainConfig(optimizer="ranger"), net).param_groups[0]["betas"] == (
        0.95,
        0.999,
    )
    for name, beta1 in (("ranger", 0.95), ("adam", 0.9), ("adamw", 0.9)):
        opt = optim.build(TrainConfig(optimizer=name, beta2=0.99), net)
        assert opt.param_groups[0]["betas"] == (beta1, 0.99), name


def test_ranger_decays_the_weights_as_the_ranger_package_does():
    # With no gradient, Ranger's step only decays: p -= lr * wd * p each step. Torch's RAdam by
    # default adds wd * p to the gradient instead, which its moments then average.
    w = nn.Parameter(torch.ones(3))
    ranger = optim.Ranger([w], lr=0.1, weight_decay=0.5, k=100)
    for _ in range(3):
        w.grad = torch.zeros(3)
        ranger.step()
    assert torch.allclose(w.detach(), torch.full((3,), (1 - 0.1 * 0.5) ** 3))
