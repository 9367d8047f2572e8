"""One study, one count: the budget, `sweeper status`, `sweeper report`, the dashboard's list
of studies and its live view count a study with retries, promotions, failures, divergence and
deaths the same way (sweeper/outcomes.py)."""

from __future__ import annotations

import re

from sweeper.dashboard.live import live_state
from sweeper.outcomes import STATUSES
from sweeper.report.build import build_report
from sweeper.report.sql import list_studies
from sweeper.store import reads
from sweeper.store.engines import open_reader
from sweeper.sweep import budget
from tests.conftest import records, run_cli

# lr 5 diverges; dropout 0.5 kills its executor once (the retry resumes), 0.9 raises.
STUDY = """
from sweeper import Study, choice
study = Study(name="mixed", train=dict(epochs=4),
              space=dict(lr=choice([0.1, 0.02, 5.0]), dropout=choice([0.0, 0.5, 0.9])),
              trainer="tests.fake_trainer:fit", sampler="grid", pruner="promoting")
"""


def test_every_command_counts_the_same_trials(write_study, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    done = run_cli(
        "run",
        write_study(STUDY),
        "--storage",
        url,
        "--artifacts",
        tmp_path / "runs",
        cwd=tmp_path,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    found = records(url, "mixed")
    kinds = {a.kind.value for a in found.values()}
    outcomes = {a.outcome.value for a in found.values() if a.outcome}
    # The study holds every kind of attempt this test is about.
    assert {"first", "retry", "promotion"} <= kinds
    assert {"died", "failed", "diverged", "paused", "completed"} <= outcomes

    engine = open_reader(url)
    study = reads.find_study(engine, "mixed")
    with engine.connect() as connection:
        counts = reads.outcome_counts(connection, study.study_id, pausing=True)
    assert counts.trials == 9 and counts.attempts > 9  # 9 configurations, more attempts
    # dropout 0.9 raises whatever the lr; lr 5 diverges with the other two dropouts.
    assert counts["failed"] == 3 and counts["diverged"] == 2

    # The budget's SQL.
    tally = budget.tally(engine, study.study_id)
    assert (tally.used, tally.waiting, tally.running) == (counts.trials, 0, 0)
    # The report.
    summary = build_report(engine, "mixed").summary
    assert summary["trials"] == counts.trials
    assert {s: summary[s] for s in STATUSES} == {s: counts[s] for s in STATUSES}
    # The dashboard: its list of studies and its live view.
    [row] = list_studies(engine).to_dict(orient="records")
    assert row["trials"] == counts.trials
    assert {s: row[s] for s in STATUSES} == {s: counts[s] for s in STATUSES}
    live = live_state(engine, study)["counts"]
    assert live["trials"] == counts.trials and live["by_status"] == {s: counts[s] for s in STATUSES}
    engine.dispose()
    # `sweeper status` and the run's own last line.
    status = run_cli("status", "--storage", url, cwd=tmp_path).stdout
    header = [c.strip() for c in status.splitlines()[2].split("┃") if c.strip()]
    line = next(line for line in status.splitlines() if "mixed" in line)
    cells = dict(zip(header, [c.strip() for c in line.split("│") if c.strip()]))
    assert cells["trials"] == "9/9"
    for status_name in ("completed", "pruned", "failed", "running", "waiting"):
        assert int(cells[status_name]) == counts[status_name]
    said = re.search(r"(\d+) trials \((.*)\);", done.stdout)
    assert int(said.group(1)) == counts.trials
    assert said.group(2) == ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
