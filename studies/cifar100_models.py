"""Write-up 004: model comparison on CIFAR-100, 5 epochs, batch 64, lr 1e-3, images at 224px.

CNN_2/3/5 are trained from scratch with Adam; VGG19, ResNet-101 and ViT-B/32 are fine-tuned
from ImageNet weights with SGD. Parameters, size, time and memory are recorded per trial so
the report puts cost beside accuracy (the write-up's Swin-B is not in torchvision's small set).
"""

from sweeper import Study, choice

CNNS = ["cnn_2", "cnn_3", "cnn_5"]
study = Study(
    name="cifar100-models",
    train=dict(
        dataset="cifar100",
        image_size=224,
        batch_size=64,
        lr=1e-3,
        epochs=5,
        optimizer="sgd",
        momentum=0.9,
        schedule="constant",
        pretrained=True,
    ),
    space=dict(
        model=choice([*CNNS, "vgg19", "resnet101", "vit_b_32"]),
        optimizer=choice(["adam"], when={"model": CNNS}),
    ),  # the CNNs use Adam, the rest SGD
    sampler="grid",
    pruner="none",
    metric="val_acc",
    reference={
        "model": {
            "cnn_2": 39.75,
            "cnn_3": 44.14,
            "cnn_5": 44.20,
            "vgg19": 71.61,
            "resnet101": 83.92,
            "vit_b_32": 84.34,
        }
    },
)
