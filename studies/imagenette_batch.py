"""Write-up 000: batch size for ResNet-101 + Ranger on ImageNette (lr 0.01, cosine, 200 epochs).

Published: best test top-1 per batch size; the write-up also reads the curves (batch 40 and 56
oscillate), so look at the learning curves in the report, not only the table.
"""

from sweeper import Study, choice

study = Study(
    name="imagenette-batch",
    train=dict(
        dataset="imagenette",
        image_size=160,
        model="resnet101",
        pretrained=True,
        optimizer="ranger",
        eps=1e-5,
        lr=0.01,
        epochs=200,
        schedule="cosine",
        cosine_end_offset=20,  # cosine reaches 0 at epoch 220
        crop_scale=0.35,
        flip=True,
        color_jitter=0.2,
    ),  # the write-up's "heavy augmentation"
    space=dict(batch_size=choice([32, 40, 48, 56, 64, 72])),
    sampler="grid",
    pruner="hyperband",
    metric="val_acc",
    reference={"batch_size": {32: 93.53, 40: 94.29, 48: 93.91, 56: 93.53, 64: 94.11, 72: 94.24}},
)
