"""bench/startup.py: its arithmetic, and the executor's steps running for real."""

import json
import runpy
from pathlib import Path

bench = runpy.run_path(str(Path(__file__).parent.parent / "bench" / "startup.py"))
ROOT = Path(__file__).parent.parent


def test_phases_count_each_from_the_end_of_the_one_before_and_the_total_from_the_spawn():
    stamps = {"python": 10.5, "torch": 12.0, "trainer": 12.25, "data": 13.0, "batch": 13.5}
    assert bench["phases"](10.0, stamps) == {
        "python": 0.5,
        "torch": 1.5,
        "trainer": 0.25,
        "data": 0.75,
        "batch": 0.5,
        "total": 3.5,
    }


def test_ratios_pair_each_executor_with_the_bare_spawn_of_its_round():
    assert bench["ratios"]([4.0, 6.0], [2.0, 4.0]) == [2.0, 1.5]


def test_line_gives_the_median_phases_total_and_ratio():
    runs = [
        dict(python=0.1, torch=1.0, trainer=0.2, data=0.5, batch=0.1, total=1.9),
        dict(python=0.3, torch=2.0, trainer=0.4, data=0.1, batch=0.1, total=2.9),
        dict(python=0.2, torch=1.5, trainer=0.3, data=0.2, batch=0.1, total=2.3),
    ]
    text = bench["line"]("executor, warm", runs, [1.0, 2.0, 1.0])
    assert text.startswith("executor, warm                2.30 s")
    assert "python  0.20  torch  1.50  trainer  0.30  data  0.20  batch  0.10" in text
    assert text.endswith("ratio 1.90")  # median of 1.9, 1.45, 2.3


def test_the_executor_script_reaches_its_first_batch(tmp_path):
    env = bench["environment"](ROOT, str(tmp_path))
    start, printed = bench["spawn"](bench["EXECUTOR"], ['{"dataset": "digits"}'], env)
    seconds = bench["phases"](start, json.loads(printed))
    assert all(value >= 0 for value in seconds.values())
    assert abs(sum(seconds[p] for p in bench["PHASES"]) - seconds["total"]) < 1e-6
