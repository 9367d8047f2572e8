"""Writes the parts of docs/ that are generated from the code, so they cannot drift from it:

- docs/study-file.md, the study file reference: every `Study(...)` argument (sweeper/spec.py,
  its fields and docstring), every training setting with its type, default, help and when it
  applies (sweeper/train/config.py), the names a study may use;
- the tables of docs/benchmarks.md, each from a results file in bench/results/ that a bench
  script wrote with --json (bench/tables.py renders them).

    .venv/bin/python scripts/gen_docs.py           # rewrite what is out of date
    .venv/bin/python scripts/gen_docs.py --check   # exit 1 when something is (tests/test_docs.py)

It lives in scripts/ beside quickstart.sh and test.sh, not in sweeper/: it is a maintainer's
tool, and users of the package never run it.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import runpy
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sweeper import references, spec, strategies  # noqa: E402
from sweeper.train import config  # noqa: E402
from sweeper.train.config import TrainConfig  # noqa: E402

STUDY_FILE_DOC = ROOT / "docs" / "study-file.md"
BENCHMARKS_DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench" / "results"
WIDTH = 100

# Study fields its docstring does not describe (checked: a new field without either fails).
EXTRA_ARGS = {
    "description": "text shown at the top of the report and the dashboard's study page "
    "(default: the study file's docstring).",
}
# The settings whose values the `applies` rules of config.py test: every value is tried.
CATALOGUES = {
    "dataset": tuple(config.DATASETS),
    "model": config.MODELS,
    "optimizer": tuple(config.OPTIMIZERS),
    "schedule": config.SCHEDULES,
}


def docstring_args(obj) -> dict[str, str]:
    """The `Args:` entries of a Google-style docstring, each joined into one line."""
    text = inspect.getdoc(obj) or ""
    args, name = {}, None
    in_args = False
    for line in text.splitlines():
        if line.strip() == "Args:":
            in_args = True
            continue
        if not in_args or not line.strip():
            continue
        match = re.match(r"^    (\w+): (.*)$", line)
        if match:
            name = match.group(1)
            args[name] = match.group(2)
        elif line.startswith("        ") and name:
            args[name] += " " + line.strip()
        else:
            break
    return args


def shown(value) -> str:
    """A default as a study file would write it."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        inner = ", ".join(shown(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def item(head: str, body: str) -> list[str]:
    """One list item, wrapped to WIDTH columns."""
    return textwrap.wrap(f"- {head}: {body}", WIDTH, subsequent_indent="  ", break_on_hyphens=False)


def para(text: str) -> str:
    return textwrap.fill(text, WIDTH, break_on_hyphens=False)


def words(values) -> str:
    names = [f"`{v}`" for v in values]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# --- when a setting applies -------------------------------------------------------------------


def _tries() -> list[tuple[str, object]]:
    """Single changes from the defaults to test the `applies` rules with: every value of a
    catalogue, the other value of a flag, and one valid non-default value of a number."""
    tries = []
    for f in dataclasses.fields(TrainConfig):
        if f.name in CATALOGUES:
            tries += [(f.name, v) for v in CATALOGUES[f.name] if v != f.default]
        elif isinstance(f.default, bool):
            tries.append((f.name, not f.default))
        elif f.type in ("float", "float | None", "int", "int | None"):
            for value in (0.5, 1, 2):
                if value != f.default and _valid({f.name: value}):
                    tries.append((f.name, value))
                    break
    return tries


def _valid(values: dict) -> bool:
    try:
        TrainConfig.from_dict(values)
    except Exception:
        return False
    return True


def _phrase(name: str, key: str, base: dict, default) -> str:
    """What `key` must be for setting `name` to apply, the others as in `base`."""
    applies = config.setting_applies
    if key in CATALOGUES:
        return (
            f"`{key}` is {words([v for v in CATALOGUES[key] if applies(name, {**base, key: v})])}"
        )
    if isinstance(default, bool):
        return f"`{key}` is {shown(applies(name, base) != default)}"
    return f"`{key}` is {'' if applies(name, base) else 'not '}{shown(default)}"


def _condition(name: str, base: dict, tries, defaults) -> str | None:
    """The settings whose change from `base` changes whether `name` applies, in words."""
    applies = config.setting_applies
    here = applies(name, base)
    keys = []
    for key, value in tries:
        if key != name and key not in base and key not in keys:
            if applies(name, {**base, key: value}) != here:
                keys.append(key)
    phrases = [_phrase(name, key, base, defaults[key]) for key in keys]
    return (" and " if here else " or ").join(phrases) or None


def applies_when(name: str) -> str | None:
    """When a conditional setting has an effect, in words, found by trying its rule on single
    (then paired) changes from the defaults; None for a setting that always applies."""
    if not config.is_conditional(name):
        return None
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    tries = _tries()
    found = _condition(name, {}, tries, defaults)
    if found:
        return found
    # A rule on two settings (pretrained and model): fix a flag or number first, so a
    # catalogue is listed whole on the right of the "and".
    for key, value in sorted(tries, key=lambda kv: kv[0] in CATALOGUES):
        found = _condition(name, {key: value}, tries, defaults)
        if found and key != name:
            return f"`{key}` is {shown(value)} and {found}"
    raise SystemExit(f"cannot say when setting {name!r} applies: no change tried makes it apply")


# --- docs/study-file.md -----------------------------------------------------------------------


def _setting_groups() -> list[tuple[str, list[str]]]:
    """TrainConfig's fields under the section comments of its source (# Data, # Model, ...)."""
    groups: list[tuple[str, list[str]]] = []
    for line in inspect.getsource(TrainConfig).splitlines():
        comment = re.match(r"^    # (.+)$", line)
        field_line = re.match(r"^    (\w+): ", line)
        if comment:
            groups.append((comment.group(1), []))
        elif field_line and groups:
            groups[-1][1].append(field_line.group(1))
    names = [name for _, fields in groups for name in fields]
    assert names == config.field_names(), "every TrainConfig field must sit under a # section"
    return groups


def _study_args() -> list[str]:
    documented = {**docstring_args(spec.Study), **EXTRA_ARGS}
    lines = []
    for f in dataclasses.fields(spec.Study):
        if f.name not in documented:
            raise SystemExit(f"Study.{f.name} is described neither in Study's docstring nor here")
        if f.default is not dataclasses.MISSING:
            default = f"default `{shown(f.default)}`"
        elif f.default_factory is not dataclasses.MISSING:
            default = f"default `{shown(f.default_factory())}`"
        else:
            default = "required"
        lines += item(f"`{f.name}` ({f.type}, {default})", documented[f.name])
    return lines


def _functions(*functions) -> list[str]:
    lines = []
    for fn in functions:
        signature = str(inspect.signature(fn)).replace("'", "")  # annotations are strings here
        lines += item(f"`{fn.__name__}{signature}`", inspect.getdoc(fn).splitlines()[0])
    return lines


def _settings() -> list[str]:
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    lines = []
    for title, names in _setting_groups():
        lines += ["", f"### {title}", ""]
        for name in names:
            f = fields[name]
            body = f.metadata["help"] or "(no help)"
            when = applies_when(name)
            if when:
                body += f". Applies when {when}"
            lines += item(f"`{name}` ({f.type}, default `{shown(f.default)}`)", body + ".")
    return lines


def _catalogues() -> list[str]:
    lines = []
    for name, spec_ in config.DATASETS.items():
        traits = [f"{spec_.side} px"]
        if spec_.files:
            traits.append("read from `data_dir`, `download` applies")
        if spec_.split:
            traits.append("no validation set of its own: `val_split` carves one out")
        lines += item(f"`{name}`", ", ".join(traits))
    return lines


def study_file_page() -> str:
    metrics = ", ".join(f"`{m}` ({d})" for m, d in spec.METRICS.items())
    optimizers = []
    for name, o in config.OPTIMIZERS.items():
        has = [
            w
            for w, flag in (
                ("momentum", o.has_momentum),
                ("nesterov", o.has_nesterov),
                ("eps", o.has_eps),
                ("lookahead", o.has_lookahead),
            )
            if flag
        ]
        optimizers += item(f"`{name}`", ", ".join(has) or "no extra settings")
    lines = [
        "<!-- Generated by scripts/gen_docs.py from sweeper/spec.py and sweeper/train/config.py:",
        "     edit those, then run it. tests/test_docs.py fails when this page is out of date. -->",
        "# The study file, every setting",
        "",
        "A study file is Python that assigns one `Study(...)` to `study`; everything in it is",
        "checked when the file is loaded, before anything touches the database, and a bad value",
        "is one error line saying what is valid. The README shows one; [studies.md](studies.md)",
        "explains `points` and `published` with the studies in `studies/`.",
        "",
        "```python",
        "from sweeper import Study, choice, loguniform, uniform, intrange, published",
        "```",
        "",
        "## `Study(...)`",
        "",
        *_study_args(),
        "",
        para(
            f"Samplers: {words(strategies.SAMPLER_NAMES)}. Pruners: {words(strategies.PRUNER_NAMES)}"
            f" (unset: `{strategies.DEFAULT_PRUNER}`, or `{strategies.DEFAULT_PRUNER_SPARSE_EVAL}`"
            " where `eval_every` > 1, unless the stored study was run with another)."
        ),
        "",
        para(f"Metrics, with the direction they imply: {metrics}."),
        "",
        "## The search space",
        "",
        "Each entry of `space` maps a training setting to one of these. A setting that does not",
        "apply to a trial (see *Applies when* below) is not sampled for it; `when={setting: value",
        "or [values]}` adds conditions of your own.",
        "",
        *_functions(spec.choice, spec.uniform, spec.loguniform, spec.intrange),
        "",
        "## `published(...)`: a number from a write-up",
        "",
        *_functions(references.published),
        "",
        *[
            line
            for name, text in docstring_args(references.Published).items()
            for line in item(f"`{name}`", text)
        ],
        "",
        "## Training settings",
        "",
        "The keys of `train`, of `space` and of `--set KEY=VALUE`. Accuracies are in percent,",
        "epochs count passes over the training set.",
        *_settings(),
        "",
        "## Names",
        "",
        "Data sets:",
        "",
        *_catalogues(),
        "",
        para(f"Models: {words(config.MODELS)}."),
        "",
        "Optimizers, with the settings they have:",
        "",
        *optimizers,
        "",
        para(f"Schedules: {words(config.SCHEDULES)}."),
    ]
    return "\n".join(lines) + "\n"


# --- docs/benchmarks.md -----------------------------------------------------------------------

BLOCK = re.compile(
    r"(<!-- generated from (bench/results/[\w.-]+\.json) by scripts/gen_docs.py -->\n)"
    r"(.*?)"
    r"(<!-- end of generated table -->)",
    re.S,
)


def benchmarks_page(text: str) -> str:
    """The page with each generated block made again from its results file; every file in
    bench/results/ must have one."""
    markdown = runpy.run_path(str(ROOT / "bench" / "tables.py"))["markdown"]
    named = {match.group(2) for match in BLOCK.finditer(text)}
    unshown = sorted(p.relative_to(ROOT).as_posix() for p in RESULTS.glob("*.json"))
    missing = [name for name in unshown if name not in named]
    if missing:
        raise SystemExit(f"docs/benchmarks.md has no block for {', '.join(missing)}")

    def block(match: re.Match) -> str:
        result = json.loads((ROOT / match.group(2)).read_text())
        return match.group(1) + markdown(result) + match.group(4)

    return BLOCK.sub(block, text)


def pages() -> dict[Path, str]:
    """Every generated page as it should read now."""
    return {
        STUDY_FILE_DOC: study_file_page(),
        BENCHMARKS_DOC: benchmarks_page(BENCHMARKS_DOC.read_text()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args()
    fresh = pages()
    stale = [path for path, text in fresh.items() if not path.exists() or path.read_text() != text]
    for path in stale:
        name = path.relative_to(ROOT)
        if args.check:
            print(f"{name} is out of date: run python scripts/gen_docs.py", file=sys.stderr)
        else:
            path.write_text(fresh[path])
            print(f"wrote {name}")
    if args.check and stale:
        sys.exit(1)


if __name__ == "__main__":
    main()
