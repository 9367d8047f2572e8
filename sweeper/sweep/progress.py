"""What `sweeper run` shows while it works: a live panel on a terminal, plain lines in a log."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import NamedTuple

from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import (
    Progress as Bar,
)
from rich.table import Table


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _params(params: dict) -> str:
    return " ".join(f"{k}={_fmt(v)}" for k, v in params.items())


class Best(NamedTuple):
    number: int
    value: float
    params: dict


@dataclass
class BestSoFar:
    """The best trial seen, by the study's direction. `trial` is None until one is offered: the
    supervisor first offers the study's best trial, read once, then each trial it finishes."""

    direction: str  # "maximize" or "minimize"
    trial: Best | None = None

    def offer(self, number: int, value: float | None, params: dict) -> None:
        """Takes this trial when it is better than the best so far (a None value never is)."""
        if value is None:
            return
        if self.trial is None or self._better(value, self.trial.value):
            self.trial = Best(number, value, params)

    def _better(self, value: float, than: float) -> bool:
        return value > than if self.direction == "maximize" else value < than


def make_console() -> Console:
    """The terminal's width on a terminal; wide when piped to a log, so tables are not cut."""
    return Console() if sys.stdout.isatty() else Console(width=240)


class Progress:
    """Trials done of the budget, the running trials with their epoch, and the best so far."""

    def __init__(self, study_name: str, budget: int, metric: str, console: Console | None = None):
        self.console = console or make_console()
        self.metric = metric
        self.best = None
        self.live = None
        self.bar = Bar(
            TextColumn(f"[bold]{study_name}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("trials"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.task = self.bar.add_task("trials", total=budget)
        if self.console.is_terminal:
            self.live = Live(
                self._render([]), console=self.console, refresh_per_second=4, transient=True
            )
            self.live.start()
        else:
            print(f"{study_name}: running up to {budget} trials", flush=True)

    def update(self, snapshot: dict) -> None:
        self.bar.update(self.task, completed=snapshot["finished"])
        if self.live:
            self.live.update(self._render(snapshot["running"]))

    def finished(
        self,
        number: int,
        state: str,
        reason: str | None,
        params: dict,
        best,
        resumes: int | None = None,
    ) -> None:
        """A line for a finished trial: `trial 7 (resumes trial 2) paused at epoch 3  lr=...`."""
        self.best = best
        line = f"trial {number}" + (f" (resumes trial {resumes})" if resumes is not None else "")
        # "paused at epoch 3", "failed (RuntimeError: ...)"
        inline = reason and reason.startswith("at epoch")
        line += f" {state}" + (f" {reason}" if inline else f" ({reason})" if reason else "")
        line += f"  {_params(params)}"
        if best:
            line += f"  | best {self.metric} {_fmt(best[1])} (trial {best[0]})"
        self._print(line)

    def note(self, text: str) -> None:
        self._print(text)

    def close(self) -> None:
        if self.live:
            self.live.stop()
            self.live = None

    def _print(self, text: str) -> None:
        if self.live:
            self.live.console.print(text, markup=False, highlight=False)
        else:
            print(text, flush=True)

    def _render(self, running: list[dict]):
        table = Table(box=None, show_header=bool(running), header_style="dim")
        for column in ("trial", "epoch", self.metric, "device", "params"):
            table.add_column(column)
        for r in running:
            table.add_row(
                str(r["number"]),
                f"{r['epoch']}/{r['epochs']}",
                _fmt(r["value"]),
                str(r["device"]),
                _params(r["params"]),
            )
        parts = [self.bar, table]
        if self.best:
            parts.append(
                f"best {self.metric} {_fmt(self.best[1])} (trial {self.best[0]}: {_params(self.best[2])})"
            )
        return Group(*parts)


def summary_table(trials: list, metric: str, limit: int = 10) -> Table:
    """The best finished trials, one column per searched parameter."""
    table = Table(title=f"best trials by {metric}")
    names = list(dict.fromkeys(name for t in trials[:limit] for name in t.params))
    for column in ("trial", metric, "epochs", "seconds", *names):
        table.add_column(column, justify="right")
    for t in trials[:limit]:
        table.add_row(
            str(t.number),
            _fmt(t.value),
            _fmt(t.user_attrs.get("epochs_run")),
            _fmt(t.user_attrs.get("seconds")),
            *(_fmt(t.params.get(n)) for n in names),
        )
    return table
