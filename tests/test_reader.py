"""The Reader: built from the held 2021 demo edition, versions, publishing, safety."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import MINIMAL_PDF, csrf_token
from webinar_app.demo.edition_2021 import SLUG_2021
from webinar_app.demo.pdf import DEMO_LABEL
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    GoodPractice,
    ReaderBuild,
    Role,
    Series,
    Speaker,
    Summary,
)


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _series(slug: str) -> Series:
    db.session.expire_all()
    return db.session.scalar(select(Series).where(Series.slug == slug))


@pytest.fixture()
def demo_2021(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "thb-4ps-revisited-2021" in result.output
    return _series(SLUG_2021)


def test_reader_of_the_2021_demo_has_generated_pages_plus_the_notes_own_pages(
    runner, demo_2021, tmp_path
):
    target = tmp_path / "reader.pdf"
    result = runner.invoke(args=["reader", "build", "--series", SLUG_2021, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert re.search(r"Reader build 1 of thb-4ps-revisited-2021: \d+ pages", result.output)

    reader = PdfReader(BytesIO(target.read_bytes()))
    series = _series(SLUG_2021)
    modules = series.modules
    note_pages = [len(PdfReader(BytesIO(n.file_data)).pages) for m in modules for n in m.notes]
    generated = [p for p in reader.pages if DEMO_LABEL not in p.extract_text()]
    assert len(modules) == 4 and len(note_pages) == 4
    assert len(reader.pages) == len(generated) + sum(note_pages)
    build = db.session.scalar(select(ReaderBuild))
    assert (build.page_count, build.note_page_count) == (len(reader.pages), sum(note_pages))
    assert build.generated_page_count == len(generated) and not build.is_draft

    outline = reader.outline
    assert len(outline) == 4 and not any(isinstance(entry, list) for entry in outline)
    text = _text(reader)
    for entry, module in zip(outline, modules, strict=True):
        assert module.title in entry.title
        first_page = reader.pages[reader.get_destination_page_number(entry)]
        assert module.title in " ".join(first_page.extract_text().split())
        assert module.title in text
        for takeaway in module.summary.takeaway_list:
            assert takeaway in text
        for practice in module.summary.good_practices:
            assert practice.title in text
    assert reader.metadata.title == f"{series.title} – Reader"
    assert reader.metadata.author == "Khartoum Process Secretariat"
    assert "31 March 2021" in text and "30 June 2021" in text


def test_table_of_contents_gives_the_right_pages_after_the_notes_are_merged(
    runner, demo_2021, tmp_path
):
    target = tmp_path / "reader.pdf"
    assert runner.invoke(args=["reader", "build", "--series", SLUG_2021,
                               "-o", str(target)]).exit_code == 0
    reader = PdfReader(BytesIO(target.read_bytes()))
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    contents = pages[1]
    assert contents.startswith("Contents")
    for module in _series(SLUG_2021).modules:
        number = int(re.search(re.escape(module.title) + r"[ .]*?(\d+)\b", contents)[1])
        assert module.title in pages[number - 1]
        note = module.notes[0]
        note_page = int(re.search(re.escape(note.title) + r"[ .]*?(\d+)\b", contents)[1])
        own_text = " ".join(PdfReader(BytesIO(note.file_data)).pages[0].extract_text().split())
        assert pages[note_page - 1] == own_text


def _small_series(make_series, make_module, make_note):
    """Module 1 under Chatham House with a hostile summary and two notes; module 2 without
    a summary."""
    series = make_series()
    first = make_module(series, number=1, title="Protecting victims", is_chatham_house=True)
    second = make_module(series, number=2, title="Prosecuting traffickers")
    item = AgendaItem(module=first, position=0, kind="panel", title="Panel on shelters")
    item.speakers.append(Speaker(position=0, name="Jane Speaker", role="Director",
                                 organisation="Shelter NGO"))
    db.session.add(item)
    make_note(first, title="Uploaded note", data=MINIMAL_PDF)
    db.session.add(BackgroundNote(module=first, position=1, title="Linked note",
                                  abstract="What the linked note says.", is_published=True,
                                  external_url="https://example.org/note"))
    summary = Summary(
        module=first, state="published", attendance_figure=42,
        body_markdown=("Hello **world**.\n\n<script>alert('x')</script>\n\n"
                       "<img src=x onerror=\"alert('y')\">\n\n[click](javascript:alert('z'))"),
        key_takeaways="Shelters stayed open\nReferral works",
    )
    summary.good_practices.append(GoodPractice(
        title="Online counselling", presenter_organisation="Shelter NGO",
        presenter_name="Jane Speaker", country="KE", pillar="Protection",
        is_covid_adaptation=True))
    db.session.add(summary)
    db.session.commit()
    return series, first, second


def request_build(client, runner, page: str) -> str:
    """Ask for a build on the Reader page, run the waiting job as cron would; the job's page."""
    response = client.post(f"{page}/builds", data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 302
    job_page = response.headers["Location"]
    assert "Waiting to start" in client.get(job_page).get_data(as_text=True)
    result = runner.invoke(args=["reader", "run-pending"])
    assert result.exit_code == 0 and "1 Reader builds run." in result.output, result.output
    return job_page


def test_draft_build_marks_the_missing_summary_and_cannot_be_published(
    client, runner, make_user, login, make_series, make_module, make_note
):
    _small_series(make_series, make_module, make_note)
    login(make_user())
    page = "/admin/series/test-series/reader"
    assert "module(s) 2" in client.get(page).get_data(as_text=True)

    request_build(client, runner, page)
    build = db.session.scalar(select(ReaderBuild))
    assert build.is_draft and build.missing_modules == [2]
    reader = PdfReader(BytesIO(build.pdf))
    text = _text(reader)
    assert "Missing: the summary of this webinar has not been published yet." in text
    assert "Draft" in text

    response = client.post(f"{page}/builds/{build.id}/publish",
                           data={"csrf_token": csrf_token(client, page)}, follow_redirects=True)
    assert "lacks the published summary of module(s) 2" in response.get_data(as_text=True)
    assert client.get("/series/test-series/reader.pdf").status_code == 404


def test_reader_keeps_markdown_safe_and_hides_speakers_under_chatham_house(
    app, make_series, make_module, make_note
):
    from webinar_app.reader.services import build_reader_pdf

    series, _first, _second = _small_series(make_series, make_module, make_note)
    with app.test_request_context():
        result = build_reader_pdf(series)
    reader = PdfReader(BytesIO(result.pdf))
    text = _text(reader)
    assert "Hello world." in text
    assert "alert" not in text and "javascript" not in text
    assert b"javascript" not in result.pdf.lower()
    assert "Director, Shelter NGO" in text and "Jane Speaker" not in text
    assert "Shelters stayed open" in text and "42 participants" in text
    assert "What the linked note says." in text and "https://example.org/note" in text
    assert result.note_page_count == 1
    assert result.page_count == result.generated_page_count + 1
    assert [e.title for e in reader.outline] == [
        "Module 1 – Prevention: Protecting victims",
        "Module 2 – Prevention: Prosecuting traffickers",
    ]


def test_organiser_builds_publishes_and_the_public_downloads_the_reader(
    client, runner, make_user, login, demo_2021
):
    public = f"/series/{SLUG_2021}/reader.pdf"
    assert client.get(public).status_code == 404
    assert public not in client.get(f"/series/{SLUG_2021}").get_data(as_text=True)
    login(make_user("editor@example.org"))
    page = f"/admin/series/{SLUG_2021}/reader"
    request_build(client, runner, page)
    build = db.session.scalar(select(ReaderBuild))
    assert build.number == 1 and not build.is_draft
    html = client.get(page).get_data(as_text=True)
    assert "Complete" in html and f"/reader/builds/{build.id}.pdf" in html
    response = client.post(f"{page}/builds/{build.id}/publish",
                           data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 302

    series_page = client.get(f"/series/{SLUG_2021}").get_data(as_text=True)
    assert f'href="{public}"' in series_page and f"{build.page_count} pages" in series_page
    download = client.get(public)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert len(PdfReader(BytesIO(download.data)).pages) == build.page_count
    assert client.get(public, headers={"If-None-Match": download.headers["ETag"]}
                      ).status_code == 304


def test_reviewer_can_download_builds_but_not_build(client, make_user, login, make_series,
                                                   make_module):
    make_module(make_series(), number=1)
    login(make_user("reviewer@example.org", Role.REVIEWER.value))
    page = "/admin/series/test-series/reader"
    html = client.get(page).get_data(as_text=True)
    assert "Build the Reader" not in html
    assert client.post(f"{page}/builds", data={"csrf_token": csrf_token(client, page)}
                       ).status_code == 403


def test_reader_cli_refuses_an_unknown_series(runner, tmp_path):
    result = runner.invoke(args=["reader", "build", "--series", "nope",
                                 "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and "No series with the slug 'nope'" in result.output
