"""Write-up 003 (PaddleClas tricks): weight decay, label smoothing, crop scale, warmup and
mixup/cutmix, on ImageNette with ResNet-18 standing in for ImageNet-1k.

SGD + momentum with the linear scaling rule (lr 0.1 per 256 images) and cosine, as the
write-up recommends. Its published top-1 comes from different models (MobileNetV1 for weight
decay and crop scale, ResNet18 for label smoothing, ResNet50 for mixup/cutmix): read them
as directions, not as targets.
"""

from sweeper import Study, choice

study = Study(
    name="tricks-regularization",
    train=dict(
        dataset="imagenette",
        image_size=160,
        model="resnet18",
        optimizer="sgd",
        momentum=0.9,
        lr=0.1,
        linear_scaling=True,
        batch_size=128,
        epochs=60,
        schedule="cosine",
        flip=True,
        decay_bn_bias=False,
    ),
    space=dict(
        weight_decay=choice([1e-4, 7e-5, 3e-5]),
        label_smoothing=choice([0.0, 0.1]),
        crop_scale=choice([0.08, 0.2, 0.35]),
        warmup_epochs=choice([0, 5]),
        mixup_alpha=choice([0.0, 0.2]),
        cutmix_alpha=choice([0.0, 1.0]),
    ),
    sampler="tpe",
    pruner="hyperband",
    metric="val_acc",
    n_trials=40,
    seed=0,
    reference={
        "weight_decay": {1e-4: 50.41, 3e-5: 51.45},
        "label_smoothing": {0.0: 70.98, 0.1: 70.81},
        "crop_scale": {0.08: 52.35, 0.2: 53.18},
        "mixup_alpha": {0.2: 78.28},
        "cutmix_alpha": {1.0: 78.39},
    },
)
