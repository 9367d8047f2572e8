"""Write-up 001, figures 1-4: optimizer, lr and momentum for ResNet-18 on ImageNette, 20 epochs.

Re-runs exactly the write-up's nine runs (batch 64, 20 epochs each, constant lr):
  figure 1, lr 8e-3: SGD, Adam and Ranger with their default momentum / eps (the write-up
           sets SGD's momentum 0.9 and Ranger's eps 1e-6 only from figure 2 on);
  figure 2, lr 0.1: Ranger (eps 1e-6) and SGD (momentum 0.9);
  figure 3: SGD, momentum 0.9, at lr 1, 0.1 and 0.001;
  figure 4: SGD, lr 0.1, at momentum 1, 0.9 and 0.
SGD lr 0.1 momentum 0.9 appears in figures 2, 3 and 4 and runs once. Momentum 1 oscillates
around 10%: the trainer stops it as diverged. Unpruned, so every curve runs its 20 epochs.

Published numbers: none. The write-up shows these runs as curves only; its 89.5% for SGD is
the best of longer, unstated runs and its Ranger table is a 526-epoch run (see
imagenette_ranger.py), so neither is put beside a 20-epoch run here.

Departures, stated because the write-up does not say: images at 224 px, decoded from
ImageNette's 320 px version (the trainer reads the smallest version that covers the side; the
write-up trained on the full-size images, at a size it does not give); trained from scratch,
with a random resized crop (scale 0.35-1) and flips, as the ImageNette page's script does; a
constant lr (these 20-epoch comparisons name no schedule); each optimizer otherwise at its
library's defaults (Ranger: betas 0.95/0.999, no weight decay). Images are normalised with the
training set's own per-channel mean and std (not given). On CUDA, the trainer's bf16 autocast
and channels-last memory format (the write-up names no mixed precision: set bf16=false and
channels_last=false to train in fp32).
"""

from sweeper import Study

SGD, ADAM, RANGER = (
    {"optimizer": "sgd", "momentum": 0.0},  # torch.optim.SGD's default momentum
    {"optimizer": "adam", "eps": 1e-8},  # torch.optim.Adam's default eps
    {"optimizer": "ranger", "eps": 1e-5},  # the Ranger package's default eps
)
RUNS = [
    {**SGD, "lr": 8e-3},
    {**ADAM, "lr": 8e-3},
    {**RANGER, "lr": 8e-3},
    {**RANGER, "lr": 0.1, "eps": 1e-6},
    {**SGD, "lr": 0.1, "momentum": 0.9},
    {**SGD, "lr": 1.0, "momentum": 0.9},
    {**SGD, "lr": 1e-3, "momentum": 0.9},
    {**SGD, "lr": 0.1, "momentum": 1.0},
    {**SGD, "lr": 0.1, "momentum": 0.0},
]

study = Study(
    name="imagenette-optimizers",
    train=dict(
        dataset="imagenette",
        image_size=224,
        model="resnet18",
        batch_size=64,
        epochs=20,
        schedule="constant",
        crop_scale=0.35,
        flip=True,
    ),
    points=RUNS,
    sampler="grid",
    pruner="none",
    metric="val_acc",
)
