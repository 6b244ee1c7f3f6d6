"""Hard bounces: a 5xx at RCPT or DATA marks the address undeliverable for the sender, later
emails to it are not attempted, organisers see and clear the mark; bounce reports (RFC 3464)
imported from an mbox or a Maildir mark addresses too."""

from __future__ import annotations

import mailbox
import re
from email.message import EmailMessage, Message, MIMEPart

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.mailsink import SinkHandler, SmtpSink, use_smtp
from webinar_app.extensions import db
from webinar_app.models import AuditEvent, OutboxMessage, UndeliverableAddress
from webinar_app.outbox.mailer import deliver_due
from webinar_app.outbox.services import queue_email

SENDER = "secretariat@example.org"


def _queue(key: str, to: str, sender: str = SENDER, series=None) -> OutboxMessage:
    row = queue_email(kind="test", purpose_key=key, to_email=to, to_name="Someone",
                      language="en", subject=f"Subject {key}", body_text="Body", body_html="",
                      sender_email=sender, sender_name="Secretariat", series=series)
    db.session.commit()
    return row


def _row(key: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.purpose_key == key))


def _marks() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(m.email, m.sender_email) for m in db.session.scalars(
        select(UndeliverableAddress).order_by(UndeliverableAddress.id))]


def test_550_at_rcpt_marks_the_address_and_the_next_email_is_not_attempted(
    app, client, smtp_sink, make_user, login, make_series
):
    series = make_series()
    smtp_sink.refuse["gone@example.org"] = "550 5.1.1 No such user"
    _queue("first", "gone@example.org", series=series)
    assert deliver_due().failed == 1
    assert _row("first").status == "failed"
    (mark,) = db.session.scalars(select(UndeliverableAddress))
    assert (mark.email, mark.sender_email, mark.series_id) == (
        "gone@example.org", SENDER, series.id)
    assert "550 5.1.1 No such user" in mark.reason and mark.marked_at is not None

    del smtp_sink.refuse["gone@example.org"]  # even if it would accept now: not attempted
    _queue("second", "gone@example.org", series=series)
    _queue("other-sender", "gone@example.org", sender="someone-else@example.org")
    counts = deliver_due()
    assert (counts.sent, counts.held) == (1, 1)
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["gone@example.org"]]
    assert smtp_sink.messages[0].mail_from == "someone-else@example.org"
    second = _row("second")
    assert second.status == "undeliverable" and second.attempts == 0

    login(make_user())
    outbox = client.get("/admin/outbox/").get_data(as_text=True)
    assert "not sent: undeliverable" in outbox
    assert 'href="/admin/outbox/undeliverable"' in outbox
    listing = client.get("/admin/outbox/undeliverable").get_data(as_text=True)
    assert "gone@example.org" in listing and "550 5.1.1 No such user" in listing
    assert series.title in listing

    action = re.search(r'action="(/admin/outbox/undeliverable/\d+/clear)"', listing).group(1)
    token = csrf_token(client, "/admin/outbox/undeliverable")
    response = client.post(action, data={"csrf_token": token})
    assert response.status_code == 302
    assert _marks() == []
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "mail.undeliverable_cleared"))
    assert event is not None and event.actor_label == "organiser@example.org"
    assert "gone@example.org" not in event.summary + str(event.details)

    _queue("third", "gone@example.org", series=series)
    assert deliver_due().sent == 1
    assert _row("third").status == "sent"
    assert [m.message["Subject"] for m in smtp_sink.to("gone@example.org")] == [
        "Subject other-sender", "Subject third"]


class DataRefusingHandler(SinkHandler):
    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if "refused@example.org" in envelope.rcpt_tos:
            return "554 5.7.1 Message rejected for this recipient"
        return await super().handle_DATA(server, session, envelope)


def test_a_5xx_at_data_marks_too_and_the_same_batch_holds_the_rest(app):
    sink = SmtpSink()
    sink.handler = DataRefusingHandler()
    sink.start()
    use_smtp(app, sink.port)
    try:
        _queue("a", "refused@example.org")
        _queue("b", "refused@example.org")
        _queue("c", "fine@example.org")
        counts = deliver_due()
    finally:
        sink.stop()
    assert (counts.sent, counts.failed, counts.held) == (1, 1, 1)
    assert [_row(k).status for k in "abc"] == ["failed", "undeliverable", "sent"]
    assert _marks() == [("refused@example.org", SENDER)]


def test_clearing_needs_an_editor_and_csrf(client, make_user, login):
    from webinar_app.outbox.undeliverable import mark_undeliverable

    mark_undeliverable("x@example.org", SENDER, "550 no")
    db.session.commit()
    (mark,) = db.session.scalars(select(UndeliverableAddress))
    reviewer = make_user(role="reviewer", email="reviewer@example.org")
    reviewer.can_see_personal_data = True
    db.session.commit()
    login(reviewer)
    page = client.get("/admin/outbox/undeliverable").get_data(as_text=True)
    assert "x@example.org" in page and "Clear the mark" not in page
    url = f"/admin/outbox/undeliverable/{mark.id}/clear"
    assert client.post(url).status_code == 400
    token = csrf_token(client, "/admin/outbox/")
    assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert _marks() == [("x@example.org", SENDER)]


# --- bounce reports -------------------------------------------------------------------------


def _report(to: str, recipients: list[tuple[str, str, str]], original: OutboxMessage | None,
            subject: str = "Undelivered Mail Returned to Sender") -> EmailMessage:
    """A delivery status notification as an MTA writes it (RFC 3464), built with email."""
    report = EmailMessage()
    report["From"] = "MAILER-DAEMON@relay.example.net"
    report["To"] = to
    report["Subject"] = subject
    report.set_content("This is the mail system at host relay.example.net.\n")
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    status = MIMEPart()
    status["Content-Type"] = "message/delivery-status"
    per_message = Message()
    per_message["Reporting-MTA"] = "dns; relay.example.net"
    blocks = [per_message]
    for address, action, code in recipients:
        block = Message()
        block["Final-Recipient"] = f"rfc822; {address}"
        block["Action"] = action
        block["Status"] = code
        block["Diagnostic-Code"] = f"smtp; {code[0]}50 {code} mailbox problem"
        blocks.append(block)
    status.set_payload(blocks)
    report.attach(status)
    if original is not None:
        headers = MIMEPart()
        headers.set_content(
            f"From: Secretariat <{original.sender_email}>\nTo: {original.to_email}\n"
            f"Message-ID: {original.message_id}\nSubject: {original.subject}\n",
            subtype="rfc822-headers")
        report.attach(headers)
    return report


def _reports(make_series) -> list[EmailMessage]:
    series = make_series()
    _queue("bounced", "bounced@example.org", series=series)
    delivered = _row("bounced")
    delivered.status = "sent"
    db.session.commit()
    not_a_report = EmailMessage()
    not_a_report["From"] = "someone@example.org"
    not_a_report["To"] = SENDER
    not_a_report["Subject"] = "Out of office"
    not_a_report.set_content("I am away until Monday.\n")
    return [
        _report(SENDER, [("bounced@example.org", "failed", "5.1.1")], delivered),
        _report("other-sender@example.org", [("nobody@example.net", "failed", "5.2.1"),
                                             ("slow@example.net", "delayed", "4.4.7")], None),
        _report(SENDER, [("later@example.org", "delayed", "4.4.1")], None,
                subject="Delayed Mail (still being retried)"),
        not_a_report,
    ]


def _check_import(result, series_id: int | None) -> None:
    assert result.exit_code == 0, result.output
    output = result.output
    assert "Read 4 messages: 2 addresses marked undeliverable, 3 skipped." in output
    assert "delayed (4.4.7), not a permanent failure" in output
    assert "delayed (4.4.1), not a permanent failure" in output
    assert "(Out of office): not a delivery status notification" in output
    assert sorted(_marks()) == [("bounced@example.org", SENDER),
                                ("nobody@example.net", "other-sender@example.org")]
    mark = db.session.scalar(select(UndeliverableAddress).where(
        UndeliverableAddress.email == "bounced@example.org"))
    assert mark.series_id == series_id and mark.source == "report" and "5.1.1" in mark.reason
    bounced = _row("bounced")
    assert bounced.status == "failed" and "5.1.1" in bounced.last_error
    assert db.session.scalar(select(AuditEvent.people_affected).where(
        AuditEvent.action == "mail.bounces_imported")) == 2


def test_bounces_import_reads_an_mbox(app, runner, make_series, tmp_path, smtp_sink):
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(str(path))
    for message in _reports(make_series):
        box.add(message)
    box.close()
    result = runner.invoke(args=["mail", "bounces", "import", str(path)])
    _check_import(result, _row("bounced").series_id)
    _queue("after", "bounced@example.org")  # the next email to it is not attempted
    assert deliver_due().held == 1 and smtp_sink.messages == []


def test_bounces_import_reads_a_maildir(app, runner, make_series, tmp_path):
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(str(path), create=True)
    for message in _reports(make_series):
        box.add(message)
    box.close()
    result = runner.invoke(args=["mail", "bounces", "import", str(path)])
    _check_import(result, _row("bounced").series_id)
    again = runner.invoke(args=["mail", "bounces", "import", str(path)])
    assert "2 addresses marked" in again.output and len(_marks()) == 2  # no duplicates


def test_bounces_import_refuses_a_missing_path_and_a_directory_that_is_no_maildir(
    app, runner, tmp_path
):
    result = runner.invoke(args=["mail", "bounces", "import", str(tmp_path / "nothing")])
    assert result.exit_code != 0 and "does not exist" in result.output
    (tmp_path / "plain").mkdir()
    result = runner.invoke(args=["mail", "bounces", "import", str(tmp_path / "plain")])
    assert result.exit_code == 1 and "Cannot read" in result.output, result.output
