"""Who may open what: every rule of app.url_map, for every kind of visitor, from one table.

The visitors: an anonymous visitor, a participant holding their own personal link (`owner`), a
participant trying someone else's link (`stranger`: a token that is not theirs to guess), a
reviewer, an organiser and an admin. Staff are logged in through the login form; participants
never are. A new route without a row in RULES fails the suite, so its access is decided on
purpose, not by accident.

Expected answers:
- ok         the page or action answers (2xx, 304, a redirect that is not to the login page, or
             400 or 422 for a POST with an empty form: the form's own refusal)
- login      a redirect to the login page
- forbidden  403
- notfound   404 (personal pages with a token that is not the visitor's, and unknown ids)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import MINIMAL_PDF, PASSWORD, csrf_token
from tests.summary_helpers import IsolatedClient
from webinar_app.certificates.services import certificate_reference
from webinar_app.core.tokens import personal_token
from webinar_app.extensions import db, limiter
from webinar_app.invitations.services import _give_token, invitee_token
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    Campaign,
    Invitee,
    InviteeImport,
    Module,
    ModuleStatus,
    OutboxMessage,
    Person,
    ReaderBuild,
    ReaderBuildJob,
    Registration,
    Role,
    Series,
    Speaker,
    Summary,
    SummaryRevision,
    UndeliverableAddress,
    User,
)

VISITORS = ("anonymous", "owner", "stranger", "reviewer", "organiser", "admin")
STAFF = ("reviewer", "organiser", "admin")

# The access classes. Each maps a visitor to the expected answer.
PUBLIC = dict.fromkeys(VISITORS, "ok")
PERSONAL_LINK = {**dict.fromkeys(VISITORS, "notfound"), "owner": "ok"}
ANY_STAFF = {**dict.fromkeys(VISITORS, "login"), **dict.fromkeys(STAFF, "ok")}
EDITORS = {**ANY_STAFF, "reviewer": "forbidden"}
# personal data (registrations, invitees, attendance, the outbox): organisers and admins only
PERSONAL_DATA = EDITORS
REVIEWERS = {**ANY_STAFF, "organiser": "forbidden"}
ADMINS = {**EDITORS, "organiser": "forbidden"}
# logging out: nobody is refused; an anonymous visitor is simply sent on
LOGOUT = PUBLIC

# endpoint -> access class (for every method of the rule), or {method: access class}
RULES: dict[str, dict] = {
    "static": PUBLIC,
    "public.index": PUBLIC,
    "public.series_list": PUBLIC,
    "public.series_page": PUBLIC,
    "public.module_page": PUBLIC,
    "public.note_download": PUBLIC,
    "public.healthz": PUBLIC,
    "public.set_language": PUBLIC,
    "api.series_index": PUBLIC,
    "api.series_detail": PUBLIC,
    "api.series_modules": PUBLIC,
    "feeds.series_calendar": PUBLIC,
    "feeds.module_calendar": PUBLIC,
    "registration.register": PUBLIC,
    "registration.registered": PUBLIC,
    "registration.lost_link": PUBLIC,
    "registration.lost_link_sent": PUBLIC,
    "good_practices.catalogue": PUBLIC,
    "good_practices.catalogue_csv": PUBLIC,
    "good_practices.catalogue_json": PUBLIC,
    "summaries.published": PUBLIC,
    "reader_public.download_published": PUBLIC,
    "reader_public.download_language": PUBLIC,
    "unsubscribe.unsubscribe": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": LOGOUT,
    "auth.password": ANY_STAFF,
    "auth.accounts": ADMINS,
    "auth.personal_data_access": ADMINS,
    "auth.forgot_password": PUBLIC,
    # a set-password link opens only with a real account link; a participant's token is none
    "auth.set_password": dict.fromkeys(VISITORS, "notfound"),
    "auth.invite": ADMINS,
    "auth.account": ADMINS,
    "auth.change_role": ADMINS,
    "auth.change_series_role": ADMINS,
    "auth.change_active": ADMINS,
    "auth.send_link": ADMINS,
    "me.page": PERSONAL_LINK,
    "me.calendar": PERSONAL_LINK,
    "me.cancel": PERSONAL_LINK,
    "me.delete": PERSONAL_LINK,
    "me.details": PERSONAL_LINK,
    "me.export": PERSONAL_LINK,
    "certificates.download": PERSONAL_LINK,
    "certificates.verify": PUBLIC,
    "admin.dashboard": ANY_STAFF,
    "admin.series_detail": ANY_STAFF,
    "admin.module_detail": ANY_STAFF,
    "admin.new_series": EDITORS,
    "editions.new_edition": EDITORS,
    "admin.edit_series": EDITORS,
    "admin.new_module": EDITORS,
    "admin.edit_module": EDITORS,
    "admin.module_status": EDITORS,
    "admin.reschedule_module": EDITORS,
    "admin.edit_agenda_item": EDITORS,
    "admin.agenda_action": EDITORS,
    "admin.new_note": EDITORS,
    "admin.edit_note": EDITORS,
    "admin.note_action": EDITORS,
    "admin.delete_agenda_item": EDITORS,
    "admin.delete_note": EDITORS,
    "admin.delete_module": EDITORS,
    "attendance.overview": PERSONAL_DATA,
    "attendance.module_page": PERSONAL_DATA,
    "attendance.mark": PERSONAL_DATA,
    "attendance.confirm": EDITORS,
    "followups.followup": EDITORS,
    "recordings.edit": EDITORS,
    "recordings.email": EDITORS,
    "recordings.preview_html": EDITORS,
    "invitations.invitees": PERSONAL_DATA,
    "invitations.add": PERSONAL_DATA,
    "invitations.export": PERSONAL_DATA,
    "invitations.import_list": PERSONAL_DATA,
    "invitations.import_confirm": PERSONAL_DATA,
    "invitations.import_status": PERSONAL_DATA,
    "invitations.new_campaign": EDITORS,
    "invitations.campaign": PERSONAL_DATA,
    "invitations.preview": PERSONAL_DATA,
    "invitations.preview_email": PERSONAL_DATA,
    "invitations.edit_campaign": EDITORS,
    "invitations.test_send": EDITORS,
    "invitations.confirm": EDITORS,
    "invitations.send": EDITORS,
    "invitations.schedule": EDITORS,
    "invitations.unschedule": EDITORS,
    "invitations.remind": EDITORS,
    "invitations.resend": EDITORS,
    "outbox.index": PERSONAL_DATA,
    "outbox.retry": EDITORS,
    "outbox.undeliverable_addresses": PERSONAL_DATA,
    "outbox.clear_undeliverable": EDITORS,
    "registrations_admin.registrations": PERSONAL_DATA,
    "registrations_admin.registrations_export": PERSONAL_DATA,
    "registrations_admin.move": EDITORS,
    "registrations_admin.resend": EDITORS,
    "registrations_admin.reissue": EDITORS,
    "registrations_admin.revoke": EDITORS,
    "reports.index": PERSONAL_DATA,
    "reports.export_csv": PERSONAL_DATA,
    "reports.export_svg": PERSONAL_DATA,
    "reader.index": ANY_STAFF,
    "reader.download": ANY_STAFF,
    "reader.build": EDITORS,
    "reader.job": ANY_STAFF,
    "reader.publish": EDITORS,
    "reader.unpublish": EDITORS,
    "summaries.overview": ANY_STAFF,
    "summaries.revision": ANY_STAFF,
    "summaries.compare": ANY_STAFF,
    "summaries.comment": ANY_STAFF,
    "summaries.edit": EDITORS,
    "summaries.submit": EDITORS,
    "summaries.reopen": EDITORS,
    "summaries.send_back": REVIEWERS,
    "summaries.approve": REVIEWERS,
    "summaries.publish": REVIEWERS,
    "summaries.release_followups": ANY_STAFF,
    # the audit log names organisers, never participants: editors per series, admins site-wide
    "audit.series_log": EDITORS,
    "audit.series_csv": EDITORS,
    "audit.site_log": ADMINS,
    "audit.site_csv": ADMINS,
    # the reminders stage: anyone may look; organisers and admins change it
    "reminders.index": ANY_STAFF,
    "reminders.set_offsets": EDITORS,
    "reminders.switch": EDITORS,
}


@dataclass
class World:
    """One series with one of everything, and the values that fill each URL parameter."""

    values: dict[str, object] = field(default_factory=dict)
    owner_token: str = ""
    stranger_token: str = ""


def build_world(tag: str) -> World:
    """A series (slug per tag) with one of everything a route can name."""
    now = datetime.now(UTC).replace(microsecond=0)
    series = Series(slug=f"matrix-{tag}", title=f"Matrix {tag}", short_description="Matrix.",
                    description="", organiser="Secretariat", chair="Chair",
                    timezone="Europe/Brussels", languages="en,fr",
                    sender_email="secretariat@example.org", sender_name="Secretariat")
    module = Module(series=series, number=1, pillar="Prevention", title="Module one",
                    thematic_focus="Focus", description="", starts_at=now - timedelta(days=2),
                    duration_minutes=120, status=ModuleStatus.HELD.value,
                    join_url="https://zoom.example.org/j/1")
    item = AgendaItem(module=module, position=0, start_offset_minutes=0, kind="panel",
                      title="Panel")
    item.speakers.append(Speaker(position=0, role="Expert", organisation="UNODC"))
    note = BackgroundNote(module=module, title="Note", language="en", abstract="Abstract.",
                          is_published=True, file_name="note.pdf", file_size=len(MINIMAL_PDF),
                          file_sha256=hashlib.sha256(MINIMAL_PDF).hexdigest(), file_pages=1,
                          file_data=MINIMAL_PDF)
    owner = Person(series=series, email=f"owner-{tag}@example.org", full_name="Owner Person",
                   language="en", timezone="Europe/Brussels")
    other = Person(series=series, email=f"other-{tag}@example.org", full_name="Other Person",
                   language="en", timezone="Europe/Brussels")
    registration = Registration(person=owner, module=module, attendance="attended")
    invitee = Invitee(series=series, email=f"invitee-{tag}@example.org", full_name="Invitee")
    _give_token(invitee)
    campaign = Campaign(series=series, title="Invitation", module_numbers="1")
    build = ReaderBuild(series=series, number=1, pdf=MINIMAL_PDF, size=len(MINIMAL_PDF),
                        page_count=1, is_published=True, published_at=now)
    db.session.add_all([series, module, item, note, owner, other, registration, invitee,
                        campaign, build])
    invitee_import = InviteeImport(series=series, filename="list.csv", data=b"name,email\r\n",
                                   status="checked")
    db.session.add(invitee_import)
    reader_job = ReaderBuildJob(series=series, status="done", build=build)
    db.session.add(reader_job)
    db.session.flush()
    message = OutboxMessage(kind="test", purpose_key=f"matrix-{tag}", series_id=series.id,
                            to_email=owner.email, subject="Subject", body_text="Body",
                            status="failed")
    db.session.add(message)
    mark = UndeliverableAddress(email=f"bounced-{tag}@example.org", series_id=series.id,
                                sender_email="secretariat@example.org", reason="550 5.1.1")
    db.session.add(mark)
    summary = Summary(module=module, body_markdown="Draft.")
    summary.revisions.append(SummaryRevision(number=1, body_markdown="Draft."))
    summary.revisions.append(SummaryRevision(number=2, body_markdown="Draft, again."))
    db.session.add(summary)
    account = User(email=f"matrix-account-{tag}@example.org", role=Role.REVIEWER.value,
                   password_hash="unusable")  # noqa: S106 (the target of auth.personal_data_access)
    db.session.add(account)
    db.session.flush()
    owner_token = personal_token(owner)
    stranger_token = personal_token(other)
    # that link no longer opens
    other.token_hash = hashlib.sha256(f"revoked-{tag}".encode()).hexdigest()
    db.session.commit()
    values = {
        "slug": series.slug, "number": module.number, "item_id": item.id, "note_id": note.id,
        "filename": note.file_name, "registration_id": registration.id,
        "person_id": owner.id, "campaign_id": campaign.id, "invitee_id": invitee.id,
        "message_id": message.id, "build_id": build.id, "import_id": invitee_import.id,
        "job_id": reader_job.id, "lang": "en",
        "reference": certificate_reference(owner, now.date()),
        "revision": 1, "kind": "modules", "offset": 60,
        "code": "fr", "invite_token": invitee_token(invitee), "user_id": account.id,
        "mark_id": mark.id,
    }
    return World(values=values, owner_token=owner_token, stranger_token=stranger_token)


def url_for_rule(rule, world: World, visitor: str) -> str:
    """The rule's URL with its parameters taken from the world."""
    parts = {}
    for name in rule.arguments:
        if rule.endpoint == "unsubscribe.unsubscribe":
            parts[name] = world.values["invite_token"]
        elif name == "token":
            parts[name] = world.owner_token if visitor == "owner" else world.stranger_token
        elif rule.endpoint == "static":
            parts[name] = "site.css"
        elif name == "action":
            parts[name] = _any_first(rule, name)
        else:
            assert name in world.values, f"{rule.endpoint}: no test value for <{name}>"
            parts[name] = world.values[name]
    return rule.build(parts, append_unknown=False)[1]


def _any_first(rule, name: str) -> str:
    """The first choice of an <any(...)> converter, read from the rule's text."""
    text = rule.rule.split(f":{name}>")[0]
    choices = text.rsplit("<any(", 1)[1].rstrip(")")
    return choices.split(",")[0].strip()


def _staff(tag: str) -> dict[str, User]:
    users = {}
    for role in (Role.REVIEWER, Role.ORGANISER, Role.ADMIN):
        user = User(email=f"{role.value}-{tag}@example.org", role=role.value)
        user.set_password(PASSWORD)
        db.session.add(user)
        users[role.value] = user
    db.session.commit()
    return users


def _client(app, visitor: str, users: dict[str, User]):
    app.test_client_class = IsolatedClient
    client = app.test_client()
    if visitor in users:
        token = csrf_token(client, "/auth/login")
        response = client.post("/auth/login", data={"email": users[visitor].email,
                                                    "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, f"{visitor} could not log in"
    return client


def _csrf(client) -> str:
    """A CSRF token of the client's session (any page with a form gives one)."""
    return csrf_token(client, "/auth/login")


def answer_class(response, method: str) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (301, 302, 303, 307, 308) and "/auth/login" in location:
        return "login"
    if status == 401:
        return "login"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "notfound"
    if status < 400 or (method == "POST" and status in (400, 422)):
        return "ok"
    return f"HTTP {status}"


def expected_for(endpoint: str, method: str) -> dict[str, str]:
    rule = RULES[endpoint]
    return rule.get(method, rule) if method in rule else rule


def _rules(app, method: str):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if method in rule.methods),
        key=lambda rule: (rule.endpoint, rule.rule),
    )


def test_every_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - RULES.keys())
    stale = sorted(RULES.keys() - endpoints)
    assert not missing, f"routes without a row in RULES: {missing}"
    assert not stale, f"rows in RULES for routes that no longer exist: {stale}"


# POSTs after which the visitor's client is no longer what it was (logged out)
SESSION_ENDING = {"auth.logout"}


class Clients(dict):
    """One client per visitor, logged in once (logging in costs a password hash)."""

    def __init__(self, app, users) -> None:
        super().__init__()
        self.app, self.users = app, users

    def __missing__(self, visitor: str):
        self[visitor] = _client(self.app, visitor, self.users)
        return self[visitor]


def _check(app, rule, method: str, visitors, world: World, clients: Clients) -> list[str]:
    problems = []
    expected = expected_for(rule.endpoint, method)
    for visitor in visitors:
        limiter.reset()  # this test asks each form hundreds of times; rate limits are tested apart
        client = clients[visitor]
        if method == "POST" and rule.endpoint in SESSION_ENDING:
            clients.pop(visitor)
        url = url_for_rule(rule, world, visitor)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": _csrf(client)})
        got = answer_class(response, method)
        response.close()
        if got != expected[visitor]:
            problems.append(f"{method} {url} as {visitor}: expected {expected[visitor]}, "
                            f"got {got} ({response.status_code})")
    return problems


def test_get_matrix(app):
    """Every GET route, every visitor: one world, since reading changes nothing."""
    clients = Clients(app, _staff("get"))
    world = build_world("get")
    problems = []
    for rule in _rules(app, "GET"):
        problems += _check(app, rule, "GET", VISITORS, world, clients)
    assert not problems, "\n".join(problems)


def test_post_matrix(app):
    """Every POST route: refused visitors on one world, each allowed visitor on a fresh one."""
    clients = Clients(app, _staff("post"))
    shared = build_world("post")
    problems = []
    for index, rule in enumerate(_rules(app, "POST")):
        expected = expected_for(rule.endpoint, "POST")
        refused = [v for v in VISITORS if expected[v] != "ok"]
        allowed = [v for v in VISITORS if expected[v] == "ok"]
        problems += _check(app, rule, "POST", refused, shared, clients)
        for visitor in allowed:
            world = build_world(f"p{index}-{visitor}")
            problems += _check(app, rule, "POST", [visitor], world, clients)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("visitor", ["anonymous", "reviewer", "organiser", "admin"])
def test_personal_link_of_someone_else_never_opens(app, visitor):
    """A link revoked or guessed opens nothing, whoever is logged in."""
    users = _staff(f"pl-{visitor}")
    world = build_world(f"pl-{visitor}")
    client = _client(app, visitor, users)
    for url in (f"/me/{world.stranger_token}", f"/me/{world.stranger_token}/export.json",
                f"/me/{'A' * 43}", f"/me/{world.stranger_token}/calendar.ics"):
        assert client.get(url).status_code == 404, url
