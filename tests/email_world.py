"""A fixed demo world and every email and calendar file it makes, got the way a user gets them.

`build_world` sets up one series with fixed names and fixed dates (future modules in 2031, a
held one in 2026), then acts through HTTP (the registration form, the personal page, the
organiser's edit and cancel pages, the follow-up page, the account pages) and the CLI
(invitations import/send, reminders send-due, mail deliver), collecting what the real SMTP sink
receives after each step. The feeds are downloaded through the test client.

Shared by tests/test_golden.py (golden files) and tests/test_links_resolve.py (every link
answers).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from tests.conftest import MINIMAL_PDF, PASSWORD, _empty_tables, csrf_token
from tests.mailsink import Received, SmtpSink, calendar_parts
from tests.registration_helpers import person_by_email, register, token_of
from tests.summary_helpers import IsolatedClient
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    Module,
    ModuleStatus,
    Person,
    Registration,
    Role,
    Series,
    Speaker,
    User,
)

SLUG = "golden-series"
BRUSSELS = ZoneInfo("Europe/Brussels")
ORGANISER = "organiser@example.org"
ADMIN = "admin@example.org"

M1_START = datetime(2031, 3, 12, 13, 0, tzinfo=UTC)  # waiting list and promotions
M2_START = datetime(2031, 4, 9, 12, 0, tzinfo=UTC)  # moved, then cancelled
M2_MOVED = datetime(2031, 4, 16, 12, 0, tzinfo=UTC)
M3_START = datetime(2031, 5, 14, 12, 0, tzinfo=UTC)  # reminders
M4_START = datetime(2026, 1, 14, 13, 0, tzinfo=UTC)  # held: follow-ups
REMINDER_NOW = "2031-05-13T12:30Z"

# (email, full name, language, time zone) of the people who register through the form
ENGLISH = ("ada@example.org", "Ada Lovelace", "en", "Africa/Nairobi")
FRENCH = ("fatou@example.org", "Fatou Diop", "fr", "Africa/Dakar")
ENGLISH_WAITING = ("walter@example.org", "Walter Waiting", "en", "Europe/Brussels")
FRENCH_WAITING = ("josee@example.org", "Josée Attente", "fr", "Europe/Paris")


@dataclass
class World:
    """What the world made: emails by name ("registration.en"), calendar files by name
    ("series", "personal.fr") and API answers by path."""

    series: Series
    emails: dict[str, Received] = field(default_factory=dict)
    calendars: dict[str, bytes] = field(default_factory=dict)
    api: dict[str, bytes] = field(default_factory=dict)


# --- the fixed world ------------------------------------------------------------------------


def _series() -> Series:
    series = Series(
        slug=SLUG,
        title="Migration and protection webinars",
        title_fr="Webinaires migration et protection",
        short_description="Six online modules for practitioners.",
        short_description_fr="Six modules en ligne pour les praticiens.",
        description="A series for people who work with migrants.",
        organiser="Golden Secretariat",
        chair="The Chair",
        timezone="Europe/Brussels",
        languages="en,fr",
        sender_email="secretariat@example.org",
        sender_name="Golden Secretariat",
        reminder_offsets="1440",
    )
    db.session.add(series)
    return series


def _module(series: Series, number: int, starts_at: datetime, **values) -> Module:
    values = {"status": ModuleStatus.SCHEDULED.value, **values}
    module = Module(
        series=series,
        number=number,
        pillar="Prevention",
        pillar_fr="Prévention",
        title=f"Module {number} title",
        title_fr=f"Titre du module {number}",
        thematic_focus="Protection at borders",
        thematic_focus_fr="La protection aux frontières",
        description="What the module is about.",
        starts_at=starts_at,
        registration_closes_at=starts_at,
        duration_minutes=120,
        join_url=f"https://zoom.example.org/j/81400200{number}",
        calendar_uid=f"golden-module-{number}",
        **values,
    )
    for position, (title, role) in enumerate((("Opening", "Chair"), ("Panel", "Expert"))):
        item = AgendaItem(module=module, position=position, start_offset_minutes=position * 30,
                          kind="panel", title=title, title_fr=f"{title} (fr)")
        item.speakers.append(Speaker(position=0, role=role, organisation="UNODC"))
    db.session.add(module)
    return module


def _note(module: Module) -> None:
    db.session.add(BackgroundNote(
        module=module, title="Background note", title_fr="Note de fond", language="en",
        abstract="What the note says.", abstract_fr="Ce que dit la note.", is_published=True,
        is_prereading=True, file_name="background-note.pdf", file_size=len(MINIMAL_PDF),
        file_sha256=hashlib.sha256(MINIMAL_PDF).hexdigest(), file_pages=1, file_data=MINIMAL_PDF,
    ))


def _held_registrant(module: Module, email: str, name: str, language: str,
                     attendance: str | None) -> None:
    person = Person(series_id=module.series_id, email=email, full_name=name, language=language,
                    timezone="Africa/Nairobi", organisation="IOM", country="KE")
    db.session.add(person)
    db.session.add(Registration(person=person, module=module, status="registered",
                                attendance=attendance))


def _users() -> None:
    for email, role in ((ORGANISER, Role.ORGANISER.value), (ADMIN, Role.ADMIN.value)):
        user = User(email=email, role=role)
        user.set_password(PASSWORD)
        db.session.add(user)


def _restart_ids() -> None:
    """Empty tables whose ids start at 1 (ids show in UIDs and links): PostgreSQL's sequences
    go on counting from earlier tests."""
    if db.engine.dialect.name != "postgresql":
        _empty_tables()
        return
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


def _make_world() -> World:
    _restart_ids()
    series = _series()
    m1 = _module(series, 1, M1_START, capacity=2)
    _note(m1)
    _module(series, 2, M2_START, capacity=2)
    _module(series, 3, M3_START)
    m4 = _module(series, 4, M4_START, status=ModuleStatus.HELD.value)
    db.session.flush()
    for language in ("en", "fr"):
        for attendance in ("attended", "absent", None):
            _held_registrant(m4, f"{attendance or 'unknown'}.{language}@example.org",
                             f"Held {attendance or 'unknown'} {language}", language, attendance)
    _users()
    db.session.commit()
    return World(series=series)


# --- acting as the users --------------------------------------------------------------------


def _deliver(runner, sink: SmtpSink) -> list[Received]:
    before = len(sink.messages)
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    return sink.messages[before:]


def _take(world: World, name: str, messages: list[Received], to: str, subject: str = "") -> None:
    """Keep the one message to `to` whose subject contains `subject` as world.emails[name]."""
    found = [m for m in messages if m.rcpt_tos == [to] and subject in str(m.message["Subject"])]
    assert len(found) == 1, (name, [(m.rcpt_tos, str(m.message["Subject"])) for m in messages])
    world.emails[name] = found[0]


def _post(client, url: str, page: str | None = None, **data):
    """POST a form as the browser does, with the CSRF token of the page that shows it."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)})


def _log_in(client, email: str) -> None:
    response = _post(client, "/auth/login", email=email, password=PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)


def _new_browser(client):
    """Another visitor: a client of the same app without cookies (nor cached user or token)."""
    app = client.application
    return IsolatedClient(app, app.response_class, use_cookies=True)


class _HiddenInputs(HTMLParser):
    """The hidden inputs of each form of a page, in order, as a browser would post them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form":
            self.forms.append([])
        elif tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.forms[-1].append((values["name"], values.get("value") or ""))


def _confirmation_fields(html: str) -> MultiDict:
    parser = _HiddenInputs()
    parser.feed(html)
    (fields,) = [form for form in parser.forms if any(k == "confirm" for k, _v in form)]
    return MultiDict(fields)


def _local(at: datetime | None) -> str:
    return at.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M") if at else ""


def _edit_form(module: Module, **changes) -> dict:
    """The module edit form as the organiser's browser posts it, with some fields changed."""
    values = dict(
        number=str(module.number), title=module.title, pillar=module.pillar,
        thematic_focus=module.thematic_focus, description=module.description,
        title_fr=module.title_fr or "", pillar_fr=module.pillar_fr or "",
        thematic_focus_fr=module.thematic_focus_fr or "", description_fr="",
        starts_at=_local(module.starts_at), duration_minutes=str(module.duration_minutes),
        status=module.status, capacity="" if module.capacity is None else str(module.capacity),
        registration_opens_at=_local(module.registration_opens_at),
        registration_closes_at=_local(module.registration_closes_at),
        join_url=module.join_url,
    )
    values.update(changes)
    return values


def _register_everyone(world: World, client, runner, sink: SmtpSink) -> None:
    """Four people register for modules 1 to 3: the first two get places, the others wait
    (on modules 1 and 2); the first two send the form again and get a summary."""
    for email, name, language, tz in (ENGLISH, FRENCH, ENGLISH_WAITING, FRENCH_WAITING):
        response = register(client, slug=SLUG, email=email, full_name=name, language=language,
                            timezone=tz, modules=["1", "2", "3"])
        assert response.status_code == 302, response.get_data(as_text=True)
    mails = _deliver(runner, sink)
    for (email, _n, language, _tz), waiting in ((ENGLISH, ENGLISH_WAITING),
                                                (FRENCH, FRENCH_WAITING)):
        module_1 = "Module 1" if language == "en" else "Titre du module 1"
        _take(world, f"registration.{language}", mails, email, module_1)
        waits = [m for m in mails if m.rcpt_tos == [waiting[0]] and not calendar_parts(m.message)
                 and module_1 in str(m.message["Subject"])]
        assert len(waits) == 1
        world.emails[f"waiting_list.{language}"] = waits[0]
        world.calendars[f"request.{language}"] = _calendar(world.emails[f"registration.{language}"])
    for email, name, language, tz in (ENGLISH, FRENCH):  # again: nothing new, a summary
        response = register(client, slug=SLUG, email=email, full_name=name, language=language,
                            timezone=tz, modules=["1", "2", "3"])
        assert response.status_code == 302, response.get_data(as_text=True)
    mails = _deliver(runner, sink)
    _take(world, "registration_summary.en", mails, ENGLISH[0])
    _take(world, "registration_summary.fr", mails, FRENCH[0])


def _cancel_own_places(world: World, client, runner, sink: SmtpSink) -> None:
    """The two registrants leave module 1 from their personal page: the waiting are promoted."""
    for (email, _n, language, _tz), waiting in ((ENGLISH, ENGLISH_WAITING),
                                                (FRENCH, FRENCH_WAITING)):
        me = f"/me/{token_of(person_by_email(email))}"
        response = _post(client, f"{me}/modules/1/cancel", confirm="Yes, cancel my place")
        assert response.status_code == 302, response.get_data(as_text=True)
        mails = _deliver(runner, sink)
        _take(world, f"cancelled_own.{language}", mails, email)
        _take(world, f"promotion.{language}", mails, waiting[0])
        world.calendars[f"cancel.{language}"] = _calendar(world.emails[f"cancelled_own.{language}"])


def _move_then_cancel_module_2(world: World, client, runner, sink: SmtpSink) -> None:
    """The organiser moves module 2 by a week, then cancels it."""
    _log_in(client, ORGANISER)
    edit = f"/admin/series/{SLUG}/modules/2/edit"
    module = db.session.scalar(db.select(Module).where(Module.number == 2))
    response = _post(client, edit, **_edit_form(module, starts_at=_local(M2_MOVED),
                                                registration_closes_at=_local(M2_MOVED)))
    assert response.status_code == 200, response.status_code
    response = client.post(edit, data=_confirmation_fields(response.get_data(as_text=True)))
    assert response.status_code == 302, response.get_data(as_text=True)
    mails = _deliver(runner, sink)
    for (email, _n, language, _tz), waiting in ((ENGLISH, ENGLISH_WAITING),
                                                (FRENCH, FRENCH_WAITING)):
        _take(world, f"module_update.{language}", mails, email)
        _take(world, f"waiting_module_moved.{language}", mails, waiting[0])
        world.calendars[f"update.{language}"] = _calendar(world.emails[f"module_update.{language}"])
    response = _post(client, f"/admin/series/{SLUG}/modules/2/cancel")
    assert response.status_code == 302, response.get_data(as_text=True)
    mails = _deliver(runner, sink)
    for (email, _n, language, _tz), waiting in ((ENGLISH, ENGLISH_WAITING),
                                                (FRENCH, FRENCH_WAITING)):
        _take(world, f"module_cancelled.{language}", mails, email)
        _take(world, f"module_cancelled_waiting.{language}", mails, waiting[0])
        world.calendars[f"module_cancelled.{language}"] = _calendar(
            world.emails[f"module_cancelled.{language}"])


def _follow_up_module_4(world: World, client, runner, sink: SmtpSink) -> None:
    """The organiser sends the follow-up of the held module with its recording."""
    response = _post(client, f"/admin/series/{SLUG}/modules/4/followup",
                     recording_url="https://video.example.org/module-4")
    assert response.status_code == 302, response.get_data(as_text=True)
    mails = _deliver(runner, sink)
    for language in ("en", "fr"):
        for attendance in ("attended", "absent", "unknown"):
            _take(world, f"followup_{attendance}.{language}", mails,
                  f"{attendance}.{language}@example.org")


def _remind_module_3(world: World, runner, sink: SmtpSink) -> None:
    """`flask reminders send-due` a day before module 3."""
    result = runner.invoke(args=["reminders", "send-due", "--now", REMINDER_NOW, "--no-deliver"])
    assert result.exit_code == 0, result.output
    mails = _deliver(runner, sink)
    _take(world, "reminder.en", mails, ENGLISH[0])
    _take(world, "reminder.fr", mails, FRENCH[0])


def _lost_links(world: World, client, runner, sink: SmtpSink) -> None:
    """Two people of the held module ask for their personal link again."""
    client = _new_browser(client)
    for language in ("en", "fr"):
        response = _post(client, f"/series/{SLUG}/lost-link",
                         email=f"attended.{language}@example.org")
        assert response.status_code == 302, response.get_data(as_text=True)
    mails = _deliver(runner, sink)
    for language in ("en", "fr"):
        _take(world, f"personal_link.{language}", mails, f"attended.{language}@example.org")


CAMPAIGN_BODY_EN = ("Dear colleagues,\n\nThe series brings together **practitioners** from "
                    "both sides of the Mediterranean. Read [the concept note](https://example.org/"
                    "concept) before the first module.\n\n- Six modules\n- Two hours each")
CAMPAIGN_BODY_FR = ("Chers collègues,\n\nLa série réunit des **praticiens** des deux rives de "
                    "la Méditerranée. Lisez [la note conceptuelle](https://example.org/concept) "
                    "avant le premier module.\n\n- Six modules\n- Deux heures chacun")


def _campaign(world: World, client, runner, sink: SmtpSink, tmp_path) -> None:
    """A bilingual invitation campaign to one English and one French invitee: the list through
    the CLI, the campaign written and confirmed on the organiser's pages."""
    path = tmp_path / "invitees.csv"
    path.write_text("name,email,organisation,country,language\n"
                    "Grace Hopper,grace@example.org,IOM,Kenya,en\n"
                    "Jean Martin,jean@example.org,Ministère,France,fr\n", encoding="utf-8")
    result = runner.invoke(args=["invitations", "import", str(path), "--series", SLUG])
    assert result.exit_code == 0, result.output
    client = _new_browser(client)
    _log_in(client, ORGANISER)
    response = _post(client, f"/admin/series/{SLUG}/invitations/campaigns/new",
                     subject_en="Join the migration and protection webinars",
                     body_en=CAMPAIGN_BODY_EN,
                     subject_fr="Rejoignez les webinaires migration et protection",
                     body_fr=CAMPAIGN_BODY_FR, modules=["1", "3"])
    assert response.status_code == 302, response.get_data(as_text=True)
    url = response.headers["Location"]
    response = _post(client, f"{url}/send", page=f"{url}/confirm", country="",
                     organisation="", language="")
    assert response.status_code == 302, response.get_data(as_text=True)
    mails = _deliver(runner, sink)
    _take(world, "campaign_invitation.en", mails, "grace@example.org")
    _take(world, "campaign_invitation.fr", mails, "jean@example.org")
    world.calendars["programme"] = _calendar(world.emails["campaign_invitation.en"])
    world.calendars["programme.fr"] = _calendar(world.emails["campaign_invitation.fr"])


def _account_emails(world: World, client, runner, sink: SmtpSink) -> None:
    """An admin invites a colleague; the organiser asks for a new password; in each language
    the visitor's browser shows (the account emails follow the page's language)."""
    for language in ("en", "fr"):
        client = _new_browser(client)
        client.get(f"/language/{language}")
        _log_in(client, ADMIN)
        colleague = f"colleague.{language}@example.org"
        data = dict(email=colleague, role="series:reviewer", series=SLUG)
        assert _post(client, "/auth/accounts/invite", **data).status_code == 200
        response = _post(client, "/auth/accounts/invite", **data, confirm="yes")
        assert response.status_code == 302, response.get_data(as_text=True)
        client = _new_browser(client)
        client.get(f"/language/{language}")
        response = _post(client, "/auth/forgot", email=ORGANISER)
        assert "Check your email" in response.get_data(as_text=True) or language != "en"
        mails = _deliver(runner, sink)
        _take(world, f"account_invitation.{language}", mails, colleague)
        _take(world, f"account_password_reset.{language}", mails, ORGANISER)


def _feeds(world: World, client) -> None:
    """The public feeds and each registrant's personal feed, as a calendar app fetches them."""
    urls = {
        "series": f"/series/{SLUG}/calendar.ics",
        "module": f"/series/{SLUG}/modules/1/calendar.ics",
    }
    for email, _n, language, _tz in (ENGLISH, FRENCH):
        urls[f"personal.{language}"] = f"/me/{token_of(person_by_email(email))}/calendar.ics"
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        world.calendars[name] = response.get_data()
    for path in ("/api/v1/series", f"/api/v1/series/{SLUG}", f"/api/v1/series/{SLUG}/modules"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        world.api[path] = response.get_data()


def _calendar(received: Received) -> bytes:
    (part,) = calendar_parts(received.message)
    return part.get_payload(decode=True)


def build_world(client, runner, sink: SmtpSink, tmp_path) -> World:
    """The fixed world, every email kind in English and French, every calendar file."""
    world = _make_world()
    _register_everyone(world, client, runner, sink)
    _cancel_own_places(world, client, runner, sink)
    _move_then_cancel_module_2(world, client, runner, sink)
    _follow_up_module_4(world, client, runner, sink)
    _remind_module_3(world, runner, sink)
    _lost_links(world, client, runner, sink)
    _campaign(world, client, runner, sink, tmp_path)
    _account_emails(world, client, runner, sink)
    _feeds(world, client)
    return world


# --- what varies from run to run ------------------------------------------------------------

_TOKEN = rb"(?:[A-Za-z0-9_\-]|\r\n[ \t]){16,}"  # a calendar line may fold inside a token
_HEADERS = [
    (re.compile(rb"^(Date: )[^\r\n]*", re.M), rb"\1<DATE>"),
    (re.compile(rb"^(Message-ID: )[^\r\n]*", re.M | re.I), rb"\1<MESSAGE-ID>"),
    (re.compile(rb"^(DTSTAMP:)[^\r\n]*", re.M), rb"\1<DTSTAMP>"),
    (re.compile(rb"^(LAST-MODIFIED:)[^\r\n]*", re.M), rb"\1<LAST-MODIFIED>"),
]
_TOKENS = re.compile(rb"(/me/|/set-password/|/unsubscribe/|[?&]invite=)(" + _TOKEN + rb")")


def _hide_token(match: re.Match[bytes]) -> bytes:
    """The token's characters as X, its line folds kept: the lines stay as long as sent."""
    return match.group(1) + re.sub(rb"[A-Za-z0-9_\-]", b"X", match.group(2))


def mask(data: bytes) -> bytes:
    """data with what changes from run to run hidden: the send time (Date, DTSTAMP), the
    Message-ID, the rows' update time (LAST-MODIFIED) and the tokens of personal links."""
    for pattern, replacement in _HEADERS:
        data = pattern.sub(replacement, data)
    return _TOKENS.sub(_hide_token, data)
