"""Follow-ups after a module: wording by attendance, summary and recording links, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.followups.services import queue_followups
from webinar_app.models import ModuleStatus

PAST = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)


def _body(sink, address: str) -> tuple[str, str]:
    message = sink.to(address)[0].message
    return message["Subject"], message.get_body(("plain",)).get_content()


def test_followup_wording_differs_for_attendees_absentees_and_unknown(
    client, runner, make_series, make_module, make_registration, smtp_sink, make_user, login
):
    series = make_series()
    module = make_module(series, starts_at=PAST, status=ModuleStatus.HELD.value)
    make_registration(module, email="came@example.org").attendance = "attended"
    make_registration(module, email="missed@example.org").attendance = "absent"
    make_registration(module, email="unknown@example.org")
    make_registration(module, email="waiting@example.org", status="waiting")
    db.session.commit()
    login(make_user())
    url = f"/admin/series/{series.slug}/modules/{module.number}/followup"
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "recording_url": "javascript:alert(1)"})
    assert "Enter a https:// address" in response.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "recording_url": "https://video.example.org/m1"})
    assert response.status_code == 302
    runner.invoke(args=["mail", "deliver"])
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        "came@example.org", "missed@example.org", "unknown@example.org"]
    subject, text = _body(smtp_sink, "came@example.org")
    assert subject.startswith("Thank you for taking part")
    assert "Watch the recording: https://video.example.org/m1" in text
    subject, text = _body(smtp_sink, "missed@example.org")
    assert subject.startswith("Catch up on")
    assert "We missed you" in text
    assert "Watch the recording of what you missed: https://video.example.org/m1" in text
    subject, text = _body(smtp_sink, "unknown@example.org")
    assert subject.startswith("Follow-up:")
    assert "summary is published" not in text  # no summary yet


def test_followups_go_out_once_even_when_queued_twice(
    runner, make_series, make_module, make_registration, smtp_sink
):
    series = make_series()
    module = make_module(series, starts_at=PAST, status=ModuleStatus.HELD.value)
    make_registration(module)
    assert queue_followups(module) == 1
    assert queue_followups(module) == 0
    db.session.commit()
    runner.invoke(args=["mail", "deliver"])
    assert len(smtp_sink.messages) == 1
