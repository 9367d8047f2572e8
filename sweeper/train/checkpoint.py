"""Trial checkpoints: `last.pt` every epoch and `best.pt`, written so a kill never leaves a torn file."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def save(obj, path: Path) -> None:
    """torch.save to a temporary file, then os.replace: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class Unusable(Exception):
    """A checkpoint that cannot be read back; it was set aside, and says where to."""


def load(path: Path) -> dict | None:
    """The checkpoint at `path`, None when there is none. One that is truncated or corrupt is
    renamed to `<name>.corrupt` (kept for a look, never read again) and raises Unusable."""
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated zip, bad pickle, zero bytes: any reading failure
        raise set_aside(path, error) from None


def set_aside(path: Path, error: Exception) -> Unusable:
    kept = path.with_name(f"{path.name}.corrupt")
    os.replace(path, kept)
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return Unusable(f"checkpoint {path} is unusable ({reason[:120]}); set aside as {kept.name}")


def rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)
