"""Write-up 002, section 4: BatchNorm, dropout and augmentation for its CIFAR-10 network.

Re-runs the write-up's five runs on its network with BatchNorm (softmax still before the
cross-entropy), Adam lr 5e-4, batch 64, ReduceLROnPlateau(max, x0.5):
  + BN, no dropout, 300 epochs: train/val 94.18/78.76 at epoch 60, 95.82/78.44 at epoch 100,
    97.90/78.96 at epoch 300 (the write-up's log lines);
  + dropout 0.5 after pool 1, pool 2, the 1x1 conv, fc1 and fc2: stuck at 70% (train = val);
  the same with dropout 1 and 2 before their max-pools: also 70% (train);
  dropout 0.3 / 0.3 / 0.1 after pool 1, pool 2, the 1x1 conv, none on the FC layers, plateau
    patience 10 rel 2e-4: train/val 94.81/82.30 at epoch 210, 97.05/82.76 at epoch 294, and
    "in the end 98% train, 83% validation";
  that network with RandomCrop(32, pad 4), flips and ColorJitter(0.5, 0.5, hue 0.5): "train,
    validation and test all 80%".
"Stuck at", "in the end" and "all 80%" are read as the last epoch. Every run goes unpruned
to its end.

Departures, stated because the write-up does not say: the runs before the light dropout use
the plateau setting of the write-up's last no-BN run (patience 20, rel 1e-4): the BN run's lr
"stays at 5e-4 for 60 epochs, then halves", which fits it. ReduceLROnPlateau watches training
accuracy after every epoch, as the write-up's code did before it had a validation set (this
section does not show what it watched). The two 0.5-dropout runs and the augmented run give
no length: 100 and 300 epochs; the light-dropout run's log ends at epoch 295 before its "in
the end": 300 epochs, as the BN run. The batch size is not stated: 64. The write-up's
validation set is not described; here it is CIFAR-10's test set. Images are normalised with
the training set's own per-channel mean and std, training and validation alike (the
write-up's code shows CIFAR-10's mean and std on its validation images, and on its training
images only in the augmented run's transform). On CUDA, the trainer's bf16 autocast and
channels-last memory format (the write-up trained in fp32 with PyTorch 0.4: set bf16=false
and channels_last=false to match).
"""

from sweeper import Study, published

NO_DROPOUT = {"dropout1": 0.0, "dropout2": 0.0, "dropout3": 0.0, "fc_dropout": 0.0}
PATIENT = {"plateau_patience": 20, "plateau_threshold": 1e-4}
NO_AUGMENTATION = {"crop_padding": 0, "flip": False, "color_jitter": 0.0, "color_jitter_hue": 0.0}
BASE = {**NO_DROPOUT, "dropout_position": "after_pool", **PATIENT, **NO_AUGMENTATION}

BN = {**BASE, "epochs": 300}
HALF = {**BASE, "dropout1": 0.5, "dropout2": 0.5, "dropout3": 0.5, "fc_dropout": 0.5}
HALF_AFTER_POOL = {**HALF, "epochs": 100}
HALF_BEFORE_POOL = {**HALF, "dropout_position": "before_pool", "epochs": 100}
LIGHT = {
    **BASE,
    "dropout1": 0.3,
    "dropout2": 0.3,
    "dropout3": 0.1,
    "plateau_patience": 10,
    "plateau_threshold": 2e-4,
    "epochs": 300,
}
AUGMENTED = {**LIGHT, "crop_padding": 4, "flip": True, "color_jitter": 0.5, "color_jitter_hue": 0.5}
AUGMENTED |= {"color_jitter_saturation": 0.0}  # ColorJitter(brightness, contrast, hue) only


def train_val(train_acc, val_acc, run, at):
    return [
        published(train_acc, run, metric="train_acc", at=at),
        published(val_acc, run, metric="val_acc", at=at),
    ]


study = Study(
    name="cifar10-dropout",
    train=dict(
        dataset="cifar10",
        model="cifar_alexnet",
        batchnorm=True,
        softmax_before_loss=True,
        optimizer="adam",
        lr=5e-4,
        batch_size=64,
        schedule="plateau",
        plateau_watch="train",  # as the write-up's code did
        plateau_mode="max",
        plateau_factor=0.5,
        plateau_threshold_mode="rel",
    ),
    points=[BN, HALF_AFTER_POOL, HALF_BEFORE_POOL, LIGHT, AUGMENTED],
    sampler="grid",
    pruner="none",
    metric="val_acc",
    reference=[
        *train_val(94.18, 78.76, BN, at=60),
        *train_val(95.82, 78.44, BN, at=100),
        *train_val(97.90, 78.96, BN, at=300),
        *train_val(70.0, 70.0, HALF_AFTER_POOL, at="final"),
        published(70.0, HALF_BEFORE_POOL, metric="train_acc", at="final"),
        *train_val(94.81, 82.30, LIGHT, at=210),
        *train_val(97.05, 82.76, LIGHT, at=294),
        *train_val(98.0, 83.0, LIGHT, at="final"),
        *train_val(80.0, 80.0, AUGMENTED, at="final"),
    ],
)
