"""The audit log: who emailed, rescheduled, published, exported or erased what, and how many."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token
from tests.registration_helpers import person_by_email, register
from tests.summary_helpers import IsolatedClient, client_for, publish
from webinar_app.core.tokens import personal_token
from webinar_app.extensions import db
from webinar_app.invitations.services import create_campaign
from webinar_app.models import AuditEvent, ModuleStatus

BRUSSELS = ZoneInfo("Europe/Brussels")
PAST = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)
LOG_URL = "/admin/series/test-series/audit"


def _local(at: datetime) -> str:
    return at.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M")


def _events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def _table_rows(html: str) -> list[list[str]]:
    """The cells of each body row of the log table, tags stripped."""
    body = re.search(r"<tbody>(.*)</tbody>", html, re.S)
    assert body, "no table on the page"
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


@pytest.fixture()
def scene(app, runner, tmp_path, make_series, make_module, make_registration, make_user):
    """A series: module 1 to come with two registrants, module 2 held with one; a team."""
    app.test_client_class = IsolatedClient
    series = make_series()
    upcoming = make_module(series)
    held = make_module(series, starts_at=PAST, status=ModuleStatus.HELD.value)
    make_registration(upcoming, email="ada@example.org", full_name="Ada Lovelace")
    make_registration(upcoming, email="jean@example.org", full_name="Jean Martin")
    make_registration(held, email="ada@example.org")
    invitees = tmp_path / "invitees.csv"
    invitees.write_text("name,email,organisation,country,language\n"
                        "Amina Diallo,amina@example.org,IOM,Kenya,en\n"
                        "Li Wei,li@example.org,MoJ,China,en\n", encoding="utf-8")
    result = runner.invoke(args=["invitations", "import", str(invitees), "--series", "test-series"])
    assert result.exit_code == 0, result.output
    return dict(series=series, upcoming=upcoming, held=held,
                organiser=make_user("organiser@example.org", "organiser"),
                admin=make_user("admin@example.org", "admin"),
                reviewer=make_user("reviewer@example.org", "reviewer"))


def test_reschedules_campaign_and_publish_are_listed_with_who_and_how_many(app, runner, scene):
    upcoming, held = scene["upcoming"], scene["held"]
    organiser = client_for(app, scene["organiser"])
    first_move = upcoming.starts_at + timedelta(days=2)
    result = runner.invoke(args=["modules", "reschedule", "test-series", "1",
                                 "--start", _local(first_move)])
    assert result.exit_code == 0, result.output

    url = "/admin/series/test-series/modules/1/reschedule"
    second_move = first_move + timedelta(hours=1)
    response = organiser.post(url, data={"starts_at": _local(second_move),
                                         "duration_minutes": "120",
                                         "csrf_token": csrf_token(organiser, url)})
    assert response.status_code == 302, response.get_data(as_text=True)

    campaign = create_campaign(scene["series"], "First call", "Join us.", [])
    db.session.commit()
    page = f"/admin/series/test-series/invitations/campaigns/{campaign.id}"
    response = organiser.post(page + "/send", data={"audience": "new",
                                                    "csrf_token": csrf_token(organiser, page)})
    assert response.status_code == 302

    publish(organiser, client_for(app, scene["admin"]), held, "What was said.")

    html = organiser.get(LOG_URL).get_data(as_text=True)
    rows = _table_rows(html)
    when, who, what, module, people = range(5)
    published, approved, submitted, sent, page_move, cli_move = rows
    assert cli_move[who] == "command line" and cli_move[module] == "Module 1"
    assert "Rescheduled module 1 from" in cli_move[what] and cli_move[people] == "2"
    assert second_move.astimezone(BRUSSELS).strftime("%H:%M") in page_move[what]
    assert page_move[who] == "organiser@example.org" and page_move[people] == "2"
    assert "(module.rescheduled)" in page_move[what]
    assert sent[who] == "organiser@example.org" and sent[people] == "2"
    assert "First call" in sent[what] and "(campaign.sent)" in sent[what]
    assert published[who] == "admin@example.org" and published[module] == "Module 2"
    assert "(summary.published)" in published[what] and published[people] == "1"
    assert "(summary.approved)" in approved[what] and approved[who] == "admin@example.org"
    assert "(summary.submitted)" in submitted[what] and submitted[who] == "organiser@example.org"
    assert re.match(r"\d", cli_move[when])

    exported = _csv_rows(organiser.get(LOG_URL + ".csv"))
    by_action = {}
    for row in exported:
        by_action.setdefault(row["Action"], []).append(row)
    assert [(r["Who"], r["People affected"]) for r in by_action["module.rescheduled"]] == [
        ("organiser@example.org", "2"), ("command line", "2")]
    (campaign_row,) = by_action["campaign.sent"]
    assert (campaign_row["Who"], campaign_row["People affected"]) == ("organiser@example.org", "2")
    (publish_row,) = by_action["summary.published"]
    assert (publish_row["Who"], publish_row["People affected"]) == ("admin@example.org", "1")
    assert publish_row["Module"] == "Module 2"

    filtered = _table_rows(organiser.get(LOG_URL + "?kind=module").get_data(as_text=True))
    assert len(filtered) == 2 and all("(module.rescheduled)" in r[what] for r in filtered)


def test_a_refused_action_records_nothing(app, runner, scene):
    organiser = client_for(app, scene["organiser"])
    result = runner.invoke(args=["modules", "reschedule", "test-series", "2",
                                 "--start", _local(PAST + timedelta(days=30))])
    assert result.exit_code != 0 and "held" in result.output
    url = "/admin/series/test-series/modules/1/reschedule"
    response = organiser.post(url, data={"starts_at": _local(scene["upcoming"].starts_at),
                                         "duration_minutes": "100000",
                                         "csrf_token": csrf_token(organiser, url)})
    assert response.status_code in (200, 422)
    result = runner.invoke(args=["modules", "set-capacity", "test-series", "1", "-3"])
    assert result.exit_code != 0
    assert _events() == []
    assert "Nothing has been recorded here yet." in organiser.get(LOG_URL).get_data(
        as_text=True)


def test_cancel_and_capacity_are_recorded_from_the_command_line(runner, scene):
    result = runner.invoke(args=["modules", "set-capacity", "test-series", "1", "5"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["modules", "cancel", "test-series", "1"])
    assert result.exit_code == 0, result.output
    capacity, cancelled = _events()
    assert (capacity.action, capacity.actor_label, capacity.details["new_capacity"]) == (
        "module.capacity_changed", "command line", 5)
    assert (cancelled.action, cancelled.people_affected, cancelled.actor_id) == (
        "module.cancelled", 2, None)
    assert cancelled.module_id == scene["upcoming"].id


def test_the_site_log_is_for_admins_and_the_series_log_for_editors(app, scene):
    client = app.test_client()
    organiser = client_for(app, scene["organiser"])
    admin = client_for(app, scene["admin"])
    reviewer = client_for(app, scene["reviewer"])
    for url in ("/admin/audit", "/admin/audit.csv"):
        assert organiser.get(url).status_code == 403
        assert reviewer.get(url).status_code == 403
        assert client.get(url).status_code == 302
        assert admin.get(url).status_code == 200
    for url in (LOG_URL, LOG_URL + ".csv"):
        assert reviewer.get(url).status_code == 403
        assert organiser.get(url).status_code == 200
        assert admin.get(url).status_code == 200
    assert organiser.get("/admin/series/no-such-series/audit").status_code == 404
    series_page = organiser.get("/admin/series/test-series").get_data(as_text=True)
    assert f'href="{LOG_URL}"' in series_page
    assert 'href="/admin/audit"' not in organiser.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/audit"' in admin.get("/admin/").get_data(as_text=True)


def test_site_log_lists_every_series_and_accounts(app, runner, scene, make_series):
    make_series(slug="other-series", title="Other")
    result = runner.invoke(args=["users", "end-sessions", "reviewer@example.org"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "personal-data", "reviewer@example.org", "--allow"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["modules", "cancel", "test-series", "1"])
    assert result.exit_code == 0, result.output
    organiser = client_for(app, scene["organiser"])
    url = "/auth/password"
    wrong = organiser.post(url, data={"csrf_token": csrf_token(organiser, url),
                                      "current_password": "not it",
                                      "new_password": "a new long password",
                                      "new_password_again": "a new long password"})
    assert wrong.status_code == 200
    response = organiser.post(url, data={"csrf_token": csrf_token(organiser, url),
                                         "current_password": PASSWORD,
                                         "new_password": "a new long password",
                                         "new_password_again": "a new long password"})
    assert response.status_code == 302
    admin = client_for(app, scene["admin"])
    rows = _table_rows(admin.get("/admin/audit").get_data(as_text=True))
    actions = [re.search(r"\(([\w.]+)\)$", r[2]).group(1) for r in rows]
    assert actions == ["account.password_changed", "module.cancelled",
                       "account.personal_data_granted", "account.sessions_ended"]
    assert rows[0][1] == "organiser@example.org"
    assert rows[1][3] == "test-series" and rows[3][3] == ""
    exported = _csv_rows(admin.get("/admin/audit.csv?kind=account"))
    assert [(r["Action"], r["Who"]) for r in exported] == [
        ("account.password_changed", "organiser@example.org"),
        ("account.personal_data_granted", "command line"),
        ("account.sessions_ended", "command line")]
    assert "reviewer@example.org" in exported[1]["What"]


def test_exports_erasure_and_purge_record_counts_and_never_a_participant(
    app, runner, scene, make_series, make_module, make_registration
):
    client = app.test_client()
    organiser = client_for(app, scene["organiser"])
    assert organiser.get("/admin/series/test-series/registrations.csv").status_code == 200
    assert organiser.get("/admin/series/test-series/invitations/export.csv").status_code == 200

    assert register(client, email="self.delete@example.org",
                    full_name="Selma Delete").status_code in (200, 302)
    person = person_by_email("self.delete@example.org")
    token = personal_token(person)
    db.session.commit()
    url = f"/me/{token}/delete"
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "is_confirmed": "y"})
    assert response.status_code == 200

    old = make_series(slug="old-series", title="Old", retention_days=1)
    old_module = make_module(old, starts_at=PAST - timedelta(days=30),
                             status=ModuleStatus.HELD.value)
    make_registration(old_module, email="old.one@example.org", full_name="Olga Old")
    make_registration(old_module, email="old.two@example.org", full_name="Otto Old")
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output

    events = {e.action: e for e in _events()}
    assert events["export.registrations"].people_affected == 2  # Ada and Jean
    assert events["export.invitees"].people_affected == 2
    erasure = events["erasure.participant"]
    assert (erasure.people_affected, erasure.actor_label, erasure.actor_id) == (
        1, "participant", None)
    purge = events["erasure.retention_purge"]
    assert purge.people_affected == 2 and purge.actor_label == "command line"
    assert purge.series_id == old.id and purge.details["people"] == 2

    admin = client_for(app, scene["admin"])
    everything = (admin.get("/admin/audit").get_data(as_text=True)
                  + admin.get("/admin/audit.csv").get_data(as_text=True)
                  + json.dumps([[e.summary, e.details] for e in _events()]))
    for name in ("Ada Lovelace", "Jean Martin", "Selma Delete", "Olga Old", "Otto Old",
                 "Amina Diallo", "ada@example.org", "self.delete@example.org",
                 "old.one@example.org", "amina@example.org"):
        assert name not in everything
    assert "A participant deleted their personal data" in everything


def test_the_event_is_in_the_transaction_of_the_action(app, scene):
    from webinar_app.audit.services import record_event

    record_event("module.rescheduled", module=scene["upcoming"], summary="Will roll back",
                 people=3)
    db.session.rollback()
    assert _events() == []
