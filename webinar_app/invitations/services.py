"""Invitee lists, campaigns and opt-outs. Functions never commit; they raise domain errors."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, and_, exists, func, insert, or_, select

from webinar_app.extensions import db
from webinar_app.invitations.csvfile import InviteeRow, ParsedList
from webinar_app.models import (
    Campaign,
    CampaignSend,
    InvitationOptOut,
    Invitee,
    Module,
    ModuleStatus,
    OutboxMessage,
    Person,
    Registration,
    RegistrationStatus,
    Series,
    utcnow,
)
from webinar_app.registrations_admin.services import neutralise_cell

BATCH_SIZE = 500
PAGE_SIZE = 50
AUDIENCES = ("new", "not_registered", "selected")


class InvitationError(ValueError):
    """A request the invitation rules refuse (e.g. an address that opted out)."""


# --- tokens -----------------------------------------------------------------------------------


def _derive(salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"invitation:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _give_token(invitee: Invitee) -> None:
    invitee.token_salt = secrets.token_hex(16)
    invitee.token_hash = _hash(_derive(invitee.token_salt))


def invitee_token(invitee: Invitee) -> str:
    """The invitee's personal token (in the registration and opt-out links)."""
    return _derive(invitee.token_salt)


def get_invitee_by_token(token: str | None) -> Invitee | None:
    """The invitee whose link carries this token, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitee).where(Invitee.token_hash == _hash(token)))


def invite_url(invitee: Invitee) -> str:
    """The personal registration link that prefills the form."""
    base = current_app.config["BASE_URL"]
    return f"{base}/series/{invitee.series.slug}/register?invite={invitee_token(invitee)}"


def unsubscribe_url(invitee: Invitee) -> str:
    """The one-click opt-out link."""
    return f"{current_app.config['BASE_URL']}/unsubscribe/{invitee_token(invitee)}"


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


def save_invitees(
    series: Series, parsed: ParsedList, on_row: Callable[[], None] | None = None
) -> ImportCounts:
    """Create or update (by address) every valid row; bad rows are only counted. No commit."""
    counts = ImportCounts(skipped=len(parsed.bad))
    for start in range(0, len(parsed.rows), BATCH_SIZE):
        chunk = parsed.rows[start:start + BATCH_SIZE]
        existing = {
            i.email: i
            for i in db.session.scalars(
                select(Invitee).where(
                    Invitee.series_id == series.id, Invitee.email.in_([r.email for r in chunk])
                )
            )
        }
        for row in chunk:
            invitee = existing.get(row.email)
            if invitee is None:
                invitee = Invitee(series_id=series.id, email=row.email)
                _give_token(invitee)
                db.session.add(invitee)
                counts.created += 1
            else:
                counts.updated += 1
            _apply(invitee, row)
            if on_row:
                on_row()
        db.session.flush()
    return counts


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


def invitees_csv(series: Series) -> Iterator[str]:
    """The invitee list as UTF-8 CSV with a BOM, formula-looking cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    yield "\ufeff" + buffer.getvalue()
    for invitee, opted_out in _iterate(
        select(Invitee, _opted_out_condition()).where(Invitee.series_id == series.id)
    ):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise_cell(v) for v in (
            invitee.full_name, invitee.email, invitee.organisation, invitee.country,
            invitee.language, "yes" if opted_out else "",
        )])
        yield buffer.getvalue()


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


def create_campaign(series: Series, title: str, message: str, numbers: Iterable[int]) -> Campaign:
    """A new campaign for the series (no module numbers = every scheduled module)."""
    known = {m.number for m in series.modules}
    chosen = sorted(set(numbers))
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise InvitationError(f"no module {unknown[0]} in this series")
    campaign = Campaign(
        series_id=series.id, title=title, message=message,
        module_numbers=",".join(str(n) for n in chosen),
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


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


def _audience(campaign: Campaign, audience: str, wanted: InviteeFilter,
              invitee_ids: list[int] | None) -> Select:
    already = exists().where(
        CampaignSend.campaign_id == campaign.id, CampaignSend.invitee_id == Invitee.id
    )
    query = _filtered(campaign.series, wanted).where(~_opted_out_condition())
    if audience == "new":
        return query.where(~already)
    if audience == "not_registered":
        return query.where(already, ~_registered_condition(campaign.series_id))
    if audience == "selected":
        return query.where(Invitee.id.in_(invitee_ids or []))
    raise InvitationError(f"unknown audience {audience!r}")


def count_audience(campaign: Campaign, audience: str, wanted: InviteeFilter = InviteeFilter(),
                   invitee_ids: list[int] | None = None) -> int:
    """How many invitees a send would reach."""
    query = _audience(campaign, audience, wanted, invitee_ids)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _key_suffix(audience: str) -> tuple[str, str]:
    """(send kind, purpose-key suffix): once per campaign; nudges once a day; resends a minute."""
    now = utcnow()
    if audience == "new":
        return "invitation", "first"
    if audience == "not_registered":
        return "nudge", f"nudge-{now:%Y%m%d}"
    return "resend", f"resend-{now:%Y%m%d%H%M}"


def send_campaign(
    campaign: Campaign,
    audience: str = "new",
    wanted: InviteeFilter = InviteeFilter(),
    invitee_ids: list[int] | None = None,
) -> Iterator[SendCounts]:
    """Queue the campaign's email for its audience, a batch at a time; yields after each batch.

    The caller commits after each batch (so a very large send keeps memory flat and can be
    resumed). Purpose keys make a second send of the same campaign a no-op per invitee.
    """
    from webinar_app.invitations.emails import CampaignParts, queue_campaign_emails

    parts = CampaignParts(campaign)
    kind, suffix = _key_suffix(audience)
    query = _audience(campaign, audience, wanted, invitee_ids)
    counts = SendCounts()
    last_id = 0
    while True:
        invitees = list(db.session.scalars(
            query.where(Invitee.id > last_id).order_by(Invitee.id).limit(BATCH_SIZE)
        ))
        if not invitees:
            return
        queued = queue_campaign_emails(parts, invitees, f"{kind}:{suffix}")
        if queued:
            db.session.execute(insert(CampaignSend.__table__), [
                dict(campaign_id=campaign.id, invitee_id=invitee_id, kind=kind,
                     outbox_message_id=message_id, created_at=utcnow())
                for invitee_id, message_id in queued.items()
            ])
        counts.queued += len(queued)
        counts.skipped += len(invitees) - len(queued)
        last_id = invitees[-1].id
        yield counts


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    """Invitees reached by the campaign per delivery status, and how many registered."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count(func.distinct(CampaignSend.invitee_id)))
        .join(OutboxMessage, OutboxMessage.id == CampaignSend.outbox_message_id)
        .where(CampaignSend.campaign_id == campaign.id)
        .group_by(OutboxMessage.status)
    ).all()
    counts = {status: n for status, n in rows}
    counts["registered"] = db.session.scalar(
        select(func.count(Invitee.id)).where(
            and_(
                exists().where(CampaignSend.campaign_id == campaign.id,
                               CampaignSend.invitee_id == Invitee.id),
                _registered_condition(campaign.series_id),
            )
        )
    ) or 0
    return counts


def _country_code(value: str) -> str:
    """An ISO 3166 code for a code or a country name in English or French ('' if unknown)."""
    from babel import Locale

    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    for locale in ("en", "fr"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and name.lower() == text.lower():
                return code
    return ""


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
    code = _country_code(invitee.country)
    if code and code in _values(form.country.choices):
        form.country.data = code
    if invitee.language in _values(form.language.choices):
        form.language.data = invitee.language
    return invitee
