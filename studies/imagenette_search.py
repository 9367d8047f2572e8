"""Write-ups 000/001 as one search: what a person tuned by hand there, searched with TPE.

Re-runs no table: it searches, all at once, the factors write-ups 000 and 001 varied one at a
time (optimizer, lr, momentum for sgd, weight decay, batch size, ResNet depth, dropout, crop
scale) on ImageNette at 160 px, 40 epochs each; Hyperband stops the hopeless trials early.
It carries no published number: the hand-tuned best, 94.52% (ResNet-18, Ranger lr 8e-3,
526 epochs, write-up 001), came from runs 13 times longer, so it is no reference for a
40-epoch trial; imagenette_ranger.py re-runs it.
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
)
