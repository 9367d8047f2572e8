"""Write-up 000, "Batch Size" table: batch size for ResNet-101 + Ranger on ImageNette.

Re-runs: batch 32, 40, 48, 56, 64 and 72 at lr 0.01 for 200 epochs, cosine reaching 0 at
epoch 220, ImageNet-pretrained ResNet-101. The table's numbers are the BEST test accuracy
during training. The write-up also reads the curves (batch 40 and 56 oscillate, 72's train
loss stays above its test loss): look at the learning curves in the report, not only the
table. Unpruned, so all six batch sizes are compared at the same 200 epochs.

Departures, stated because the write-up does not say: images at 160 px and "heavy
augmentation" read as a random resized crop (scale 0.35-1), flips and colour jitter 0.2. The
pretrained weights are torchvision's IMAGENET1K_V1, the only ones torchvision had in 2019.
Images are normalised with the training set's own per-channel mean and std (the write-up
gives no normalisation; the weights were trained with ImageNet's). On CUDA, the trainer's
bf16 autocast and channels-last memory format (the write-up trained in fp32 with PyTorch 1.1:
set bf16=false and channels_last=false to match).
"""

from sweeper import Study, choice, published

BATCH_TABLE = {32: 93.53, 40: 94.29, 48: 93.91, 56: 93.53, 64: 94.11, 72: 94.24}

study = Study(
    name="imagenette-batch",
    train=dict(
        dataset="imagenette",
        image_size=160,
        model="resnet101",
        pretrained=True,
        pretrained_weights="IMAGENET1K_V1",
        optimizer="ranger",
        eps=1e-5,  # the Ranger package's default; the write-up sets none
        lr=0.01,
        epochs=200,
        schedule="cosine",
        cosine_end_offset=20,  # cosine reaches 0 at epoch 220
        crop_scale=0.35,
        flip=True,
        color_jitter=0.2,
    ),
    space=dict(batch_size=choice(list(BATCH_TABLE))),
    sampler="grid",
    pruner="none",
    metric="val_acc",
    reference=[published(acc, {"batch_size": batch}) for batch, acc in BATCH_TABLE.items()],
)
