"""The docs a user reads: the generated pages match the code and the bench results they are made
from, and every link in them leads to a file (and heading) of this repository."""

import dataclasses
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
gen_docs = runpy.run_path(str(ROOT / "scripts" / "gen_docs.py"))
tables = runpy.run_path(str(ROOT / "bench" / "tables.py"))
PAGES = [ROOT / "README.md", ROOT / "docker" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# Linked from the README, written on another branch: drop it from here once it has landed.
PENDING = {ROOT / "docs" / "own-code.md"}


@pytest.mark.parametrize("page", gen_docs["pages"]().items(), ids=lambda item: item[0].name)
def test_the_generated_docs_are_what_the_code_and_results_make(page):
    path, text = page
    assert path.read_text() == text, f"{path.name} is stale: run python scripts/gen_docs.py"


def test_the_study_file_reference_names_every_setting_and_study_argument():
    text = (ROOT / "docs" / "study-file.md").read_text()
    from sweeper.spec import Study
    from sweeper.train.config import field_names

    for name in [f.name for f in dataclasses.fields(Study)] + field_names():
        assert f"- `{name}` (" in text, name


def test_when_a_setting_applies_is_read_off_its_rule():
    applies_when = gen_docs["applies_when"]
    assert applies_when("lr") is None
    assert applies_when("momentum") == "`optimizer` is `sgd` or `rmsprop`"
    assert applies_when("val_split") == "`dataset` is `digits` or `synthetic`"
    assert applies_when("decay_bn_bias") == "`weight_decay` is not 0"
    assert applies_when("crop_ratio") == "`crop_scale` is not None"
    both = applies_when("pretrained_weights")
    assert both.startswith("`pretrained` is True and `model` is `resnet`, `resnet18`")
    assert "`cnn`" not in both


def test_every_bench_result_is_shown_and_names_a_script_that_writes_it():
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    for path in sorted((ROOT / "bench" / "results").glob("*.json")):
        result = json.loads(path.read_text())
        assert f"<!-- generated from bench/results/{path.name} " in text
        assert (ROOT / result["script"]).is_file()
        assert result["command"].startswith(f"python {result['script']}")
        assert "--json" not in result["command"]


def test_a_bench_script_run_with_json_writes_what_its_table_shows(tmp_path):
    out = tmp_path / "report.json"
    script = ROOT / "bench" / "report.py"
    args = ["--trials", "30", "--epochs", "2", "--dir", str(tmp_path), "--json", str(out)]
    subprocess.run([sys.executable, str(script), *args], check=True, capture_output=True)
    result = json.loads(out.read_text())
    assert result["script"] == "bench/report.py"
    assert result["command"] == f"python bench/report.py --trials 30 --epochs 2 --dir {tmp_path}"
    table = tables["markdown"](result)
    assert "| 30 × 2 |" in table and table.count("\n|") == 2  # header rule and one row
    assert f"Command: `{result['command']}`" in table


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_leads_to_a_file_and_heading_of_the_repository(page):
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+://", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        assert linked.is_relative_to(ROOT), f"{target} points outside the repository"
        assert linked.exists() or linked in PENDING, f"{page.name}: {target} does not exist"
        if anchor:
            assert anchor in _anchors(linked), f"{page.name}: {target} names no heading"


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to -."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
