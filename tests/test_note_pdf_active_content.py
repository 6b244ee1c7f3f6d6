"""Background-note PDFs with JavaScript, launch actions or attached files are refused on upload."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)
from sqlalchemy import select

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.models import BackgroundNote, Role
from webinar_app.notes.services import NoteFileError, check_pdf, find_active_content

NEW_NOTE = "/admin/series/test-series/modules/1/notes/new"


def _pdf(build) -> bytes:
    """A one-page PDF written by pypdf after `build(writer)` added what the test wants."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _action(kind: str, **values) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action"),
                               NameObject("/S"): NameObject(kind)})
    for key, value in values.items():
        action[NameObject(f"/{key}")] = value
    return action


def _annotation(writer: PdfWriter, **values) -> None:
    annotation = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 100, 30)]),
    })
    for key, value in values.items():
        annotation[NameObject(f"/{key}")] = value
    page = writer.pages[0]
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _js() -> DictionaryObject:
    return _action("/JavaScript", JS=TextStringObject("app.alert('hello');"))


def _launch() -> DictionaryObject:
    return _action("/Launch", F=TextStringObject("calc.exe"))


def _names_tree() -> DictionaryObject:
    scripts = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("init"),
                                                                   _js()])})
    return DictionaryObject({NameObject("/JavaScript"): scripts})


def _uri() -> DictionaryObject:
    return _action("/URI", URI=TextStringObject("https://example.org/"))


HOSTILE = {
    "add_open_action (names tree)": (
        lambda w: w.add_open_action(JavaScript("app.alert('hello');")), "JavaScript"),
    "document JavaScript names tree": (
        lambda w: w._root_object.__setitem__(NameObject("/Names"), _names_tree()), "JavaScript"),
    "open action JavaScript": (
        lambda w: w._root_object.__setitem__(NameObject("/OpenAction"), _js()), "JavaScript"),
    "open action Launch": (
        lambda w: w._root_object.__setitem__(NameObject("/OpenAction"), _launch()),
        "starts another program"),
    "catalog additional action": (
        lambda w: w._root_object.__setitem__(
            NameObject("/AA"), DictionaryObject({NameObject("/WC"): _js()})), "JavaScript"),
    "page additional action": (
        lambda w: w.pages[0].__setitem__(
            NameObject("/AA"), DictionaryObject({NameObject("/O"): _launch()})),
        "starts another program"),
    "annotation JavaScript action": (lambda w: _annotation(w, A=_js()), "JavaScript"),
    "annotation launch action": (lambda w: _annotation(w, A=_launch()), "starts another program"),
    "chained Next after a link": (
        lambda w: _annotation(w, A=_action("/URI", URI=TextStringObject("https://x.org"),
                                           Next=_js())), "JavaScript"),
    "embedded file": (lambda w: w.add_attachment("tool.exe", b"MZ not really"), "attached files"),
}


@pytest.fixture()
def module(make_series, make_module, make_user, login):
    login(make_user("organiser@example.org", Role.ORGANISER.value))
    return make_module(make_series())


def _upload(client, data: bytes):
    form = {"csrf_token": csrf_token(client, NEW_NOTE), "title": "Prevention note",
            "language": "en", "abstract": "", "external_url": "", "is_published": "y",
            "file": (io.BytesIO(data), "note.pdf")}
    return client.post(NEW_NOTE, data=form, content_type="multipart/form-data")


def _field_error(html: str) -> str:
    match = re.search(r'<p class="error" id="file-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


@pytest.mark.parametrize("case", list(HOSTILE))
def test_active_pdf_is_refused_next_to_the_upload_field(client, module, case):
    build, message = HOSTILE[case]
    data = _pdf(build)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1  # a readable PDF, not a damaged one
    response = _upload(client, data)
    assert response.status_code == 200
    error = _field_error(response.get_data(as_text=True))
    assert message in error, (case, error)
    assert "upload that copy" in error
    assert db.session.scalar(select(BackgroundNote)) is None


def test_plain_pdf_with_a_web_link_is_accepted(client, module):
    data = _pdf(lambda w: _annotation(w, A=_uri()))
    assert find_active_content(PdfReader(io.BytesIO(data))) is None
    assert _upload(client, data).status_code == 302
    assert db.session.scalar(select(BackgroundNote.file_pages)) == 1


@pytest.mark.parametrize("case", list(HOSTILE))
def test_check_refuses_without_a_request(app, case):
    """The service refuses the same files for every caller (admin form, CLI, imports)."""
    build, message = HOSTILE[case]
    with pytest.raises(NoteFileError, match=message):
        check_pdf(_pdf(build), "note.pdf")


def test_demo_notes_pass_the_same_check(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    notes = db.session.scalars(select(BackgroundNote).where(BackgroundNote.file_data.is_not(None)))
    checked = [check_pdf(note.file_data, note.file_name) for note in notes]
    assert checked and all(c.pages >= 1 for c in checked)
