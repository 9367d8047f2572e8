"""Write-up 000: training length for ResNet-101 + Ranger on ImageNette (lr 0.01, batch 64).

Published: test top-1 at the end of 150 ... 400 epochs, cosine reaching 0 at epochs + 20.
No pruner: the question is what a longer schedule buys, so every trial runs to its end.
"""

from sweeper import Study, choice

study = Study(
    name="imagenette-epochs",
    train=dict(
        dataset="imagenette",
        image_size=160,
        model="resnet101",
        pretrained=True,
        optimizer="ranger",
        eps=1e-5,
        lr=0.01,
        batch_size=64,
        schedule="cosine",
        cosine_end_offset=20,
        crop_scale=0.35,
        flip=True,
        color_jitter=0.2,
    ),
    space=dict(epochs=choice([150, 200, 250, 300, 400])),
    sampler="grid",
    pruner="none",
    metric="val_acc",
    reference={"epochs": {150: 93.32, 200: 93.63, 250: 94.06, 300: 94.42, 400: 94.19}},
)
