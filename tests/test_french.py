"""A French-speaking participant's journey is in French: pages, form errors, emails, calendar.

The language comes from the person's choice (the "lang" cookie set by the link on every page),
else from the browser's Accept-Language; emails follow the language the person registered in.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.registration_helpers import csrf_token, form_data, person_by_email
from tests.registration_helpers import text as _tagless
from webinar_app.extensions import db

STARTS_AT = datetime(2030, 12, 18, 13, 0, tzinfo=UTC)  # Wednesday, 14:00 in Brussels
FRENCH_DATE = "mercredi 18 décembre 2030"
ENGLISH_UI = (
    "Register",
    "Cancel",
    "Your registrations",
    "Personal page",
    "Pre-reading",
    "Thematic focus",
    "Time zone",
    "Module page",
    "Download",
    "When",
    "Dear",
    "Skip to content",
    "your time zone",
    "Wednesday",
    "December",
    "Brussels time",
    "Join the webinar",
    "This field is required",
    "Please correct",
)


def text(response) -> str:
    """What the reader sees: tags removed, entities decoded, white space collapsed."""
    return html.unescape(_tagless(response))


def _english_left(page_text: str) -> list[str]:
    return [s for s in ENGLISH_UI if re.search(rf"\b{re.escape(s)}\b", page_text)]


@pytest.fixture(params=["cookie", "accept-language"])
def french_client(request, client):
    """A browser whose person chose French (cookie), or whose browser asks for it."""
    if request.param == "cookie":
        client.set_cookie("lang", "fr")
    else:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9,en;q=0.5"
    client.set_cookie("tz", "Africa/Nairobi")
    return client


@pytest.fixture()
def french_series(make_series, make_module, add_agenda, make_note):
    series = make_series(
        title="Trafficking in Human Beings: The 4Ps Revisited",
        title_fr="La traite des êtres humains : les 4P revisités",
        short_description="Four modules of the Khartoum Process.",
        short_description_fr="Quatre modules du Processus de Khartoum.",
        description="One module for each of the 4Ps.",
        description_fr="Un module pour chacun des 4P.",
    )
    module = make_module(
        series,
        number=1,
        starts_at=STARTS_AT,
        pillar="Prevention",
        pillar_fr="Prévention",
        title="Preventing trafficking for labour exploitation",
        title_fr="Prévenir la traite à des fins d'exploitation par le travail",
        thematic_focus="Labour exploitation",
        thematic_focus_fr="L'exploitation par le travail",
        description="How to stop labour exploitation before it starts.",
        description_fr="Comment empêcher l'exploitation par le travail avant qu'elle ne commence.",
    )
    add_agenda(module, count=1)
    module.agenda_items[0].title_fr = "Table ronde des États membres"
    make_note(
        module,
        title="Background note: Prevention",
        title_fr="Note d'information : Prévention",
        abstract="What the note says.",
        abstract_fr="Ce que dit la note.",
        file_size=1_300_000,
    )
    db.session.commit()
    return series


def test_series_and_module_pages_are_in_french(french_client, french_series):
    series_page = french_client.get("/series/test-series")
    html = series_page.get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    page = text(series_page)
    assert "La traite des êtres humains : les 4P revisités" in page
    assert "Prévention" in page and "Prévenir la traite" in page
    assert "S'inscrire" in page and FRENCH_DATE in page
    assert _english_left(page) == []

    module_page = text(french_client.get("/series/test-series/modules/1"))
    assert "Axe thématique" in module_page and "L'exploitation par le travail" in module_page
    assert "Table ronde des États membres" in module_page
    assert "Note d'information : Prévention" in module_page and "Ce que dit la note." in module_page
    assert "(PDF, 1,2 Mo)" in module_page
    assert FRENCH_DATE in module_page
    assert "(heure de Bruxelles, UTC+01:00)" in module_page
    assert "(heure de Nairobi, UTC+03:00)" in module_page  # the visitor's zone, from the cookie
    assert _english_left(module_page) == []


def test_registration_form_and_its_errors_are_in_french(french_client, french_series):
    url = "/series/test-series/register"
    form_page = text(french_client.get(url))
    assert "S'inscrire à La traite des êtres humains" in form_page
    assert f"{FRENCH_DATE}, 14:00–16:00 heure de Bruxelles" in form_page
    assert "(16:00–18:00 à Nairobi, votre fuseau horaire)" in form_page
    assert _english_left(form_page) == []

    data = form_data(full_name="", email="not-an-address", has_data_consent="")
    data["csrf_token"] = csrf_token(french_client, url)
    errors = french_client.post(url, data=data)
    assert errors.status_code == 200
    page = text(errors)
    assert "Saisissez une adresse électronique valide" in page
    assert "Nous avons besoin de votre accord pour vous inscrire." in page
    assert "Ce champ est requis." in page
    assert "not-an-address" in errors.get_data(as_text=True)  # what was typed is kept
    assert _english_left(page) == []


def _register_in_french(client) -> str:
    url = "/series/test-series/register"
    data = form_data(language="fr", timezone="Africa/Nairobi")
    data["csrf_token"] = csrf_token(client, url)
    response = client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200
    return text(response)


def _delivered_emails(app, runner) -> list:
    assert runner.invoke(args=["mail", "deliver"]).exit_code == 0
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    return [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def test_confirmation_personal_page_and_emails_are_in_french(
    app, runner, french_client, french_series
):
    confirmation = _register_in_french(french_client)
    assert "Inscription reçue" in confirmation
    assert f"{FRENCH_DATE}, 14:00–16:00 heure de Bruxelles" in confirmation
    assert "16:00–18:00 à Nairobi, votre fuseau horaire" in confirmation
    assert _english_left(confirmation) == []

    [email] = _delivered_emails(app, runner)
    assert email["Subject"] == (
        "Inscription confirmée\u202f: Module 1 — Prévention\u202f: "
        "Prévenir la traite à des fins d'exploitation par le travail"
    )
    body_text = email.get_body(("plain",)).get_content()
    body_html = email.get_body(("html",)).get_content()
    calendar = next(p for p in email.walk() if p.get_content_type() == "text/calendar")
    ics = calendar.get_content()
    summary = re.search(r"^SUMMARY:(.*(?:\r?\n .*)*)", ics, re.M).group(1)
    summary = re.sub(r"\r?\n ", "", summary).strip()
    assert summary == (
        "Module 1 — Prévention\u202f: Prévenir la traite à des fins d'exploitation par le travail"
    )
    unfolded = re.sub(r"\r?\n ", "", ics).replace("\\n", "\n").replace("\\,", ",")
    assert "L'exploitation par le travail" in unfolded
    assert (
        f"Quand\u202f: {FRENCH_DATE}, 14:00–16:00 heure de Bruxelles"
        " (16:00–18:00 à Nairobi, votre fuseau horaire)"
        in unfolded
    )
    for body in (body_text, html.unescape(re.sub(r"<[^>]+>", " ", body_html))):
        assert "Bonjour Amina Diallo," in body
        assert "Votre inscription est confirmée." in body
        assert FRENCH_DATE in body
        assert "Note d'information\u202f: Prévention" in body
        assert _english_left(body) == []
    assert '<html lang="fr"' in body_html

    personal_path = re.search(r"http://webinars\.test(/me/[\w-]+)", body_text).group(1)
    personal = french_client.get(personal_path)
    assert personal.status_code == 200
    page = text(personal)
    assert "Vos inscriptions" in page and "Prévenir la traite" in page
    assert "Annuler ma place au module 1" in page and FRENCH_DATE in page
    assert "Bruxelles (UTC+01:00)" in page and "Nairobi (UTC+03:00)" in page
    assert _english_left(page) == []


def test_emails_follow_the_participants_language_not_the_page(app, runner, client, french_series):
    """Registered from an English page with French chosen as the preferred language."""
    url = "/series/test-series/register"
    data = form_data(language="fr")
    data["csrf_token"] = csrf_token(client, url)
    assert client.post(url, data=data).status_code == 302
    assert person_by_email("amina.diallo@example.org").language == "fr"
    [email] = _delivered_emails(app, runner)
    assert email["Subject"].startswith("Inscription confirmée\u202f: ")
    assert FRENCH_DATE in email.get_body(("plain",)).get_content()


def test_english_texts_stand_in_where_no_french_version_was_given(
    french_client, make_series, make_module
):
    series = make_series()
    make_module(series, number=1, title="Only in English", starts_at=STARTS_AT)
    page = text(french_client.get("/series/test-series/modules/1"))
    assert "Only in English" in page and "Test series" in page
    assert "Statut" in page


def test_language_link_remembers_the_choice_and_returns_to_the_page(client, french_series):
    response = client.get("/language/fr?next=/series/test-series")
    assert response.status_code == 302 and response.location.endswith("/series/test-series")
    assert "lang=fr" in response.headers["Set-Cookie"]
    page = client.get("/series/test-series").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page
    assert 'hreflang="en">English</a>' in page  # and the way back to English

    client.get("/language/en?next=/series/test-series")
    assert '<html lang="en" dir="ltr">' in client.get("/series/test-series").get_data(as_text=True)


def test_api_stays_in_english_and_carries_the_french_texts(client, french_series):
    client.set_cookie("lang", "fr")
    module = client.get("/api/v1/series/test-series/modules").get_json()["modules"][0]
    assert module["title"] == "Preventing trafficking for labour exploitation"
    assert module["translations"]["fr"]["title"].startswith("Prévenir la traite")
    assert module["translations"]["fr"]["pillar"] == "Prévention"


def test_layout_uses_logical_properties_so_a_right_to_left_language_can_follow(client):
    css = (Path(__file__).resolve().parent.parent / "webinar_app" / "static" / "site.css")
    physical = re.findall(
        r"(?:margin|padding|border|inset)-(?:left|right)"
        r"|(?:text-align|float|clear)\s*:\s*(?:left|right)|[{;]\s*(?:left|right)\s*:",
        css.read_text(encoding="utf-8"),
    )
    assert physical == []
    assert '<html lang="en" dir="ltr">' in client.get("/").get_data(as_text=True)
