"""Background notes on the organiser pages: PDF uploads checked by content, links, limits."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from fpdf import FPDF
from sqlalchemy import select

from config import TestConfig
from tests.conftest import MINIMAL_PDF, csrf_token
from webinar_app import create_app
from webinar_app.extensions import db
from webinar_app.models import BackgroundNote, Role

NEW_NOTE = "/admin/series/test-series/modules/1/notes/new"


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def three_page_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(3):
        pdf.add_page()
        pdf.cell(text=f"Page {number + 1}")
    return bytes(pdf.output())


def note_form(client, url: str = NEW_NOTE, **overrides) -> dict:
    values = {
        "csrf_token": csrf_token(client, url),
        "title": "Prevention note",
        "language": "en",
        "abstract": "What prevention means.",
        "external_url": "",
        "is_published": "y",
        "is_prereading": "y",
    }
    values.update(overrides)
    return values


@pytest.fixture()
def module(make_series, make_module, make_user, login):
    login(make_user("organiser@example.org", Role.ORGANISER.value))
    return make_module(make_series())


def test_uploaded_pdf_is_stored_with_hash_size_and_pages(client, module):
    data = three_page_pdf()
    form = note_form(client, file=(io.BytesIO(data), "../../Note 1 (final).PDF"))
    response = client.post(NEW_NOTE, data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    note = db.session.scalar(select(BackgroundNote))
    assert note.file_sha256 == hashlib.sha256(data).hexdigest()
    assert note.file_size == len(data)
    assert note.file_pages == 3
    assert note.file_data == data
    assert note.file_name == "Note_1_final.pdf"
    assert note.external_url is None
    html = client.get("/admin/series/test-series/modules/1").get_data(as_text=True)
    assert "3 pages" in html


def test_minimal_pdf_from_the_fixtures_is_accepted(client, module):
    form = note_form(client, file=(io.BytesIO(MINIMAL_PDF), "note.pdf"))
    assert client.post(NEW_NOTE, data=form, content_type="multipart/form-data").status_code == 302
    assert db.session.scalar(select(BackgroundNote.file_pages)) == 1


def test_text_file_named_pdf_is_refused_next_to_the_file_field(client, module):
    form = note_form(client, file=(io.BytesIO(b"just some text, not a PDF"), "note.pdf"))
    response = client.post(NEW_NOTE, data=form, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "not a PDF" in field_error(html, "file")
    assert 'value="Prevention note"' in html
    assert db.session.scalar(select(BackgroundNote)) is None


def test_damaged_pdf_is_refused(client, module):
    form = note_form(client, file=(io.BytesIO(b"%PDF-1.7\nrubbish"), "note.pdf"))
    response = client.post(NEW_NOTE, data=form, content_type="multipart/form-data")
    assert "could not be read as a PDF" in field_error(response.get_data(as_text=True), "file")


def test_link_must_be_https(client, module):
    form = note_form(client, external_url="http://example.org/note.pdf")
    response = client.post(NEW_NOTE, data=form, content_type="multipart/form-data")
    assert "https://" in field_error(response.get_data(as_text=True), "external_url")


def test_https_link_note_is_saved(client, module):
    form = note_form(client, external_url="https://example.org/note.pdf")
    assert client.post(NEW_NOTE, data=form, content_type="multipart/form-data").status_code == 302
    note = db.session.scalar(select(BackgroundNote))
    assert note.external_url == "https://example.org/note.pdf"
    assert not note.has_file


def test_file_and_link_together_or_neither_are_refused(client, module):
    both = note_form(client, external_url="https://example.org/n.pdf",
                     file=(io.BytesIO(MINIMAL_PDF), "note.pdf"))
    html = client.post(NEW_NOTE, data=both, content_type="multipart/form-data").get_data(True)
    assert "not both" in field_error(html, "file")
    neither = note_form(client)
    html = client.post(NEW_NOTE, data=neither, content_type="multipart/form-data").get_data(True)
    assert "Upload a PDF or give an https link" in field_error(html, "file")


def test_abstract_over_1000_characters_is_refused(client, module):
    form = note_form(client, abstract="x" * 1001, external_url="https://example.org/n.pdf")
    response = client.post(NEW_NOTE, data=form, content_type="multipart/form-data")
    assert "at most 1000 characters" in field_error(response.get_data(as_text=True), "abstract")


def test_note_is_replaced_unpublished_and_deleted(client, module, make_note):
    note = make_note(module)
    edit_url = f"/admin/series/test-series/modules/1/notes/{note.id}/edit"
    new_pdf = three_page_pdf()
    form = note_form(client, edit_url, title="Revised", file=(io.BytesIO(new_pdf), "v2.pdf"))
    assert client.post(edit_url, data=form, content_type="multipart/form-data").status_code == 302
    db.session.refresh(note)
    assert (note.title, note.file_pages, note.file_name) == ("Revised", 3, "v2.pdf")
    kept = note_form(client, edit_url, title="Retitled")
    assert client.post(edit_url, data=kept, content_type="multipart/form-data").status_code == 302
    db.session.refresh(note)
    assert (note.title, note.file_sha256) == ("Retitled", hashlib.sha256(new_pdf).hexdigest())
    token = csrf_token(client, "/admin/")
    base = f"/admin/series/test-series/modules/1/notes/{note.id}"
    client.post(f"{base}/unpublish", data={"csrf_token": token})
    db.session.refresh(note)
    assert note.is_published is False
    client.post(f"{base}/delete", data={"csrf_token": token})
    assert db.session.scalar(select(BackgroundNote)) is None


@pytest.fixture()
def small_limit(app, module):
    """The app's upload limit lowered to 2,000 bytes for this test."""
    app.config["MAX_CONTENT_LENGTH"] = 2000
    return module


def test_upload_over_the_limit_gets_a_message_and_keeps_the_typed_fields(client, small_limit):
    big = MINIMAL_PDF + b"%" + b"x" * 5000 + b"\n"
    form = note_form(client, file=(io.BytesIO(big), "big.pdf"))
    response = client.post(NEW_NOTE, data=form, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "larger than the limit of 2 KB" in field_error(html, "file")
    assert 'value="Prevention note"' in html
    assert db.session.scalar(select(BackgroundNote)) is None


def test_request_far_over_the_limit_becomes_a_form_message(client, small_limit):
    huge = b"%PDF-1.4\n" + b"x" * (400 * 1024)
    form = note_form(client, file=(io.BytesIO(huge), "huge.pdf"))
    response = client.post(NEW_NOTE, data=form, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "larger than the limit of 2 KB" in field_error(html, "file")
    assert '<form method="post" enctype="multipart/form-data"' in html
    assert db.session.scalar(select(BackgroundNote)) is None


def test_default_upload_limit_is_twenty_megabytes():
    app = create_app(TestConfig)
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
