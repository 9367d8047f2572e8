"""The network classes sweeper defines itself: the write-ups' small networks, written out.

torchvision has the big ones; models.py maps every model name to its builder.
"""

from __future__ import annotations

from torch import nn


def cnn(in_ch: int, classes: int, dropout: float) -> nn.Module:
    """A small fast CNN: 3 conv-BN-ReLU layers, one pool, global average pool."""

    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

    return nn.Sequential(
        *block(in_ch, 32),
        *block(32, 64),
        nn.MaxPool2d(2),
        *block(64, 128),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(128, classes),
    )


def cnn_n(blocks: int):
    """Write-up 004's CNN_2/3/5: blocks of conv5x5 (16, 32, 64, ... channels) -> BN -> ReLU ->
    maxpool, then one linear layer; at 32px this gives its 219,044 / 168,036 / 1,116,388
    parameters for 100 classes. Other sizes are pooled to the 32px feature map first.

    No layer is added that write-up 004's networks lack (a pool or dropout that does nothing, a
    Flatten), so torchsummary's size of these networks is the one it published."""

    def build(in_ch: int, classes: int, dropout: float, side: int) -> nn.Module:
        layers, ch = [], in_ch
        for i in range(blocks):
            out = 16 * 2**i
            layers += [
                nn.Conv2d(ch, out, 5, padding=2),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            ch = out
        pooled = 32 // 2**blocks
        if side != 32:
            layers.append(nn.AdaptiveAvgPool2d(pooled))
        if dropout:
            layers.append(nn.Dropout(dropout))
        return nn.Sequential(*layers, FlatLinear(ch * pooled * pooled, classes))

    return build


class FlatLinear(nn.Linear):
    """A linear layer over the flattened feature map (a Flatten layer would count in
    torchsummary's size, and write-up 004 had none)."""

    def forward(self, x):
        return super().forward(x.flatten(1))


class CifarAlexNet(nn.Module):
    """Write-up 002's network: 3x3 convs 64/128/256, 1x1 conv to 64, fc 1024 -> 384 -> 192,
    dropout at its three conv positions (pool 1, pool 2, after the 1x1 conv) and after fc1 and
    fc2. Its first runs had no BatchNorm (batchnorm=False), its later ones BatchNorm after each
    conv; it also tried dropout before the max-pools (dropout_before_pool=True)."""

    def __init__(
        self,
        in_ch: int,
        classes: int,
        dropout: float,
        p1: float,
        p2: float,
        p3: float,
        fc_dropout: float = 0.0,
        batchnorm: bool = True,
        dropout_before_pool: bool = False,
    ):
        super().__init__()

        def conv(i, o, k):
            norm = [nn.BatchNorm2d(o)] if batchnorm else []
            return [nn.Conv2d(i, o, k), *norm, nn.ReLU(inplace=True)]

        def pool(kernel, p):
            layers = [nn.MaxPool2d(kernel, 2), nn.Dropout(p)]
            return layers[::-1] if dropout_before_pool else layers

        self.features = nn.Sequential(
            *conv(in_ch, 64, 3),
            *pool(2, p1),
            *conv(64, 128, 3),
            *pool(3, p2),
            *conv(128, 256, 3),
            *conv(256, 64, 1),
            nn.Dropout(p3),
            # 4x4 at 32px already; keeps fc1 at 1024 inputs for bigger images
            nn.AdaptiveAvgPool2d(4),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(1024, 384),
            nn.ReLU(inplace=True),
            nn.Dropout(fc_dropout),
            nn.Linear(384, 192),
            nn.ReLU(inplace=True),
            nn.Dropout(fc_dropout),
            nn.Dropout(dropout),
            nn.Linear(192, classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
