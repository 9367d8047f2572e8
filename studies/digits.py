"""The quickstart: tune a small CNN on scikit-learn's digits (8x8 handwritten digits, no download).

16 trials of up to 12 epochs on the CPU: TPE over optimizer, lr, momentum, weight decay, batch
size and dropout. sweeper's default pruner trains every trial one epoch, then resumes the best
third from their checkpoints to 3 epochs, the best third of those to 9, and the best to 12.
About 20 seconds on 2 cores.
"""

from sweeper import Study, choice, loguniform, uniform

study = Study(
    name="digits",
    train=dict(dataset="digits", model="cnn", epochs=12, schedule="cosine", val_split=0.25),
    space=dict(
        optimizer=choice(["sgd", "adam", "adamw"]),
        lr=loguniform(1e-4, 0.5),  # peak learning rate
        momentum=uniform(0.0, 0.99),  # sampled only for sgd
        weight_decay=loguniform(1e-6, 1e-2),
        batch_size=choice([16, 32, 64, 128]),
        dropout=uniform(0.0, 0.5),
    ),
    sampler="tpe",
    metric="val_acc",
    n_trials=16,
    seed=0,
)
