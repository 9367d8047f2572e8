"""Write-ups 000/001 as one search: what a person tuned by hand there, searched with TPE.

Optimizer, lr, momentum (sgd only), weight decay, batch size, ResNet depth, dropout and crop
scale on ImageNette at 160px, 40 epochs each; Hyperband stops the hopeless trials early.
The hand-tuned best to beat: 94.52% (ResNet-18, Ranger lr 8e-3, 526 epochs).
"""

from sweeper import Study, choice, loguniform, uniform

study = Study(
    name="imagenette-search",
    train=dict(
        dataset="imagenette",
        image_size=160,
        model="resnet",
        epochs=40,
        schedule="cosine",
        eps=1e-6,
        flip=True,
        warmup_epochs=1,
    ),
    space=dict(
        optimizer=choice(["sgd", "adam", "ranger"]),
        lr=loguniform(1e-4, 0.5),
        momentum=uniform(0.8, 0.99),
        weight_decay=loguniform(1e-6, 1e-3),
        batch_size=choice([32, 48, 64, 96, 128]),
        depth=choice([18, 34, 50]),
        dropout=uniform(0.0, 0.5),
        crop_scale=uniform(0.08, 0.5),
    ),
    sampler="tpe",
    pruner="hyperband",
    metric="val_acc",
    n_trials=60,
    seed=0,
    reference={"depth": {18: 94.52}},
)
