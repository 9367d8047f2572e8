"""The dashboard's two scripts are gzipped once per process, not per request, and linked under a
URL that carries their content's hash, under which a browser keeps them; under any other URL
they are revalidated. The JSON the pages fetch is never kept."""

from __future__ import annotations

import gzip
import re
import threading
import time

import pytest
from flask import Flask

from sweeper.dashboard.app import create_app
from sweeper.dashboard.assets import IMMUTABLE, REVALIDATE, Asset
from sweeper.dashboard.scripts import DASHBOARD_JS
from sweeper.report import export
from tests.report.conftest import write_known_study

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def client(tmp_path):
    url = f"sqlite:///{tmp_path / 'known.db'}"
    write_known_study(url)
    return create_app(url).test_client()


@pytest.fixture
def compressions(monkeypatch) -> list[int]:
    """The size of everything gzip.compress is given from here on."""
    calls, compress = [], gzip.compress

    def counted(data, *args, **kwargs):
        calls.append(len(data))
        return compress(data, *args, **kwargs)

    monkeypatch.setattr(gzip, "compress", counted)
    return calls


def script_urls(client) -> dict[str, str]:
    """Script path → the URL the study page links it under."""
    page = client.get("/study/batch").get_data(as_text=True)
    urls = re.findall(r"/static/[\w.]+\.js\?v=[0-9a-f]+", page)
    return {url.split("?")[0]: url for url in urls}


def test_the_pages_link_the_scripts_under_their_hash_and_browsers_keep_them(client, compressions):
    urls = script_urls(client)
    assert set(urls) == {"/static/plotly.min.js", "/static/dashboard.js"}
    for _ in range(3):
        response = client.get(urls["/static/dashboard.js"], headers=GZIP)
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == DASHBOARD_JS.encode()
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert "Accept-Encoding" in response.headers["Vary"]
    # Once for the first of these requests, or not at all if an earlier test made the copy.
    assert len(compressions) <= 1
    plotly = client.get(urls["/static/plotly.min.js"], headers=GZIP)
    assert plotly.headers["Cache-Control"] == IMMUTABLE
    assert gzip.decompress(plotly.data).decode() == export.plotly_js()


def test_a_script_under_another_url_is_revalidated(client):
    """/static/dashboard.js alone (bench/dashboard.py) or with an old hash: the browser asks
    again each time, and a 304 answers while the script is unchanged."""
    plain = client.get("/static/dashboard.js")
    assert plain.data == DASHBOARD_JS.encode() and "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == REVALIDATE and plain.headers["ETag"]
    old = client.get("/static/dashboard.js?v=0123456789abcdef", headers=GZIP)
    assert old.headers["Cache-Control"] == REVALIDATE
    again = client.get(
        "/static/dashboard.js?v=0123456789abcdef",
        headers={**GZIP, "If-None-Match": old.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""


def test_the_json_the_pages_fetch_is_never_kept(client):
    for path in (
        "/api/studies",
        "/api/study/batch/live",
        "/api/study/batch/curves?trials=0,2",
        "/study/batch",
    ):
        response = client.get(path, headers=GZIP)
        assert response.status_code == 200
        assert "max-age" not in response.headers.get("Cache-Control", ""), path
    assert client.get("/api/study/batch/data").headers["Cache-Control"] == "no-cache"


def test_an_asset_is_gzipped_once_however_many_threads_ask(compressions):
    def slow_text() -> str:
        time.sleep(0.05)  # long enough for every thread to ask before the first copy is made
        return "x" * 5000

    asset = Asset(slow_text)
    copies = []
    threads = [threading.Thread(target=lambda: copies.append(asset.gzipped)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compressions == [5000] and len({id(copy) for copy in copies}) == 1
    with Flask(__name__).test_request_context(f"/a.js?v={asset.version}", headers=GZIP):
        for _ in range(3):
            assert gzip.decompress(asset.response().get_data()) == b"x" * 5000
    assert compressions == [5000]


def test_the_hash_follows_the_content():
    assert Asset(lambda: "a").version == Asset(lambda: "a").version
    assert Asset(lambda: "a").version != Asset(lambda: "b").version
