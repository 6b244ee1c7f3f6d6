"""Registration rules: capacity, the waiting list, re-registration, cancellation, erasure.

Every function works in the caller's transaction and never commits. Functions that count seats
lock the module row first (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the caller holds the
write lock through `transaction.run_write_transaction`), so concurrent registrations never
overfill a module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from webinar_app.core.addresses import InvalidEmail, normalise_email
from webinar_app.core.audit import record_event
from webinar_app.core.module_life import registration_closed_reason
from webinar_app.core.tokens import issue_token
from webinar_app.extensions import db
from webinar_app.i18n import localized
from webinar_app.models import (
    Consent,
    Module,
    OutboxMessage,
    Person,
    Registration,
    RegistrationStatus,
    Series,
    utcnow,
)
from webinar_app.privacy.services import anonymise_person, forget_person_emails
from webinar_app.registration import emails

CONSENT_WORDING_VERSION = "2026-11-v1"
MARKETING_WORDING_VERSION = "2026-11-v1"
CONSENT_PURPOSE_DATA = "data-processing"
CONSENT_PURPOSE_MARKETING = "future-events"

REGISTERED = RegistrationStatus.REGISTERED.value
WAITING = RegistrationStatus.WAITING.value
CANCELLED = RegistrationStatus.CANCELLED.value


class RegistrationError(Exception):
    """A registration rule was broken; the message is for the organiser or participant."""


@dataclass
class ParticipantDetails:
    """What the registration form collects about a person."""

    full_name: str
    email: str
    organisation: str
    organisation_type: str
    country: str
    job_title: str = ""
    language: str = "en"
    timezone: str = "UTC"
    has_data_consent: bool = False
    has_marketing_consent: bool = False


@dataclass
class ModuleOutcome:
    """What happened to one module of a registration request."""

    number: int
    title: str
    outcome: str  # registered | already_registered | waiting | already_waiting | closed
    position: int | None = None
    closed_reason: str | None = None


@dataclass
class RegistrationResult:
    person: Person
    outcomes: list[ModuleOutcome] = field(default_factory=list)


def lock_module(module_id: int) -> Module:
    """The module, with its row locked for the rest of the transaction (PostgreSQL)."""
    return db.session.execute(
        select(Module).where(Module.id == module_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def count_registered(module: Module) -> int:
    """Seats taken in the module."""
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.module_id == module.id, Registration.status == REGISTERED
        )
    ) or 0


def free_seats(module: Module) -> int | None:
    """Seats still free (None: unlimited)."""
    if module.capacity is None:
        return None
    return max(module.capacity - count_registered(module), 0)


def waiting_position(registration: Registration) -> int | None:
    """1-based place in the module's waiting list, by queued_at then id; None if not waiting."""
    if registration.status != WAITING:
        return None
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.module_id == registration.module_id,
            Registration.status == WAITING,
            (Registration.queued_at < registration.queued_at)
            | ((Registration.queued_at == registration.queued_at)
               & (Registration.id < registration.id)),
        )
    ) or 0
    return ahead + 1


def fill_freed_seats(module: Module) -> int:
    """Promote people from the waiting list while seats are free; return how many."""
    module = lock_module(module.id)
    seats = free_seats(module)
    if registration_closed_reason(module) in ("cancelled", "held", "started"):
        return 0
    waiting = select(Registration).where(
        Registration.module_id == module.id, Registration.status == WAITING
    ).order_by(Registration.queued_at, Registration.id)
    if seats is not None:
        if seats <= 0:
            return 0
        waiting = waiting.limit(seats)
    promoted = list(db.session.scalars(waiting))
    for registration in promoted:
        registration.status = REGISTERED
        db.session.flush()
        emails.queue_invitation(registration, promoted=True)
    return len(promoted)


def _find_person(series: Series, email: str) -> Person | None:
    return db.session.scalar(
        select(Person).where(Person.series_id == series.id, Person.email == email)
    )


def _new_person(series: Series, details: ParticipantDetails, email: str) -> Person:
    person = Person(
        series=series,
        email=email,
        full_name=details.full_name,
        organisation=details.organisation,
        organisation_type=details.organisation_type,
        country=details.country,
        job_title=details.job_title,
        language=details.language,
        timezone=details.timezone,
    )
    issue_token(person)
    db.session.add(person)
    db.session.flush()
    return person


def _record_consents(person: Person, details: ParticipantDetails) -> None:
    now = utcnow()
    db.session.add(Consent(person=person, purpose=CONSENT_PURPOSE_DATA,
                           wording_version=CONSENT_WORDING_VERSION, given_at=now))
    if details.has_marketing_consent:
        db.session.add(Consent(person=person, purpose=CONSENT_PURPOSE_MARKETING,
                               wording_version=MARKETING_WORDING_VERSION, given_at=now))


def _place(person: Person, module: Module) -> ModuleOutcome:
    """Register the person for one (locked) module, or put them in line."""
    title = localized(module, "title")
    outcome = ModuleOutcome(number=module.number, title=title, outcome="closed")
    existing = db.session.scalar(
        select(Registration).where(
            Registration.person_id == person.id, Registration.module_id == module.id
        )
    )
    if existing is not None and existing.status == REGISTERED:
        outcome.outcome = "already_registered"
        return outcome
    if existing is not None and existing.status == WAITING:
        outcome.outcome = "already_waiting"
        outcome.position = waiting_position(existing)
        return outcome
    reason = registration_closed_reason(module)
    if reason:
        outcome.closed_reason = reason
        return outcome
    fill_freed_seats(module)
    seats = free_seats(module)
    status = REGISTERED if seats is None or seats > 0 else WAITING
    registration = existing
    if registration is None:
        registration = Registration(person=person, module=module)
        db.session.add(registration)
    else:
        registration.sequence_offset += 1
        registration.cancelled_at = None
    registration.status = status
    registration.queued_at = utcnow()
    db.session.flush()
    if status == REGISTERED:
        outcome.outcome = "registered"
        emails.queue_invitation(registration, promoted=False)
    else:
        outcome.outcome = "waiting"
        outcome.position = waiting_position(registration)
        emails.queue_waiting_list_notice(registration, outcome.position)
    return outcome


def register_participant(
    series_id: int, details: ParticipantDetails, module_numbers: Iterable[int]
) -> RegistrationResult:
    """Register a person (found by email, or new) for the chosen modules of a series.

    An existing person keeps their details (they change them on their personal page); a
    cancelled registration is re-activated with a higher calendar sequence.
    """
    if not details.has_data_consent:
        raise RegistrationError("consent required")
    email = normalise_email(details.email)
    series = db.session.execute(
        select(Series).where(Series.id == series_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    numbers = sorted(set(module_numbers))
    modules = list(db.session.scalars(
        select(Module)
        .where(Module.series_id == series.id, Module.number.in_(numbers))
        .order_by(Module.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ))
    person = _find_person(series, email)
    if person is None:
        person = _new_person(series, details, email)
    _record_consents(person, details)
    result = RegistrationResult(person=person)
    for module in sorted(modules, key=lambda m: m.number):
        result.outcomes.append(_place(person, module))
    _tell_what_happened(series, person, modules, result.outcomes)
    return result


QUIET_OUTCOMES = ("already_registered", "already_waiting", "closed")


def has_recent_link_email(person: Person) -> bool:
    """True when a personal-link email went to the person within the last window."""
    since = utcnow() - timedelta(seconds=emails.LINK_EMAIL_WINDOW_SECONDS)
    return db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.person_id == person.id,
            OutboxMessage.kind.in_((emails.SUMMARY_KIND, emails.LOST_LINK_KIND)),
            OutboxMessage.created_at >= since,
        ).limit(1)
    ) is not None


def _tell_what_happened(
    series: Series, person: Person, modules: list[Module], outcomes: list[ModuleOutcome]
) -> None:
    """Email the person whatever the form changed nothing about, with their personal link.

    The page answers the same for every address; only the owner of the address learns that
    they were already registered. New registrations and places in line have their own emails.
    """
    if not any(o.outcome in QUIET_OUTCOMES for o in outcomes) or has_recent_link_email(person):
        return
    by_number = {m.number: m for m in modules}
    lines = [emails.ModuleLine(by_number[o.number], o.outcome, o.position, o.closed_reason)
             for o in outcomes]
    emails.queue_link_email(person, series, lines, kind=emails.SUMMARY_KIND)


def request_personal_link(series_id: int, email: str) -> bool:
    """Email the person registered with this address in the series their personal link.

    Nothing happens for an unknown address, or when such an email already went out within
    the window; the caller answers the same in every case. True when an email was queued.
    """
    try:
        address = normalise_email(email)
    except InvalidEmail:
        return False
    series = db.session.get(Series, series_id)
    person = _find_person(series, address) if series else None
    if person is None or person.is_erased or has_recent_link_email(person):
        return False
    states = {REGISTERED: "is_registered", WAITING: "is_waiting", CANCELLED: "is_cancelled"}
    lines = [emails.ModuleLine(r.module, states.get(r.status, "is_cancelled"),
                               waiting_position(r))
             for r in sorted(person.registrations, key=lambda r: r.module.number)]
    message = emails.queue_link_email(person, series, lines, kind=emails.LOST_LINK_KIND)
    return message is not None


def cancel_registration(registration: Registration) -> bool:
    """Cancel one registration (or place in line); free the seat for the next in line.

    Returns False when it was already cancelled.
    """
    lock_module(registration.module_id)
    db.session.refresh(registration)
    if registration.status == CANCELLED:
        return False
    was_registered = registration.status == REGISTERED
    registration.status = CANCELLED
    registration.cancelled_at = utcnow()
    registration.sequence_offset += 1
    db.session.flush()
    if was_registered:
        emails.queue_own_cancellation(registration)
        fill_freed_seats(registration.module)
    return True


def move_registration(registration: Registration, to_status: str) -> None:
    """Organiser move between the registered and the waiting list (capacity not enforced)."""
    if to_status not in (REGISTERED, WAITING):
        raise RegistrationError("unknown status")
    lock_module(registration.module_id)
    db.session.refresh(registration)
    if registration.status == to_status:
        return
    record_event("registration.moved", module=registration.module, people=1, summary=_(
        "Moved a registration of module %(number)s from %(old)s to %(new)s (one email)",
        number=registration.module.number, old=registration.status, new=to_status),
        details={"registration_id": registration.id, "old_status": registration.status,
                 "new_status": to_status})
    if to_status == REGISTERED:
        if registration.status == CANCELLED:
            registration.sequence_offset += 1
            registration.cancelled_at = None
        registration.status = REGISTERED
        db.session.flush()
        emails.queue_invitation(registration, promoted=True)
        return
    if registration.status == REGISTERED:
        registration.sequence_offset += 1
        db.session.flush()
        emails.queue_own_cancellation(registration)
    # a later promotion's REQUEST must rank above the CANCEL the person already holds
    registration.sequence_offset += 1
    registration.status = WAITING
    registration.cancelled_at = None
    registration.queued_at = utcnow()
    db.session.flush()
    emails.queue_waiting_list_notice(registration, waiting_position(registration))


def resend_invitation(registration: Registration) -> bool:
    """Queue the invitation again; False if the person is not registered or was erased.

    The copy goes out with the person's calendar SEQUENCE raised by one: a new purpose key for
    the outbox, and calendars simply update the event they already hold.
    """
    lock_module(registration.module_id)
    db.session.refresh(registration)
    if registration.status != REGISTERED or registration.person.is_erased:
        return False
    record_event("registration.invitation_resent", module=registration.module, people=1,
                 summary=_("Sent a registrant of module %(number)s their invitation again",
                           number=registration.module.number),
                 details={"registration_id": registration.id})
    registration.sequence_offset += 1
    db.session.flush()
    return emails.queue_invitation(registration, promoted=False) is not None


def update_person_details(person: Person, **values: str) -> None:
    """Change what the person may change about themselves."""
    allowed = {"full_name", "organisation", "organisation_type", "country", "job_title",
               "language", "timezone"}
    for name, value in values.items():
        if name not in allowed:
            raise RegistrationError(f"cannot change {name}")
        setattr(person, name, value)


def has_marketing_consent(person: Person) -> bool:
    """True while the person agrees to hear about future events."""
    return any(c.purpose == CONSENT_PURPOSE_MARKETING and c.withdrawn_at is None
               for c in person.consents)


def set_marketing_consent(person: Person, is_given: bool) -> None:
    """Give or withdraw the consent to hear about future events (recorded with its time)."""
    if is_given == has_marketing_consent(person):
        return
    now = utcnow()
    if is_given:
        db.session.add(Consent(person=person, purpose=CONSENT_PURPOSE_MARKETING,
                               wording_version=MARKETING_WORDING_VERSION, given_at=now))
        return
    for consent in person.consents:
        if consent.purpose == CONSENT_PURPOSE_MARKETING and consent.withdrawn_at is None:
            consent.withdrawn_at = now


def active_registrations(person: Person) -> list[Registration]:
    """The person's registrations and places in line, in module order."""
    return list(db.session.scalars(
        select(Registration)
        .join(Module)
        .where(Registration.person_id == person.id, Registration.status != CANCELLED)
        .order_by(Module.number)
    ))


def export_person_data(person: Person) -> dict:
    """Everything the system holds about the person, for the JSON export."""
    registrations = db.session.scalars(
        select(Registration).join(Module)
        .where(Registration.person_id == person.id).order_by(Module.number)
    )
    return {
        "series": {"slug": person.series.slug, "title": person.series.title},
        "person": {
            "full_name": person.full_name,
            "email": person.email,
            "organisation": person.organisation,
            "organisation_type": person.organisation_type,
            "country": person.country,
            "job_title": person.job_title,
            "language": person.language,
            "timezone": person.timezone,
            "created_at": person.created_at.isoformat(),
            "updated_at": person.updated_at.isoformat(),
        },
        "registrations": [
            {
                "module_number": r.module.number,
                "module_title": r.module.title,
                "status": r.status,
                "waiting_list_position": waiting_position(r),
                "queued_at": r.queued_at.isoformat(),
                "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None,
                "attendance": r.attendance,
            }
            for r in registrations
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "wording_version": c.wording_version,
                "given_at": c.given_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            }
            for c in sorted(person.consents, key=lambda c: (c.given_at, c.id))
        ],
    }


def erase_person(person: Person) -> None:
    """Erase the person's personal data; keep anonymous counts; send them nothing more.

    Registrations stay as cancelled rows (so counts per module, country and organisation type
    survive), freed seats go to the next in line, unsent emails to the person are dropped and
    sent ones are stripped of their address and content.
    """
    now = utcnow()
    freed: list[Registration] = []
    for registration in sorted(person.registrations, key=lambda r: r.module_id):
        if registration.status == CANCELLED:
            continue
        lock_module(registration.module_id)
        if registration.status == REGISTERED:
            freed.append(registration)
        registration.status = CANCELLED
        registration.cancelled_at = now
        registration.sequence_offset += 1
    for consent in person.consents:
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now
    anonymise_person(person, now)
    db.session.flush()
    forget_person_emails(person)
    promoted = sum(fill_freed_seats(registration.module) for registration in freed)
    record_event("erasure.participant", series=person.series, people=1 + promoted, summary=_(
        "A participant deleted their personal data: %(cancelled)s places freed, %(promoted)s "
        "people promoted from the waiting list", cancelled=len(freed), promoted=promoted),
        details={"places_freed": len(freed), "promoted": promoted})
