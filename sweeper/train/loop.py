"""`fit(config, on_epoch) -> result`: train one trial, reporting after every epoch."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from sweeper.train import checkpoint, environment, memory, models, optim, schedules
from sweeper.train import data as datasets
from sweeper.train.augment import Augment
from sweeper.train.config import TrainConfig
from sweeper.train.summary import estimated_total_mb

NAN_CHECK_EVERY = 25  # steps between loss checks; each one waits for the device


def fit(
    config: TrainConfig,
    on_epoch: Callable[[dict], bool | None],
    *,
    device: str = "cpu",
    checkpoint_dir: str | os.PathLike | None = None,
) -> dict:
    """Trains `config`, calling `on_epoch(metrics)` after each epoch; True from it stops (pruned).

    With `checkpoint_dir`, writes last.pt every epoch and best.pt at each new best, and resumes
    from last.pt when it is there. On resume, on_epoch first sees the restored epochs again
    (marked "resumed": True), so a caller killed before it recorded the last restored epoch
    gets it now. The files are written on a thread while the next epoch trains (checkpoint.
    Writer): on_epoch(epoch k) may run while last.pt of epoch k is still being written, and it
    is on disk before epoch k + 1 is checkpointed and before fit returns or raises (a pruned,
    interrupted or failed trial included). A crash therefore loses at most one epoch, as
    before: killed while writing epoch k's last.pt, the trial resumes from epoch k - 1 (the
    write is atomic) and trains epoch k again, bit for bit, reporting it afresh (the supervisor
    replaces an epoch reported again). The result's
    environment records torch's CPU thread count, which the caller sets (the executor, through
    `device.set_threads`), so that a rerun can train with it again.
    """
    c, dev = config, torch.device(device)
    c.validate()  # a config built directly, not through from_dict, is checked too
    peak = memory.Peak(dev)
    writer = checkpoint.Writer()
    try:
        history, stop, model, data = _train(c, on_epoch, dev, checkpoint_dir, peak, writer)
        writer.wait()  # the last epoch's checkpoint is on disk before the trial is done
        return {
            **_result(history, stop, model, dev, peak),
            "summary_size_mb": estimated_total_mb(
                model, (data.train_x.shape[1], c.side, c.side), c.summary_tool, c.summary_batch
            ),
            "environment": environment.record(c.seed, dev),
        }
    finally:
        with contextlib.suppress(Exception):  # on an error already raised: still on disk first
            writer.wait()
        peak.close()


def _train(c: TrainConfig, on_epoch, dev, checkpoint_dir, peak: memory.Peak, writer):
    """(history, stop reason, model, data) of the trial."""
    torch.manual_seed(c.seed)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = (
            True  # batches have one shape (the last partial one is dropped)
        )
    data = datasets.load(c, dev)
    model = models.build(c, data.train_x.shape[1], data.classes).to(dev)
    if dev.type == "cuda" and c.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = optim.build(c, model)
    plateau = schedules.Plateau(c)
    history: list[dict] = []

    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    note = None
    try:
        saved = checkpoint.load(folder / "last.pt") if folder else None
        if saved:
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["optimizer"])
            plateau.load_state_dict(saved["plateau"])
            checkpoint.set_rng_state(saved["rng"], dev)
            history = saved["history"]
    except (checkpoint.Unusable, KeyError, RuntimeError, ValueError) as error:
        # Restart from scratch: a half-loaded model or optimizer must not be trained on.
        if not isinstance(error, checkpoint.Unusable):
            error = checkpoint.set_aside(folder / "last.pt", error)
        note = f"{error}; restarting from epoch 1"
        saved, history = None, []
        torch.manual_seed(c.seed)
        model = models.build(c, data.train_x.shape[1], data.classes).to(dev)
        if dev.type == "cuda" and c.channels_last:
            model = model.to(memory_format=torch.channels_last)
        opt = optim.build(c, model)
        plateau = schedules.Plateau(c)
    if saved:
        for metrics in history:
            if on_epoch({**metrics, "resumed": True}):
                return history, ("pruned", None), model, data

    runner = _EpochRunner(
        c, dev, data, torch.compile(model) if c.compile else model, opt, plateau, peak
    )
    stop = ("completed", None)  # (how training stopped, why)
    for epoch in range(len(history) + 1, c.epochs + 1):
        metrics = runner.run(epoch)
        if metrics is None:
            stop = ("diverged", f"train loss is {runner.bad_loss} at epoch {epoch}")
            break
        history.append(metrics)
        if folder:
            _save(writer, folder, model, opt, plateau, dev, history, c)
        pruned = on_epoch({**metrics, "note": note} if note else dict(metrics))
        note = None
        # A diverged trial says so even when the pruner would have stopped it too.
        why = diverged(history, data.classes, c.chance_patience)
        stop = ("diverged", why) if why else ("pruned", None) if pruned else stop
        if stop[0] != "completed":
            break
    return history, stop, model, data


class _EpochRunner:
    """One epoch of training plus (every eval_every epochs) one evaluation."""

    def __init__(self, c: TrainConfig, dev, data, model, opt, plateau, peak: memory.Peak):
        self.c, self.dev, self.data, self.model, self.opt, self.plateau = (
            c,
            dev,
            data,
            model,
            opt,
            plateau,
        )
        self.peak = peak
        self.augment = Augment(c, data.train_x)
        self.batch = min(c.batch_size, len(data.train_y))
        self.steps = len(data.train_y) // self.batch  # the last partial batch is dropped
        self.peak_lr = optim.peak_lr(c)
        self.bad_loss = None
        # Write-up 002 fed softmax probabilities to CrossEntropyLoss, which applies log-softmax
        # again: the loss then cannot fall below log(1 + (classes - 1) / e).
        self.loss_input = (
            (lambda out: out.softmax(1)) if c.softmax_before_loss else (lambda out: out)
        )
        bf16 = c.bf16 and dev.type == "cuda"
        self.autocast = (
            (lambda: torch.autocast("cuda", dtype=torch.bfloat16))
            if bf16
            else contextlib.nullcontext
        )

    def run(self, epoch: int) -> dict | None:
        c, data, dev = self.c, self.data, self.dev
        start = time.perf_counter()
        self.model.train()
        order = torch.randperm(len(data.train_y), device=dev)
        loss_sum = torch.zeros((), device=dev)
        correct = torch.zeros((), device=dev, dtype=torch.int64)
        first_lr = None
        for i in range(self.steps):
            lr = (
                self.peak_lr
                * schedules.factor(c, epoch - 1 + (i + 1) / self.steps)
                * self.plateau.scale
            )
            first_lr = lr if first_lr is None else first_lr
            for group in self.opt.param_groups:
                group["lr"] = lr
            idx = order[i * self.batch : (i + 1) * self.batch]
            x, y, y_mixed, lam = self.augment.train(data.train_x[idx], data.train_y[idx])
            with self.autocast():
                out = self.model(x)
                scores = self.loss_input(out)
                loss = F.cross_entropy(scores, y, label_smoothing=c.label_smoothing)
                if y_mixed is not None:
                    loss = lam * loss + (1 - lam) * F.cross_entropy(
                        scores, y_mixed, label_smoothing=c.label_smoothing
                    )
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            loss_sum += loss.detach().float()
            correct += (out.argmax(1) == y).sum()
            if ((i + 1) % NAN_CHECK_EVERY == 0 or i + 1 == self.steps) and not torch.isfinite(
                loss_sum
            ):
                self.bad_loss = str(loss_sum.item())  # "nan" or "inf"
                return None
        seen = self.steps * self.batch
        train_seconds = time.perf_counter() - start
        metrics = {
            "epoch": epoch,
            "train_loss": loss_sum.item() / self.steps,
            "train_acc": 100 * correct.item() / seen,
            "val_loss": None,
            "val_acc": None,
            "val_top5": None,
            "lr": first_lr,
        }
        if epoch % c.eval_every == 0 or epoch == c.epochs:
            metrics.update(self.evaluate())
        self.plateau.step(metrics)  # skips an epoch without the value it watches
        metrics.update(
            seconds=time.perf_counter() - start,
            images_per_s=seen / train_seconds,
            peak_mem_mb=self.peak.mb(),
        )
        return metrics

    @torch.no_grad()
    def evaluate(self) -> dict:
        self.model.eval()
        x_all, y_all = self.data.val_x, self.data.val_y
        loss = torch.zeros((), device=self.dev)
        top1 = torch.zeros((), device=self.dev, dtype=torch.int64)
        top5 = torch.zeros((), device=self.dev, dtype=torch.int64)
        step = 2 * self.batch  # no gradients are kept, so twice the training batch fits
        for start in range(0, len(y_all), step):
            x, y = self.augment.eval(x_all[start : start + step]), y_all[start : start + step]
            with self.autocast():
                out = self.model(x).float()
            loss += F.cross_entropy(self.loss_input(out), y, reduction="sum")
            best = out.topk(min(5, out.shape[1]), dim=1).indices
            top1 += (best[:, 0] == y).sum()
            top5 += (best == y[:, None]).any(dim=1).sum()
        n = len(y_all)
        return {
            "val_loss": loss.item() / n,
            "val_acc": 100 * top1.item() / n,
            "val_top5": 100 * top5.item() / n if self.data.classes >= 10 else None,
        }


def diverged(history: list[dict], classes: int, patience: int) -> str | None:
    """A reason when the last `patience` evaluations all sat at chance accuracy and the later
    half of them set no new best.

    A slow learner creeping up inside the chance band (12.5, 12.3, 14.7) goes on, also through
    one dip; a dead curve bouncing in the band (8.4, 9.5, 8.4, 8.4) is stopped at its second
    evaluation without a new best, not kept alive by every spike of noise.
    """
    chance = 100 / classes
    # "At chance" allows some noise above 100/classes: half of it, at most 5 points.
    evaluated = [m["val_acc"] for m in history if m["val_acc"] is not None]
    if len(evaluated) < patience:
        return None
    if any(acc > chance + min(5.0, chance / 2) for acc in evaluated[-patience:]):
        return None
    recent = -((patience + 1) // 2)  # the later half of the window, rounded up
    # The trial's first evaluation has nothing before it to improve on: it is the reference.
    if max(evaluated[recent:]) > max(evaluated[:recent], default=evaluated[0]):
        return None
    return f"val accuracy at chance ({chance:.1f}%) for {patience} evaluations without a new best"


def _save(
    writer: checkpoint.Writer,
    folder: Path,
    model,
    opt,
    plateau,
    dev,
    history: list[dict],
    c: TrainConfig,
) -> None:
    files = []
    accs = [m["val_acc"] for m in history if m["val_acc"] is not None]
    # Strictly better than every earlier evaluation: ties keep the earliest, like best_epoch.
    if history[-1]["val_acc"] is not None and accs[-1] > max(accs[:-1], default=-1.0):
        best = {"model": model.state_dict(), "epoch": history[-1]["epoch"], "val_acc": accs[-1]}
        files.append((best, folder / "best.pt"))
    last = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "plateau": plateau.state_dict(),
        "rng": checkpoint.rng_state(dev),
        "history": history,
        "config": c.to_dict(),
    }
    files.append((last, folder / "last.pt"))  # after best.pt, as always
    writer.save(*files)


def _result(history: list[dict], stop: tuple, model, dev, peak: memory.Peak) -> dict:
    evaluated = [m for m in history if m["val_acc"] is not None]
    best = max(evaluated, key=lambda m: m["val_acc"], default=None)
    seconds = sum(m["seconds"] for m in history)
    # Every epoch trains on the same number of images, so the overall rate is the harmonic mean.
    rate = len(history) / sum(1 / m["images_per_s"] for m in history) if history else 0.0
    return {
        # A trial that never evaluated (diverged in epoch 1) scores 0.
        "best_val_acc": best["val_acc"] if best else 0.0,
        "best_epoch": best["epoch"] if best else 0,
        "final_val_acc": evaluated[-1]["val_acc"] if evaluated else 0.0,
        "epochs_run": len(history),
        "stop": stop[0],
        "stop_detail": stop[1],
        "params": sum(p.numel() for p in model.parameters()),
        "model_size_mb": models.size_mb(model),
        "seconds": seconds,
        "images_per_s": rate,
        "peak_mem_mb": peak.mb(),
        "device": str(dev),
    }
