"""Write-up 000, "Epoch" table: training length for ResNet-101 + Ranger on ImageNette.

Re-runs: 150, 200, 250, 300 and 400 epochs at lr 0.01, batch 64, cosine reaching 0 at
epochs + 20, ImageNet-pretrained ResNet-101 with a new 10-way fc. The table's numbers are test
accuracy at the END of training (final epoch). The write-up also gives the best epochs of two
of these runs: 300 epochs peaked at 94.75 (epoch 292), 200 epochs at 94.11 (epoch 173).
Unpruned: every length runs to its end, so every row is filled.

Departures, stated because the write-up does not say: images at 160 px (ImageNette's small
version; the write-up's image size is unknown) and "heavy augmentation" read as a random
resized crop (scale 0.35-1), flips and colour jitter 0.2. The pretrained weights are
torchvision's IMAGENET1K_V1, the only ones torchvision had in 2019. Images are normalised
with the training set's own per-channel mean and std (the write-up gives no normalisation;
the weights were trained with ImageNet's). On CUDA, the trainer's bf16 autocast and
channels-last memory format (the write-up trained in fp32 with PyTorch 1.1: set bf16=false
and channels_last=false to match).
"""

from sweeper import Study, choice, published

study = Study(
    name="imagenette-epochs",
    train=dict(
        dataset="imagenette",
        image_size=160,
        model="resnet101",
        pretrained=True,
        pretrained_weights="IMAGENET1K_V1",
        optimizer="ranger",
        eps=1e-5,  # the Ranger package's default; the write-up sets none
        lr=0.01,
        batch_size=64,
        schedule="cosine",
        cosine_end_offset=20,  # cosine reaches 0 at epochs + 20
        crop_scale=0.35,
        flip=True,
        color_jitter=0.2,
    ),
    space=dict(epochs=choice([150, 200, 250, 300, 400])),
    sampler="grid",
    pruner="none",
    metric="val_acc",
    reference=[
        published(93.32, {"epochs": 150}, at="final"),
        published(93.63, {"epochs": 200}, at="final"),
        published(94.06, {"epochs": 250}, at="final"),
        published(94.42, {"epochs": 300}, at="final"),
        published(94.19, {"epochs": 400}, at="final"),
        published(94.11, {"epochs": 200}, at="best"),
        published(94.75, {"epochs": 300}, at="best"),
    ],
)
