"""Write-up 000: ResNet depth on ImageNette with Ranger (lr 0.01, batch 64, 200 epochs).

Published: best test top-1 for ResNet-18/34/50/101; parameters and time per trial are
recorded beside accuracy, so the report shows what each extra point costs.
"""

from sweeper import Study, choice

study = Study(
    name="imagenette-depth",
    train=dict(
        dataset="imagenette",
        image_size=160,
        model="resnet",
        pretrained=True,
        optimizer="ranger",
        eps=1e-5,
        lr=0.01,
        batch_size=64,
        epochs=200,
        schedule="cosine",
        cosine_end_offset=20,
        crop_scale=0.35,
        flip=True,
        color_jitter=0.2,
    ),
    space=dict(depth=choice([18, 34, 50, 101])),
    sampler="grid",
    pruner="hyperband",
    metric="val_acc",
    reference={"depth": {18: 93.58, 34: 93.94, 50: 94.22, 101: 94.11}},
)
