"""Downloading a background note's PDF from the public pages."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from tests.conftest import MINIMAL_PDF
from webinar_app.models import ModuleStatus


def _download_link(client, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'href="(/series/[^"]+/notes/[^"]+)"', html)
    assert match, "no note download link on the page"
    return match.group(1)


def test_module_page_links_a_note_that_downloads_as_a_valid_pdf(
    client, make_series, make_module, make_note
):
    module = make_module(make_series(), number=1)
    note = make_note(module, title="Prévention: the note (draft) v2", file_name="../../etc/passwd")

    url = _download_link(client, "/series/test-series/modules/1")
    response = client.get(url)

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == MINIMAL_PDF
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    assert response.headers["ETag"] == f'"{note.file_sha256}"'
    assert "max-age" in response.headers["Cache-Control"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    filename = re.search(r'filename="?([^";]+)', disposition).group(1)
    assert filename.endswith(".pdf")
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", filename)
    assert ".." not in filename and "/" not in filename


def test_download_answers_304_when_the_etag_matches(client, make_series, make_module, make_note):
    make_note(make_module(make_series(), number=1))
    url = _download_link(client, "/series/test-series/modules/1")
    etag = client.get(url).headers["ETag"]

    response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag

    changed = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_unpublished_note_is_not_listed_and_is_a_404(client, make_series, make_module, make_note):
    module = make_module(make_series(), number=1)
    note = make_note(module, title="Unpublished draft note", is_published=False)

    assert "Unpublished draft note" not in client.get("/series/test-series/modules/1").get_data(
        as_text=True
    )
    response = client.get(f"/series/test-series/modules/1/notes/{note.id}/note.pdf")
    assert response.status_code == 404


def test_note_of_another_module_or_series_is_a_404(client, make_series, make_module, make_note):
    series = make_series()
    make_module(series, number=1)
    other = make_module(series, number=2)
    note = make_note(other)
    make_module(make_series(slug="other-series"), number=2)

    assert client.get(f"/series/test-series/modules/1/notes/{note.id}/n.pdf").status_code == 404
    assert client.get(f"/series/other-series/modules/2/notes/{note.id}/n.pdf").status_code == 404
    assert client.get(f"/series/test-series/modules/2/notes/{note.id}/n.pdf").status_code == 200


def test_note_of_a_draft_module_is_a_404(client, make_series, make_module, make_note):
    module = make_module(make_series(), number=1, status=ModuleStatus.DRAFT.value)
    note = make_note(module)

    assert client.get(f"/series/test-series/modules/1/notes/{note.id}/n.pdf").status_code == 404


def test_external_link_note_is_linked_not_downloaded(client, make_series, make_module, make_note):
    module = make_module(make_series(), number=1)
    note = make_note(module, external_url="https://example.org/study.pdf", file_name=None,
                     file_size=None, file_sha256=None, file_pages=None, file_data=None)

    html = client.get("/series/test-series/modules/1").get_data(as_text=True)

    assert 'href="https://example.org/study.pdf"' in html
    assert "/notes/" not in html
    assert client.get(f"/series/test-series/modules/1/notes/{note.id}/n.pdf").status_code == 404
