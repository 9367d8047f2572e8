"""Every script in bench/ loads: a benchmark nobody imports in the suite can break unseen
(bench/dashboard.py once imported a function from where it no longer was)."""

import runpy
from pathlib import Path

import pytest

BENCH = sorted((Path(__file__).resolve().parent.parent / "bench").glob("*.py"))


@pytest.mark.parametrize("script", BENCH, ids=[path.name for path in BENCH])
def test_the_script_loads(script):
    namespace = runpy.run_path(str(script), run_name="bench_under_test")  # not __main__
    assert callable(namespace.get("main")), f"{script.name} has no main()"
