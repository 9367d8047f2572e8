"""Contract tests over the registries: each covers its catalogue, and every entry works."""

import pytest
import torch

from sweeper.errors import ConfigError, SetupError
from sweeper.train import config as cfg
from sweeper.train import data, models, optim, schedules
from sweeper.train.config import TrainConfig


@pytest.mark.parametrize(
    "registry, catalogue",
    [
        (data.REGISTRY, cfg.DATASETS),
        (models.REGISTRY, cfg.MODELS),
        (optim.REGISTRY, cfg.OPTIMIZERS),
        (schedules.REGISTRY, cfg.SCHEDULES),
    ],
)
def test_registry_keys_equal_the_catalogue(registry, catalogue):
    assert set(registry) == set(catalogue)


@pytest.mark.parametrize(
    "setting, name",
    [("model", "alexnet"), ("optimizer", "lion"), ("schedule", "poly"), ("dataset", "mnist")],
)
def test_unknown_names_are_refused_by_the_config_before_any_registry(setting, name):
    # The registries trust the config: the catalogue they cover is the one it checks against.
    with pytest.raises(ConfigError, match=f"{setting}={name!r} must be one of"):
        TrainConfig.from_dict({setting: name})


@pytest.mark.parametrize("name", list(models.REGISTRY))
def test_every_model_builds_and_runs_a_forward_pass(name):
    side = 32
    net = models.build(TrainConfig(model=name, image_size=side), 3, 10).eval()
    with torch.no_grad():
        assert net(torch.zeros(2, 3, side, side)).shape == (2, 10)


def test_small_models_take_one_grey_channel_at_digits_size():
    for name in ("cnn", "resnet18"):
        net = models.build(TrainConfig(model=name), 1, 10).eval()
        assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def alexnet_layers(**values) -> list[str]:
    net = models.build(TrainConfig(model="cifar_alexnet", image_size=32, **values), 3, 10)
    return [type(m).__name__ for m in net.modules() if not isinstance(m, torch.nn.Sequential)][1:]


def test_cifar_alexnet_has_write_up_002s_variants():
    plain = alexnet_layers(batchnorm=False)
    assert "BatchNorm2d" not in plain and alexnet_layers().count("BatchNorm2d") == 4
    assert plain[:5] == ["Conv2d", "ReLU", "MaxPool2d", "Dropout", "Conv2d"]
    assert alexnet_layers(dropout_position="before_pool")[:6] == [
        *("Conv2d", "BatchNorm2d", "ReLU", "Dropout", "MaxPool2d", "Conv2d")
    ]
    net = models.build(TrainConfig(model="cifar_alexnet", image_size=32, fc_dropout=0.5), 3, 10)
    head = [(type(m).__name__, getattr(m, "p", None)) for m in net.classifier]
    assert head[1:7] == [
        *(("Linear", None), ("ReLU", None), ("Dropout", 0.5)),
        *(("Linear", None), ("ReLU", None), ("Dropout", 0.5)),
    ]


def test_write_up_004_parameter_counts():
    counts = {
        name: sum(
            p.numel()
            for p in models.build(TrainConfig(model=name, image_size=32), 3, 100).parameters()
        )
        for name in ("cnn_2", "cnn_3", "cnn_5")
    }
    assert counts == {"cnn_2": 219_044, "cnn_3": 168_036, "cnn_5": 1_116_388}


def test_pretrained_weights_missing_from_the_cache_is_a_setup_error(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(SetupError, match="not in the local cache.*download https://"):
        models.build(TrainConfig(model="resnet18", pretrained=True, image_size=32), 3, 10)


def test_pretrained_weights_are_chosen_by_torchvision_enum_name(tmp_path, monkeypatch):
    from torchvision import models as tv

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))

    def missing(name):
        config = TrainConfig(model="resnet50", pretrained=True, pretrained_weights=name)
        with pytest.raises(SetupError) as caught:
            models.check_weights(config)
        return str(caught.value)

    assert tv.ResNet50_Weights.IMAGENET1K_V1.url in missing("IMAGENET1K_V1")
    assert tv.ResNet50_Weights.IMAGENET1K_V2.url in missing("IMAGENET1K_V2")
    assert tv.ResNet50_Weights.IMAGENET1K_V2.url in missing("DEFAULT")
    with pytest.raises(ConfigError, match="one of IMAGENET1K_V1, IMAGENET1K_V2, DEFAULT"):
        models.check_weights(
            TrainConfig(model="resnet50", pretrained=True, pretrained_weights="IMAGENET1K_V3")
        )


def test_pretrained_weights_in_the_cache_are_loaded(tmp_path, monkeypatch):
    from torchvision import models as tv

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    reference = tv.resnet18()
    url = tv.ResNet18_Weights.DEFAULT.url
    (tmp_path / "checkpoints").mkdir()
    torch.save(reference.state_dict(), tmp_path / "checkpoints" / url.rsplit("/", 1)[1])
    net = models.build(TrainConfig(model="resnet18", pretrained=True, image_size=160), 3, 10)
    assert torch.equal(net.layer1[0].conv1.weight, reference.layer1[0].conv1.weight)


@pytest.mark.parametrize("name", list(optim.REGISTRY))
def test_every_optimizer_steps_and_round_trips_its_state(name):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2))
    config = TrainConfig(
        optimizer=name, lr=0.01, weight_decay=1e-4, decay_bn_bias=False, lookahead_steps=2
    )
    opt = optim.build(config, net)
    before = [p.detach().clone() for p in net.parameters()]
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(16, 4)).square().mean().backward()
        opt.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["weight_decay"] == 0.0
    again = optim.build(config, net)
    again.load_state_dict(opt.state_dict())


def test_linear_scaling_rule():
    assert optim.peak_lr(TrainConfig(lr=0.1, batch_size=512, linear_scaling=True)) == pytest.approx(
        0.2
    )
    assert optim.peak_lr(TrainConfig(lr=0.1, batch_size=512)) == 0.1


def curve(**values):
    c = TrainConfig(epochs=10, **values)
    return [schedules.factor(c, t) for t in (0.5, 1, 3, 5, 9.5, 10)]


def test_schedules_have_their_shapes():
    assert curve(schedule="constant") == [1.0] * 6
    assert curve(schedule="step", step_size=3, gamma=0.5) == [1, 1, 0.5, 0.5, 0.125, 0.125]
    assert curve(schedule="multistep", milestones=(2, 5), gamma=0.1) == pytest.approx(
        [1, 1, 0.1, 0.01, 0.01, 0.01]
    )
    cosine = curve(schedule="cosine")
    assert (
        cosine[0] < 1 and cosine[-1] == pytest.approx(0) and cosine == sorted(cosine, reverse=True)
    )
    offset = curve(schedule="cosine", cosine_end_offset=20)
    assert offset[-1] == pytest.approx(0.75)  # cos reaches 0 at epoch 30, a third of the way at 10
    onecycle = curve(schedule="onecycle")
    assert onecycle[0] < onecycle[2] and onecycle[-1] < 1e-3 and max(onecycle) <= 1
    warm = curve(schedule="constant", warmup_epochs=2)
    assert warm[:3] == [0.25, 0.5, 1.0]


def test_flat_cos_holds_the_peak_then_anneals_like_fastais_fit_flat_cos():
    # fastai: flat for pct_start=0.75 of the steps, then cosine from lr to lr / 1e5.
    flat_cos = curve(schedule="flat_cos")
    assert flat_cos[:4] == [1.0] * 4 and flat_cos[-1] == pytest.approx(1e-5)
    c = TrainConfig(epochs=10, schedule="flat_cos")
    assert schedules.factor(c, 8.75) == pytest.approx(0.5 + 0.5e-5)  # half way down the cosine
    assert schedules.factor(TrainConfig(epochs=10, schedule="flat_cos", flat_pct=0.5), 6) < 1


def test_plateau_can_watch_training_accuracy_every_epoch():
    # Write-up 002 had no validation set: its ReduceLROnPlateau watched training accuracy.
    c = TrainConfig(schedule="plateau", plateau_watch="train", plateau_patience=0)
    plateau = schedules.Plateau(c)
    for train_acc in (50, 60, 60):
        plateau.step({"train_acc": train_acc, "val_acc": None, "val_loss": None})
    assert plateau.scale == pytest.approx(0.1)  # the third epoch did not improve
    watching_val = schedules.Plateau(TrainConfig(schedule="plateau", plateau_patience=0))
    for _ in range(3):  # epochs without an evaluation leave it as it was
        watching_val.step({"train_acc": 50, "val_acc": None, "val_loss": None})
    assert watching_val.scale == 1.0 and watching_val.best is None


def test_warmup_ramps_to_the_peak_and_the_schedule_runs_over_the_epochs_after_it():
    c = TrainConfig(epochs=10, warmup_epochs=2, schedule="cosine")
    ramp = [schedules.factor(c, t) for t in (0.01, 1, 1.99, 2)]
    assert ramp[0] < 0.01 and ramp[1] == 0.5 and ramp[-1] == 1.0  # the peak, at warmup's end
    assert schedules.factor(c, 6) == pytest.approx(0.5)  # half way through the 8 cosine epochs
    assert schedules.factor(c, 10) == pytest.approx(0.0)
    offset = TrainConfig(epochs=10, warmup_epochs=2, schedule="cosine", cosine_end_offset=8)
    assert schedules.factor(offset, 10) == pytest.approx(0.5)
    step = TrainConfig(epochs=10, warmup_epochs=2, schedule="step", step_size=3, gamma=0.1)
    assert [schedules.factor(step, t) for t in (4.9, 5)] == pytest.approx([1.0, 0.1])
    onecycle = TrainConfig(epochs=10, warmup_epochs=2, schedule="onecycle")
    assert schedules.factor(onecycle, 10) < 1e-3


def test_a_trial_shorter_than_its_warmup_only_warms_up():
    for schedule in ("cosine", "onecycle"):
        c = TrainConfig(epochs=2, warmup_epochs=2, schedule=schedule)
        assert [schedules.factor(c, t) for t in (1, 2)] == [0.5, 1.0]
    assert schedules.factor(TrainConfig(epochs=1, warmup_epochs=5), 1) == 0.2


def test_plateau_follows_reduce_lr_on_plateau():
    c = TrainConfig(
        schedule="plateau",
        plateau_mode="max",
        plateau_factor=0.5,
        plateau_patience=2,
        plateau_threshold=0.5,
        plateau_threshold_mode="abs",
    )
    plateau = schedules.Plateau(c)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0),
        mode="max",
        factor=0.5,
        patience=2,
        threshold=0.5,
        threshold_mode="abs",
    )
    for acc in [10, 20, 20.3, 20.4, 20.2, 21, 21, 21, 21, 30]:
        plateau.step({"val_acc": acc, "val_loss": 0.0})
        reference.step(acc)
        assert plateau.scale == pytest.approx(reference.optimizer.param_groups[0]["lr"])
    assert plateau.scale < 1


def test_ranger_is_radam_with_centralized_gradients_and_lookahead():
    torch.manual_seed(0)
    start = torch.randn(3, 4)
    w = torch.nn.Parameter(start.clone())
    ranger = optim.Ranger([w], lr=0.1, eps=1e-8, weight_decay=0, k=2, alpha=0.5)
    v = torch.nn.Parameter(start.clone())
    radam = torch.optim.RAdam([v], lr=0.1, betas=(0.95, 0.999), eps=1e-8)
    for opt, p in ((ranger, w), (radam, v)):
        for _ in range(2):
            opt.zero_grad()
            (p**2).sum().backward()
            if opt is radam:
                p.grad.sub_(p.grad.mean(dim=1, keepdim=True))
            opt.step()
    # After k=2 fast steps the weights move alpha of the way from the start to the fast weights.
    assert torch.allclose(w, start + 0.5 * (v.detach() - start))
    assert torch.equal(ranger.state[w]["slow"], w.detach())
