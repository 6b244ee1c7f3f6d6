"""A module knows where it is in its life: attendance, follow-ups and certificates only once it
is held; marking it held only after its end; a summary published earlier sends its follow-ups
when the module becomes held, once per person. Through HTTP, the CLI and the SMTP sink."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.summary_helpers import IsolatedClient, client_for, publish
from webinar_app.core.tokens import issue_token
from webinar_app.extensions import db
from webinar_app.models import Module, ModuleStatus, OutboxMessage, Registration, Series

DATA = Path(__file__).parent / "data"
REPORT = DATA / "attendance_zoom_meeting.csv"
# Thursday 10 December 2099, 14:00-16:00 in Brussels (CET, UTC+1)
FUTURE_START = datetime(2099, 12, 10, 13, 0, tzinfo=UTC)
FUTURE_REASON = "Module 1 ends on Thursday 10 December 2099 at 16:00 Brussels time"


@pytest.fixture(autouse=True)
def _isolated_clients(app):
    app.test_client_class = IsolatedClient


@pytest.fixture()
def team(make_user):
    return {
        "organiser": make_user("organiser@example.org", "organiser"),
        "reviewer": make_user("reviewer@example.org", "reviewer"),
    }


def _ended_hours_ago(hours: int = 3) -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=hours)


@pytest.fixture()
def future_module(make_series, make_module, make_registration) -> Module:
    module = make_module(make_series(), number=1, starts_at=FUTURE_START)
    make_registration(module, email="alice@example.org")
    make_registration(module, email="bob@example.org")
    return module


@pytest.fixture()
def ended_module(make_series, make_module, make_registration) -> Module:
    """Module 1 ended an hour ago, still 'scheduled'; Alice, Bob and Carol registered."""
    module = make_module(make_series(), number=1, starts_at=_ended_hours_ago(3))
    for email in ("alice@example.org", "bob@example.org", "carol@example.org"):
        make_registration(module, email=email)
    return module


def _status(module: Module) -> str:
    db.session.expire_all()
    return db.session.get(Module, module.id).status


def _followup_rows() -> list[str]:
    return sorted(db.session.scalars(
        select(OutboxMessage.to_email).where(OutboxMessage.kind == "followup")))


def _upload(client, module: Module, report: Path = REPORT):
    url = f"/admin/series/{module.series.slug}/modules/{module.number}/attendance"
    data = {"csrf_token": csrf_token(client, url),
            "file": (io.BytesIO(report.read_bytes()), report.name)}
    return client.post(url, data=data, content_type="multipart/form-data")


def _post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --------------------------------------------------------------------------- refusals


def test_attendance_import_for_a_future_module_is_refused_with_the_reason_and_when(
    app, team, future_module
):
    organiser = client_for(app, team["organiser"])
    url = "/admin/series/test-series/modules/1/attendance"
    page = _text(organiser.get(url))
    assert f"{FUTURE_REASON}; attendance can be imported after that." in page
    assert 'type="file"' not in page  # no upload form that would only be refused

    response = _upload(organiser, future_module)
    assert response.status_code == 400
    html = _text(response)
    assert f"{FUTURE_REASON}; attendance can be imported after that." in html
    assert re.search(r'id="file-error"|class="field-error"|aria-invalid="true"', html)
    assert _status(future_module) == "scheduled"
    assert db.session.scalar(select(func.count()).where(
        Registration.attendance.is_not(None))) == 0


def test_cli_attendance_import_for_a_future_module_says_error_and_exits_non_zero(
    runner, future_module
):
    result = runner.invoke(args=["attendance", "import", str(REPORT), "--series",
                                 "test-series", "--module", "1"])
    assert result.exit_code != 0
    assert (f"Error: {FUTURE_REASON}; attendance can be imported after that."
            in " ".join(result.output.split()))
    assert _status(future_module) == "scheduled"


def test_marking_attendance_by_hand_is_refused_before_the_module_is_held(
    app, team, future_module
):
    organiser = client_for(app, team["organiser"])
    registration = db.session.scalars(select(Registration)).first()
    url = f"/admin/series/test-series/modules/1/attendance/{registration.id}"
    token = csrf_token(organiser, "/admin/series/test-series/modules/1/attendance")
    response = organiser.post(url, data={"csrf_token": token, "value": "attended"},
                              follow_redirects=True)
    assert FUTURE_REASON in _text(response)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).attendance is None


def test_followups_are_refused_for_a_future_module_with_the_reason(app, team, future_module):
    organiser = client_for(app, team["organiser"])
    url = "/admin/series/test-series/modules/1/followup"
    page = _text(organiser.get(url))
    assert f"{FUTURE_REASON}; follow-ups can be sent once it is held, after that." in page
    response = _post(organiser, url, recording_url="https://video.example.org/m1")
    assert response.status_code == 422
    assert FUTURE_REASON in _text(response)
    assert _followup_rows() == []


def test_certificate_is_refused_for_a_module_not_held_yet(client, future_module):
    registration = db.session.scalars(select(Registration)).first()
    registration.attendance = "attended"  # recorded before the rules, or by mistake
    token = issue_token(registration.person)
    db.session.commit()
    assert "certificate.pdf" not in client.get(f"/me/{token}").get_data(as_text=True)
    response = client.get(f"/me/{token}/certificate.pdf")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert (f"{FUTURE_REASON}; a certificate for it can be issued after that, once its "
            "attendance is recorded.") in _text(response)


def test_marking_held_is_refused_before_the_end_with_the_time_it_becomes_possible(
    app, team, future_module
):
    organiser = client_for(app, team["organiser"])
    url = "/admin/series/test-series/modules/1/held"
    page = _text(organiser.get(url))
    assert f"{FUTURE_REASON}; it can be marked as held after that." in page
    assert "Yes, mark as held" not in page
    response = _post(organiser, url)
    assert response.status_code == 302
    shown = _text(organiser.get(response.headers["Location"]))
    assert f"{FUTURE_REASON}; it can be marked as held after that." in shown
    assert _status(future_module) == "scheduled"


def test_a_module_running_now_cannot_be_marked_held(app, team, make_series, make_module):
    module = make_module(make_series(), number=1, starts_at=_ended_hours_ago(1))
    organiser = client_for(app, team["organiser"])
    _post(organiser, "/admin/series/test-series/modules/1/held")
    assert _status(module) == "scheduled"
    html = _text(organiser.get("/admin/series/test-series/modules/1"))
    assert "Taking place now" in html and "it can be marked as held after that" in html


# --------------------------------------------------------------------------- follow-ups


def _deliver_review_emails(runner, smtp_sink) -> None:
    """Send the review emails (to the team) so that only follow-ups remain to be counted."""
    runner.invoke(args=["mail", "deliver"])
    team = {m.rcpt_tos[0] for m in smtp_sink.messages}
    assert team == {"organiser@example.org", "reviewer@example.org"}
    smtp_sink.messages.clear()


def test_summary_published_before_the_module_is_held_queues_nothing_then_marking_held_sends(
    app, team, ended_module, runner, smtp_sink
):
    organiser, reviewer = client_for(app, team["organiser"]), client_for(app, team["reviewer"])
    publish(organiser, reviewer, ended_module, "What was said.")
    _deliver_review_emails(runner, smtp_sink)
    assert _followup_rows() == []
    flashed = _text(reviewer.get("/admin/series/test-series/modules/1/summary"))
    assert "its follow-ups go out as soon as the module is held" in flashed.lower()
    assert "not marked as held yet" in flashed

    response = _post(organiser, "/admin/series/test-series/modules/1/held")
    assert response.status_code == 302
    shown = _text(organiser.get(response.headers["Location"]))
    assert "Module marked as held; 3 follow-up emails of its published summary are queued." \
        in shown
    assert "Held" in shown
    assert _followup_rows() == ["alice@example.org", "bob@example.org", "carol@example.org"]

    runner.invoke(args=["mail", "deliver"])
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        "alice@example.org", "bob@example.org", "carol@example.org"]
    body = smtp_sink.to("alice@example.org")[0].message.get_body(("plain",)).get_content()
    assert "/series/test-series/modules/1" in body

    # the follow-up page and an attendance import afterwards send nothing more
    again = _post(organiser, "/admin/series/test-series/modules/1/followup",
                  recording_url="https://video.example.org/m1")
    assert again.status_code == 302
    assert "No follow-up queued" in _text(organiser.get(again.headers["Location"]))
    assert _upload(organiser, ended_module).status_code == 200
    runner.invoke(args=["mail", "deliver"])
    assert len(smtp_sink.messages) == 3


def test_attendance_import_marks_an_ended_module_held_and_sends_the_published_followups(
    app, team, ended_module, runner, smtp_sink
):
    organiser, reviewer = client_for(app, team["organiser"]), client_for(app, team["reviewer"])
    publish(organiser, reviewer, ended_module, "What was said.")
    _deliver_review_emails(runner, smtp_sink)
    assert _followup_rows() == []

    response = _upload(organiser, ended_module)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert ("Module 1 is now marked as held; 3 follow-up emails of its published summary are "
            "queued.") in _text(response)
    assert _status(ended_module) == "held"

    runner.invoke(args=["mail", "deliver"])
    subjects = {m.rcpt_tos[0]: m.message["Subject"] for m in smtp_sink.messages}
    assert sorted(subjects) == ["alice@example.org", "bob@example.org", "carol@example.org"]
    assert subjects["alice@example.org"].startswith("Thank you for taking part")
    assert subjects["carol@example.org"].startswith("Catch up on")

    # a re-import (confirmed) and publishing again send nothing more
    assert _upload(organiser, ended_module).status_code == 200
    runner.invoke(args=["mail", "deliver"])
    assert len(smtp_sink.messages) == 3


def test_cli_attendance_import_marks_held_and_queues_the_followups_once(
    app, team, ended_module, runner
):
    organiser, reviewer = client_for(app, team["organiser"]), client_for(app, team["reviewer"])
    publish(organiser, reviewer, ended_module, "What was said.")
    args = ["attendance", "import", str(REPORT), "--series", "test-series", "--module", "1"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "now marked as held; 3 follow-up emails queued" in result.output
    assert _status(ended_module) == "held"
    assert len(_followup_rows()) == 3
    result = runner.invoke(args=[*args, "--yes"])
    assert result.exit_code == 0, result.output
    assert len(_followup_rows()) == 3


def test_publishing_the_summary_of_a_held_module_queues_at_once(
    app, team, ended_module
):
    ended_module.status = ModuleStatus.HELD.value
    db.session.commit()
    organiser, reviewer = client_for(app, team["organiser"]), client_for(app, team["reviewer"])
    publish(organiser, reviewer, ended_module, "What was said.")
    assert len(_followup_rows()) == 3
    flashed = _text(reviewer.get("/admin/series/test-series/modules/1/summary"))
    assert "Follow-up emails queued: 3." in flashed


def test_no_followups_without_a_published_summary_when_marked_held(app, team, ended_module):
    organiser = client_for(app, team["organiser"])
    _post(organiser, "/admin/series/test-series/modules/1/held")
    assert _status(ended_module) == "held"
    assert _followup_rows() == []


# --------------------------------------------------------------------------- the state in words


def test_organiser_and_public_module_pages_show_the_state_in_words(
    app, team, ended_module, client
):
    organiser = client_for(app, team["organiser"])
    admin_page = "/admin/series/test-series/modules/1"
    assert "Ended, not yet marked as held" in _text(organiser.get(admin_page))
    assert "Scheduled" in _text(client.get("/series/test-series/modules/1"))
    _post(organiser, "/admin/series/test-series/modules/1/held")
    assert re.search(r"Status</dt>\s*<dd>\s*<span[^>]*>Held</span>",
                     organiser.get(admin_page).get_data(as_text=True))
    assert re.search(r"Status</dt>\s*<dd>\s*<span[^>]*>Held</span>",
                     client.get("/series/test-series/modules/1").get_data(as_text=True))


def test_seeded_demo_has_the_2021_modules_held_and_the_current_ones_scheduled(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    statuses = {
        slug: {module.status for module in db.session.scalars(
            select(Module).join(Series).where(Series.slug == slug))}
        for slug in ("thb-4ps-revisited", "thb-4ps-revisited-2021")
    }
    assert statuses == {"thb-4ps-revisited-2021": {"held"}, "thb-4ps-revisited": {"scheduled"}}
