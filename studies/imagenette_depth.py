"""Write-up 000, "Model Depth" table: ResNet-18/34/50/101 on ImageNette with Ranger.

Re-runs: the four depths at lr 0.01, batch 64, 200 epochs, cosine reaching 0 at epoch 220,
ImageNet-pretrained. The numbers are the best test accuracy during training (ResNet-101's
94.11 is the 200-epoch run's best, reached at epoch 173). Parameters and time per trial are
recorded beside accuracy. Unpruned, so all four depths are compared at the same 200 epochs.

Departures, stated because the write-up does not say: images at 160 px and "heavy
augmentation" read as a random resized crop (scale 0.35-1), flips and colour jitter 0.2. The
pretrained weights are torchvision's IMAGENET1K_V1, the only ones torchvision had in 2019.
Images are normalised with the training set's own per-channel mean and std (the write-up
gives no normalisation; the weights were trained with ImageNet's). On CUDA, the trainer's
bf16 autocast and channels-last memory format (the write-up trained in fp32 with PyTorch 1.1:
set bf16=false and channels_last=false to match).
"""

from sweeper import Study, choice, published

DEPTH_TABLE = {18: 93.58, 34: 93.94, 50: 94.22, 101: 94.11}

study = Study(
    name="imagenette-depth",
    train=dict(
        dataset="imagenette",
        image_size=160,
        model="resnet",
        pretrained=True,
        pretrained_weights="IMAGENET1K_V1",
        optimizer="ranger",
        eps=1e-5,  # the Ranger package's default; the write-up sets none
        lr=0.01,
        batch_size=64,
        epochs=200,
        schedule="cosine",
        cosine_end_offset=20,
        crop_scale=0.35,
        flip=True,
        color_jitter=0.2,
    ),
    space=dict(depth=choice(list(DEPTH_TABLE))),
    sampler="grid",
    pruner="none",
    metric="val_acc",
    reference=[published(acc, {"depth": depth}) for depth, acc in DEPTH_TABLE.items()],
)
