"""The dashboard: a read-only Flask app over the report code, for every study in one storage.

Routes (all GET): / (studies), /study/NAME (tables, figures, live trials, the trial table),
/study/NAME/trial/N, /study/NAME/files/FILE (CSV/HTML downloads), /api/studies and
/api/study/NAME/live (JSON the pages poll every 2 s), /api/study/NAME/data (the trial table and
figure data the study page fetches once: see explorer.py), /api/study/NAME/curves?trials=1,2
(the curves overlaid for trials picked in the table), /static/plotly.min.js and
/static/dashboard.js (served locally: the dashboard works offline; the pages link them with
?v=HASH, and a browser keeps them: see assets.py).

Text responses over a few kB go gzipped to browsers that accept it; the two scripts are
gzipped once per process, the data once per study version, the rest on each request.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from io import StringIO
from urllib.parse import quote

from flask import Flask, Response, abort, jsonify, render_template_string, request, url_for

from sweeper.dashboard import pages
from sweeper.dashboard.assets import Asset
from sweeper.dashboard.explorer import figure_settings, study_data, to_json
from sweeper.dashboard.live import clean, curves, live_state, trial_detail
from sweeper.dashboard.scripts import DASHBOARD_JS
from sweeper.dashboard.sections import study_sections
from sweeper.errors import SweeperError
from sweeper.report import export, figures
from sweeper.report.build import Report, build_report
from sweeper.report.sql import list_studies
from sweeper.store import reads
from sweeper.store.engines import open_reader
from sweeper.store.reads import find_study
from sweeper.urls import redact

CACHED_REPORTS = 8  # full reports kept in memory, one per recently viewed study
TRACEBACK_ATTR = "traceback"  # the supervisor's attribute on a trial whose trainer crashed
MAX_CURVES = 50  # trials overlaid at once: more lines than that say nothing
GZIP_MIN_BYTES = 2048  # smaller responses gain nothing from gzip
# What the after-request hook gzips; the scripts come gzipped already (assets.py).
COMPRESSED = ("text/html", "application/json", "text/csv")
# The scripts by their route's endpoint; shared by every app in the process, so each is
# hashed and gzipped once.
SCRIPTS = {"plotly_js": Asset(export.plotly_js), "dashboard_js": Asset(lambda: DASHBOARD_JS)}


def create_app(storage_url: str) -> Flask:
    """The app for one storage. Opens only read-only connections; nothing here writes."""
    app = Flask(__name__)
    engine = open_reader(storage_url)
    reports = _ReportCache(engine, storage_url)
    where = redact(storage_url)

    def page(template: str, **context) -> str:
        return render_template_string(
            template,
            storage=where,
            style=export.STYLE + pages.STYLE,
            script_url=_script_url,
            **context,
        )

    def study_or_404(name: str):
        try:
            return find_study(engine, name, storage_url)
        except SweeperError:
            abort(404, f"no study named {name!r} in {where}")

    @app.get("/")
    def studies():
        return page(pages.STUDIES, title="studies", studies=_studies(engine))

    @app.get("/api/studies")
    def studies_json():
        return jsonify(_studies(engine))

    @app.get("/study/<name>")
    def study(name: str):
        study = study_or_404(name)

        def link(number: int) -> str:
            return url_for("trial", name=name, number=number)

        def html(report: Report) -> tuple[str, str]:
            return export.report_header(report, trial_link=link), study_sections(report, link)

        # The tables' HTML is rendered once per version, like the data.
        key, report, (header, sections) = reports.derived(study, "html", html)
        files = list(export.csv_frames(report)) + ["report.html"]
        return page(
            pages.STUDY,
            title=name,
            report=report,
            header=header,
            sections=sections,
            files=files,
            name=name,
            version=list(key),
            figures=figure_settings(),
            # plotly.js after the table, unless the header inlines a figure (a Pareto front).
            plotly_later=not report.multi_objective,
        )

    @app.get("/api/study/<name>/data")
    def data_json(name: str):
        """The trial table and figure data as of the study's version: one compact JSON, built
        once per version; a reload revalidates it (ETag) instead of fetching it again."""
        study = study_or_404(name)

        def data(report: Report) -> tuple[bytes, bytes]:
            body = to_json(study_data(report))
            return body, gzip.compress(body, 6)  # compressed once per version too

        key, _, (body, compressed) = reports.derived(study, "data", data)
        response = Response(body, mimetype="application/json")
        tag = "-".join(map(str, key))
        if _accepts_gzip():
            response.set_data(compressed)
            response.headers["Content-Encoding"] = "gzip"
            tag += "-gz"
        response.set_etag(tag)
        response.headers["Cache-Control"] = "no-cache"
        response.vary.add("Accept-Encoding")
        return response.make_conditional(request)

    @app.get("/api/study/<name>/curves")
    def curves_json(name: str):
        text = request.args.get("trials", "")
        try:
            numbers = [int(part) for part in text.split(",") if part.strip()][:MAX_CURVES]
        except ValueError:
            abort(400, "trials= takes trial numbers separated by commas, e.g. trials=3,7")
        return jsonify(curves(engine, study_or_404(name), numbers))

    @app.get("/api/study/<name>/live")
    def live(name: str):
        return jsonify(live_state(engine, study_or_404(name)))

    @app.get("/study/<name>/trial/<int:number>")
    def trial(name: str, number: int):
        info = study_or_404(name)
        # Trial numbers are 32-bit in Optuna's schema; a larger one would overflow the driver.
        detail = trial_detail(engine, info, number) if number < 2**31 else None
        if detail is None:
            abort(404, f"study {name!r} has no trial {number}")
        metric = info.definition.get("metric", "value")
        curves = (
            figures.curves_figure(detail["epochs"], metric, f"Trial {number}")
            if len(detail["epochs"])
            else None
        )
        return page(
            pages.TRIAL,
            title=f"{name} trial {number}",
            name=name,
            d=detail,
            traceback=detail["attrs"].get(TRACEBACK_ATTR),
            attrs={k: v for k, v in detail["attrs"].items() if k != TRACEBACK_ATTR},
            metric=metric,
            fmt=export.fmt,
            epochs=export.table_html(
                export.display(detail["epochs"].drop(columns=["trial", "trial_id"]))
            )
            if len(detail["epochs"])
            else "",
            figure=export.figure_html(curves) if curves else "",
        )

    @app.get("/study/<name>/files/<filename>")
    def download(name: str, filename: str):
        _, report = reports.get(study_or_404(name))
        if filename == "report.html":
            return Response(
                export.standalone_html(report),
                mimetype="text/html",
                headers={"Content-Disposition": f"attachment; filename={quote(name)}-report.html"},
            )
        frame = export.csv_frames(report).get(filename)
        if frame is None:
            abort(404)
        text = StringIO()
        frame.to_csv(text, index=False)
        return Response(
            text.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={quote(name)}-{filename}"},
        )

    @app.get("/static/plotly.min.js")
    def plotly_js():
        return SCRIPTS["plotly_js"].response()  # 4.7 MB, 1.4 MB gzipped

    @app.get("/static/dashboard.js")
    def dashboard_js():
        return SCRIPTS["dashboard_js"].response()

    @app.after_request
    def compress(response: Response) -> Response:
        if (
            response.direct_passthrough
            or response.status_code != 200
            or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESSED
            or not _accepts_gzip()
        ):
            return response
        body = response.get_data()
        if len(body) < GZIP_MIN_BYTES:
            return response
        response.set_data(gzip.compress(body, compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response

    return app


def _script_url(endpoint: str) -> str:
    """A script's URL with its content's hash, under which browsers keep it (assets.py)."""
    return url_for(endpoint, v=SCRIPTS[endpoint].version)


def _accepts_gzip() -> bool:
    return "gzip" in request.accept_encodings


def _studies(engine) -> list[dict]:
    frame = list_studies(engine)
    return clean(frame.drop(columns=["study_id"]).to_dict(orient="records"))


class _ReportCache:
    """Full reports by study, rebuilt only when a trial is added or finishes (see reads.version)."""

    def __init__(self, engine, url: str):
        self.engine, self.url = engine, url
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()  # the dev server is threaded; build each report once

    def get(self, study) -> tuple[tuple, Report]:
        """The study's version and its report as of that version."""
        current, (report, _) = self._entry(study)
        return current, report

    def derived(self, study, what: str, build) -> tuple[tuple, Report, object]:
        """The study's version, its report and `build(report)`, built once per version: one
        version read, so the three always agree."""
        current, (report, derived) = self._entry(study)
        with self.lock:
            if what not in derived:
                derived[what] = build(report)
            return current, report, derived[what]

    def _entry(self, study) -> tuple[tuple, tuple[Report, dict]]:
        with self.engine.connect() as conn:
            current = reads.version(conn, study.study_id)
        key = (study.name, current)
        with self.lock:
            if key not in self.entries:
                for stale in [k for k in self.entries if k[0] == study.name]:
                    del self.entries[stale]
                report = build_report(self.engine, study.name, url=self.url)
                self.entries[key] = (report, {})
                while len(self.entries) > CACHED_REPORTS:
                    self.entries.popitem(last=False)
            self.entries.move_to_end(key)
            return current, self.entries[key]
