"""Validity checks for config settings: each returns None when fine, else what is wrong."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], "str | None"]


def one_of(names) -> Check:
    def check(value):
        if value not in names:
            ordered = sorted(names) if all(isinstance(n, str) for n in names) else list(names)
            return f"must be one of {', '.join(map(str, ordered))}"
        return None

    return check


def between(low=None, high=None, low_open=False, high_open=False) -> Check:
    """A number in a range, said in words: "must be > 0", "must be >= 0 and < 1"."""
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '<='} {high}")
    wanted = "must be " + " and ".join(bounds)

    def check(value):
        if value is None:
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        return wanted if too_low or too_high else None

    return check


def at_least(low) -> Check:
    return between(low)


POSITIVE = between(0, low_open=True)
NON_NEGATIVE = between(0)
FRACTION = between(0, 1, high_open=True)


def pair(element: Check) -> Check:
    def check(value):
        if len(value) != 2:
            return "must be two numbers, low,high"
        problems = [p for p in map(element, value) if p]
        return f"both numbers {problems[0]}" if problems else None

    return check


def ascending(value) -> str | None:
    if (
        not value
        or any(not isinstance(v, int) or v < 1 for v in value)
        or list(value) != sorted(set(value))
    ):
        return "must be increasing whole epochs >= 1, e.g. 30,60,90"
    return None


def weights_name(value) -> str | None:
    """The shape of a torchvision weights enum name; models.build checks the name itself."""
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", value):
        return "must be a torchvision weights name in capitals, e.g. IMAGENET1K_V1 or DEFAULT"
    return None


def rand_augment_ops(value) -> str | None:
    """RandAugment's (num_ops, magnitude): whole numbers, magnitude on PaddleClas's 0-10 scale."""
    if value is None:
        return None
    if len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return "must be two whole numbers, num_ops,magnitude (e.g. 2,5)"
    if value[0] < 1 or not 0 <= value[1] <= 10:
        return "must have num_ops >= 1 and magnitude from 0 to 10"
    return None
