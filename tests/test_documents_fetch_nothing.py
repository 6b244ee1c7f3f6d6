"""PDF documents (the Reader, certificates) fetch nothing but the app's own static files."""

from __future__ import annotations

import http.server
import logging
import threading
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import MINIMAL_PDF
from tests.mailsink import free_port
from webinar_app.core.documents import FetchRefused, render_document, safe_url_fetcher
from webinar_app.core.tokens import issue_token
from webinar_app.extensions import db
from webinar_app.models import Person, Registration, Summary, SummaryState


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a tiny PNG and records the path."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *_args):
        pass


@pytest.fixture()
def local_server():
    """A real HTTP server on a free loopback port; yields (base URL, requests received)."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    server.shutdown()
    server.server_close()
    thread.join()


def _hostile(base: str, tag: str) -> str:
    return (f'<img src="{base}/{tag}.png"> <link rel="stylesheet" href="file:///etc/passwd">'
            f' <img src="file:///etc/passwd"> ![x]({base}/{tag}-md.png)'
            f' <object data="{base}/{tag}-object"></object>')


def test_reader_and_certificate_make_no_request(
    app, client, runner, make_series, make_module, make_note, local_server, tmp_path
):
    base, received = local_server
    series = make_series(title=f'Series title <img src="{base}/series.png">')
    module = make_module(series, title="Module", thematic_focus=_hostile(base, "focus"),
                         status="held")
    make_note(module, abstract=_hostile(base, "abstract"), data=MINIMAL_PDF)
    db.session.add(Summary(module=module, state=SummaryState.PUBLISHED.value,
                           body_markdown=f"Summary text.\n\n{_hostile(base, 'summary')}\n",
                           key_takeaways=_hostile(base, "takeaway"),
                           published_at=datetime.now(UTC)))
    person = Person(series=series, email="amina@example.org",
                    full_name=f'Amina <img src="{base}/name.png">', organisation="Ministry")
    person.registrations.append(Registration(module=module, attendance="attended"))
    db.session.add(person)
    token = issue_token(person)
    db.session.commit()

    target = tmp_path / "reader.pdf"
    result = runner.invoke(args=["reader", "build", "--series", series.slug, "-o", str(target)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(BytesIO(target.read_bytes()))
    assert "Summary text." in " ".join(p.extract_text() for p in reader.pages)

    response = client.get(f"/me/{token}/certificate.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)
    certificate = PdfReader(BytesIO(response.data))
    assert len(certificate.pages) == 1
    assert received == []


def test_raw_html_with_remote_and_file_resources_renders_without_fetching(
    app, local_server, caplog
):
    """Even HTML that escaped every template would fetch nothing: the fetcher refuses."""
    base, received = local_server
    html = (f'<html><head><link rel="stylesheet" href="{base}/style.css">'
            '<link rel="stylesheet" href="file:///etc/passwd"></head>'
            f'<body><p>Hello</p><img src="{base}/image.png"><img src="https://127.0.0.1:1/x.png">'
            '<img src="file:///etc/passwd"><img src="../../../../etc/passwd">'
            '<link rel="stylesheet" href="/static/site.css"></body></html>')
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_document(html).write_pdf()
    assert received == []
    assert len(PdfReader(BytesIO(pdf)).pages) == 1
    refused = caplog.text
    assert f"{base}/image.png" in refused and "file:///etc/passwd" in refused


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://127.0.0.1:{port}/x.png",
    "https://127.0.0.1:{port}/x.png",
    "http://evil.example/static/site.css",
    "{base}/static/../config.py",
    "{base}/static/%2e%2e/__init__.py",
    "{base}/static/..%2f__init__.py",
    "{base}/static/",
    "{base}/static/does-not-exist.css",
    "{base}/templates/base.html",
    "data:image/png;base64,iVBORw0KGgo=",
    "ftp://127.0.0.1/x",
])
def test_fetcher_refuses_anything_but_static_files(app, local_server, url):
    base, received = local_server
    port = base.rsplit(":", 1)[1]
    site = app.config["BASE_URL"].rstrip("/")
    fetcher = safe_url_fetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch(url.format(port=port, base=site))
    assert received == []


def test_fetcher_serves_the_apps_static_files(app):
    site = app.config["BASE_URL"].rstrip("/")
    fetcher = safe_url_fetcher()
    response = fetcher.fetch(f"{site}/static/site.css")
    expected = (Path(app.static_folder) / "site.css").read_bytes()
    assert response.read() == expected
    assert response.content_type == "text/css"
    response.close()
