"""The Reader in English and in French: each with its own contents page, outline, title and
language, built from the organiser page or the CLI, and offered per language to the public."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import csrf_token
from webinar_app.demo.edition_2021 import SLUG_2021
from webinar_app.demo.edition_2021_fr import HELD_FR
from webinar_app.extensions import db
from webinar_app.models import BackgroundNote, ReaderBuild, Series

PAGE = f"/admin/series/{SLUG_2021}/reader"


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _series() -> Series:
    db.session.expire_all()
    return db.session.scalar(select(Series).where(Series.slug == SLUG_2021))


@pytest.fixture()
def demo_2021(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return _series()


def _build(runner, tmp_path, language: str) -> PdfReader:
    target = tmp_path / f"reader-{language}.pdf"
    result = runner.invoke(args=["reader", "build", "--series", SLUG_2021, "--language",
                                 language, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"language {language}" in result.output
    return PdfReader(BytesIO(target.read_bytes()))


def test_french_reader_of_the_2021_demo_has_french_contents_outline_and_language(
    runner, demo_2021, tmp_path
):
    reader = _build(runner, tmp_path, "fr")
    modules = _series().modules
    contents = " ".join(reader.pages[1].extract_text().split())
    assert "Sommaire" in contents and "Avant-propos" in contents
    assert "Contents" not in contents and "Foreword" not in contents
    assert [entry.title for entry in reader.outline] == [
        f"Module {m.number} – {m.pillar_fr} : {m.title_fr}" for m in modules
    ]
    for entry, module in zip(reader.outline, modules, strict=True):
        first_page = reader.pages[reader.get_destination_page_number(entry)]
        assert module.title_fr in " ".join(first_page.extract_text().split())
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert reader.metadata.title == (
        "La traite des êtres humains : les 4P revisités (2021) – Recueil")
    text = _text(reader)
    assert "Résumé de démonstration rédigé pour la démonstration de cette application" in text
    assert "Compte rendu" in text and "31 mars 2021" in text
    for takeaway in HELD_FR[1].takeaways:
        assert takeaway in text
    assert db.session.scalar(select(ReaderBuild)).language == "fr"


def test_english_reader_stays_english(runner, demo_2021, tmp_path):
    reader = _build(runner, tmp_path, "en")
    contents = " ".join(reader.pages[1].extract_text().split())
    assert "Contents" in contents and "Foreword" in contents
    assert reader.outline[0].title.startswith("Module 1 – Prevention: ")
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert "Résumé de démonstration" not in _text(reader)


def test_notes_in_both_languages_go_each_to_its_own_reader(runner, demo_2021, tmp_path):
    module = _series().modules[0]
    english = module.notes[0]
    db.session.add(BackgroundNote(
        module=module, title="Note d'information en français", language="fr",
        is_published=True, external_url="https://example.org/note-fr"))
    db.session.commit()
    french_text = _text(_build(runner, tmp_path, "fr"))
    english_text = _text(_build(runner, tmp_path, "en"))
    assert "Note d'information en français" in french_text
    assert "Note d'information en français" not in english_text
    assert english.title in english_text and english.title not in french_text
    # a module whose notes exist in one language only gives them to both Readers
    other = _series().modules[1].notes[0].title
    assert other in english_text
    assert (_series().modules[1].notes[0].title_fr or other) in french_text


def _ask(client, runner, language: str) -> ReaderBuild:
    response = client.post(f"{PAGE}/builds", data={"csrf_token": csrf_token(client, PAGE),
                                                   "language": language})
    assert response.status_code == 302
    assert "1 Reader builds run." in runner.invoke(args=["reader", "run-pending"]).output
    return db.session.scalar(select(ReaderBuild).order_by(ReaderBuild.id.desc()).limit(1))


def test_organiser_builds_and_publishes_both_and_the_public_gets_each_language(
    client, runner, make_user, login, demo_2021
):
    login(make_user("editor@example.org"))
    html = client.get(PAGE).get_data(as_text=True)
    assert "Build the Reader in English" in html and "Build the Reader in French" in html
    english, french = _ask(client, runner, "en"), _ask(client, runner, "fr")
    assert (english.language, french.language) == ("en", "fr")
    for build in (english, french):
        response = client.post(f"{PAGE}/builds/{build.id}/publish",
                               data={"csrf_token": csrf_token(client, PAGE)})
        assert response.status_code == 302
    db.session.expire_all()
    assert english.is_published and french.is_published  # one per language
    admin_page = client.get(PAGE).get_data(as_text=True)
    assert f'/series/{SLUG_2021}/reader.pdf">' in admin_page
    assert f'/series/{SLUG_2021}/reader.fr.pdf">' in admin_page

    default = client.get(f"/series/{SLUG_2021}/reader.pdf")
    assert PdfReader(BytesIO(default.data)).trailer["/Root"]["/Lang"] == "en"
    in_french = client.get(f"/series/{SLUG_2021}/reader.fr.pdf")
    assert in_french.status_code == 200
    assert PdfReader(BytesIO(in_french.data)).trailer["/Root"]["/Lang"] == "fr"
    assert client.get(f"/series/{SLUG_2021}/reader.en.pdf").data == default.data
    assert client.get(f"/series/{SLUG_2021}/reader.de.pdf").status_code == 404

    page = client.get(f"/series/{SLUG_2021}?lang=fr").get_data(as_text=True)
    assert f'href="/series/{SLUG_2021}/reader.pdf"' in page
    assert f'href="/series/{SLUG_2021}/reader.fr.pdf"' in page


def test_a_language_without_a_published_reader_is_a_404(client, demo_2021):
    assert client.get(f"/series/{SLUG_2021}/reader.fr.pdf").status_code == 404
