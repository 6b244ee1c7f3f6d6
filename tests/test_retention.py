"""Item 13: personal data does not outlive its purpose (`flask privacy purge`, retention period).

The held 2021 demo edition (160 participants, attendance, published summaries) ended in 2021,
more than RETENTION_DAYS ago; the current demo series has modules to come and must be left alone.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, or_, select

from tests.registration_helpers import csrf_token, register, text, token_of
from webinar_app import timefmt
from webinar_app.demo.edition_2021 import SLUG_2021
from webinar_app.extensions import db
from webinar_app.models import (
    AttendanceUpload,
    Campaign,
    CampaignSend,
    Invitee,
    InviteeImport,
    Module,
    OutboxMessage,
    Person,
    Registration,
    Role,
    Series,
)
from webinar_app.outbox.background import start_delivery_thread
from webinar_app.privacy.jobs import DailyPurge

CURRENT = "thb-4ps-revisited"
INVITEES_CSV = (
    "name,email,organisation,country\n"
    "Zeynab Invitee-Marker,zeynab.marker@example.org,Ministry of Interior,Sudan\n"
    "Omar Invitee-Marker,omar.marker@example.org,IOM,Egypt\n"
    "Lina Invitee-Marker,lina.marker@example.org,UNHCR,Kenya\n"
)


def _series(slug: str) -> Series:
    db.session.expire_all()
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    assert series is not None, slug
    return series


def _people(series: Series) -> list[Person]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Person).where(Person.series_id == series.id).order_by(Person.id)))


def _emails_of(series: Series) -> list[OutboxMessage]:
    db.session.expire_all()
    people = select(Person.id).where(Person.series_id == series.id)
    return list(db.session.scalars(select(OutboxMessage).where(or_(
        OutboxMessage.series_id == series.id, OutboxMessage.person_id.in_(people)))))


def _invitee_count(series: Series) -> int:
    return db.session.scalar(
        select(func.count(Invitee.id)).where(Invitee.series_id == series.id)) or 0


def _pdf_pages(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages]


def _build_reader(runner, tmp_path, name: str) -> list[str]:
    target = tmp_path / name
    result = runner.invoke(args=["reader", "build", "--series", SLUG_2021, "-o", str(target)])
    assert result.exit_code == 0, result.output
    return _pdf_pages(target.read_bytes())


def _snapshot(client, runner, tmp_path, name: str) -> dict:
    """Everything that must read the same before and after the purge."""
    base = f"/admin/series/{SLUG_2021}"
    snapshot = {
        kind: client.get(f"{base}/reports/{kind}.csv").get_data()
        for kind in ("modules", "countries", "organisation-types")
    }
    public = f"/series/{SLUG_2021}"
    for url in (f"{base}/reports", f"{public}/summaries", f"{public}/good-practices",
                f"{public}/good-practices.csv", public,
                *[f"{public}/modules/{number}" for number in range(1, 5)]):
        response = client.get(url)
        assert response.status_code == 200, url
        snapshot[url] = re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "",
                               response.get_data(as_text=True))
    snapshot["reader"] = _build_reader(runner, tmp_path, name)
    return snapshot


def _without_build_number(pages: list[str]) -> list[str]:
    return [re.sub(r"(?i)(build|version) \d+", "", page) for page in pages]


@pytest.fixture()
def admin(make_user, login):
    user = make_user("admin@example.org", role=Role.ADMIN.value)
    login(user)
    return user


@pytest.fixture()
def demo(runner):
    """Both demo series; the past one with invitees, a campaign and follow-up emails."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return _series(SLUG_2021)


def _add_invitees_and_emails(runner, client, tmp_path) -> None:
    csv_path = tmp_path / "invitees.csv"
    csv_path.write_text(INVITEES_CSV, encoding="utf-8")
    result = runner.invoke(args=["invitations", "import", str(csv_path), "--series", SLUG_2021])
    assert result.exit_code == 0 and "Imported 3 new" in result.output, result.output
    result = runner.invoke(args=["invitations", "send", "--series", SLUG_2021])
    assert result.exit_code == 0 and "queued 3 invitations" in result.output, result.output
    # Follow-ups to module 1's attendees and absentees, delivered; module 2's left queued.
    for number in (1, 2):
        url = f"/admin/series/{SLUG_2021}/modules/{number}/followup"
        response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                          "recording_url": "https://example.org/video"})
        assert response.status_code == 302, response.get_data(as_text=True)
        if number == 1:
            result = runner.invoke(args=["mail", "deliver"])
            assert result.exit_code == 0, result.output


def test_purge_erases_people_invitees_and_emails_and_keeps_counts_reports_and_reader(
    app, client, runner, admin, demo, tmp_path
):
    past = demo
    _add_invitees_and_emails(runner, client, tmp_path)
    # Someone registers for the current series (modules to come): never touched.
    response = register(client, slug=CURRENT, email="current.person@example.org",
                        full_name="Current Person")
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    current_person = db.session.scalar(
        select(Person).where(Person.email == "current.person@example.org"))
    current_token = token_of(current_person)
    first = db.session.scalar(select(Person).where(Person.email == "participant001@example.org"))
    first_token = token_of(first)
    assert client.get(f"/me/{first_token}").status_code == 200

    # An attendance report uploaded over the recorded attendance, not yet confirmed.
    report = "Name,Email,Duration\nParticipant One,participant001@example.org,95\n"
    db.session.add(AttendanceUpload(module_id=past.modules[0].id, file_name="zoom.csv",
                                    data=report.encode()))
    db.session.commit()

    people = _people(past)
    emails = _emails_of(past)
    assert len(people) == 160 and _invitee_count(past) == 3
    uploads = 1 + (db.session.scalar(select(func.count(InviteeImport.id)).where(
        InviteeImport.series_id == past.id)) or 0)
    statuses = Counter(m.status for m in emails)
    assert statuses["sent"] > 0 and statuses["queued"] > 0
    profile = Counter((p.country, p.organisation_type, p.language) for p in people)
    registrations = Counter(db.session.execute(
        select(Registration.module_id, Registration.status, Registration.attendance)
        .join(Module).where(Module.series_id == past.id)).all())
    before = _snapshot(client, runner, tmp_path, "before.pdf")

    # A dry run counts and changes nothing.
    result = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    expected = f"160 people's details, 3 invitees, {len(emails)} emails, {uploads} uploaded files"
    assert f"{SLUG_2021} (due " in result.output
    assert f"would erase {expected}; kept {sum(registrations.values())} registrations" \
        in result.output
    assert f"Would erase {expected} in 1 series past their retention period." in result.output
    assert f"{CURRENT} " not in result.output
    assert sum(1 for p in _people(past) if p.email) == 160 and _invitee_count(past) == 3
    assert sum(1 for m in _emails_of(past) if m.to_email) == len(emails)
    assert _series(SLUG_2021).personal_data_erased_at is None

    # The purge itself.
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert f"erased {expected}" in result.output
    assert result.output.strip().splitlines()[-1] == (
        f"Erased {expected} in 1 series past their retention period.")

    people = _people(past)
    assert len(people) == 160
    for person in people:
        assert person.email is None and person.full_name == "" and person.organisation == ""
        assert person.job_title == "" and person.token_hash is None and person.token_salt is None
        assert person.erased_at is not None
    assert Counter((p.country, p.organisation_type, p.language) for p in people) == profile
    assert Counter(db.session.execute(
        select(Registration.module_id, Registration.status, Registration.attendance)
        .join(Module).where(Module.series_id == past.id)).all()) == registrations
    assert client.get(f"/me/{first_token}").status_code == 404

    assert _invitee_count(past) == 0
    assert db.session.scalar(select(func.count(CampaignSend.id))) == 0
    assert db.session.scalar(select(func.count(AttendanceUpload.id))) == 0
    assert db.session.scalar(select(func.count(InviteeImport.id)).where(
        InviteeImport.series_id == past.id)) == 0
    assert db.session.scalar(select(func.count(Campaign.id)).where(
        Campaign.series_id == past.id)) == 1
    left = _emails_of(past)
    assert Counter(m.status for m in left) == Counter(
        {status: n for status, n in statuses.items() if status != "queued"})
    for message in left:
        assert (message.to_email, message.to_name, message.body_text, message.body_html,
                message.calendar_ics, message.extra_headers) == ("", "", "", "", None, "")
    stored = " ".join(
        f"{m.to_email} {m.to_name} {m.body_text} {m.body_html} {m.extra_headers}"
        for m in db.session.scalars(select(OutboxMessage)))
    assert "participant001" not in stored and "Invitee-Marker" not in stored

    # The organiser pages of the series still work, and name nobody.
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.series_id == past.id))
    base = f"/admin/series/{SLUG_2021}"
    for url in (f"{base}/registrations", f"{base}/registrations.csv", f"{base}/attendance",
                f"{base}/modules/1/attendance", f"{base}/invitations",
                f"{base}/invitations/campaigns/{campaign_id}", "/admin/outbox/"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert "participant001" not in page and "Invitee-Marker" not in page, url

    # Reports, summaries, good practices and the Reader read the same.
    after = _snapshot(client, runner, tmp_path, "after.pdf")
    for key in before:
        if key == "reader":
            assert _without_build_number(after[key]) == _without_build_number(before[key])
        else:
            assert after[key] == before[key], key

    # The current series keeps its people.
    assert client.get(f"/me/{current_token}").status_code == 200
    db.session.expire_all()
    assert db.session.get(Person, current_person.id).email == "current.person@example.org"

    # Idempotent: a second run finds nothing left.
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert ("Erased 0 people's details, 0 invitees, 0 emails, 0 uploaded files in 1 series"
            in result.output)

    # The organiser pages say what happened and what will happen.
    page = text(client.get(f"/admin/series/{SLUG_2021}"))
    assert "Personal data of this series was erased on" in page
    current = _series(CURRENT)
    due = max(m.ends_at for m in current.modules) + timedelta(days=365)
    page = text(client.get(f"/admin/series/{CURRENT}"))
    expected_date = timefmt.fmt_short_date(due, current.timezone, "en")
    assert (f"Personal data of this series will be erased on "
            f"{timefmt.fmt_date(due, current.timezone, 'en')} (365 days after the last module)."
            in page), page
    assert expected_date in page


def _ended_series(make_series, make_module, make_registration, slug: str, ended_days_ago: int,
                  future_module: bool = False) -> Series:
    series = make_series(slug=slug, title=f"Series {slug}")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=ended_days_ago, hours=3)
    module = make_module(series, number=1, starts_at=start)
    make_registration(module, email=f"someone@{slug}.example.org", full_name="Some One")
    if future_module:
        make_module(series, number=2, starts_at=datetime.now(UTC) + timedelta(days=30))
    return series


def test_a_series_with_a_module_to_come_is_never_purged(
    app, runner, make_series, make_module, make_registration, client, admin
):
    series = _ended_series(make_series, make_module, make_registration, "ongoing", 800,
                           future_module=True)
    series.retention_days = 1
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "ongoing" not in result.output
    assert "Erased 0 people's details, 0 invitees, 0 emails, 0 uploaded files in 0 series" \
        in result.output
    assert [p.email for p in _people(series)] == ["someone@ongoing.example.org"]
    page = text(client.get("/admin/series/ongoing"))
    assert "will be erased on" in page and "(1 day after the last module)" in page


def test_a_module_without_a_date_keeps_the_date_open(
    app, make_series, make_module, make_registration, client, admin
):
    series = _ended_series(make_series, make_module, make_registration, "undated", 800)
    make_module(series, number=2, starts_at=None, status="draft")
    page = text(client.get("/admin/series/undated"))
    assert ("Personal data of this series will be erased 365 days after its last module, "
            "once every module has a date.") in page


def test_per_series_retention_set_on_the_series_form(
    app, runner, make_series, make_module, make_registration, client, admin
):
    series = _ended_series(make_series, make_module, make_registration, "recent", 40)
    result = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert "in 0 series" in result.output
    page = text(client.get("/admin/series/recent"))
    assert "will be erased on" in page and "(365 days after the last module)" in page

    url = "/admin/series/recent/edit"
    form_page = client.get(url).get_data(as_text=True)
    assert 'for="retention_days"' in form_page and "site's default of 365 days" in form_page
    fields = {
        "slug": "recent", "title": "Series recent", "timezone": "Europe/Brussels",
        "languages": "en,fr", "sender_email": "secretariat@example.org",
    }
    for bad in ("0", "abc", "99999"):
        response = client.post(url, data={**fields, "retention_days": bad,
                                          "csrf_token": csrf_token(client, url)})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'id="retention_days-error"' in html, bad
    assert _series("recent").retention_days is None

    response = client.post(url, data={**fields, "retention_days": "30",
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _series("recent").retention_days == 30
    assert 'value="30"' in client.get(url).get_data(as_text=True)
    page = text(client.get("/admin/series/recent"))
    assert "was due for erasure on" in page and "(30 days after the last module)" in page

    result = runner.invoke(args=["privacy", "purge"])
    assert "recent (due " in result.output and "erased 1 people's details" in result.output
    assert [p.email for p in _people(series)] == [None]

    # Emptying the field goes back to the site's default (the data stays erased).
    response = client.post(url, data={**fields, "retention_days": "",
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert _series("recent").retention_days is None
    assert "was erased on" in text(client.get("/admin/series/recent"))


def test_the_site_default_comes_from_retention_days(
    app, runner, make_series, make_module, make_registration
):
    series = _ended_series(make_series, make_module, make_registration, "config", 40)
    assert "in 0 series" in runner.invoke(args=["privacy", "purge"]).output
    app.config["RETENTION_DAYS"] = 30
    result = runner.invoke(args=["privacy", "purge"])
    assert "config (due " in result.output and "30 days after the last module" in result.output
    assert [p.email for p in _people(series)] == [None]


def test_the_delivery_thread_of_make_run_runs_the_purge(
    app, make_series, make_module, make_registration
):
    series = _ended_series(make_series, make_module, make_registration, "thread", 400)
    stop = start_delivery_thread(app, interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while _people(series)[0].email is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        time.sleep(0.3)
    assert [p.email for p in _people(series)] == [None]
    assert _series("thread").personal_data_erased_at is not None


def test_the_daily_purge_runs_once_a_day(app, make_series, make_module, make_registration):
    series = _ended_series(make_series, make_module, make_registration, "daily", 400)
    daily = DailyPurge()
    result = daily.run_if_due(app)
    assert result is not None and [s.slug for s in result.series] == ["daily"]
    assert [p.email for p in _people(series)] == [None]
    assert daily.run_if_due(app) is None  # not again the same day


def test_celery_beat_runs_the_purge_daily(_schema, make_series, make_module, make_registration):
    from celery.schedules import crontab

    from webinar_app import create_app

    series = _ended_series(make_series, make_module, make_registration, "beat", 400)

    class _Config(_schema):
        REDIS_URL = "redis://127.0.0.1:6379/8"  # only configures Celery; nothing is sent

    application = create_app(_Config)
    celery = application.extensions["celery"]
    entry = celery.conf.beat_schedule["purge-personal-data"]
    assert entry["task"] == "webinar_app.tasks.jobs.purge_personal_data"
    assert isinstance(entry["schedule"], crontab)
    outcome = celery.tasks[entry["task"]].apply()
    assert "Erased 1 people's details" in outcome.get()
    assert [p.email for p in _people(series)] == [None]
