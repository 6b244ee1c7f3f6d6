"""Certificates of attendance: who may have one, and the one-page PDF."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.core.documents import render_document
from webinar_app.core.module_life import Purpose, end_sentence, has_ended
from webinar_app.extensions import db
from webinar_app.models import Module, ModuleStatus, Person, Registration, RegistrationStatus

ATTENDED = "attended"


class CertificateError(ValueError):
    """No certificate for this person (yet); the message says why."""


@dataclass(frozen=True)
class CertificateStatus:
    attended: list[Module]
    required: int
    total_modules: int

    @property
    def is_eligible(self) -> bool:
        return len(self.attended) >= self.required


def required_modules() -> int:
    """How many modules a person must have attended (CERTIFICATE_MIN_ATTENDED, at least 1)."""
    return max(int(current_app.config.get("CERTIFICATE_MIN_ATTENDED", 1)), 1)


def certificate_status(person: Person) -> CertificateStatus:
    """The modules the person attended, against the number required."""
    attended = list(db.session.scalars(
        select(Module).join(Registration, Registration.module_id == Module.id)
        .where(Registration.person_id == person.id,
               Registration.status != RegistrationStatus.CANCELLED.value,
               Registration.attendance == ATTENDED,
               Module.status == ModuleStatus.HELD.value)
        .order_by(Module.number)
    ))
    total = sum(1 for m in person.series.modules if m.status != ModuleStatus.CANCELLED)
    return CertificateStatus(attended, required_modules(), total)


def next_module_to_hold(person: Person) -> Module | None:
    """The first module the person is registered for that is not held yet and not cancelled."""
    return db.session.scalar(
        select(Module).join(Registration, Registration.module_id == Module.id)
        .where(Registration.person_id == person.id,
               Registration.status == RegistrationStatus.REGISTERED.value,
               Module.status == ModuleStatus.SCHEDULED.value,
               Module.starts_at.is_not(None))
        .order_by(Module.starts_at).limit(1)
    )


def certificate_reference(person: Person, status: CertificateStatus) -> str:
    """A short reference printed on the certificate, stable for the same facts."""
    facts = f"{person.id}:{person.series_id}:{','.join(str(m.id) for m in status.attended)}"
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(f"{secret}:{facts}".encode()).hexdigest()[:12].upper()


def build_certificate(person: Person) -> bytes:
    """The one-page PDF certificate of attendance of the person."""
    status = certificate_status(person)
    if not status.is_eligible:
        reason = _(
            "A certificate is given to participants who attended at least %(n)s module(s) of "
            "the series; our records show %(attended)s.",
            n=status.required, attended=len(status.attended))
        upcoming = next_module_to_hold(person)
        if upcoming is not None and has_ended(upcoming):
            reason += " " + _("Module %(number)s has ended; its attendance is not recorded yet.",
                              number=upcoming.number)
        elif upcoming is not None:
            reason += " " + end_sentence(upcoming, Purpose.CERTIFICATE)
        raise CertificateError(reason)
    series = person.series
    tz = series.timezone
    modules = [(m.number, m.pillar, m.title,
                timefmt.fmt_short_date(m.starts_at, tz, "en") if m.starts_at else "")
               for m in status.attended]
    html = render_template(
        "certificates/certificate.html", person=person, series=series, modules=modules,
        total=status.total_modules, issued_on=timefmt.fmt_short_date(timefmt.now_utc(), tz, "en"),
        reference=certificate_reference(person, status),
    )
    document = render_document(html)
    return document.write_pdf()
