"""Certificates of attendance: who may have one, the one-page PDF in the participant's
language, and the public check of a certificate's reference.

The reference is signed (itsdangerous, with SECRET_KEY and its own salt): it carries the
person's id and the date of issue, so nobody can make one up, and the verification page reads
the facts (name, series, modules attended) from the records as they are today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.core.documents import render_document
from webinar_app.core.module_life import Purpose, end_sentence, has_ended
from webinar_app.core.urls import external_url
from webinar_app.extensions import db
from webinar_app.i18n import localized
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


REFERENCE_SALT = "certificate-verification"
REFERENCE_MAX_LENGTH = 200


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=REFERENCE_SALT)


def certificate_reference(person: Person, issued_on: date) -> str:
    """The signed reference printed on the certificate: the person and the date of issue."""
    return _signer().dumps([person.id, issued_on.isoformat()])


@dataclass(frozen=True)
class VerifiedCertificate:
    """What the public verification page shows, and nothing else about the person."""

    full_name: str
    series_title: str
    modules: list[tuple[int, str, str]]  # number, title, date
    issued_on: str


def _read_reference(reference: str) -> tuple[int, date] | None:
    if not reference or len(reference) > REFERENCE_MAX_LENGTH:
        return None
    try:
        person_id, issued = _signer().loads(reference)
        return int(person_id), date.fromisoformat(issued)
    except (BadData, TypeError, ValueError):
        return None


def verify_certificate(reference: str, language: str) -> VerifiedCertificate | None:
    """The facts behind a certificate's reference, or None if it is forged or its holder has
    no certificate (any more)."""
    found = _read_reference(reference)
    person = db.session.get(Person, found[0]) if found else None
    if person is None or person.is_erased:
        return None
    status = certificate_status(person)
    if not status.is_eligible:
        return None
    tz = person.series.timezone
    issued_on = format_date(found[1], timefmt.SHORT_DATE_PATTERN, locale=language)
    return VerifiedCertificate(person.full_name, localized(person.series, "title", language),
                               _module_lines(status, tz, language), issued_on)


def _module_lines(status: CertificateStatus, tz: str, language: str) -> list[tuple]:
    return [(m.number, localized(m, "title", language),
             timefmt.fmt_short_date(m.starts_at, tz, language) if m.starts_at else "")
            for m in status.attended]


def build_certificate(person: Person) -> bytes:
    """The one-page PDF certificate of attendance of the person, in their language."""
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
    language = person.language if person.language in ("en", "fr") else "en"
    with force_locale(language):
        return _certificate_pdf(person, status, language)


def _certificate_pdf(person: Person, status: CertificateStatus, language: str) -> bytes:
    series = person.series
    tz = series.timezone
    modules = [(m.number, localized(m, "pillar", language), localized(m, "title", language),
                timefmt.fmt_short_date(m.starts_at, tz, language) if m.starts_at else "")
               for m in status.attended]
    now = timefmt.now_utc()
    reference = certificate_reference(person, timefmt.local(now, tz).date())
    html = render_template(
        "certificates/certificate.html", person=person, series=series, modules=modules,
        series_title=localized(series, "title", language), language=language,
        total=status.total_modules, issued_on=timefmt.fmt_short_date(now, tz, language),
        reference=reference, verify_url=external_url("certificates.verify", reference=reference),
    )
    return render_document(html).write_pdf(pdf_variant="pdf/ua-1")
