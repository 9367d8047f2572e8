"""Bench results as files, and the markdown tables docs/benchmarks.md shows of them.

A bench script given `--json PATH` writes its figures there with `save` (beside what it prints):
the command that reproduces them, the commit, the date and the machine. `markdown` turns such a
file into a table; scripts/gen_docs.py puts each file of bench/results/ into docs/benchmarks.md,
and tests/test_docs.py fails when the page and the files disagree, so the page shows what the
scripts measured, never numbers typed by hand.

    .venv/bin/python bench/report.py --json bench/results/report.json   # measure, keep
    .venv/bin/python bench/tables.py bench/results/report.json           # print its table
    .venv/bin/python scripts/gen_docs.py                                 # refresh docs/
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def save(path: str | Path | None, script: str, rows: list[dict], setup: str = "") -> None:
    """Writes the rows of the bench script at `script` (its __file__) to `path` (nothing when
    None); `setup` is the run's settings line as the script prints it."""
    if path is None:
        return
    name = Path(script).resolve().relative_to(ROOT).as_posix()
    result = {
        "script": name,
        "command": command(name, sys.argv[1:]),
        "commit": _commit(),
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "setup": setup,
        "rows": rows,
    }
    Path(path).write_text(json.dumps(result, indent=1) + "\n")


def command(script: str, args: list[str]) -> str:
    """The command line that reproduces a run: its arguments without --json."""
    kept, skip = [], False
    for arg in args:
        if skip or arg.startswith("--json="):
            skip = False
            continue
        if arg == "--json":
            skip = True
            continue
        kept.append(arg)
    return shlex.join(["python", script, *kept])


def machine() -> str:
    """Cores, architecture, GPU (when the script has imported torch) and the load it ran under:
    figures from a machine shared with other work are noisy."""
    parts = [f"{os.cpu_count()} CPU cores ({platform.machine()})"]
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        parts.append(torch.cuda.get_device_name(0))
    else:
        parts.append("no GPU")
    parts.append(f"load average {os.getloadavg()[0]:.1f} at the end")
    return ", ".join(parts)


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def size(n: float) -> str:
    return f"{n / 1024:,.0f} kB" if n < 1024**2 else f"{n / 1024**2:.2f} MB"


def ms(value: float) -> str:
    return f"{value * 1000:.3g} ms"


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


def rate(unit: str):
    return lambda value: f"{value:,.0f} {unit}".rstrip()


def spread(cell: list[float]) -> str:
    """[median, first quartile, third quartile] of a ratio."""
    mid, low, high = cell
    return f"{mid:.3f} [{low:.3f}..{high:.3f}]"


def plain(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def cell(key: str, show=plain):
    """A column showing row[key]; None when the row has no such figure."""
    return lambda row: show(row[key]) if row.get(key) is not None else None


def first_then(key: str):
    """A response's first and later times, from row[key] = {"cold_s": ..., "warm_s": ...}."""
    return lambda row: f"{row[key]['cold_s']:.2f} s, then {row[key]['warm_s'] * 1000:.0f} ms"


# Per script, its table's columns: (header, the cell of a row). A missing figure shows "–".
COLUMNS = {
    "bench/open_storage.py": [
        ("storage", cell("storage")),
        ("sweeper's open_storage", cell("sweeper_s", ms)),
        ("Optuna's RDBStorage", cell("optuna_s", ms)),
        ("ratio", cell("ratio", ratio)),
    ],
    "bench/overhead.py": [
        ("cost", cell("measure")),
        ("raw Optuna", cell("raw_s", ms)),
        ("raw Optuna, sweeper's storage settings", cell("tuned_s", ms)),
        ("sweeper", cell("sweeper_s", ms)),
        ("sweeper ÷ raw", cell("ratio", ratio)),
    ],
    "bench/report.py": [
        ("trials × epochs", lambda row: f"{row['trials']:,} × {row['epochs']}"),
        ("report", cell("report_s", seconds)),
        ("first report in the process", cell("cold_s", seconds)),
        ("report + CSV + HTML", cell("report_files_s", seconds)),
        ("trials_dataframe()", cell("trials_dataframe_s", seconds)),
        ("trials_dataframe ÷ report", cell("ratio", ratio)),
    ],
    "bench/dashboard.py": [
        ("trials × 20 epochs", cell("trials")),
        ("study page HTML", cell("page_bytes", size)),
        ("its data (gzip)", cell("data_bytes", size)),
        ("data uncompressed", cell("data_raw_bytes", size)),
        ("page: first, later", first_then("page")),
        ("data: first, later", first_then("data")),
        ("former inline page", cell("inline_bytes", size)),
        ("optuna-dashboard's API", cell("optuna_dashboard_bytes", size)),
    ],
    "bench/pipeline.py": [
        ("image side", cell("side_px", lambda px: f"{px} px")),
        ("device pipeline", cell("pipeline_img_s", rate("img/s"))),
        ("DataLoader", cell("dataloader_img_s", rate("img/s"))),
        ("ratio", cell("ratio", ratio)),
    ],
    "bench/packing.py": [
        ("--workers", cell("workers")),
        ("trials/hour", cell("trials_per_hour", rate(""))),
        ("ratio to the first", cell("ratio", ratio)),
    ],
    "bench/trial.py": [
        ("", cell("measure")),
        ("fit", lambda row: f"{row['fit']:.4g} {row['unit']}"),
        ("bare loop", lambda row: f"{row['bare']:.4g} {row['unit']}"),
        ("fit ÷ bare loop, median [quartiles]", cell("ratio", spread)),
    ],
    "bench/startup.py": [
        ("start-up to the first batch", cell("label")),
        ("total", cell("total_s", seconds)),
        ("python up", cell("python_s", seconds)),
        ("torch imported", cell("torch_s", seconds)),
        ("trainer imported", cell("trainer_s", seconds)),
        ("data loaded", cell("data_s", seconds)),
        ("first batch", cell("batch_s", seconds)),
        ("÷ bare spawn", cell("ratio", ratio)),
    ],
}


def markdown(result: dict) -> str:
    """A result file as a markdown table, then how it was measured."""
    columns = COLUMNS[result["script"]]
    lines = [
        "| " + " | ".join(header for header, _ in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in result["rows"]:
        cells = [show(row) for _, show in columns]
        lines.append("| " + " | ".join("–" if c is None else c for c in cells) + " |")
    lines.append("")
    if result.get("setup"):
        lines.append(f"Settings: {result['setup']}.")
    lines.append(f"Command: `{result['command']}`")
    lines.append(f"Measured {result['date']} on commit {result['commit']}: {result['machine']}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", nargs="+", type=Path, help="JSON files a bench script wrote")
    for path in parser.parse_args().results:
        print(markdown(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
