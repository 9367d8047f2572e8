"""Write-up 002: lr schedules for its AlexNet-style CIFAR-10 network.

StepLR (25 epochs, x0.1), MultiStepLR ([30, 80], x0.1) and ReduceLROnPlateau on val accuracy
(x0.5, patience 5/10/20, abs threshold 0.1 points), with Adam at lr 5e-4 as the write-up
settled on. Its numbers are train accuracy (it had no validation split): step ~93%, Adam +
multistep 92%, plateau 94.8% (patience 5 decays too early: "lr decays to nothing").
"""

from sweeper import Study, choice

study = Study(
    name="cifar10-schedules",
    train=dict(
        dataset="cifar10",
        model="cifar_alexnet",
        optimizer="adam",
        lr=5e-4,
        batch_size=64,
        epochs=200,
        step_size=25,
        gamma=0.1,
        milestones=(30, 80),
        plateau_mode="max",
        plateau_factor=0.5,
        plateau_threshold=0.1,
        plateau_threshold_mode="abs",
    ),
    space=dict(
        schedule=choice(["step", "multistep", "plateau"]), plateau_patience=choice([5, 10, 20])
    ),  # only drawn for plateau
    sampler="grid",
    pruner="none",
    metric="train_acc",
    reference={"schedule": {"step": 93.0, "multistep": 92.0, "plateau": 94.8}},
)
