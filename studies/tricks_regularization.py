"""Write-up 003 (PaddleClas training tricks): its A/B tables, one factor changed at a time.

Re-runs each table as its own pair (or row set) of runs that differ in that one factor only,
every other setting held at the baseline, on ImageNette standing in for ImageNet-1k:
  l2 decay 1e-4 vs 3e-5 (MobileNetV1_x0_25: test top-1/top-5 50.41/74.70 vs 51.45/75.45,
    train top-1 43.79 vs 47.38);
  label smoothing 0 vs 0.1 on ResNet18 (test 70.98/89.92 vs 70.81/89.89, train 69.81 vs
    68.00) and on ResNet50_vd (test top-1 77.9 vs 78.4);
  random-resized-crop lower scale 0.08 vs 0.2 (MobileNetV2_x0_25: test 52.35/75.65 vs
    53.18/76.14, train 50.36 vs 54.39);
  augmentation on ResNet50: standard 77.31, AutoAugment 77.95, mixup 78.28, cutmix 78.39,
    cutout 78.01, GridMask 77.85, RandAugment 77.70, random erasing 77.91, Hide-and-Seek 77.43,
    with PaddleClas's own settings: mixup and cutmix alpha 0.2, one 112-of-224 px hole,
    AutoAugment's ImageNet policy, RandAugment 2 ops at magnitude 5 of 10, random erasing
    with probability 0.25, GridMask d 96-224 px of 224 with ratio 0.5 (mode 0: it keeps a
    quarter of the image) on every image, Hide-and-Seek hiding each patch with probability 0.5;
  l2 decay 1e-4 vs 7e-5 on ResNet50 + RandAugment (test 77.65/93.79 vs 78.04/93.74, train
    75.13 vs 75.56).
Each number carries the model it was measured on (`source`): the MobileNets are not in
torchvision's set here, so ResNet-18 (the smallest network available) stands in for them,
and ResNet50_vd's runs use torchvision's ResNet-50. Test accuracy is read at the best epoch
(PaddleClas keeps its best checkpoint), train accuracy at the final one. Unpruned.

The two tables print two numbers for ResNet50 + RandAugment at 1e-4 (77.70 and 77.65), so
they come from two trainings: the l2 decay pair is its own pair of runs, at seed 1.
Departures: 60 epochs at 160 px instead of ImageNet's 120-300 epochs at 224 px; SGD momentum
0.9, lr 0.1 per 256 images (the linear scaling rule), cosine, no decay on BatchNorm and biases;
torchvision's AutoAugment and RandAugment ops (RandAugment's include identity), not
PaddleClas's PIL ones; erased areas hold the mean (PaddleClas's random erasing "pixel" mode
fills noise); GridMask at probability 1 from the first epoch (PaddleClas's raises it over
training); images normalised with the training set's own per-channel mean and std
(PaddleClas: ImageNet's); on CUDA, the trainer's bf16 autocast and channels-last memory format
(the tables name no mixed precision: set bf16=false and channels_last=false to train in fp32).
Not carried: the tables' eight train top-5 accuracies (67.61, 70.83, 87.70, 86.56, 72.98,
77.08, 90.42, 90.55): the trainer records top-5 on the validation set only, and the epochs
table has no column for a training top-5.
"""

from sweeper import Study, published

# Every run spells out all the factors the tables vary, so no run's settings contain another's.
BASELINE = {
    "weight_decay": 1e-4,
    "label_smoothing": 0.0,
    "crop_scale": 0.08,
    "mixup_alpha": 0.0,
    "cutmix_alpha": 0.0,
    "cutout": 0.0,
    "auto_augment": False,
    "rand_augment": None,
    "random_erasing": 0.0,
    "grid_mask": 0.0,
    "hide_and_seek": 0.0,
}
SMALL = {**BASELINE, "model": "resnet18"}  # the MobileNets' and ResNet18's runs
LARGE = {**BASELINE, "model": "resnet50"}  # ResNet50's and ResNet50_vd's runs
SMALL_DECAY = {**SMALL, "weight_decay": 3e-5}
SMALL_SMOOTH = {**SMALL, "label_smoothing": 0.1}
SMALL_CROP = {**SMALL, "crop_scale": 0.2}
LARGE_SMOOTH = {**LARGE, "label_smoothing": 0.1}
MIXUP = {**LARGE, "mixup_alpha": 0.2}
CUTMIX = {**LARGE, "cutmix_alpha": 0.2}
CUTOUT = {**LARGE, "cutout": 0.5}
AUTO_AUGMENT = {**LARGE, "auto_augment": True}
GRID_MASK = {**LARGE, "grid_mask": 1.0}
RAND_AUGMENT = {**LARGE, "rand_augment": (2, 5), "seed": 0}
RANDOM_ERASING = {**LARGE, "random_erasing": 0.25}
HIDE_AND_SEEK = {**LARGE, "hide_and_seek": 0.5}
RAND_AUGMENT_DECAY = {**RAND_AUGMENT, "seed": 1}  # the l2 decay table's own training
RAND_AUGMENT_LOW_DECAY = {**RAND_AUGMENT_DECAY, "weight_decay": 7e-5}


def on_test(top1, top5, run, source):
    numbers = [published(top1, run, metric="val_acc", source=source)]
    if top5 is not None:
        numbers.append(published(top5, run, metric="val_top5", source=source))
    return numbers


def on_train(top1, run, source):
    return published(top1, run, metric="train_acc", at="final", source=source)


V1, V2 = "MobileNetV1_x0_25", "MobileNetV2_x0_25"
study = Study(
    name="tricks-regularization",
    train=dict(
        dataset="imagenette",
        image_size=160,
        optimizer="sgd",
        momentum=0.9,
        lr=0.1,
        linear_scaling=True,
        batch_size=128,
        epochs=60,
        schedule="cosine",
        flip=True,
        decay_bn_bias=False,
    ),
    points=[
        SMALL,
        SMALL_DECAY,
        SMALL_SMOOTH,
        SMALL_CROP,
        LARGE,
        LARGE_SMOOTH,
        MIXUP,
        CUTMIX,
        CUTOUT,
        AUTO_AUGMENT,
        GRID_MASK,
        RAND_AUGMENT,
        RANDOM_ERASING,
        HIDE_AND_SEEK,
        RAND_AUGMENT_DECAY,
        RAND_AUGMENT_LOW_DECAY,
    ],
    sampler="grid",
    pruner="none",
    metric="val_acc",
    reference=[
        *on_test(50.41, 74.70, SMALL, V1),
        on_train(43.79, SMALL, V1),
        *on_test(51.45, 75.45, SMALL_DECAY, V1),
        on_train(47.38, SMALL_DECAY, V1),
        *on_test(70.98, 89.92, SMALL, "ResNet18"),
        on_train(69.81, SMALL, "ResNet18"),
        *on_test(70.81, 89.89, SMALL_SMOOTH, "ResNet18"),
        on_train(68.00, SMALL_SMOOTH, "ResNet18"),
        *on_test(77.9, None, LARGE, "ResNet50_vd"),
        *on_test(78.4, None, LARGE_SMOOTH, "ResNet50_vd"),
        *on_test(52.35, 75.65, SMALL, V2),
        on_train(50.36, SMALL, V2),
        *on_test(53.18, 76.14, SMALL_CROP, V2),
        on_train(54.39, SMALL_CROP, V2),
        *on_test(77.31, None, LARGE, "ResNet50"),
        *on_test(78.28, None, MIXUP, "ResNet50"),
        *on_test(78.39, None, CUTMIX, "ResNet50"),
        *on_test(78.01, None, CUTOUT, "ResNet50"),
        *on_test(77.95, None, AUTO_AUGMENT, "ResNet50"),
        *on_test(77.85, None, GRID_MASK, "ResNet50"),
        *on_test(77.70, None, RAND_AUGMENT, "ResNet50"),
        *on_test(77.91, None, RANDOM_ERASING, "ResNet50"),
        *on_test(77.43, None, HIDE_AND_SEEK, "ResNet50"),
        *on_test(77.65, 93.79, RAND_AUGMENT_DECAY, "ResNet50"),
        on_train(75.13, RAND_AUGMENT_DECAY, "ResNet50"),
        *on_test(78.04, 93.74, RAND_AUGMENT_LOW_DECAY, "ResNet50"),
        on_train(75.56, RAND_AUGMENT_LOW_DECAY, "ResNet50"),
    ],
)
