"""Invitee lists, campaigns and opt-outs. Functions never commit; they raise domain errors."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import (
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from webinar_app.core.audit import record_event
from webinar_app.core.csv import csv_lines
from webinar_app.core.reference import country_code
from webinar_app.core.tokens import derive_token, hash_token
from webinar_app.core.urls import external_url
from webinar_app.extensions import db
from webinar_app.invitations.csvfile import BadRow, InviteeRow, ListCheck, ParsedList
from webinar_app.models import (
    Campaign,
    CampaignSend,
    CampaignStatus,
    CampaignText,
    ImportStatus,
    InvitationOptOut,
    Invitee,
    InviteeImport,
    Module,
    ModuleStatus,
    OutboxMessage,
    Person,
    Registration,
    RegistrationStatus,
    Series,
    UndeliverableAddress,
    utcnow,
)
from webinar_app.outbox import quota
from webinar_app.outbox.services import series_sender

BATCH_SIZE = 500
IMPORT_BATCH_SIZE = 1000
UNCONFIRMED_KEPT = timedelta(days=1)
PAGE_SIZE = 50
STALLED_AFTER = timedelta(minutes=30)
class InvitationError(ValueError):
    """A request the invitation rules refuse (e.g. an address that opted out)."""


# --- tokens -----------------------------------------------------------------------------------


def _derive(salt: str, key: bytes | None = None) -> str:
    return derive_token("invitation", salt, key)


def _give_token(invitee: Invitee) -> None:
    invitee.token_salt = secrets.token_hex(16)
    invitee.token_hash = hash_token(_derive(invitee.token_salt))


def invitee_token(invitee: Invitee) -> str:
    """The invitee's personal token (in the registration and opt-out links)."""
    return _derive(invitee.token_salt)


def get_invitee_by_token(token: str | None) -> Invitee | None:
    """The invitee whose link carries this token, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitee).where(Invitee.token_hash == hash_token(token)))


def invite_url(invitee: Invitee) -> str:
    """The personal registration link that prefills the form."""
    return external_url("registration.register", slug=invitee.series.slug,
                        invite=invitee_token(invitee))


def unsubscribe_url(invitee: Invitee) -> str:
    """The one-click opt-out link."""
    return external_url("unsubscribe.unsubscribe", token=invitee_token(invitee))


# --- invitee lists ----------------------------------------------------------------------------


@dataclass
class ImportCounts:
    """What an import did."""

    created: int = 0
    updated: int = 0
    skipped: int = 0

    def summary(self) -> str:
        return (f"Imported {self.created} new and {self.updated} updated invitees; "
                f"{self.skipped} rows skipped.")


def _apply(invitee: Invitee, row: InviteeRow) -> None:
    invitee.full_name = row.full_name
    invitee.organisation = row.organisation or invitee.organisation
    invitee.country = row.country or invitee.country
    invitee.language = row.language


def save_invitees(series: Series, parsed: ParsedList) -> ImportCounts:
    """Create or update (by address) every valid row; bad rows are only counted. No commit."""
    return import_rows(series, [*parsed.rows, *parsed.bad])


def import_rows(
    series: Series,
    items: Iterable[InviteeRow | BadRow],
    on_batch: Callable[[ImportCounts], None] | None = None,
    batch_size: int = IMPORT_BATCH_SIZE,
) -> ImportCounts:
    """Create or update (by address) every valid row, a batch at a time (one INSERT and one
    UPDATE per batch, flushed); bad rows are counted as skipped. No commit: the caller's
    transaction makes the whole import all or nothing. `on_batch` gets the counts so far."""
    counts = ImportCounts()
    batch: list[InviteeRow] = []
    for item in items:
        if isinstance(item, BadRow):
            counts.skipped += 1
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            _save_batch(series, batch, counts)
            batch = []
            if on_batch:
                on_batch(counts)
    if batch:
        _save_batch(series, batch, counts)
    if on_batch:
        on_batch(counts)
    return counts


def _save_batch(series: Series, rows: list[InviteeRow], counts: ImportCounts) -> None:
    """One batch of valid rows (distinct addresses) written with two Core statements."""
    table = Invitee.__table__
    existing = {
        r.email: r for r in db.session.execute(
            select(table.c.id, table.c.email, table.c.organisation, table.c.country).where(
                table.c.series_id == series.id, table.c.email.in_([r.email for r in rows])
            )
        )
    }
    key = current_app.config["SECRET_KEY"].encode()
    new: list[dict] = []
    changed: list[dict] = []
    for row in rows:
        found = existing.get(row.email)
        if found is None:
            salt = secrets.token_hex(16)
            new.append({
                "email": row.email, "full_name": row.full_name,
                "organisation": row.organisation, "country": row.country,
                "language": row.language, "token_salt": salt,
                "token_hash": hash_token(_derive(salt, key)),
            })
        else:
            changed.append({
                "invitee_id": found.id, "full_name": row.full_name,
                "organisation": row.organisation or found.organisation,
                "country": row.country or found.country, "language": row.language,
            })
    now = utcnow()
    if new:
        db.session.execute(
            insert(table).values(series_id=series.id, created_at=now, updated_at=now,
                                 opted_out_at=None), new)
    if changed:
        db.session.execute(
            update(table).where(table.c.id == bindparam("invitee_id")).values(
                full_name=bindparam("full_name"), organisation=bindparam("organisation"),
                country=bindparam("country"), language=bindparam("language"),
                updated_at=now),
            changed)
    counts.created += len(new)
    counts.updated += len(changed)


def known_emails(series: Series) -> set[str]:
    """The addresses already on the series' invitee list."""
    return set(db.session.scalars(select(Invitee.email).where(Invitee.series_id == series.id)))


# --- imports of large lists (checked, stored, then run in the background) -------------------


def record_import(series: Series, user_id: int | None, filename: str, data: bytes,
                  check: ListCheck) -> InviteeImport:
    """Keep an uploaded, checked list until the organiser confirms it (no commit)."""
    discard_unconfirmed_imports(series)
    record = InviteeImport(
        series_id=series.id, created_by_id=user_id, filename=filename[:200],
        file_size=len(data), data=data, status=ImportStatus.CHECKED.value,
        total_rows=check.valid + check.bad + check.duplicates, bad_rows=check.bad,
        duplicate_rows=check.duplicates, new_rows=check.new, existing_rows=check.existing,
        problems=[dict(line=p.line, reason=p.reason, raw=p.raw) for p in check.problems],
    )
    db.session.add(record)
    db.session.flush()
    return record


def discard_unconfirmed_imports(series: Series, older_than: timedelta = UNCONFIRMED_KEPT) -> int:
    """Delete the checked lists nobody confirmed within `older_than`, and drop the stored file
    of lists that failed that long ago (no more "start again"); how many lists were deleted."""
    cutoff = utcnow() - older_than
    result = db.session.execute(
        delete(InviteeImport).where(
            InviteeImport.series_id == series.id,
            InviteeImport.status == ImportStatus.CHECKED.value,
            InviteeImport.created_at < cutoff,
        )
    )
    db.session.execute(
        update(InviteeImport).where(
            InviteeImport.series_id == series.id,
            InviteeImport.status == ImportStatus.FAILED.value,
            InviteeImport.updated_at < cutoff,
            InviteeImport.data.is_not(None),
        ).values(data=None).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def queue_import(record: InviteeImport) -> None:
    """Hand a checked (or failed) list to the background job (no commit)."""
    if record.status not in (ImportStatus.CHECKED, ImportStatus.FAILED):
        raise InvitationError("this import was already started")
    if record.total_rows - record.bad_rows - record.duplicate_rows <= 0:
        raise InvitationError("the list has no valid row")
    record.status = ImportStatus.QUEUED.value
    record.queued_at = utcnow()
    record.started_at = record.finished_at = None
    record.processed_rows = record.created_count = record.updated_count = 0
    record.skipped_count = 0
    record.error = ""
    db.session.flush()


def import_in_series(series: Series, import_id: int) -> InviteeImport | None:
    record = db.session.get(InviteeImport, import_id)
    return record if record and record.series_id == series.id else None


def recent_imports(series: Series, limit: int = 5) -> list[InviteeImport]:
    """The latest imports of the series, confirmed ones only, newest first."""
    return list(db.session.scalars(
        select(InviteeImport)
        .where(InviteeImport.series_id == series.id,
               InviteeImport.status != ImportStatus.CHECKED.value)
        .order_by(InviteeImport.id.desc()).limit(limit)
    ))


def add_invitee(series: Series, row: InviteeRow) -> tuple[Invitee, bool]:
    """Add one invitee by hand (or update the one with that address); True if created."""
    invitee = db.session.scalar(
        select(Invitee).where(Invitee.series_id == series.id, Invitee.email == row.email)
    )
    created = invitee is None
    if invitee is None:
        invitee = Invitee(series_id=series.id, email=row.email)
        _give_token(invitee)
        db.session.add(invitee)
    _apply(invitee, row)
    db.session.flush()
    return invitee, created


@dataclass(frozen=True)
class InviteeFilter:
    """Which invitees an organiser looks at or sends to."""

    search: str = ""
    country: str = ""
    language: str = ""
    organisation: str = ""


def _registered_condition(series_id: int):
    return exists().where(
        Person.series_id == series_id,
        Person.email == Invitee.email,
        Registration.person_id == Person.id,
        Registration.status.in_(
            [RegistrationStatus.REGISTERED.value, RegistrationStatus.WAITING.value]
        ),
    )


def _opted_out_condition():
    return or_(
        Invitee.opted_out_at.is_not(None),
        exists().where(InvitationOptOut.email == Invitee.email),
    )


def _filtered(series: Series, wanted: InviteeFilter) -> Select:
    query = select(Invitee).where(Invitee.series_id == series.id)
    if wanted.search:
        pattern = f"%{wanted.search.lower()}%"
        query = query.where(or_(
            func.lower(Invitee.full_name).like(pattern),
            Invitee.email.like(pattern),
            func.lower(Invitee.organisation).like(pattern),
        ))
    if wanted.country:
        query = query.where(func.lower(Invitee.country) == wanted.country.lower())
    if wanted.organisation:
        query = query.where(func.lower(Invitee.organisation) == wanted.organisation.lower())
    if wanted.language:
        query = query.where(Invitee.language == wanted.language)
    return query


@dataclass(frozen=True)
class InviteeStatus:
    """One line of the organisers' list: who, when invited, delivery, registered, opted out."""

    invitee: Invitee
    invited_at: datetime | None
    delivery: str
    error: str
    is_registered: bool
    is_opted_out: bool


def _latest_sends(invitee_ids: list[int], campaign: Campaign | None) -> dict[int, CampaignSend]:
    query = select(CampaignSend).where(CampaignSend.invitee_id.in_(invitee_ids))
    if campaign is not None:
        query = query.where(CampaignSend.campaign_id == campaign.id)
    latest: dict[int, CampaignSend] = {}
    for send in db.session.scalars(query.order_by(CampaignSend.id)):
        latest[send.invitee_id] = send
    return latest


def invitee_statuses(
    series: Series, wanted: InviteeFilter, page: int = 1, campaign: Campaign | None = None
) -> tuple[list[InviteeStatus], int]:
    """One page of invitees with their invitation and registration status, and the total."""
    query = _filtered(series, wanted)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        query.add_columns(_registered_condition(series.id), _opted_out_condition())
        .order_by(Invitee.full_name, Invitee.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    sends = _latest_sends([r[0].id for r in rows], campaign)
    result = []
    for invitee, is_registered, is_opted_out in rows:
        send = sends.get(invitee.id)
        message = send.outbox_message if send else None
        result.append(InviteeStatus(
            invitee=invitee,
            invited_at=send.created_at if send else None,
            delivery=message.status if message else ("" if send is None else "skipped"),
            error=message.last_error if message else "",
            is_registered=bool(is_registered),
            is_opted_out=bool(is_opted_out),
        ))
    return result, total


CSV_HEADER = ("full_name", "email", "organisation", "country", "language", "opted_out")


def record_invitees_export(series: Series) -> None:
    """Record in the audit log that the invitee list was exported, with how many people."""
    people = db.session.scalar(
        select(func.count(Invitee.id)).where(Invitee.series_id == series.id)) or 0
    record_event("export.invitees", series=series, people=people, summary=_(
        "Exported the invitee list as CSV (%(num)s people)", num=people),
        details={"people": people})


def invitees_csv(series: Series) -> Iterator[str]:
    """The invitee list as UTF-8 CSV with a BOM, formula-looking cells neutralised."""
    rows = (
        (invitee.full_name, invitee.email, invitee.organisation, invitee.country,
         invitee.language, "yes" if opted_out else "")
        for invitee, opted_out in _iterate(
            select(Invitee, _opted_out_condition()).where(Invitee.series_id == series.id)
        )
    )
    return csv_lines(CSV_HEADER, rows)


def _iterate(query: Select, batch: int = BATCH_SIZE) -> Iterator:
    """Rows of a select on Invitee in id order, a batch at a time (keyset pagination)."""
    last_id = 0
    while True:
        rows = db.session.execute(
            query.where(Invitee.id > last_id).order_by(Invitee.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1][0].id


# --- opt-out ----------------------------------------------------------------------------------


def opt_out(invitee: Invitee) -> None:
    """No further invitation to this address, from any series (no commit)."""
    invitee.opted_out_at = invitee.opted_out_at or utcnow()
    if db.session.scalar(
        select(InvitationOptOut.id).where(InvitationOptOut.email == invitee.email)
    ) is None:
        db.session.add(InvitationOptOut(email=invitee.email))
    db.session.flush()


def is_opted_out(invitee: Invitee) -> bool:
    """True if the invitee, or their address in any series, opted out."""
    if invitee.opted_out_at is not None:
        return True
    return db.session.scalar(
        select(InvitationOptOut.id).where(InvitationOptOut.email == invitee.email)
    ) is not None


# --- campaigns --------------------------------------------------------------------------------


CampaignTexts = dict[str, tuple[str, str]]  # language -> (subject, Markdown body)


def create_campaign(series: Series, title: str, message: str, numbers: Iterable[int],
                    texts: CampaignTexts | None = None) -> Campaign:
    """A new draft campaign for the series (no module numbers = every scheduled module); its
    texts per language, or `title` and `message` in the series' first language."""
    campaign = Campaign(series_id=series.id, series=series, title=title,
                        status=CampaignStatus.DRAFT.value, segment={})
    _set_modules(campaign, numbers)
    db.session.add(campaign)
    save_campaign_texts(campaign, texts or {_first_language(series): (title, message)})
    db.session.flush()
    return campaign


def _first_language(series: Series) -> str:
    return series.language_codes[0] if series.language_codes else "en"


def _set_modules(campaign: Campaign, numbers: Iterable[int]) -> None:
    known = {m.number for m in campaign.series.modules}
    chosen = sorted(set(numbers))
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise InvitationError(f"no module {unknown[0]} in this series")
    campaign.module_numbers = ",".join(str(n) for n in chosen)


def save_campaign_texts(campaign: Campaign, texts: CampaignTexts) -> None:
    """Set the subject and body of each language given; the first one names the campaign."""
    for language, (subject, body) in texts.items():
        text = campaign.text_in(language)
        if text is None:
            campaign.texts.append(CampaignText(language=language, subject=subject, body=body))
        else:
            text.subject, text.body = subject, body
    first = campaign.text_in(_first_language(campaign.series)) or next(iter(campaign.texts))
    campaign.title = first.subject


def update_campaign(campaign: Campaign, texts: CampaignTexts, numbers: Iterable[int]) -> None:
    """Edit a draft (or scheduled) campaign; refused once sending started (no commit)."""
    if not campaign.is_editable:
        raise InvitationError(_("This campaign can no longer be edited: its sending started. "
                                "Create a new campaign instead."))
    _set_modules(campaign, numbers)
    save_campaign_texts(campaign, texts)
    db.session.flush()


def create_reminder(campaign: Campaign) -> Campaign:
    """A draft to those invited by `campaign` who have not registered, its texts prefilled."""
    texts: CampaignTexts = {}
    for text in campaign.texts:
        with force_locale(text.language):
            subject = _("Reminder: %(subject)s", subject=text.subject)
        texts[text.language] = (subject[:200], text.body)
    reminder = create_campaign(campaign.series, campaign.title, "", campaign.numbers, texts)
    reminder.reminder_of_id = campaign.id
    db.session.flush()
    return reminder


def schedule_campaign(campaign: Campaign, when: datetime, wanted: InviteeFilter,
                      now: datetime | None = None) -> None:
    """Send the campaign at `when` (UTC) to its audience; refused in the past (no commit)."""
    if not campaign.is_editable:
        raise InvitationError(_("This campaign is already being sent."))
    if when <= (now or utcnow()):
        raise InvitationError(_("Choose a time in the future."))
    campaign.status = CampaignStatus.SCHEDULED.value
    campaign.scheduled_at = when
    campaign.segment = _segment(wanted)
    record_event("campaign.scheduled", series=campaign.series, summary=_(
        "Scheduled invitation campaign \u201c%(title)s\u201d", title=campaign.title),
        details={"campaign_id": campaign.id, "scheduled_at": when.isoformat()})
    db.session.flush()


def cancel_schedule(campaign: Campaign) -> None:
    """Back to a draft, unless its sending started meanwhile (InvitationError; no commit)."""
    result = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id,
                               Campaign.status == CampaignStatus.SCHEDULED.value)
        .values(status=CampaignStatus.DRAFT.value, scheduled_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvitationError(_("Too late to cancel: the sending has started."))
    db.session.refresh(campaign)
    record_event("campaign.unscheduled", series=campaign.series, summary=_(
        "Cancelled the scheduled sending of \u201c%(title)s\u201d", title=campaign.title),
        details={"campaign_id": campaign.id})


def start_sending(campaign: Campaign, wanted: InviteeFilter | None = None) -> bool:
    """Mark the campaign sending (from draft, scheduled or sent); False if another process
    claimed it first. Flushed, not committed: commit before queuing."""
    result = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, Campaign.status.in_([
            CampaignStatus.DRAFT.value, CampaignStatus.SCHEDULED.value,
            CampaignStatus.SENT.value]))
        .values(status=CampaignStatus.SENDING.value, scheduled_at=None,
                started_at=func.coalesce(Campaign.started_at, utcnow()),
                **({"segment": _segment(wanted)} if wanted is not None else {}))
        .execution_options(synchronize_session=False))
    db.session.refresh(campaign)
    return result.rowcount == 1


def _segment(wanted: InviteeFilter) -> dict[str, str]:
    return {k: v for k, v in (("country", wanted.country), ("organisation", wanted.organisation),
                              ("language", wanted.language)) if v}


def campaign_segment(campaign: Campaign) -> InviteeFilter:
    """The segment chosen when the campaign was confirmed or scheduled."""
    segment = campaign.segment or {}
    return InviteeFilter(country=segment.get("country", ""),
                         organisation=segment.get("organisation", ""),
                         language=segment.get("language", ""))


def due_campaign_ids(now: datetime | None = None) -> list[int]:
    """The scheduled campaigns whose time has come, oldest first."""
    return list(db.session.scalars(
        select(Campaign.id).where(Campaign.status == CampaignStatus.SCHEDULED.value,
                                  Campaign.scheduled_at <= (now or utcnow()))
        .order_by(Campaign.scheduled_at, Campaign.id)))


def claim_stalled_campaigns(now: datetime | None = None) -> list[int]:
    """The campaigns left "sending" for over STALLED_AFTER (the process that queued them
    stopped), claimed again (flushed): their purpose keys make the rest go, nobody twice."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(Campaign.id).where(Campaign.status == CampaignStatus.SENDING.value,
                                  Campaign.updated_at < now - STALLED_AFTER)))
    claimed = []
    for campaign_id in ids:
        result = db.session.execute(
            update(Campaign).where(Campaign.id == campaign_id,
                                   Campaign.status == CampaignStatus.SENDING.value,
                                   Campaign.updated_at < now - STALLED_AFTER)
            .values(updated_at=now).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            claimed.append(campaign_id)
    return claimed


def campaign_modules(campaign: Campaign) -> list[Module]:
    """The scheduled modules the campaign invites to, in order."""
    numbers = set(campaign.numbers)
    return [
        m for m in campaign.series.modules
        if m.status == ModuleStatus.SCHEDULED and m.starts_at is not None
        and (not numbers or m.number in numbers)
    ]


def campaign_in_series(series: Series, campaign_id: int) -> Campaign | None:
    campaign = db.session.get(Campaign, campaign_id)
    return campaign if campaign and campaign.series_id == series.id else None


def invitee_in_series(series: Series, invitee_id: int) -> Invitee | None:
    invitee = db.session.get(Invitee, invitee_id)
    return invitee if invitee and invitee.series_id == series.id else None


def list_campaigns(series: Series) -> list[Campaign]:
    return list(db.session.scalars(
        select(Campaign).where(Campaign.series_id == series.id).order_by(Campaign.id.desc())
    ))


@dataclass
class SendCounts:
    """What one send did."""

    queued: int = 0
    skipped: int = 0

    def summary(self) -> str:
        return f"Queued {self.queued} invitations; {self.skipped} already sent or opted out."


def _already_sent(campaign: Campaign):
    return exists().where(
        CampaignSend.campaign_id == campaign.id, CampaignSend.invitee_id == Invitee.id
    )


def _undeliverable_condition(series: Series):
    sender_email, _name = series_sender(series)
    return exists().where(UndeliverableAddress.sender_email == sender_email,
                          UndeliverableAddress.email == Invitee.email)


def _candidates(campaign: Campaign, wanted: InviteeFilter) -> Select:
    """Who a first send would consider before exclusions: the segment, not yet sent this
    campaign; for a reminder campaign, only those its original campaign was sent to."""
    query = _filtered(campaign.series, wanted).where(~_already_sent(campaign))
    if campaign.reminder_of_id is not None:
        query = query.where(exists().where(CampaignSend.campaign_id == campaign.reminder_of_id,
                                           CampaignSend.invitee_id == Invitee.id))
    return query


def audience_query(campaign: Campaign, audience: str, wanted: InviteeFilter,
              invitee_ids: list[int] | None) -> Select:
    if audience == "new":
        return _candidates(campaign, wanted).where(
            ~_opted_out_condition(), ~_registered_condition(campaign.series_id),
            ~_undeliverable_condition(campaign.series))
    if audience == "selected":
        query = _filtered(campaign.series, wanted).where(~_opted_out_condition())
        return query.where(Invitee.id.in_(invitee_ids or []))
    raise InvitationError(f"unknown audience {audience!r}")


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def count_audience(campaign: Campaign, audience: str, wanted: InviteeFilter = InviteeFilter(),
                   invitee_ids: list[int] | None = None) -> int:
    """How many invitees a send would reach."""
    return _count(audience_query(campaign, audience, wanted, invitee_ids))


@dataclass(frozen=True)
class Segments:
    """Whom a send considers and leaves out, for the confirmation page."""

    considered: int
    registered: int
    opted_out: int
    undeliverable: int

    @property
    def recipients(self) -> int:
        return self.considered - self.registered - self.opted_out - self.undeliverable


def audience_segments(campaign: Campaign, wanted: InviteeFilter = InviteeFilter()) -> Segments:
    """The invitees a first send considers, and those it excludes (each counted once: opted
    out first, then already registered, then undeliverable)."""
    base = _candidates(campaign, wanted)
    opted_out = _opted_out_condition()
    registered = _registered_condition(campaign.series_id)
    return Segments(
        considered=_count(base),
        opted_out=_count(base.where(opted_out)),
        registered=_count(base.where(~opted_out, registered)),
        undeliverable=_count(base.where(~opted_out, ~registered,
                                        _undeliverable_condition(campaign.series))),
    )


@dataclass(frozen=True)
class CampaignFigures:
    """What became of a campaign: delivery, opt-outs and registrations since it was sent."""

    reached: int  # invitees it was sent to
    sent: int
    waiting: int
    failed: int
    undeliverable: int
    opted_out: int
    registered_since: int

    @property
    def registered_rate(self) -> float:
        return self.registered_since / self.reached if self.reached else 0.0


def campaign_figures(campaign: Campaign) -> CampaignFigures:
    """Invitees reached per delivery status, opted out, and registered after their invitation."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count(func.distinct(CampaignSend.invitee_id)))
        .join(OutboxMessage, OutboxMessage.id == CampaignSend.outbox_message_id)
        .where(CampaignSend.campaign_id == campaign.id)
        .group_by(OutboxMessage.status)
    ).all()
    by_status = {status: n for status, n in rows}
    reached = select(Invitee).where(_sent_by(campaign))
    first_sent = (select(func.min(CampaignSend.created_at))
                  .where(CampaignSend.campaign_id == campaign.id,
                         CampaignSend.invitee_id == Invitee.id).scalar_subquery())
    registered_since = exists().where(
        Person.series_id == campaign.series_id, Person.email == Invitee.email,
        Registration.person_id == Person.id, Registration.created_at >= first_sent)
    return CampaignFigures(
        reached=_count(reached),
        sent=by_status.get("sent", 0),
        waiting=by_status.get("queued", 0) + by_status.get("sending", 0),
        failed=by_status.get("failed", 0),
        undeliverable=by_status.get("undeliverable", 0),
        opted_out=_count(reached.where(_opted_out_condition())),
        registered_since=_count(reached.where(registered_since)),
    )


def _sent_by(campaign: Campaign):
    return exists().where(CampaignSend.campaign_id == campaign.id,
                          CampaignSend.invitee_id == Invitee.id)


def campaign_last_departure(campaign: Campaign) -> datetime | None:
    """When the campaign's last waiting email should leave at the relay's configured rate."""
    return quota.last_departure(
        select(CampaignSend.outbox_message_id).where(CampaignSend.campaign_id == campaign.id)
    )


def preview_invitees(series: Series, search: str, limit: int = 50) -> list[Invitee]:
    """Invitees to preview the campaign as: the first by name, or those matching `search`."""
    return list(db.session.scalars(
        _filtered(series, InviteeFilter(search=search[:200]))
        .order_by(Invitee.full_name, Invitee.id).limit(limit)))


def _values(choices) -> set[str]:
    return {getattr(c, "value", None) or (c[0] if isinstance(c, tuple) else "") for c in choices}


def prefill_registration_form(form, series: Series, token: str | None) -> Invitee | None:
    """Fill the registration form from the invitation link's invitee (same series only)."""
    invitee = get_invitee_by_token(token)
    if invitee is None or invitee.series_id != series.id:
        return None
    form.full_name.data = invitee.full_name
    form.email.data = invitee.email
    form.organisation.data = invitee.organisation
    code = country_code(invitee.country)
    if code and code in _values(form.country.choices):
        form.country.data = code
    if invitee.language in _values(form.language.choices):
        form.language.data = invitee.language
    return invitee
