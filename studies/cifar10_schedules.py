"""Write-up 002, sections 3.1-3.4: lr schedules for its AlexNet-style CIFAR-10 network.

Re-runs the write-up's five runs on its first network: no BatchNorm, softmax before the
cross-entropy (its mistake: the loss cannot fall below ~1.46), batch 64:
  first run: no schedule, 50 epochs (89% train, 75% test, loss 1.57);
  StepLR(25, x0.1) and MultiStepLR([30, 80], x0.1), 200 epochs: "93%, loss 1.52", written
           once for both runs, so both carry it;
  Adam lr 1e-3 + MultiStepLR([5, 80, 100], x0.5), 200 epochs: 92%, loss 1.53;
  Adam lr 5e-4 + ReduceLROnPlateau(max, x0.5, patience 5, abs 0.1 points), ~190 epochs: 94.8%;
  Adam lr 5e-4 + ReduceLROnPlateau(max, x0.5, patience 20, rel 1e-4), 500 epochs: 95.3%.
The write-up had no validation split: its numbers are TRAINING accuracy and training loss at
the end of each run (only the first run also gives a test accuracy). The study's metric is
therefore train_acc, and every run goes unpruned to its end. ReduceLROnPlateau watches the
training accuracy after every epoch, as the write-up's did (plateau_watch="train").

Departures, stated because the write-up does not say: the first three runs' optimizer is not
named (it switches "to Adam" afterwards): SGD with momentum 0.9 at lr 0.01 is assumed; the
batch size is not stated: 64. Images are normalised with the training set's own per-channel
mean and std (the write-up's transforms for these runs are not shown). On CUDA, the trainer's
bf16 autocast and channels-last memory format (the write-up trained in fp32 with PyTorch
0.4: set bf16=false and channels_last=false to match). Its 200-epoch run without a schedule
(diverged after ~100 epochs) published no number and is not re-run.
"""

from sweeper import Study, published

SGD = {"optimizer": "sgd", "momentum": 0.9, "lr": 0.01}
FIRST = {**SGD, "schedule": "constant", "epochs": 50}
STEP = {**SGD, "schedule": "step", "step_size": 25, "gamma": 0.1, "epochs": 200}
MULTISTEP = {**SGD, "schedule": "multistep", "milestones": (30, 80), "gamma": 0.1, "epochs": 200}
ADAM_MULTISTEP = {
    "optimizer": "adam",
    "lr": 1e-3,
    "schedule": "multistep",
    "milestones": (5, 80, 100),
    "gamma": 0.5,
    "epochs": 200,
}
PLATEAU = {"optimizer": "adam", "lr": 5e-4, "schedule": "plateau", "plateau_factor": 0.5}
PLATEAU_ABS = {
    **PLATEAU,
    "plateau_patience": 5,
    "plateau_threshold": 0.1,  # the write-up's 1e-3 of a fraction, in accuracy points
    "plateau_threshold_mode": "abs",
    "epochs": 190,
}
PLATEAU_REL = {
    **PLATEAU,
    "plateau_patience": 20,
    "plateau_threshold": 1e-4,
    "plateau_threshold_mode": "rel",
    "epochs": 500,
}


def final(value, run, metric="train_acc"):
    return published(value, run, metric=metric, at="final")


study = Study(
    name="cifar10-schedules",
    train=dict(
        dataset="cifar10",
        model="cifar_alexnet",
        batchnorm=False,
        softmax_before_loss=True,
        batch_size=64,
        plateau_mode="max",
        plateau_watch="train",  # no validation set in the write-up
    ),
    points=[FIRST, STEP, MULTISTEP, ADAM_MULTISTEP, PLATEAU_ABS, PLATEAU_REL],
    sampler="grid",
    pruner="none",
    metric="train_acc",
    reference=[
        final(89.0, FIRST),
        final(75.0, FIRST, "val_acc"),
        final(1.57, FIRST, "train_loss"),
        final(93.0, STEP),
        final(1.52, STEP, "train_loss"),
        final(93.0, MULTISTEP),
        final(1.52, MULTISTEP, "train_loss"),
        final(92.0, ADAM_MULTISTEP),
        final(1.53, ADAM_MULTISTEP, "train_loss"),
        final(94.8, PLATEAU_ABS),
        final(95.3, PLATEAU_REL),
    ],
)
