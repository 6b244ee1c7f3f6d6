"""French typography: a narrow no-break space (U+202F) before : ; ! ? and inside « ».

Every French email (subject, text and HTML parts) and calendar file of the golden world
(tests/email_world.py), the main French pages (public, registration with its error state,
personal page, organiser pages) and a French certificate are read as a person gets them, and
each mark that ends a word must have its narrow no-break space. URLs, times (14:00), HTML
attributes and the contents of <script>, <style> and <textarea> are not prose and are skipped.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from icalendar import Calendar
from pypdf import PdfReader

from tests.email_world import (
    ADMIN,
    FRENCH,
    ORGANISER,
    SLUG,
    _log_in,
    _new_browser,
    _post,
    build_world,
)
from tests.mailsink import calendar_parts
from tests.registration_helpers import person_by_email, token_of
from webinar_app.core.text import french_spacing
from webinar_app.i18n import sort_for_people

NNBSP = "\u202f"
_URL = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*://|mailto:|webcal:)\S*")
# A mark that ends a word (what follows is not a letter, digit or URL character).
_MARK = re.compile(r"[:;!?](?![\w/=&%#.@-])")


def bad_spacing(text: str) -> list[str]:
    """The places in text where French typography misses its narrow no-break space."""
    text = _URL.sub("URL", text)
    found = []
    for match in _MARK.finditer(text):
        before = text[max(match.start() - 1, 0):match.start()]
        if before not in ("", "\n", NNBSP, *":;!?"):  # a mark right after another: one space
            found.append(text[max(match.start() - 25, 0):match.end() + 10])
    for match in re.finditer("«", text):
        if text[match.end():match.end() + 1] != NNBSP:
            found.append(text[match.start():match.end() + 25])
    for match in re.finditer("»", text):
        if text[max(match.start() - 1, 0):match.start()] != NNBSP:
            found.append(text[max(match.start() - 25, 0):match.end()])
    return found


class _Prose(HTMLParser):
    """The text a reader sees: tags and attributes dropped, script, style, textarea skipped."""

    SKIPPED = {"script", "style", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self._skipping = tag

    def handle_endtag(self, tag):
        if tag == self._skipping:
            self._skipping = None

    def handle_data(self, data):
        if self._skipping is None:
            self.parts.append(data)


def prose(html: str) -> str:
    parser = _Prose()
    parser.feed(html)
    return "".join(parser.parts)


# --- the rule itself ------------------------------------------------------------------------


def test_french_spacing_puts_a_narrow_space_before_high_marks_and_inside_guillemets():
    assert french_spacing("Quand: 14:00") == f"Quand{NNBSP}: 14:00"
    assert french_spacing("Quand : demain ; ou jamais !") == (
        f"Quand{NNBSP}: demain{NNBSP}; ou jamais{NNBSP}!")
    assert french_spacing("Vraiment?") == f"Vraiment{NNBSP}?"
    assert french_spacing("«Bonjour»") == f"«{NNBSP}Bonjour{NNBSP}»"
    assert french_spacing("« Bonjour »") == f"«{NNBSP}Bonjour{NNBSP}»"


def test_french_spacing_leaves_urls_times_and_markup_alone():
    text = "Lien: https://example.org/a?b=c&d=e, à 14:00 (UTC+01:00), mailto:x@example.org"
    assert french_spacing(text) == (
        f"Lien{NNBSP}: https://example.org/a?b=c&d=e, à 14:00 (UTC+01:00), mailto:x@example.org")
    html = ('<p title="Aide: ici" style="color: red;">Quand</p>: <style>a { color: red; }</style>'
            '<textarea>Notes: telles quelles</textarea> L&#39;ordre&nbsp;!')
    assert french_spacing(html, html=True) == (
        f'<p title="Aide: ici" style="color: red;">Quand</p>{NNBSP}: '
        '<style>a { color: red; }</style><textarea>Notes: telles quelles</textarea>'
        f" L&#39;ordre{NNBSP}!")


def test_french_spacing_is_idempotent():
    once = french_spacing("« Quand : 14:00 ? »")
    assert french_spacing(once) == once
    assert not bad_spacing(once)


def test_people_sort_by_the_unicode_collation():
    countries = ["Zimbabwe", "Brunei", "Érythrée", "Brésil", "Égypte", "Bénin", "Danemark",
                 "Émirats arabes unis", "Éthiopie", "Espagne"]
    assert sort_for_people(countries, locale="fr") == [
        "Bénin", "Brésil", "Brunei", "Danemark", "Égypte", "Émirats arabes unis", "Érythrée",
        "Espagne", "Éthiopie", "Zimbabwe"]


# --- what a French reader gets --------------------------------------------------------------


def _calendar_texts(data: bytes) -> list[str]:
    texts = []
    for component in Calendar.from_ical(data).walk():
        for name in ("SUMMARY", "DESCRIPTION", "NAME", "X-WR-CALNAME", "X-WR-CALDESC"):
            if name in component:
                texts.append(str(component[name]))
    return texts


def test_every_french_email_and_calendar_file_has_french_spacing(
    client, runner, smtp_sink, tmp_path
):
    world = build_world(client, runner, smtp_sink, tmp_path)
    french = {name: m for name, m in world.emails.items() if name.endswith(".fr")}
    assert len(french) >= 15
    problems = {}
    for name, received in french.items():
        message = received.message
        found = bad_spacing(str(message["Subject"]))
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                found += bad_spacing(part.get_content())
            elif part.get_content_type() == "text/html":
                found += bad_spacing(prose(part.get_content()))
        # the campaign's calendar is the public programme, in the series' language (English)
        parts = [] if name.startswith("campaign_invitation") else calendar_parts(message)
        for part in parts:
            for text in _calendar_texts(part.get_payload(decode=True)):
                found += bad_spacing(text)
        if found:
            problems[name] = found
    for name in ("personal.fr", "request.fr", "update.fr", "cancel.fr"):
        found = [p for text in _calendar_texts(world.calendars[name]) for p in bad_spacing(text)]
        if found:
            problems[name] = found
    assert not problems
    subject = str(french["registration.fr"].message["Subject"])
    assert f"confirmée{NNBSP}: " in subject
    assert f"Quand{NNBSP}: " in french["registration.fr"].message.get_body(
        ("plain",)).get_content()


def _french_browser(client):
    browser = _new_browser(client)
    browser.set_cookie("lang", "fr")
    return browser


def _check_pages(browser, urls: list[str], problems: dict[str, list[str]]) -> None:
    for url in urls:
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = response.get_data(as_text=True)
        assert '<html lang="fr"' in page, url
        found = bad_spacing(prose(page))
        if found:
            problems[url] = found


def test_french_pages_and_documents_have_french_spacing(client, runner, smtp_sink, tmp_path):
    build_world(client, runner, smtp_sink, tmp_path)
    problems: dict[str, list[str]] = {}
    visitor = _french_browser(client)
    me = f"/me/{token_of(person_by_email(FRENCH[0]))}"
    _check_pages(visitor, [
        "/", "/series/", f"/series/{SLUG}", f"/series/{SLUG}/modules/1",
        f"/series/{SLUG}/modules/4", f"/series/{SLUG}/register", f"/series/{SLUG}/lost-link",
        f"/series/{SLUG}/good-practices", f"/series/{SLUG}/summaries", me, f"{me}/details",
        "/auth/login",
    ], problems)
    response = _post(visitor, f"/series/{SLUG}/register", email="pas-une-adresse")
    assert response.status_code == 200, response.status_code
    errors = prose(response.get_data(as_text=True))
    assert "Ce champ est requis." in errors
    assert f"{NNBSP}: Ce champ est requis." in errors  # the summary: "<label> : <error>"
    if found := bad_spacing(errors):
        problems["register (errors)"] = found

    organiser = _french_browser(client)
    _log_in(organiser, ORGANISER)
    admin = f"/admin/series/{SLUG}"
    _check_pages(organiser, [
        "/admin/", admin, f"{admin}/edit", f"{admin}/modules/1", f"{admin}/modules/1/edit",
        f"{admin}/modules/2", f"{admin}/modules/4/followup", f"{admin}/modules/4/attendance",
        f"{admin}/registrations", f"{admin}/reports", f"{admin}/attendance",
        f"{admin}/invitations", f"{admin}/reminders", f"{admin}/audit",
    ], problems)
    site_admin = _french_browser(client)
    _log_in(site_admin, ADMIN)
    _check_pages(site_admin, ["/auth/accounts", "/auth/accounts/invite", "/admin/outbox/"],
                 problems)
    assert not problems

    attended = f"/me/{token_of(person_by_email('attended.fr@example.org'))}"
    pdf = visitor.get(f"{attended}/certificate.pdf")
    assert pdf.status_code == 200, pdf.status_code
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Module" in text
    assert not bad_spacing(" ".join(text.split("\n")))
