"""The organiser outbox page: every email with its status and error; retry for failed ones."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage
from webinar_app.outbox.services import queue_email


def _row(key: str, status: str = "queued", error: str = "") -> OutboxMessage:
    row = queue_email(
        kind="invitation",
        purpose_key=key,
        to_email=f"{key}@example.org",
        to_name="Someone",
        language="en",
        subject=f"Subject {key}",
        body_text="x",
        body_html="",
        sender_email="secretariat@example.org",
        sender_name="Secretariat",
    )
    row.status = status
    row.last_error = error
    row.attempts = 6 if status == "failed" else 0
    db.session.commit()
    return row


def test_outbox_page_needs_a_login(client):
    response = client.get("/admin/outbox/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_outbox_lists_emails_with_status_and_error(client, make_user, login):
    reviewer = make_user(role="reviewer", email="reviewer@example.org")
    reviewer.can_see_personal_data = True  # an admin allowed this reviewer to see addresses
    db.session.commit()
    login(reviewer)
    _row("a", "sent")
    _row("b", "failed", "550 5.1.1 No such user")
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "a@example.org" in page and "b@example.org" in page
    assert "550 5.1.1 No such user" in page
    assert "Retry" not in page  # reviewers read only
    failed_only = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "b@example.org" in failed_only and "a@example.org" not in failed_only


def test_organiser_retries_a_failed_email(client, make_user, login):
    login(make_user())
    row = _row("b", "failed", "550 nope")
    token = csrf_token(client, "/admin/outbox/")
    response = client.post(f"/admin/outbox/{row.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.scalar(select(OutboxMessage))
    assert row.status == "queued" and row.attempts == 0


def test_retry_needs_csrf_and_an_editor(client, make_user, login):
    row = _row("b", "failed", "550 nope")
    login(make_user(role="reviewer", email="reviewer@example.org"))
    assert client.post(f"/admin/outbox/{row.id}/retry").status_code == 400
    token = csrf_token(client, "/admin/outbox/")
    response = client.post(f"/admin/outbox/{row.id}/retry", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(OutboxMessage, row.id).status == "failed"


def test_outbox_is_paginated(client, make_user, login):
    login(make_user())
    for i in range(55):
        _row(f"r{i}")
    first = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Page 1 of 2" in first
    second = client.get("/admin/outbox/?page=2").get_data(as_text=True)
    assert second.count("@example.org&gt;") == 5
