"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) and its fixtures.

`smtp_sink` starts the server and points the app at it (MAIL_SERVER/MAIL_PORT); each message
it receives is kept with its envelope and parsed with the modern email policy. A sink can refuse
given recipients at RCPT (`refuse`), or answer a reply (421/451/452 throttling, 550 ...) to the
first N messages at MAIL, RCPT or DATA (`answer_first`); `BusyServer` answers 421 on connect.
"""

from __future__ import annotations

import email
import email.policy
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    """One message as the server saw it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class SinkHandler:
    """Collects messages; refuses recipients listed in `refuse` with the given reply, and
    answers `answer_first` (stage, reply, count) to the first messages reaching that stage."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)  # stage -> replies given so far
    first: tuple[str, str, int] = ("", "", 0)

    def answer_first(self, count: int, reply: str, at: str = "RCPT") -> None:
        """Answer `reply` at MAIL, RCPT or DATA to the next `count` messages, then accept."""
        assert at in ("MAIL", "RCPT", "DATA")
        self.first = (at, reply, count)
        self.answered[at] = 0

    def _answer(self, stage: str) -> str | None:
        at, reply, count = self.first
        if at != stage or self.answered.get(stage, 0) >= count:
            return None
        self.answered[stage] += 1
        return reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        reply = self._answer("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        reply = self._answer("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        reply = self._answer("DATA")
        if reply:
            return reply
        raw = bytes(envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed)  # type: ignore[arg-type]
        )
        return "250 Message accepted"


class SmtpSink:
    """The running server: `.port`, `.messages`, `.refuse`, `.stop()`, `.start()`."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def refuse(self) -> dict[str, str]:
        return self.handler.refuse

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        """The messages whose envelope recipients include address."""
        return [m for m in self.messages if address in m.rcpt_tos]


class _BusyRequest(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"421 4.7.0 Too many connections, try again later\r\n")


class BusyServer:
    """A server that answers every connection with 421 and closes it (a relay throttling)."""

    def __init__(self) -> None:
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _BusyRequest)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> BusyServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def use_smtp(app, port: int) -> None:
    """Point the app's delivery at 127.0.0.1:port."""
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
        MAIL_SUPPRESS_SEND=False,  # Flask-Mail suppresses sending when TESTING by default
    )


@pytest.fixture()
def smtp_sink(app):
    """A running SMTP server that the app delivers to."""
    sink = SmtpSink()
    sink.start()
    use_smtp(app, sink.port)
    yield sink
    sink.stop()


@pytest.fixture()
def make_registration(app):
    """Put a person on a module directly through the models (status registered or waiting)."""
    from sqlalchemy import select

    from webinar_app.extensions import db
    from webinar_app.models import Person, Registration

    def _make(module, email="ada@example.org", status="registered", **person_fields):
        person = db.session.scalar(
            select(Person).where(Person.series_id == module.series_id, Person.email == email)
        )
        if person is None:
            values = dict(
                full_name="Ada Lovelace",
                language="en",
                timezone="Africa/Nairobi",
                organisation="IOM",
                country="KE",
            )
            values.update(person_fields)
            person = Person(series_id=module.series_id, email=email, **values)
            db.session.add(person)
            db.session.flush()
        registration = Registration(person=person, module=module, status=status)
        db.session.add(registration)
        db.session.commit()
        return registration

    return _make


def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    """Every text/calendar part of a message."""
    return [part for part in message.walk() if part.get_content_type() == "text/calendar"]


def mime_tree(message: EmailMessage) -> list:
    """The content types as a nested list: [type, [children...]] for a multipart."""
    if message.is_multipart():
        return [message.get_content_type(), [mime_tree(part) for part in message.iter_parts()]]
    return message.get_content_type()


def check_wire_format(raw: bytes) -> None:
    """Checklist 7 and 9: CRLF only, folded at 75 octets, valid UTF-8 per line, VERSION, PRODID."""
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.endswith(b"\r\n")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")
    assert b"VERSION:2.0\r\n" in raw and b"PRODID:" in raw
