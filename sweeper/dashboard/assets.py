"""The dashboard's constant scripts (plotly.js and its own dashboard.js), each hashed and gzipped
once per process rather than on every request, and linked from the pages under a URL that
carries that hash (?v=), so a browser keeps a script until the code serving it changes."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable

from flask import Response, request

# The URL names this content: a change makes a new URL, so the browser may keep it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# Any other URL of it (no hash, or an old one): the browser asks each time; the ETag makes that
# a 304 while the script is unchanged.
REVALIDATE = "no-cache"
MIMETYPE = "application/javascript"


class Asset:
    """One script's bytes, their hash and their gzipped copy, each made on first use: plotly.js
    is 4.7 MB to read and gzip, which a process that serves no page never needs."""

    def __init__(self, text: Callable[[], str]):
        self._text = text
        self._made: dict[str, object] = {}
        # The server is threaded: each is made once, not once per thread that asks first.
        # Reentrant: the hash and the gzipped copy are made from the body.
        self._lock = threading.RLock()

    @property
    def body(self) -> bytes:
        return self._once("body", lambda: self._text().encode())

    @property
    def version(self) -> str:
        """A short hash of the content: what the pages put in the URL."""
        return self._once("version", lambda: hashlib.sha256(self.body).hexdigest()[:16])

    @property
    def gzipped(self) -> bytes:
        return self._once("gzipped", lambda: gzip.compress(self.body, compresslevel=9))

    def response(self) -> Response:
        """The script for the current request: gzipped when the browser takes it, cached for a
        year under the URL of this content, revalidated (ETag) under any other."""
        zipped = "gzip" in request.accept_encodings
        response = Response(self.gzipped if zipped else self.body, mimetype=MIMETYPE)
        if zipped:
            response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        response.set_etag(self.version + ("-gz" if zipped else ""))
        current = request.args.get("v") == self.version
        response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
        return response.make_conditional(request)

    def _once(self, name: str, make: Callable[[], object]):
        with self._lock:
            if name not in self._made:
                self._made[name] = make()
        return self._made[name]
