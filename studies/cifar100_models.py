"""Write-up 004: model comparison on CIFAR-100, 5 epochs, batch 64, lr 1e-3.

Re-runs the write-up's table row by row, each model as the write-up trained it:
  CNN_2, CNN_3, CNN_5: from scratch with Adam on the 32 px images;
  VGG19, ResNet101, ViT_b_32, Swin_b: ImageNet weights fine-tuned with SGD on images resized
    to 224 px (the write-up's "Resize + ToTensor + Normalize", the last layer replaced by a
    100-way one), each with torchvision's own dropout (VGG19's classifier: 0.5, twice).
It carries every column the write-up published: total params, the estimated total size in MB,
the lowest and the final training loss, and the test accuracy after the 5th (last) epoch. Each
size is measured as the write-up measured it: torchsummary's (input, activations and weights,
in MiB) with batch_size=64 on its own CNNs and for one 224 px image on VGG19 and ResNet101, and
torchinfo's (MB of 10^6 bytes; torchsummary cannot summarise vit_b_32) for one 224 px image on
ViT_b_32 and Swin_b. The report puts cost beside accuracy.

Departures, stated because the write-up does not say: SGD without momentum (torch's default);
torchvision's IMAGENET1K_V1 weights. The write-up's losses are likely per logged batch; the
trainer logs each epoch's mean training loss, so "min loss" here is the lowest epoch mean.
Images are normalised with the training set's own per-channel mean and std (the write-up's
Normalize gives no values; the ImageNet weights were trained with ImageNet's). On CUDA, the
trainer's bf16 autocast and channels-last memory format (the write-up names no mixed
precision: set bf16=false and channels_last=false to train in fp32).
"""

from sweeper import Study, published

# Each run's size is measured as the write-up measured it: torchsummary at batch 64 on its own
# CNNs, torchsummary on one image for VGG19 and ResNet101, torchinfo on one image for the rest.
FROM_SCRATCH = {"optimizer": "adam", "image_size": 32, "pretrained": False, "summary_batch": 64}
FINE_TUNED = {"optimizer": "sgd", "momentum": 0.0, "image_size": 224, "pretrained": True}
TORCHINFO = {**FINE_TUNED, "summary_tool": "torchinfo"}
# model: (settings, params, torchsummary MB, min loss, final loss, test accuracy)
TABLE = {
    "cnn_2": (FROM_SCRATCH, 219_044, 40.63, 1.4500, 1.9618, 39.75),
    "cnn_3": (FROM_SCRATCH, 168_036, 46.94, 1.5404, 1.9817, 44.14),
    "cnn_5": (FROM_SCRATCH, 1_116_388, 55.43, 1.3080, 1.5872, 44.20),
    "vgg19": (FINE_TUNED, 139_979_940, 773.24, 0.3057, 0.7126, 71.61),
    "resnet101": (FINE_TUNED, 42_705_060, 593.20, 0.0667, 0.0942, 83.92),
    "vit_b_32": (TORCHINFO, 87_532_132, 263.59, 0.1308, 0.1308, 84.34),
    "swin_b": (TORCHINFO, 86_845_724, 425.33, 0.2692, 0.5661, 83.53),
}


def row(run, params, size_mb, min_loss, final_loss, accuracy):
    return [
        published(params, run, metric="params"),
        published(size_mb, run, metric="summary_size_mb", batch=run.get("summary_batch")),
        published(min_loss, run, metric="train_loss", at="best"),
        published(final_loss, run, metric="train_loss", at="final"),
        published(accuracy, run, metric="val_acc", at="final"),
    ]


RUNS = {model: {"model": model, **settings} for model, (settings, *_) in TABLE.items()}
study = Study(
    name="cifar100-models",
    train=dict(
        dataset="cifar100",
        batch_size=64,
        lr=1e-3,
        epochs=5,
        schedule="constant",
        pretrained_weights="IMAGENET1K_V1",
    ),
    points=list(RUNS.values()),
    sampler="grid",
    pruner="none",
    metric="val_acc",
    reference=[
        number for model, (_, *numbers) in TABLE.items() for number in row(RUNS[model], *numbers)
    ],
)
