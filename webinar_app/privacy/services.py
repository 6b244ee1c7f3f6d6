"""Retention of personal data: when a series' personal data is erased, and the erasure itself.

One rule erases a person, whether they asked for it on their personal page
(`registration.services.erase_person`) or the series' retention period ended (`purge`):
`ERASED_PERSON_VALUES` blanks what names or reaches them (name, address, organisation, job
title, personal link); country, type of organisation, language, registrations and attendance
stay, so the reports and the Reader keep their counts. Emails keep their status and lose their
address, content and headers.

What the purge erases for a series whose retention period ended:
- every participant's identifying details (`Person` rows stay, anonymous);
- the invitee list (`Invitee` rows and what each was sent, `CampaignSend`); the campaigns
  (the organisers' own text) stay;
- uploaded files that list people: invitee lists (`InviteeImport`, with the problems found in
  them) and attendance reports waiting for confirmation (`AttendanceUpload`);
- the outbox rows of the series or its participants: sent and failed ones are blanked (status,
  kind, dates and attempts stay), queued ones are dropped (they could no longer be delivered).
Kept: registrations with their status and attendance, consents (purpose, wording version and
dates only), the addresses that opted out of invitations (honoured for every series), summaries,
good practices, notes and Reader builds.

Services never commit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, func, or_, select, update

from webinar_app.core.audit import record_event
from webinar_app.extensions import db
from webinar_app.models import (
    AttendanceUpload,
    CampaignSend,
    Invitee,
    InviteeImport,
    Module,
    OutboxMessage,
    OutboxStatus,
    Person,
    Registration,
    Series,
    utcnow,
)

MAX_RETENTION_DAYS = 3650

# What erasing a person sets; the person row itself, its country, organisation type,
# language and registrations stay for the counts.
ERASED_PERSON_VALUES: dict[str, object] = {
    "email": None,
    "full_name": "",
    "organisation": "",
    "job_title": "",
    "timezone": "UTC",
    "token_salt": None,
    "token_hash": None,
    "token_issued_at": None,
}

# What erasing an email sets; kind, status, dates, attempts and the Message-ID stay.
ERASED_EMAIL_VALUES: dict[str, object] = {
    "to_email": "",
    "to_name": "",
    "body_text": "",
    "body_html": "",
    "calendar_ics": None,
    "extra_headers": "",
    "last_error": "",
}


# --- one person -----------------------------------------------------------------------------


def anonymise_person(person: Person, now: datetime | None = None) -> None:
    """Blank what names or reaches the person and revoke their link; keep the counted fields."""
    for name, value in ERASED_PERSON_VALUES.items():
        setattr(person, name, value)
    person.erased_at = now or utcnow()


def _email_not_blank() -> ColumnElement[bool]:
    return or_(
        OutboxMessage.to_email != "",
        OutboxMessage.to_name != "",
        OutboxMessage.body_text != "",
        OutboxMessage.body_html != "",
        OutboxMessage.calendar_ics.is_not(None),
        OutboxMessage.extra_headers != "",
        OutboxMessage.last_error != "",
    )


def forget_emails(condition: ColumnElement[bool], drop_statuses: tuple[str, ...]) -> int:
    """Delete the matching emails in drop_statuses and blank the others; return how many."""
    dropped = db.session.execute(
        delete(OutboxMessage).where(condition, OutboxMessage.status.in_(drop_statuses)),
        execution_options={"synchronize_session": False},
    ).rowcount
    blanked = db.session.execute(
        update(OutboxMessage).where(condition, _email_not_blank()).values(**ERASED_EMAIL_VALUES),
        execution_options={"synchronize_session": False},
    ).rowcount
    return (dropped or 0) + (blanked or 0)


def forget_person_emails(person: Person) -> int:
    """Drop the person's undelivered emails and blank the delivered ones."""
    return forget_emails(
        OutboxMessage.person_id == person.id,
        (OutboxStatus.QUEUED.value, OutboxStatus.FAILED.value),
    )


# --- the retention period of a series -------------------------------------------------------


def default_retention_days() -> int:
    """The site's retention period in days (RETENTION_DAYS)."""
    return max(0, int(current_app.config.get("RETENTION_DAYS", 365)))


def retention_days(series: Series) -> int:
    """The series' own retention period, or the site's."""
    if series.retention_days is not None:
        return max(0, series.retention_days)
    return default_retention_days()


def last_module_end(series: Series) -> datetime | None:
    """When the series' last module ends; None while a module that will take place has no date."""
    ends: list[datetime] = []
    for module in series.modules:
        if module.ends_at is not None:
            ends.append(module.ends_at)
        elif not module.is_cancelled:
            return None
    return max(ends) if ends else None


def erase_at(series: Series) -> datetime | None:
    """When the series' personal data is due for erasure (None while it cannot be known)."""
    last_end = last_module_end(series)
    if last_end is None:
        return None
    return last_end + timedelta(days=retention_days(series))


@dataclass
class RetentionStatus:
    """What the organiser page says about the erasure of a series' personal data."""

    days: int
    erase_at: datetime | None
    erased_at: datetime | None
    is_due: bool

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


def retention_status(series: Series) -> RetentionStatus:
    """The series' retention period, when its data will be (or was) erased."""
    return RetentionStatus(
        days=retention_days(series),
        erase_at=erase_at(series),
        erased_at=series.personal_data_erased_at,
        is_due=is_due(series),
    )


def set_retention_days(series: Series, days: int | None) -> None:
    """Give the series its own retention period (None: the site's RETENTION_DAYS)."""
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"retention must be 1 to {MAX_RETENTION_DAYS} days")
    series.retention_days = days


def is_due(series: Series, now: datetime | None = None) -> bool:
    """True once every module is past and the retention period after the last one has ended."""
    now = now or utcnow()
    when = erase_at(series)
    last_end = last_module_end(series)
    return when is not None and last_end is not None and last_end <= now and when <= now


# --- the purge -------------------------------------------------------------------------------


@dataclass
class PurgeCounts:
    """What a purge erased (or would erase) for one series or in all."""

    people: int = 0
    invitees: int = 0
    emails: int = 0
    uploads: int = 0
    registrations_kept: int = 0

    @property
    def erased(self) -> int:
        return self.people + self.invitees + self.emails + self.uploads

    def add(self, other: PurgeCounts) -> None:
        """Add another series' counts to these."""
        self.people += other.people
        self.invitees += other.invitees
        self.emails += other.emails
        self.uploads += other.uploads
        self.registrations_kept += other.registrations_kept

    def describe(self) -> str:
        """'3 people's details, 12 invitees, 40 emails, 1 uploaded files' (for the command line)."""
        return (f"{self.people} people's details, {self.invitees} invitees, "
                f"{self.emails} emails, {self.uploads} uploaded files")


@dataclass
class SeriesPurge:
    """One series the purge visited."""

    slug: str
    erase_at: datetime
    days: int
    counts: PurgeCounts


@dataclass
class PurgeResult:
    """Every series past its retention period, with what was (or would be) erased."""

    dry_run: bool
    series: list[SeriesPurge] = field(default_factory=list)

    @property
    def total(self) -> PurgeCounts:
        total = PurgeCounts()
        for item in self.series:
            total.add(item.counts)
        return total

    def summary(self) -> str:
        """The one-line total of the command."""
        verb = "Would erase" if self.dry_run else "Erased"
        return (f"{verb} {self.total.describe()} in {len(self.series)} series "
                f"past their retention period.")


def _people_of(series: Series) -> ColumnElement[bool]:
    return Person.series_id == series.id


def _emails_of(series: Series) -> ColumnElement[bool]:
    people = select(Person.id).where(_people_of(series))
    return or_(OutboxMessage.series_id == series.id, OutboxMessage.person_id.in_(people))


def _modules_of(series: Series):
    return select(Module.id).where(Module.series_id == series.id)


def _count(query) -> int:
    return int(db.session.scalar(query) or 0)


def count_purge(series: Series) -> PurgeCounts:
    """What purging the series would erase now (reads only)."""
    emails = _emails_of(series)
    return PurgeCounts(
        people=_count(select(func.count(Person.id)).where(
            _people_of(series), Person.erased_at.is_(None))),
        invitees=_count(select(func.count(Invitee.id)).where(Invitee.series_id == series.id)),
        emails=_count(select(func.count(OutboxMessage.id)).where(
            emails, or_(OutboxMessage.status == OutboxStatus.QUEUED.value, _email_not_blank()))),
        uploads=_count(select(func.count(InviteeImport.id)).where(
            InviteeImport.series_id == series.id))
        + _count(select(func.count(AttendanceUpload.id)).where(
            AttendanceUpload.module_id.in_(_modules_of(series)))),
        registrations_kept=_count(
            select(func.count(Registration.id))
            .join(Module, Registration.module_id == Module.id)
            .where(Module.series_id == series.id)),
    )


def purge_series(series: Series, now: datetime | None = None) -> PurgeCounts:
    """Erase the series' personal data (whether due or not: callers check is_due)."""
    now = now or utcnow()
    counts = count_purge(series)
    db.session.execute(
        update(Person)
        .where(_people_of(series), Person.erased_at.is_(None))
        .values(**ERASED_PERSON_VALUES, erased_at=now),
        execution_options={"synchronize_session": False},
    )
    invitees = select(Invitee.id).where(Invitee.series_id == series.id)
    db.session.execute(
        delete(CampaignSend).where(CampaignSend.invitee_id.in_(invitees)),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(Invitee).where(Invitee.series_id == series.id),
        execution_options={"synchronize_session": False},
    )
    forget_emails(_emails_of(series), (OutboxStatus.QUEUED.value,))
    for statement in (
        delete(InviteeImport).where(InviteeImport.series_id == series.id),
        delete(AttendanceUpload).where(AttendanceUpload.module_id.in_(_modules_of(series))),
    ):
        db.session.execute(statement, execution_options={"synchronize_session": False})
    record_event("erasure.retention_purge", series=series, people=counts.people + counts.invitees,
                 summary=_("Erased the personal data past the retention period: %(counts)s",
                           counts=counts.describe()), details=asdict(counts))
    if series.personal_data_erased_at is None:
        series.personal_data_erased_at = now
    db.session.flush()
    db.session.expire_all()
    return counts


def due_series(now: datetime | None = None) -> list[Series]:
    """Every series whose modules are all past and whose retention period has ended."""
    now = now or utcnow()
    all_series = db.session.scalars(select(Series).order_by(Series.slug))
    return [series for series in all_series if is_due(series, now)]


def purge(now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Erase (or only count, with dry_run) the personal data of every series that is due."""
    now = now or utcnow()
    result = PurgeResult(dry_run=dry_run)
    for series in due_series(now):
        when = erase_at(series)
        if when is None:  # is_due checked it; kept for the type checker
            continue
        days, slug = retention_days(series), series.slug
        counts = count_purge(series) if dry_run else purge_series(series, now)
        result.series.append(SeriesPurge(slug, when, days, counts))
    return result
