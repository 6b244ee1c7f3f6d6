"""Sending a campaign: its emails queued a batch at a time, the campaign marked sent and the
audit event of the send."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import ngettext
from sqlalchemy import insert

from webinar_app.core.audit import record_event
from webinar_app.extensions import db
from webinar_app.invitations.emails import CampaignParts, queue_campaign_emails
from webinar_app.invitations.services import (
    BATCH_SIZE,
    InviteeFilter,
    SendCounts,
    audience_query,
    campaign_segment,
)
from webinar_app.models import Campaign, CampaignSend, CampaignStatus, Invitee, utcnow


def _key_suffix(audience: str) -> tuple[str, str]:
    """(send kind, purpose-key suffix): once per campaign; resends once a minute."""
    if audience == "new":
        return "invitation", "first"
    return "resend", f"resend-{utcnow():%Y%m%d%H%M}"


def send_campaign(
    campaign: Campaign,
    audience: str = "new",
    wanted: InviteeFilter | None = None,
    invitee_ids: list[int] | None = None,
) -> Iterator[SendCounts]:
    """Queue the campaign's email for its audience, a batch at a time; yields after each batch.

    The caller commits after each batch (so a very large send keeps memory flat and can be
    resumed). Purpose keys make a second send of the same campaign a no-op per invitee. A
    first send (audience "new") goes to the campaign's segment unless `wanted` is given, and
    marks the campaign sent in the transaction of its last batch.
    """
    parts = CampaignParts(campaign)
    kind, suffix = _key_suffix(audience)
    query = audience_query(campaign, audience, wanted or campaign_segment(campaign), invitee_ids)
    counts = SendCounts()
    last_id = 0
    while True:
        invitees = list(db.session.scalars(
            query.where(Invitee.id > last_id).order_by(Invitee.id).limit(BATCH_SIZE)
        ))
        if invitees:
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
        if len(invitees) < BATCH_SIZE:
            _finish_send(campaign, audience, counts)
            yield counts
            return
        yield counts


SEND_ACTIONS = {"new": "campaign.sent", "selected": "campaign.resent"}


def _finish_send(campaign: Campaign, audience: str, counts: SendCounts) -> None:
    """The campaign marked sent and the audit event, in the transaction of the last batch."""
    if audience == "new":
        campaign.status = CampaignStatus.SENT.value
        campaign.started_at = campaign.started_at or utcnow()
        campaign.scheduled_at = None
    if counts.queued + counts.skipped == 0 and audience != "new":
        return
    record_event(SEND_ACTIONS.get(audience, "campaign.sent"), series=campaign.series,
                 people=counts.queued, summary=ngettext(
                     "Sent invitation campaign \u201c%(title)s\u201d: %(num)d email queued, "
                     "%(skipped)s skipped (already sent or opted out)",
                     "Sent invitation campaign \u201c%(title)s\u201d: %(num)d emails queued, "
                     "%(skipped)s skipped (already sent or opted out)", counts.queued,
                     title=campaign.title, skipped=counts.skipped),
                 details={"campaign_id": campaign.id, "audience": audience,
                          "module_numbers": campaign.numbers, "queued": counts.queued,
                          "skipped": counts.skipped})
