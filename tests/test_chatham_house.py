"""The Chatham House rule holds everywhere: a speaker's name never leaves the organisers' pages.

A module under the rule has a speaker and a good-practice presenter whose names carry a unique
marker. Everything a participant, an invitee or a visitor can receive or fetch is collected the
way they get it (emails from the SMTP sink, pages and files over HTTP, the Reader from the CLI)
and searched for the marker; the speaker's role and organisation must be there instead, so the
search proves the agenda was present.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from pypdf import PdfReader
from sqlalchemy import select

from tests.registration_helpers import csrf_token, person_by_email, register, token_of
from tests.summary_helpers import IsolatedClient, client_for, publish
from webinar_app.extensions import db
from webinar_app.models import AgendaItem, Module, Registration, Speaker

MARKER = "Zq7Marker"
SPEAKER_NAME = f"{MARKER} Speaker"
PRESENTER_NAME = f"{MARKER} Presenter"
ROLE = "Director of Shelters"
ORGANISATION = "Shelter Network Xv9"
PRESENTER_ORGANISATION = "Caritas Yw4"
SLUG = "test-series"
CALENDAR_TYPES = ("text/calendar", "application/ics")


@dataclass
class Output:
    """One thing that left the app, as its recipient reads it."""

    where: str
    text: str


@pytest.fixture(autouse=True)
def _isolated_clients(app):
    app.test_client_class = IsolatedClient


def _unfold(ics_text: str) -> str:
    """iCalendar text with folded lines joined (a name must not hide across a fold)."""
    return re.sub(r"\r?\n[ \t]", "", ics_text)


def _calendar_text(data: bytes, where: str) -> str:
    """A calendar read by icalendar and vobject; the unfolded text and every DESCRIPTION."""
    text = data.decode("utf-8")
    calendar = icalendar.Calendar.from_ical(data)
    vobject.readOne(text)
    descriptions = [str(event.get("description", "")) for event in calendar.walk("VEVENT")]
    assert descriptions, f"{where}: no event"
    return "\n".join([_unfold(text), *descriptions])


def _pdf_text(data: bytes) -> str:
    """The PDF's text without white space, so that a line break cannot split a name."""
    reader = PdfReader(BytesIO(data))
    return re.sub(r"\s+", "", " ".join(page.extract_text() or "" for page in reader.pages))


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _email_outputs(sink) -> list[Output]:
    """Every part of every message received, decoded (quoted-printable, base64, charset)."""
    outputs = []
    for received in sink.messages:
        message = received.message
        label = f"email {message['Subject']!r} to {received.rcpt_tos}"
        headers = "\n".join(f"{name}: {value}" for name, value in message.items())
        outputs.append(Output(f"{label} headers", headers))
        for part in message.walk():
            if part.is_multipart():
                continue
            data = part.get_payload(decode=True) or b""
            kind = part.get_content_type()
            if kind in CALENDAR_TYPES:
                text = _calendar_text(data, label)
            elif kind == "application/pdf":
                text = _pdf_text(data)
            else:
                text = data.decode(part.get_content_charset() or "utf-8")
            outputs.append(Output(f"{label} {kind}", html.unescape(text)))
    return outputs


def _emails_of(sink, address: str, kind: str, subject_part: str = "") -> list[str]:
    """The decoded parts of one type in the messages sent to address."""
    texts = []
    for received in sink.to(address):
        if subject_part not in received.message["Subject"]:
            continue
        for part in received.message.walk():
            if part.get_content_type() == kind:
                data = part.get_payload(decode=True)
                texts.append(_calendar_text(data, address) if kind in CALENDAR_TYPES
                             else html.unescape(data.decode("utf-8")))
    return texts


_LINK = re.compile(r'href="([^"]+)"')


def _internal(url: str) -> str | None:
    """The path and query of a link on this site that a visitor could follow, else None."""
    url = html.unescape(url)
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc == "webinars.test":
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    elif parts.scheme or parts.netloc or not url.startswith("/"):
        return None
    path = urlsplit(url).path
    if path.startswith(("/admin", "/auth", "/static", "/language/")):
        return None
    return url.split("#")[0]


def _crawl(client, starts: list[str], where: str) -> dict[str, Output]:
    """GET every page reachable from starts (public and personal), decoded by its type."""
    seen: dict[str, Output] = {}
    queue = list(starts)
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        assert len(seen) < 400, "the crawl does not end"
        response = client.get(url)
        assert response.status_code in (200, 302, 304, 404), (url, response.status_code)
        kind = response.mimetype
        if kind in CALENDAR_TYPES:
            text = _calendar_text(response.data, url)
        elif kind == "application/pdf":
            text = _pdf_text(response.data)
        else:
            text = html.unescape(response.get_data(as_text=True))
        seen[url] = Output(f"{where} {url}", text)
        if kind == "text/html":
            for link in _LINK.findall(response.get_data(as_text=True)):
                target = _internal(link)
                if target and target not in seen:
                    queue.append(target)
    return seen


def _programme(make_series, make_module) -> tuple[Module, Module]:
    """Module 1 under the rule with a named speaker, module 2 too; module 1 takes two people."""
    series = make_series(slug=SLUG)
    first = make_module(series, number=1, title="Protecting victims", is_chatham_house=True,
                        capacity=2)
    second = make_module(series, number=2, title="Prosecuting traffickers",
                         is_chatham_house=True)
    for module in (first, second):
        item = AgendaItem(module=module, position=0, kind="panel", title="Panel on shelters")
        item.speakers.append(Speaker(position=0, name=SPEAKER_NAME, role=ROLE,
                                     organisation=ORGANISATION))
        item.speakers.append(Speaker(position=1, name=f"{MARKER} Alone"))
        db.session.add(item)
    db.session.commit()
    return first, second


def _cli(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_no_name_of_a_chatham_house_speaker_or_presenter_leaves_the_app(
    app, client, runner, smtp_sink, make_series, make_module, make_user, tmp_path
):
    first, _second = _programme(make_series, make_module)
    organiser = client_for(app, make_user("organiser@example.org", "organiser"))
    reviewer = client_for(app, make_user("reviewer@example.org", "reviewer"))

    # Registration over HTTP: two places, a waiting list, a French participant.
    assert register(client, email="ada@example.org", full_name="Ada Lovelace",
                    modules=["1", "2"]).status_code == 302
    assert register(client, email="jean@example.org", full_name="Jean Martin", language="fr",
                    modules=["1"]).status_code == 302
    assert register(client, email="wait@example.org", full_name="Wanda Wait",
                    modules=["1"]).status_code == 302
    _cli(runner, "mail", "deliver")
    assert db.session.scalar(select(Registration.status).join(Registration.person).where(
        Registration.module_id == first.id, Registration.person.has(email="wait@example.org"))
    ) == "waiting"

    # A reschedule (updates), a cancelled module (CANCEL), a place given up (promotion).
    db.session.expire_all()
    first = db.session.get(Module, first.id)
    new_start = first.starts_at + timedelta(days=1)
    _cli(runner, "modules", "reschedule", SLUG, "1", "--start",
         new_start.astimezone(ZoneInfo("Europe/Brussels")).strftime("%Y-%m-%dT%H:%M"))
    _cli(runner, "modules", "cancel", SLUG, "2")
    jean = token_of(person_by_email("jean@example.org"))
    question = f"/me/{jean}/modules/1/cancel"
    response = client.post(question, data={"csrf_token": csrf_token(client, question),
                                           "confirm": "Yes, cancel my place"})
    assert response.status_code == 302
    _cli(runner, "mail", "deliver")

    # Reminders a week before, an invitation campaign with its programme calendar.
    _cli(runner, "reminders", "send-due", "--now",
         (new_start - timedelta(days=7) + timedelta(minutes=1)).isoformat())
    invitees = tmp_path / "invitees.csv"
    invitees.write_text("name,email,organisation,country,language\n"
                        "Ivo Invitee,ivo@example.org,IOM,Kenya,en\n", encoding="utf-8")
    _cli(runner, "invitations", "import", str(invitees), "--series", SLUG)
    _cli(runner, "invitations", "send", "--series", SLUG)
    _cli(runner, "mail", "deliver")

    # Time passes and the module is held: attendance, the summary with a named presenter,
    # follow-ups.
    db.session.get(Module, first.id).starts_at = new_start - timedelta(days=60)
    db.session.commit()
    held = f"/admin/series/{SLUG}/modules/1/held"
    assert organiser.post(held, data={"csrf_token": csrf_token(organiser, held)}
                          ).status_code == 302
    assert db.session.get(Module, first.id).status == "held"
    ada = person_by_email("ada@example.org")
    for registration in ada.registrations:
        if registration.module_id == first.id:
            registration.attendance = "attended"
    db.session.commit()
    publish(organiser, reviewer, first, "The panel discussed shelters.",
            practices=[{"title": "Safe houses", "presenter_organisation": PRESENTER_ORGANISATION,
                        "presenter_name": PRESENTER_NAME, "country": "SD"}])
    followup = f"/admin/series/{SLUG}/modules/1/followup"
    response = organiser.post(followup, data={"csrf_token": csrf_token(organiser, followup),
                                              "recording_url": ""})
    assert response.status_code == 302
    _cli(runner, "mail", "deliver")

    # The Reader, built and published from the CLI.
    reader_file = tmp_path / "reader.pdf"
    _cli(runner, "reader", "build", "--series", SLUG, "-o", str(reader_file), "--publish")
    outputs = [Output("Reader from the CLI", _pdf_text(reader_file.read_bytes()))]

    # What everyone can fetch: public pages, feeds, API, exports, personal pages, certificate.
    ada_token = token_of(ada)
    wanda_token = token_of(person_by_email("wait@example.org"))
    starts = [
        "/", "/series/", f"/series/{SLUG}", f"/series/{SLUG}/modules/1",
        f"/series/{SLUG}/modules/2", f"/series/{SLUG}/calendar.ics",
        f"/series/{SLUG}/modules/1/calendar.ics", f"/series/{SLUG}/summaries",
        f"/series/{SLUG}/good-practices", f"/series/{SLUG}/good-practices.csv",
        f"/series/{SLUG}/good-practices.json", f"/series/{SLUG}/reader.pdf",
        "/api/v1/series", f"/api/v1/series/{SLUG}", f"/api/v1/series/{SLUG}/modules",
        f"/me/{ada_token}", f"/me/{ada_token}/calendar.ics", f"/me/{ada_token}/export.json",
        f"/me/{ada_token}/certificate.pdf", f"/me/{wanda_token}",
        f"/me/{wanda_token}/calendar.ics",
    ]
    pages = _crawl(client, starts, "en")
    client.set_cookie("lang", "fr")
    pages_fr = _crawl(client, starts, "fr")
    for url in starts:
        assert url in pages and url in pages_fr, url
    outputs += [*pages.values(), *pages_fr.values(), *_email_outputs(smtp_sink)]

    leaks = [o.where for o in outputs if MARKER in o.text or MARKER in _squeezed(o.text)]
    assert not leaks, "the name leaked into:\n" + "\n".join(leaks)

    # The agenda was there: role and organisation, in every kind of output.
    subjects = sorted({m.message["Subject"].split(":")[0] for m in smtp_sink.messages})
    assert len(smtp_sink.messages) >= 10, subjects
    for address in ("ada@example.org", "wait@example.org"):
        for kind in ("text/plain", "text/html"):
            reminder = _emails_of(smtp_sink, address, kind, "Reminder")
            assert reminder and all(f"{ROLE}, {ORGANISATION}" in t for t in reminder), address
    for kind in ("text/plain", "text/html", "text/calendar"):
        invitation = _emails_of(smtp_sink, "ada@example.org", kind, "Module 1")
        assert any(f"{ROLE}, {ORGANISATION}" in t for t in invitation), kind
    french = _emails_of(smtp_sink, "jean@example.org", "text/calendar")
    assert any(ORGANISATION in t for t in french)
    [programme] = _emails_of(smtp_sink, "ivo@example.org", "text/calendar")
    assert f"{ROLE}, {ORGANISATION}" in programme
    for url in (f"/series/{SLUG}/calendar.ics", f"/series/{SLUG}/modules/1/calendar.ics",
                f"/me/{ada_token}/calendar.ics", f"/series/{SLUG}/modules/1"):
        assert ROLE in pages[url].text and ORGANISATION in pages[url].text, url
    assert ORGANISATION in pages[f"/api/v1/series/{SLUG}/modules"].text
    for url in (f"/series/{SLUG}/summaries", f"/series/{SLUG}/good-practices",
                f"/series/{SLUG}/good-practices.csv", f"/series/{SLUG}/good-practices.json"):
        assert PRESENTER_ORGANISATION in pages[url].text, url
    reader = outputs[0].text
    assert _squeezed(f"{ROLE}, {ORGANISATION}") in reader
    assert _squeezed(PRESENTER_ORGANISATION) in reader
    assert pages[f"/series/{SLUG}/reader.pdf"].text == reader
    assert "AdaLovelace" in pages[f"/me/{ada_token}/certificate.pdf"].text
    practices = json.loads(pages[f"/series/{SLUG}/good-practices.json"].text)
    assert MARKER not in json.dumps(practices)

    # Organisers still see the names they need on their own pages.
    detail = organiser.get(f"/admin/series/{SLUG}/modules/1").get_data(as_text=True)
    assert SPEAKER_NAME in detail


def test_without_the_rule_the_speaker_is_named_in_the_feed_and_emails(
    client, runner, smtp_sink, make_series, make_module
):
    first, _second = _programme(make_series, make_module)
    first.is_chatham_house = False
    db.session.commit()

    assert register(client, email="ada@example.org", modules=["1"]).status_code == 302
    _cli(runner, "mail", "deliver")

    feed = _calendar_text(client.get(f"/series/{SLUG}/modules/1/calendar.ics").data, "feed")
    assert f"{SPEAKER_NAME}, {ROLE}, {ORGANISATION}" in feed
    assert f"{MARKER} Alone" in feed
    for kind in ("text/plain", "text/html", "text/calendar"):
        assert any(SPEAKER_NAME in t for t in _emails_of(smtp_sink, "ada@example.org", kind)), kind
    page = html.unescape(client.get(f"/series/{SLUG}/modules/1").get_data(as_text=True))
    assert SPEAKER_NAME in page
