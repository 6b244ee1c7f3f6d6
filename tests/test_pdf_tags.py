"""The Reader and the certificates are tagged PDFs a screen reader can read: a structure tree
with headings, the document language and a title shown in the window; the notes' pages keep
their own tags when they have some."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from webinar_app.core.tokens import issue_token
from webinar_app.demo.edition_2021 import SLUG_2021
from webinar_app.extensions import db
from webinar_app.models import ModuleStatus, Person, Registration, Series


def _elements(reader: PdfReader) -> list[dict]:
    """Every structure element of the file, depth first."""
    found, pending = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while pending:
        node = pending.pop().get_object()
        kids = node.get("/K")
        kids = kids.get_object() if kids is not None else []
        for kid in kids if isinstance(kids, list) else [kids]:
            element = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(element, dict) and "/S" in element:
                found.append(element)
                pending.append(element)
    return found


def _page_index(reader: PdfReader) -> dict[int, int]:
    return {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}


def _assert_tagged(reader: PdfReader, language: str, title: str) -> list[dict]:
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert root["/Lang"] == language
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    assert reader.metadata.title == title
    tree = root["/StructTreeRoot"]
    assert tree["/K"][0].get_object()["/S"] == "/Document"
    elements = _elements(reader)
    pages = _page_index(reader)
    assert all(e.raw_get("/Pg").idnum in pages for e in elements if "/Pg" in e), "dangling /Pg"
    return elements


def _pages_with(elements: list[dict], role: str, reader: PdfReader) -> set[int]:
    pages = _page_index(reader)
    return {pages[e.raw_get("/Pg").idnum] for e in elements if e["/S"] == role and "/Pg" in e}


@pytest.fixture()
def demo_2021(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    return db.session.scalar(select(Series).where(Series.slug == SLUG_2021))


def _build(runner, tmp_path, language: str) -> PdfReader:
    target = tmp_path / f"reader-{language}.pdf"
    result = runner.invoke(args=["reader", "build", "--series", SLUG_2021, "--language",
                                 language, "-o", str(target)])
    assert result.exit_code == 0, result.output
    return PdfReader(BytesIO(target.read_bytes()))


@pytest.mark.parametrize(("language", "word", "contents"),
                         [("en", "Reader", "Contents"), ("fr", "Recueil", "Sommaire")])
def test_the_2021_reader_is_tagged_in_its_language(runner, demo_2021, tmp_path, language,
                                                   word, contents):
    series_title = demo_2021.title if language == "en" else demo_2021.title_fr
    note_pages = sum(n.file_pages or 0 for m in demo_2021.modules for n in m.notes
                     if n.has_file and n.is_published)
    reader = _build(runner, tmp_path, language)
    elements = _assert_tagged(reader, language, f"{series_title} – {word}")

    assert contents in reader.pages[1].extract_text()
    headings = _pages_with(elements, "/H1", reader)
    assert 1 in headings  # the contents page
    module_pages = {reader.get_destination_page_number(entry) for entry in reader.outline}
    assert len(module_pages) == len(demo_2021.modules) and module_pages <= headings
    assert module_pages & _pages_with(elements, "/H2", reader)
    assert _pages_with(elements, "/TH", reader)  # the agenda tables have header cells
    pages = _page_index(reader)

    # The demo notes (fpdf2) are untagged: their pages are there, untied to the tree, and
    # the file no longer claims PDF/UA-1.
    tagged_pages = {pages[e.raw_get("/Pg").idnum] for e in elements if "/Pg" in e}
    untagged = [i for i in range(len(reader.pages)) if i not in tagged_pages]
    assert note_pages and len(untagged) == note_pages
    assert all("/StructParents" not in reader.pages[i] for i in untagged)
    assert b"pdfuaid:part" not in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def _tagged_note() -> bytes:
    import weasyprint
    html = ('<html lang="en"><head><title>Tagged note</title></head><body>'
            '<h1>Tagged note heading</h1><p>First page.</p>'
            '<h2 style="break-before: page">Second part</h2>'
            '<p>See <a href="https://example.org/more">more</a>.</p></body></html>')
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def test_a_tagged_note_keeps_its_tags_under_a_part(runner, demo_2021, tmp_path):
    note = next(n for m in demo_2021.modules for n in m.notes
                if n.has_file and n.is_published and n.language == "en")
    note.file_data = _tagged_note()
    db.session.commit()
    reader = _build(runner, tmp_path, "en")
    elements = _assert_tagged(reader, "en", f"{demo_2021.title} – Reader")

    part = next(e for e in elements if e["/S"] == "/Part" and e.get("/T") == note.title)
    assert part["/P"].get_object()["/S"] == "/Document"
    assert part["/Lang"] == "en"
    inside = _elements_under(part)
    pages = _page_index(reader)
    heading = next(e for e in inside if e["/S"] == "/H1")
    first = pages[heading.raw_get("/Pg").idnum]
    assert "Tagged note heading" in reader.pages[first].extract_text()
    second = reader.pages[first + 1]
    assert "Second part" in second.extract_text()

    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    nums = tree["/ParentTree"]["/Nums"]
    entries = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    assert len(entries) == len(set(entries))
    for page in (reader.pages[first], second):
        marked = entries[page["/StructParents"]]
        assert marked and all(ref.get_object()["/S"] for ref in marked)
    link = next(a.get_object() for a in second["/Annots"]
                if a.get_object()["/A"]["/URI"] == "https://example.org/more")
    assert entries[link["/StructParent"]]["/S"] == "/Link"
    assert int(tree["/ParentTreeNextKey"]) > max(entries)


def _elements_under(part) -> list[dict]:
    found, pending = [], [part]
    while pending:
        node = pending.pop()
        kids = node.get("/K")
        kids = kids.get_object() if kids is not None else []
        for kid in kids if isinstance(kids, list) else [kids]:
            element = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(element, dict) and "/S" in element:
                assert element.raw_get("/P").idnum == node.indirect_reference.idnum
                found.append(element)
                pending.append(element)
    return found


@pytest.fixture()
def participant(make_series, make_module):
    series = make_series(title_fr="Série d'essai")
    held_at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)
    module = make_module(series, number=1, title="Preventing labour exploitation",
                         title_fr="Prévenir l'exploitation par le travail", starts_at=held_at,
                         status=ModuleStatus.HELD.value)
    person = Person(series=series, email="amina@example.org", full_name="Amina Diallo",
                    language="fr")
    person.registrations.append(Registration(module=module, attendance="attended"))
    db.session.add(person)
    token = issue_token(person)
    db.session.commit()
    return person, token


@pytest.mark.parametrize(("language", "title"),
                         [("fr", "Attestation de participation – Amina Diallo"),
                          ("en", "Certificate of attendance – Amina Diallo")])
def test_certificates_are_tagged_in_the_participants_language(client, participant, language,
                                                               title):
    person, token = participant
    person.language = language
    db.session.commit()
    response = client.get(f"/me/{token}/certificate.pdf")
    assert response.status_code == 200
    reader = PdfReader(BytesIO(response.data))
    elements = _assert_tagged(reader, language, title)
    assert _pages_with(elements, "/H1", reader) == {0}
    assert any(e["/S"] == "/Link" for e in elements)
    assert b'pdfuaid:part="1"' in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
