"""PDF documents fetch nothing: WeasyPrint may read the app's own static files and no other URL.

Every PDF the application lays out goes through `render_document`, whose `weasyprint.HTML`
gets `base_url=document_base_url()` and `url_fetcher=safe_url_fetcher()`. A URL under the
site's static path (`BASE_URL` + `/static/`, which is also where a relative `/static/...`
resolves) is read from `webinar_app/static/` on disk, never over the network; `file:`,
`http:`, `https:`, `data:` and every other URL is refused with an exception, which WeasyPrint
logs before it renders the document without that resource.
"""

from __future__ import annotations

import mimetypes
import warnings
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from werkzeug.security import safe_join

from webinar_app.core.urls import external_url


class FetchRefused(ValueError):
    """A document asked for a resource outside the app's static files."""


def document_base_url() -> str:
    """The base URL documents are rendered against (relative URLs stay on the site)."""
    return current_app.config["BASE_URL"].rstrip("/") + "/"


def static_prefix() -> str:
    """The absolute URL prefix of the app's static files, ending in '/' (from the route)."""
    return external_url("static", filename="")


def static_file_for(url: str, prefix: str, folder: str) -> Path | None:
    """The static file a URL names, or None when the URL is anything else."""
    parts = urlsplit(url)
    plain = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if parts.scheme not in ("http", "https") or not plain.startswith(prefix):
        return None
    relative = unquote(plain[len(prefix):])
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    joined = safe_join(folder, relative)
    if joined is None:
        return None
    path = Path(joined)
    return path if path.is_file() else None


@cache
def _fetcher_class() -> type:
    """The WeasyPrint URLFetcher subclass, built on first use (WeasyPrint loads slowly)."""
    with warnings.catch_warnings():
        # WeasyPrint warns at import time when HarfBuzz-Subset is missing; fonts still embed.
        warnings.simplefilter("ignore", DeprecationWarning)
        # reason: WeasyPrint takes a second to load; only processes that make a PDF pay it
        from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves files of one static folder under one URL prefix; refuses everything else."""

        def __init__(self, prefix: str, folder: str) -> None:
            super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
            self.prefix = prefix
            self.folder = folder

        def fetch(self, url: str, headers=None):
            path = static_file_for(url, self.prefix, self.folder)
            if path is None:
                raise FetchRefused(f"documents fetch only the site's static files, not {url}")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    return StaticOnlyFetcher


def safe_url_fetcher():
    """A WeasyPrint url_fetcher that serves only the app's static files (webinar_app/static/)."""
    return _fetcher_class()(static_prefix(), str(current_app.static_folder))


def render_document(html: str):
    """WeasyPrint's laid-out document for the HTML (page count and anchors known), fetching
    nothing but the app's static files."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import weasyprint  # reason: slow to load (see _fetcher_class)
    return weasyprint.HTML(string=html, base_url=document_base_url(),
                           url_fetcher=safe_url_fetcher()).render()
