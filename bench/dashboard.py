"""Bytes and response times of the dashboard's study page on big studies, against baselines
measured in the same run.

Writes a finished study of N trials x 20 epochs straight into SQLite (bench/report.py's
build_study: bulk inserts, seconds even at 10,000 trials), then, in-process through each
app's WSGI interface (no network, so the times are the server's own):
  page        GET /study/bench: the HTML a browser gets first
  data        GET /api/study/bench/data: the table and figure data the page fetches next,
              as sent (gzip, as a browser asks) and uncompressed
  inline      the previous study page, which inlined every figure (plotly.io.to_html) and the
              trial table as a dict per trial: rebuilt here from the same report
  optuna-dashboard  (when installed) GET /api/studies/ID, what its single-page app fetches
              for a study (every trial with params, user attributes, intermediate values)
Times are the first request for the study (the report is built then; "cold") and the median
of 5 later ones ("warm"; the dashboard caches the report until a trial is added or finishes).

  .venv/bin/python bench/dashboard.py                 # 1,000 and 10,000 trials
  .venv/bin/python bench/dashboard.py --trials 3000
"""

from __future__ import annotations

import argparse
import gzip
import json
import runpy
import statistics
import tempfile
import time
from pathlib import Path

from werkzeug.test import Client

from sweeper.dashboard.app import create_app
from sweeper.dashboard.explorer import trial_table
from sweeper.dashboard.live import clean
from sweeper.report import export
from sweeper.report.build import build_report
from sweeper.store.engines import open_reader

HERE = Path(__file__).resolve().parent
GZIP = {"Accept-Encoding": "gzip"}


def build_study(url: str, n_trials: int, n_epochs: int) -> None:
    runpy.run_path(str(HERE / "report.py"))["build_study"](url, n_trials, n_epochs)


def timed(fn) -> tuple[float, object]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def requests(client: Client, path: str, headers: dict | None = None) -> dict:
    """Cold and warm times of GET path, and its body's bytes as sent."""
    cold, response = timed(lambda: client.get(path, headers=headers or {}))
    assert response.status_code == 200, (path, response.status_code)
    warm = statistics.median(
        timed(lambda: client.get(path, headers=headers or {}))[0] for _ in range(5)
    )
    return {"bytes": len(response.get_data()), "cold_s": cold, "warm_s": warm}


def inline_page(url: str) -> dict:
    """The study page as it was: figures inlined by plotly.io.to_html, a dict per trial. It
    rendered them on every request from the cached report ("warm"). Rebuilt here from the same
    report: within 5% of the bytes of the page it replaced (5.50 MB at 10,000 trials)."""
    engine = open_reader(url)

    def render(report) -> str:
        table = trial_table(report)  # the same columns, then sent as one dict per trial
        rows = clean(report.trials[table["columns"]].to_dict(orient="records"))
        return (
            export.report_header(report)
            + export.report_sections(report, trials_table=False)
            + "<script>trialTable("
            + json.dumps({**table, "data": None, "rows": rows})
            + ")</script>"
        )

    cold, report = timed(lambda: build_report(engine, "bench"))
    warm, text = timed(lambda: render(report))
    return {"bytes": len(text.encode()), "cold_s": cold + warm, "warm_s": warm}


def optuna_dashboard(url: str) -> dict | None:
    try:
        import optuna_dashboard
    except ImportError:
        return None
    client = Client(optuna_dashboard.wsgi(url))
    return {
        "api": requests(client, "/api/studies/1"),
        "api_gzip": len(gzip.compress(client.get("/api/studies/1").get_data(), 5)),
        "page": requests(client, "/dashboard"),
        "static": len(client.get("/static/bundle.js", headers=GZIP).get_data()),
    }


def bench(n_trials: int, folder: Path) -> dict:
    url = f"sqlite:///{folder / f'dashboard_{n_trials}.db'}"
    write_s, _ = timed(lambda: build_study(url, n_trials, 20))
    client = Client(create_app(url))
    page = requests(client, "/study/bench")
    return {
        "trials": n_trials,
        "write_s": write_s,
        "page": page,
        "data": requests(client, "/api/study/bench/data", GZIP),
        "data_raw": requests(client, "/api/study/bench/data"),
        "inline": inline_page(url),
        "static": sum(
            len(client.get(path, headers=GZIP).get_data())
            for path in ("/static/plotly.min.js", "/static/dashboard.js")
        ),
        "optuna_dashboard": optuna_dashboard(url),
    }


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} kB" if n < 1024**2 else f"{n / 1024**2:.2f} MB"


def describe(r: dict) -> str:
    page, data, raw, inline = r["page"], r["data"], r["data_raw"], r["inline"]
    lines = [
        f"{r['trials']:,} trials x 20 epochs (written in {r['write_s']:.1f} s)",
        f"  study page HTML     {kb(page['bytes']):>9}   first {page['cold_s']:.2f} s (builds the"
        f" report), then {page['warm_s'] * 1000:.0f} ms",
        f"  + its data (gzip)   {kb(data['bytes']):>9}   ({kb(raw['bytes'])} uncompressed)"
        f"   first {data['cold_s']:.2f} s, then {data['warm_s'] * 1000:.0f} ms",
        f"  previous inline page {kb(inline['bytes']):>8}   first {inline['cold_s']:.2f} s, then"
        f" {inline['warm_s']:.2f} s  -> first response {inline['bytes'] / page['bytes']:.0f}x"
        f" smaller, everything sent {inline['bytes'] / (page['bytes'] + data['bytes']):.0f}x"
        " smaller",
        f"  (scripts, cached by the browser: plotly.js and dashboard.js {kb(r['static'])} gzipped)",
    ]
    od = r["optuna_dashboard"]
    if od:
        api = od["api"]
        lines.append(
            f"  optuna-dashboard    /api/studies/1 {kb(api['bytes'])} ({kb(od['api_gzip'])} if"
            f" gzipped; it does not gzip)   first {api['cold_s']:.2f} s, then"
            f" {api['warm_s'] * 1000:.0f} ms; its page {kb(od['page']['bytes'])}, its JS bundle"
            f" {kb(od['static'])} gzipped"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--dir", type=Path, help="where the databases go (default: a temp folder)")
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures there (bench/tables.py)"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.trials:
            result = bench(n, folder)
            print(describe(result), flush=True)
            rows.append(figures(result))
    save = runpy.run_path(str(HERE / "tables.py"))["save"]
    save(args.json, __file__, rows)


def figures(r: dict) -> dict:
    """The numbers docs/benchmarks.md shows of one study size."""
    od = r["optuna_dashboard"]
    return {
        "trials": r["trials"],
        "page_bytes": r["page"]["bytes"],
        "data_bytes": r["data"]["bytes"],
        "data_raw_bytes": r["data_raw"]["bytes"],
        "page": {key: r["page"][key] for key in ("cold_s", "warm_s")},
        "data": {key: r["data"][key] for key in ("cold_s", "warm_s")},
        "inline_bytes": r["inline"]["bytes"],
        "optuna_dashboard_bytes": od["api"]["bytes"] if od else None,
    }


if __name__ == "__main__":
    main()
