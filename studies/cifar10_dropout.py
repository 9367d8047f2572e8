"""Write-up 002: dropout positions and augmentation for its AlexNet-style CIFAR-10 network.

Dropout after pool 1, pool 2 and the 1x1 conv: 0.5 everywhere stuck near 70%; 0.3/0.3/0.1
reached train 98%, val 83%. Then augmentation: random crop with 4px padding here (add
`--set flip=true --set color_jitter=0.2` for the rest of the write-up's). Adam lr 5e-4 with ReduceLROnPlateau (max, x0.5, patience 10, rel 2e-4), 300 epochs.
"""

from sweeper import Study, choice

study = Study(
    name="cifar10-dropout",
    train=dict(
        dataset="cifar10",
        model="cifar_alexnet",
        optimizer="adam",
        lr=5e-4,
        batch_size=64,
        epochs=300,
        schedule="plateau",
        plateau_mode="max",
        plateau_factor=0.5,
        plateau_patience=10,
        plateau_threshold=2e-4,
        plateau_threshold_mode="rel",
    ),
    space=dict(
        dropout1=choice([0.3, 0.5]),
        dropout2=choice([0.3, 0.5]),
        dropout3=choice([0.1, 0.5]),
        crop_padding=choice([0, 4]),
    ),
    sampler="grid",
    pruner="median",
    patience=20,
    metric="val_acc",
    reference={"dropout3": {0.5: 70.0, 0.1: 83.0}},  # 0.5/0.5/0.5 vs 0.3/0.3/0.1, no augmentation
)
