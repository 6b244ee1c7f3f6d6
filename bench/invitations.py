"""Benchmark: 10,000 invitations with their .ics: the outbox vs a plain Flask-Mail loop vs smtplib.

    .venv/bin/python bench/invitations.py [--count 10000] [--rounds 1]

Starts an SMTP sink (aiosmtpd, in a subprocess so it does not share our GIL), builds a series
with four modules and pre-reading, imports COUNT invitees, then measures, in each round:

1. the application: queue a new campaign (render per invitee, the programme .ics built once,
   one INSERT per batch) and deliver the outbox (Flask-Mail's connection, one per batch; each
   row's lease renewed before it is sent and its "sent" mark committed as soon as the server
   accepts it); its rate is COUNT / (queue time + delivery time); delivery only is printed too;
2. a plain Flask-Mail loop, no outbox: per invitee, the same rendering, a `flask_mail.Message`
   with the same text, HTML, headers and programme.ics, and `conn.send` over one connection;
3. raw smtplib: the application's messages, prebuilt as bytes, over one connection.

Prints the three rates (messages per second), the application's ratio to each (goals: at least
1.0x the Flask-Mail loop, at least 0.35x raw smtplib) and the peak RSS sampled per batch. The
database is a temporary SQLite file, or BENCH_DATABASE_URL / DATABASE_URL (e.g. PostgreSQL; its
tables are dropped and created).
"""

from __future__ import annotations

import argparse
import os
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SINK = r"""
import asyncio, sys
from aiosmtpd.controller import Controller
class H:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        H.count += 1
        return "250 OK"
c = Controller(H(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=0)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""


def rss_mb() -> float:
    """Current resident set size in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate application and smtplib runs (a noisy machine)")
    args = parser.parse_args()

    from tests.mailsink import free_port

    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "ready"
    tmp = tempfile.mkdtemp(prefix="bench-invitations-")
    try:
        run(args.count, args.rounds, port, tmp)
    finally:
        sink.stdin.close()
        sink.wait(timeout=10)


def run(count: int, rounds: int, port: int, tmp: str) -> None:
    from config import TestConfig
    from webinar_app import create_app
    from webinar_app.extensions import db

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")

    class BenchConfig(TestConfig):
        TESTING = False
        SQLALCHEMY_DATABASE_URI = url or f"sqlite:///{tmp}/bench.sqlite"
        MAIL_SERVER = "127.0.0.1"
        MAIL_PORT = port
        MAIL_BATCH_SIZE = 200
        MAIL_SUPPRESS_SEND = False
        REDIS_URL = None

    app = create_app(BenchConfig)
    ratios = []
    with app.app_context():
        print(f"database: {db.engine.dialect.name}; {count} invitees; sink on port {port}")
        db.drop_all()
        db.create_all()
        series_id = setup(count).id
        print(f"RSS after setup {rss_mb():.0f} MB")
        for number in range(1, rounds + 1):
            campaign = new_campaign(series_id, number)
            app_rate, delivery_rate, peak = measure_app(campaign, count)
            campaign_id = campaign.id
            flask_mail_rate = measure_flask_mail(campaign)
            messages = prebuilt_messages(campaign_id)
            plain_rate = measure_plain(messages, port)
            del messages
            ratios.append((app_rate / flask_mail_rate, app_rate / plain_rate))
            print(f"round {number}:")
            print(f"  application (queue + deliver): {app_rate:8.1f} msg/s")
            print(f"  application (deliver only):    {delivery_rate:8.1f} msg/s")
            print(f"  plain Flask-Mail loop:         {flask_mail_rate:8.1f} msg/s")
            print(f"  raw smtplib (prebuilt):        {plain_rate:8.1f} msg/s")
            print(f"  application / Flask-Mail loop: {app_rate / flask_mail_rate:.2f}x"
                  "  (goal >= 1.0)")
            print(f"  application / raw smtplib:     {app_rate / plain_rate:.2f}x  (goal >= 0.35)")
            print(f"  peak RSS during the application run: {peak:.0f} MB")
        db.session.remove()
        db.drop_all()
    if rounds > 1:
        for label, index in (("Flask-Mail loop", 0), ("raw smtplib", 1)):
            values = sorted(r[index] for r in ratios)
            print(f"application / {label}: {', '.join(f'{v:.2f}' for v in values)}; "
                  f"median {values[len(values) // 2]:.2f}")
    print(f"max RSS of the process incl. the prebuilt baseline: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def setup(count: int):
    from webinar_app.extensions import db
    from webinar_app.invitations.csvfile import InviteeRow, ParsedList
    from webinar_app.invitations.services import save_invitees
    from webinar_app.models import AgendaItem, BackgroundNote, Module, Series, Speaker

    series = Series(slug="bench", title="Trafficking in Human Beings: The 4Ps Revisited",
                    short_description="Four webinars, one per P.", organiser="Secretariat",
                    timezone="Europe/Brussels", languages="en,fr",
                    sender_email="secretariat@example.org", sender_name="Secretariat")
    db.session.add(series)
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=21)
    for n, pillar in enumerate(("Prevention", "Protection", "Prosecution", "Partnership"), 1):
        module = Module(series=series, number=n, pillar=pillar, title=f"{pillar} revisited",
                        thematic_focus=f"What works in {pillar.lower()}", status="scheduled",
                        starts_at=start + timedelta(weeks=4 * (n - 1)),
                        join_url="https://zoom.example.org/j/1")
        item = AgendaItem(module=module, position=0, title="Panel", kind="panel")
        item.speakers.append(Speaker(position=0, role="Expert", organisation="UNODC"))
        module.notes.append(BackgroundNote(title=f"Note on {pillar}", language="en",
                                           abstract="A short abstract. " * 10, is_published=True,
                                           is_prereading=True,
                                           external_url="https://example.org/note.pdf"))
        db.session.add(module)
    db.session.flush()
    rows = [InviteeRow(i + 2, f"person{i:05d}@example.org", f"Person {i}", "Ministry",
                       "Kenya", "fr" if i % 3 == 0 else "en") for i in range(count)]
    save_invitees(series, ParsedList(rows=rows))
    del rows
    db.session.commit()
    return series


def new_campaign(series_id: int, number: int):
    from webinar_app.extensions import db
    from webinar_app.invitations.services import create_campaign
    from webinar_app.models import Series

    series = db.session.get(Series, series_id)
    campaign = create_campaign(series, f"Invitation {number}: the 4Ps revisited",
                               "Dear colleagues,", [])
    db.session.commit()
    return campaign


def measure_app(campaign, count: int) -> tuple[float, float, float]:
    """(queue + delivery rate, delivery-only rate, peak RSS in MB)."""
    from webinar_app.extensions import db
    from webinar_app.invitations.sending import send_campaign
    from webinar_app.outbox.mailer import deliver_due

    peak = rss_mb()
    started = time.perf_counter()
    cpu = time.process_time()
    for _counts in send_campaign(campaign, "new"):
        db.session.commit()
        peak = max(peak, rss_mb())
    queued_at = time.perf_counter()
    sent = 0

    def on_result(_row) -> None:
        nonlocal sent, peak
        sent += 1
        if sent % 200 == 0:
            peak = max(peak, rss_mb())
        if sent % 2000 == 0:
            print(f"  delivered {sent} after {time.perf_counter() - queued_at:.1f} s", flush=True)

    counts = deliver_due(on_result=on_result)
    finished = time.perf_counter()
    assert counts.sent == count, counts.summary()
    print(f"application: queued in {queued_at - started:.1f} s, delivered in "
          f"{finished - queued_at:.1f} s; {counts.summary()} "
          f"(CPU of this process {cpu_ms(cpu, count):.1f} ms a message)")
    return count / (finished - started), count / (finished - queued_at), peak


def measure_flask_mail(campaign) -> float:
    """A plain loop: render, build a flask_mail.Message, conn.send; no outbox, no database
    writes. The same text, HTML, List-Unsubscribe headers and programme.ics as the app."""
    from flask_mail import Message
    from sqlalchemy import select

    from webinar_app.extensions import db, mail
    from webinar_app.invitations.emails import CampaignParts, render_campaign_email
    from webinar_app.invitations.services import unsubscribe_url
    from webinar_app.models import Invitee

    started = time.perf_counter()
    cpu = time.process_time()
    parts = CampaignParts(campaign)
    query = (
        select(Invitee)
        .where(Invitee.series_id == campaign.series_id)
        .order_by(Invitee.id)
        .execution_options(yield_per=500)
    )
    sent = 0
    with mail.connect() as conn:
        for invitee in db.session.scalars(query):
            language, text, html = render_campaign_email(parts, invitee)
            message = Message(
                subject=parts.subject(language), recipients=[(invitee.full_name, invitee.email)],
                body=text, sender=(parts.sender_name, parts.sender_email),
                extra_headers={
                    "List-Unsubscribe": f"<{unsubscribe_url(invitee)}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            message.alts = {"html": html}
            message.attach("programme.ics", "text/calendar; charset=utf-8; method=PUBLISH",
                           parts.calendar(language))
            conn.send(message)
            sent += 1
    db.session.rollback()
    db.session.expunge_all()
    elapsed = time.perf_counter() - started
    print(f"Flask-Mail loop: {sent} sent in {elapsed:.1f} s "
          f"(CPU {cpu_ms(cpu, sent):.1f} ms a message)")
    return sent / elapsed


def prebuilt_messages(campaign_id: int) -> list[tuple[str, str, bytes]]:
    """The campaign's messages as the application builds them, all in memory."""
    from sqlalchemy import select

    from webinar_app.extensions import db
    from webinar_app.models import CampaignSend, OutboxMessage, utcnow
    from webinar_app.outbox.mailer import build_message_bytes

    now = utcnow().replace(microsecond=0)
    messages = []
    query = (
        select(OutboxMessage)
        .join(CampaignSend, CampaignSend.outbox_message_id == OutboxMessage.id)
        .where(CampaignSend.campaign_id == campaign_id)
        .execution_options(yield_per=500)
    )
    for row in db.session.scalars(query):
        messages.append((row.sender_email, row.to_email, build_message_bytes(row, now)))
    db.session.rollback()  # ends the read (PostgreSQL would block drop_all on it)
    db.session.expunge_all()
    return messages


def measure_plain(messages: list[tuple[str, str, bytes]], port: int) -> float:
    started = time.perf_counter()
    cpu = time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, recipient, data in messages:
            smtp.sendmail(sender, [recipient], data)
    elapsed = time.perf_counter() - started
    print(f"raw smtplib: {len(messages)} sent in {elapsed:.1f} s "
          f"(CPU {cpu_ms(cpu, len(messages)):.1f} ms a message)")
    return len(messages) / elapsed


def cpu_ms(since: float, count: int) -> float:
    """CPU time of this process per message since `since` (a loaded machine inflates wall time;
    the sink runs in its own process)."""
    return (time.process_time() - since) * 1000 / max(count, 1)


if __name__ == "__main__":
    main()
